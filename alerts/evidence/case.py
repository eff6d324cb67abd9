"""A case's evidence in the alerting service: integrity against the signed manifest, and the
ZIP a discipline officer exports."""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

from alerts.evidence.annotated import render_annotated
from alerts.evidence.renditions import browser_copy
from streams.evidence.manifest import MANIFEST, listed_files, read_manifest, resolve_key, verify, write_manifest
from streams.evidence.storage import LocalEvidenceStore

BINDING = ("event_id", "hall_id", "camera_id", "started_at")


def integrity(store: LocalEvidenceStore, event: Mapping, key: str | None) -> tuple[str, list[str]]:
    """("none", []) without a manifest, else ("ok" | "failed", problems): the case folder must be
    intact, hold nothing unlisted, and its signed manifest must be this event's."""
    refs = event.get("evidence") or {}
    manifest = refs.get("manifest")
    if not manifest:
        return "none", []
    path = store.resolve(manifest)
    try:
        problems = (
            verify(path.parent, resolve_key(key), {f: event.get(f) for f in BINDING}) if path else ["manifest missing"]
        )
    except ValueError as error:
        problems = [str(error)]
    return ("failed" if problems else "ok"), problems


ANNOTATED_NOTE = (
    "annotated/ 中的标注视频由告警服务在导出时根据 evidence/ 中已签名的原始视频与标注数据"
    "（*_overlay.json）生成，仅供阅看；证据以 evidence/ 中经 manifest.json 签名的文件为准。\n"
    "The videos under annotated/ were rendered at export from the signed raw clips and overlay data "
    "in evidence/ (or, for H.265 clips without overlay data, re-encoded as H.264 so that every player "
    "opens them); they are a reading aid, the signed files are the evidence.\n"
)


def annotated_copies(files: set[Path], workdir: Path) -> list[Path]:
    """``<kind>_annotated.mp4`` for every ``<kind>_raw.mp4`` with its ``<kind>_overlay.json``."""
    out = []
    for clip in sorted(f for f in files if f.name.endswith("_raw.mp4")):
        kind = clip.name.removesuffix("_raw.mp4")
        overlay = clip.with_name(f"{kind}_overlay.json")
        if overlay in files:
            try:
                out.append(render_annotated(clip, overlay, workdir / f"{kind}_annotated.mp4"))
            except (RuntimeError, ValueError, OSError, KeyError, TypeError, IndexError):
                continue  # the signed files still go out; the reading aid is best effort
    return out


def h264_copies(store: LocalEvidenceStore, files: set[Path], annotated: set[str]) -> list[Path]:
    """H.264 renditions of the H.265 clips that have no annotated copy (an H.265 camera's 差评 clip):
    every player opens the export (cached under renditions/, outside the signed folder)."""
    out = []
    for clip in sorted(f for f in files if f.name.endswith("_raw.mp4")):
        if clip.name.removesuffix("_raw.mp4") in annotated:
            continue  # the annotated copy is H.264 already
        try:
            copy = browser_copy(store, clip)
        except (RuntimeError, OSError):
            continue
        if copy != clip:
            out.append(copy)
    return out


CASE_README = """电子监察案卷 / hallwatch case export

evidence/   现场证据（快照、视频片段、标注数据），由监察流水线录制时以 manifest.json 签名。
            The evidence as recorded, signed by the pipeline (manifest.json).
record/     案件记录：event.json（告警）、audit.json（全部处置记录：确认、复核、督办、整改反馈、
            退回、办结）、督办单.pdf，由告警服务在导出时以 manifest.json 签名。
            The case record: the alert, its full audit trail (every decision) and the case sheet,
            signed by the alerting service at export.
annotated/  由已签名视频生成的标注视频，仅供阅看（若有）。
            Annotated copies rendered from the signed clips, a reading aid (when present).

校验 / Verify with the service's signing key, given one of three ways (the tool says which it
used): --key-file FILE, HALLWATCH_EVIDENCE_KEY, or --config CONFIG (its evidence.hmac_key); in the
folder this export was unpacked to (both signed parts at once, or each on its own):
    python -m alerts.evidence verify . --event EVENT_ID --key-file KEY_FILE
    python -m alerts.evidence verify evidence record --event EVENT_ID --key-file KEY_FILE
Any changed byte, added file or manifest of another event fails verification.
"""


def write_record(folder: Path, event: dict, audit: list[dict], sheet_pdf: bytes | None, key: bytes | None) -> list[str]:
    """The case record in ``folder``: the event, its audit trail and the case sheet, with a
    manifest bound to the event like the evidence's (``verify`` checks both the same way); without
    a signing key configured, unsigned (no manifest)."""
    files = {
        "event.json": json.dumps(event, ensure_ascii=False, indent=2).encode(),
        "audit.json": json.dumps(audit, ensure_ascii=False, indent=2).encode(),
        **({"督办单.pdf": sheet_pdf} if sheet_pdf else {}),
    }
    for name, body in files.items():
        (folder / name).write_bytes(body)
    if key is None:
        return list(files)
    binding = {f: event.get(f) for f in BINDING}
    write_manifest(folder, binding, {"id": event.get("camera_id")}, list(files), key, "alerts", "hallwatch-alerts")
    return [*files, MANIFEST]


def case_zip(
    store: LocalEvidenceStore,
    event: dict,
    audit: list[dict],
    target: Path,
    sheet_pdf: bytes | None = None,
    key: bytes | None = None,
) -> int:
    """The whole signed case folder, the case record (the event as stored, its audit trail and
    the case sheet, signed with ``key`` when there is one), and the annotated videos rendered from
    the signed clips and overlay data, written to ``target`` (on disk: a case of clips is not held
    in memory); its size in bytes."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        refs = event.get("evidence") or {}
        files = {p for p in (store.resolve(v) for v in refs.values() if isinstance(v, str)) if p is not None}
        manifest = store.resolve(refs["manifest"]) if refs.get("manifest") else None
        if manifest is not None:  # the signed case: the manifest and the files it lists, nothing else
            listed = listed_files(read_manifest(manifest.parent))
            files |= {manifest.parent / name for name in listed if (manifest.parent / name).is_file()}
            files = {f for f in files if f.parent == manifest.parent and (f.name in listed or f == manifest)}
        for file in sorted(files):
            archive.write(file, f"evidence/{file.name}")
        with tempfile.TemporaryDirectory() as workdir:
            rendered = annotated_copies(files, Path(workdir))
            rendered += h264_copies(store, files, {f.name.removesuffix("_annotated.mp4") for f in rendered})
            for file in rendered:
                archive.write(file, f"annotated/{file.name}")
            if rendered:
                archive.writestr("annotated/README.txt", ANNOTATED_NOTE)
            record = Path(workdir) / "record"
            record.mkdir()
            for name in write_record(record, event, audit, sheet_pdf, key):
                archive.write(record / name, f"record/{name}")
        archive.writestr("README.txt", CASE_README)
    return target.stat().st_size
