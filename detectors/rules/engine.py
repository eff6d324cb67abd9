"""All rules of one camera: (time, people) in, typed ``Violation`` events out. Pure: no I/O, no
clock other than ``produced_at`` (injectable), no globals. A little longer than 400 lines: the
engine's per-zone bookkeeping stays in one place (the rules themselves are in their own modules).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from configs.model import Camera, HallwatchConfig, Rules, Zone, ZoneKind, effective_rules
from detectors.rules import snapshot
from detectors.rules.absences import supervision_at
from detectors.rules.empty_post import EmptyPostState
from detectors.rules.episodes import EpisodeTracker, Transition
from detectors.rules.geometry import ZoneSet, close_pairs, closest_pair, pairwise_distances, single_linkage_groups
from detectors.rules.service_meter import ServiceMeter
from domain.checkpoint import RULE_STATE_SCHEMA, VERSION, RuleCheckpoint
from domain.events import Absence, ClosePair, ServiceMinute, Violation
from domain.service_calendar import ServiceCalendar

_DAY = timedelta(days=1)
EVENT_NAMESPACE = uuid.UUID("6f1d8a52-3c1e-4c55-9b53-2f7a9e3f0c11")


@dataclass(frozen=True, slots=True)
class Person:
    track_id: int
    foot: tuple[float, float]  # image pixels
    floor: tuple[float, float] | None = None  # metres, when the camera is calibrated
    detected: bool = True  # False: held by the tracker through a missed detection
    score: float = 1.0  # the detector's confidence (1 for annotated or replayed tracks)


@dataclass(frozen=True, slots=True)
class Observation:
    """The people at one analysed frame. ``arrays`` (ids, feet, floor) may be given by a caller
    that already holds them as arrays (the pipeline); otherwise they are built from ``people``."""

    time: datetime
    frame: int
    people: tuple[Person, ...]
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None = None

    def as_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        if self.arrays is not None:
            return self.arrays
        people = self.people
        ids = np.array([p.track_id for p in people], dtype=int)
        feet = np.array([p.foot for p in people], dtype=float).reshape(-1, 2)
        floor = (
            np.array([p.floor for p in people], dtype=float).reshape(-1, 2)
            if all(p.floor is not None for p in people)
            else None
        )
        return ids, feet, floor


@dataclass
class _ZoneRule:
    zone: Zone
    polygon: np.ndarray
    rules: Rules
    calendar: ServiceCalendar
    tracker: EpisodeTracker | EmptyPostState
    type: str
    column: int  # the zone's column in the frame's membership matrix
    post_columns: np.ndarray | None = None  # citizen_waiting: the columns of the window's posts


@dataclass
class _Frame:
    """Per-frame arrays shared by all zones."""

    ids: np.ndarray
    feet: np.ndarray
    floor: np.ndarray | None
    membership: np.ndarray  # [person, zone of the camera]
    post_of: np.ndarray  # index of the first post zone containing each person, else -1
    people: tuple[Person, ...] = ()

    def distances(self, idx: np.ndarray) -> np.ndarray:
        """Floor distances among the people ``idx``."""
        return pairwise_distances(self.floor[idx])

    def detection(self, idx: np.ndarray) -> tuple[int, int, int, float]:
        """(frames, people, of them detected, sum of their scores) of the people ``idx`` at this
        frame: how much of a violation rests on real detections rather than held tracks."""
        if not self.people:  # arrays only (e.g. a benchmark): count them as detected
            return 1, len(idx), len(idx), float(len(idx))
        chosen = [self.people[i] for i in idx.tolist()]
        detected = [p for p in chosen if p.detected]
        return 1, len(chosen), len(detected), float(sum(p.score for p in detected))


class CameraRules:
    def __init__(
        self,
        cfg: HallwatchConfig,
        camera: Camera,
        absences: Callable[[], list[Absence]] = list,
        clock: Callable[[], datetime] | None = None,
    ):
        self.cfg = cfg
        self.camera = camera
        self.hall = cfg.hall(camera.hall)
        self.region = cfg.region(self.hall.region)
        self.region_path = cfg.region_path(self.hall.region)
        self.tz = ZoneInfo(cfg.timezone)
        self.absences = absences
        self.clock = clock or (lambda: datetime.now(self.tz))
        self.calibrated = camera.calibration is not None
        calendars: dict[str | None, ServiceCalendar] = {}

        def calendar(name: str | None) -> ServiceCalendar:
            if name not in calendars:
                calendars[name] = ServiceCalendar(cfg.schedules.get(name) if name else None, self.tz, name or "")
            return calendars[name]

        windows = {w.id: w for w in self.hall.windows}
        zones = list(camera.zones)
        self._post_columns = np.array([i for i, z in enumerate(zones) if z.kind is ZoneKind.post], dtype=int)
        posts_of: dict[str, list[int]] = {}
        for i, z in enumerate(zones):
            if z.kind is ZoneKind.post and z.window:
                posts_of.setdefault(z.window, []).append(i)
        self.zone_rules: list[_ZoneRule] = []
        for column, zone in enumerate(zones):
            rules = effective_rules(cfg.rules, zone.rules)
            window = windows.get(zone.window) if zone.window else None
            schedule = (window.schedule if window and window.schedule else None) or self.hall.schedule
            polygon = np.asarray(zone.polygon, dtype=float)
            if zone.kind is ZoneKind.post and rules.empty_post.enabled:
                tracker: EpisodeTracker | EmptyPostState = EmptyPostState(rules.empty_post)
                kind = "empty_post"
            elif zone.kind is ZoneKind.staff_area and rules.staff_chatting.enabled:
                r = rules.staff_chatting
                tracker, kind = EpisodeTracker(r.min_duration_s, r.clear_s), "staff_chatting"
            elif zone.kind in (ZoneKind.service_area, ZoneKind.queue_area) and rules.queue_crowding.enabled:
                r = rules.queue_crowding
                tracker, kind = EpisodeTracker(r.min_duration_s, r.clear_s), "queue_crowding"
            else:
                tracker, kind = None, ""
            if tracker is not None:
                self.zone_rules.append(_ZoneRule(zone, polygon, rules, calendar(schedule), tracker, kind, column))
            waiting = rules.citizen_waiting
            if zone.kind is ZoneKind.service_area and waiting.enabled and posts_of.get(zone.window or ""):
                self.zone_rules.append(
                    _ZoneRule(
                        zone,
                        polygon,
                        rules,
                        calendar(schedule),
                        EpisodeTracker(waiting.wait_s, waiting.clear_s),
                        "citizen_waiting",
                        column,
                        np.array(posts_of[zone.window], dtype=int),
                    )
                )
        self._zones = ZoneSet([z.polygon for z in zones])
        self.meter = ServiceMeter(
            camera.id,
            self.hall.id,
            posts_of,
            [
                (z.id, z.kind.value, z.window, i)
                for i, z in enumerate(zones)
                if z.kind in (ZoneKind.queue_area, ZoneKind.service_area)
            ],
            1.0 / camera.analysis_fps,
            self.clock,
        )
        self.last_time: datetime | None = None
        self.last_frame: int | None = None

    # -- per frame ------------------------------------------------------------------------------
    def step(self, obs: Observation) -> list[Violation]:
        self.last_time, self.last_frame = obs.time, obs.frame
        ids, feet, floor = obs.as_arrays()
        membership = self._zones.contains(feet)
        in_post = membership[:, self._post_columns]
        frame = _Frame(
            ids=ids,
            feet=feet,
            floor=floor if self.calibrated else None,
            membership=membership,
            post_of=(
                np.where(in_post.any(axis=1), in_post.argmax(axis=1), -1)
                if in_post.shape[1]
                else np.full(len(feet), -1)
            ),
            people=obs.people,
        )
        messages: list[Violation] = []
        for zr in self.zone_rules:
            members = membership[:, zr.column]
            if zr.type == "empty_post":
                transitions = self._empty_post(zr, obs.time, frame, members)
            elif zr.type == "staff_chatting":
                transitions = self._staff_chatting(zr, obs.time, frame, members)
            elif zr.type == "citizen_waiting":
                transitions = self._citizen_waiting(zr, obs.time, frame, members)
            else:
                transitions = self._queue(zr, obs.time, frame, members)
            messages.extend(self._message(zr, tr, obs.time) for tr in transitions)
        self.meter.step(obs.time, ids, membership)
        return messages

    def measurements(self) -> list[ServiceMinute]:
        """The minutes completed so far (see ``detectors/rules/service_meter.py``), each once."""
        return self.meter.drain()

    def finish(self, reason: str = "end_of_stream") -> list[Violation]:
        """Close every open violation at the last analysed frame: the end of the input, or
        (``camera_offline``) a camera that stopped delivering frames."""
        self.meter.flush()
        if self.last_time is None:
            return []
        messages = []
        for zr in self.zone_rules:
            tracker = zr.tracker
            transitions = (
                tracker.finish(self.last_time) if isinstance(tracker, EmptyPostState) else tracker.finish(reason)
            )
            for tr in transitions:
                if tr.kind == "close":
                    tr = Transition("close", tr.episode, ended_at=tr.ended_at, closed_reason=reason)
                messages.append(self._message(zr, tr, self.last_time))
        return messages

    # -- moving a camera between workers -----------------------------------------------------------
    def snapshot(self) -> RuleCheckpoint:
        """The rule state as a checkpoint message (``domain.checkpoint``)."""
        return RuleCheckpoint(
            schema=RULE_STATE_SCHEMA,
            version=VERSION,
            camera_id=self.camera.id,
            last_time=self.last_time,
            zones={f"{zr.zone.id}|{zr.type}": snapshot.tracker_out(zr.tracker) for zr in self.zone_rules},
        )

    def restore(self, state: RuleCheckpoint) -> None:
        """Continue from another worker's checkpoint of this camera. Zones the config no longer has
        are ignored; new zones start afresh; a zone whose rule changed kind starts afresh too."""
        if state.camera_id != self.camera.id:
            return
        for zr in self.zone_rules:
            data = state.zones.get(f"{zr.zone.id}|{zr.type}")
            if data is not None:
                snapshot.tracker_in(zr.tracker, data)
        self.last_time = state.last_time

    def structure(self) -> tuple:
        """Changes when an episode starts, opens or ends: when a checkpoint matters."""
        return tuple(snapshot.structure(zr.tracker) for zr in self.zone_rules)

    def interrupt(self) -> list[Violation]:
        """The camera went offline: what is open ends at the last frame seen (``camera_offline``),
        and every rule starts afresh when frames flow again (unseen time is never "empty")."""
        closed = self.finish("camera_offline")
        for zr in self.zone_rules:
            tracker = zr.tracker
            zr.tracker = (
                EmptyPostState(tracker.rule)
                if isinstance(tracker, EmptyPostState)
                else EpisodeTracker(tracker.min_duration_s, tracker.clear_s)
            )
        self.last_time = self.last_frame = None
        return closed

    # -- the rules ------------------------------------------------------------------------------
    def _in_service(self, zr: _ZoneRule, t: datetime, always: bool) -> bool:
        return always or zr.calendar.interval_at(t) is not None

    def _empty_post(self, zr: _ZoneRule, t: datetime, frame: _Frame, members: np.ndarray) -> list[Transition]:
        mine = [
            a
            for a in self.absences()
            if a.covers(self.hall.id, zr.zone.window, zr.zone.id) and a.end > t - _DAY and a.start < t + _DAY
        ]
        sup = supervision_at(t, zr.calendar, mine)
        assert isinstance(zr.tracker, EmptyPostState)
        return zr.tracker.step(t, bool(members.any()), sup)

    def _staff_chatting(self, zr: _ZoneRule, t: datetime, frame: _Frame, members: np.ndarray) -> list[Transition]:
        rule = zr.rules.staff_chatting
        assert isinstance(zr.tracker, EpisodeTracker)
        if frame.floor is None or not self._in_service(zr, t, rule.always) or members.sum() < rule.min_people:
            return zr.tracker.step(t, False)
        idx = np.flatnonzero(members)
        post_of = frame.post_of[idx]
        best: np.ndarray | None = None
        for group in single_linkage_groups(frame.distances(idx), rule.radius_m, rule.min_people):
            # Not a gathering: clerks each alone at their own (adjacent) post.
            posts = post_of[group]
            at_posts = posts[posts >= 0]
            qualifies = len(at_posts) < len(posts) or len(np.unique(at_posts)) < len(at_posts)
            if qualifies and (best is None or len(group) > len(best)):
                best = group
        if best is None:
            return zr.tracker.step(t, False)
        ids = frame.ids[idx[best]].tolist()
        return zr.tracker.step(
            t, True, {"people": len(best), "track_ids": ids, "detection": frame.detection(idx[best])}
        )

    def _citizen_waiting(self, zr: _ZoneRule, t: datetime, frame: _Frame, members: np.ndarray) -> list[Transition]:
        """Someone stands in the window's service area while none of its posts is occupied."""
        assert isinstance(zr.tracker, EpisodeTracker)
        holds = (
            members.any() and not frame.membership[:, zr.post_columns].any() and zr.calendar.interval_at(t) is not None
        )
        if not holds:
            return zr.tracker.step(t, False)
        idx = np.flatnonzero(members)
        return zr.tracker.step(
            t, True, {"people": len(idx), "track_ids": frame.ids[idx].tolist(), "detection": frame.detection(idx)}
        )

    def _queue(self, zr: _ZoneRule, t: datetime, frame: _Frame, members: np.ndarray) -> list[Transition]:
        rule = zr.rules.queue_crowding
        assert isinstance(zr.tracker, EpisodeTracker)
        if not self._in_service(zr, t, rule.always):
            return zr.tracker.step(t, False)
        idx = np.flatnonzero(members)
        count = len(idx)
        reasons: list[str] = []
        min_distance = None
        pairs: list[tuple[tuple[int, int], float]] = []
        if zr.zone.kind is ZoneKind.service_area:
            if count > rule.max_in_service_area:
                reasons.append("line_crossed")
        else:
            if rule.max_in_queue is not None and count > rule.max_in_queue:
                reasons.append("over_capacity")
            if frame.floor is not None and count >= 2:
                distances = frame.distances(idx)
                pair = closest_pair(distances)
                if pair is not None and pair[0] < rule.min_distance_m:
                    reasons.append("too_close")
                    min_distance = round(pair[0], 3)
                    if self._closest_so_far(zr, t, rule.clear_s, min_distance):
                        i, j, d = close_pairs(distances, rule.min_distance_m)
                        ids = frame.ids[idx]
                        pairs = list(zip(zip(ids[i].tolist(), ids[j].tolist()), np.round(d, 3).tolist()))
        if not reasons:
            return zr.tracker.step(t, False)
        details = {
            "people": count,
            "track_ids": frame.ids[idx].tolist(),
            "reasons": reasons,
            "min_distance_m": min_distance,
            "detection": frame.detection(idx),
        }
        if pairs:
            details["pairs"] = pairs
        return zr.tracker.step(t, True, details)

    @staticmethod
    def _closest_so_far(zr: _ZoneRule, t: datetime, clear_s: float, distance: float) -> bool:
        """Whether this frame is the closest moment of its episode yet: the violation reports the
        pairs of that moment, so they are listed only then (not on every crowded frame)."""
        ep = zr.tracker.episode
        if ep is None or (t - ep.last_at).total_seconds() >= clear_s:
            return True  # a new episode starts here
        best = ep.details.get("min_distance_m")
        return best is None or distance < best

    # -- messages -------------------------------------------------------------------------------
    def _message(self, zr: _ZoneRule, tr: Transition, t: datetime) -> Violation:
        ep = tr.episode
        started = ep.started_at
        ended = tr.ended_at if tr.kind == "close" else None
        details = ep.details
        reasons = tuple(details.get("reasons", ()))
        if zr.type == "empty_post":
            reason = details.get("reason", "left_post")
        elif zr.type == "staff_chatting":
            reason = "gathering"
        elif zr.type == "citizen_waiting":
            reason = "unattended"
        else:
            reason = reasons[0] if reasons else None
        event_id = uuid.uuid5(EVENT_NAMESPACE, f"{self.camera.id}|{zr.zone.id}|{zr.type}|{started.isoformat()}")
        return Violation(
            event_id=str(event_id),
            status="open" if tr.kind == "open" else "closed",
            type=zr.type,
            reason=reason,
            hall_id=self.hall.id,
            region_id=self.region.id,
            region_path=tuple(self.region_path),
            level=self.region.level.value,
            camera_id=self.camera.id,
            zone_id=zr.zone.id,
            window_id=zr.zone.window,
            started_at=started,
            ended_at=ended,
            duration_s=round(((ended or t) - started).total_seconds(), 3),
            people=details.get("people", 0),
            track_ids=tuple(details.get("track_ids", ())),
            min_distance_m=details.get("min_distance_m"),
            produced_at=self.clock(),
            closed_reason=tr.closed_reason if tr.kind == "close" else None,
            reasons=reasons,
            pairs=tuple(ClosePair(ids, d) for ids, d in details.get("pairs", ())),
            suppressed=details.get("suppressed"),
            detection=_detection_summary(details.get("detection")),
        )


def _detection_summary(totals: tuple[int, int, int, float] | None) -> dict | None:
    """How much a violation rests on the detector, for an officer weighing a borderline case."""
    if totals is None:
        return None
    frames, people, detected, score_sum = totals
    return {
        "frames": frames,
        "detected_share": round(detected / people, 3) if people else None,
        "mean_score": round(score_sum / detected, 3) if detected else None,
    }
