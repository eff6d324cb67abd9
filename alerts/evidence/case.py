"""A case's evidence in the alerting service: integrity against the signed manifest, and the
ZIP a discipline officer exports."""
from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping

from streams.evidence.manifest import resolve_key, verify
from streams.evidence.storage import LocalEvidenceStore


def integrity(store: LocalEvidenceStore, refs: Mapping[str, str], key: str | None) -> tuple[str, list[str]]:
    """("none", []) without a manifest, else ("ok" | "failed", problems)."""
    manifest = refs.get("manifest")
    if not manifest:
        return "none", []
    path = store.resolve(manifest)
    try:
        problems = verify(path.parent, resolve_key(key)) if path else ["manifest missing"]
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
        if manifest is not None:  # the whole signed case folder
            files |= {f for f in manifest.parent.iterdir() if f.is_file()}
        for file in sorted(files):
            archive.write(file, f"evidence/{file.name}")
        archive.writestr("event.json", json.dumps(event, ensure_ascii=False, indent=2))
        archive.writestr("audit.json", json.dumps(audit, ensure_ascii=False, indent=2))
    return buffer.getvalue()
