"""A case's evidence in the alerting service: integrity against the signed manifest, and the
ZIP a discipline officer exports."""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

from alerts.evidence.annotated import render_annotated
from streams.evidence.manifest import listed_files, read_manifest, resolve_key, verify
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
    "in evidence/; they are a reading aid, the signed files are the evidence.\n"
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


def case_zip(store: LocalEvidenceStore, event: dict, audit: list[dict], target: Path) -> int:
    """The whole signed case folder, the event as stored, its audit trail, and the annotated
    videos rendered from the signed clips and overlay data, written to ``target`` (on disk: a
    case of clips is not held in memory); its size in bytes."""
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
            for file in rendered:
                archive.write(file, f"annotated/{file.name}")
            if rendered:
                archive.writestr("annotated/README.txt", ANNOTATED_NOTE)
        archive.writestr("event.json", json.dumps(event, ensure_ascii=False, indent=2))
        archive.writestr("audit.json", json.dumps(audit, ensure_ascii=False, indent=2))
    return target.stat().st_size
