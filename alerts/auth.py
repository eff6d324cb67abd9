"""Users, roles, region scopes, sessions and CSRF for the console and API.

Roles: ``operator`` (监控值班员: sees and acknowledges alerts, registers absences),
``discipline_officer`` (纪检人员: reviews and exports cases), ``admin`` (everything). Every user is
bound to a region and sees only that subtree: lists are filtered, and an id or file outside it
answers 404, exactly as one that does not exist.

Sessions are signed cookies (HttpOnly, SameSite=Strict, Secure unless configured off); every
state change needs the session's CSRF token in the ``X-CSRF-Token`` header.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import HTTPException, Request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from alerts.db import Base, region_path_key, utcnow
from alerts.store import AlertStore
from configs.env import ENV_SESSION_SECRET
from configs.model import HallwatchConfig

log = logging.getLogger(__name__)
ROLES = ("operator", "discipline_officer", "admin")
COOKIE = "hallwatch_session"
PERMISSIONS = {
    "acknowledge": {"operator", "admin"},
    "review": {"discipline_officer", "admin"},
    "close": {"discipline_officer", "admin"},
    "register_absence": {"operator", "admin"},
    "export": {"discipline_officer", "admin"},
}
_hasher = PasswordHasher()


class User(Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(32))
    region_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class Principal:
    username: str
    role: str
    region_id: str
    region_prefix: str  # "/city/county/": the subtree this user may see
    csrf: str
    display_name: str = ""

    def can(self, action: str) -> bool:
        return self.role in PERMISSIONS[action]

    def sees(self, region_path: str) -> bool:
        return region_path.startswith(self.region_prefix)


class Users:
    def __init__(self, store: AlertStore, cfg: HallwatchConfig):
        self.store, self.cfg = store, cfg
        Base.metadata.create_all(store.engine)

    def add(self, username: str, password: str, role: str, region_id: str, display_name: str = "") -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if region_id not in {r.id for r in self.cfg.regions}:
            raise ValueError(f"unknown region {region_id!r}")
        if len(password) < 10:
            raise ValueError("the password needs at least 10 characters")
        with self.store.session() as session:
            if session.get(User, username) is not None:
                raise ValueError(f"user {username!r} exists")
            session.add(User(username=username, password_hash=_hasher.hash(password), role=role,
                             region_id=region_id, display_name=display_name))

    def authenticate(self, username: str, password: str) -> User | None:
        with self.store.sessions() as session:
            user = session.get(User, username)
        if user is None:
            _hasher.hash(password)  # same work either way: no user enumeration by timing
            return None
        try:
            _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        return user

    def all(self) -> list[User]:
        with self.store.sessions() as session:
            return list(session.scalars(select(User).order_by(User.username)))


class Sessions:
    def __init__(self, cfg: HallwatchConfig, users: Users, max_age_s: int = 12 * 3600):
        secret = cfg.alerts.session_secret
        if not secret:
            secret = secrets.token_urlsafe(32)
            log.warning("no %s / alerts.session_secret: sessions end when this process stops", ENV_SESSION_SECRET)
        self.serializer = URLSafeTimedSerializer(secret, salt="hallwatch-session")
        self.users, self.cfg, self.max_age_s = users, cfg, max_age_s
        self.secure = cfg.alerts.secure_cookies

    def issue(self, user: User) -> tuple[str, str]:
        csrf = secrets.token_urlsafe(24)
        return self.serializer.dumps({"u": user.username, "c": csrf}), csrf

    def principal(self, request: Request) -> Principal | None:
        token = request.cookies.get(COOKIE)
        if not token:
            return None
        try:
            data = self.serializer.loads(token, max_age=self.max_age_s)
        except (BadSignature, SignatureExpired):
            return None
        with self.users.store.sessions() as session:
            user = session.get(User, data["u"])
        if user is None:
            return None
        prefix = region_path_key(self.cfg.region_path(user.region_id))
        return Principal(user.username, user.role, user.region_id, prefix, data["c"], user.display_name)

    def require(self, request: Request, action: str | None = None) -> Principal:
        principal = self.principal(request)
        if principal is None:
            raise HTTPException(401, "not logged in")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            sent = request.headers.get("x-csrf-token", "")
            if not secrets.compare_digest(sent, principal.csrf):
                raise HTTPException(403, "missing or wrong CSRF token")
        if action is not None and not principal.can(action):
            raise HTTPException(403, f"a {principal.role} may not {action.replace('_', ' ')}")
        return principal
