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

from types import TracebackType
from typing import Any

from sqlalchemy import Engine, util
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

    def run_core(self, statement: Any, params: Any = None) -> CursorResult[Any]:
        """A Core statement on this session's connection (see storage.sql.run_core), pending changes flushed first
        as the ORM's autoflush would."""
        self.sync_session.flush()  # nothing to do (and cheap) when nothing is pending
        return self.sync_session.connection().execute(statement, params)  # type: ignore[return-value]

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
