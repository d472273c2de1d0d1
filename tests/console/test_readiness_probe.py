"""docker/probes/console_ready.py, the containers' health check and Kubernetes probe, against the
real console, database, RabbitMQ and Redis: ready only when what the process needs answers."""
from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlparse

from tests.console.conftest import RABBITMQ_URL
from tests.console.live import ROOT, free_port, serving_console

PROBE = ROOT / "docker" / "probes" / "console_ready.py"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def probe(role: str, **env: str) -> tuple[int, str]:
    result = subprocess.run([sys.executable, str(PROBE), role], capture_output=True, text=True,
                            timeout=30, env=dict(os.environ, PYTHONPATH=str(ROOT), **env), cwd=ROOT)
    return result.returncode, result.stderr


def test_web_is_ready_while_the_console_and_its_database_answer(database_url, tmp_path):
    with serving_console(database_url, tmp_path) as base:
        port = str(urlparse(base).port)
        assert probe("web", CONSOLE_PORT=port, CONSOLE_DATABASE_URL=database_url) == (0, "")
        missing = f"sqlite:///{tmp_path}/no-such-dir/console.sqlite3"
        code, err = probe("web", CONSOLE_PORT=port, CONSOLE_DATABASE_URL=missing)
        assert code == 1 and "database" in err and "console:" not in err
    code, err = probe("web", CONSOLE_PORT=port, CONSOLE_DATABASE_URL=database_url)
    assert code == 1 and "console: URLError" in err


def test_consumer_needs_the_broker_and_worker_the_queue(postgres_url):
    ready = {"CONSOLE_DATABASE_URL": postgres_url, "EVENT_BROKER_URL": RABBITMQ_URL,
             "CONSOLE_QUEUE_URL": REDIS_URL}
    assert probe("consumer", **ready) == (0, "")
    assert probe("worker", **ready) == (0, "")
    closed = free_port()
    code, err = probe("consumer", **dict(ready, EVENT_BROKER_URL=f"amqp://u:s3cret@127.0.0.1:{closed}/"))
    assert code == 1 and "broker: ConnectionRefusedError" in err and "s3cret" not in err
    code, err = probe("worker", **dict(ready, CONSOLE_QUEUE_URL=f"redis://127.0.0.1:{closed}/0"))
    assert code == 1 and "queue: ConnectionRefusedError" in err


def test_a_wrong_role_is_a_usage_error():
    code, err = probe("everything")
    assert code == 2 and "usage" in err
