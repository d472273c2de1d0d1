"""One process at a time creates a store's tables.

Rasa's SQL tracker store and SQL event broker create their tables when they are constructed:
"create unless it exists", which is two statements. Replicas or Sanic workers starting together
on an empty database all see no table, all run CREATE TABLE, and all but one fail to start. Holding
this lock around the construction makes them take turns: PostgreSQL through a session-level
advisory lock, a SQLite file through an exclusive lock on a file beside it.
"""
from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator


@contextmanager
def schema_lock(settings: dict[str, Any], name: str) -> Iterator[None]:
    """`settings` are Rasa's SQL store arguments (dialect, db, host, port, username, password);
    `name` tells apart the stores that share a database."""
    if settings["dialect"] == "sqlite":
        with _file_lock(Path(f"{settings['db']}.lock")):
            yield
    elif settings["dialect"] == "postgresql":
        with _advisory_lock(settings, name):
            yield
    else:
        yield


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield


@contextmanager
def _advisory_lock(settings: dict[str, Any], name: str) -> Iterator[None]:
    import psycopg2

    try:
        conn = psycopg2.connect(host=settings["host"], port=settings["port"], dbname=settings["db"],
                                user=settings["username"], password=settings["password"])
    except psycopg2.OperationalError:  # no database yet: Rasa creates it, and reports errors
        yield
        return
    try:
        conn.autocommit = True
        conn.cursor().execute("SELECT pg_advisory_lock(hashtext(%s))", (f"shps-{name}-schema",))
        yield
    finally:
        conn.close()  # releases the lock
