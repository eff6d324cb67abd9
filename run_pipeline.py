"""hallwatch pipeline: cameras -> people -> rules -> Kafka.

    python run_pipeline.py [--config PATH] [--events-out PATH] [--measurements-out PATH] [--tracks-out DIR] [--no-kafka]
                           [--start-time ISO8601] [--realtime]
    python run_pipeline.py --config site.yaml --group NAME [--worker-id ID]     # one worker of many

File and ``mot:`` inputs are processed as fast as possible and the program exits 0 when all have
ended; live sources run until SIGINT/SIGTERM, then shut down cleanly. A config error exits 2.
With --group, every process started with the same config and group shares the config's cameras
through a Kafka consumer group and takes over the cameras of a worker that stops or dies; file
and mot: sources then play as live cameras anchored at their start_time.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path

log = logging.getLogger("hallwatch")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="run_pipeline.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", default="configs/demo.yaml", help="YAML config (default configs/demo.yaml)")
    parser.add_argument("--events-out", type=Path, help="also append every violation message here (JSON lines)")
    parser.add_argument(
        "--measurements-out", type=Path, help="also append every per-minute service measurement here (JSON lines)"
    )
    parser.add_argument("--tracks-out", type=Path, help="write per-camera tracks in MOT format into this folder")
    parser.add_argument("--no-kafka", action="store_true", help="do not connect to Kafka")
    parser.add_argument(
        "--start-time",
        type=datetime.fromisoformat,
        help="media clock origin for file and mot: sources (overrides start_time)",
    )
    parser.add_argument(
        "--realtime",
        action="store_true",
        help="play file and mot: sources at their real speed, as a camera would (demos, soak tests)",
    )
    parser.add_argument("--group", help="scale-out: share the cameras with every worker of this group (Kafka)")
    parser.add_argument("--worker-id", help="this worker's name in the group (default: host name and a number)")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)

    from configs.loader import advisories, load_or_exit

    cfg = load_or_exit(args.config)
    for advice in advisories(cfg):
        log.warning("config advice: %s: %s", advice.path, advice.message)
    from detectors.factory import missing_requirement

    if (reason := missing_requirement(cfg.detector)) is not None:
        print(reason, file=sys.stderr)
        return 2
    if args.group and args.no_kafka:
        print("--group needs Kafka (drop --no-kafka)", file=sys.stderr)
        return 2

    from ingest.pipeline import Pipeline

    pipeline = Pipeline(
        cfg,
        events_out=args.events_out,
        tracks_out=args.tracks_out,
        use_kafka=not args.no_kafka,
        start_override=args.start_time,
        realtime=args.realtime,
        group=args.group,
        worker_id=args.worker_id,
        measurements_out=args.measurements_out,
    )
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("signal %s: shutting down", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    return pipeline.run(stop)


if __name__ == "__main__":
    sys.exit(main())
