"""Run Alembic migrations programmatically (used by the CLI, the run command and the tests)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")


def alembic_config(database_url: str) -> Config:
    cfg = Config(str(ALEMBIC_INI))
    cfg.attributes["database_url"] = database_url
    cfg.attributes["configure_logging"] = False
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


@lru_cache(maxsize=1)
def code_heads() -> frozenset[str]:
    """The revision(s) this code's migrations end at."""
    return frozenset(ScriptDirectory.from_config(alembic_config("")).get_heads())


def schema_state(conn: Connection) -> str:
    """"ok" when the database is migrated to this code's head, else what is wrong."""
    current = frozenset(MigrationContext.configure(conn).get_current_heads())
    if not current:
        return "not migrated: run `python -m dataservice migrate`"
    if current != code_heads():
        return (f"schema at {', '.join(sorted(current))}, this code needs "
                f"{', '.join(sorted(code_heads()))}: run `python -m dataservice migrate`")
    return "ok"
