"""A local Apache Kafka broker (KRaft, one combined broker+controller node) without Docker.

The jars come from Maven Central (``streams/kafka_dist/pom.xml``) into a cache shared by every
clone (``$HALLWATCH_CACHE``, default ``~/.cache/hallwatch``). Production points
``kafka.bootstrap_servers`` at an existing cluster instead.

    python -m streams.broker fetch                  # download the jars once
    python -m streams.broker start [--port 9092]    # start in the background, wait until ready
    python -m streams.broker status | stop
"""

from __future__ import annotations

import argparse
import base64
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from configs.env import cache_dir, state_dir

log = logging.getLogger(__name__)

POM = Path(__file__).with_name("kafka_dist") / "pom.xml"
DEFAULT_STATE = state_dir() / "broker"


def kafka_version() -> str:
    text = POM.read_text()
    return text.split("<kafka.version>")[1].split("</kafka.version>")[0]


def ensure_kafka_libs() -> Path:
    """Copy Kafka and its runtime dependencies from Maven Central into the cache (idempotent)."""
    libs = cache_dir() / f"kafka-{kafka_version()}" / "libs"
    marker = libs / ".complete"
    if marker.exists():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("Maven (mvn) is needed to fetch the Kafka broker jars; install it (apt-get install maven)")
    tmp = libs.with_name("libs.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    log.info("fetching Apache Kafka %s jars from Maven Central into %s", kafka_version(), libs)
    subprocess.run(
        [
            mvn,
            "-q",
            "-B",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={tmp}",
        ],
        check=True,
    )
    shutil.rmtree(libs, ignore_errors=True)
    tmp.rename(libs)
    marker.touch()
    return libs


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


_LOG4J2 = """\
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = org.apache.kafka
logger.kafka.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
"""


@dataclass
class KafkaBroker:
    """One KRaft node in ``state_dir``; ports default to free ones."""

    state_dir: Path = DEFAULT_STATE
    port: int = 0
    controller_port: int = 0
    heap: str = "512m"
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.state_dir = Path(self.state_dir).resolve()
        self.port = self.port or free_port()
        self.controller_port = self.controller_port or free_port()

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "broker.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "logs" / "server.log"

    def _write_configs(self) -> Path:
        data = self.state_dir / "data"
        (self.state_dir / "logs").mkdir(parents=True, exist_ok=True)
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(data),
            "num.partitions": "1",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "4",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            # Topics are created by the project with explicit partitions and retention.
            "auto.create.topics.enable": "false",
            "group.initial.rebalance.delay.ms": "0",
        }
        path = self.state_dir / "server.properties"
        path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        (self.state_dir / "log4j2.properties").write_text(_LOG4J2.format(log=self.log_file))
        return path

    def _java(self, libs: Path, *args: str, heap: str | None = None) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise RuntimeError("Java 17+ is needed to run the Kafka broker (apt-get install openjdk-17-jre-headless)")
        opts = [f"-Xmx{heap}", f"-Xms{heap}"] if heap else []
        return [
            java,
            *opts,
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.state_dir / 'log4j2.properties'}",
            "-cp",
            f"{libs}/*",
            *args,
        ]

    def format_storage(self, libs: Path, properties: Path) -> None:
        if (self.state_dir / "data" / "meta.properties").exists():
            return
        cluster_id = "-"
        while not cluster_id[0].isalnum():  # an id starting with "-" would read as an option
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        subprocess.run(
            self._java(
                libs,
                "kafka.tools.StorageTool",
                "format",
                f"--cluster-id={cluster_id}",
                "-c",
                str(properties),
                "--ignore-formatted",
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start(self, timeout_s: float = 90.0) -> str:
        """Start the broker in its own process group and wait for a metadata answer."""
        if port_open(self.port):
            raise RuntimeError(f"port {self.port} is already in use; choose another with --port")
        libs = ensure_kafka_libs()
        properties = self._write_configs()
        self.format_storage(libs, properties)
        out = open(self.state_dir / "logs" / "stdout.log", "ab")
        self.process = subprocess.Popen(
            self._java(libs, "kafka.Kafka", str(properties), heap=self.heap),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid_file.write_text(f"{self.process.pid} {self.port} {self.controller_port}\n")
        self.wait_ready(timeout_s)
        return self.bootstrap

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"Kafka exited with code {self.process.returncode}; see {self.log_file}")
            try:
                if metadata_ready(self.bootstrap):
                    return
            except Exception as error:  # noqa: BLE001 - the broker is still starting
                last_error = error
            time.sleep(0.5)
        raise TimeoutError(f"Kafka not ready after {timeout_s:.0f} s ({last_error}); see {self.log_file}")

    def stop(self, timeout_s: float = 30.0) -> None:
        """SIGTERM (controlled shutdown), then SIGKILL if it lingers."""
        pid = self.process.pid if self.process else _read_pid(self.pid_file)
        if pid is None:
            return
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and _alive(pid, self.process):
            time.sleep(0.2)
        if _alive(pid, self.process):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.process is not None:
            self.process.wait(timeout=10)
        self.pid_file.unlink(missing_ok=True)


def metadata_ready(bootstrap: str) -> bool:
    """True when the broker answers a real metadata request with at least one broker."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000, client_id="hallwatch-probe")
    try:
        return bool(admin.describe_cluster().get("brokers"))
    finally:
        admin.close()


def _read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int, process: subprocess.Popen[bytes] | None) -> bool:
    if process is not None:
        return process.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    parser = argparse.ArgumentParser(
        prog="python -m streams.broker", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["fetch", "start", "stop", "status"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_STATE, help="state folder (data, logs, pid)")
    parser.add_argument("--port", type=int, default=9092, help="client port (0 = a free one)")
    parser.add_argument("--fresh", action="store_true", help="delete the old data before starting")
    args = parser.parse_args(argv)
    if args.command == "fetch":
        print(ensure_kafka_libs())
        return 0
    pid_file = args.dir / "broker.pid"
    if args.command == "status":
        pid = _read_pid(pid_file)
        if pid is None or not _alive(pid, None):
            print("stopped")
            return 3
        port = int(pid_file.read_text().split()[1])
        ready = metadata_ready(f"127.0.0.1:{port}")
        print(f"running pid={pid} bootstrap=127.0.0.1:{port} ready={ready}")
        return 0 if ready else 1
    if args.command == "stop":
        KafkaBroker(args.dir, port=1, controller_port=1).stop()
        print("stopped")
        return 0
    pid = _read_pid(pid_file)
    if pid is not None and _alive(pid, None):
        print(f"already running pid={pid} bootstrap=127.0.0.1:{pid_file.read_text().split()[1]}")
        return 0
    if args.fresh:
        shutil.rmtree(args.dir, ignore_errors=True)
    broker = KafkaBroker(args.dir, port=args.port)
    try:
        bootstrap = broker.start()
    except Exception as error:  # noqa: BLE001 - whatever stopped the start, stop and say why
        broker.stop()
        print(f"error: {error}", file=sys.stderr)
        return 1
    from streams.topics import ensure_topics

    ensure_topics(bootstrap)
    print(f"ready bootstrap={bootstrap} logs={broker.log_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
