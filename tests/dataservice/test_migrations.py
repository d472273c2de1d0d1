"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from dataservice.db import make_engine
from dataservice.models import Base


def test_migrated_schema_matches_the_models(settings):
    # `settings` is migrated to head by the fixture; any model change without a migration
    # (a column, an index, a constraint) shows up here instead of in production.
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
