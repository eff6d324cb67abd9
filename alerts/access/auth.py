"""Users, roles and region scopes for the console and API.

Roles: ``operator`` (监控值班员: sees and acknowledges alerts, registers absences),
``discipline_officer`` (纪检人员: reviews, dispatches (督办), closes and exports cases),
``admin`` (everything), ``hall_manager`` (大厅负责人: bound to one hall; sees that hall's alerts and
attendance report only, and answers the cases dispatched to it (整改反馈)), ``wall`` (大屏: the
read-only account of the centre's wall display; sees the wall page of its region and nothing else). Every user is bound to a
region and sees only that subtree (a hall manager: only their hall): lists are filtered, and an id
or file outside it answers 404, exactly as one that does not exist. Routes a hall manager may use
ask for ``view_hall``; every other route asks for ``view_region`` at least, which a hall manager
lacks. Sessions are in ``alerts.access.sessions``.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from alerts.store.database import Database
from alerts.store.schema import User
from configs.model import HallwatchConfig

ROLES = ("operator", "discipline_officer", "admin", "hall_manager", "wall")
CENTRE = {"operator", "discipline_officer", "admin"}  # the supervision centre's roles
PERMISSIONS = {
    "session": CENTRE | {"hall_manager", "wall"},  # who am I, log out
    "view_wall": CENTRE | {"wall"},  # the big-screen wall's summary of the user's region
    "view_hall": CENTRE | {"hall_manager"},  # a hall's alerts, its report, the user's own session
    "view_region": CENTRE,  # everything else a region's users read: cameras, coverage, rosters…
    "acknowledge": {"operator", "admin"},
    "review": {"discipline_officer", "admin"},
    "dispatch": {"discipline_officer", "admin"},
    "return": {"discipline_officer", "admin"},
    "rectify": {"hall_manager", "admin"},
    "close": {"discipline_officer", "admin"},
    "case_sheet": {"discipline_officer", "admin", "hall_manager"},
    "register_absence": {"operator", "admin"},
    "write_shift_note": {"operator", "admin"},
    "export": {"discipline_officer", "admin"},
    "request_video": {"discipline_officer", "admin"},  # 视频回溯: cut, watch and download recordings
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
    hall_id: str | None = None  # a hall manager's one hall

    def can(self, action: str) -> bool:
        return self.role in PERMISSIONS[action]

    def sees(self, region_path: str) -> bool:
        return region_path.startswith(self.region_prefix)

    def sees_hall(self, hall_id: str, region_path: str) -> bool:
        """A hall in the user's subtree (a hall manager: their own hall only)."""
        return self.sees(region_path) and self.hall_id in (None, hall_id)


class Users:
    def __init__(self, db: Database, cfg: HallwatchConfig):
        self.db, self.cfg = db, cfg

    @staticmethod
    def check_password(password: str) -> None:
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise ValueError(f"the password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters")

    def add(
        self,
        username: str,
        password: str,
        role: str,
        region_id: str | None,
        display_name: str = "",
        hall_id: str | None = None,
    ) -> None:
        """A user of a region; a ``hall_manager`` names their hall instead (its region is taken)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if (role == "hall_manager") != (hall_id is not None):
            raise ValueError("a hall_manager needs --hall, and only a hall_manager has one")
        if hall_id is not None:
            hall = next((h for h in self.cfg.halls if h.id == hall_id), None)
            if hall is None:
                raise ValueError(f"unknown hall {hall_id!r}")
            if region_id not in (None, hall.region):
                raise ValueError(f"hall {hall_id!r} lies in region {hall.region!r}, not {region_id!r}")
            region_id = hall.region
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
                    hall_id=hall_id,
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
