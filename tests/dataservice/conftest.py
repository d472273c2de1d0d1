"""Fixtures: every data-service test runs against SQLite AND the real PostgreSQL, with real Redis.

PostgreSQL and Redis must be up (`.ci/run` starts them). A missing server fails the run: these tests
never skip, so a green CI always means both were exercised.
"""
from __future__ import annotations

import os
import uuid
from dataclasses import replace
from typing import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from dataservice import seed
from dataservice.db import make_engine, make_sessionmaker
from dataservice.main import create_app
from dataservice.migrate import upgrade
from dataservice.settings import DEFAULT_CLASSIFIER_DIR, Settings
from dataservice.work_orders.shipped import ensure_shipped_model
from tests.postgres import fresh_database

API_KEY = "test-key-0123456789"
OTHER_KEY = "test-key-other"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RUN_ID = uuid.uuid4().hex[:8]


@pytest.fixture(scope="session", autouse=True)
def shipped_classifier() -> None:
    """The shipped work-order classifier, trained before any test when the corpus or its code
    changed (about a minute): a test that starts a live server within a deadline must not spend
    that deadline training it in the app's start-up."""
    ensure_shipped_model(DEFAULT_CLASSIFIER_DIR)


@pytest.fixture(scope="session")
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is required at {REDIS_URL} (start it, see .ci/run): {exc}")
    return REDIS_URL


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database on the real server, dropped at the end of the run."""
    with fresh_database(f"ds_test_{RUN_ID}") as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'dataservice.sqlite3'}"


def make_settings(database_url: str, redis_url: str, backend: str) -> Settings:
    return Settings(database_url=database_url, redis_url=redis_url,
                    api_keys=(API_KEY, OTHER_KEY), pepper="test-pepper",
                    cache_prefix=f"dstest-{RUN_ID}-{backend}")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def settings(request, redis_url) -> Settings:
    """Migrated and seeded database of each backend (the same tests run on both)."""
    url = request.getfixturevalue({"sqlite": "sqlite_url", "postgresql": "postgres_url"}[request.param])
    s = make_settings(url, redis_url, request.param)
    upgrade(s.database_url)
    engine = make_engine(s.database_url)
    seed.run(make_sessionmaker(engine), seed.SeedContext(pepper=s.pepper))
    engine.dispose()
    return s


@pytest.fixture(scope="session")
def backend(settings) -> str:
    return "postgresql" if settings.database_url.startswith("postgresql") else "sqlite"


@pytest.fixture(scope="session")
def pg_settings(postgres_url, redis_url) -> Settings:
    """PostgreSQL only: concurrency and idempotency tests."""
    s = make_settings(postgres_url, redis_url, "postgresql")
    upgrade(s.database_url)
    engine = make_engine(s.database_url)
    seed.run(make_sessionmaker(engine), seed.SeedContext(pepper=s.pepper))
    engine.dispose()
    return s


@pytest.fixture(scope="session")
def app(settings):
    return create_app(settings)


@pytest.fixture(scope="session")
def client(app) -> Iterator[TestClient]:
    with TestClient(app, headers={"X-API-Key": API_KEY}) as c:
        yield c


@pytest.fixture()
def anon_client(settings) -> Iterator[TestClient]:
    # Its own app: the shared app's async Redis connections belong to the `client` event loop.
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture()
def memory_cache_settings(settings) -> Settings:
    return replace(settings, redis_url=None)
