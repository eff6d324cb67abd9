"""The alert lifecycle and the supervision case (督办 → 整改 → 反馈 → 办结): a state machine over the
stored alerts, every change audited in the same transaction.

    new -> acknowledged (operator) -> reviewed (discipline officer: confirmed or dismissed, note)
    reviewed, dismissed -> closed (officer: a dismissed alert accuses no one and closes directly)
    reviewed, confirmed -> dispatched (督办, officer: 整改要求 and 整改时限)
    dispatched -> rectified (整改反馈, the hall's manager: what was done)
    rectified -> closed (办结, officer) | dispatched (退回, officer: why, and a new deadline)

Escalation moves an alert's ``escalated_to`` up the region tree without changing its state: an
unacknowledged alert after ``alerts.escalation_minutes``, a case still dispatched after its
deadline once per deadline. The rules (``next_state``) are pure; ``Lifecycle`` applies them to the
store, with the case row (``alerts.store.schema.Case``) and the audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update

from alerts.store.alerts import AlertStore
from alerts.store.report_days import forget
from alerts.store.schema import Alert, AuditEntry, Case, utcnow

STATES = ("new", "acknowledged", "reviewed", "dispatched", "rectified", "closed")
OPEN_CASE_STATES = ("dispatched", "rectified")
ACTIONS = ("acknowledge", "review", "dispatch", "rectify", "return", "close")
OUTCOMES = ("confirmed", "dismissed")
MAX_DEADLINE = timedelta(days=366)


class TransitionRefused(Exception):
    """The alert is not in the state the action starts from (HTTP 409)."""


class RequestInvalid(ValueError):
    """A malformed request (HTTP 422), naming the field."""

    def __init__(self, field: str, kind: str, message: str):
        super().__init__(message)
        self.field, self.kind = field, kind


@dataclass(frozen=True)
class Step:
    """What a person asks for: the action and what it carries."""

    action: str
    note: str | None = None
    outcome: str | None = None  # review
    requirement: str | None = None  # dispatch: 整改要求
    due_at: datetime | None = None  # dispatch, return: 整改时限


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def check(step: Step, now: datetime) -> None:
    """RequestInvalid unless ``step`` carries what its action needs."""
    if step.action not in ACTIONS:
        raise RequestInvalid("action", "literal_error", f"unknown action {step.action!r}")
    if step.action == "review":
        if step.outcome not in OUTCOMES:
            raise RequestInvalid("outcome", "literal_error", "a review is `confirmed` or `dismissed`")
        if _blank(step.note):
            raise RequestInvalid("note", "missing", "a review needs a note")
    if step.action == "dispatch" and _blank(step.requirement):
        raise RequestInvalid("requirement", "missing", "a dispatch needs the requirement (整改要求)")
    if step.action in ("rectify", "return") and _blank(step.note):
        raise RequestInvalid("note", "missing", f"a {step.action} needs a note")
    if step.action in ("dispatch", "return"):
        if step.due_at is None or step.due_at.tzinfo is None:
            raise RequestInvalid("due_at", "offset_needed", "a deadline with a UTC offset is needed")
        if not now < step.due_at <= now + MAX_DEADLINE:
            raise RequestInvalid("due_at", "deadline_range", "the deadline must lie in the future, within 366 days")


def next_state(current: str, outcome: str | None, step: Step, now: datetime) -> str:
    """The state after ``step`` for an alert in ``current`` (reviewed as ``outcome``):
    RequestInvalid for a malformed request, TransitionRefused for one the state does not allow."""
    check(step, now)
    allowed = {
        "acknowledge": current == "new",
        "review": current == "acknowledged",
        "dispatch": current == "reviewed" and outcome == "confirmed",
        "rectify": current == "dispatched",
        "return": current == "rectified",
        "close": (current == "reviewed" and outcome == "dismissed") or current == "rectified",
    }[step.action]
    if not allowed:
        if step.action == "close" and current == "reviewed":
            raise TransitionRefused("a confirmed violation is dispatched (督办) before it closes")
        if step.action == "dispatch" and current == "reviewed":
            raise TransitionRefused("a dismissed alert accuses no one: it is closed, not dispatched")
        raise TransitionRefused(f"cannot {step.action} an alert that is {current}")
    return {
        "acknowledge": "acknowledged",
        "review": "reviewed",
        "dispatch": "dispatched",
        "rectify": "rectified",
        "return": "dispatched",
        "close": "closed",
    }[step.action]


def _details(step: Step) -> dict:
    fields = {
        "note": step.note,
        "outcome": step.outcome,
        "requirement": step.requirement,
        "due_at": step.due_at.isoformat() if step.due_at else None,
    }
    return {k: v for k, v in fields.items() if v}


class Lifecycle:
    def __init__(self, store: AlertStore):
        self.store = store

    def transition(
        self,
        event_id: str,
        actor: str,
        action: str,
        note: str | None = None,
        outcome: str | None = None,
        *,
        requirement: str | None = None,
        due_at: datetime | None = None,
        now: datetime | None = None,
    ) -> Alert:
        """One step of the lifecycle, only from the state before it. KeyError if unknown."""
        step = Step(action, note, outcome, requirement, due_at)
        now = now or utcnow()
        with self.store.session() as session:
            # Write first, read after: the no-op UPDATE takes the row's lock (PostgreSQL) or the
            # database's write lock (SQLite, where a SELECT first would read a snapshot that a
            # concurrent step may change): two clicks on one button make one step, the other 409.
            session.execute(update(Alert).where(Alert.event_id == event_id).values(lifecycle=Alert.lifecycle))
            alert = session.get(Alert, event_id, with_for_update=True, populate_existing=True)
            if alert is None:
                raise KeyError(event_id)
            alert.lifecycle = next_state(alert.lifecycle, alert.review_outcome, step, now)
            if action == "acknowledge":
                alert.acknowledged_at = now
            if action == "review":
                alert.review_outcome = outcome  # the attendance report counts by it
                forget(session, alert.hall_id, alert.started_at, alert.ended_at or alert.started_at)
            case = session.get(Case, event_id, with_for_update=True)
            if action == "dispatch" and due_at and requirement:
                case = Case(
                    event_id=event_id,
                    requirement=requirement.strip(),
                    due_at=due_at,
                    dispatched_at=now,
                    dispatched_by=actor,
                    first_dispatched_at=now,
                    returns=0,
                )
                session.add(case)
            elif case is not None:
                _apply_to_case(case, step, actor, now)
            session.add(AuditEntry(event_id=event_id, actor=actor, action=action, at=now, details=_details(step)))
            return alert

    def escalate(self, event_id: str, to_region: str, overdue: bool = False, now: datetime | None = None) -> None:
        """Move the alert to ``to_region``: unacknowledged too long, or (``overdue``) a case past
        its deadline, once per deadline."""
        now = now or utcnow()
        with self.store.session() as session:
            alert = session.get(Alert, event_id)
            if alert is None:
                return
            alert.escalated_to = to_region
            alert.escalations += 1
            alert.escalated_at = now
            if overdue:
                case = session.get(Case, event_id)
                if case is not None:
                    case.overdue_escalated_at = now
            session.add(
                AuditEntry(
                    event_id=event_id,
                    actor="system",
                    action="overdue_escalate" if overdue else "escalate",
                    at=now,
                    details={"to_region": to_region, "escalations": alert.escalations},
                )
            )


def _apply_to_case(case: Case, step: Step, actor: str, now: datetime) -> None:
    if step.action == "rectify":
        case.rectification = (step.note or "").strip()
        case.rectified_at, case.rectified_by = now, actor
        case.rectified_late = now > case.due_at
    elif step.action == "return" and step.due_at:
        case.returns += 1
        case.due_at, case.dispatched_at, case.dispatched_by = step.due_at, now, actor
        case.overdue_escalated_at = None  # a new deadline: it may escalate again
    elif step.action == "close":
        case.closing_note = (step.note or "").strip() or None
        case.closed_at, case.closed_by = now, actor
