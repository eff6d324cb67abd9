"""Live ingest against a real RTSP server: the stream drops, the server restarts, the camera
comes back; no crash, and the status goes offline and back to online."""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import numpy as np
import pytest

from configs.model import Camera
from ingest.worker import CameraStatus, CameraWorker
from streams.broker import free_port
from tests.helpers import wait_for
from tests.rtsp_fixtures import RtspServer, have_gst_rtsp

pytestmark = pytest.mark.skipif(not have_gst_rtsp(), reason="GStreamer RTSP server not installed (scripts/setup.sh)")


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """120 s of MJPEG at 10 fps: a moving square on a grey floor."""
    path = tmp_path_factory.mktemp("rtsp") / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    for i in range(1200):
        frame = np.full((240, 320, 3), 90, np.uint8)
        x = (i * 3) % 280
        cv2.rectangle(frame, (x, 80), (x + 40, 160), (20, 200, 20), -1)
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture(scope="module")
def h264_clip(clip) -> Path:
    """The same clip in H.264 (a keyframe every second), as IP cameras send it."""
    path = clip.with_name("clip.mp4")
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(clip),
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-g",
            "10",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        check=True,
    )
    return path


def live_hall(port: int, empty_post: dict, evidence: dict | None = None, **camera):
    """One live camera watching one post (window w1); ``evidence`` (with its root) signed and
    recorded, or none; ``camera`` overrides the camera's fields."""
    from configs.loader import parse_config
    from tests.evidence_fixtures import FPS
    from tests.helpers import rect

    return parse_config(
        {
            "regions": [{"id": "c", "name": "市", "level": "city"}],
            "halls": [{"id": "h", "name": "大厅", "region": "c", "windows": [{"id": "w1"}]}],
            "cameras": [
                {
                    "id": "live",
                    "hall": "h",
                    "source": f"rtsp://127.0.0.1:{port}/cam",
                    "analysis_fps": FPS,
                    "stall_s": 5,
                    "zones": [{"id": "p1", "kind": "post", "window": "w1", "polygon": rect(0, 100, 200, 300)}],
                    **camera,
                }
            ],
            "rules": {"empty_post": empty_post},
            "evidence": {"enabled": False}
            if evidence is None
            else {"segment_s": 1, "hmac_key": "k", "min_free_mb": 0, "live_snapshot_s": 0, **evidence},
        }
    )


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_stream_drop_and_server_restart(clip, transport):
    port = free_port()
    server = RtspServer(port, clip)
    server.start()
    camera = Camera(
        id="live",
        hall="h",
        source=f"rtsp://127.0.0.1:{port}/cam",
        analysis_fps=5,
        stall_s=3,
        rtsp_transport=transport,
        reconnect_initial_s=0.5,
        reconnect_max_s=2,
    )
    frames = []
    worker = CameraWorker(camera, ZoneInfo("Asia/Shanghai"), frames.append)
    worker.start()
    try:
        wait_for(lambda: len(frames) >= 10, 30, "first frames")
        assert worker.status is CameraStatus.online
        assert worker.health()["status"] == "online"
        assert frames[0].image.shape == (240, 320, 3)

        server.kill()  # the stream drops
        wait_for(lambda: worker.status is CameraStatus.offline, 15, "offline after the drop")
        assert worker.health()["status"] == "offline"
        wait_for(lambda: worker.reconnects >= 2, 15, "reconnect attempts while the server is down")
        assert worker.thread.is_alive()

        seen = len(frames)
        server.start()  # the server comes back on the same address
        wait_for(lambda: len(frames) >= seen + 10, 30, "frames after the restart")
        assert worker.status is CameraStatus.online
        health = worker.health()
        assert health["status"] == "online" and health["reconnects"] >= 2
        assert health["last_frame_at"] is not None
    finally:
        worker.stop()
        worker.thread.join(20)
        server.kill()
    assert not worker.thread.is_alive()


def test_unreachable_camera_is_reported_not_fatal():
    camera = Camera(
        id="gone",
        hall="h",
        source=f"rtsp://127.0.0.1:{free_port()}/cam",
        stall_s=2,
        reconnect_initial_s=0.2,
        reconnect_max_s=0.5,
    )
    worker = CameraWorker(camera, ZoneInfo("Asia/Shanghai"), lambda f: None)
    worker.start()
    try:
        wait_for(lambda: worker.reconnects >= 2, 20, "retries")
        health = worker.health()
        assert health["status"] == "offline" and "cannot open" in health["error"]
    finally:
        worker.stop()
        worker.thread.join(20)
    assert not worker.thread.is_alive()


