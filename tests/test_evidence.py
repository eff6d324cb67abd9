"""Evidence clips: right span and first frame, playable in a real Chromium, tamper-evident."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import pytest
from jsonschema import Draft202012Validator, FormatChecker

from domain.events import Violation
from domain.overlay import OVERLAY_SCHEMA
from ingest.analysis import CameraAnalysis
from streams.evidence.manifest import verify
from streams.wire import encode, json_schema
from tests.conftest import ROOT
from tests.evidence_fixtures import (
    FPS,
    GOP_S,
    KEY,
    POST,
    PRE,
    chromium_plays,
    config,
    decode_index,
    frames,
    write_source,
)
from tests.helpers import T0


def record(cfg, synthetic: list) -> tuple[list[dict], list[dict], CameraAnalysis]:
    updates, messages = [], []
    analysis = CameraAnalysis(
        cfg,
        cfg.cameras[0],
        None,
        emit=lambda v: messages.append(encode(v)),
        emit_update=lambda v: updates.append(encode(v)),
    )
    for frame in synthetic:
        analysis.process(frame)
    analysis.finish()
    return messages, updates, analysis


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """The camera's source is an H.264 file: clips are cut from it by stream copy."""
    tmp = tmp_path_factory.mktemp("evidence")
    synthetic = list(frames(60, crowded=(20, 40)))
    cfg = config(tmp, source=str(write_source(synthetic, tmp / "camera.mp4")))
    messages, updates, analysis = record(cfg, synthetic)
    assert analysis.recorder.clip_methods == {"copy": 2}
    assert analysis.recorder.latest == {} and analysis.recorder.evidence == {}  # nothing kept once closed and written
    return cfg, messages, updates


def packets(path: Path) -> list[str]:
    """The MD5 of each video packet as stored (nothing decoded)."""
    out = subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", str(path), "-map", "0:v", "-c", "copy", "-f", "framemd5", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.rsplit(",", 1)[1].strip() for line in out.splitlines() if line and not line.startswith("#")]


def evidence_file(cfg, relative: str) -> Path:
    return Path(cfg.evidence.root) / relative


def test_clip_is_the_source_cut_at_the_keyframe_before_start_minus_pre(recorded):
    cfg, messages, updates = recorded
    opened = next(m for m in messages if m["status"] == "open")
    assert opened["started_at"] == (T0 + timedelta(seconds=20)).isoformat()  # opens at its start here
    update = next(u for u in updates if "open_clip" in u["evidence"])
    assert update["event_id"] == opened["event_id"]
    keyframe_s = (20 - PRE) // GOP_S * GOP_S  # the source's last keyframe at or before start - pre_s
    assert update["evidence"]["open_clip_start"] == (T0 + timedelta(seconds=keyframe_s)).isoformat()
    clip = evidence_file(cfg, update["evidence"]["open_clip"])
    cap = cv2.VideoCapture(str(clip))
    n, fps = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), cap.get(cv2.CAP_PROP_FPS)
    ok, first = cap.read()
    assert ok and fps == FPS
    assert decode_index(first) == int(keyframe_s * FPS) + 1
    assert n == int((20 + POST - keyframe_s) * FPS) + 1  # through opened_at + post_s
    # A stream copy: the clip's packets are the source file's, byte for byte.
    source = packets(Path(cfg.cameras[0].source))
    assert packets(clip) == source[int(keyframe_s * FPS) : int(keyframe_s * FPS) + n]
    data = clip.read_bytes()
    assert 0 <= data.find(b"moov") < data.find(b"mdat")  # faststart: playable while downloading
    snapshot = cv2.imread(str(evidence_file(cfg, update["evidence"]["snapshot_raw"])))
    assert decode_index(snapshot) == int(20 * FPS) + 1  # the moment it opened


def test_overlay_data_matches_the_clip_frame_by_frame(recorded):
    """Every analysed frame of the clip, at its time in the clip, with the boxes the rule saw;
    the violation's people, zone and peak count as the event reports them."""
    cfg, _, updates = recorded
    evidence = next(u for u in updates if "open_overlay" in u["evidence"])["evidence"]
    overlay = json.loads(evidence_file(cfg, evidence["open_overlay"]).read_text())
    schema = Draft202012Validator(json_schema(OVERLAY_SCHEMA), format_checker=FormatChecker())
    assert list(schema.iter_errors(overlay)) == []  # the contract the console and export read
    assert overlay["schema"] == "hallwatch.evidence-overlay.v1" and overlay["clip"] == "open_raw.mp4"
    assert overlay["clip_start"] == evidence["open_clip_start"] and overlay["size"] == [640, 480]
    cap = cv2.VideoCapture(str(evidence_file(cfg, evidence["open_clip"])))
    for i, frame in enumerate(overlay["frames"]):
        ok, image = cap.read()
        assert ok and abs(frame["t"] - i / FPS) < 1e-6
        index = decode_index(image)
        crowded = 20 <= (index - 1) / FPS < 40
        gap = 50 if crowded else 300
        assert frame["people"] == [[1, 200.0, 250.0, 240.0, 400.0], [2, 200.0 + gap, 250.0, 240.0 + gap, 400.0]]
    assert overlay["frames"][0]["at"].startswith(T0.strftime("%Y-%m-%d ") + "09:00:15.000")
    assert overlay["involved"] == [1, 2] and overlay["pairs"][0]["track_ids"] == [1, 2]
    assert overlay["pairs"][0]["distance_m"] == pytest.approx(0.5, abs=0.01)
    assert [z["label"] for z in overlay["zones"] if z["violation"]] == ["排队区"]
    assert overlay["subtitle"].endswith("峰值人数 2")


