"""Prometheus and Grafana with real parts: promtool on the config and rules, dashboards regenerated
from code, and a real Prometheus scraping the demo pipeline and the alerting service, through
which every dashboard panel's and every rule's PromQL is evaluated."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

import httpx
import pytest
import yaml
from kafka import KafkaProducer

from configs.grafana.dashboards import expressions, may_be_empty, selected
from streams.broker import free_port
from tests.conftest import ROOT
from tests.helpers import wait_for

PROM = ROOT / "configs" / "prometheus"
needs_prometheus = pytest.mark.skipif(
    shutil.which("prometheus") is None or shutil.which("promtool") is None,
    reason="Debian package prometheus not installed (scripts/setup.sh)",
)


@needs_prometheus
def test_promtool_checks_config_and_rule_unit_tests():
    check = subprocess.run(
        ["promtool", "check", "config", str(PROM / "prometheus.yml")], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    tests = subprocess.run(
        ["promtool", "test", "rules", "tests/rules_test.yml"], cwd=PROM, capture_output=True, text=True
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "SUCCESS" in tests.stdout


def test_committed_dashboards_match_the_code():
    result = subprocess.run(
        [sys.executable, "-m", "configs.grafana.dashboards", "--check"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout
    for name in ("coverage.json", "violations.json", "devices.json", "attendance.json"):
        dashboard = json.loads((ROOT / "configs/grafana/dashboards" / name).read_text())
        assert {v["name"] for v in dashboard["templating"]["list"]} == {"county", "township"}


def wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} not up")


def start_prometheus(prom_dir, port: int, **targets: int) -> subprocess.Popen:
    """The project's Prometheus config and rules, scraping each named job's port every second."""
    (prom_dir / "targets").mkdir(parents=True)
    for job, target in targets.items():
        (prom_dir / f"targets/{job}.json").write_text(json.dumps([{"targets": [f"127.0.0.1:{target}"]}]))
    config = yaml.safe_load((PROM / "prometheus.yml").read_text())
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    config["rule_files"] = [str(PROM / "rules" / "*.yml")]
    (prom_dir / "prometheus.yml").write_text(yaml.safe_dump(config))
    return subprocess.Popen(
        [
            "prometheus",
            f"--config.file={prom_dir / 'prometheus.yml'}",
            f"--storage.tsdb.path={prom_dir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def grafana_series_line(metric: str, labels: dict[str, str]) -> str:
    """A series as Grafana's query_result() writes it for a variable's regex: labels sorted by name."""
    return metric + "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__") + "}"


def service_minute(timezone: str) -> dict:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    minute = datetime.now(ZoneInfo(timezone)).replace(second=0, microsecond=0) - timedelta(minutes=1)
    return {
        "schema": "hallwatch.service-minute.v1",
        "camera_id": "cam-01",
        "hall_id": "lianhua-center",
        "minute": minute.isoformat(),
        "observed_s": 60.0,
        "posts": [
            {
                "window_id": "w1",
                "staffed_s": 45.0,
                "first_in": minute.isoformat(),
                "last_in": (minute + timedelta(seconds=44)).isoformat(),
            }
        ],
        "areas": [
            {
                "zone_id": "queue",
                "kind": "queue_area",
                "window_id": None,
                "mean_people": 2.5,
                "max_people": 3,
                "last_people": 3,
            }
        ],
        "waits": [
            {
                "window_id": "w1",
                "zone_id": "w1-front",
                "track_id": 7,
                "queued_at": (minute - timedelta(seconds=42)).isoformat(),
                "served_at": minute.isoformat(),
                "wait_s": 42.0,
            }
        ],
        "produced_at": minute.isoformat(),
    }


def concrete(expr: str) -> str:
    """Grafana's variables as a county administrator with 'All' selected would have them."""
    return (
        expr.replace("$county", ".*")
        .replace("$township", ".*")
        .replace("$__range", "5m")
        .replace("$__rate_interval", "1m")
    )


