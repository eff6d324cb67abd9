"""Window rosters (排班) as the alerting service knows them: the config's ``rosters:`` (read-only in
the console) plus the shifts kept in the console (table ``roster_shifts``), as one
``domain.roster.Roster`` that names who was on duty in alerts, case sheets and reports.

The combined roster is rebuilt when this process changes a shift and at most ``refresh_s`` after
another instance of the service did.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from alerts.store.rosters import RosterStore
from alerts.store.schema import RosterShiftRecord
from configs.model import HallwatchConfig
from domain.roster import Roster, RosterShift


class RosterBook:
    """The config's shifts and the console's, as one ``Roster``."""

    def __init__(self, cfg: HallwatchConfig, store: RosterStore, refresh_s: float = 10.0):
        self.cfg, self.store, self.refresh_s = cfg, store, refresh_s
        self._lock = threading.Lock()
        self._roster: Roster | None = None
        self._built = 0.0

    def shifts(self, hall_ids: Iterable[str] | None = None) -> list[tuple[RosterShift, RosterShiftRecord | None]]:
        """Every shift of ``hall_ids`` (all halls: None) with its console record (None: the config's)."""
        halls = None if hall_ids is None else set(hall_ids)
        from_config = [(s, None) for s in self.cfg.rosters if halls is None or s.hall in halls]
        return from_config + [(RosterShift.model_validate(r.shift), r) for r in self.store.list(halls)]

    def roster(self) -> Roster:
        with self._lock:
            if self._roster is None or time.monotonic() - self._built > self.refresh_s:
                self._roster = Roster([s for s, _ in self.shifts()], ZoneInfo(self.cfg.timezone))
                self._built = time.monotonic()
            return self._roster

    def changed(self) -> None:
        with self._lock:
            self._roster = None


def week_of(day: date) -> list[date]:
    """Monday to Sunday of the week that holds ``day``."""
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=i) for i in range(7)]