def test_long_violation_gets_a_close_clip_and_updates_never_reopen(recorded):
    cfg, messages, updates = recorded
    closed = next(m for m in messages if m["status"] == "closed")
    assert closed["duration_s"] > 15
    final = [u for u in updates if u["event_id"] == closed["event_id"]][-1]
    assert {"open_clip", "open_overlay", "close_clip", "close_overlay", "snapshot", "manifest"} <= set(
        final["evidence"]
    )
    assert final["status"] == "closed"
    folder = evidence_file(cfg, final["evidence"]["manifest"]).parent
    assert folder.parts[-3:] == (T0.date().isoformat(), "h1", closed["event_id"])
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {f["name"] for f in manifest["files"]} == {
        "open_raw.mp4",
        "open_overlay.json",
        "snapshot.jpg",
        "snapshot_raw.jpg",
        "close_raw.mp4",
        "close_overlay.json",
    }
    assert manifest["event"]["event_id"] == closed["event_id"] and manifest["key_id"] == "k1"


def test_a_source_without_h264_has_its_analysed_frames_encoded_once(tmp_path):
    """No file to cut from (or not H.264): the analysed frames, encoded once, from start - pre_s."""
    cfg = config(tmp_path)  # its source file does not exist
    _, updates, analysis = record(cfg, list(frames(40, crowded=(20, 30))))
    assert analysis.recorder.clip_methods == {"encode": 1}
    evidence = next(u for u in updates if "open_clip" in u["evidence"])["evidence"]
    cap = cv2.VideoCapture(str(evidence_file(cfg, evidence["open_clip"])))
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    ok, first = cap.read()
    assert ok and decode_index(first) == int((20 - PRE) * FPS) + 1
    assert abs(n / FPS - (PRE + POST)) <= 1 / FPS + 1e-6
    overlay = json.loads(evidence_file(cfg, evidence["open_overlay"]).read_text())
    assert len(overlay["frames"]) == n and overlay["clip_start"] == evidence["open_clip_start"]


