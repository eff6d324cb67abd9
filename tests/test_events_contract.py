"""Violation messages: JSON Schema, --events-out, absences registered through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker

from domain.events import VIOLATION_SCHEMA, Violation
from streams import wire
from tests.conftest import ROOT
from tests.helpers import rect, write_mot

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def hall_yaml(tmp_path, mot, **extra) -> str:
    config = {
        "regions": [
            {"id": "c", "name": "市", "level": "city"},
            {"id": "k", "name": "县", "level": "county", "parent": "c"},
            {"id": "t", "name": "乡", "level": "township", "parent": "k"},
        ],
        "halls": [{"id": "h1", "name": "便民服务中心", "region": "k", "windows": [{"id": "w1"}, {"id": "w2"}]}],
        "cameras": [
            {
                "id": "cam",
                "hall": "h1",
                "source": f"mot:{mot}",
                "frame_size": [1000, 1000],
                "source_fps": 5,
                "analysis_fps": 5,
                "start_time": "2026-03-02T09:00:00+08:00",
                "calibration": {"image": rect(0, 0, 1000, 1000), "floor": rect(0, 0, 10, 10)},
                "zones": [
                    {"id": "p1", "kind": "post", "window": "w1", "polygon": rect(100, 100, 200, 200)},
                    {"id": "queue", "kind": "queue_area", "polygon": rect(0, 500, 1000, 1000)},
                    {"id": "staff", "kind": "staff_area", "polygon": rect(0, 0, 1000, 400)},
                ],
            }
        ],
        "rules": {
            "empty_post": {"after_s": 20, "return_s": 2},
            "staff_chatting": {"min_duration_s": 5},
            "queue_crowding": {"min_duration_s": 2},
        },
        **extra,
    }
    path = tmp_path / "hall.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    return str(path)


def run_pipeline(config: str, events) -> None:
    result = subprocess.run(
        [sys.executable, "run_pipeline.py", "--config", config, "--no-kafka", "--events-out", str(events)],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_every_message_matches_the_published_schema(tmp_path):
    rows = [(f, 1, 150, 150) for f in range(1, 11)]  # clerk leaves after 2 s
    rows += [(f, 2, 400, 300) for f in range(1, 301)] + [(f, 3, 480, 300) for f in range(1, 301)]  # chatting
    rows += [(f, 4, 300, 700) for f in range(1, 301)] + [(f, 5, 360, 700) for f in range(1, 301)]  # too close
    mot = write_mot(tmp_path / "t.txt", rows)
    events = tmp_path / "events.jsonl"
    run_pipeline(hall_yaml(tmp_path, mot), events)
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    validator = Draft202012Validator(wire.json_schema(VIOLATION_SCHEMA), format_checker=FormatChecker())
    for line in lines:
        assert not list(validator.iter_errors(line)), line
        assert wire.encode(wire.decode(Violation, json.dumps(line))) == line  # decoded and encoded again
    types = {(m["type"], m["status"]) for m in lines}
    assert types == {(t, s) for t in ("empty_post", "staff_chatting", "queue_crowding") for s in ("open", "closed")}
    first = lines[0]
    assert first["region_path"] == ["c", "k"] and first["level"] == "county"
    bad = {**first, "status": "closed"}  # closed without ended_at/closed_reason
    with pytest.raises(wire.BadMessage, match="closed violation needs ended_at"):
        wire.decode(Violation, json.dumps(bad))


def test_absence_registered_through_the_cli_suppresses_empty_post(tmp_path):
    book = tmp_path / "absences.jsonl"
    register = subprocess.run(
        [
            sys.executable,
            "-m",
            "streams.absence_book",
            "--file",
            str(book),
            "add",
            "--hall",
            "h1",
            "--window",
            "w1",
            "--from",
            "2026-03-02T09:00:30+08:00",
            "--until",
            "2026-03-02T09:10:00+08:00",
            "--reason",
            "到县局开会",
            "--by",
            "值班员王五",
        ],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert register.returncode == 0, register.stderr
    rows = [(f, 1, 150, 150) for f in range(1, 6)] + [(f, 9, 900, 50) for f in range(1, 301)]
    mot = write_mot(tmp_path / "t.txt", rows)
    events = tmp_path / "events.jsonl"
    run_pipeline(hall_yaml(tmp_path, mot, absences_file=str(book)), events)
    empty = [json.loads(line) for line in events.read_text().splitlines()]
    empty = [m for m in empty if m["type"] == "empty_post"]
    assert [m["status"] for m in empty] == ["open", "closed"]
    closed = empty[1]
    assert closed["closed_reason"] == "absence" and closed["ended_at"] == "2026-03-02T09:00:30+08:00"
    assert closed["suppressed"]["reason"] == "到县局开会" and closed["suppressed"]["registered_by"] == "值班员王五"


def test_absence_cli_rejects_a_span_that_ends_before_it_starts(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "streams.absence_book",
            "--file",
            str(tmp_path / "a.jsonl"),
            "add",
            "--hall",
            "h1",
            "--window",
            "w1",
            "--from",
            "2026-03-02T10:00+08:00",
            "--until",
            "2026-03-02T09:00+08:00",
            "--reason",
            "x",
            "--by",
            "y",
        ],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "after" in result.stderr


def test_a_camera_that_failed_for_good_makes_the_run_fail(tmp_path):
    """A missing video file is logged and the pipeline exits non-zero (it analysed nothing)."""
    config = hall_yaml(tmp_path, tmp_path / "t.txt")
    data = yaml.safe_load(open(config))
    data["cameras"][0].update(source=str(tmp_path / "no-such-video.mp4"))
    del data["cameras"][0]["frame_size"]
    data["evidence"] = {"enabled": False}
    (tmp_path / "hall.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    result = subprocess.run(
        [sys.executable, "run_pipeline.py", "--config", config, "--no-kafka"],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert "camera cam failed" in result.stderr


def test_the_committed_schemas_are_the_generated_ones():
    """Each message is defined once (domain.events); its JSON Schema is generated from it, and the
    committed copy for other languages' consumers must be that one."""
    result = subprocess.run(
        [sys.executable, "-m", "streams.wire", "schemas", "--check"], cwd=ROOT, env=ENV, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    for name in wire.MESSAGES:
        assert json.loads((ROOT / "streams" / "schemas" / f"{name}.json").read_text()) == wire.json_schema(name)
