"""SQLite without the async detour: a synchronous SQLAlchemy Session, run right in the event loop, behind the
AsyncSession methods the repositories use.

A SQLite statement on a local file takes microseconds. Through the asyncio extension each one was a greenlet
spawn plus a switch out and back per driver call (execute, fetch, commit), and with stock aiosqlite a thread
hand-off too: `python -m bench.sqlite_session_bench` measures the transaction of every chat input at about 6x the
CPU that way. Running inline is safe because no call can wait on another connection of this process: every writer
holds Database.write_slot before its BEGIN IMMEDIATE, and WAL readers never wait. Only another process writing at
that moment makes BEGIN IMMEDIATE wait in SQLite's busy handler, pausing this loop for that other transaction's
few milliseconds; a deployment with many processes belongs on PostgreSQL, which keeps the real AsyncSession.

As with AsyncSession, ORM results come back buffered. Unlike it, a lazy load would work here; under AsyncSession
(PostgreSQL) it fails, and the suite runs on both, so code that leaned on one would fail there.
"""
from __future__ import annotations

import sqlite3
from collections import namedtuple
from types import TracebackType
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, exc, util
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.orm import Session, SessionTransaction

# What AsyncSession.execute adds to every call: ORM rows are fetched before the call returns.
_BUFFERED = util.immutabledict({"prebuffer_rows": True})


class InlineTransaction:
    """AsyncSessionTransaction's shape: awaited it just begins; `async with` commits, or rolls back on error."""

    def __init__(self, transaction: SessionTransaction) -> None:
        self._transaction = transaction

    def __await__(self):  # noqa: ANN204 - `await session.begin()`, as with AsyncSession
        yield from ()
        return self

    async def __aenter__(self) -> InlineTransaction:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self._transaction.__exit__(exc_type, exc, tb)


class InlineSession:
    """The part of AsyncSession's API paotui uses, over a synchronous Session on the pysqlite driver."""

    def __init__(self, bind: Engine, **options: Any) -> None:
        self.sync_session = Session(bind, **options)
        self._connected: tuple[SessionTransaction | None, Connection | None] = (None, None)

    @property
    def bind(self) -> Engine:
        return self.sync_session.bind  # type: ignore[return-value]

    def begin(self) -> InlineTransaction:
        return InlineTransaction(self.sync_session.begin())

    def begin_nested(self) -> InlineTransaction:
        return InlineTransaction(self.sync_session.begin_nested())

    async def execute(self, statement: Any, params: Any = None, *, execution_options: Any = util.EMPTY_DICT,
                      **kw: Any) -> Result[Any]:
        options = _BUFFERED.union(execution_options) if execution_options else _BUFFERED
        return self.sync_session.execute(statement, params, execution_options=options, **kw)

    async def scalar(self, statement: Any, params: Any = None, *, execution_options: Any = util.EMPTY_DICT,
                     **kw: Any) -> Any:
        return self.sync_session.scalar(statement, params, execution_options=execution_options, **kw)

    async def scalars(self, statement: Any, params: Any = None, *, execution_options: Any = util.EMPTY_DICT,
                      **kw: Any) -> Any:
        return (await self.execute(statement, params, execution_options=execution_options, **kw)).scalars()

    def run_core(self, statement: Any, params: dict[str, Any] | None = None) -> CursorResult[Any] | DriverResult:
        """A Core statement on this session's connection (see storage.sql.run_core), pending changes flushed first
        as the ORM's autoflush would. A statement built once (storage.sql, storage.lookups) runs as its SQL, compiled
        once, straight on the driver: SQLAlchemy's execution path (cache key, execution context, result set-up)
        cost several times the statement itself, on the path of every input."""
        self.sync_session.flush()  # nothing to do (and cheap) when nothing is pending
        # The session's connection, asked of it once per transaction or savepoint (asking is dearer than a lookup
        # statement): the first ask in a savepoint is what emits its SAVEPOINT.
        innermost = self._innermost()
        if innermost is None or innermost is not self._connected[0]:
            connection = self.sync_session.connection()
            self._connected = (self._innermost(), connection)
        connection = self._connected[1]
        params = params or {}
        compiled = _compiled(statement, params, connection.dialect)
        if compiled is None:
            return connection.execute(statement, params)  # type: ignore[return-value]
        return compiled.run(connection.connection.driver_connection, params)

    def _innermost(self) -> SessionTransaction | None:
        return self.sync_session.get_nested_transaction() or self.sync_session.get_transaction()

    async def get(self, entity: Any, ident: Any, **kw: Any) -> Any:
        return self.sync_session.get(entity, ident, **kw)

    def add(self, instance: object) -> None:
        self.sync_session.add(instance)

    def add_all(self, instances: Any) -> None:
        self.sync_session.add_all(instances)

    async def flush(self, objects: Any = None) -> None:
        self.sync_session.flush(objects)

    async def commit(self) -> None:
        self.sync_session.commit()

    async def rollback(self) -> None:
        self.sync_session.rollback()

    async def close(self) -> None:
        self.sync_session.close()


