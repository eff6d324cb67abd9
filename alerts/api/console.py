"""The console's pages and static files (Simplified Chinese)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from alerts.api.context import ApiContext, Ctx

router = APIRouter(include_in_schema=False)
CONSOLE = Path(__file__).resolve().parent.parent / "console"


@router.get("/")
def index(request: Request, ctx: ApiContext = Ctx):
    principal = ctx.sessions.principal(request)
    if principal is None:
        return RedirectResponse("/login")
    if not principal.can("view_hall"):  # the wall display's account has the wall page only
        return RedirectResponse("/wall")
    return HTMLResponse((CONSOLE / "console.html").read_text(encoding="utf-8"))


@router.get("/wall")
def wall_page(request: Request, ctx: ApiContext = Ctx):
    """The big-screen wall (大屏), full screen at 1920×1080, refreshing itself."""
    principal = ctx.sessions.principal(request)
    if principal is None:
        return RedirectResponse("/login")
    if not principal.can("view_wall"):
        return RedirectResponse("/")
    return HTMLResponse((CONSOLE / "wall.html").read_text(encoding="utf-8"))


@router.get("/login")
def login_page():
    return HTMLResponse((CONSOLE / "login.html").read_text(encoding="utf-8"))


FOLDERS = (CONSOLE, CONSOLE / "vendor")  # the console's modules and its vendored view library
MEDIA = {".js": "text/javascript", ".css": "text/css"}


@router.get("/static/{name:path}")
def static(name: str):
    path = (CONSOLE / name).resolve()
    if path.parent not in FOLDERS or path.suffix not in MEDIA or not path.is_file():
        raise HTTPException(404)
    return FileResponse(path, media_type=MEDIA[path.suffix])
