"""The console as a real server (`python -m console serve` on a free port), for the browser walk
and the readiness probe."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from bench.processes import free_port

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def serving_console(database_url: str, workdir: Path, seconds: float = 60) -> Iterator[str]:
    """A console on a migrated database; yields its base URL."""
    port = free_port()
    env = dict(os.environ, CONSOLE_DATABASE_URL=database_url, PYTHONPATH=str(ROOT),
               DEPLOYMENT_ENV="development")
    log = workdir / f"console-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "console", "serve", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + seconds
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the console exited with {proc.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the console did not answer in {seconds} s:\n{log.read_text()}")
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
