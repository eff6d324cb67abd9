"""Login, logout and who am I."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response

from alerts.api.context import ApiContext, Ctx, who
from alerts.api.models import Login
from alerts.auth import COOKIE, Principal

router = APIRouter(tags=["sessions"])


@router.post("/api/login")
def login(body: Login, response: Response, ctx: ApiContext = Ctx):
    user = ctx.users.authenticate(body.username, body.password)
    if user is None:
        raise HTTPException(401, "wrong username or password")
    token, csrf = ctx.sessions.issue(user)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=ctx.sessions.secure,
                        max_age=ctx.sessions.max_age_s, path="/")
    ctx.store.record(None, user.username, "login")
    return {"username": user.username, "role": user.role, "region_id": user.region_id, "csrf": csrf}


@router.post("/api/logout")
def logout(response: Response, principal: Principal = who()):
    response.delete_cookie(COOKIE, path="/")
    return {"ok": True}


@router.get("/api/me")
def me(principal: Principal = who(), ctx: ApiContext = Ctx):
    names = {r.id: r.name for r in ctx.cfg.regions}
    return {"username": principal.username, "role": principal.role, "region_id": principal.region_id,
            "region_name": names[principal.region_id], "csrf": principal.csrf, "timezone": ctx.cfg.timezone,
            "display_name": principal.display_name}
