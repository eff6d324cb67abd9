"""The configuration contract: typed, validated, self-documenting models.

Every field carries a description (``python -m configs.loader --schema`` prints the JSON Schema).
Field names are a contract relied on by other tools: extend, never rename.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import numpy as np
from pydantic import Field, PrivateAttr, field_validator, model_validator

from configs.components import (
    AlertsConfig,
    DetectorConfig,
    EvidenceConfig,
    Integration,
    KafkaConfig,
    KafkaTopics,
    TrackerConfig,
    Webhook,
)
from configs.rules import (
    CitizenWaitingRule,
    EmptyPostRule,
    QueueCrowdingRule,
    RuleOverrides,
    Rules,
    StaffChattingRule,
    effective_rules,
)
from domain.base import (
    LEVEL_PARENT,
    MAX_POLYGON_POINTS,
    Coordinate,
    DisplayName,
    Level,
    PixelSize,
    StrictModel,
    invalid,
)
from domain.floor import homography_from_points
from domain.roster import Roster, RosterShift
from domain.schedule import ScheduleConfig

__all__ = [
    "LEVEL_PARENT",
    "AlertsConfig",
    "Calibration",
    "Camera",
    "CitizenWaitingRule",
    "DetectorConfig",
    "EmptyPostRule",
    "EvidenceConfig",
    "Hall",
    "HallwatchConfig",
    "KafkaConfig",
    "KafkaTopics",
    "QueueCrowdingRule",
    "Level",
    "Region",
    "RuleOverrides",
    "Rules",
    "StaffChattingRule",
    "StrictModel",
    "TrackerConfig",
    "Webhook",
    "Window",
    "Zone",
    "ZoneKind",
    "effective_rules",
]

Point = Annotated[list[Coordinate], Field(min_length=2, max_length=2, description="[x, y]")]
MAX_WINDOWS = 500  # a hall's windows
MAX_ZONES = 100  # a camera's zones
MAX_CALIBRATION_POINTS = 50


class Region(StrictModel):
    id: str = Field(description="Unique region id, e.g. `yanjiang`.")
    name: DisplayName = Field(min_length=1, description="Display name in Chinese, e.g. 雁江区.")
    level: Level = Field(description="city, county (county/district) or township (township/street).")
    parent: str | None = Field(None, description="Id of the parent region; required below city level.")


class Window(StrictModel):
    id: str = Field(description="Window (counter, 窗口) id, unique within its hall.")
    name: DisplayName = Field("", description="Display name, e.g. 1号综合窗口.")
    schedule: str | None = Field(
        None, description="Schedule id for this window (staggered shifts, 错时); defaults to the hall's."
    )


class Hall(StrictModel):
    id: str = Field(description="Unique hall id.")
    name: DisplayName = Field(min_length=1, description="Display name, e.g. 莲花街道便民服务中心.")
    region: str = Field(description="Id of the region the hall belongs to (any level).")
    schedule: str | None = Field(None, description="Schedule id; absent = always in service.")
    windows: list[Window] = Field(
        default_factory=list, max_length=MAX_WINDOWS, description="The service windows of this hall."
    )


def _spread_ratio(points: np.ndarray) -> float:
    """Smallest / largest singular value of the centred points: ~0 when they lie on one line."""
    centred = points - points.mean(axis=0)
    singular = np.linalg.svd(centred, compute_uv=False)
    return float(singular[-1] / singular[0]) if singular[0] > 0 else 0.0


MAX_FLOOR_SPAN_M = 300.0  # larger than any service hall: a bigger span is a unit mistake


class Calibration(StrictModel):
    """Pairs of image pixels and floor points (metres) defining the camera's floor homography."""

    image: list[Point] = Field(
        max_length=MAX_CALIBRATION_POINTS, description="Image points [x, y] in pixels (at least 4)."
    )
    floor: list[Point] = Field(
        max_length=MAX_CALIBRATION_POINTS, description="The same points on the floor [X, Y] in metres."
    )

    @field_validator("image", "floor")
    @classmethod
    def _enough_points(cls, points: list[list[float]]) -> list[list[float]]:
        if len(points) < 4:
            raise invalid("too_few_points", "needs at least {need} points, got {got}", need=4, got=len(points))
        pts = np.asarray(points, dtype=float)
        if _spread_ratio(pts) < 1e-3:
            raise invalid("collinear", "points are collinear: a floor homography needs points spread over an area")
        return points

    @model_validator(mode="after")
    def _pairs_match(self) -> Calibration:
        if len(self.image) != len(self.floor):
            raise invalid(
                "points_mismatch",
                "image has {image} points but floor has {floor}",
                image=len(self.image),
                floor=len(self.floor),
            )
        floor = np.asarray(self.floor, dtype=float)
        if not np.all(np.isfinite(floor)) or not np.all(np.isfinite(np.asarray(self.image, dtype=float))):
            raise invalid("finite_number", "every point needs finite coordinates")
        span = float(np.ptp(floor, axis=0).max())
        if span > MAX_FLOOR_SPAN_M:
            raise invalid(
                "floor_too_wide",
                "the floor points span {span} m; a hall's floor is at most {max} m across (metres, not centimetres?)",
                span=round(span),
                max=round(MAX_FLOOR_SPAN_M),
            )
        try:
            homography_from_points(self.image, self.floor)
        except ValueError as degenerate:
            raise invalid("degenerate_calibration", "{why}", why=str(degenerate)) from None
        return self


