"""Schemathesis over /openapi.json against a real server: no 5xx, every status code documented,
every response as its schema says (the JSON error shape included).

Bounded for CI (FUZZ_EXAMPLES examples per operation and generation mode, fixed seed); the longer run
is bench/openapi_fuzz.py.
"""
from __future__ import annotations

import os
from typing import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from dataservice.main import create_app
from dataservice.settings import Settings

from .conftest import API_KEY
from .live import running_server

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance,
          content_type_conformance]

# The document is the same whatever the settings: read it from an app on a throw-away database.
schema = schemathesis.openapi.from_dict(create_app(Settings(database_url="sqlite://")).openapi())
schema.config.generation.update(modes=["positive", "negative"], deterministic=True,
                                max_examples=FUZZ_EXAMPLES)


@pytest.fixture(scope="module")
def live_url(settings) -> Iterator[str]:
    """A uvicorn server on each backend (SQLite, PostgreSQL), with real Redis."""
    with running_server(create_app(settings)) as url:
        yield url


@schema.parametrize()
@hypothesis_settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
                     suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, live_url):
    case.call_and_validate(base_url=live_url, headers={"X-API-Key": API_KEY}, checks=CHECKS)


def _documented(path: str, method: str) -> dict[str, dict]:
    return schema.raw_schema["paths"][path][method]["responses"]


@pytest.mark.parametrize("path", ["/v1/applications/lookup", "/v1/appointments/lookup",
                                  "/v1/appointments/cancel", "/v1/utilities/bills/lookup"])
def test_lockout_and_outage_answers_are_documented_on_every_verified_lookup(path):
    responses = _documented(path, "post")
    assert {"400", "401", "404", "413", "415", "422", "429", "503"} <= set(responses)


def test_every_error_response_has_the_json_error_schema():
    for path, operations in schema.raw_schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400 and path != "/readyz":
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorOut"), (method, path, status)
