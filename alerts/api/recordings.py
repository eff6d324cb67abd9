"""视频回溯 — video on request: what each camera's recording retains, and clips an officer cuts from
it for a window (or a camera) and a time span, signed like any evidence, each cut, view and
download audited."""

from __future__ import annotations

import os
import tempfile
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse
from pydantic import AfterValidator, BaseModel, Field, StringConstraints
from starlette.background import BackgroundTask

from alerts.access.auth import Principal
from alerts.api.context import COMMON_RESPONSES, ApiContext, Ctx, unprocessable, who
from alerts.api.models import AwareTime, Id
from alerts.evidence.recorded import request_event
from alerts.evidence.renditions import browser_copy, codec_of
from alerts.store.schema import VideoRequestRow, utcnow
from configs.model import Camera, ZoneKind
from domain.base import printable_name
from streams.evidence.manifest import MANIFEST, resolve_key, verify

router = APIRouter(tags=["recordings"], responses=COMMON_RESPONSES)
ACTION = "request_video"


class Span(BaseModel):
    start: datetime
    end: datetime


class RecordedCamera(BaseModel):
    camera: str
    name: str
    hall: str
    windows: list[str]
    retained: list[Span] = Field(description="Spans on disk without a gap, oldest first (the last 50)")


class VideoRequestIn(BaseModel):
    hall: Id
    window: Id | None = Field(None, description="The window whose post camera is cut (or name the camera)")
    camera: Id | None = None
    start: AwareTime
    end: AwareTime
    reason: Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(printable_name)] = Field(
        description="Why (recorded in the manifest and the audit)"
    )


class VideoRequestOut(BaseModel):
    id: str
    hall_id: str
    camera_id: str
    window_id: str | None
    started_at: datetime
    ended_at: datetime
    clip_start: datetime
    clip_end: datetime
    requested_by: str
    reason: str
    created_at: datetime
    bytes: int
    problems: list[str] | None = Field(None, description="verify's findings (empty: intact); only on one request")
    codec: str | None = Field(None, description="The clip's codec (h264, hevc); only on one request")


def _windows(camera: Camera) -> list[str]:
    return sorted({z.window for z in camera.zones if z.window is not None})


def _out(row: VideoRequestRow, tz: ZoneInfo, problems: list[str] | None = None) -> VideoRequestOut:
    out = VideoRequestOut.model_validate(row, from_attributes=True)
    for name in ("started_at", "ended_at", "clip_start", "clip_end", "created_at"):
        setattr(out, name, getattr(out, name).astimezone(tz))
    out.problems = problems
    return out


@router.get("/api/recordings", response_model=list[RecordedCamera])
def recorded_cameras(hall: Id | None = None, principal: Principal = who(ACTION), ctx: ApiContext = Ctx):
    """The cameras of the user's halls and what of each is retained (live H.264 cameras only)."""
    tz = ZoneInfo(ctx.cfg.timezone)
    out = []
    for camera in ctx.cfg.cameras:
        if hall not in (None, camera.hall) or not ctx.sees_hall(principal, camera.hall):
            continue
        spans = ctx.service.recordings.retained(camera.id)[-50:]
        retained = [Span(start=datetime.fromtimestamp(a, tz), end=datetime.fromtimestamp(b, tz)) for a, b in spans]
        out.append(
            RecordedCamera(
                camera=camera.id,
                name=camera.name or camera.id,
                hall=camera.hall,
                windows=_windows(camera),
                retained=retained,
            )  # fmt: skip
        )
    return out


def _camera(ctx: ApiContext, body: VideoRequestIn) -> Camera:
    if body.camera is not None:
        camera = ctx.cameras.get(body.camera)
        if camera is None or camera.hall != body.hall:
            raise unprocessable(
                ["body", "camera"], f"hall {body.hall!r} has no camera {body.camera!r}", "unknown_camera"
            )
        return camera
    if body.window is None:
        raise unprocessable(["body", "window"], "name the window or the camera", "window_or_camera_needed")
    if body.window not in {w.id for w in ctx.halls[body.hall].windows}:
        raise unprocessable(["body", "window"], f"hall {body.hall!r} has no window {body.window!r}", "unknown_window")
    watching = [c for c in ctx.cfg.cameras if c.hall == body.hall and body.window in _windows(c)]
    posts = [c for c in watching if any(z.kind is ZoneKind.post and z.window == body.window for z in c.zones)]
    if not watching:
        raise unprocessable(["body", "window"], f"no camera watches window {body.window!r}", "no_camera_for_window")
    return (posts or watching)[0]


