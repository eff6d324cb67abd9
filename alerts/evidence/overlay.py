"""The annotated evidence copy: zones, boxes with track ids, people counted, the one-metre
distances that triggered, a burned-in timestamp and the hall/camera/window names in Chinese."""
from __future__ import annotations

from datetime import datetime

import cv2
import numpy as np

from configs.model import Camera, ZoneKind
from detectors.draw import draw_zones, put_texts
from detectors.rules.geometry import inside

TYPE_NAMES = {"empty_post": "空岗/离岗", "staff_chatting": "聚众聊天/串岗", "queue_crowding": "一米线拥挤"}
REASON_NAMES = {"empty": "岗位无人", "gathering": "聚集", "too_close": "间距不足1米", "line_crossed": "越线",
                "over_capacity": "排队超员"}


def annotate(image: np.ndarray, when: datetime, people: tuple, camera: Camera, event: dict, titles: dict) -> np.ndarray:
    out = image.copy()
    labels = draw_zones(out, list(camera.zones))
    zone = next((z for z in camera.zones if z.id == event["zone_id"]), None)
    involved = set(event.get("track_ids") or [])
    feet = np.array([[(p[1][0] + p[1][2]) / 2, p[1][3]] for p in people]).reshape(-1, 2)
    in_zone = inside(feet, np.asarray(zone.polygon)) if zone is not None else np.zeros(len(people), bool)
    if zone is not None:
        cv2.polylines(out, [np.asarray(zone.polygon, np.int32)], True, (0, 0, 255), 4, cv2.LINE_AA)
    for i, (track_id, box, floor) in enumerate(people):
        x1, y1, x2, y2 = (int(v) for v in box)
        colour = (0, 0, 255) if track_id in involved or in_zone[i] else (0, 255, 0)
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, 2)
        labels.append((f"#{track_id}", (x1, max(0, y1 - 20)), colour))
    if event["type"] == "queue_crowding" and zone is not None and zone.kind is ZoneKind.queue_area:
        members = [i for i in range(len(people)) if in_zone[i] and people[i][2] is not None]
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                pa, pb = people[members[a]], people[members[b]]
                d = float(np.hypot(pa[2][0] - pb[2][0], pa[2][1] - pb[2][1]))
                if d < titles.get("min_distance_m", 1.0):
                    fa, fb = feet[members[a]].astype(int), feet[members[b]].astype(int)
                    cv2.line(out, tuple(fa), tuple(fb), (0, 0, 255), 3, cv2.LINE_AA)
                    mid = ((fa + fb) // 2).tolist()
                    labels.append((f"{d:.2f} m", (mid[0], mid[1] - 22), (0, 0, 255)))
    counted = int(in_zone.sum())
    kind = f"{TYPE_NAMES.get(event['type'], event['type'])} · {REASON_NAMES.get(event.get('reason'), '')}"
    labels += [
        (f"{titles['hall']} · {titles['camera']} · {titles.get('window') or ''}", (10, 8), (255, 255, 255)),
        (f"{kind} · 区域 {event['zone_id']} 内人数 {counted}", (10, 36), (0, 215, 255)),
        (when.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + when.strftime(" %z"), (10, out.shape[0] - 30), (255, 255, 255)),
    ]
    return put_texts(out, labels, size=18)
