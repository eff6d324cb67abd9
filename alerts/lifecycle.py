"""The alert lifecycle: a state machine over the stored alerts, every change audited.

    new -> acknowledged (operator) -> reviewed (discipline officer: confirmed or dismissed,
    note required) -> closed

Escalation moves an unacknowledged alert's ``escalated_to`` up the region tree without
changing its lifecycle state. The rules (``next_state``) are pure; ``Lifecycle`` applies them
to the store in one transaction each, with the audit row.
"""

from __future__ import annotations

from alerts.store.alerts import AlertStore
from alerts.store.schema import Alert, AuditEntry, utcnow

STATES = ("new", "acknowledged", "reviewed", "closed")
TRANSITIONS = {
    "acknowledge": ("new", "acknowledged"),
    "review": ("acknowledged", "reviewed"),
    "close": ("reviewed", "closed"),
}
OUTCOMES = ("confirmed", "dismissed")


class TransitionRefused(Exception):
    """The alert is not in the state the action starts from (HTTP 409)."""


def next_state(current: str, action: str, note: str | None = None, outcome: str | None = None) -> str:
    """The state after ``action``; ValueError for a malformed request, TransitionRefused for one
    that the alert's current state does not allow."""
    if action not in TRANSITIONS:
        raise ValueError(f"unknown action {action!r}")
    if action == "review":
        if outcome not in OUTCOMES:
            raise ValueError("a review is `confirmed` or `dismissed`")
        if not note or not note.strip():
            raise ValueError("a review needs a note")
    before, after = TRANSITIONS[action]
    if current != before:
        raise TransitionRefused(f"cannot {action} an alert that is {current}")
    return after


class Lifecycle:
    def __init__(self, store: AlertStore):
        self.store = store

    def transition(
        self, event_id: str, actor: str, action: str, note: str | None = None, outcome: str | None = None
    ) -> Alert:
        """acknowledge | review | close, each only from the state before it. KeyError if unknown."""
        with self.store.session() as session:
            alert = session.get(Alert, event_id, with_for_update=True)
            if alert is None:
                raise KeyError(event_id)
            alert.lifecycle = next_state(alert.lifecycle, action, note, outcome)
            now = utcnow()
            if action == "acknowledge":
                alert.acknowledged_at = now
            if action == "review":
                alert.review_outcome = outcome
            session.add(
                AuditEntry(
                    event_id=event_id,
                    actor=actor,
                    action=action,
                    at=now,
                    details={k: v for k, v in {"note": note, "outcome": outcome}.items() if v},
                )
            )
            return alert

    def escalate(self, event_id: str, to_region: str) -> None:
        with self.store.session() as session:
            alert = session.get(Alert, event_id)
            if alert is None:
                return
            alert.escalated_to = to_region
            alert.escalations += 1
            alert.escalated_at = utcnow()
            session.add(
                AuditEntry(
                    event_id=event_id,
                    actor="system",
                    action="escalate",
                    details={"to_region": to_region, "escalations": alert.escalations},
                )
            )
