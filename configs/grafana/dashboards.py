"""Grafana dashboards as code (grafana-foundation-sdk), generated into configs/grafana/dashboards/.
This module is longer than 400 lines: four dashboards written as builder chains, one call per line.

    python -m configs.grafana.dashboards            # regenerate the JSON files
    python -m configs.grafana.dashboards --check    # exit 1 if the committed JSON is out of date

Four dashboards for administrators: 三级电子监察覆盖率 (coverage), 违规态势 (violations),
设备与流水线 (devices and pipeline) and 考勤与排队 (attendance and queues). The region variables ($county, $township) restrict every panel
to a subtree, so a county administrator sees their own halls.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grafana_foundation_sdk.builders import bargauge, dashboard, prometheus, stat, table, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    ThresholdsMode,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

OUT = Path(__file__).resolve().parent / "dashboards"
DS = DataSourceRef(type_val="prometheus", uid="hallwatch-prometheus")
# Hall-level series carry `county` (the county ancestor, "" for city halls) and `region`.
SUBTREE = 'county=~"$county", region=~"$township"'


def query(expr: str, legend: str = "", instant: bool = False, table_format: bool = False) -> prometheus.Dataquery:
    q = prometheus.Dataquery().expr(expr).datasource(DS)
    if legend:
        q = q.legend_format(legend)
    if instant:
        q = q.instant()
    if table_format:
        q = q.format(PromQueryFormat.TABLE)
    return q


# Legends in Chinese: region names from hallwatch_region_info, levels spelled out.
def named(expr: str) -> str:
    """``expr`` (with `region` and `level` labels) with the region's name and a `lv` label in Chinese."""
    return named_levels(f"{expr} * on (region) group_left (name) hallwatch_region_info")


def named_states(expr: str) -> str:
    """``expr`` (with a case `state` label) with an `st` label in Chinese."""
    for code, name in (("dispatched", "已督办待整改"), ("rectified", "已反馈待审核")):
        expr = f'label_replace({expr}, "st", "{name}", "state", "{code}")'
    return expr


def camera_named(expr: str) -> str:
    """``expr`` (with a `camera` label) with the camera's display name (from the alerting service's
    ``hallwatch_camera_info``; without it, the series as they are)."""
    return f"({expr} * on (camera) group_left (name) hallwatch_camera_info) or {expr}"


def named_levels(expr: str) -> str:
    """``expr`` (with a `level` label) with a `lv` label in Chinese."""
    for code, name in (("city", "市级"), ("county", "县级"), ("township", "乡级")):
        expr = f'label_replace({expr}, "lv", "{name}", "level", "{code}")'
    return expr


def thresholds(*steps: tuple[float | None, str]) -> dashboard.ThresholdsConfig:
    builder = dashboard.ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE)
    from grafana_foundation_sdk.models.dashboard import Threshold

    return builder.steps([Threshold(value=v, color=c) for v, c in steps])


# The selectors show each region's name and filter by its id: Grafana reads the text and the value
# from named groups of the series line (labels in alphabetical order: name before region).
REGION_TEXT_VALUE = '/name="(?<text>[^"]+)".*region="(?<value>[^"]+)"/'


def region_variables() -> list[dashboard.QueryVariable]:
    county = (
        dashboard.QueryVariable("county")
        .label("区县")
        .datasource(DS)
        .query('query_result(hallwatch_region_info{level="county"})')
        .regex(REGION_TEXT_VALUE)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .include_all(True)
        .all_value(".*")
        .multi(False)
    )
    township = (
        dashboard.QueryVariable("township")
        .label("乡镇（街道）")
        .datasource(DS)
        .query('query_result(hallwatch_region_info{level=~"county|township", county=~"$county"})')
        .regex(REGION_TEXT_VALUE)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .include_all(True)
        .all_value(".*")
        .multi(False)
    )
    return [county, township]


def base(title: str, uid: str, description: str) -> dashboard.Dashboard:
    builder = (
        dashboard.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["hallwatch", "电子监察"])
        .refresh("1m")
        .time("now-24h", "now")
        .timezone("browser")
    )
    for variable in region_variables():
        builder = builder.with_variable(variable)
    return builder


def selected(metric: str, matchers: str = "") -> str:
    """``metric`` for the region the selectors name: the township, else the county, else the whole
    registry. An exact matcher on "All" (".*") matches nothing, and ``or ignoring (region)`` keeps
    a level's series from the first scope that has it."""
    extra = f", {matchers}" if matchers else ""
    return " or ignoring (region) ".join(
        f'{metric}{{region="{scope}"{extra}}}' for scope in ("$township", "$county", "all")
    )


