"""A scripted service hall: people on known paths, seen by a camera with a real perspective, as the
tracks a detector and tracker would give (MOT rows for a ``mot:`` camera).

The demo plays it beside the real footage so that every rule shows within ten minutes (迟到, 早退,
缺岗, 离岗, 群众等候, 聚众聊天, 间距不足1米, 越线); the tests build their synthetic halls on the
same floor plan and camera.

The hall (floor metres): three windows with their posts behind the counter (y 0.3..1.3), a staff
area behind the counter with a back office strip (y -2..1.5), service areas in front of each window
(y 1.7..2.7) and a queue area (y 3.2..9). Actors walk straight lines between waypoints at 1.2 m/s.

    python -m ingest.scripted_hall --start 2026-03-02T09:00:00+08:00 --cycles 6 --out var/demo/scripted
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path

import cv2
import numpy as np
import yaml

FPS = 5.0
SPEED = 1.2
PERSON_HEIGHT_M = 1.7

# Floor rectangles (x0, y0, x1, y1) in metres.
POSTS = {f"p{i}": (3 * i + 0.5, 0.3, 3 * i + 2.0, 1.3) for i in range(3)}
FRONTS = {f"front{i}": (3 * i + 0.3, 1.7, 3 * i + 2.2, 2.7) for i in range(3)}
STAFF = ("staff", (0.0, -2.0, 9.0, 1.5))
QUEUE = ("queue", (0.0, 3.2, 9.0, 9.0))

# The camera: four floor points and where they appear in a 1280x720 image (a real perspective).
FLOOR_REF = np.array([[-0.5, -2.5], [9.5, -2.5], [9.5, 9.5], [-0.5, 9.5]], dtype=np.float64)
IMAGE_REF = np.array([[340, 80], [940, 80], [1240, 700], [40, 700]], dtype=np.float64)
FLOOR_TO_IMAGE = cv2.getPerspectiveTransform(FLOOR_REF.astype(np.float32), IMAGE_REF.astype(np.float32))
FRAME_SIZE = (1280, 720)


def to_image(points: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 1, 2)
    return cv2.perspectiveTransform(pts, FLOOR_TO_IMAGE).reshape(-1, 2)


def rect_polygon(r: tuple[float, float, float, float]) -> list[list[float]]:
    x0, y0, x1, y1 = r
    corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    return [[round(float(x), 2), round(float(y), 2)] for x, y in to_image(corners)]


def in_rect(p: np.ndarray, r: tuple[float, float, float, float]) -> bool:
    return r[0] <= p[0] <= r[2] and r[1] <= p[1] <= r[3]


def post_centre(i: int) -> tuple[float, float]:
    x0, y0, x1, y1 = POSTS[f"p{i}"]
    return (x0 + x1) / 2, (y0 + y1) / 2


@dataclass
class Actor:
    """Waypoints (time_s, x, y): the actor stands at each until the next time, then walks."""

    name: str
    plan: list[tuple[float, float, float]]
    duration_s: float = 900.0
    positions: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        times = np.arange(int(self.duration_s * FPS)) / FPS
        pos = np.zeros((len(times), 2))
        t_cursor, here = self.plan[0][0], np.array(self.plan[0][1:], dtype=float)
        segments = []  # (t_start, t_end, from, to)
        for t_leave, x, y in self.plan[1:]:
            target = np.array([x, y], dtype=float)
            walk = float(np.linalg.norm(target - here)) / SPEED
            segments.append((t_cursor, t_leave, here, here))
            segments.append((t_leave, t_leave + walk, here, target))
            t_cursor, here = t_leave + walk, target
        segments.append((t_cursor, np.inf, here, here))
        for i, t in enumerate(times):
            for start, end, a, b in segments:
                if start <= t < end:
                    frac = 0.0 if not np.isfinite(end) or end == start else (t - start) / (end - start)
                    pos[i] = a + (b - a) * frac
                    break
        self.positions = pos


def boxes_for(floor_points: np.ndarray) -> np.ndarray:
    """Person boxes standing on the floor points: height from the local image scale."""
    feet = to_image(floor_points)
    ahead = to_image(np.asarray(floor_points, dtype=np.float64) - np.array([0.0, 0.3]))  # 0.3 m further away
    scale = np.linalg.norm(feet - ahead, axis=1) / 0.3  # pixels per metre, near enough
    height = scale * PERSON_HEIGHT_M * 0.9
    width = height * 0.4
    return np.column_stack([feet[:, 0] - width / 2, feet[:, 1] - height, feet[:, 0] + width / 2, feet[:, 1]])


# -- the demo's ten minutes -------------------------------------------------------------------------
CYCLE_S = 600.0
PERIODS_S = ((60.0, 240.0), (300.0, 540.0))  # two service periods in each cycle: +1..+4 and +5..+9 min
BACK_OFFICE = {0: (1.0, -1.5), 1: (4.5, -1.5), 2: (7.5, -1.5)}
OUTSIDE = (9.6, 8.8)  # beside the queue area, out of every zone


def demo_actors() -> list[Actor]:
    """One cycle: 迟到 and 早退 at window 1, 离岗 and 聚众聊天 at windows 2 and 3 (two clerks chat in
    the back office), 缺岗 at window 3 after the break, a citizen left waiting there, a customer too
    close in the queue (间距不足1米) and one crossing the line to window 2 (越线)."""
    a, b, c = post_centre(0), post_centre(1), post_centre(2)
    d = CYCLE_S
    return [
        # Window 1: comes at +2:00 (the period began at +1:00: late), leaves at +8:00 (an hour's
        # last minute early).
        Actor("clerk_1", [(0, *BACK_OFFICE[0]), (120, *a), (480, *BACK_OFFICE[0])], d),
        # Windows 2 and 3: both go to the back office at +2:30 and talk 1 m apart until +3:30.
        Actor("clerk_2", [(0, *b), (150, 5.5, -1.2), (210, *b)], d),
        Actor("clerk_3", [(0, *c), (150, 6.5, -1.2), (210, *c), (245, *BACK_OFFICE[2])], d),  # and away after +4:05
        # A citizen waits at window 3 from +5:30 to +6:30: nobody is there.
        Actor("citizen", [(0, *OUTSIDE), (330, 7.25, 2.2), (390, *OUTSIDE)], d),
        # Someone is served at window 2 all along; a queue at 1.3 m spacing.
        Actor("served_2", [(0, 4.25, 2.2)], d),
        Actor("queue_1", [(0, 4.5, 3.6)], d),
        Actor("queue_2", [(0, 4.5, 4.9)], d),
        # A customer 0.6 m behind the last of the queue from +6:40 to +7:05.
        Actor("pusher", [(0, *OUTSIDE), (400, 4.5, 5.5), (425, *OUTSIDE)], d),
        # A customer walks into window 2's service area while someone is served there (+7:20).
        Actor("crosser", [(0, 9.6, 6.5), (430, 9.6, 2.4), (436, 4.9, 2.4), (455, 9.6, 2.4), (465, 9.6, 6.5)], d),
    ]


def post_spans(actors: list[Actor]) -> dict[str, list[tuple[float, float]]]:
    """When someone is at each window's post (``w1``…), in seconds, read off the actors' paths."""
    out: dict[str, list[tuple[float, float]]] = {}
    for i, rect in enumerate(POSTS.values()):
        inside = np.array([[in_rect(p, rect) for p in a.positions] for a in actors]).any(axis=0)
        edges = np.flatnonzero(np.diff(np.concatenate([[0], inside.astype(int), [0]])))
        out[f"w{i + 1}"] = [(float(s) / FPS, float(e) / FPS) for s, e in zip(edges[::2], edges[1::2], strict=True)]
    return out


def mot_rows(actors: list[Actor], first_frame: int = 1) -> list[str]:
    """The actors as MOT rows (``frame,id,left,top,width,height,conf,-1,-1,-1``), ids from 1."""
    rows = []
    for k in range(len(actors[0].positions)):
        boxes = boxes_for(np.array([a.positions[k] for a in actors]))
        for i, (x0, y0, x1, y1) in enumerate(boxes):
            rows.append(f"{first_frame + k},{i + 1},{x0:.1f},{y0:.1f},{x1 - x0:.1f},{y1 - y0:.1f},1,-1,-1,-1")
    return rows


HALL_ID, CAMERA_ID = "scripted-hall", "scripted-cam"


def hall_config(start: datetime, cycles: int, mot_path: str, region: str) -> dict:
    """The scripted hall, its schedule (the cycles' service periods from ``start``, whole minutes) and
    its ``mot:`` camera, as config sections; every rule's thresholds set on its zones."""
    windows = [{"id": f"w{i + 1}", "name": f"{i + 1}号窗口"} for i in range(3)]
    periods = []
    for k in range(cycles):
        for a, b in PERIODS_S:
            s, e = start + timedelta(seconds=k * CYCLE_S + a), start + timedelta(seconds=k * CYCLE_S + b)
            if e.date() == s.date():
                periods.append([s.strftime("%H:%M"), e.strftime("%H:%M")])
            else:  # a weekly plan's periods are of one day: one that crosses midnight is two
                periods.append([s.strftime("%H:%M"), "24:00"])
                if e.time() != time(0):
                    periods.append(["00:00", e.strftime("%H:%M")])
    post_rules = {"empty_post": {"after_s": 30, "return_s": 3, "late_after_s": 30, "early_before_s": 30}}
    zones = [
        {"id": f"p{i + 1}", "name": f"{i + 1}号窗口岗位", "kind": "post", "window": f"w{i + 1}",
         "polygon": rect_polygon(r), "rules": post_rules}
        for i, r in enumerate(POSTS.values())
    ]  # fmt: skip
    zones += [
        {"id": f"front{i + 1}", "name": f"{i + 1}号窗口服务区", "kind": "service_area", "window": f"w{i + 1}",
         "polygon": rect_polygon(r), "rules": {"citizen_waiting": {"wait_s": 20, "clear_s": 3}}}
        for i, r in enumerate(FRONTS.values())
    ]  # fmt: skip
    zones += [
        {"id": "staff", "name": "后台办公区", "kind": "staff_area", "polygon": rect_polygon(STAFF[1]),
         "rules": {"staff_chatting": {"min_people": 2, "radius_m": 1.5, "min_duration_s": 20, "clear_s": 3}}},
        {"id": "queue", "name": "等候区", "kind": "queue_area", "polygon": rect_polygon(QUEUE[1]),
         "rules": {"queue_crowding": {"min_distance_m": 1.0, "min_duration_s": 5, "clear_s": 2}}},
    ]  # fmt: skip
    return {
        "hall": {"id": HALL_ID, "name": "演示大厅（脚本）", "region": region, "schedule": HALL_ID, "windows": windows},
        "rosters": [
            {"hall": HALL_ID, "window": f"w{i + 1}", "person": person}
            for i, person in enumerate(("张伟", "刘洋", "陈静"))
        ],
        "schedule": {
            "weekly": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "periods": periods}],
            "holidays": {"use_prc_calendar": False, "closed": []},
        },
        "camera": {
            "id": CAMERA_ID,
            "hall": HALL_ID,
            "name": "演示大厅全景（脚本回放）",
            "source": f"mot:{mot_path}",
            "frame_size": list(FRAME_SIZE),
            "source_fps": FPS,
            "analysis_fps": FPS,
            "start_time": start.isoformat(),
            "calibration": {"image": IMAGE_REF.tolist(), "floor": FLOOR_REF.tolist()},
            "zones": zones,
        },
    }


def write(out: Path, start: datetime, cycles: int, region: str) -> dict:
    """Writes the cycles' tracks (``tracks.txt``) into ``out``; returns the config sections."""
    out.mkdir(parents=True, exist_ok=True)
    actors = demo_actors()
    rows: list[str] = []
    per_cycle = len(actors[0].positions)
    for k in range(cycles):
        rows += mot_rows(actors, first_frame=1 + k * per_cycle)
    tracks = out / "tracks.txt"
    tracks.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return hall_config(start, cycles, str(tracks), region)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m ingest.scripted_hall", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--start", required=True, help="the first cycle's start, ISO 8601 with an offset, whole minute")
    parser.add_argument("--cycles", type=int, default=6)
    parser.add_argument("--region", default="lianhua")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    sections = write(args.out, datetime.fromisoformat(args.start), args.cycles, args.region)
    (args.out / "sections.yaml").write_text(yaml.safe_dump(sections, allow_unicode=True, sort_keys=False))


if __name__ == "__main__":
    main()
