"""/metrics renders exactly what prometheus_client's own exposition writes, from a cache of label
texts (the province scale: tests/../benchmarks/bench_province.py)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, Summary, generate_latest
from prometheus_client.core import GaugeMetricFamily

from alerts.exposition import render


class Coverage:
    def collect(self):
        family = GaugeMetricFamily(
            "hallwatch_demo_coverage", "Coverage by region\nwith a \\ and a newline", labels=["region", "level"]
        )
        family.add_metric(['资阳市 "中心"', "city"], 0.5)
        family.add_metric(["back\\slash\nnew line", "county"], float("nan"))
        family.add_metric(["inf", "township"], float("inf"))
        yield family


def test_the_cached_exposition_is_byte_for_byte_prometheus_clients():
    registry = CollectorRegistry()
    Counter("hallwatch_demo_events", "Events", ["type"], registry=registry).labels("空岗").inc(3)
    Gauge("hallwatch_demo_lag", "Lag", registry=registry).set(12.5)
    Histogram("hallwatch_demo_latency_seconds", "Latency", ["stage"], registry=registry).labels("kafka").observe(0.2)
    Summary("hallwatch_demo_wait_seconds", "Wait", registry=registry).observe(3)
    Info("hallwatch_demo_build", "Build", registry=registry).info({"version": "0.2.0"})
    registry.register(Coverage())
    for _ in range(2):  # the second scrape from the cache
        assert render(registry) == generate_latest(registry)