def rule_operands(expr: str) -> list[str]:
    """The metric-bearing operands of an alert expression (each must have data; the comparison
    itself may rightly be empty while nothing is wrong)."""
    parts = re.split(r"\s+and\s+|\s(?:==|!=|<=|>=|<|>)\s", " ".join(expr.split()))
    return [p.strip() for p in parts if re.search(r"hallwatch_\w+", p)]


@needs_prometheus
@pytest.mark.kafka
def test_every_panel_and_rule_query_has_data_in_a_real_prometheus(kafka_broker, tmp_path):
    import uvicorn

    from alerts.access.auth import Users
    from alerts.api import create_app
    from alerts.service import AlertService
    from configs.loader import parse_config

    demo = yaml.safe_load((ROOT / "configs/demo.yaml").read_text())
    pipeline_port, alerts_port, prom_port = free_port(), free_port(), free_port()
    pipeline_cfg = copy.deepcopy(demo)
    pipeline_cfg["cameras"][0]["source"] = str((ROOT / "data/vtest.avi").resolve())
    pipeline_cfg.update(metrics_port=pipeline_port, absences_file=str(tmp_path / "absences.jsonl"))
    pipeline_cfg["kafka"].update(
        bootstrap_servers=kafka_broker.bootstrap, spool_dir=str(tmp_path / "spool"), heartbeat_interval_s=1
    )
    pipeline_cfg["evidence"]["root"] = str(tmp_path / "evidence")
    (tmp_path / "pipeline.yaml").write_text(yaml.safe_dump(pipeline_cfg, allow_unicode=True))

    service_cfg = copy.deepcopy(pipeline_cfg)
    service_cfg["halls"].append({"id": "shiyang", "name": "石羊镇便民服务中心", "region": "lianhua"})  # no camera
    service_cfg["alerts"] = {"group_id": f"prom-{pipeline_port}"}
    service_cfg["halls"][0].pop("schedule")
    cfg = parse_config(service_cfg)
    service = AlertService.open(cfg, f"sqlite:///{tmp_path / 'alerts.db'}")
    service.start()
    server = uvicorn.Server(
        uvicorn.Config(create_app(service), host="127.0.0.1", port=alerts_port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()

    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap)
    producer.send("hallwatch.violations", b"garbage for the dead-letter queue")
    # The replayed footage is dated 2026-03-02; the attendance panels show today: one minute of
    # today as a pipeline would publish it (the service's hall has no schedule, so any time counts).
    producer.send(
        "hallwatch.service-minutes", key=b"lianhua-center", value=json.dumps(service_minute(cfg.timezone)).encode()
    )
    producer.flush()
    producer.close()

    prometheus = start_prometheus(tmp_path / "prometheus", prom_port, alerts=alerts_port, pipeline=pipeline_port)
    pipeline = subprocess.Popen(
        [sys.executable, "run_pipeline.py", "--config", str(tmp_path / "pipeline.yaml"), "--realtime"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api = f"http://127.0.0.1:{prom_port}/api/v1"
    try:
        wait_http(f"http://127.0.0.1:{prom_port}/-/ready", 60)
        wait_http(f"http://127.0.0.1:{pipeline_port}/metrics", 60)
        wait_for(
            lambda: service.store.list(lifecycle="new") and service.store.list(event_status="closed"),
            120,
            "violations stored, one of them closed",
        )
        # One acknowledged through the console's own API, as an operator would, for the ack histogram.
        Users(service.repos.db, cfg).add("op", "operator password 1", "operator", cfg.regions[0].id)
        with httpx.Client(base_url=f"http://127.0.0.1:{alerts_port}") as console:
            login = console.post("/api/login", json={"username": "op", "password": "operator password 1"})
            assert login.status_code == 200, login.text
            event_id = service.store.list(lifecycle="new")[0].event_id
            ack = console.post(f"/api/alerts/{event_id}/ack", json={}, headers={"X-CSRF-Token": login.json()["csrf"]})
            assert ack.status_code == 200, ack.text
        time.sleep(3)  # scrapes before the dismissal
        # An officer dismisses it: the violation panels count it no more (a dismissed alert accuses no one).
        Users(service.repos.db, cfg).add("officer", "officer password 1", "discipline_officer", cfg.regions[0].id)
        with httpx.Client(base_url=f"http://127.0.0.1:{alerts_port}") as console:
            login = console.post("/api/login", json={"username": "officer", "password": "officer password 1"})
            review = {"outcome": "dismissed", "note": "误报：人员在岗，被遮挡"}
            r = console.post(
                f"/api/alerts/{event_id}/review", json=review, headers={"X-CSRF-Token": login.json()["csrf"]}
            )
            assert r.status_code == 200, r.text
        time.sleep(8)  # several scrapes of everything

        def query(expr: str) -> dict:
            body = httpx.get(f"{api}/query", params={"query": expr}, timeout=10).json()
            assert body["status"] == "success", (expr, body)
            assert body["data"]["resultType"] in ("vector", "scalar"), (expr, body)
            return body["data"]

        dismissed = query("sum(increase(hallwatch_violations_dismissed_total[5m]))")["result"]
        assert dismissed and float(dismissed[0]["value"][1]) > 0, dismissed
        hall_panel = next(e for d, p, e in expressions() if p == "违规最多的大厅")
        raw = query('sum(increase(hallwatch_violations_total{hall="lianhua-center"}[5m]))')["result"]
        decided_now = [r for r in query(concrete(hall_panel))["result"] if r["metric"]["hall"] == "lianhua-center"]
        assert float(decided_now[0]["value"][1]) < float(raw[0]["value"][1]), (decided_now, raw)
        # Legends read names, never ids (issue 26): every violation and case panel's series carries
        # the joined display name, and the region selectors show names while filtering by id.
        for _, panel, expr in expressions():
            if panel in ("每小时违规（按类型）", "违规最多的大厅", "违规最多的窗口", "待处置告警（按类型、级别）"):
                result = query(concrete(expr))["result"]
                assert result and all(r["metric"].get("name") for r in result), (panel, result)
                assert not any(r["metric"]["name"] in ("empty_post", "lianhua-center", "w1") for r in result), result
        from configs.grafana.dashboards import REGION_TEXT_VALUE

        pattern = re.compile(REGION_TEXT_VALUE.strip("/").replace("(?<", "(?P<"))
        series = httpx.get(f"{api}/series", params={"match[]": 'hallwatch_region_info{level="county"}'}).json()["data"]
        for labels in series:
            line = grafana_series_line("hallwatch_region_info", labels)
            found = pattern.search(line)
            assert found and found["value"] == labels["region"] and found["text"] == labels["name"], line
        empty = []
        quiet = may_be_empty()
        for dashboard, panel, expr in expressions():
            data = query(concrete(expr))
            if not data["result"] and (dashboard, panel) not in quiet:
                empty.append(f"{dashboard} / {panel}: {expr}")
            if dashboard == "coverage.json":  # a level without halls is 无大厅, never NaN
                assert all(v["value"][1] != "NaN" for v in data["result"]), (panel, data)
        # The top panels follow the selectors: a township chosen, its own coverage, one series a level.
        chosen = query(
            selected("hallwatch_coverage_ratio", 'level="township"')
            .replace("$township", "lianhua")
            .replace("$county", "yanjiang")
        )["result"]
        assert [r["metric"]["region"] for r in chosen] == ["lianhua"], chosen
        county_only = query(
            selected("hallwatch_coverage_ratio", 'level="township"')
            .replace("$township", ".*")
            .replace("$county", "yanjiang")
        )["result"]
        assert [r["metric"]["region"] for r in county_only] == ["yanjiang"], county_only
        rules = yaml.safe_load((PROM / "rules/hallwatch.yml").read_text())["groups"][0]["rules"]
        for rule in rules:
            query(rule["expr"])  # the whole alert expression is valid PromQL
            for operand in rule_operands(rule["expr"]):
                if not query(operand)["result"]:
                    empty.append(f"rule {rule['alert']}: {operand}")
        assert empty == []
        loaded = httpx.get(f"{api}/rules").json()["data"]["groups"][0]["rules"]
        assert {r["name"] for r in loaded} == {r["alert"] for r in rules}
        assert all(r["health"] == "ok" for r in loaded)
        firing = {a["labels"]["alertname"] for a in httpx.get(f"{api}/alerts").json()["data"]["alerts"]}
        assert "HallCoverageBelowTarget" in firing or "DeadLetterReceiving" in firing
    finally:
        pipeline.terminate()
        pipeline.wait(60)
        prometheus.terminate()
        prometheus.wait(30)
        server.should_exit = True
        service.stop()


# Names an administrator may give (markup, formulas, Grafana's own template braces, a label-like
# tail, backslashes, right-to-left script); the config refuses what would disguise or cut a name
# (controls, bidi overrides, line separators, the ASCII double quote) — tests/test_config.py.
HOSTILE_NAMES = [
    "<img src=x onerror=alert(1)>雁江区",
    "=HYPERLINK(1,2)@SUM(A1)",
    "{{region}} ${county} $__all",
    "莲花, region=spoof} \\n",
    "مركز الخدمة 服务中心",
]


@needs_prometheus
def test_hostile_names_reach_prometheus_exactly_and_the_selectors_read_them_whole(tmp_path):
    """Issue 24 #9, the Grafana legend path up to Grafana itself (not runnable here): the names the
    legends and selectors join on come back from a real Prometheus byte for byte, and the region
    selector's regex reads each region's whole name and its own id."""
    from prometheus_client import start_http_server

    from alerts.metrics import ServiceMetrics
    from alerts.store.repositories import Repositories
    from configs.grafana.dashboards import REGION_TEXT_VALUE
    from configs.loader import parse_config

    raw = yaml.safe_load((ROOT / "configs/demo.yaml").read_text())
    for i, region in enumerate(raw["regions"]):
        region["name"] = HOSTILE_NAMES[i % len(HOSTILE_NAMES)]
    raw["halls"][0]["name"] = HOSTILE_NAMES[3]
    raw["halls"][0]["windows"][0]["name"] = HOSTILE_NAMES[1]
    raw["cameras"][0]["name"] = HOSTILE_NAMES[2]
    cfg = parse_config(raw)
    metrics = ServiceMetrics(cfg, Repositories.open(f"sqlite:///{tmp_path / 'alerts.db'}"))
    metrics_port, prom_port = free_port(), free_port()
    server, _ = start_http_server(metrics_port, addr="127.0.0.1", registry=metrics.registry)
    prometheus = start_prometheus(tmp_path / "prometheus", prom_port, alerts=metrics_port)
    api = f"http://127.0.0.1:{prom_port}/api/v1"
    try:
        wait_http(f"http://127.0.0.1:{prom_port}/-/ready", 60)

        def series(selector: str) -> list[dict]:
            return httpx.get(f"{api}/series", params={"match[]": selector}, timeout=10).json()["data"]

        wait_for(lambda: series("hallwatch_region_info"), 30, "the info metrics scraped")
        regions = {s["region"]: s["name"] for s in series("hallwatch_region_info")}
        assert regions == {r.id: r.name for r in cfg.regions}
        halls = {s["hall"]: s["name"] for s in series("hallwatch_hall_info")}
        assert halls[cfg.halls[0].id] == HOSTILE_NAMES[3]
        windows = {(s["hall"], s["window"]): s["name"] for s in series("hallwatch_window_info")}
        assert windows[(cfg.halls[0].id, cfg.halls[0].windows[0].id)] == HOSTILE_NAMES[1]
        cameras = {s["camera"]: s["name"] for s in series("hallwatch_camera_info")}
        assert cameras[cfg.cameras[0].id] == HOSTILE_NAMES[2]
        pattern = re.compile(REGION_TEXT_VALUE.strip("/").replace("(?<", "(?P<"))
        for labels in series("hallwatch_region_info"):
            found = pattern.search(grafana_series_line("hallwatch_region_info", labels))
            assert found and (found["text"], found["value"]) == (labels["name"], labels["region"]), labels
    finally:
        prometheus.terminate()
        prometheus.wait(30)
        server.shutdown()
