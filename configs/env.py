"""The one place where hallwatch reads its environment.

Every process (pipeline, alerting service, CLIs, set-up) asks here, so an operator finds every
variable in one list:

| variable | overrides | default |
|---|---|---|
| ``HALLWATCH_KAFKA_BOOTSTRAP_SERVERS`` | ``kafka.bootstrap_servers`` | the config |
| ``HALLWATCH_DATABASE_URL`` | ``alerts.database_url`` | the config |
| ``HALLWATCH_SESSION_SECRET`` | ``alerts.session_secret`` | the config |
| ``HALLWATCH_EVIDENCE_KEY`` | ``evidence.hmac_key`` | the config |
| ``HALLWATCH_METRICS_TOKEN`` | ``alerts.metrics_token`` | the config |
| ``HALLWATCH_INSTANCE_ID`` | ``alerts.instance_id`` | the config |
| ``HALLWATCH_INTEGRATION_<ID>_TOKEN`` | ``integrations[id=<id>].token`` (id upper-cased, ``-`` as ``_``) | the config |
| ``HALLWATCH_CACHE`` | downloads, the Python environment, converted models | ``~/.cache/hallwatch`` |
| ``HALLWATCH_STATE`` | local state (broker data, the absence register) | ``var`` |

Secrets are applied to the loaded config by :func:`apply_overrides` (called by the loader), so
the rest of the code reads ``cfg.alerts.session_secret`` and never the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

C = TypeVar("C", bound=BaseModel)

ENV_BOOTSTRAP = "HALLWATCH_KAFKA_BOOTSTRAP_SERVERS"
ENV_DATABASE_URL = "HALLWATCH_DATABASE_URL"
ENV_SESSION_SECRET = "HALLWATCH_SESSION_SECRET"
ENV_EVIDENCE_KEY = "HALLWATCH_EVIDENCE_KEY"
ENV_METRICS_TOKEN = "HALLWATCH_METRICS_TOKEN"
ENV_INSTANCE_ID = "HALLWATCH_INSTANCE_ID"
ENV_CACHE = "HALLWATCH_CACHE"
ENV_STATE = "HALLWATCH_STATE"

# (environment variable, section of the config, field of that section)
OVERRIDES = (
    (ENV_BOOTSTRAP, "kafka", "bootstrap_servers"),
    (ENV_DATABASE_URL, "alerts", "database_url"),
    (ENV_SESSION_SECRET, "alerts", "session_secret"),
    (ENV_EVIDENCE_KEY, "evidence", "hmac_key"),
    (ENV_METRICS_TOKEN, "alerts", "metrics_token"),
    (ENV_INSTANCE_ID, "alerts", "instance_id"),
)


def apply_overrides(cfg: C, environ: Mapping[str, str] | None = None) -> C:
    """The config with every set override applied (frozen models: a new copy)."""
    environ = os.environ if environ is None else environ
    for variable, section, name in OVERRIDES:
        value = environ.get(variable)
        if value:
            part = getattr(cfg, section)
            cfg = cfg.model_copy(update={section: part.model_copy(update={name: value})})
    integrations = getattr(cfg, "integrations", None)
    if integrations:
        tokens = [environ.get(integration_token_variable(i.id)) or i.token for i in integrations]
        cfg = cfg.model_copy(
            update={
                "integrations": [i.model_copy(update={"token": t}) for i, t in zip(integrations, tokens, strict=True)]
            }
        )
    return cfg


def integration_token_variable(integration_id: str) -> str:
    """``lianhua-queue`` -> ``HALLWATCH_INTEGRATION_LIANHUA_QUEUE_TOKEN``."""
    return f"HALLWATCH_INTEGRATION_{integration_id.upper().replace('-', '_')}_TOKEN"


def cache_dir() -> Path:
    """Downloads and converted models live outside the clone so every clone reuses them."""
    return Path(os.environ.get(ENV_CACHE) or Path.home() / ".cache" / "hallwatch")


def state_dir() -> Path:
    """Local state of this host (broker data and logs, the absence register)."""
    return Path(os.environ.get(ENV_STATE) or "var")
