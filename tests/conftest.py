"""Shared fixtures. The Kafka fixture starts a real Apache Kafka broker (KRaft) on free ports."""
from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory):
    """A real single-node Kafka 4 broker for the whole session, removed afterwards."""
    from streams.broker import KafkaBroker
    from streams.topics import ensure_topics

    broker = KafkaBroker(tmp_path_factory.mktemp("kafka"))
    try:
        broker.start()
        ensure_topics(broker.bootstrap)
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def demo_config_dict() -> dict:
    return yaml.safe_load((ROOT / "configs" / "demo.yaml").read_text())


@pytest.fixture
def config_dict(demo_config_dict) -> dict:
    """A fresh, mutable copy of the demo config."""
    return copy.deepcopy(demo_config_dict)


def _postgres_bin() -> Path | None:
    import glob

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server (Debian's `postgresql`) on a free port, removed afterwards.
    initdb refuses root, so the server runs as the `postgres` system user when we are root."""
    import os
    import pwd
    import shutil
    import socket
    import subprocess
    import tempfile
    import time

    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    base = Path(tempfile.mkdtemp(prefix="hallwatch-pg-"))  # pytest's tmp folders are closed to other users
    data = base / "data"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    prefix: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "hallwatch", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    log = base / "server.log"
    subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o",
                    f"-p {port} -k {base} -c listen_addresses=127.0.0.1", "start"], check=True, capture_output=True)
    try:
        subprocess.run([*prefix, str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "hallwatch",
                        "hallwatch"], check=True, capture_output=True)
        yield f"postgresql+psycopg://hallwatch@127.0.0.1:{port}/hallwatch"
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        time.sleep(0.2)
        shutil.rmtree(base, ignore_errors=True)
