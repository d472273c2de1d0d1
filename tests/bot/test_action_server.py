"""The action server (actions/server.py) answers only the Rasa server: loopback by default, a
shared secret on every route but /health, and no start in production with a development secret."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import urllib.error
import urllib.request

import pytest

from bench.processes import free_port, stop
from actions.server import InsecureConfiguration, action_server_token
from tests.bot.conftest import ACTION_TOKEN, PYTHON, ROOT, start_action_server

SUBMIT_TICKET = {"next_action": "action_submit_report_issue", "sender_id": "attacker",
                 "tracker": {"sender_id": "attacker", "slots": {}, "events": [],
                             "latest_message": {"text": "路灯坏了", "intent": {}, "entities": []}},
                 "domain": {}, "version": "3.6.2"}


@pytest.fixture(scope="module")
def action_server(tmp_path_factory):
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), DATASERVICE_URL="http://127.0.0.1:9",
               ACTION_SERVER_TOKEN=ACTION_TOKEN)
    env.pop("ACTION_SERVER_HOST", None)
    proc = start_action_server(env, port, tmp_path_factory.mktemp("actions") / "actions.log")
    yield port
    stop([proc])


def call(url: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.mark.parametrize("token", [None, "", "wrong", ACTION_TOKEN + "x", ACTION_TOKEN[:-1]])
def test_a_crafted_webhook_call_without_the_secret_is_refused(action_server, token):
    status, body = call(f"http://127.0.0.1:{action_server}/webhook", SUBMIT_TICKET, token)
    assert (status, body["error"]) == (401, "unauthorized")
    status, body = call(f"http://127.0.0.1:{action_server}/actions", token=token)
    assert status == 401


def test_rasa_with_the_secret_is_served_and_health_stays_open(action_server):
    status, actions = call(f"http://127.0.0.1:{action_server}/actions", token=ACTION_TOKEN)
    assert status == 200 and {"name": "action_submit_report_issue"} in actions
    assert call(f"http://127.0.0.1:{action_server}/health") == (200, {"status": "ok"})


def test_an_action_error_does_not_echo_the_tracker(action_server):
    broken = dict(SUBMIT_TICKET, tracker="not a tracker 13812345678")
    status, body = call(f"http://127.0.0.1:{action_server}/webhook", broken, ACTION_TOKEN)
    assert status == 500 and "13812345678" not in json.dumps(body)


def outward_address() -> str:
    """This machine's address on its default route (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("203.0.113.1", 9))  # TEST-NET-3: routed, never reached
        return s.getsockname()[0]


def test_it_listens_on_loopback_only(action_server):
    address = outward_address()
    assert not address.startswith("127."), "the test needs a non-loopback interface"
    with pytest.raises(OSError):
        socket.create_connection((address, action_server), timeout=2).close()


PRODUCTION = {"DEPLOYMENT_ENV": "production"}


@pytest.mark.parametrize("env", [PRODUCTION,
                                 {**PRODUCTION, "ACTION_SERVER_TOKEN": "dev-0123456789abcdef0123456789"},
                                 {**PRODUCTION, "ACTION_SERVER_TOKEN": "short-secret"},
                                 {"ACTION_SERVER_TOKEN": " "}])
def test_no_or_a_development_secret_is_refused(env):
    with pytest.raises(InsecureConfiguration, match="ACTION_SERVER_TOKEN"):
        action_server_token(env)


def test_secrets_that_are_accepted():
    assert action_server_token({"ACTION_SERVER_TOKEN": "dev-abc"}) == "dev-abc"
    strong = "k8s-secret-7f3a9c2e41d84b6f9a0c"
    assert action_server_token({**PRODUCTION, "ACTION_SERVER_TOKEN": strong}) == strong


def test_production_start_with_a_development_secret_exits_with_the_reason():
    env = dict(os.environ, PYTHONPATH=str(ROOT), DEPLOYMENT_ENV="production",
               ACTION_SERVER_TOKEN="dev-0123456789abcdef0123456789")
    done = subprocess.run([str(PYTHON), "-m", "actions.server", "--port", str(free_port())],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "DEPLOYMENT_ENV=production" in done.stderr and "ACTION_SERVER_TOKEN" in done.stderr