@router.post(
    "/api/recordings/clips",
    response_model=VideoRequestOut,
    status_code=201,
    responses={429: {"description": "As many clips or exports are being cut: retry later"}},
)
def request_clip(body: VideoRequestIn, principal: Principal = who(ACTION), ctx: ApiContext = Ctx):
    """Cuts the span from the camera's retained recording by stream copy into a signed folder. The
    span must lie inside what is retained (``GET /api/recordings``), end after it starts and be at
    most ``evidence.request_max_min`` long."""
    if body.hall not in ctx.halls or not ctx.sees_hall(principal, body.hall):
        raise HTTPException(404, f"unknown hall {body.hall!r}")
    reason = body.reason
    longest = timedelta(minutes=ctx.cfg.evidence.request_max_min)
    if not timedelta(0) < body.end - body.start <= longest:
        raise unprocessable(["body", "end"], f"end must be after start, at most {longest} later", "span_out_of_range")
    if body.start > datetime.now(UTC):
        raise unprocessable(["body", "start"], "the span has not happened yet", "span_in_future")
    camera = _camera(ctx, body)
    recordings = ctx.service.recordings
    if not ctx.cfg.evidence.hmac_key:
        raise HTTPException(409, "no evidence signing key is configured: clips cannot be signed")
    if not recordings.covered(camera.id, body.start, body.end):
        raise unprocessable(["body", "start"], f"camera {camera.id!r} has not retained the whole span", "not_retained")
    request_id = f"req-{uuid.uuid4().hex[:16]}"
    with ctx.exports.take():
        folder = ctx.evidence.folder_for(request_id, camera.hall, body.start)
        cut = recordings.cut(camera.id, body.start, body.end, folder / "clip.mp4")
        if cut is None:  # pruned in between
            folder.rmdir()
            raise unprocessable(["body", "start"], "the span is no longer retained", "not_retained")
        event = request_event(request_id, camera, body.window, body.start, body.end, principal.username, reason)
        manifest = recordings.sign(folder, event, camera)
    row = VideoRequestRow(
        id=request_id,
        hall_id=camera.hall,
        camera_id=camera.id,
        window_id=body.window,
        started_at=body.start,
        ended_at=body.end,
        clip_start=cut.start,
        clip_end=cut.end,
        requested_by=principal.username,
        reason=reason,
        created_at=utcnow(),
        clip=ctx.evidence.relative(cut.path),
        manifest=ctx.evidence.relative(manifest),
        bytes=cut.path.stat().st_size,
    )
    ctx.repos.video_requests.add(row)
    ctx.store.record(None, principal.username, "video_request", {"request": request_id, "camera": camera.id,
                     "start": body.start.isoformat(), "end": body.end.isoformat(), "reason": reason})  # fmt: skip
    return _out(row, ZoneInfo(ctx.cfg.timezone))


@router.get("/api/recordings/clips", response_model=list[VideoRequestOut])
def list_clips(hall: Id | None = None, principal: Principal = who(ACTION), ctx: ApiContext = Ctx):
    halls = [h for h in ctx.halls if ctx.sees_hall(principal, h) and hall in (None, h)]
    tz = ZoneInfo(ctx.cfg.timezone)
    return [_out(r, tz) for r in ctx.repos.video_requests.latest(halls)]


def _request(ctx: ApiContext, principal: Principal, request_id: str) -> VideoRequestRow:
    row = ctx.repos.video_requests.get(request_id)
    if row is None or not ctx.sees_hall(principal, row.hall_id):
        raise HTTPException(404, "no such clip")
    return row


@router.get("/api/recordings/clips/{request_id}", response_model=VideoRequestOut)
def clip_detail(request_id: str, principal: Principal = who(ACTION), ctx: ApiContext = Ctx):
    """One clip, with what ``verify`` finds of its folder (nothing: intact and this request's)."""
    row = _request(ctx, principal, request_id)
    manifest = ctx.evidence.resolve(row.manifest)
    if manifest is None:
        problems = ["the clip's folder is gone (retention)"]
    else:
        expect = {"event_id": row.id, "hall_id": row.hall_id, "camera_id": row.camera_id}
        problems = verify(manifest.parent, resolve_key(ctx.cfg.evidence.hmac_key), expect)
    out = _out(row, ZoneInfo(ctx.cfg.timezone), problems)
    clip = ctx.evidence.resolve(row.clip)
    out.codec = codec_of(clip) if clip is not None else None
    return out


@router.get(
    "/api/recordings/clips/{request_id}/video",
    responses={200: {"content": {"video/mp4": {}}}, 429: {"description": "Renditions busy: retry"}},
)
def clip_video(
    request_id: str,
    rendition: Literal["h264"] | None = Query(None, description="h264: an H.265 clip as an H.264 rendition"),
    principal: Principal = who(ACTION),
    ctx: ApiContext = Ctx,
):
    row = _request(ctx, principal, request_id)
    path = ctx.evidence.resolve(row.clip)
    if path is None:
        raise HTTPException(404, "the clip's folder is gone (retention)")
    if rendition is not None:
        with ctx.exports.take():
            path = browser_copy(ctx.evidence, path)
    ctx.store.record(None, principal.username, "video_view", {"request": row.id, "rendition": rendition})
    return FileResponse(path, media_type="video/mp4")


@router.get("/api/recordings/clips/{request_id}/download", responses={200: {"content": {"application/zip": {}}}})
def clip_download(request_id: str, principal: Principal = who(ACTION), ctx: ApiContext = Ctx):
    """The clip with its signed manifest, as a ZIP (``python -m alerts.evidence verify`` on the
    unpacked folder)."""
    row = _request(ctx, principal, request_id)
    clip, manifest = ctx.evidence.resolve(row.clip), ctx.evidence.resolve(row.manifest)
    if clip is None or manifest is None:
        raise HTTPException(404, "the clip's folder is gone (retention)")
    handle, name = tempfile.mkstemp(prefix=f"hallwatch-clip-{row.id}-", suffix=".zip")
    os.close(handle)
    target = Path(name)
    try:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:  # video does not deflate
            archive.write(clip, f"{row.id}/{clip.name}")
            archive.write(manifest, f"{row.id}/{MANIFEST}")
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    ctx.store.record(None, principal.username, "video_export", {"request": row.id})
    return FileResponse(
        target, media_type="application/zip", filename=f"{row.id}.zip",
        background=BackgroundTask(target.unlink, missing_ok=True),
    )  # fmt: skip
