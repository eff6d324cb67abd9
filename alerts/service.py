"""Run the consumer and keep the live state; later stages add the store, API and metrics."""
from __future__ import annotations

import argparse
import logging
import signal
import threading

from alerts.consumer import AlertConsumer
from alerts.live import LiveState
from configs.loader import ConfigError, load_config

log = logging.getLogger("hallwatch.alerts")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alerts", description=__doc__)
    parser.add_argument("--config", default="configs/demo.yaml")
    parser.add_argument("--group", default="hallwatch-alerts", help="Kafka consumer group")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)
    try:
        cfg = load_config(args.config)
    except ConfigError as error:
        print(error)
        return 2
    state = LiveState()

    def handle(batch):
        state.handle(batch)
        for m in batch:
            v = m.value
            if "event_id" in v:
                log.info("violation %s %s/%s hall=%s zone=%s", v["status"], v["type"], v["reason"],
                         v["hall_id"], v["zone_id"])
            else:
                log.info("heartbeat camera=%s status=%s fps_analysed=%s", v["camera_id"], v["status"],
                         v["fps_analysed"])

    consumer = AlertConsumer(cfg.kafka.bootstrap_servers, handle, cfg.kafka.topics, args.group)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        while not stop.is_set():
            consumer.poll_once()
    finally:
        consumer.close()
    return 0
