"""Repeated log lines are rate-limited per message template, and the suppression is reported."""

from __future__ import annotations

import logging

from alerts.log_limits import RepeatLimit


def test_a_flood_of_one_line_is_cut_to_a_few_a_minute_and_counted():
    now = [0.0]
    limit = RepeatLimit(per_minute=3, clock=lambda: now[0])
    records = [logging.LogRecord("asyncio", logging.ERROR, "x", 1, "socket.accept() out of system resource", None, None)
               for _ in range(1000)]  # fmt: skip
    passed = [r for r in records if limit.filter(r)]
    assert len(passed) == 3
    other = logging.LogRecord("alerts", logging.ERROR, "x", 1, "another problem", None, None)
    assert limit.filter(other)  # each template has its own budget
    now[0] = 61.0
    later = logging.LogRecord("asyncio", logging.ERROR, "x", 1, "socket.accept() out of system resource", None, None)
    assert limit.filter(later) and "997 similar lines suppressed" in later.getMessage()
