"""Creating and dropping whole PostgreSQL databases, for test runs and benchmarks that need one of their own."""
from __future__ import annotations

from sqlalchemy.engine import make_url


def _dsn(admin_url: str) -> str:
    return admin_url.replace("postgresql+asyncpg", "postgresql")  # asyncpg speaks plain libpq URLs


async def fresh_postgres(admin_url: str, name: str) -> str:
    """Drop `name` if it exists, create it empty, and return its SQLAlchemy URL (beside `admin_url`)."""
    import asyncpg

    conn = await asyncpg.connect(_dsn(admin_url), timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def drop_postgres(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_dsn(admin_url), timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
