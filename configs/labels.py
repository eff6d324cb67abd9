"""Display names in Simplified Chinese: the one list of violation types, reasons and zone kinds.

The console receives them from the API (``/api/labels``); notifications and evidence overlays
read them here. Codes are the contract (they travel in messages); labels may change.
"""

from __future__ import annotations

VIOLATION_TYPES: dict[str, str] = {
    "empty_post": "空岗/离岗",
    "staff_chatting": "聚众聊天/串岗",
    "queue_crowding": "一米线拥挤",
    "citizen_waiting": "群众等候无人接待",
    "poor_rating": "差评",
}

REASONS: dict[str, str] = {
    "empty": "岗位无人",
    "left_post": "离岗",
    "late_arrival": "迟到",
    "early_leave": "早退",
    "absent": "缺岗",
    "unattended": "窗口无人接待",
    "gathering": "聚集",
    "too_close": "间距不足1米",
    "line_crossed": "越线",
    "over_capacity": "排队超员",
    "called_empty": "叫号无人",
}

ZONE_KINDS: dict[str, str] = {
    "post": "岗位",
    "staff_area": "工作区",
    "service_area": "服务区（一米线内）",
    "queue_area": "排队区",
}

LEVELS: dict[str, str] = {"city": "市", "county": "县（区）", "township": "乡（街道）"}


def type_label(code: str) -> str:
    return VIOLATION_TYPES.get(code, code)


def reason_label(code: str | None) -> str:
    return REASONS.get(code or "", code or "")
