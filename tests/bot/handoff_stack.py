"""The whole backend with the agent desk, on free loopback ports: the data service, the action
server, two Rasa replicas sharing Redis and the tracker store (citizens talk to the first, the
console's relay reaches the second, so every agent message crosses replicas), the operator console
and its event consumer, a fake WeChat API and an integrator's callback URL.

Used by tests/bot/test_handoff_e2e.py, and by tests in other environments (the browser test runs
in the console's) through `python -m tests.bot.handoff_stack WORKDIR`, which prints the addresses
as one JSON line once everything is up and stops it all when its standard input closes.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import redis

from bench.processes import free_port, stop, wait_http
from tests.actions.conftest import API_KEY, start_dataservice
from tests.bot.conftest import ROOT, start_action_server, start_rasa
from tests.bot.wechat_support import (APP_ID, APP_SECRET, REDIS_URL, WX_TOKEN, FakeWeChatAPI,
                                      require_redis)

CONSOLE_PY = ROOT / ".venv" / "console" / "bin" / "python"
HANDOFF_TOKEN = "e2e-handoff-token"
RELAY_SECRET = "e2e-relay-secret"
PASSWORD = "e2e agent password"
INTEGRATOR_KEY = "e2e-handoff-integrator-key"


class CallbackServer:
    """An integrator's callback URL on loopback, recording what arrives with its signature."""

    def __init__(self) -> None:
        self.received: list[tuple[dict, dict]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append((json.loads(body), {"body": body, **dict(self.headers)}))
                self.send_response(200)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _console(env: dict, args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([str(CONSOLE_PY), "-m", "console", *args], cwd=ROOT, env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)


@contextlib.contextmanager
def running_stack(tmp: Path) -> Iterator[dict]:
    require_redis()
    ds_proc, ds_url = start_dataservice(tmp)
    fake, callbacks = FakeWeChatAPI(), CallbackServer()
    prefix = f"test:handoff:{uuid.uuid4().hex[:8]}:"
    console_port, action_port = free_port(), free_port()
    rasa_port, relay_port = free_port(), free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), DATASERVICE_URL=ds_url,
               DATASERVICE_API_KEY=API_KEY, TF_CPP_MIN_LOG_LEVEL="3",
               SQLALCHEMY_SILENCE_UBER_WARNING="1", REDIS_URL=REDIS_URL,
               SOCKETIO_REDIS_PREFIX=prefix, WECHAT_REDIS_PREFIX=prefix + "wechat",
               WECHAT_TOKEN=WX_TOKEN, WECHAT_APP_ID=APP_ID, WECHAT_APP_SECRET=APP_SECRET,
               WECHAT_API_BASE=fake.url, WECHAT_AES_KEY="",
               EVENT_BROKER_URL=f"sqlite:///{tmp / 'events.sqlite3'}",
               CONSOLE_DATABASE_URL=f"sqlite:///{tmp / 'console.sqlite3'}",
               CONSOLE_URL=f"http://127.0.0.1:{console_port}", CONSOLE_HANDOFF_TOKEN=HANDOFF_TOKEN,
               AGENT_RELAY_URL=f"http://127.0.0.1:{relay_port}", AGENT_RELAY_SECRET=RELAY_SECRET,
               INTEGRATOR_API_KEYS=f"e2e:{INTEGRATOR_KEY}",
               INTEGRATOR_CALLBACKS=f"e2e:{callbacks.url}",
               CONSOLE_AGENT_HOURS="always", CONSOLE_ADMIN_PASSWORD=PASSWORD,
               ACTION_ENDPOINT_URL=f"http://127.0.0.1:{action_port}/webhook")
    env.pop("TRACKER_STORE_URL", None)
    procs = [ds_proc]
    try:
        subprocess.run([str(CONSOLE_PY), "-m", "console", "migrate"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        subprocess.run([str(CONSOLE_PY), "-m", "console", "create-admin", "agent1"], cwd=ROOT,
                       env=env, check=True, capture_output=True)
        console = _console(env, ["serve", "--port", str(console_port)], tmp / "console.log")
        procs.append(console)
        procs.append(_console(env, ["consume"], tmp / "consumer.log"))
        wait_http(f"http://127.0.0.1:{console_port}/healthz", 60, console, tmp / "console.log")
        procs.append(start_action_server(env, action_port, tmp / "actions.log"))
        with ThreadPoolExecutor(2) as pool:  # the two replicas load their models side by side
            replicas = [pool.submit(start_rasa, env, port, tmp / f"rasa-{port}.log")
                        for port in (rasa_port, relay_port)]
            for replica in replicas:
                procs.append(replica.result())
        yield {"rasa": f"http://127.0.0.1:{rasa_port}", "console": env["CONSOLE_URL"],
               "fake": fake, "tmp": tmp, "callbacks": callbacks, "agent": "agent1",
               "password": PASSWORD}
    finally:
        stop(procs)
        fake.close()
        callbacks.close()
        r = redis.Redis.from_url(REDIS_URL)
        for key in r.scan_iter(f"{prefix}*"):
            r.delete(key)


def main(workdir: Path) -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # unwinds through running_stack's stop
    with running_stack(workdir) as started:
        print(json.dumps({k: started[k] for k in ("rasa", "console", "agent", "password")}),
              flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