def coverage() -> dashboard.Dashboard:
    d = base("三级电子监察覆盖率", "hallwatch-coverage", "Halls and windows under electronic supervision, by level.")
    full = thresholds((None, "red"), (0.95, "orange"), (1, "green"))
    for level, name in (("city", "市级"), ("county", "县级"), ("township", "乡级")):
        d = d.with_panel(
            stat.Panel()
            .title(f"{name}大厅覆盖率")
            .unit("percentunit")
            .min(0)
            .max(1)
            .decimals(1)
            .span(8)
            .height(5)
            .thresholds(full)
            .no_value("无大厅")
            .with_target(query(selected("hallwatch_coverage_ratio", f'level="{level}"'), instant=True))
        )
    d = d.with_panel(
        timeseries.Panel()
        .title("覆盖率与 100% 目标")
        .unit("percentunit")
        .min(0)
        .max(1.05)
        .span(24)
        .height(8)
        .with_target(query(named_levels(selected("hallwatch_coverage_ratio")), "{{lv}}"))
        .with_target(query("vector(1)", "目标 100%"))
    )
    d = d.with_panel(
        bargauge.Panel()
        .title("下钻：所选区县/乡镇各级覆盖率")
        .unit("percentunit")
        .min(0)
        .max(1)
        .span(12)
        .height(8)
        .thresholds(full)
        .with_target(
            query(
                named('hallwatch_coverage_ratio{region=~"$township", region!="all"}'), "{{name}} · {{lv}}", instant=True
            )
        )
    )
    d = d.with_panel(
        bargauge.Panel()
        .title("窗口覆盖率")
        .unit("percentunit")
        .min(0)
        .max(1)
        .span(12)
        .height(8)
        .thresholds(full)
        .with_target(
            query(
                named('hallwatch_window_coverage_ratio{region=~"$township", region!="all"}'),
                "{{name}} · {{lv}}",
                instant=True,
            )
        )
    )
    d = d.with_panel(
        table.Panel()
        .title("未覆盖大厅及离线摄像头")
        .span(24)
        .height(9)
        .with_target(query(f"hallwatch_hall_uncovered{{{SUBTREE}}}", instant=True, table_format=True))
    )
    return d


def decided(by: str, matchers: str, window: str) -> str:
    """Violations less those an officer dismissed (不予认定: they accuse no one), summed ``by``; a
    series with nothing dismissed keeps its count."""
    raised = f"sum by ({by}) (increase(hallwatch_violations_total{{{matchers}}}[{window}]))"
    dismissed = f"sum by ({by}) (increase(hallwatch_violations_dismissed_total{{{matchers}}}[{window}]))"
    return f"({raised} - ({dismissed} or {raised} * 0))"


