"""Evidence clips: right span and first frame, playable in a real Chromium, tamper-evident."""
from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from datetime import timedelta
from functools import partial
from pathlib import Path

import cv2
import numpy as np
import pytest

from alerts.evidence.manifest import verify
from configs.loader import parse_config
from detectors.analysis import CameraAnalysis
from ingest.frames import Detections, Frame
from tests.conftest import ROOT
from tests.helpers import T0, rect

FPS = 5.0
PRE, POST = 4.0, 6.0
KEY = "test-signing-key"


def encode_index(image: np.ndarray, index: int) -> None:
    """The frame number as 12 black/white blocks along the top, readable after H.264."""
    for bit in range(12):
        value = 255 if index >> bit & 1 else 0
        image[0:40, bit * 40:(bit + 1) * 40] = value


def decode_index(image: np.ndarray) -> int:
    return sum(1 << bit for bit in range(12) if image[10:30, bit * 40 + 10:bit * 40 + 30].mean() > 127)


def config(tmp_path: Path, **rules):
    return parse_config({
        "regions": [{"id": "c", "name": "资阳市", "level": "city"}],
        "halls": [{"id": "h1", "name": "市民中心", "region": "c", "windows": [{"id": "w1", "name": "1号窗口"}]}],
        "cameras": [{"id": "cam", "name": "排队区", "hall": "h1", "source": "synthetic.avi", "analysis_fps": FPS,
                     "calibration": {"image": rect(0, 0, 640, 480), "floor": rect(0, 0, 6.4, 4.8)},
                     "zones": [{"id": "queue", "kind": "queue_area", "polygon": rect(0, 200, 640, 480)}]}],
        "rules": {"queue_crowding": {"min_duration_s": 0, "clear_s": 1, **rules},
                  "empty_post": {"enabled": False}, "staff_chatting": {"enabled": False}},
        "evidence": {"root": str(tmp_path / "evidence"), "pre_s": PRE, "post_s": POST, "hmac_key": KEY,
                     "long_violation_s": 15, "min_free_mb": 0},
    })


def frames(seconds: float, crowded: tuple[float, float]):
    """Two people in the queue, 0.5 m apart during ``crowded``, 3 m apart otherwise."""
    for i in range(int(seconds * FPS)):
        t = i / FPS
        image = np.full((480, 640, 3), 60, np.uint8)
        encode_index(image, i + 1)
        gap = 50 if crowded[0] <= t < crowded[1] else 300
        boxes = np.array([[200, 250, 240, 400], [200 + gap, 250, 240 + gap, 400]], float)
        for x1, y1, x2, y2 in boxes.astype(int):
            cv2.rectangle(image, (x1, y1), (x2, y2), (200, 200, 200), -1)
        yield Frame("cam", i + 1, T0 + timedelta(seconds=t), image, Detections(boxes, np.ones(2), np.array([1, 2])))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("evidence")
    cfg = config(tmp)
    updates, messages = [], []
    analysis = CameraAnalysis(cfg, cfg.cameras[0], None, emit=messages.append, emit_update=updates.append)
    for frame in frames(60, crowded=(20, 40)):
        analysis.process(frame)
    analysis.finish()
    return cfg, messages, updates


def evidence_file(cfg, relative: str) -> Path:
    return Path(cfg.evidence.root) / relative


def test_clip_spans_pre_and_post_and_starts_at_start_minus_pre(recorded):
    cfg, messages, updates = recorded
    opened = next(m for m in messages if m["status"] == "open")
    assert opened["started_at"] == (T0 + timedelta(seconds=20)).isoformat()  # opens at its start here
    update = next(u for u in updates if "open_clip" in u["evidence"])
    assert update["event_id"] == opened["event_id"]
    for key in ("open_clip", "open_clip_raw"):
        cap = cv2.VideoCapture(str(evidence_file(cfg, update["evidence"][key])))
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        fps = cap.get(cv2.CAP_PROP_FPS)
        assert abs(n / fps - (PRE + POST)) <= 1 / FPS + 1e-6, (n, fps)
        ok, first = cap.read()
        assert ok
        if key == "open_clip_raw":
            expected = int((20 - PRE) * FPS) + 1  # the frame at start - pre_s
            assert decode_index(first) == expected
    data = evidence_file(cfg, update["evidence"]["open_clip"]).read_bytes()
    assert 0 <= data.find(b"moov") < data.find(b"mdat")  # faststart: playable while downloading
    snapshot = cv2.imread(str(evidence_file(cfg, update["evidence"]["snapshot_raw"])))
    assert decode_index(snapshot) == int(20 * FPS) + 1  # the moment it opened


