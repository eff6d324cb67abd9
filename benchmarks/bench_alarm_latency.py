"""The alarm's latency end to end: from the analysed frame that completes a violation's condition
(its ``opened_at``, on the camera's wall clock) to the alert's row in an operator's console (Chromium,
live stream), with everything real: a live RTSP camera (scripts/rtsp_camera.py serving the demo
footage as H.264, looping), the pipeline (``run_pipeline.py``, offline detector) publishing to a local
Kafka broker (KRaft), the alerting service (``python -m alerts``) and the console.

    python -m benchmarks.bench_alarm_latency [--minutes 5] [--cameras 1]

Prints, per alert, the rule's own duration (opened_at − started_at: what the rule waits by design),
frame → stored (the service's ``received_at``) and frame → shown (the row appears in the console),
then p50/p95/p99 of each. The frame's time is when the pipeline read it: the camera's own encoding
and network delay before that are not in it."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
import yaml

from benchmarks.bench_retention import looped, rtsp_camera
from benchmarks.common import ROOT, local_broker

OBSERVE = """() => { window.__seen = window.__seen || {};
  const mark = () => document.querySelectorAll("tr.alert-row[data-id]").forEach((tr) => {
    if (!(tr.dataset.id in window.__seen)) window.__seen[tr.dataset.id] = Date.now(); });
  mark(); new MutationObserver(mark).observe(document.body, {childList: true, subtree: true}); }"""


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name}: no samples"
    return (f"{name}: n={len(values)} p50 {quantile(values, 0.5):.2f} s  p95 {quantile(values, 0.95):.2f} s  "
            f"p99 {quantile(values, 0.99):.2f} s  max {max(values):.2f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--cameras", type=int, default=1)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from ingest.demo_clock import live_config
    from streams.broker import free_port

    python = str(ROOT / ".venv" / "bin" / "python")
    processes: list[subprocess.Popen] = []
    with local_broker() as (bootstrap, _), tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        footage = looped(ROOT / "data" / "vtest.mp4", args.minutes * 60 + 120, tmp / "loop.mp4")
        urls = []
        for _ in range(args.cameras):
            url, server = rtsp_camera(footage, loop=True)
            processes.append(server)
            urls.append(url)
        config = tmp / "live.yaml"
        live_config(ROOT / "configs" / "demo.yaml", config, camera_url=urls[0])
        data = yaml.safe_load(config.read_text())
        for n, url in enumerate(urls[1:], start=2):
            data["cameras"].append({**data["cameras"][0], "id": f"cam-{n:02d}", "source": url})
        data["evidence"]["root"] = str(tmp / "evidence")
        data["metrics_port"] = free_port()
        config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
        web = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT), "HALLWATCH_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
               "HALLWATCH_DATABASE_URL": f"sqlite:///{tmp / 'alerts.db'}"}  # fmt: skip
        password = "benchmark password 1"
        subprocess.run([python, "-m", "alerts.users", "add", "bench", "--role", "admin", "--region", "ziyang",
                        "--config", str(config)], input=password + "\n", text=True, env=env, check=True,
                       capture_output=True)  # fmt: skip
        service_log = (tmp / "alerts.log").open("w")
        processes.append(subprocess.Popen([python, "-m", "alerts", "--config", str(config), "--port", str(web)],
                                          env=env, stdout=service_log, stderr=subprocess.STDOUT))  # fmt: skip
        base = f"http://127.0.0.1:{web}"
        for _ in range(120):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.5)
        events = tmp / "events.jsonl"
        pipeline_log = (tmp / "pipeline.log").open("w")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(f"{base}/login")
            page.fill("input[name=username]", "bench")
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_selector("#user:has-text('（')")
            page.evaluate(OBSERVE)
            processes.append(subprocess.Popen([python, str(ROOT / "run_pipeline.py"), "--config", str(config),
                                               "--events-out", str(events)], env=env, stdout=pipeline_log,
                                              stderr=subprocess.STDOUT))  # fmt: skip
            started = time.time()
            while time.time() - started < args.minutes * 60:
                time.sleep(5)
            time.sleep(5)  # the last openings reach the console
            seen: dict[str, float] = page.evaluate("window.__seen")
            browser.close()
        client = httpx.Client(base_url=base, timeout=10)
        client.post("/api/login", json={"username": "bench", "password": password}).raise_for_status()
        stored = {a["event_id"]: a for a in client.get("/api/alerts", params={"limit": 500}).json()}
        metrics = client.get("/metrics").text
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        opened: dict[str, dict] = {}
        for line in events.read_text().splitlines() if events.exists() else []:
            message = json.loads(line)
            if message["status"] == "open" and message["event_id"] not in opened:
                opened[message["event_id"]] = message
    rule, to_store, to_console = [], [], []
    print(f"{'event':38} {'type':16} {'rule s':>7} {'→ stored':>9} {'→ console':>10}")
    for event_id, m in sorted(opened.items(), key=lambda kv: kv[1]["started_at"]):
        started_at = datetime.fromisoformat(m["started_at"])
        at = started_at.timestamp() + m["duration_s"]
        alert = stored.get(event_id)
        store_s = datetime.fromisoformat(alert["received_at"]).timestamp() - at if alert else None
        shown_s = seen[event_id] / 1000 - at if event_id in seen else None
        rule.append(m["duration_s"])
        if store_s is not None:
            to_store.append(store_s)
        if shown_s is not None:
            to_console.append(shown_s)
        show = lambda v: "—" if v is None else f"{v:.2f}"  # noqa: E731
        print(f"{event_id:38} {m['type']:16} {m['duration_s']:7.1f} {show(store_s):>9} {show(shown_s):>10}")
    print(summary("the rule's own duration", rule))
    print(summary("frame → stored", to_store))
    print(summary("frame → console", to_console))
    count = next(
        (line for line in metrics.splitlines() if line.startswith("hallwatch_alarm_latency_seconds_count")), ""
    )
    print(f"/metrics: {count or 'hallwatch_alarm_latency_seconds: no sample'}")
    if len(to_console) < len(opened):
        print(f"{len(opened) - len(to_console)} of {len(opened)} openings never had a row of their own "
              "(grouped under a repeat's row, or beyond the first page)")  # fmt: skip
    sys.stdout.flush()


if __name__ == "__main__":
    main()
