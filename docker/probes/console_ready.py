"""Readiness of one of the operator console's processes: `console_ready.py web|consumer|worker`.

- web: the console answers /healthz and its database (CONSOLE_DATABASE_URL) answers;
- consumer: the database and the event broker (EVENT_BROKER_URL, RabbitMQ) answer;
- worker: the database and the job queue (CONSOLE_QUEUE_URL, Redis) answer.

Exit 0 when ready; otherwise exit 1 and print what failed (which dependency, never the URL). Each
check is bounded (2 s), so the probe never hangs. A dependency whose variable is unset or points at
the embedded SQLite default is not checked over the network. Used by the images' HEALTHCHECK and
the Kubernetes probes (deploy/k8s/console.yaml).
"""
from __future__ import annotations

import os
import socket
import sys
import urllib.request
from urllib.parse import urlparse

TIMEOUT = 2
DEFAULT_PORTS = {"amqp": 5672, "amqps": 5671, "redis": 6379, "rediss": 6379}


def console_answers(env: dict[str, str]) -> None:
    url = f"http://127.0.0.1:{env.get('CONSOLE_PORT', '8100')}/healthz"
    with urllib.request.urlopen(url, timeout=TIMEOUT) as resp:
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status}")


def database_answers(env: dict[str, str]) -> None:
    from sqlalchemy import create_engine, text

    from dataservice.settings import normalize_database_url

    url = normalize_database_url(env.get("CONSOLE_DATABASE_URL", "sqlite:///var/console.sqlite3"))
    args = {"connect_timeout": TIMEOUT} if url.startswith("postgresql") else {}
    engine = create_engine(url, connect_args=args)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()


def server_accepts(url: str | None) -> None:
    """A TCP connection to a broker or queue server (Redis also answers PING)."""
    parsed = urlparse(url or "")
    if parsed.scheme not in DEFAULT_PORTS:
        return  # embedded default: nothing on the network to check
    address = (parsed.hostname, parsed.port or DEFAULT_PORTS[parsed.scheme])
    with socket.create_connection(address, timeout=TIMEOUT) as conn:
        if parsed.scheme == "redis" and not parsed.password:
            conn.sendall(b"PING\r\n")
            if not conn.recv(16).startswith(b"+PONG"):
                raise RuntimeError("no PONG")


CHECKS = {
    "web": [("console", console_answers), ("database", database_answers)],
    "consumer": [("database", database_answers),
                 ("broker", lambda env: server_accepts(env.get("EVENT_BROKER_URL")))],
    "worker": [("database", database_answers),
               ("queue", lambda env: server_accepts(env.get("CONSOLE_QUEUE_URL")))],
}


def main(role: str, env: dict[str, str]) -> int:
    failed = []
    for name, check in CHECKS[role]:
        try:
            check(env)
        except Exception as exc:  # any failure means "not ready"; say which dependency only
            failed.append(f"{name}: {type(exc).__name__}")
    if failed:
        print(f"{role} not ready: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CHECKS:
        print(f"usage: console_ready.py {'|'.join(CHECKS)}", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], dict(os.environ)))
