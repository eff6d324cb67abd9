"""The attendance report as tables: JSON rows for the API and the console, CSV and XLSX downloads
(one sheet each for windows, halls and regions). Headers are Simplified Chinese; times are the
halls' local time."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from alerts.attendance.report import PeriodRow, Report, Totals
from alerts.attendance.tickets import TicketFigures
from alerts.spreadsheet import Percent, csv_bytes, xlsx_bytes
from configs.labels import LEVELS
from configs.model import HallwatchConfig
from domain.roster import Roster

VIOLATION_COLUMNS = (  # key, label (sheets, tooltips), short label (the console's one-line headers)
    ("empty_post:left_post", "离岗", "离岗"),
    ("empty_post:late_arrival", "迟到(次)", "迟到次"),
    ("empty_post:early_leave", "早退(次)", "早退次"),
    ("empty_post:absent", "缺岗", "缺岗"),
    ("citizen_waiting", "群众等候无人接待", "冷落群众"),
    ("staff_chatting", "聚众聊天/串岗", "聊天串岗"),
    ("queue_crowding", "一米线拥挤", "一米线"),
)


HALL_LEVEL = "（大厅公共区域）"
"""The row of a hall's violations that belong to no window (queue crowding, chatting in a staff
area): with it the window rows of a hall add up to the hall's row."""


WINDOW_DAY_ONLY = ("region_path", "scheduled", "on_duty", "periods")  # a day's window row has them, a range's not


def hall_level(hall: Totals, windows: list[Totals]) -> Totals | None:
    """What ``hall`` counts beyond the sum of its ``windows`` (None when nothing)."""
    rest = Totals()
    for key, count in hall.violations.items():
        extra = count - sum(w.violations.get(key, 0) for w in windows)
        if extra:
            rest.violations[key] = extra
    rest.pending_review = hall.pending_review - sum(w.pending_review for w in windows)
    return rest if rest.violations or rest.pending_review else None


ARRIVAL_BEFORE_OBSERVATION = "观测开始时已在岗"


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 2)


def _totals(t: Totals, scheduled: bool = True) -> dict:
    share = t.staffed_share
    return {
        "scheduled_min": _minutes(t.scheduled_s) if scheduled else None,
        "observed_min": _minutes(t.observed_s),
        "staffed_min": _minutes(t.staffed_s),
        "staffed_share": share,
        "late_min": _minutes(t.late_s),
        "early_min": _minutes(t.early_s),
        "absences": t.absences,
        "absence_min": _minutes(t.absence_s),
        "violations": {key: t.violations.get(key, 0) for key, _, _ in VIOLATION_COLUMNS},
        "pending_review": t.pending_review,
    }


