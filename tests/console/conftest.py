"""Console fixtures: every database test runs on SQLite and on the real PostgreSQL; RabbitMQ is the
real server. A missing server fails the run: nothing is skipped."""
from __future__ import annotations

import os
import uuid
from typing import Iterator

import pika
import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from dataservice.db import make_engine, make_sessionmaker
from console.migrate import upgrade
from dataservice.settings import normalize_database_url

PG_ADMIN_URL = normalize_database_url(
    os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
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


def _pg_conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name = f"console_test_{RUN_ID}"
    try:
        admin = psycopg.connect(_pg_conninfo(PG_ADMIN_URL), autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        pytest.fail(f"PostgreSQL is required at {PG_ADMIN_URL} (start it, see .ci/run): {exc}")
    admin.execute(f'CREATE DATABASE "{name}"')
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


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
