"""A throw-away database on the real PostgreSQL server, for the test suites of every environment
that has psycopg 3 and SQLAlchemy (the data service's and the console's)."""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

from dataservice.settings import normalize_database_url

PG_ADMIN_URL = normalize_database_url(
    os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))


@contextmanager
def fresh_database(name: str) -> Iterator[str]:
    """Creates `name` on the server of TEST_POSTGRES_URL and yields its SQLAlchemy URL; drops it on
    exit. A server that is not there fails the run: these suites never skip."""
    conninfo = make_url(PG_ADMIN_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        admin = psycopg.connect(conninfo, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        pytest.fail(f"PostgreSQL is required at {PG_ADMIN_URL} (start it, see .ci/run): {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
