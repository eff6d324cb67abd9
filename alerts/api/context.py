"""What every route needs: the config, the store, sessions, and region scoping."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from fastapi import Depends, HTTPException, Request

from alerts.access.auth import Principal, Users
from alerts.access.login_guard import LoginGuard
from alerts.access.sessions import Sessions
from alerts.api.limits import Slots
from alerts.evidence.recorded import Recordings
from alerts.gate import ConfigGate
from alerts.lifecycle import Lifecycle
from alerts.live import Changes
from alerts.metrics import ServiceMetrics
from alerts.rosters import RosterBook
from alerts.service_events import ServiceEventIntake
from alerts.store.alerts import AlertStore
from alerts.store.repositories import Repositories
from alerts.store.schema import AbsenceRecord, Alert, region_path_key
from configs.model import Camera, Hall, HallwatchConfig
from domain.roster import Roster
from streams.evidence.storage import LocalEvidenceStore


class Service(Protocol):
    """What the API needs of the running alerting service (``alerts.service.AlertService``)."""

    cfg: HallwatchConfig
    repos: Repositories
    lifecycle: Lifecycle
    metrics: ServiceMetrics
    changes: Changes
    gate: ConfigGate
    intake: ServiceEventIntake
    recordings: Recordings

    def health(self) -> dict[str, Any]: ...

    def absence_registered(self, record: AbsenceRecord) -> None: ...


@dataclass
class ApiContext:
    cfg: HallwatchConfig
    repos: Repositories
    service: Service
    users: Users
    sessions: Sessions
    evidence: LocalEvidenceStore
    rosters: RosterBook
    reports: Slots
    exports: Slots
    guard: LoginGuard = field(default_factory=LoginGuard)
    halls: dict[str, Hall] = field(default_factory=dict)
    hall_paths: dict[str, str] = field(default_factory=dict)  # hall id -> "/city/county/township/"
    cameras: dict[str, Camera] = field(default_factory=dict)

    @classmethod
    def build(cls, service: Service) -> ApiContext:
        cfg, repos = service.cfg, service.repos
        users = Users(repos.db, cfg)
        refused = service.metrics.requests_refused
        return cls(
            cfg,
            repos,
            service,
            users,
            Sessions(cfg, users),
            LocalEvidenceStore(cfg.evidence.root),
            RosterBook(cfg, repos.rosters),
            Slots(cfg.alerts.max_concurrent_reports, "考勤报表", refused.labels("report").inc),
            Slots(cfg.alerts.max_concurrent_exports, "案卷导出", refused.labels("export").inc),
            halls={h.id: h for h in cfg.halls},
            hall_paths={h.id: region_path_key(cfg.region_path(h.region)) for h in cfg.halls},
            cameras={c.id: c for c in cfg.cameras},
        )

    @property
    def store(self) -> AlertStore:
        return self.repos.alerts

    @property
    def lifecycle(self) -> Lifecycle:
        return self.service.lifecycle

    @property
    def metrics(self) -> ServiceMetrics:
        return self.service.metrics

    @property
    def changes(self) -> Changes:
        return self.service.changes

    def roster(self) -> Roster:
        """The config's rosters and the console's, as one ``domain.roster.Roster``."""
        return self.rosters.roster()

    def scoped_alert(self, event_id: str, principal: Principal) -> Alert:
        alert = self.store.get(event_id)
        if alert is None or not principal.sees_hall(alert.hall_id, alert.region_path):
            raise HTTPException(404, "no such alert")  # outside the subtree: as if it did not exist
        return alert

    def region_prefix(self, region: str | None, principal: Principal) -> str:
        if region is None:
            return principal.region_prefix
        if region not in {r.id for r in self.cfg.regions}:
            raise HTTPException(404, f"unknown region {region!r}")
        prefix = region_path_key(self.cfg.region_path(region))
        if not prefix.startswith(principal.region_prefix):
            raise HTTPException(404, f"unknown region {region!r}")
        return prefix

    def export_title(self, what: str, start: date, end: date, region: str | None, principal: Principal) -> str:
        """A download's title row: what, the range, the scope (the region asked for, else the user's
        own, a hall manager's hall) and when it was exported, in the halls' time."""
        scope = (
            self.halls[principal.hall_id].name
            if principal.hall_id
            else self.cfg.region(region or principal.region_id).name
        )
        exported = datetime.now(ZoneInfo(self.cfg.timezone)).strftime("%Y-%m-%d %H:%M")
        return f"{what} {start.isoformat()} 至 {end.isoformat()} · 范围：{scope} · 导出于 {exported}"

    def region_key(self, region_id: str) -> str:
        """The region's subtree key, "/city/county/" (an unknown region: a key nobody sees)."""
        known = {r.id for r in self.cfg.regions}
        return region_path_key(self.cfg.region_path(region_id)) if region_id in known else "//"

    def sees_hall(self, principal: Principal, hall_id: str) -> bool:
        return hall_id in self.hall_paths and principal.sees_hall(hall_id, self.hall_paths[hall_id])

    def display_names(self) -> dict[str, str]:
        """Login name -> the name people read (系统 for the service's own steps)."""
        names = {u.username: u.display_name or u.username for u in self.users.all()}
        return {**names, "system": "系统", "pipeline": "系统"}

    def hall_managers(self, hall_id: str) -> list[str]:
        return [u.username for u in self.users.all() if u.hall_id == hall_id and not u.disabled]

    def hall_filter(self, hall: str | None, principal: Principal) -> str | None:
        """The ``hall`` a list may ask for: a hall manager's own hall, whatever they ask (another
        hall: 404, as if it did not exist)."""
        if principal.hall_id is None:
            return hall
        if hall not in (None, principal.hall_id):
            raise HTTPException(404, f"unknown hall {hall!r}")
        return principal.hall_id