def violations() -> dashboard.Dashboard:
    d = base(
        "违规态势",
        "hallwatch-violations",
        "Violations by type, reason, region and hour, less those dismissed on review; open alerts and cases.",
    )
    d = d.with_panel(
        timeseries.Panel()
        .title("每小时违规（按类型）")
        .unit("short")
        .span(12)
        .height(8)
        .with_target(
            query(f"{decided('type', SUBTREE, '1h')} * on (type) group_left (name) hallwatch_type_info", "{{name}}")
        )
    )
    d = d.with_panel(
        timeseries.Panel()
        .title("每小时违规（按原因）")
        .unit("short")
        .span(12)
        .height(8)
        .with_target(
            query(
                f"{decided('reason', SUBTREE, '1h')} * on (reason) group_left (name) hallwatch_reason_info", "{{name}}"
            )
        )
    )
    d = d.with_panel(
        bargauge.Panel()
        .title("各区域违规数（所选时段）")
        .unit("short")
        .span(8)
        .height(9)
        .with_target(
            query(
                f"{decided('region', SUBTREE, '$__range')} * on (region) group_left (name) hallwatch_region_info",
                "{{name}}",
                instant=True,
            )
        )
    )
    d = d.with_panel(
        bargauge.Panel()
        .title("违规最多的大厅")
        .unit("short")
        .span(8)
        .height(9)
        .with_target(
            query(
                f"topk(10, {decided('hall', SUBTREE, '$__range')} * on (hall) group_left (name) hallwatch_hall_info)",
                "{{name}}",
                instant=True,
            )
        )
    )
    d = d.with_panel(
        bargauge.Panel()
        .title("违规最多的窗口")
        .unit("short")
        .span(8)
        .height(9)
        .with_target(
            query(
                "topk(10, "
                + decided("hall, window", SUBTREE + ', window!=""', "$__range")
                + " * on (hall, window) group_left (name, hall_name) hallwatch_window_info)",
                "{{hall_name}} · {{name}}",
                instant=True,
            )
        )
    )
    d = d.with_panel(
        stat.Panel()
        .title("待处置告警")
        .unit("short")
        .span(8)
        .height(6)
        .thresholds(thresholds((None, "green"), (1, "orange"), (10, "red")))
        .with_target(query('sum(hallwatch_alerts_open{region=~"$township"}) or vector(0)', instant=True))
    )
    d = d.with_panel(
        timeseries.Panel()
        .title("待处置告警（按类型、级别）")
        .unit("short")
        .span(8)
        .height(6)
        .with_target(
            query(
                named_levels(
                    'sum by (type, level) (hallwatch_alerts_open{region=~"$township"}) '
                    "* on (type) group_left (name) hallwatch_type_info"
                ),
                "{{name}} · {{lv}}",
            )
        )
    )
    d = d.with_panel(
        timeseries.Panel()
        .title("告警确认用时")
        .unit("s")
        .span(8)
        .height(6)
        .with_target(
            query(
                "histogram_quantile(0.5, sum by (le) (rate(hallwatch_alert_ack_seconds_bucket[$__rate_interval])))",
                "p50",
            )
        )
        .with_target(
            query(
                "histogram_quantile(0.9, sum by (le) (rate(hallwatch_alert_ack_seconds_bucket[$__rate_interval])))",
                "p90",
            )
        )
    )
    return supervision_panels(d)


def supervision_panels(d: dashboard.Dashboard) -> dashboard.Dashboard:
    """The closed loop (督办 → 整改 → 办结): open cases, overdue cases, the officers' false-alarm rate."""
    d = d.with_panel(
        stat.Panel()
        .title("督办逾期未整改")
        .description("已督办、超过整改时限仍未反馈的案件（逾期即升级一级并通知）")
        .unit("short")
        .span(8)
        .height(6)
        .thresholds(thresholds((None, "green"), (1, "red")))
        .with_target(query('sum(hallwatch_cases_overdue{region=~"$township"}) or vector(0)', instant=True))
    )
    d = d.with_panel(
        bargauge.Panel()
        .title("督办案件（按状态、级别）")
        .description("dispatched = 已督办待整改，rectified = 已反馈待审核")
        .unit("short")
        .span(8)
        .height(6)
        .no_value("暂无未办结的督办案件")
        .with_target(
            query(
                named_states(named_levels('sum by (state, level) (hallwatch_cases{region=~"$township"})')),
                "{{st}} · {{lv}}",
                instant=True,
            )
        )
    )
    d = d.with_panel(
        bargauge.Panel()
        .title("误报率（不予认定 ÷ 已复核，所选时段）")
        .unit("percentunit")
        .span(8)
        .height(6)
        .no_value("所选时段无复核")
        .thresholds(thresholds((None, "green"), (0.1, "orange"), (0.3, "red")))
        .with_target(
            query(
                '(sum by (type) (increase(hallwatch_reviews_total{outcome="dismissed"}[$__range])) '
                "/ sum by (type) (increase(hallwatch_reviews_total[$__range]))) "
                "* on (type) group_left (name) hallwatch_type_info",
                "{{name}}",
                instant=True,
            )
        )
    )
    return d