def test_a_camera_that_cannot_see_accuses_no_one(h264_clip, tmp_path):
    """An empty post open when an H.264 camera drops ends at the last frame seen (camera_offline);
    nothing opens while it is away; after it returns an episode starts afresh."""
    import time
    from datetime import datetime, timedelta

    from ingest.analysis import CameraAnalysis
    from tests.helpers import rect

    port = free_port()
    server = RtspServer(port, h264_clip, codec="h264")
    server.start()
    cfg = live_hall(
        port,
        {"after_s": 2, "return_s": 1},
        stall_s=3,
        reconnect_initial_s=0.5,
        reconnect_max_s=1,
        zones=[{"id": "p1", "kind": "post", "window": "w1", "polygon": rect(0, 0, 100, 100)}],
    )
    camera = cfg.cameras[0]
    events = []
    analysis = CameraAnalysis(cfg, camera, None, emit=events.append)  # no detector: nobody at the post
    worker = CameraWorker(camera, ZoneInfo(cfg.timezone), analysis.process, on_offline=analysis.camera_offline)
    worker.start()
    try:
        wait_for(lambda: any(v.is_open for v in events), 30, "an empty post to open")
        first = next(v for v in events if v.is_open)
        time.sleep(1)
        server.kill()  # the camera drops
        dropped = datetime.now(ZoneInfo(cfg.timezone))
        wait_for(lambda: any(v.status == "closed" for v in events), 20, "the outage to close it")
        closed = next(v for v in events if v.status == "closed")
        assert closed.event_id == first.event_id and closed.closed_reason == "camera_offline"
        # The last frame seen (frames already in the client's buffer may arrive just after the kill),
        # not the moment the outage was noticed, stall_s (3 s) later.
        assert closed.ended_at <= dropped + timedelta(seconds=1)
        time.sleep(4)  # the outage goes on: nothing new opens, nothing is counted as empty
        assert len(events) == 2
        server.start()
        returned = datetime.now(ZoneInfo(cfg.timezone))
        wait_for(lambda: len([v for v in events if v.is_open]) == 2, 30, "an episode after the outage")
        second = [v for v in events if v.is_open][1]
        assert second.event_id != first.event_id and second.started_at >= returned
    finally:
        worker.stop()
        worker.thread.join(20)
        server.kill()


