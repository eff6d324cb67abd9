"""Webhook notifications with retries and back-off; never on the consumer's path.

Formats: ``generic`` (the alert as JSON), ``dingtalk`` and ``wecom`` (the robots' markdown
messages). A full queue or a dead endpoint costs notifications (logged, counted), never consumption.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass

import httpx

from configs.labels import type_label
from configs.model import HallwatchConfig, Webhook
from domain.events import Violation
from streams.wire import encode

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    """A violation with the names people read (from the config, not from the message)."""

    violation: Violation
    hall_name: str
    region_names: tuple[str, ...]
    window_name: str | None = None

    @classmethod
    def of(cls, cfg: HallwatchConfig, v: Violation) -> Notice:
        hall = next((h for h in cfg.halls if h.id == v.hall_id), None)
        windows = {w.id: w.name for w in hall.windows} if hall else {}
        names = {r.id: r.name for r in cfg.regions}
        return cls(
            v,
            hall.name if hall else v.hall_id,
            tuple(names[r] for r in v.region_path if r in names),
            windows.get(v.window_id or "") or v.window_id,
        )


def describe(notice: Notice, why: str) -> str:
    v = notice.violation
    lines = [
        f"### 电子监察告警：{type_label(v.type)}",
        f"- 事件：{why}",
        f"- 大厅：{notice.hall_name}　窗口：{notice.window_name or '—'}",
        f"- 区域：{' / '.join(notice.region_names or v.region_path)}",
        f"- 开始：{v.started_at.isoformat()}",
        f"- 编号：{v.event_id}",
    ]
    return "\n".join(lines)


def payload(hook: Webhook, notice: Notice, why: str) -> dict:
    if hook.format == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": "电子监察告警", "text": describe(notice, why)}}
    if hook.format == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": describe(notice, why)}}
    alert = {
        **encode(notice.violation),
        "hall_name": notice.hall_name,
        "region_names": list(notice.region_names),
    }
    return {"event": why, "alert": alert}


ROBOTS = ("dingtalk", "wecom")
ANSWER_CHARS = 300


def answered(hook: Webhook, response: httpx.Response) -> str | None:
    """Why the receiver refused ``response``'s notification, or None when it took it. The DingTalk
    and WeCom robots answer HTTP 200 with ``errcode`` ≠ 0 when they refuse a message (a keyword or
    signature missing, a revoked token): only ``errcode`` 0 is delivered."""
    if response.status_code >= 300:
        return f"HTTP {response.status_code}"
    if hook.format in ROBOTS:
        try:
            body = response.json()
        except ValueError:
            return "the robot's answer is not JSON"
        code = body.get("errcode") if isinstance(body, dict) else None
        if code != 0:
            return f"errcode {code}: {str(body.get('errmsg', ''))[:ANSWER_CHARS] if isinstance(body, dict) else ''}"
    return None


def target(url: str) -> str:
    """Where a webhook points, without its path and query (robots' tokens live there)."""
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.host}{f':{parsed.port}' if parsed.port else ''}"


def trial_message(hook: Webhook, who: str) -> dict:
    """A test notification in the hook's format (people see it in their group: it says so)."""
    text = f"### 电子监察通知渠道测试\n- 这是一条测试消息，不是告警。\n- 发起人：{who}"
    if hook.format == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": "电子监察告警", "text": text}}
    if hook.format == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": text}}
    return {"event": "test", "text": text}


def try_channels(hooks: list[Webhook], who: str, timeout_s: float = 5.0) -> list[dict]:
    """Sends one test message to each hook now and says what each receiver answered."""
    results = []
    with httpx.Client(timeout=timeout_s) as client:
        for index, hook in enumerate(hooks):
            started = time.monotonic()
            result: dict = {"index": index, "format": hook.format, "target": target(hook.url)}
            try:
                response = client.post(hook.url, json=trial_message(hook, who))
                refused = answered(hook, response)
                result.update(ok=refused is None, status=response.status_code, error=refused,
                              answer=response.text[:ANSWER_CHARS])  # fmt: skip
            except httpx.HTTPError as error:
                result.update(ok=False, status=None, error=f"{type(error).__name__}: {error}"[:ANSWER_CHARS], answer="")
            result["ms"] = round((time.monotonic() - started) * 1000)
            results.append(result)
    return results


class Notifier:
    def __init__(
        self,
        hooks: list[Webhook],
        attempts: int = 5,
        base_delay_s: float = 1.0,
        timeout_s: float = 5.0,
        max_queue: int = 10000,
    ):
        self.hooks = hooks
        self.attempts = attempts
        self.base_delay_s = base_delay_s
        self.client = httpx.Client(timeout=timeout_s)
        self.sent = 0
        self.failed = 0
        self._queue: queue.Queue = queue.Queue(maxsize=max_queue)
        self._thread = threading.Thread(target=self._run, name="notifier", daemon=True)
        self._thread.start()

    def notify(self, notice: Notice, why: str) -> None:
        for hook in self.hooks:
            if hook.regions and not set(hook.regions) & set(notice.violation.region_path):
                continue
            try:
                self._queue.put_nowait((hook, payload(hook, notice, why)))
            except queue.Full:
                self.failed += 1
                log.error("notification queue full: dropping a notification for %s", hook.url)

    def _run(self) -> None:
        while True:
            hook, body = self._queue.get()
            for attempt in range(self.attempts):
                try:
                    response = self.client.post(hook.url, json=body)
                    refused = answered(hook, response)
                    if refused is None:
                        self.sent += 1
                        break
                    error = refused
                except httpx.HTTPError as exc:
                    error = str(exc)
                if attempt + 1 < self.attempts:
                    time.sleep(self.base_delay_s * 2**attempt)
            else:
                self.failed += 1
                log.error("webhook %s failed after %d attempts: %s", target(hook.url), self.attempts, error)
