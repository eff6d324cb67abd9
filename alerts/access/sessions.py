"""Server-side console sessions: revocable, with an idle timeout, and CSRF tokens.

The cookie (HttpOnly, SameSite=Strict; Secure over HTTPS) carries a signed random session id; the
session itself lives in the ``sessions`` table, so logging out, disabling a user, changing a
password and an admin's "log out everywhere" end it at once, on every instance. A session also
ends after ``alerts.session_idle_minutes`` without a request and ``alerts.session_max_hours``
after login. Every state change needs the session's CSRF token in the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from fastapi import HTTPException, Request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, update

from alerts.access.auth import Principal, Users
from alerts.store.database import Database
from alerts.store.schema import SessionRecord, User, region_path_key, utcnow
from configs.env import ENV_SESSION_SECRET
from configs.model import HallwatchConfig

log = logging.getLogger(__name__)
COOKIE = "hallwatch_session"
TOUCH_EVERY = timedelta(seconds=30)  # last_seen is written at most this often per session


def purge_ended(db: Database, max_age: timedelta, older_than: timedelta = timedelta(days=30)) -> int:
    """Delete sessions that ended (revoked, or past their maximum age) longer ago than
    ``older_than``: the table holds live sessions and a month of history, not every login ever."""
    cutoff = utcnow() - older_than
    with db.session() as session:
        result = session.execute(
            delete(SessionRecord).where(
                (SessionRecord.revoked_at < cutoff) | (SessionRecord.created_at < cutoff - max_age)
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


def is_https(request: Request) -> bool:
    """The request reached us over HTTPS, directly or through a proxy that says so."""
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"


class Sessions:
    def __init__(self, cfg: HallwatchConfig, users: Users):
        secret = cfg.alerts.session_secret
        if not secret:
            secret = secrets.token_urlsafe(32)
            log.warning("no %s / alerts.session_secret: sessions end when this process stops", ENV_SESSION_SECRET)
        self.serializer = URLSafeSerializer(secret, salt="hallwatch-session")
        self.users, self.cfg, self.db = users, cfg, users.db
        self.idle = timedelta(minutes=cfg.alerts.session_idle_minutes)
        self.max_age = timedelta(hours=cfg.alerts.session_max_hours)
        self.max_age_s = int(self.max_age.total_seconds())

    def secure(self, request: Request) -> bool:
        setting = self.cfg.alerts.secure_cookies
        return is_https(request) if setting == "auto" else bool(setting)

    def issue(self, user: User, client: str = "") -> tuple[str, str]:
        """A new session: (cookie value, CSRF token)."""
        session_id, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(24), utcnow()
        with self.db.session() as db:
            db.add(
                SessionRecord(
                    id=session_id, username=user.username, csrf=csrf, client=client[:64], created_at=now, last_seen=now
                )
            )
        return self.serializer.dumps(session_id), csrf

    def principal(self, request: Request) -> Principal | None:
        token = request.cookies.get(COOKIE)
        if not token or len(token) > 512:
            return None
        try:
            session_id = self.serializer.loads(token)
        except BadSignature:
            return None
        return self.by_id(session_id) if isinstance(session_id, str) else None

    def by_id(self, session_id: str) -> Principal | None:
        """The session's user while the session lives (not revoked, idle or too old; the user
        enabled): checked on every request, and again every few seconds on an open live stream."""
        now = utcnow()
        with self.db.session() as db:
            record = db.get(SessionRecord, session_id)
            if record is None or record.revoked_at is not None:
                return None
            if now - record.last_seen > self.idle or now - record.created_at > self.max_age:
                record.revoked_at, record.revoked_why = now, "expired"
                return None
            user = db.get(User, record.username)
            if user is None or user.disabled:
                return None
            if now - record.last_seen > TOUCH_EVERY:
                record.last_seen = now
            prefix = region_path_key(self.cfg.region_path(user.region_id))
            return Principal(
                user.username,
                user.role,
                user.region_id,
                prefix,
                record.csrf,
                user.display_name,
                record.id,
                user.hall_id,
            )

    def require(self, request: Request, action: str | None = None) -> Principal:
        principal = self.principal(request)
        if principal is None:
            raise HTTPException(401, "not logged in")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            sent = request.headers.get("x-csrf-token", "")
            if not secrets.compare_digest(sent.encode(), principal.csrf.encode()):
                raise HTTPException(403, "missing or wrong CSRF token")
        if action is not None and not principal.can(action):
            raise HTTPException(403, f"a {principal.role} may not {action.replace('_', ' ')}")
        return principal

    def revoke(self, session_id: str, why: str = "logout") -> None:
        self._revoke(SessionRecord.id == session_id, why)

    def revoke_user(self, username: str, why: str) -> int:
        """End every session of a user (log out everywhere, disabled, password changed)."""
        return self._revoke(SessionRecord.username == username, why)

    def _revoke(self, where, why: str) -> int:
        with self.db.session() as db:
            result = db.execute(
                update(SessionRecord)
                .where(where)
                .where(SessionRecord.revoked_at.is_(None))
                .values(revoked_at=utcnow(), revoked_why=why)
            )
            return result.rowcount or 0
