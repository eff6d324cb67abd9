"""Integrity of evidence: a manifest with the SHA-256 of every file, signed with HMAC-SHA256.

The signature covers the canonical JSON of the manifest (sorted keys, no spaces) without its
``signature`` field, so any changed byte of any file, or of the manifest, fails verification.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from configs.env import ENV_EVIDENCE_KEY
from configs.model import Camera

MANIFEST = "manifest.json"
SOFTWARE = "hallwatch 0.2.0"


def without_credentials(source: str) -> str:
    """A camera URL as recorded in a manifest: no user or password."""
    scheme, sep, rest = source.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return source
    return f"{scheme}://{rest.split('@', 1)[1]}"


def camera_entry(camera: Camera) -> dict:
    """The camera as a manifest records it."""
    return {
        "id": camera.id,
        "name": camera.name,
        "hall": camera.hall,
        "source": without_credentials(camera.source),
        "analysis_fps": camera.analysis_fps,
    }


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def canonical(manifest: dict) -> bytes:
    body = {k: v for k, v in manifest.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def resolve_key(configured: str | None) -> bytes:
    """The signing key as bytes (``evidence.hmac_key``, which ``HALLWATCH_EVIDENCE_KEY`` overrides
    when the config is loaded)."""
    if not configured:
        raise ValueError(f"no evidence signing key: set evidence.hmac_key or {ENV_EVIDENCE_KEY}")
    return configured.encode()


def sign(manifest: dict, key: bytes) -> str:
    return hmac.new(key, canonical(manifest), hashlib.sha256).hexdigest()


def write_manifest(
    folder: Path, event: dict, camera: dict, files: list[str], key: bytes, key_id: str, software: str = SOFTWARE
) -> Path:
    manifest = {
        "schema": "hallwatch.evidence-manifest.v1",
        "event": event,
        "camera": camera,
        "software": software,
        "created_at": datetime.now(UTC).isoformat(),
        "key_id": key_id,
        "files": [
            {"name": name, "bytes": (folder / name).stat().st_size, "sha256": sha256_file(folder / name)}
            for name in sorted(files)
        ],
    }
    manifest["signature"] = {"algorithm": "HMAC-SHA256", "value": sign(manifest, key)}
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    return path


def listed_files(manifest: object) -> list[str]:
    """The plain file names a manifest lists (malformed entries and paths are left out)."""
    files = manifest.get("files") if isinstance(manifest, dict) else None
    names = []
    for entry in files if isinstance(files, list) else []:
        name = entry.get("name") if isinstance(entry, dict) else None
        if isinstance(name, str) and name not in ("", ".", "..", MANIFEST) and "/" not in name and "\\" not in name:
            names.append(name)
    return names


def read_manifest(folder: Path) -> dict | None:
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def verify(folder: Path, key: bytes, expect: Mapping[str, object] | None = None) -> list[str]:
    """Problems found (empty = intact): the signature, every listed file's SHA-256, no file that
    the manifest does not list, and, with ``expect``, that the manifest is this event's (its
    ``event`` has these values: event_id, hall_id, camera_id, started_at)."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        return [f"manifest unreadable: {error}"]
    if not isinstance(manifest, dict):
        return ["manifest is not a JSON object"]
    problems = []
    signature = manifest.get("signature")
    expected = signature.get("value") if isinstance(signature, dict) else None
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), sign(manifest, key).encode()):
        problems.append("manifest signature does not match (manifest altered or wrong key)")
    files = manifest.get("files")
    entries = files if isinstance(files, list) else []
    if not entries:
        problems.append("manifest lists no files")
    names = set(listed_files(manifest))
    for entry in entries:
        name = entry.get("name") if isinstance(entry, dict) else None
        if name not in names or not isinstance(entry.get("sha256"), str):
            problems.append(f"manifest entry {str(entry)[:80]!r} is malformed")
            continue
        file = folder / name
        if not file.is_file():
            problems.append(f"{name}: missing")
        elif not hmac.compare_digest(sha256_file(file), entry["sha256"]):
            problems.append(f"{name}: SHA-256 differs (file altered)")
    for extra in sorted(p.name for p in folder.iterdir() if p.name != MANIFEST and p.name not in names):
        problems.append(f"{extra}: not listed in the manifest (added after signing)")
    event = manifest.get("event") if isinstance(manifest.get("event"), dict) else {}
    for field, value in (expect or {}).items():
        if event.get(field) != value:
            problems.append(f"manifest is for another {field}: {str(event.get(field))[:80]!r}, expected {value!r}")
    return problems


def case_code(folder: Path, key: bytes) -> str:
    """The verification code printed on a case sheet (督办单): an HMAC of the event id and the
    manifest's signature, so it certifies exactly this evidence, as signed when the sheet was
    issued; `python -m alerts.evidence verify FOLDER --code CODE` checks both. 16 characters in
    groups of four (base32: no 0/1/8/9 to mistype)."""
    manifest = json.loads((folder / MANIFEST).read_text())
    message = f"case-sheet|{manifest['event']['event_id']}|{manifest['signature']['value']}".encode()
    raw = base64.b32encode(hmac.new(key, message, hashlib.sha256).digest()).decode()[:16]
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def same_code(a: str, b: str) -> bool:
    norm = lambda c: c.replace("-", "").replace(" ", "").upper()  # noqa: E731
    return hmac.compare_digest(norm(a), norm(b))
