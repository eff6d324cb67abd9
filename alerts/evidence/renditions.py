"""H.264 renditions of clips a browser cannot play (H.265 cameras' clips, kept by stream copy as the
camera sent them). The console asks its browser (``MediaSource.isTypeSupported``) and, where it cannot
play HEVC, asks for the rendition: made once, on demand, cached under ``<root>/renditions/`` beside the
case's path — never in the signed case folder, which ``verify`` checks file for file."""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from streams.evidence.storage import LocalEvidenceStore
from streams.evidence.video import BROWSER_SAFE, probe, rendition

_making = threading.Lock()  # one rendition at a time per process (the exports' slots bound the requests)


@lru_cache(maxsize=4096)
def _codec(path: str, mtime_ns: int) -> str:
    info = probe(path)
    return info.codec if info is not None else ""


def codec_of(path: Path) -> str:
    try:
        return _codec(str(path), path.stat().st_mtime_ns)
    except OSError:
        return ""


def clip_codecs(store: LocalEvidenceStore, evidence: dict) -> dict[str, str]:
    """Each clip's codec ("h264", "hevc"), read from the file (cached by its time)."""
    out = {}
    for key, ref in evidence.items():
        if key.endswith("_clip") and isinstance(ref, str):
            path = store.resolve(ref)
            if path is not None:
                out[key] = codec_of(path)
    return out


def browser_copy(store: LocalEvidenceStore, path: Path) -> Path:
    """``path`` itself when every browser plays it, else its H.264 rendition (made now if missing)."""
    if codec_of(path) in BROWSER_SAFE:
        return path
    relative = path.relative_to(store.root.resolve())
    target = (store.root / "renditions" / relative).with_name(f"{path.stem}.h264.mp4")
    with _making:
        if not target.is_file():
            rendition(path, target)
    return target
