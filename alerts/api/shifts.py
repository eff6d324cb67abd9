"""交接班记录: the operators' shift hand-over log, region-scoped. A note records, besides the text,
how many alerts were waiting in the author's subtree when it was written."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from alerts.access.auth import Principal
from alerts.api.context import COMMON_RESPONSES, ApiContext, Ctx, who

router = APIRouter(tags=["shifts"], responses=COMMON_RESPONSES)


class ShiftNoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000, description="What the next shift must know.")


class ShiftNoteOut(BaseModel):
    id: int
    at: datetime
    author: str
    author_name: str = Field("", description="The author's display name")
    region_path: str
    text: str
    summary: dict


@router.get("/api/shift-notes", response_model=list[ShiftNoteOut])
def list_notes(limit: int = Query(50, ge=1, le=500), principal: Principal = who(), ctx: ApiContext = Ctx):
    names = ctx.display_names()
    return [
        ShiftNoteOut.model_validate(n, from_attributes=True).model_copy(
            update={"author_name": names.get(n.author, n.author)}
        )
        for n in ctx.repos.shift_notes.list(principal.region_prefix, limit)
    ]


@router.post("/api/shift-notes", response_model=ShiftNoteOut, status_code=201)
def write_note(body: ShiftNoteIn, principal: Principal = who("write_shift_note"), ctx: ApiContext = Ctx):
    note = ctx.repos.shift_notes.add(principal.username, principal.region_prefix, body.text.strip() or body.text)
    ctx.store.record(None, principal.username, "shift_note", {"note_id": note.id})
    out = ShiftNoteOut.model_validate(note, from_attributes=True)
    return out.model_copy(update={"author_name": principal.display_name or principal.username})
