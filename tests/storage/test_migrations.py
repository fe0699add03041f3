"""The migrations build exactly the schema the models describe, on every backend."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import storage.models  # noqa: F401


async def test_migrated_schema_matches_models(db):
    def diff(sync_conn):
        ctx = MigrationContext.configure(sync_conn)
        return compare_metadata(ctx, SQLModel.metadata)

    differences = await db.run_sync(diff)
    assert differences == []


def test_every_table_is_emptied_between_postgresql_tests():
    from tests.conftest import TABLES
    assert sorted(TABLES) == sorted(t for t in SQLModel.metadata.tables if t != "alembic_version")