def devices() -> dashboard.Dashboard:
    d = base("设备与流水线", "hallwatch-devices", "Cameras, frame rates, inference, Kafka lag and the spool.")
    d = d.with_panel(
        stat.Panel()
        .title("在线摄像头")
        .unit("short")
        .span(6)
        .height(5)
        .with_target(query("sum(hallwatch_camera_up)", instant=True))
    )
    d = d.with_panel(
        stat.Panel()
        .title("摄像头总数")
        .unit("short")
        .span(6)
        .height(5)
        .with_target(query("count(hallwatch_camera_up)", instant=True))
    )
    d = d.with_panel(
        stat.Panel()
        .title("告警服务消费积压")
        .unit("short")
        .span(6)
        .height(5)
        .thresholds(thresholds((None, "green"), (100, "orange"), (1000, "red")))
        .with_target(query("sum(hallwatch_consumer_lag)", instant=True))
    )
    d = d.with_panel(
        stat.Panel()
        .title("本地缓存队列")
        .unit("bytes")
        .span(6)
        .height(5)
        .thresholds(thresholds((None, "green"), (1_000_000, "orange")))
        .with_target(query("sum(hallwatch_pipeline_spool_bytes)", instant=True))
    )
    d = d.with_panel(
        table.Panel()
        .title("摄像头在线状态")
        .span(24)
        .height(7)
        .with_target(query("hallwatch_camera_up", instant=True, table_format=True))
    )
    d = d.with_panel(
        timeseries.Panel()
        .title("输入帧率 / 分析帧率")
        .unit("fps")
        .span(12)
        .height(8)
        .with_target(query(camera_named("hallwatch_pipeline_fps_in"), "{{name}} 输入"))
        .with_target(query(camera_named("hallwatch_pipeline_fps_analysed"), "{{name}} 分析"))
    )
    d = d.with_panel(
        timeseries.Panel()
        .title("重连次数（每小时）")
        .unit("short")
        .span(12)
        .height(8)
        .with_target(query(camera_named("increase(hallwatch_pipeline_reconnects_total[1h])"), "{{name}}"))
    )
    d = d.with_panel(
        timeseries.Panel()
        .title("推理耗时 p50 / p95")
        .unit("s")
        .span(12)
        .height(8)
        .with_target(
            query(
                "histogram_quantile(0.5, sum by (le, instance) (rate(hallwatch_pipeline_inference_seconds_bucket[$__rate_interval])))",
                "p50 {{instance}}",
            )
        )
        .with_target(
            query(
                "histogram_quantile(0.95, sum by (le, instance) (rate(hallwatch_pipeline_inference_seconds_bucket[$__rate_interval])))",
                "p95 {{instance}}",
            )
        )
    )
    d = d.with_panel(
        timeseries.Panel()
        .title("Kafka 消费积压与缓存队列")
        .unit("short")
        .span(12)
        .height(8)
        .with_target(query("hallwatch_consumer_lag", "消费积压 {{instance}}"))
        .with_target(query("hallwatch_pipeline_spool_bytes", "缓存字节 {{instance}}"))
    )
    d = d.with_panel(
        stat.Panel()
        .title("证据盘剩余空间")
        .unit("bytes")
        .span(6)
        .height(6)
        .thresholds(thresholds((None, "red"), (2 * 2**30, "orange"), (10 * 2**30, "green")))
        .with_target(query("min(hallwatch_pipeline_evidence_disk_free_bytes)", instant=True))
    )
    d = d.with_panel(
        timeseries.Panel()
        .title("死信队列（每小时，按原因）")
        .unit("short")
        .span(6)
        .height(6)
        .with_target(query("sum by (reason) (increase(hallwatch_dlq_total[1h]))", "{{reason}}"))
    )
    d = d.with_panel(
        stat.Panel()
        .title("放弃发送的通知")
        .unit("short")
        .span(6)
        .height(6)
        .thresholds(thresholds((None, "green"), (1, "red")))
        .with_target(query("sum(hallwatch_notifications_failed)", instant=True))
    )
    d = d.with_panel(
        timeseries.Panel()
        .title("超时升级（每小时，按升级到的级别）")
        .unit("short")
        .span(6)
        .height(6)
        .with_target(
            query(
                named_levels("sum by (level) (increase(hallwatch_escalations_total[1h]))") + " or vector(0)", "{{lv}}"
            )
        )
    )
    return d