def test_one_changed_byte_fails_verification(recorded, tmp_path):
    cfg, _, updates = recorded
    folder = evidence_file(cfg, updates[-1]["evidence"]["manifest"]).parent
    copy = tmp_path / "case"
    import shutil

    shutil.copytree(folder, copy)
    assert verify(copy, KEY.encode()) == []
    cli = [sys.executable, "-m", "alerts.evidence", "verify", str(copy), "--config", str(ROOT / "configs/demo.yaml")]
    env = {"PYTHONPATH": str(ROOT), "HALLWATCH_EVIDENCE_KEY": KEY, "PATH": "/usr/bin:/bin"}
    result = subprocess.run(cli, cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0 and "key: HALLWATCH_EVIDENCE_KEY" in result.stderr, result.stderr
    # The key is required and named (issue 26): no silent fall-back to the demo's published key.
    bare = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    keyless = subprocess.run(cli[:5], cwd=ROOT, env=bare, capture_output=True, text=True)
    assert keyless.returncode == 2 and "--key-file" in keyless.stderr and "ok" not in keyless.stdout
    (tmp_path / "key.txt").write_text(KEY + "\n")
    by_file = subprocess.run(
        [*cli[:5], "--key-file", str(tmp_path / "key.txt")], env=bare, capture_output=True, text=True
    )
    assert by_file.returncode == 0 and "key: --key-file" in by_file.stderr, by_file.stderr
    by_demo = subprocess.run(cli, cwd=ROOT, env=bare, capture_output=True, text=True)
    assert "key: evidence.hmac_key of" in by_demo.stderr and "demo's published key" in by_demo.stderr, by_demo.stderr
    clip = copy / "open_raw.mp4"
    data = bytearray(clip.read_bytes())
    data[len(data) // 2] ^= 0x01
    clip.write_bytes(bytes(data))
    problems = verify(copy, KEY.encode())
    assert problems == ["open_raw.mp4: SHA-256 differs (file altered)"]
    result = subprocess.run(cli, cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 1 and "open_raw.mp4" in result.stdout
    # The overlay data is signed like the video: a moved box or a changed distance is caught.
    overlay = copy / "close_overlay.json"
    overlay.write_text(overlay.read_text().replace('"distance_m":0.5', '"distance_m":1.5', 1))
    assert "close_overlay.json: SHA-256 differs (file altered)" in verify(copy, KEY.encode())
    assert verify(copy, b"another key") != []  # a forged manifest needs the key


def test_full_disk_stops_clips_not_detection(tmp_path):
    cfg = config(tmp_path)
    cfg = cfg.model_copy(update={"evidence": cfg.evidence.model_copy(update={"min_free_mb": 1e12})})
    messages, updates = [], []
    analysis = CameraAnalysis(
        cfg,
        cfg.cameras[0],
        None,
        emit=lambda v: messages.append(encode(v)),
        emit_update=lambda v: updates.append(encode(v)),
    )
    for frame in frames(30, crowded=(10, 20)):
        analysis.process(frame)
    analysis.finish()
    assert [m["status"] for m in messages] == ["open", "closed"]
    assert updates == [] and analysis.recorder.disk_full == 1


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian chromium not installed")
def test_chromium_plays_the_clip(recorded):
    cfg, _, updates = recorded
    clip = evidence_file(cfg, next(u for u in updates if "open_clip" in u["evidence"])["evidence"]["open_clip"])
    duration, error = chromium_plays(clip)
    assert error is None
    keyframe_s = (20 - PRE) // GOP_S * GOP_S
    assert abs(duration - (20 + POST - keyframe_s + 1 / FPS)) <= 1 / FPS + 0.05


def test_retention_never_deletes_evidence_under_review(tmp_path):
    import os
    import time

    import yaml

    from alerts.lifecycle import Lifecycle
    from alerts.store.alerts import AlertStore
    from alerts.store.database import Database
    from tests.alert_fixtures import violation

    root, db = tmp_path / "evidence", f"sqlite:///{tmp_path / 'alerts.db'}"
    store = AlertStore(Database.open(db))
    store.apply_violations([violation("under-review"), violation("done")])
    for actor, action, note, outcome in (
        ("op", "acknowledge", None, None),
        ("o", "review", "属实", "dismissed"),
        ("o", "close", None, None),
    ):
        Lifecycle(store).transition("done", actor, action, note, outcome)
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
    result = subprocess.run(
        [sys.executable, "-m", "alerts.evidence", "prune", "--config", str(tmp_path / "c.yaml"), "--database-url", db],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (root / "2025-01-01" / "h1").iterdir()) == ["recent", "under-review"]


def test_the_camera_wall_gets_the_latest_frame(recorded):
    cfg, _, _ = recorded
    path = Path(cfg.evidence.root) / "live" / f"{cfg.cameras[0].id}.jpg"
    image = cv2.imread(str(path))
    assert image is not None
    # Written every live_snapshot_s of media time: the last one is from the final 10 s of the 60 s.
    assert decode_index(image) > int((60 - cfg.evidence.live_snapshot_s) * FPS)


def test_case_sheet_pdf_carries_a_code_that_verify_accepts(recorded, tmp_path):
    """督办单: an officer's PDF with the review opinion and the evidence's verification code; the
    evidence CLI accepts that code for this folder, and refuses it once a byte changes."""
    import shutil

    from fastapi.testclient import TestClient

    from alerts.api import create_app
    from alerts.evidence.case_sheet import CaseSheet, render
    from alerts.service import AlertService
    from streams.evidence.manifest import case_code
    from streams.wire import decode

    cfg, messages, updates = recorded
    cfg = cfg.model_copy(update={"alerts": cfg.alerts.model_copy(update={"secure_cookies": False})})
    service = AlertService.open(cfg, f"sqlite:///{tmp_path / 'a.db'}")
    service.store.apply_violations([decode(Violation, m) for m in messages + updates])
    event_id = updates[-1]["event_id"]
    app = create_app(service)
    app.state.users.add("li", "officer password", "discipline_officer", cfg.regions[0].id, "纪检员李四")
    app.state.users.add("op", "operator password", "operator", cfg.regions[0].id)
    op = TestClient(app)
    csrf = op.post("/api/login", json={"username": "op", "password": "operator password"}).json()["csrf"]
    op.post(f"/api/alerts/{event_id}/ack", json={}, headers={"X-CSRF-Token": csrf}).raise_for_status()
    assert op.get(f"/api/alerts/{event_id}/case-sheet").status_code == 403  # officers and admins only
    officer = TestClient(app)
    csrf = officer.post("/api/login", json={"username": "li", "password": "officer password"}).json()["csrf"]
    officer.post(
        f"/api/alerts/{event_id}/review",
        json={"outcome": "confirmed", "note": "两人间距不足一米"},
        headers={"X-CSRF-Token": csrf},
    ).raise_for_status()
    pdf = officer.get(f"/api/alerts/{event_id}/case-sheet")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert (
        pdf.content.startswith(b"%PDF")
        and pdf.content.count(b"/Type /Page\n") + pdf.content.count(b"/Type /Page ") >= 1
    )
    folder = evidence_file(cfg, updates[-1]["evidence"]["manifest"]).parent
    code = case_code(folder, KEY.encode())
    issued = [e for e in service.store.audit(event_id) if e.action == "case_sheet"]
    assert issued and issued[-1].details["code"] == code
    # What the sheet prints (rendered uncompressed to read it): the code and the opinion's words.
    plain = render(
        CaseSheet("DB-1", [("大厅", "市民中心")], "认定违规", None, code, "李四", datetime.now(UTC)), compress=False
    )
    assert code.encode() in plain
    copy = tmp_path / "case"
    shutil.copytree(folder, copy)
    cli = [sys.executable, "-m", "alerts.evidence", "verify", str(copy), "--config", str(ROOT / "configs/demo.yaml")]
    env = {"PYTHONPATH": str(ROOT), "HALLWATCH_EVIDENCE_KEY": KEY, "PATH": "/usr/bin:/bin"}
    assert subprocess.run([*cli, "--code", code.lower()], cwd=ROOT, env=env, capture_output=True).returncode == 0
    wrong = subprocess.run([*cli, "--code", "AAAA-AAAA-AAAA-AAAA"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert wrong.returncode == 1 and "verification code" in wrong.stdout
    snapshot = copy / "snapshot_raw.jpg"
    snapshot.write_bytes(snapshot.read_bytes()[:-1] + b"\x00")
    assert subprocess.run([*cli, "--code", code], cwd=ROOT, env=env, capture_output=True).returncode == 1


def test_a_manifest_never_records_the_cameras_password():
    from streams.evidence.manifest import without_credentials

    assert without_credentials("rtsp://admin:s3cret@10.0.0.5:554/Streaming/101") == "rtsp://10.0.0.5:554/Streaming/101"
    assert without_credentials("rtsp://10.0.0.5/live") == "rtsp://10.0.0.5/live"
    assert without_credentials("data/vtest.mp4") == "data/vtest.mp4"


def test_the_export_burns_the_overlay_into_an_annotated_copy(recorded, tmp_path):
    """Rendered by the alerting service from the signed clip and overlay: every frame of the raw
    clip, with the boxes drawn; overlay data that is not the contract's is not rendered, and the
    signed files go out all the same."""
    import shutil
    import zipfile

    from alerts.evidence.case import case_zip
    from streams.evidence.storage import LocalEvidenceStore

    cfg, _, updates = recorded
    event = updates[-1]
    store = LocalEvidenceStore(cfg.evidence.root)
    case_zip(store, event, [], tmp_path / "case.zip")
    archive = zipfile.ZipFile(tmp_path / "case.zip")
    names = set(archive.namelist())
    assert {
        "evidence/open_raw.mp4",
        "evidence/open_overlay.json",
        "annotated/open_annotated.mp4",
        "annotated/close_annotated.mp4",
        "annotated/README.txt",
    } <= names
    (tmp_path / "a.mp4").write_bytes(archive.read("annotated/open_annotated.mp4"))
    raw, annotated = (
        cv2.VideoCapture(str(p)) for p in (evidence_file(cfg, event["evidence"]["open_clip"]), tmp_path / "a.mp4")
    )
    assert raw.get(cv2.CAP_PROP_FRAME_COUNT) == annotated.get(cv2.CAP_PROP_FRAME_COUNT)
    for _ in range(int(5 * FPS)):  # 5 s in: crowded, both people boxed in red
        annotated.read()
    ok, frame = annotated.read()
    b, g, r = (int(v) for v in frame[330, 200])
    assert ok and r > 180 and g < 90 and b < 90, (b, g, r)
    # A case folder whose overlay data is not the contract's: exported without the rendering.
    broken = tmp_path / "root"
    shutil.copytree(cfg.evidence.root, broken)
    overlay = broken / event["evidence"]["open_overlay"]
    overlay.write_text(json.dumps({**json.loads(overlay.read_text()), "size": "big"}))
    case_zip(LocalEvidenceStore(broken), event, [], tmp_path / "broken.zip")
    names = set(zipfile.ZipFile(tmp_path / "broken.zip").namelist())
    assert "evidence/open_overlay.json" in names and "annotated/open_annotated.mp4" not in names
    assert "annotated/close_annotated.mp4" in names
