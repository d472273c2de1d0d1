"""The Rasa replica's readiness probe (docker/probes/ready.py) against the real PostgreSQL and
Redis, and the load balancer's answer when no replica is ready: fast, polite, bilingual."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.processes import free_port

ROOT = Path(__file__).resolve().parents[3]
PROBE = ROOT / "docker" / "probes" / "ready.py"
PG = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test").rsplit("/", 1)[0] + "/postgres"
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class _Answers(BaseHTTPRequestHandler):
    def do_GET(self):  # what Rasa answers on GET /
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"Hello from Rasa: 3.6.21")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def rasa_port():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield str(server.server_address[1])
    server.shutdown()


def probe(**env: str) -> tuple[int, str, float]:
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(PROBE)], capture_output=True, text=True, timeout=30,
                            env={"PATH": os.environ["PATH"], **env})
    return result.returncode, result.stderr, time.monotonic() - started


def test_ready_when_the_server_postgresql_and_redis_answer(rasa_port):
    code, err, _ = probe(RASA_PORT=rasa_port, TRACKER_STORE_URL=PG, REDIS_URL=REDIS)
    assert code == 0, err


@pytest.mark.parametrize("store", ["postgresql", "redis"])
def test_not_ready_without_a_store_and_says_which_within_the_probe_timeout(rasa_port, store):
    closed = free_port()
    env = {"RASA_PORT": rasa_port, "TRACKER_STORE_URL": PG, "REDIS_URL": REDIS}
    if store == "postgresql":
        env["TRACKER_STORE_URL"] = f"postgresql://postgres@127.0.0.1:{closed}/rasa"
    else:
        env["REDIS_URL"] = f"redis://127.0.0.1:{closed}/0"
    code, err, seconds = probe(**env)
    assert code == 1 and f"{store}:" in err
    assert "127.0.0.1" not in err, "the probe must not print store URLs (they carry passwords)"
    assert seconds < 5


def test_not_ready_when_the_server_does_not_answer():
    code, err, _ = probe(RASA_PORT=str(free_port()), TRACKER_STORE_URL=PG, REDIS_URL=REDIS)
    assert code == 1 and "rasa:" in err


@pytest.fixture
def balancer_without_ready_replicas(tmp_path):
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    backends = tmp_path / "backends.cfg"
    backends.write_text(f"backend rasa\n    server rasa1 127.0.0.1:{free_port()} check\n")
    port = free_port()
    env = dict(os.environ, LB_BIND=f"127.0.0.1:{port}", LB_ERRORS=str(ROOT / "docker/haproxy/errors"))
    proc = subprocess.Popen([haproxy, "-db", "-f", str(ROOT / "docker/haproxy/haproxy.cfg"), "-f",
                             str(backends)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)  # the health check marks the replica down (fall 2, every second)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def post(url: str) -> tuple[int, bytes, float]:
    started = time.monotonic()
    body = json.dumps({"sender": "u1", "message": "居住证要带什么材料？"}).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST"), timeout=10) as r:
            return r.status, r.read(), time.monotonic() - started
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), time.monotonic() - started


def test_no_ready_replica_gets_the_polite_reply_at_once(balancer_without_ready_replicas):
    status, body, seconds = post(balancer_without_ready_replicas + "/webhooks/rest/webhook")
    assert status == 503 and seconds < 3
    message = json.loads(body)["error"]["message"]
    assert "12345 市民服务热线" in message and "12345 citizen hotline" in message


def test_the_rasa_http_api_is_not_public(balancer_without_ready_replicas):
    status, _, _ = post(balancer_without_ready_replicas + "/conversations/u1/tracker/events")
    assert status == 404