def attendance() -> dashboard.Dashboard:
    d = base(
        "考勤与排队",
        "hallwatch-attendance",
        "Today's staffed share (到岗率), lateness, early leave, waiting times "
        "and people waiting now (the console's 考勤报表 has the daily report).",
    )
    share = thresholds((None, "red"), (0.9, "orange"), (0.95, "green"))
    ratio = (
        f"sum(hallwatch_attendance_staffed_seconds{{{SUBTREE}}}) / "
        f"sum(hallwatch_attendance_observed_seconds{{{SUBTREE}}} > 0)"
    )
    d = d.with_panel(
        stat.Panel()
        .title("今日到岗率（所选区域）")
        .unit("percentunit")
        .min(0)
        .max(1)
        .decimals(1)
        .span(8)
        .height(5)
        .thresholds(share)
        .with_target(query(ratio, instant=True))
    )
    d = d.with_panel(
        stat.Panel()
        .title("当前排队人数")
        .unit("short")
        .span(8)
        .height(5)
        .with_target(query(f"sum(hallwatch_people_waiting{{{SUBTREE}}}) or vector(0)", instant=True))
    )
    d = d.with_panel(
        stat.Panel()
        .title("今日迟到 + 早退（分钟）")
        .unit("short")
        .decimals(0)
        .span(8)
        .height(5)
        .with_target(
            query(
                f"(sum(hallwatch_attendance_late_seconds{{{SUBTREE}}}) + "
                f"sum(hallwatch_attendance_early_leave_seconds{{{SUBTREE}}})) / 60",
                instant=True,
            )
        )
    )
    d = d.with_panel(
        bargauge.Panel()
        .title("今日到岗率（按区域）")
        .unit("percentunit")
        .min(0)
        .max(1)
        .span(12)
        .height(9)
        .thresholds(share)
        .with_target(
            query(
                'hallwatch_attendance_staffed_ratio{region=~"$township"} * on (region) '
                "group_left (name) hallwatch_region_info",
                "{{name}}",
                instant=True,
            )
        )
    )
    d = d.with_panel(
        bargauge.Panel()
        .title("今日到岗率最低的大厅")
        .unit("percentunit")
        .min(0)
        .max(1)
        .span(12)
        .height(9)
        .thresholds(share)
        .with_target(
            query(
                f"bottomk(10, sum by (hall_name) (hallwatch_attendance_staffed_seconds{{{SUBTREE}}}) / "
                f"sum by (hall_name) (hallwatch_attendance_observed_seconds{{{SUBTREE}}} > 0))",
                "{{hall_name}}",
                instant=True,
            )
        )
    )
    d = d.with_panel(
        timeseries.Panel()
        .title("等候时长 p50 / p90（按大厅）")
        .unit("s")
        .span(12)
        .height(8)
        .with_target(query(f'hallwatch_queue_wait_seconds{{{SUBTREE}, quantile="0.5"}}', "{{hall_name}} p50"))
        .with_target(query(f'hallwatch_queue_wait_seconds{{{SUBTREE}, quantile="0.9"}}', "{{hall_name}} p90"))
    )
    d = d.with_panel(
        timeseries.Panel()
        .title("排队人数（按大厅）")
        .unit("short")
        .span(12)
        .height(8)
        .with_target(query(f"sum by (hall_name) (hallwatch_people_waiting{{{SUBTREE}}})", "{{hall_name}}"))
    )
    d = d.with_panel(
        bargauge.Panel()
        .title("今日迟到、早退（分钟，按大厅）")
        .unit("short")
        .span(24)
        .height(8)
        .with_target(
            query(
                f"topk(10, sum by (hall_name) (hallwatch_attendance_late_seconds{{{SUBTREE}}})) / 60",
                "{{hall_name}} 迟到",
                instant=True,
            )
        )
        .with_target(
            query(
                f"topk(10, sum by (hall_name) (hallwatch_attendance_early_leave_seconds{{{SUBTREE}}})) / 60",
                "{{hall_name}} 早退",
                instant=True,
            )
        )
    )
    return d


DASHBOARDS = {
    "coverage.json": coverage,
    "violations.json": violations,
    "devices.json": devices,
    "attendance.json": attendance,
}


def render() -> dict[str, str]:
    encoder = JSONEncoder(sort_keys=True, indent=2, ensure_ascii=False)
    return {name: encoder.encode(build().build()) + "\n" for name, build in DASHBOARDS.items()}


def may_be_empty(rendered: dict[str, str] | None = None) -> set[tuple[str, str]]:
    """(dashboard, panel title) of panels that say what no data means (e.g. 无大厅 for a level
    without halls): their queries may rightly return nothing."""
    out = set()
    for name, text in (rendered or render()).items():
        for panel in json.loads(text)["panels"]:
            if panel.get("fieldConfig", {}).get("defaults", {}).get("noValue"):
                out.add((name, panel["title"]))
    return out


def expressions(rendered: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(dashboard, panel title, PromQL) of every target."""
    out = []
    for name, text in (rendered or render()).items():
        for panel in json.loads(text)["panels"]:
            for target in panel.get("targets", []):
                out.append((name, panel["title"], target["expr"]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m configs.grafana.dashboards",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    rendered = render()
    stale = [n for n, text in rendered.items() if not (OUT / n).exists() or (OUT / n).read_text() != text]
    if args.check:
        for name in stale:
            print(f"out of date: configs/grafana/dashboards/{name} (run python -m configs.grafana.dashboards)")
        return 1 if stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in rendered.items():
        (OUT / name).write_text(text)
    print(f"wrote {', '.join(rendered)} to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