class ZoneKind(str, Enum):
    post = "post"
    staff_area = "staff_area"
    service_area = "service_area"
    queue_area = "queue_area"


ZONE_NEEDS_WINDOW = {ZoneKind.post, ZoneKind.service_area}


class Zone(StrictModel):
    id: str = Field(description="Zone id, unique within its camera.")
    name: DisplayName = Field("", description="Display name, e.g. 1号窗口岗位 (else the kind and window).")
    kind: ZoneKind = Field(description="post, staff_area, service_area or queue_area.")
    window: str | None = Field(None, description="Window id; required for post and service_area zones.")
    polygon: list[Point] = Field(
        max_length=MAX_POLYGON_POINTS, description="Polygon in image pixels, at least 3 points."
    )
    rules: RuleOverrides | None = Field(None, description="Rule parameter overrides for this zone.")

    @field_validator("polygon")
    @classmethod
    def _valid_polygon(cls, polygon: list[list[float]]) -> list[list[float]]:
        if len(polygon) < 3:
            raise invalid("too_few_points", "needs at least {need} points, got {got}", need=3, got=len(polygon))
        pts = np.asarray(polygon, dtype=float)
        x, y = pts[:, 0], pts[:, 1]
        area = 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
        if area < 1.0:
            raise invalid("no_area", "has no area (points are collinear or repeated)")
        return polygon

    @model_validator(mode="after")
    def _window_when_needed(self) -> Zone:
        if self.kind in ZONE_NEEDS_WINDOW and not self.window:
            raise invalid("window_needed", "a {kind} zone needs `window`", kind=self.kind.value)
        return self


class Camera(StrictModel):
    id: str = Field(description="Unique camera id.")
    hall: str = Field(description="Id of the hall this camera watches.")
    name: DisplayName = Field("", description="Display name.")
    source: str = Field(
        description="Video file path, rtsp://…, http(s)://…, a USB device index, or mot:PATH (replayed detections)."
    )
    source_fps: float | None = Field(
        None, gt=0, le=240, description="Overrides the container's frame rate (files and mot: sources)."
    )
    frame_size: tuple[PixelSize, PixelSize] | None = Field(
        None, description="[width, height] in pixels; required for mot: sources."
    )
    analysis_fps: float = Field(
        5,
        gt=0,
        le=60,
        description="Frames analysed per second. 5 where the one-metre line or gatherings are watched: they follow "
        "people who walk, and below 5 fewer of them are tracked (`python -m configs.loader check` advises; "
        "docs/model_card.md). 2 is enough for empty posts and lets a machine take more cameras (docs/operations.md, "
        "Sizing).",
    )
    start_time: datetime | None = Field(
        None, description="Media clock origin for file and mot: sources (ISO 8601 with offset)."
    )
    stall_s: float = Field(20, gt=0, le=3600, description="Seconds without a frame before the watchdog reconnects.")
    rtsp_transport: Literal["tcp", "udp"] = Field("tcp", description="RTP transport for rtsp:// sources.")
    decode_threads: int = Field(
        1,
        ge=0,
        le=16,
        description="Threads decoding this camera's video (files and streams). 1 decodes on the camera's own reading "
        "thread: with many cameras on a machine FFmpeg's extra threads per stream cost CPU (docs/operations.md, "
        "Sizing). 0 lets FFmpeg choose (one high-resolution camera on a machine with cores to spare).",
    )
    reconnect_initial_s: float = Field(
        1, gt=0, le=3600, description="First reconnect delay; doubles after each failure."
    )
    reconnect_max_s: float = Field(60, gt=0, le=86_400, description="Longest reconnect delay.")
    calibration: Calibration | None = Field(None, description="Floor calibration (homography).")
    zones: list[Zone] = Field(
        default_factory=list, max_length=MAX_ZONES, description="Zones drawn on this camera's image."
    )
    detection_area: Literal["zones", "frame"] = Field(
        "zones",
        description="Where people are looked for: `zones` = the zones' bounding box and room for the bodies of the "
        "people standing in them (learnt from this camera's detections; the whole frame until then and every 30 s), "
        "a smaller detector input at the same pixels per person; `frame` = always the whole frame.",
    )
    still_recheck_s: float = Field(
        0,
        ge=0,
        le=60,
        description="While nothing moves in the detection area, the people the detector last found there are "
        "kept without running it again, for at most this many seconds (then it looks again): capacity for cameras "
        "whose scene is often still (a quiet hall, seated clerks). 0 = the detector looks at every analysed frame "
        "(docs/operations.md, Sizing).",
    )

    @model_validator(mode="after")
    def _mot_needs_size(self) -> Camera:
        if self.source.startswith("mot:") and self.frame_size is None:
            raise invalid("frame_size_needed", "a mot: source needs `frame_size`")
        return self


