"""The installers' tool (安装调试, administrators only): preview a calibration's floor grid on a
camera's live snapshot, and turn drawn zones and calibration points into the camera's config
section, validated exactly as the config loader would (a zone outside the frame, a degenerate
calibration: 422 with the reason); the people the pipeline saw on the latest snapshot, with their
floor positions under the calibration being drawn. The section is saved as a file for the
administrator to put in the config: the service never rewrites the configuration it runs on."""

from __future__ import annotations

import json

import cv2
import numpy as np
import yaml
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field, ValidationError

from alerts.access.auth import Principal
from alerts.api.context import COMMON_RESPONSES, ApiContext, Ctx, who
from configs.loader import advisories, reference_issues
from configs.model import MAX_CALIBRATION_POINTS, MAX_ZONES, Calibration, Camera, Point, Zone
from domain.floor import floor_grid, foot_points, homography_from_points, reprojection_errors, to_floor
from streams.wire import error_details

router = APIRouter(tags=["install"], responses=COMMON_RESPONSES)


class CalibrationIn(BaseModel):
    image: list[Point] = Field(
        min_length=4, max_length=MAX_CALIBRATION_POINTS, description="Image points [x, y] in pixels."
    )
    floor: list[Point] = Field(
        min_length=4, max_length=MAX_CALIBRATION_POINTS, description="The same points on the floor, metres."
    )


class SectionIn(BaseModel):
    zones: list[dict] = Field(default_factory=list, max_length=MAX_ZONES, description="Zones as in the config.")
    calibration: CalibrationIn | None = None


def _camera(ctx: ApiContext, camera_id: str, principal: Principal) -> Camera:
    camera = ctx.cameras.get(camera_id)
    if camera is None or not ctx.sees_hall(principal, camera.hall):
        raise HTTPException(404, "no such camera")
    return camera


def _invalid(error: ValidationError | ValueError, *where: str | int) -> HTTPException:
    if isinstance(error, ValidationError):
        detail = error_details(error, *where)
    else:
        detail = [{"loc": list(where), "msg": str(error), "type": "value_error"}]
    return HTTPException(422, detail)


@router.post("/api/install/{camera_id}/calibration-preview")
def calibration_preview(
    camera_id: str, body: CalibrationIn, principal: Principal = who("install"), ctx: ApiContext = Ctx
):
    """The 1 m floor grid over the calibrated area in image pixels, and each point's error (m)."""
    camera = _camera(ctx, camera_id, principal)
    try:
        Calibration(image=body.image, floor=body.floor)
        matrix = homography_from_points(body.image, body.floor)
    except (ValidationError, ValueError) as error:
        raise _invalid(error, "body") from None
    size = camera.frame_size or _frame_size(ctx, camera_id)
    return {
        "grid": floor_grid(matrix, body.floor, size),
        "errors_m": reprojection_errors(matrix, body.image, body.floor),
        "frame_size": list(size),
        "people": _people(ctx, camera_id, matrix),
    }


@router.get("/api/install/{camera_id}/people")
def people_on_floor(camera_id: str, principal: Principal = who("install"), ctx: ApiContext = Ctx):
    """Who the pipeline saw on the camera's latest snapshot: boxes, foot points and, under the
    configured calibration, floor positions in metres (none without one)."""
    camera = _camera(ctx, camera_id, principal)
    matrix = homography_from_points(camera.calibration.image, camera.calibration.floor) if camera.calibration else None
    return {"people": _people(ctx, camera_id, matrix)}


def _people(ctx: ApiContext, camera_id: str, matrix: np.ndarray | None) -> list[dict]:
    """The latest snapshot's people, their foot points (bottom centre) and floor positions."""
    try:
        seen = json.loads(ctx.evidence.live_people(camera_id).read_text())
        rows = [r for r in seen["people"] if isinstance(r, list) and len(r) == 5][:200]
        boxes = np.array([r[1:] for r in rows], dtype=float).reshape(-1, 4)
    except (OSError, ValueError, KeyError, TypeError):
        return []
    if not np.isfinite(boxes).all():
        return []
    feet = foot_points(boxes)
    floor = to_floor(matrix, feet) if matrix is not None else None
    return [
        {
            "id": int(row[0]),
            "box": [round(float(v), 1) for v in boxes[i]],
            "foot": [round(float(v), 1) for v in feet[i]],
            "floor_m": (
                [round(float(v), 2) for v in floor[i]] if floor is not None and np.isfinite(floor[i]).all() else None
            ),
        }
        for i, row in enumerate(rows)
    ]


@router.post("/api/install/{camera_id}/section")
def config_section(camera_id: str, body: SectionIn, principal: Principal = who("install"), ctx: ApiContext = Ctx):
    """The camera's config with the drawn zones and calibration, validated; as YAML to paste, with
    only what differs from the defaults (the config's own model fills in the rest)."""
    camera = _camera(ctx, camera_id, principal)
    data = camera.model_dump(mode="json", exclude_none=True)  # validated whole, written minimal below
    zones = []
    for i, zone in enumerate(body.zones):
        try:
            zones.append(Zone.model_validate(zone).model_dump(mode="json", exclude_none=True))
        except ValidationError as error:
            raise _invalid(error, "body", "zones", i) from None
    data["zones"] = zones
    try:
        if body.calibration is not None:
            data["calibration"] = Calibration(image=body.calibration.image, floor=body.calibration.floor).model_dump(
                mode="json"
            )
        updated = Camera.model_validate(data)
    except ValidationError as error:
        raise _invalid(error, "body") from None
    cfg = ctx.cfg.model_copy(update={"cameras": [updated if c.id == camera_id else c for c in ctx.cfg.cameras]})
    index = next(i for i, c in enumerate(cfg.cameras) if c.id == camera_id)
    issues = [i for i in reference_issues(cfg) if i.path.startswith(f"cameras[{index}]")]
    if issues:
        raise HTTPException(422, [{"loc": ["body", i.path], "msg": i.message, "type": i.kind} for i in issues])
    advice = [i for i in advisories(cfg) if i.path.startswith(f"cameras[{index}]")]
    return {
        "advice": [{"loc": i.path, "msg": i.message, "type": i.kind} for i in advice],
        "yaml": yaml.safe_dump(
            [updated.model_dump(mode="json", exclude_none=True, exclude_defaults=True)],
            allow_unicode=True,
            sort_keys=False,
            default_flow_style=None,
        ),
    }


def _frame_size(ctx: ApiContext, camera_id: str) -> tuple[int, int]:
    """The size of the latest snapshot, for cameras whose config does not state it."""
    path = ctx.evidence.live_snapshot(camera_id)
    image = cv2.imread(str(path)) if path.is_file() else None
    if image is None:
        raise HTTPException(409, "no snapshot of this camera yet: its frame size is unknown")
    return image.shape[1], image.shape[0]
