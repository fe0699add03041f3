"""Small SQL helpers that differ by dialect. Their statements are built once per shape and bound to their values
at execution: building one each time (the ORM's insert, then .values()) cost more than running it, on the path of
every update (the processed-update key, the conversation)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Column, CursorResult, Table
from sqlalchemy.dialects import postgresql, sqlite

from storage.db import DbSession
from storage.sqlite_inline import DriverResult, InlineSession


async def run_core(session: DbSession, statement: Any, params: dict[str, Any] | None = None
                   ) -> CursorResult[Any] | DriverResult:
    """A Core statement (on tables or columns, not ORM entities) in the session's transaction. On SQLite it goes
    straight to the driver, after the flush the ORM would have done (InlineSession.run_core): SQLAlchemy's statement
    handling cost more than the statement. Read the result's rowcount, rows, first(), scalar() or scalar_one*()."""
    if isinstance(session, InlineSession):
        return session.run_core(statement, params)
    return await session.execute(statement, params)  # type: ignore[return-value]


def _dialect(session: DbSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


def _insert(dialect: str, table: Table) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


@lru_cache(maxsize=None)
def _insert_ignore(dialect: str, table: Table, conflict_on: tuple[str, ...], returning: Column | None) -> Any:
    statement = _insert(dialect, table).on_conflict_do_nothing(index_elements=list(conflict_on))
    return statement.returning(returning) if returning is not None else statement


@lru_cache(maxsize=None)
def _upsert(dialect: str, table: Table, conflict_on: tuple[str, ...], updated: tuple[str, ...]) -> Any:
    statement = _insert(dialect, table)
    return statement.on_conflict_do_update(index_elements=list(conflict_on),
                                           set_={name: statement.excluded[name] for name in updated})


async def insert_ignore(session: DbSession, model: Any, values: dict[str, Any], conflict_on: list[str], *,
                        returning: str | None = None) -> CursorResult[Any] | DriverResult:
    """INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike; rowcount 1 when the row is new (or the
    `returning` column of the new row, none when it existed)."""
    table: Table = model.__table__
    column = table.c[returning] if returning is not None else None
    return await run_core(session, _insert_ignore(_dialect(session), table, tuple(conflict_on), column), values)


async def upsert(session: DbSession, model: Any, values: dict[str, Any], conflict_on: list[str]) -> None:
    """INSERT, or on a conflict UPDATE the row's other given columns, on SQLite and PostgreSQL alike."""
    updated = tuple(name for name in values if name not in conflict_on)
    await run_core(session, _upsert(_dialect(session), model.__table__, tuple(conflict_on), updated), values)
