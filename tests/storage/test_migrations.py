"""The migrations build exactly the schema the models describe, on every backend."""
import asyncio
import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage.databases import drop_postgres, fresh_postgres
from tests.conftest import PG_ADMIN_URL, in_thread, service_missing

ROOT = Path(__file__).resolve().parents[2]


async def test_migrated_schema_matches_models(db):
    def diff(sync_conn):
        ctx = MigrationContext.configure(sync_conn)
        return compare_metadata(ctx, SQLModel.metadata)

    differences = await db.run_sync(diff)
    assert differences == []


def test_every_table_is_emptied_between_postgresql_tests():
    from tests.conftest import TABLES
    assert sorted(TABLES) == sorted(t for t in SQLModel.metadata.tables if t != "alembic_version")


def test_two_processes_starting_at_once_on_one_postgresql_database_both_migrate_it():
    # Before, the second died on a table or type the first was creating (a deploy starting two processes).
    name = f"paotui_test_migrate_race_{os.getpid()}"
    try:
        url = in_thread(asyncio.run, fresh_postgres(PG_ADMIN_URL, name))
    except (OSError, asyncio.TimeoutError) as exc:
        service_missing("PostgreSQL", str(exc))
    try:
        code = f"from storage.migrate import upgrade; upgrade({url!r})"
        starts = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True) for _ in range(2)]
        results = [(p.wait(timeout=120), p.communicate()[1]) for p in starts]
        assert [(code, err.strip().splitlines()[-1:]) for code, err in results if code != 0] == []
    finally:
        in_thread(asyncio.run, drop_postgres(PG_ADMIN_URL, name))