# The dates a request may name (report ranges, rosters): anything else is a typo, not a plan.
DATES_MSG = "dates must lie between 2000 and 2100"


def plausible(day: date) -> bool:
    return 2000 <= day.year <= 2100


def unprocessable(loc: list[str | int], msg: str, kind: str) -> HTTPException:
    """A 422 shaped like FastAPI's own validation errors, for checks a model cannot make; ``kind``
    is the stable code the console translates (as pydantic's error types are)."""
    return HTTPException(422, [{"loc": loc, "type": kind, "msg": msg}])


def check_date_range(start: date, end: date, most_days: int) -> None:
    """A report's ``start``..``end`` (inclusive) as a query names them: in order, at most
    ``most_days`` days in all, plausible dates; otherwise a 422 on ``end``."""
    if end < start or (end - start).days >= most_days:
        raise unprocessable(
            ["query", "end"], f"end must be on or after start, at most {most_days} days in all", "range_too_long"
        )
    if not (plausible(start) and plausible(end)):
        raise unprocessable(["query", "end"], DATES_MSG, "date_range")


# Every route may answer these; FastAPI adds 422 itself where a route takes input.
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not JSON"},
    401: {"description": "Not logged in (or the session ended)"},
    403: {"description": "No CSRF token on a change, or the role may not do this"},
    404: {"description": "No such thing, or outside the user's region"},
    413: {"description": "Request body too large"},
}


def context(request: Request) -> ApiContext:
    return request.app.state.ctx


def who(action: str = "view_region"):
    """The logged-in user (401), with the CSRF token on changes (403) and the right to ``action``:
    by default ``view_region``, which a hall manager lacks; the routes a hall manager may use ask
    for ``view_hall`` (and narrow what they return to the hall) or for an action of theirs."""

    def dependency(request: Request) -> Principal:
        return context(request).sessions.require(request, action)

    return Depends(dependency)


Ctx = Depends(context)