def test_long_violation_gets_a_close_clip_and_updates_never_reopen(recorded):
    cfg, messages, updates = recorded
    closed = next(m for m in messages if m["status"] == "closed")
    assert closed["duration_s"] > 15
    final = [u for u in updates if u["event_id"] == closed["event_id"]][-1]
    assert {"open_clip", "close_clip", "snapshot", "manifest"} <= set(final["evidence"])
    assert final["status"] == "closed"
    folder = evidence_file(cfg, final["evidence"]["manifest"]).parent
    assert folder.parts[-3:] == (T0.date().isoformat(), "h1", closed["event_id"])
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {f["name"] for f in manifest["files"]} == {"open_raw.mp4", "open_annotated.mp4", "snapshot.jpg",
                                                      "snapshot_raw.jpg", "close_raw.mp4", "close_annotated.mp4"}
    assert manifest["event"]["event_id"] == closed["event_id"] and manifest["key_id"] == "k1"


def test_one_changed_byte_fails_verification(recorded, tmp_path):
    cfg, _, updates = recorded
    folder = evidence_file(cfg, updates[-1]["evidence"]["manifest"]).parent
    copy = tmp_path / "case"
    import shutil

    shutil.copytree(folder, copy)
    assert verify(copy, KEY.encode()) == []
    cli = [sys.executable, "-m", "alerts.evidence", "verify", str(copy), "--config", str(ROOT / "configs/demo.yaml")]
    env = {"PYTHONPATH": str(ROOT), "HALLWATCH_EVIDENCE_KEY": KEY, "PATH": "/usr/bin:/bin"}
    assert subprocess.run(cli, cwd=ROOT, env=env, capture_output=True).returncode == 0
    clip = copy / "open_annotated.mp4"
    data = bytearray(clip.read_bytes())
    data[len(data) // 2] ^= 0x01
    clip.write_bytes(bytes(data))
    problems = verify(copy, KEY.encode())
    assert problems == ["open_annotated.mp4: SHA-256 differs (file altered)"]
    result = subprocess.run(cli, cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 1 and "open_annotated.mp4" in result.stdout
    assert verify(copy, b"another key") != []  # a forged manifest needs the key


def test_full_disk_stops_clips_not_detection(tmp_path):
    cfg = config(tmp_path)
    cfg = cfg.model_copy(update={"evidence": cfg.evidence.model_copy(update={"min_free_mb": 1e12})})
    messages, updates = [], []
    analysis = CameraAnalysis(cfg, cfg.cameras[0], None, emit=messages.append, emit_update=updates.append)
    for frame in frames(30, crowded=(10, 20)):
        analysis.process(frame)
    analysis.finish()
    assert [m["status"] for m in messages] == ["open", "closed"]
    assert updates == [] and analysis.recorder.disk_full == 1


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian chromium not installed")
def test_chromium_plays_the_clip(recorded):
    from playwright.sync_api import sync_playwright

    cfg, _, updates = recorded
    clip = evidence_file(cfg, next(u for u in updates if "open_clip" in u["evidence"])["evidence"]["open_clip"])
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(clip.parent))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_port}/")
            page.set_content(f'<video id="v" muted preload="auto" '
                             f'src="http://127.0.0.1:{server.server_port}/{clip.name}"></video>')
            page.wait_for_function("document.getElementById('v').readyState >= 2", timeout=20000)
            duration = page.evaluate("document.getElementById('v').duration")
            error = page.evaluate("document.getElementById('v').error")
            browser.close()
    finally:
        server.shutdown()
    assert error is None
    assert abs(duration - (PRE + POST)) <= 1 / FPS + 0.05


def test_retention_never_deletes_evidence_under_review(tmp_path):
    import os
    import time

    import yaml

    from alerts.store import AlertStore
    from tests.test_alert_store import violation

    root, db = tmp_path / "evidence", f"sqlite:///{tmp_path / 'alerts.db'}"
    store = AlertStore(db)
    store.apply_violations([violation("under-review"), violation("done")])
    for actor, action, note, outcome in (("op", "acknowledge", None, None), ("o", "review", "属实", "confirmed"),
                                         ("o", "close", None, None)):
        store.transition("done", actor, action, note, outcome)
    old = time.time() - 400 * 86400
    for event_id in ("under-review", "done", "recent"):
        folder = root / "2025-01-01" / "h1" / event_id
        folder.mkdir(parents=True)
        (folder / "snapshot.jpg").write_bytes(b"x")
        if event_id != "recent":
            os.utime(folder, (old, old))
    config = yaml.safe_load((ROOT / "configs" / "demo.yaml").read_text())
    config["evidence"]["root"] = str(root)
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    result = subprocess.run([sys.executable, "-m", "alerts.evidence", "prune", "--config", str(tmp_path / "c.yaml"),
                             "--database-url", db], cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (root / "2025-01-01" / "h1").iterdir()) == ["recent", "under-review"]