class ReportTables:
    def __init__(self, cfg: HallwatchConfig, roster: Roster):
        self.cfg, self.roster = cfg, roster
        self.tz = ZoneInfo(cfg.timezone)
        self.regions = {r.id: r for r in cfg.regions}
        self.halls = {h.id: h for h in cfg.halls}

    def _hhmm(self, t: datetime | None) -> str | None:
        return t.astimezone(self.tz).strftime("%H:%M:%S") if t else None

    def _period(self, p: PeriodRow) -> dict:
        return {
            "start": p.start.astimezone(self.tz).isoformat(),
            "end": p.end.astimezone(self.tz).isoformat(),
            "arrival": p.arrival.astimezone(self.tz).isoformat() if p.arrival else None,
            "departure": p.departure.astimezone(self.tz).isoformat() if p.departure else None,
            "late_min": _minutes(p.late_s),
            "early_min": _minutes(p.early_s),
            "present_from_start": p.present_from_start,
        }

    def path_names(self, region_id: str) -> list[str]:
        return [self.regions[r].name for r in self.cfg.region_path(region_id)]

    def _hall_level_row(self, date_text: str, hall_id: str, totals: Totals) -> dict:
        hall = self.halls[hall_id]
        return {
            "date": date_text,
            "hall_id": hall_id,
            "hall": hall.name,
            "region_path": self.path_names(hall.region),
            "window_id": None,
            "window": HALL_LEVEL,
            "scheduled": False,
            "on_duty": [],
            "periods": [],
            **_totals(totals, scheduled=False),
        }

    def as_json(
        self, report: Report, region_ids: set[str], tickets: dict[tuple[date, str, str], TicketFigures] | None = None
    ) -> dict:
        data = self._camera_rows(report, region_ids)
        self._add_tickets(data, tickets or {})
        return data

    def _add_tickets(self, data: dict, tickets: dict[tuple[date, str, str], TicketFigures]) -> None:
        """The halls' own systems' figures (办件量, 平均等候, 差评数) on every row, summed up the tree."""
        sums: dict[tuple, TicketFigures] = {}  # every row's key -> its figures, in one pass

        def into(key: tuple, f: TicketFigures) -> None:
            sums.setdefault(key, TicketFigures()).add(f)

        for (day, hall, window), f in tickets.items():
            d = day.isoformat()
            into(("window", d, hall, window), f)
            into(("hall", d, hall), f)
            into(("range-window", hall, window), f)
            into(("range-hall", hall), f)
            for region in self.cfg.region_path(self.halls[hall].region):
                into(("region", d, region), f)

        def figures_of(key: tuple) -> dict:
            return sums.get(key, TicketFigures()).as_json()

        for r in data["windows"]:
            r.update(figures_of(("window", r["date"], r["hall_id"], r["window_id"])))
        for r in data["halls"]:
            r.update(figures_of(("hall", r["date"], r["hall_id"])))
        for r in data["regions"]:
            r.update(figures_of(("region", r["date"], r["region_id"])))
        for r in data["range"]["windows"]:
            r.update(figures_of(("range-window", r["hall_id"], r["window_id"])))
        for r in data["range"]["halls"]:
            r.update(figures_of(("range-hall", r["hall_id"])))

    def _camera_rows(self, report: Report, region_ids: set[str]) -> dict:
        windows = []
        by_hall_day: dict[tuple[str, str], list[Totals]] = {}
        for w in report.windows:
            by_hall_day.setdefault((w.day.isoformat(), w.hall_id), []).append(w.totals)
        for w in report.windows:
            hall = self.halls[w.hall_id]
            names = {x.id: x.name for x in hall.windows}
            windows.append(
                {
                    "date": w.day.isoformat(),
                    "hall_id": w.hall_id,
                    "hall": hall.name,
                    "region_path": self.path_names(hall.region),
                    "window_id": w.window_id,
                    "window": names.get(w.window_id) or w.window_id,
                    "scheduled": w.scheduled,
                    "on_duty": self.roster.on_day(w.hall_id, w.window_id, w.day),
                    "periods": [self._period(p) for p in w.periods],
                    **_totals(w.totals, w.scheduled),
                }
            )
        for (day, hall_id), t in report.halls.items():
            rest = hall_level(t, by_hall_day.get((day.isoformat(), hall_id), []))
            if rest is not None:
                windows.append(self._hall_level_row(day.isoformat(), hall_id, rest))
        windows.sort(key=lambda r: (r["date"], r["hall_id"], r["window_id"] is None))
        halls = [
            {
                "date": day.isoformat(),
                "hall_id": hall_id,
                "hall": self.halls[hall_id].name,
                "region_path": self.path_names(self.halls[hall_id].region),
                **_totals(t),
            }
            for (day, hall_id), t in report.halls.items()
        ]
        regions = [
            {
                "date": day.isoformat(),
                "region_id": rid,
                "region": self.regions[rid].name,
                "level": self.regions[rid].level.value,
                "level_name": LEVELS[self.regions[rid].level.value],
                **_totals(t),
            }
            for (day, rid), t in report.regions.items()
            if rid in region_ids
        ]
        window_range: dict[tuple[str, str], Totals] = {}
        hall_range: dict[str, Totals] = {}
        for w in report.windows:
            window_range.setdefault((w.hall_id, w.window_id), Totals()).add(w.totals)
        for (_, hall_id), t in report.halls.items():
            hall_range.setdefault(hall_id, Totals()).add(t)
        period = f"{report.days[0].isoformat()}—{report.days[-1].isoformat()}" if report.days else ""
        range_windows = [
            {
                "date": period,
                "hall_id": h,
                "hall": self.halls[h].name,
                "window_id": w,
                "window": {x.id: x.name for x in self.halls[h].windows}.get(w) or w,
                **_totals(t),
            }
            for (h, w), t in window_range.items()
        ]
        for h, t in hall_range.items():
            rest = hall_level(t, [wt for (hall_id, _), wt in window_range.items() if hall_id == h])
            if rest is not None:
                row = self._hall_level_row(period, h, rest)
                range_windows.append({k: v for k, v in row.items() if k not in WINDOW_DAY_ONLY})
        range_halls = [
            {
                "date": period,
                "hall_id": h,
                "hall": self.halls[h].name,
                "region_path": self.path_names(self.halls[h].region),
                **_totals(t),
            }
            for h, t in hall_range.items()
        ]
        return {
            "days": [d.isoformat() for d in report.days],
            "windows": windows,
            "halls": halls,
            "regions": regions,
            "range": {"windows": range_windows, "halls": range_halls},
            "violation_columns": [{"key": k, "label": label, "short": short} for k, label, short in VIOLATION_COLUMNS],
        }

    # -- tables with Chinese headers ----------------------------------------------------------------
    @staticmethod
    def _common(row: dict) -> list:
        share = row["staffed_share"]
        return [
            row.get("scheduled_min"),
            row["observed_min"],
            row["staffed_min"],
            None if share is None else Percent(share),
            row["late_min"],
            row["early_min"],
            row["absences"],
            row["absence_min"],
            *[row["violations"][k] for k, _, _ in VIOLATION_COLUMNS],
            row["pending_review"],
            row.get("tickets_finished", 0),
            row.get("camera_wait_min"),
            row.get("ticket_wait_min"),
            row.get("poor_ratings", 0),
        ]

    COMMON_HEADERS = [
        "应在岗(分钟)",
        "观测(分钟)",
        "在岗(分钟)",
        "到岗率",
        "迟到(分钟)",
        "早退(分钟)",
        "登记外出(次)",
        "登记外出(分钟)",
        *[label for _, label, _ in VIOLATION_COLUMNS],
        "其中待复核(次)",
        "办件量(叫号系统)",
        "平均排队等候(摄像头,分钟)",
        "平均等候(叫号,分钟)",
        "差评数",
    ]

    def sheets(self, data: dict) -> dict[str, tuple[list[str], list[list]]]:
        def arrival(p: dict) -> str:
            return (
                p["arrival"][11:19] if p["arrival"] else ARRIVAL_BEFORE_OBSERVATION if p["present_from_start"] else "—"
            )

        def periods(row: dict) -> str:
            return "；".join(
                f"{p['start'][11:16]}-{p['end'][11:16]} 到岗 {arrival(p)} "
                f"离岗 {p['departure'][11:19] if p['departure'] else '—'}"
                for p in row["periods"]
            )

        windows = (
            ["日期", "所属区域", "大厅", "窗口", "值班人员", "时段 到岗/离岗", *self.COMMON_HEADERS],
            [
                [
                    r["date"],
                    " › ".join(r["region_path"]),
                    r["hall"],
                    r["window"],
                    "、".join(r["on_duty"]),
                    periods(r),
                    *self._common(r),
                ]
                for r in data["windows"]
            ],
        )
        halls = (
            ["日期", "所属区域", "大厅", *self.COMMON_HEADERS],
            [[r["date"], " › ".join(r["region_path"]), r["hall"], *self._common(r)] for r in data["halls"]],
        )
        regions = (
            ["日期", "级别", "区域", *self.COMMON_HEADERS],
            [[r["date"], r["level_name"], r["region"], *self._common(r)] for r in data["regions"]],
        )
        range_windows = (
            ["时段", "大厅", "窗口", *self.COMMON_HEADERS],
            [[r["date"], r["hall"], r["window"], *self._common(r)] for r in data["range"]["windows"]],
        )
        range_halls = (
            ["时段", "所属区域", "大厅", *self.COMMON_HEADERS],
            [[r["date"], " › ".join(r["region_path"]), r["hall"], *self._common(r)] for r in data["range"]["halls"]],
        )
        return {
            "窗口": windows,
            "大厅": halls,
            "区域": regions,
            "区间汇总（窗口）": range_windows,
            "区间汇总（大厅）": range_halls,
        }

    def csv(self, data: dict) -> bytes:
        """The window sheet (the one people open in a spreadsheet)."""
        headers, rows = self.sheets(data)["窗口"]
        return csv_bytes(headers, rows)

    def xlsx(self, data: dict, title: str = "") -> bytes:
        return xlsx_bytes(self.sheets(data), title)
