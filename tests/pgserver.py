"""Start a throw-away PostgreSQL server (Debian's `postgresql` binaries) on a free port."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yields a SQLAlchemy URL. initdb refuses root, so as root the server runs as `postgres`."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise PostgresUnavailable("PostgreSQL server binaries not installed (apt-get install postgresql)")
    bindir = Path(found[-1]).parent
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
    try:
        subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "hallwatch", "--auth=trust",
                        "-E", "UTF8"], check=True, capture_output=True)
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"), "-w",
                        "-o", f"-p {port} -k {base} -c listen_addresses=127.0.0.1", "start"],
                       check=True, capture_output=True)
        subprocess.run([*prefix, str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "hallwatch",
                        "hallwatch"], check=True, capture_output=True)
        yield f"postgresql+psycopg://hallwatch@127.0.0.1:{port}/hallwatch"
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
