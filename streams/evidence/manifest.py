"""Integrity of evidence: a manifest with the SHA-256 of every file, signed with HMAC-SHA256.

The signature covers the canonical JSON of the manifest (sorted keys, no spaces) without its
``signature`` field, so any changed byte of any file, or of the manifest, fails verification.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timezone
from pathlib import Path

from configs.env import ENV_EVIDENCE_KEY

MANIFEST = "manifest.json"


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


def write_manifest(folder: Path, event: dict, camera: dict, files: list[str], key: bytes, key_id: str,
                   software: str) -> Path:
    manifest = {
        "schema": "hallwatch.evidence-manifest.v1",
        "event": event,
        "camera": camera,
        "software": software,
        "created_at": datetime.now(timezone.utc).isoformat(),
        "key_id": key_id,
        "files": [{"name": name, "bytes": (folder / name).stat().st_size, "sha256": sha256_file(folder / name)}
                  for name in sorted(files)],
    }
    manifest["signature"] = {"algorithm": "HMAC-SHA256", "value": sign(manifest, key)}
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    return path


def verify(folder: Path, key: bytes) -> list[str]:
    """Problems found (empty = intact)."""
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        return [f"manifest unreadable: {error}"]
    problems = []
    expected = manifest.get("signature", {}).get("value", "")
    if not hmac.compare_digest(expected, sign(manifest, key)):
        problems.append("manifest signature does not match (manifest altered or wrong key)")
    for entry in manifest.get("files", []):
        file = Path(folder) / entry["name"]
        if not file.exists():
            problems.append(f"{entry['name']}: missing")
        elif sha256_file(file) != entry["sha256"]:
            problems.append(f"{entry['name']}: SHA-256 differs (file altered)")
    return problems
