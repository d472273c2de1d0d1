"""Readiness of a Rasa replica: the server answers, and so do its tracker store (PostgreSQL,
TRACKER_STORE_URL) and lock store (Redis, REDIS_URL). A replica that cannot reach either is taken
out of the load balancer instead of accepting messages it cannot store or lock.

Exit 0 when ready; otherwise exit 1 and print what failed. Each check is bounded (2 s), so the
probe never hangs. A store whose variable is unset (embedded development default) is not checked.
Used by the image's HEALTHCHECK and the Kubernetes readiness probe (deploy/).
"""
from __future__ import annotations

import os
import sys
import urllib.request

TIMEOUT = 2


def rasa_answers(port: str) -> None:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=TIMEOUT) as resp:
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status}")


def postgres_answers(url: str) -> None:
    import psycopg2

    conn = psycopg2.connect(url, connect_timeout=TIMEOUT)
    try:
        conn.cursor().execute("SELECT 1")
    finally:
        conn.close()


def redis_answers(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
    try:
        client.ping()
    finally:
        client.close()


def main(env: dict[str, str]) -> int:
    checks = [("rasa", rasa_answers, env.get("RASA_PORT", "5005"))]
    if env.get("TRACKER_STORE_URL"):
        checks.append(("postgresql", postgres_answers, env["TRACKER_STORE_URL"]))
    if env.get("REDIS_URL"):
        checks.append(("redis", redis_answers, env["REDIS_URL"]))
    failed = []
    for name, check, target in checks:
        try:
            check(target)
        except Exception as exc:  # any failure means "not ready"; say which store, not the URL
            failed.append(f"{name}: {type(exc).__name__}")
    if failed:
        print("not ready: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(dict(os.environ)))
