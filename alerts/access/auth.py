"""Users, roles and region scopes for the console and API.

Roles: ``operator`` (监控值班员: sees and acknowledges alerts, registers absences),
``discipline_officer`` (纪检人员: reviews and exports cases), ``admin`` (everything). Every user is
bound to a region and sees only that subtree: lists are filtered, and an id or file outside it
answers 404, exactly as one that does not exist. Sessions are in ``alerts.access.sessions``.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from alerts.store.database import Database
from alerts.store.schema import User
from configs.model import HallwatchConfig

ROLES = ("operator", "discipline_officer", "admin")
PERMISSIONS = {
    "acknowledge": {"operator", "admin"},
    "review": {"discipline_officer", "admin"},
    "close": {"discipline_officer", "admin"},
    "register_absence": {"operator", "admin"},
    "write_shift_note": {"operator", "admin"},
    "export": {"discipline_officer", "admin"},
    "manage_users": {"admin"},
    "install": {"admin"},
    "edit_roster": {"admin"},
}
MIN_PASSWORD, MAX_PASSWORD = 10, 256
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Principal:
    username: str
    role: str
    region_id: str
    region_prefix: str  # "/city/county/": the subtree this user may see
    csrf: str
    display_name: str = ""
    session_id: str = ""

    def can(self, action: str) -> bool:
        return self.role in PERMISSIONS[action]

    def sees(self, region_path: str) -> bool:
        return region_path.startswith(self.region_prefix)


class Users:
    def __init__(self, db: Database, cfg: HallwatchConfig):
        self.db, self.cfg = db, cfg

    @staticmethod
    def check_password(password: str) -> None:
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise ValueError(f"the password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters")

    def add(self, username: str, password: str, role: str, region_id: str, display_name: str = "") -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if region_id not in {r.id for r in self.cfg.regions}:
            raise ValueError(f"unknown region {region_id!r}")
        if not 1 <= len(username) <= 64:
            raise ValueError("a user name has 1 to 64 characters")
        self.check_password(password)
        with self.db.session() as session:
            if session.get(User, username) is not None:
                raise ValueError(f"user {username!r} exists")
            session.add(
                User(
                    username=username,
                    password_hash=_hasher.hash(password),
                    role=role,
                    region_id=region_id,
                    display_name=display_name,
                    disabled=False,
                )
            )

    def get(self, username: str) -> User | None:
        with self.db.sessions() as session:
            return session.get(User, username)

    def authenticate(self, username: str, password: str) -> User | None:
        user = self.get(username)
        if user is None or user.disabled:
            _hasher.hash(password)  # same work either way: no user enumeration by timing
            return None
        try:
            _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        return user

    def set_password(self, username: str, password: str) -> None:
        self.check_password(password)
        with self.db.session() as session:
            user = session.get(User, username)
            if user is None:
                raise KeyError(username)
            user.password_hash = _hasher.hash(password)

    def set_disabled(self, username: str, disabled: bool) -> None:
        with self.db.session() as session:
            user = session.get(User, username)
            if user is None:
                raise KeyError(username)
            user.disabled = disabled

    def all(self) -> list[User]:
        with self.db.sessions() as session:
            return list(session.scalars(select(User).order_by(User.username)))
