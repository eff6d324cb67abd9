"""Login, logout, who am I, and the administrators' user controls."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from alerts.access.auth import PERMISSIONS, Principal
from alerts.access.login_guard import TooManyAttempts
from alerts.access.sessions import COOKIE
from alerts.api.context import COMMON_RESPONSES, ApiContext, Ctx, who
from alerts.api.models import Id, Login, Logout

router = APIRouter(tags=["sessions"], responses=COMMON_RESPONSES)
TOO_MANY: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many failed logins (see Retry-After), or too many at once"}
}


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _authenticate(ctx: ApiContext, username: str, password: str):
    if not ctx.guard.hashing.acquire(timeout=10):
        raise TooManyAttempts(1, "too many logins at once; try again")
    try:
        return ctx.users.authenticate(username, password)
    finally:
        ctx.guard.hashing.release()


@router.post("/api/login", responses=TOO_MANY)
async def login(body: Login, request: Request, response: Response, ctx: ApiContext = Ctx):
    client = _client(request)
    try:
        ctx.guard.attempt(body.username, client)
        user = await run_in_threadpool(_authenticate, ctx, body.username, body.password)
    except TooManyAttempts as error:
        return JSONResponse({"detail": str(error)}, status_code=429, headers={"Retry-After": str(error.retry_after_s)})
    if user is None:
        await run_in_threadpool(ctx.store.record, None, body.username[:64], "login_failed", {"client": client})
        raise HTTPException(401, "wrong username or password")
    ctx.guard.succeeded(body.username, client)
    token, csrf = ctx.sessions.issue(user, client)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=ctx.sessions.secure(request),
        max_age=ctx.sessions.max_age_s,
        path="/",
    )
    await run_in_threadpool(ctx.store.record, None, user.username, "login", {"client": client})
    return {"username": user.username, "role": user.role, "region_id": user.region_id, "csrf": csrf}


@router.post("/api/logout")
def logout(
    response: Response, body: Logout | None = None, principal: Principal = who("session"), ctx: ApiContext = Ctx
):
    if body is not None and body.everywhere:
        ctx.sessions.revoke_user(principal.username, "logout_everywhere")
    else:
        ctx.sessions.revoke(principal.session_id)
    response.delete_cookie(COOKIE, path="/")
    return {"ok": True}


@router.get("/api/me")
def me(principal: Principal = who("session"), ctx: ApiContext = Ctx):
    names = {r.id: r.name for r in ctx.cfg.regions}
    return {
        "username": principal.username,
        "role": principal.role,
        "region_id": principal.region_id,
        "region_name": names[principal.region_id],
        "csrf": principal.csrf,
        "timezone": ctx.cfg.timezone,
        "display_name": principal.display_name,
        "hall_id": principal.hall_id,
        "repeat_group_minutes": ctx.cfg.alerts.repeat_group_minutes,
        "can": sorted(action for action, roles in PERMISSIONS.items() if principal.role in roles),
    }


def _managed_user(ctx: ApiContext, principal: Principal, username: str):
    user = ctx.users.get(username)
    if user is None or not principal.sees(ctx.region_key(user.region_id)):
        raise HTTPException(404, "no such user")
    return user


@router.get("/api/users")
def list_users(principal: Principal = who("manage_users"), ctx: ApiContext = Ctx):
    """The users of the administrator's subtree."""
    return [
        {
            "username": u.username,
            "role": u.role,
            "region_id": u.region_id,
            "display_name": u.display_name,
            "disabled": u.disabled,
        }
        for u in ctx.users.all()
        if principal.sees(ctx.region_key(u.region_id))
    ]


@router.post("/api/users/{username}/logout")
def log_user_out_everywhere(username: Id, principal: Principal = who("manage_users"), ctx: ApiContext = Ctx):
    """End every session of a user at once (a lost laptop, a staff change)."""
    _managed_user(ctx, principal, username)
    ended = ctx.sessions.revoke_user(username, "admin_logout")
    ctx.store.record(None, principal.username, "user_logged_out", {"user": username, "sessions": ended})
    return {"ok": True, "sessions_ended": ended}


def _set_disabled(ctx: ApiContext, principal: Principal, username: str, disabled: bool) -> dict:
    """Disabling ends the user's sessions at once; both are audited."""
    _managed_user(ctx, principal, username)
    ctx.users.set_disabled(username, disabled)
    ended = ctx.sessions.revoke_user(username, "disabled") if disabled else 0
    ctx.store.record(
        None,
        principal.username,
        "user_disabled" if disabled else "user_enabled",
        {"user": username, **({"sessions": ended} if disabled else {})},
    )
    return {"ok": True, "sessions_ended": ended} if disabled else {"ok": True}


@router.post("/api/users/{username}/disable")
def disable_user(username: Id, principal: Principal = who("manage_users"), ctx: ApiContext = Ctx):
    return _set_disabled(ctx, principal, username, True)


@router.post("/api/users/{username}/enable")
def enable_user(username: Id, principal: Principal = who("manage_users"), ctx: ApiContext = Ctx):
    return _set_disabled(ctx, principal, username, False)
