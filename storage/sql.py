"""Small SQL helpers that differ by dialect."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Column, CursorResult, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


@lru_cache(maxsize=None)
def _insert_ignore(dialect: str, table: Table, conflict_on: tuple[str, ...], returning: Column | None) -> Any:
    # Built once per shape and bound to its values at execution: building the statement each time (the ORM's
    # insert, then .values()) cost more than running it, on the path of every update (the processed-update key).
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).on_conflict_do_nothing(index_elements=list(conflict_on))
    return statement.returning(returning) if returning is not None else statement


async def insert_ignore(session: AsyncSession, model: Any, values: dict[str, Any], conflict_on: list[str], *,
                        returning: str | None = None) -> CursorResult[Any]:
    """INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike; rowcount 1 when the row is new (or the
    `returning` column of the new row, none when it existed)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    table: Table = model.__table__
    column = table.c[returning] if returning is not None else None
    return await session.execute(_insert_ignore(dialect, table, tuple(conflict_on), column), values)
