"""Alembic environment: migrations run on the async engine of the configured database."""
import asyncio

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import storage.models  # noqa: F401 - registers the tables on SQLModel.metadata
from storage.db import asyncpg_connect_args

config = context.config
target_metadata = SQLModel.metadata
MIGRATION_LOCK = 0x7061_6F74  # "paot": the advisory lock migrations hold on PostgreSQL


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Several processes starting at once on one database migrate one after another: the others wait here
            # and then find it up to date, instead of failing on tables the first is creating.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()


async def run_async_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        await connection.run_sync(do_run_migrations)
        return
    url, connect_args = make_url(config.get_main_option("sqlalchemy.url")), {}
    if url.get_backend_name() == "postgresql":
        url, connect_args = asyncpg_connect_args(url)
    engine = create_async_engine(url, poolclass=pool.NullPool, connect_args=connect_args)
    async with engine.connect() as conn:
        await conn.run_sync(do_run_migrations)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("paotui runs migrations online only: python main.py migrate")
asyncio.run(run_async_migrations())
