"""Helpers for the integrator webhook tests: a callback server on loopback, signing, schema checks,
and the real backend (data service, action server, Rasa) started with the integrator channel
configured through the environment and REDIS_URL pointing at the real Redis."""
from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import redis
import yaml

from bench.processes import free_port, stop
from bot.channels.integrator_rest import sign
from tests.actions.conftest import API_KEY, start_dataservice
from tests.bot.conftest import ROOT, start_action_server, start_rasa

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
OPENAPI = yaml.safe_load((ROOT / "docs" / "integrator-webhook.openapi.yaml").read_text(encoding="utf-8"))

KEYS = {"portal": "portal-test-key-1", "hotline": "hotline-test-key-2", "signed": "signed-test-key-3",
        "tiny": "tiny-test-key-4", "app": "app-test-key-5"}
SECRETS = {"signed": "signed-test-secret"}
CALLBACK_SECRET_PORTAL = KEYS["portal"]  # no signing secret: callbacks are signed with the API key


@pytest.fixture(scope="module")
def redis_client():
    """The real Redis (required: never skipped); tests keep to a key prefix of their own."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is required for the channel tests ({REDIS_URL}): {exc}")
    yield client
    client.close()


def validate(status: int, body: Any, schema_name: str | None = None) -> None:
    """Validate a response body against the OpenAPI document for its status code."""
    if schema_name is None:
        schema_name = {200: "BotMessages", 202: "Accepted"}.get(status, "Error")
        if str(status) not in OPENAPI["paths"]["/webhooks/rest/webhook"]["post"]["responses"]:
            raise AssertionError(f"status {status} is not documented")
    schema = {"$ref": f"#/components/schemas/{schema_name}"}
    resolver = jsonschema.RefResolver.from_schema(OPENAPI)
    jsonschema.Draft202012Validator(schema, resolver=resolver).validate(body)


def signed_headers(integrator: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"Authorization": f"Bearer {KEYS[integrator]}", "Content-Type": "application/json",
            "X-Timestamp": ts, "X-Signature": sign(SECRETS[integrator], ts, body)}


class CallbackServer:
    """Collects POSTed callbacks; the first `fail_first` deliveries get a 503 (to test retries)."""

    def __init__(self, fail_first: int = 1) -> None:
        self.received: list[dict] = []
        self.attempts = 0
        self.fail_first = fail_first
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.attempts += 1
                if outer.attempts <= outer.fail_first:
                    self.send_response(503)
                    self.end_headers()
                    return
                outer.received.append({"headers": {k.lower(): v for k, v in self.headers.items()},
                                       "raw": body, "json": json.loads(body)})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_backend(tmp: Path, redis_url: str, prefix: str, callback_url: str,
                  extra_env: dict[str, str] | None = None) -> tuple[dict, list]:
    ds_proc, ds_url = start_dataservice(tmp)
    procs: list[subprocess.Popen] = [ds_proc]
    env = dict(os.environ, PYTHONPATH=str(ROOT), DATASERVICE_URL=ds_url, DATASERVICE_API_KEY=API_KEY,
               TF_CPP_MIN_LOG_LEVEL="3", SQLALCHEMY_SILENCE_UBER_WARNING="1")
    env.pop("TRACKER_STORE_URL", None)
    env.update(
        REDIS_URL=redis_url, INTEGRATOR_REDIS_PREFIX=prefix,
        INTEGRATOR_API_KEYS=",".join(f"{k}:{v}" for k, v in KEYS.items()),
        INTEGRATOR_SIGNING_SECRETS=",".join(f"{k}:{v}" for k, v in SECRETS.items()),
        INTEGRATOR_CALLBACKS=f"portal:{callback_url},app:{callback_url}",
        INTEGRATOR_ALWAYS_ASYNC="app",
        INTEGRATOR_RATE_PER_MINUTE="6000", INTEGRATOR_BURST="1000",
        INTEGRATOR_SENDER_RATE_PER_MINUTE="60", INTEGRATOR_SENDER_BURST="5",
        INTEGRATOR_RATE_OVERRIDES="tiny:1/2",
        # Failed keys are counted per client address; X-Forwarded-For gives each test its own.
        INTEGRATOR_AUTH_FAILURES_PER_MINUTE="6", INTEGRATOR_AUTH_FAILURE_BURST="8",
        SANIC_PROXIES_COUNT="1",
        INTEGRATOR_CALLBACK_BACKOFF="0.2", INTEGRATOR_CALLBACK_RETRIES="3",
    )
    env.update(extra_env or {})
    action_port, rasa_port = free_port(), free_port()
    env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{action_port}/webhook"
    logs = {name: tmp / f"{name}.log" for name in ("actions", "rasa")}
    try:
        procs.append(start_action_server(env, action_port, logs["actions"]))
        rasa = start_rasa(env, rasa_port, logs["rasa"])
        procs.append(rasa)
    except BaseException:
        stop(procs)
        raise
    return {"rasa": f"http://127.0.0.1:{rasa_port}", "logs": logs, "rasa_proc": rasa}, procs