class HallwatchConfig(StrictModel):
    _index: tuple | None = PrivateAttr(default=None)
    _roster: Roster | None = PrivateAttr(default=None)
    timezone: str = Field("Asia/Shanghai", description="IANA time zone of the halls.")
    regions: list[Region] = Field(description="The city > county > township hierarchy.")
    halls: list[Hall] = Field(description="Service halls under supervision.")
    cameras: list[Camera] = Field(default_factory=list, description="Cameras and their zones.")
    rules: Rules = Field(default_factory=Rules, description="Rule defaults; zones may override them.")
    schedules: dict[str, ScheduleConfig] = Field(
        default_factory=dict, description="Named service-hour schedules referenced by halls and windows."
    )
    rosters: list[RosterShift] = Field(
        default_factory=list,
        description="Window rosters (排班): who is on duty at which window and when; "
        "alerts and the attendance report name the person.",
    )
    detector: DetectorConfig = Field(default_factory=DetectorConfig, description="Person detector.")
    tracker: TrackerConfig = Field(default_factory=TrackerConfig, description="Multi-object tracker.")
    kafka: KafkaConfig = Field(default_factory=KafkaConfig, description="Kafka connection.")
    alerts: AlertsConfig = Field(default_factory=AlertsConfig, description="The alerting service.")
    integrations: list[Integration] = Field(
        default_factory=list,
        description="The halls' queue-ticket and rating systems (排队叫号、好差评) that report to "
        "POST /api/integrations/service-events.",
    )
    evidence: EvidenceConfig = Field(default_factory=EvidenceConfig, description="Evidence recording.")
    metrics_port: int = Field(9108, ge=0, le=65535, description="Port of the pipeline's Prometheus /metrics (0 = off).")
    absences_file: str = Field(
        "var/absences.jsonl",
        description="The absence register (去向公开) the pipeline follows; written by "
        "`python -m streams.absence_book`.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, tz: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise invalid("unknown_time_zone", "unknown time zone {tz!r}", tz=tz) from None
        return tz

    # Lookups used everywhere downstream.
    def _by_id(self) -> tuple[dict[str, Region], dict[str, Hall]]:
        """Id lookups, built once per list (a province has a thousand regions and halls, and the
        coverage metrics look them up tens of thousands of times per scrape)."""
        index = self._index
        if index is None or index[0] is not self.regions or index[1] is not self.halls:
            index = (self.regions, self.halls, {r.id: r for r in self.regions}, {h.id: h for h in self.halls})
            self._index = index
        return index[2], index[3]

    def region(self, region_id: str) -> Region:
        """KeyError for an unknown id (validated configs only refer to known ones)."""
        return self._by_id()[0][region_id]

    def hall(self, hall_id: str) -> Hall:
        return self._by_id()[1][hall_id]

    def roster(self):
        """The rosters indexed by window (``domain.roster.Roster``), built once."""
        if self._roster is None:
            self._roster = Roster(self.rosters, ZoneInfo(self.timezone))
        return self._roster

    def region_path(self, region_id: str) -> list[str]:
        """Region ids from the top (city) down to ``region_id``."""
        path: list[str] = []
        current: str | None = region_id
        while current is not None:
            path.append(current)
            current = self.region(current).parent
        return path[::-1]
