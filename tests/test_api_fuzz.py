"""Schemathesis against the OpenAPI of the alerting service, as an administrator with the CSRF
header: no input makes it answer 5xx, and every status code it answers is documented. Fixed seed,
bounded examples (about a minute)."""

from __future__ import annotations

import json

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from alerts.api import create_app
from alerts.service import AlertService
from configs.loader import parse_config
from tests.alert_fixtures import registry, violation

PASSWORD = "fuzzing admin password"


@pytest.fixture(scope="module")
def admin_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz")
    cfg = parse_config(
        registry(
            "127.0.0.1:1",
            "fuzz",
            alerts={"secure_cookies": False},
            evidence={"root": str(tmp / "evidence"), "hmac_key": "k"},
        )
    )
    service = AlertService.open(cfg, f"sqlite:///{tmp / 'a.db'}")
    app = create_app(service)
    app.state.users.add("fuzzer", PASSWORD, "admin", "city")
    service.store.apply_violations([violation("a"), violation("b", "closed")])
    client = TestClient(app)
    csrf = client.post("/api/login", json={"username": "fuzzer", "password": PASSWORD}).json()["csrf"]
    app.state.fuzz_auth = {"cookies": dict(client.cookies), "headers": {"X-CSRF-Token": csrf}}
    return app


# A stream that never ends; logging out would end the fuzzer's session; /healthz takes no input and
# rightly answers 503 here (no consumer runs without a broker: tests/test_poison.py covers it).
EXCLUDED = {"/api/stream", "/api/logout", "/healthz"}


def operations(app) -> list:
    auth = app.state.fuzz_auth  # the schema is for administrators only
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app, cookies=auth["cookies"])
    found = [result.ok() for result in schema.get_all_operations()]
    return [op for op in found if op.path not in EXCLUDED and not op.path.startswith("/api/users/")]


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_input_makes_the_api_fail(admin_app, mode):
    """Each operation gets ``max_examples`` generated requests (valid ones, then invalid ones)."""
    auth = admin_app.state.fuzz_auth
    failures: list[str] = []
    ops = operations(admin_app)
    assert len(ops) >= 15
    for op in ops:

        @given(case=op.as_strategy(generation_mode=mode))
        @settings(
            max_examples=30, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def run(case):
            # What the issue asks: no 5xx and every status documented. Whether a server must refuse
            # every schema-violating query (a repeated parameter, a number where a string was
            # expected — all strings in a URL) is not: those two checks are left out.
            case.call_and_validate(
                headers=auth["headers"],
                cookies=auth["cookies"],
                excluded_checks=[positive_data_acceptance, negative_data_rejection],
            )

        try:
            run()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE, op.path  # nothing in this operation can be made invalid
        except Exception as error:  # noqa: BLE001 - collect every operation's failure, then report
            failures.append(f"{op.method.upper()} {op.path}: {str(error)[:1500]}")
    assert not failures, "\n\n".join(failures)


def _not_json(constant: str) -> None:
    raise AssertionError(f"the answer holds {constant}, which JSON cannot carry")


def test_numbers_json_cannot_carry_are_refused_by_every_route(admin_app):
    """Python's JSON parser takes NaN and Infinity, which no generator of valid JSON sends: in any
    field of any body they made FastAPI's 422 echo them and fail to encode (a 500 on fifty routes,
    the login among them). Every route with a body answers 4xx, in strict JSON, naming the place."""
    auth = admin_app.state.fuzz_auth
    client = TestClient(admin_app, raise_server_exceptions=False, cookies=auth["cookies"])
    schema = client.get("/api/openapi.json").json()
    headers = {**auth["headers"], "content-type": "application/json"}
    tried = with_body = 0
    for path, operations_of in schema["paths"].items():
        for method, op in operations_of.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body is None or path == "/api/logout":
                continue
            fields = schema["components"]["schemas"][body["$ref"].split("/")[-1]] if "$ref" in body else body
            names = list(fields.get("properties", {})) or ["x"]
            url = path.replace("{", "").replace("}", "")  # a path parameter's own name as its value
            with_body += 1
            for value in ("NaN", "Infinity", "-Infinity"):
                for sent in (value, f"[{value}]", "{" + ", ".join(f'"{n}": {value}' for n in names) + "}"):
                    answer = client.request(method.upper(), url, content=sent, headers=headers)
                    assert 400 <= answer.status_code < 500, (method, path, sent, answer.status_code, answer.text[:300])
                    json.loads(answer.text, parse_constant=_not_json)
                    tried += 1
    assert with_body >= 12 and tried == 9 * with_body  # login, alerts' actions, absences, rosters, install, …
