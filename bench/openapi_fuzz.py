"""Fuzz the data service through its own OpenAPI with Schemathesis (a long run; not a test).

Production-like: PostgreSQL + Redis, the real `python -m dataservice serve` on a loopback port, every
Schemathesis phase (examples, coverage, fuzzing, stateful) in positive and negative modes, with the
checks: no server error, status codes documented, response schema and content type as documented.
Prints the figures for docs/security.md (requests, failures, status codes seen).

    .venv/dataservice/bin/python bench/openapi_fuzz.py                  # ~10 minutes
    .venv/dataservice/bin/python bench/openapi_fuzz.py --max-examples 20 --max-time 60
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg  # noqa: E402  (after dataservice_bench put the repository root on the path)
from dataservice_bench import (
    API_KEY,
    PG_ADMIN,
    REDIS_URL,
    ROOT,
    fresh_database,
    wait_ready,
)

from bench.processes import free_port  # noqa: E402

CHECKS = ("not_a_server_error,status_code_conformance,response_schema_conformance,"
          "content_type_conformance")


def drop_database(name: str) -> None:
    conninfo = PG_ADMIN.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def har_figures(path: Path) -> tuple[int, collections.Counter]:
    entries = json.loads(path.read_text(encoding="utf-8"))["log"]["entries"]
    return len(entries), collections.Counter(e["response"]["status"] for e in entries)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-examples", type=int, default=300, help="per operation and phase")
    ap.add_argument("--max-time", type=int, default=600, help="seconds for the whole run")
    ap.add_argument("--seed", type=int, default=12345)
    args = ap.parse_args()

    db_name = f"ds_fuzz_{os.getpid()}"
    env = dict(os.environ, DATABASE_URL=fresh_database(db_name), REDIS_URL=REDIS_URL,
               DATASERVICE_API_KEYS=API_KEY, DATASERVICE_CACHE_PREFIX=f"dsfuzz{os.getpid()}")
    py = sys.executable
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="ds-fuzz-") as tmp:
        reports, server_log = Path(tmp), Path(tmp) / "server.log"
        for command in ("migrate", "seed"):
            subprocess.run([py, "-m", "dataservice", command], env=env, cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with server_log.open("w") as log:
            server = subprocess.Popen([py, "-m", "dataservice", "serve", "--port", str(port)],
                                      env=env, cwd=ROOT, stdout=log, stderr=log)
        try:
            wait_ready(base)
            started = time.monotonic()
            # One Schemathesis worker: with two, Hypothesis' ast.parse of lambdas raced in threads on
            # Python 3.11 and aborted a run with a SystemError inside Schemathesis.
            run = subprocess.run(
                [str(Path(py).parent / "schemathesis"), "run", f"{base}/openapi.json",
                 "--checks", CHECKS, "--header", f"X-API-Key: {API_KEY}", "--mode", "all",
                 "--phases", "examples,coverage,fuzzing,stateful",
                 "--max-examples", str(args.max_examples), "--max-time", str(args.max_time),
                 "--seed", str(args.seed), "--workers", "1", "--no-color",
                 "--report", "har", "--report-har-path", str(reports / "run.har"),
                 "--request-timeout", "10", "--generation-database", "none"],
                cwd=tmp, capture_output=True, text=True)  # its crash cache stays out of the tree
            seconds = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
            drop_database(db_name)
        requests, statuses = har_figures(reports / "run.har")
        unhandled = server_log.read_text(encoding="utf-8").count("unhandled error")
    print(run.stdout[-20_000:])  # Schemathesis' own report: failures and errors in full
    print(f"\nrequests: {requests} in {seconds:.0f} s; schemathesis exit code: {run.returncode}")
    print("status codes: " + ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items())))
    print(f"server errors (5xx other than 503): "
          f"{sum(n for code, n in statuses.items() if code >= 500 and code != 503)}; "
          f"unhandled exceptions logged: {unhandled}")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
