"""Webhook notifications with retries and back-off; never on the consumer's path.

Formats: ``generic`` (the alert as JSON), ``dingtalk`` and ``wecom`` (the robots' markdown
messages). A full queue or a dead endpoint costs notifications (logged, counted), never consumption.
"""
from __future__ import annotations

import logging
import queue
import threading
import time

import httpx

from configs.model import Webhook

log = logging.getLogger(__name__)

TYPE_NAMES = {"empty_post": "空岗/离岗", "staff_chatting": "聚众聊天/串岗", "queue_crowding": "一米线拥挤"}


def describe(alert: dict, why: str) -> str:
    lines = [
        f"### 电子监察告警：{TYPE_NAMES.get(alert['type'], alert['type'])}",
        f"- 事件：{why}",
        f"- 大厅：{alert.get('hall_name') or alert['hall_id']}　窗口：{alert.get('window_id') or '—'}",
        f"- 区域：{' / '.join(alert.get('region_names') or alert['region_path'])}",
        f"- 开始：{alert['started_at']}",
        f"- 编号：{alert['event_id']}",
    ]
    return "\n".join(lines)


def payload(hook: Webhook, alert: dict, why: str) -> dict:
    if hook.format == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": "电子监察告警", "text": describe(alert, why)}}
    if hook.format == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": describe(alert, why)}}
    return {"event": why, "alert": alert}


class Notifier:
    def __init__(self, hooks: list[Webhook], attempts: int = 5, base_delay_s: float = 1.0,
                 timeout_s: float = 5.0, max_queue: int = 10000):
        self.hooks = hooks
        self.attempts = attempts
        self.base_delay_s = base_delay_s
        self.client = httpx.Client(timeout=timeout_s)
        self.sent = 0
        self.failed = 0
        self._queue: queue.Queue = queue.Queue(maxsize=max_queue)
        self._thread = threading.Thread(target=self._run, name="notifier", daemon=True)
        self._thread.start()

    def notify(self, alert: dict, why: str) -> None:
        for hook in self.hooks:
            if hook.regions and not set(hook.regions) & set(alert["region_path"]):
                continue
            try:
                self._queue.put_nowait((hook, payload(hook, alert, why)))
            except queue.Full:
                self.failed += 1
                log.error("notification queue full: dropping a notification for %s", hook.url)

    def _run(self) -> None:
        while True:
            hook, body = self._queue.get()
            for attempt in range(self.attempts):
                try:
                    response = self.client.post(hook.url, json=body)
                    if response.status_code < 300:
                        self.sent += 1
                        break
                    error = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    error = str(exc)
                if attempt + 1 < self.attempts:
                    time.sleep(self.base_delay_s * 2**attempt)
            else:
                self.failed += 1
                log.error("webhook %s failed after %d attempts: %s", hook.url, self.attempts, error)

    def pending(self) -> int:
        return self._queue.qsize()