def run_alone(engine: Engine, statement: Any, params: dict[str, Any]) -> DriverResult | None:
    """A Core statement that only reads, on a pooled connection's driver outside any Session, as SQLite's own
    transaction of that one statement (storage.uow.read_first); None when it must take SQLAlchemy's path (_compile)."""
    compiled = _compiled(statement, params, engine.dialect)
    if compiled is None:
        return None
    connection = engine.raw_connection()
    try:
        return compiled.run(connection.driver_connection, params)
    finally:
        connection.close()  # back to the pool, which rolls back whatever is left open


class DriverResult:
    """What callers read of a CursorResult, from a statement run on the driver: rowcount and the rows."""

    __slots__ = ("rowcount", "_rows")

    def __init__(self, rowcount: int, rows: list[Any]) -> None:
        self.rowcount = rowcount
        self._rows = rows

    def __iter__(self) -> Any:
        return iter(self._rows)

    def all(self) -> list[Any]:
        return list(self._rows)

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalar_one_or_none(self) -> Any:
        if len(self._rows) > 1:
            raise exc.MultipleResultsFound("Multiple rows were found when one or none was required")
        return self.scalar()

    def scalar_one(self) -> Any:
        if len(self._rows) != 1:
            raise exc.NoResultFound("No row was found") if not self._rows else exc.MultipleResultsFound(
                "Multiple rows were found when exactly one was required")
        return self._rows[0][0]


class CompiledStatement(NamedTuple):
    """A statement's SQL for one set of parameter names, with SQLAlchemy's own type processing of its values and
    rows (dates, JSON, booleans), so rows read here equal what SQLAlchemy returns."""

    sql: str
    values: tuple[tuple[str, bool, Any, Any], ...]  # per placeholder: (name, from params, constant, processor)
    row: Any  # a namedtuple class, or None for a statement that returns no rows
    results: tuple[Any, ...]  # a result processor (or None) per column

    def run(self, driver: sqlite3.Connection, params: dict[str, Any]) -> DriverResult:
        bound = []
        for name, given, constant, process in self.values:
            value = params[name] if given else constant
            bound.append(value if process is None else process(value))
        try:
            cursor = driver.execute(self.sql, bound)
            rows = cursor.fetchall() if self.row is not None else []
        except sqlite3.Error as error:  # as SQLAlchemy raises it: IntegrityError, OperationalError…
            raise exc.DBAPIError.instance(self.sql, bound, error, sqlite3.Error) from error
        if rows and any(self.results):
            rows = [tuple(v if p is None else p(v) for p, v in zip(self.results, r)) for r in rows]
        return DriverResult(cursor.rowcount, [self.row._make(r) for r in rows])


# Per statement object and parameter names: its compiled form, or None when it must take SQLAlchemy's path.
# Statements built per call would only fill this, so it stops taking new ones past a bound.
_COMPILED: dict[tuple[int, frozenset[str]], tuple[Any, CompiledStatement | None]] = {}
_COMPILED_MAX = 512


def _compiled(statement: Any, params: dict[str, Any], dialect: Any) -> CompiledStatement | None:
    key = (id(statement), frozenset(params))
    found = _COMPILED.get(key)
    if found is not None and found[0] is statement:
        return found[1]
    compiled = _compile(statement, params, dialect)
    if len(_COMPILED) < _COMPILED_MAX:
        _COMPILED[key] = (statement, compiled)  # holding the statement keeps its id from being reused
    return compiled


def _compile(statement: Any, params: dict[str, Any], dialect: Any) -> CompiledStatement | None:
    """None for what this does not reproduce: Python-side column defaults, expanding or literal parameters, a
    parameter without a value."""
    compiled = statement.compile(dialect=dialect, column_keys=sorted(params))
    if (not compiled.positional or compiled.insert_prefetch or compiled.update_prefetch
            or compiled.literal_execute_params or compiled.post_compile_params):
        return None
    processors = compiled._bind_processors
    by_name = {name: bind for bind, name in compiled.bind_names.items()}
    values = []
    for name in compiled.positiontup or ():
        bind = by_name.get(name)
        if name in params:
            values.append((name, True, None, processors.get(name)))
        elif bind is not None and not bind.required and bind.callable is None:
            values.append((name, False, bind.value, processors.get(name)))
        else:
            return None
    columns = compiled._result_columns
    row = namedtuple("Row", [c[0] for c in columns], rename=True) if columns else None
    results = tuple(c[3]._cached_result_processor(dialect, None) for c in columns)
    return CompiledStatement(compiled.string, tuple(values), row, results)
