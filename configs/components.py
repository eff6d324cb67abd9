"""The config of the system's parts: detector, tracker, Kafka, the alerting service, evidence.

Re-exported by ``configs.model``, which assembles them into ``HallwatchConfig``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from domain.base import Level, StrictModel


class DetectorConfig(StrictModel):
    backend: Literal["auto", "nanodet", "yolo", "hog", "replay"] = Field(
        "auto",
        description="auto = the offline NanoDet model if set-up converted it, else OpenCV HOG; "
        "yolo = Ultralytics (production); replay = detections from mot: sources.",
    )
    weights: str = Field("yolo11n.pt", description="Ultralytics weights file or name (yolo backend).")
    device: str = Field("cpu", description="cpu, cuda or cuda:N (yolo backend).")
    imgsz: int = Field(640, gt=0, le=4096, description="Inference image size (yolo backend).")
    conf: float = Field(
        0.1,
        gt=0,
        lt=1,
        description="Minimum person score passed to the tracker. Low on purpose: ByteTrack "
        "starts and matches tracks with confident detections (tracker.high_thresh, new_track_thresh) and uses "
        "the weaker ones only to keep existing tracks through partial occlusion.",
    )
    letterbox: bool = Field(
        True,
        description="NanoDet: keep the frame's aspect ratio (pad) instead of squeezing it into the square input.",
    )
    input_size: int = Field(
        416,
        ge=160,
        le=1280,
        multiple_of=32,
        description="NanoDet: the network input's long side in pixels (the short side follows the frame's aspect "
        "ratio, rounded up to a multiple of 32). Larger finds smaller, farther people at a cost that grows with "
        "the input's area (docs/model_card.md).",
    )
    precision: Literal["fp32", "bf16", "int8"] = Field(
        "bf16",
        description="NanoDet: bf16 = the converted model on OpenVINO computing in bfloat16, on CPUs that do so "
        "natively (AVX512_BF16 or AMX; elsewhere it runs as fp32): 1.5-1.9x the frames per core, the held-out "
        "judgement unchanged (docs/model_card.md); fp32 = the converted model on onnxruntime, in float32 "
        "everywhere; int8 = quantized by onnxruntime (weights per channel, activations calibrated on OpenCV's "
        "sample images, never on a hall's footage; the head stays float): about as fast as bf16 but fewer people "
        "found (TUD-Campus recall 0.61 -> 0.57), so a capacity choice made knowingly (docs/model_card.md).",
    )
    busy_wait: bool = Field(
        False,
        description="NanoDet on onnxruntime (precision fp32 or int8, or bf16 on a CPU without native bfloat16): "
        "its threads busy-wait for their next piece of work instead of sleeping. "
        "About 12 % more frames/s for one camera read as fast as it decodes; with many cameras the waiting burns "
        "the CPU their decoding needs (20 paced cameras on 2 cores got 70-73 % of their frames busy-waiting, "
        "77-86 % without: docs/operations.md, Sizing).",
    )
    half: bool = Field(False, description="FP16 inference on GPU (yolo backend).")
    max_batch: int | None = Field(
        None,
        ge=1,
        le=32,
        description="Most frames, from any of the process's cameras, that go through the detector in one call; "
        "unset = the detector's own (YOLO 8, NanoDet 4). YOLO waits a few milliseconds for frames to share a "
        "call; NanoDet takes only the frames already waiting, in one call per input size (docs/operations.md, "
        "Sizing). 1 = one frame per call.",
    )


class TrackerConfig(StrictModel):
    """ByteTrack (supervision's implementation) plus a short memory for missed detections."""

    high_thresh: float = Field(0.5, gt=0, lt=1, description="Detections at or above this score match first.")
    low_thresh: float = Field(
        0.1,
        ge=0.1,
        lt=1,
        description="Lower-score detections only extend existing tracks; weaker ones are dropped (0.1 at least, "
        "ByteTrack's own floor).",
    )
    new_track_thresh: float = Field(0.5, gt=0, lt=1, description="Score needed to start a new track.")
    match_thresh: float = Field(
        0.9,
        gt=0,
        le=1,
        description="Association cost threshold (1 - IoU, fused with the score). Looser than ByteTrack's 0.8 "
        "because at a few analysed frames per second a walking person's boxes overlap little.",
    )
    lost_s: float = Field(3.0, ge=0, le=60, description="Seconds a lost track can still be re-found with its id.")
    hold_s: float = Field(
        1.5,
        ge=0,
        le=3600,
        description="Seconds a person missed by the detector still counts as present at the last position, "
        "so dropouts neither open empty posts nor split episodes.",
    )
    appearance_weight: float = Field(
        0.3,
        ge=0,
        le=1,
        description="How much a person's look (colour of upper and lower body) weighs against box overlap when "
        "the tracker matches detections to people, where both overlap at all: it decides between people the boxes "
        "cannot tell apart (crossing, standing close, few frames a second). 0 = boxes only. On the held-out PETS09 "
        "with NanoDet at 5 frames/s: identity switches 39 -> 22, event F1 0.83 -> 0.91 (docs/model_card.md). "
        "Needs the frames: replayed detections (mot: sources) are matched by boxes alone.",
    )
    hold_drift_m: float = Field(
        0.5,
        ge=0,
        le=100,
        description="A held person counts as present only while where they could have moved since they were last "
        "seen stays within this many metres (their walking speed over the last second x the time since): a seated "
        "clerk is held for all of hold_s, a walker for a fraction of a second. The speed is measured in person "
        "heights (1.7 m), so it needs no calibration. 0 holds for all of hold_s whatever the speed.",
    )


class KafkaTopics(StrictModel):
    violations: str = Field("hallwatch.violations", description="Violation events topic.")
    heartbeats: str = Field("hallwatch.heartbeats", description="Camera heartbeat topic.")
    dlq: str = Field("hallwatch.dlq", description="Dead-letter topic for malformed messages.")
    cameras: str = Field(
        "hallwatch.cameras",
        description="Scale-out: pipeline workers of one group share the cameras through "
        "this topic's partitions (cameras are hashed onto them; the topic carries no data).",
    )
    rule_state: str = Field(
        "hallwatch.rule-state",
        description="Compacted, keyed by camera: each camera's rule state, so a worker "
        "that takes a camera over continues its open episodes.",
    )
    service_events: str = Field(
        "hallwatch.service-events",
        description="Queue tickets and ratings from the halls' own systems (hallwatch.service-event.v1).",
    )
    absences: str = Field(
        "hallwatch.absences",
        description="Compacted, keyed by absence id: the absence register (去向公开), the one "
        "source of truth for every pipeline worker and the alerting service.",
    )
    service_minutes: str = Field(
        "hallwatch.service-minutes",
        description="Per camera and minute: staffed seconds per window, people in "
        "the queue and service areas, waiting times (hallwatch.service-minute.v1); the attendance report's input.",
    )


class KafkaConfig(StrictModel):
    bootstrap_servers: str = Field(
        "127.0.0.1:9092",
        description="Comma-separated host:port list. Env HALLWATCH_KAFKA_BOOTSTRAP_SERVERS overrides it.",
    )
    topics: KafkaTopics = Field(default_factory=KafkaTopics, description="Topic names.")
    heartbeat_interval_s: float = Field(10, gt=0, le=3600, description="Seconds between camera heartbeats.")
    camera_partitions: int = Field(
        12,
        ge=1,
        le=1000,
        description="Partitions of the cameras topic: the most pipeline workers one group can "
        "use (set when the topic is created; more partitions than workers spread cameras more evenly).",
    )
    worker_session_timeout_s: float = Field(
        10,
        ge=6,
        le=300,
        description="Scale-out: seconds without a heartbeat before a dead worker's cameras go to the others.",
    )
    spool_dir: str = Field(
        "var/spool",
        description="Local disk queue that holds messages while Kafka is unreachable (one per pipeline process).",
    )
    spool_max_mb: float = Field(
        256,
        gt=0,
        le=1_000_000,
        description="Spool size at which heartbeats are dropped; violations may use twice this.",
    )


class Webhook(StrictModel):
    url: str = Field(description="Where to POST notifications.")
    format: Literal["generic", "dingtalk", "wecom"] = Field(
        "generic", description="generic JSON, or the DingTalk (钉钉) / WeCom (企业微信) robot formats."
    )
    regions: list[str] = Field(
        default_factory=list, description="Only alerts in these regions' subtrees (empty = all)."
    )


class Integration(StrictModel):
    """A hall system that reports its queue tickets and ratings (排队叫号、好差评) to hallwatch."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="Its name, e.g. `lianhua-queue`.")
    token: str = Field(
        "",
        description="The bearer token it sends (Authorization: Bearer …); at least 24 characters. "
        "Env HALLWATCH_INTEGRATION_<ID>_TOKEN overrides it (the id upper-cased, '-' as '_').",
    )
    halls: list[str] = Field(
        min_length=1, description="Hall ids it may report; an event of another hall is refused (403)."
    )


class AlertsConfig(StrictModel):
    """The alerting service (``python -m alerts``)."""

    database_url: str = Field(
        "sqlite:///var/alerts.db",
        description="SQLAlchemy URL: SQLite (WAL) by default, postgresql+psycopg://user:pw@host/db in production. "
        "Env HALLWATCH_DATABASE_URL overrides it.",
    )
    host: str = Field("127.0.0.1", description="Address the API and console listen on.")
    port: int = Field(8080, ge=0, le=65535, description="Port of the API and console.")
    group_id: str = Field("hallwatch-alerts", description="Kafka consumer group; instances share partitions.")
    instance_id: str | None = Field(
        None,
        description="Static group membership (Kafka group.instance.id): a stable id unique to this instance, "
        "e.g. the host name. A restarted instance then takes its partitions back at once, without a rebalance.",
    )
    session_timeout_s: float = Field(
        10,
        ge=6,
        le=300,
        description="Seconds without a heartbeat after which Kafka gives a dead instance's "
        "partitions to the others (shorter: faster take-over after a crash; longer: fewer rebalances on pauses).",
    )
    stale_after_s: float = Field(
        120, gt=0, le=86_400, description="A heartbeat older than this leaves its camera uncovered."
    )
    escalation_minutes: dict[Level, float] = Field(
        default_factory=lambda: {Level.township: 10, Level.county: 20, Level.city: 30},
        description="Minutes an unacknowledged alert owned at a level waits before it escalates to the parent region.",
    )
    start_escalated: list[str] = Field(
        default_factory=lambda: ["citizen_waiting"],
        description="Violation types owned one level above their hall's region from the start (a citizen is "
        "standing at an unstaffed window: the county sees a township's at once).",
    )
    repeat_group_minutes: float = Field(
        10,
        ge=0,
        le=240,
        description="The console groups alerts of the same window, type and reason that started within this "
        "many minutes of each other into one row (a post left empty again and again); 0 shows every alert "
        "on its own row. Each alert is still stored, decided and counted on its own.",
    )
    webhooks: list[Webhook] = Field(default_factory=list, description="Notification targets.")
    webhook_attempts: int = Field(
        5, ge=1, le=100, description="Delivery attempts per notification (exponential back-off)."
    )
    session_secret: str | None = Field(
        None,
        description="Key signing session cookies (env HALLWATCH_SESSION_SECRET overrides; keep it out of git). "
        "Without one, sessions end when the service restarts.",
    )
    secure_cookies: bool | Literal["auto"] = Field(
        "auto",
        description="Mark the session cookie Secure: `auto` = when the request came over HTTPS (directly "
        "or through a proxy sending X-Forwarded-Proto: https); true = always (the console then works only over "
        "HTTPS or on localhost); false = never.",
    )
    session_idle_minutes: float = Field(
        30, gt=0, le=10_080, description="A console session ends after this long without a request."
    )
    session_max_hours: float = Field(
        12, gt=0, le=8_760, description="A console session ends this long after login, however active."
    )
    max_body_kb: int = Field(64, ge=1, le=10240, description="Largest request body the API accepts (413 above it).")
    unhealthy_after_s: float = Field(
        30,
        gt=0,
        le=3600,
        description="/healthz answers 503 once Kafka has been unreachable, or the consumer has kept failing, this long.",
    )
    max_concurrent_reports: int = Field(
        2, ge=1, le=32, description="Attendance reports built at once; one more answers 429 (Retry-After)."
    )
    max_concurrent_exports: int = Field(
        2, ge=1, le=32, description="Case exports (ZIP) built at once; one more answers 429 (Retry-After)."
    )
    metrics_token: str | None = Field(
        None,
        description="Bearer token Prometheus must send to read /metrics (env HALLWATCH_METRICS_TOKEN "
        "overrides; keep it out of git). Without one, /metrics is open: bind the service to an internal address.",
    )


class EvidenceConfig(StrictModel):
    """Evidence clips, snapshots and signed manifests for discipline officers (纪检)."""

    enabled: bool = Field(True, description="Record evidence for violations.")
    root: str = Field("var/evidence", description="Local evidence store; files go under <date>/<hall>/<event_id>/.")
    pre_s: float = Field(10, ge=0, le=3600, description="Seconds of video before the violation's start.")
    post_s: float = Field(10, ge=0, le=3600, description="Seconds of video after the violation opens.")
    long_violation_s: float = Field(
        60, gt=0, le=86_400, description="A violation that lasted longer also gets a clip around its close."
    )
    max_clip_s: float = Field(
        330,
        gt=0,
        le=86_400,
        description="Longest clip: a violation that took longer to open (an empty post after 300 s) "
        "gets the last this many seconds before post_s. Also how much of each camera's recent video is kept.",
    )
    stream_copy: bool = Field(
        True,
        description="Cut clips from the camera's own H.264 stream, without decoding or encoding: from the "
        "file for file sources, from segments recorded by stream copy for live streams. Sources that are not "
        "H.264 (USB, MJPEG) have their analysed frames encoded once. false = always encode the analysed frames.",
    )
    segment_s: float = Field(
        2,
        ge=0.5,
        le=30,
        description="Length of the recorded segments of live H.264 streams: a clip starts and "
        "ends on a segment boundary (a keyframe), so pre_s should be at least this much.",
    )
    retain_h: float = Field(
        24,
        ge=0,
        le=24 * 90,
        description="Hours of each live H.264 camera's recording kept for video on request (视频回溯) "
        "and for clips joined to tickets and ratings; oldest first, and earlier, across all cameras, "
        "whenever free disk falls under twice min_free_mb (0 = only what violation clips need).",
    )
    request_max_min: float = Field(
        30, gt=0, le=240, description="Longest span an officer may cut from the recording in one request."
    )
    rating_span_s: float = Field(
        120,
        gt=0,
        le=3600,
        description="A 差评 whose ticket's call and finish are not known gets the clip of its window "
        "from this long before the rating to this long after it.",
    )
    buffer_mb: float = Field(
        256,
        gt=0,
        le=1_000_000,
        description="Memory cap of each camera's ring buffer of recent (JPEG-compressed) frames, kept "
        "only for cameras whose clips are encoded from the analysed frames.",
    )
    jpeg_quality: int = Field(90, ge=50, le=100, description="JPEG quality of buffered frames and snapshots.")
    live_snapshot_s: float = Field(
        10,
        ge=0,
        le=3600,
        description="Every this many seconds each camera's latest frame is written to "
        "<root>/live/<camera>.jpg for the console's camera wall (0 = off).",
    )
    retention_days: float = Field(
        180, gt=0, le=3650, description="Evidence older than this is deleted, except for alerts still under review."
    )
    min_free_mb: float = Field(
        512,
        ge=0,
        le=10_000_000,
        description="Below this much free disk, clip writing stops (alert + metric); detection goes on.",
    )
    hmac_key: str | None = Field(
        None,
        description="Key signing the manifests (env HALLWATCH_EVIDENCE_KEY overrides; keep it out of git).",
    )
    key_id: str = Field("k1", description="Name of the signing key, recorded in each manifest (for rotation).")
