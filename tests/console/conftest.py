"""Console fixtures: every database test runs on SQLite and on the real PostgreSQL; RabbitMQ is the
real server. A missing server fails the run: nothing is skipped."""
from __future__ import annotations

import os
import uuid
from typing import Iterator

import pika
import pytest
from sqlalchemy.orm import Session, sessionmaker

from console.migrate import upgrade
from dataservice.db import make_engine, make_sessionmaker
from tests.postgres import fresh_database

RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
RUN_ID = uuid.uuid4().hex[:8]
FULL_WALK = "test_browser_walk_full.py"


def pytest_collection_modifyitems(config, items):
    """The full walk (real training, evaluation and promotion, 5 to 20 minutes) runs only when
    asked for (CONSOLE_WALK_FULL=1, `make console-walk-full`): otherwise it is deselected, even
    when named on the command line, and never counted as passed."""
    if os.environ.get("CONSOLE_WALK_FULL") == "1":
        return
    full = [item for item in items if item.path.name == FULL_WALK]
    if full:
        config.hook.pytest_deselected(items=full)
        items[:] = [item for item in items if item.path.name != FULL_WALK]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database on the real server, dropped at the end of the run."""
    with fresh_database(f"console_test_{RUN_ID}") as url:
        yield url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory) -> str:
    """A migrated console database of each backend (the same tests run on both)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('console') / 'console.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    upgrade(url)
    return url


@pytest.fixture
def sessions(database_url) -> Iterator[sessionmaker[Session]]:
    """A session factory on a database emptied after each test."""
    engine = make_engine(database_url)
    yield make_sessionmaker(engine)
    from console.models import Base
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()


@pytest.fixture
def rabbit_queue() -> Iterator[str]:
    """A queue of its own on the real RabbitMQ, deleted afterwards."""
    try:
        connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    except pika.exceptions.AMQPError as exc:
        pytest.fail(f"RabbitMQ is required at {RABBITMQ_URL} (start it, see .ci/run): {exc!r}")
    name = f"console-test-{RUN_ID}-{uuid.uuid4().hex[:6]}"
    yield name
    channel = connection.channel()
    channel.queue_delete(name)
    channel.exchange_delete(f"{name}-exchange")
    connection.close()


PASSWORD = "correct horse battery"
ROLES = ("viewer", "annotator", "trainer", "admin")


@pytest.fixture
def console_settings(database_url, tmp_path):
    from console.settings import Settings
    return Settings(database_url=database_url)


@pytest.fixture
def app(console_settings, sessions):
    """The console with one operator of each role (named after the role)."""
    from console.web.accounts import create_user
    from console.web.app import create_app
    with sessions() as s, s.begin():
        for role in ROLES:
            create_user(s, "test", role, PASSWORD, role)
    return create_app(console_settings, sessions)
