"""The single-site deployment file validates with compose (no engine needed)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

COMPOSE = ROOT / "deploy" / "docker-compose.yml"
SECRETS = {"POSTGRES_PASSWORD": "p", "HALLWATCH_EVIDENCE_KEY": "k", "GRAFANA_ADMIN_PASSWORD": "g"}


def compose_command() -> list[str] | None:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):  # Debian bookworm ships compose v1 only
        return ["docker-compose"]
    return None


@pytest.mark.skipif(compose_command() is None, reason="neither `docker compose` nor docker-compose installed")
def test_compose_file_validates_and_demands_its_secrets():
    base = {k: v for k, v in os.environ.items() if k not in SECRETS}
    ok = subprocess.run(
        [*compose_command(), "-f", str(COMPOSE), "config", "-q"],
        env={**base, **SECRETS},
        capture_output=True,
        text=True,
        cwd=COMPOSE.parent,
    )
    assert ok.returncode == 0, ok.stderr
    rendered = subprocess.run(
        [*compose_command(), "-f", str(COMPOSE), "config"],
        env={**base, **SECRETS},
        capture_output=True,
        text=True,
        cwd=COMPOSE.parent,
    ).stdout
    for service in ("kafka", "pipeline", "alerts", "postgres", "prometheus", "grafana"):
        assert f"  {service}:" in rendered
    missing = subprocess.run(
        [*compose_command(), "-f", str(COMPOSE), "config", "-q"],
        env=base,
        capture_output=True,
        text=True,
        cwd=COMPOSE.parent,
    )
    assert missing.returncode != 0 and "POSTGRES_PASSWORD" in missing.stderr  # no default secrets