def test_live_h264_evidence_is_joined_from_segments_recorded_by_stream_copy(tmp_path):
    """A live H.264 camera: its clips are segments recorded by stream copy over a second
    connection, on the same wall clock as the analysis: every frame through opened + post_s, in
    order across the joins, and the picture at the violation's opening in the clip is the one the
    analysis saw then (within a frame or two of network jitter)."""
    import json
    from datetime import timedelta

    from ingest.analysis import CameraAnalysis
    from streams.evidence.manifest import verify
    from streams.wire import encode
    from tests.evidence_fixtures import FPS, chromium_plays, decode_index, encode_index, write_source

    synthetic = []
    for i in range(int(120 * FPS)):  # frames that carry their own number
        image = np.full((480, 640, 3), 60, np.uint8)
        encode_index(image, i + 1)
        synthetic.append(type("F", (), {"image": image})())
    source = write_source(synthetic, tmp_path / "camera.mp4", gop_s=1)
    port = free_port()
    server = RtspServer(port, source, codec="h264", shared=True)
    server.start()
    cfg = live_hall(port, {"after_s": 8, "return_s": 1}, {"root": str(tmp_path / "evidence"), "pre_s": 3, "post_s": 3})
    camera = cfg.cameras[0]
    messages, updates = [], []
    analysis = CameraAnalysis(
        cfg,
        camera,
        None,
        emit=lambda v: messages.append(encode(v)),
        emit_update=lambda v: updates.append(encode(v)),
    )
    worker = CameraWorker(camera, ZoneInfo(cfg.timezone), analysis.process)
    worker.start()
    try:
        wait_for(lambda: any("open_clip" in u["evidence"] for u in updates), 60, "the open clip")
    finally:
        worker.stop()
        worker.thread.join(20)
        analysis.release()
        server.kill()
    assert analysis.recorder.clip_methods.get("segments") == 1, analysis.recorder.clip_methods
    opened = next(m for m in messages if m["status"] == "open")
    evidence = next(u for u in updates if "open_clip" in u["evidence"])["evidence"]
    root = tmp_path / "evidence"
    clip_start = datetime.fromisoformat(evidence["open_clip_start"])
    started = datetime.fromisoformat(opened["started_at"])
    opened_at = started + timedelta(seconds=8)  # after_s
    # The post is empty from the first frame, before the recorder's connection: the clip starts
    # where the recording does (on a segment boundary), well before the opening.
    assert started - timedelta(seconds=3 + 1.5) <= clip_start <= opened_at - timedelta(seconds=3)
    cap = cv2.VideoCapture(str(root / evidence["open_clip"]))
    indices = []
    while True:
        ok, image = cap.read()
        if not ok:
            break
        indices.append(decode_index(image))
    assert len(indices) / FPS >= (opened_at + timedelta(seconds=3) - clip_start).total_seconds() - 0.3
    assert indices == list(range(indices[0], indices[0] + len(indices)))  # every frame, in order: no gap at joins
    snapshot = decode_index(cv2.imread(str(root / evidence["snapshot_raw"])))
    at_opening = indices[round((opened_at - clip_start).total_seconds() * FPS)]
    assert abs(at_opening - snapshot) <= 2, (at_opening, snapshot)  # the two connections agree on the clock
    overlay = json.loads((root / evidence["open_overlay"]).read_text())
    assert overlay["clip_start"] == evidence["open_clip_start"] and overlay["frames"]
    # Signed like any clip: intact as written, and one changed byte of the joined clip is caught.
    folder = (root / evidence["manifest"]).parent
    assert verify(folder, b"k") == []
    if Path("/usr/bin/chromium").exists():  # the joined segments play in a browser, start to end
        duration, error = chromium_plays(root / evidence["open_clip"])
        assert error is None and abs(duration - len(indices) / FPS) <= 2 / FPS, (duration, len(indices))
    clip = root / evidence["open_clip"]
    data = bytearray(clip.read_bytes())
    data[len(data) // 2] ^= 0x01
    clip.write_bytes(bytes(data))
    assert verify(folder, b"k") == ["open_raw.mp4: SHA-256 differs (file altered)"]


def test_a_live_camera_stops_keeping_jpeg_frames_once_its_recording_has_begun(tmp_path):
    """The analysed frames are JPEG-encoded into memory (a few ms each) only while there is no
    recorded segment to cut clips from: once the recording has begun they stop, also on a camera
    that has had no violation yet (it used to encode every frame until its first clip was due)."""
    from datetime import UTC

    from ingest.analysis import CameraAnalysis
    from tests.evidence_fixtures import write_source

    still = type("F", (), {"image": np.full((240, 320, 3), 60, np.uint8)})()
    source = write_source([still] * 300, tmp_path / "camera.mp4", gop_s=1)  # the camera's H.264, no B-frames
    port = free_port()
    server = RtspServer(port, source, codec="h264", shared=True)
    server.start()
    cfg = live_hall(port, {"after_s": 3600}, {"root": str(tmp_path / "evidence")})  # no violation in this test
    analysis = CameraAnalysis(cfg, cfg.cameras[0], None, emit=lambda v: None)
    recorder = analysis.recorder
    assert recorder is not None
    kept = lambda: len(recorder.clips.ring.between(datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)))  # noqa: E731
    worker = CameraWorker(cfg.cameras[0], ZoneInfo(cfg.timezone), analysis.process)
    worker.start()
    try:
        wait_for(lambda: recorder.clips.recorder.covered_until() > 0 and analysis.frames > 0, 30, "a segment")
        wait_for(lambda: not recorder.clips.needs_frames, 5, "the ring to stop")
        frames, before = analysis.frames, kept()
        wait_for(lambda: analysis.frames >= frames + 10, 10, "ten more analysed frames")
        assert kept() == before  # no frame encoded since
    finally:
        worker.stop()
        worker.thread.join(20)
        analysis.release()
        server.kill()


