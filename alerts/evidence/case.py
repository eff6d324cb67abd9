"""A case's evidence in the alerting service: integrity against the signed manifest, and the
ZIP a discipline officer exports."""
from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping

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
        problems = (verify(path.parent, resolve_key(key), {f: event.get(f) for f in BINDING}) if path
                    else ["manifest missing"])
    except ValueError as error:
        problems = [str(error)]
    return ("failed" if problems else "ok"), problems


def case_zip(store: LocalEvidenceStore, event: dict, audit: list[dict]) -> bytes:
    """The whole signed case folder, the event as stored and its audit trail."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        refs = event.get("evidence") or {}
        files = {p for p in (store.resolve(v) for v in refs.values() if isinstance(v, str)) if p is not None}
        manifest = store.resolve(refs["manifest"]) if refs.get("manifest") else None
        if manifest is not None:  # the signed case: the manifest and the files it lists, nothing else
            listed = listed_files(read_manifest(manifest.parent))
            files |= {manifest.parent / name for name in listed if (manifest.parent / name).is_file()}
            files = {f for f in files if f.parent == manifest.parent and (f.name in listed or f == manifest)}
        for file in sorted(files):
            archive.write(file, f"evidence/{file.name}")
        archive.writestr("event.json", json.dumps(event, ensure_ascii=False, indent=2))
        archive.writestr("audit.json", json.dumps(audit, ensure_ascii=False, indent=2))
    return buffer.getvalue()