def test_a_camera_decodes_on_one_thread_unless_told_and_the_frames_are_the_same(h264_clip):
    """``camera.decode_threads``: 1 by default (FFmpeg's own threads per stream cost CPU with
    many cameras on a machine), 0 = FFmpeg's choice; the pictures do not depend on it."""
    from ingest.sources import LiveSource, SourceStats, VideoFileSource

    tz = ZoneInfo("Asia/Shanghai")
    origin = datetime(2026, 12, 7, 9, 0, tzinfo=tz)

    def first_frames(camera: Camera, count: int = 12) -> list[np.ndarray]:
        source = VideoFileSource(camera, origin, SourceStats())
        frames = []
        for frame in source.frames():
            frames.append(frame.image)
            if len(frames) == count:
                break
        return frames

    file_camera = Camera(id="f", hall="h", source=str(h264_clip), analysis_fps=5)
    assert file_camera.decode_threads == 1
    one, chosen = first_frames(file_camera), first_frames(file_camera.model_copy(update={"decode_threads": 0}))
    assert len(one) == len(chosen) == 12
    assert all(np.array_equal(a, b) for a, b in zip(one, chosen))

    port = free_port()
    server = RtspServer(port, h264_clip, codec="h264")
    server.start()
    try:
        for threads in (1, 3):
            live = Camera(id="l", hall="h", source=f"rtsp://127.0.0.1:{port}/cam", decode_threads=threads)
            cap = LiveSource(live, tz, SourceStats()).open()
            try:
                assert cap.get(cv2.CAP_PROP_N_THREADS) == threads
                assert cap.read()[0]
            finally:
                cap.release()
    finally:
        server.kill()


def test_a_live_camera_is_read_as_fast_as_it_sends_while_its_analysis_is_slow(h264_clip):
    """The analysis takes 0.4 s a frame and every frame (10 a second) is wanted: the reader keeps
    taking the stream at its own pace and drops the frames the analysis could not take, oldest
    first; the frames analysed are the newest, so their content is the stream's present."""
    import time

    port = free_port()
    server = RtspServer(port, h264_clip, codec="h264")
    server.start()
    camera = Camera(id="live", hall="h", source=f"rtsp://127.0.0.1:{port}/cam", analysis_fps=10, stall_s=5)
    analysed: list[tuple[int, int]] = []

    def slow_analysis(frame):
        analysed.append((worker.stats.frames_in - frame.index, frame.index))  # frames read since this one
        time.sleep(0.4)

    worker = CameraWorker(camera, ZoneInfo("Asia/Shanghai"), slow_analysis)
    worker.start()
    try:
        wait_for(lambda: len(analysed) >= 2, 30, "first frames")
        started, read_before = time.monotonic(), worker.stats.frames_in
        time.sleep(6)
        read = worker.stats.frames_in - read_before
        elapsed = time.monotonic() - started
    finally:
        worker.stop()
        worker.thread.join(20)
        server.kill()
    assert read >= 0.8 * 10 * elapsed, (read, elapsed)  # the stream's pace, not the analysis' 2.5 a second
    assert worker.stats.frames_dropped >= 0.6 * read
    assert 0 <= worker.stats.frames_analysed - len(analysed) <= 2  # dropped ones are not counted as analysed
    later = analysed[len(analysed) // 2 :]
    assert all(age <= 3 for age, _ in later), later  # each analysed frame was among the last read
    assert all(b - a >= 3 for (_, a), (_, b) in zip(later, later[1:]))  # the ones between were dropped


def test_prefetch_of_the_newest_never_waits_for_its_consumer_and_says_what_it_dropped():
    import time

    from ingest.prefetch import prefetch

    dropped: list[int] = []
    produced_at: list[float] = []

    def source():
        for i in range(50):
            produced_at.append(time.monotonic())
            time.sleep(0.002)
            yield i

    got = []
    for item in prefetch(source(), depth=2, newest=True, dropped=dropped.append):
        got.append(item)
        time.sleep(0.05)
    assert got == sorted(got) and got[-1] == 49  # in order, the last one always arrives
    assert sorted(got + dropped) == list(range(50))  # each item either consumed or reported dropped
    assert produced_at[-1] - produced_at[0] < 0.5  # never waited for the 50 ms consumer (~2.5 s)
