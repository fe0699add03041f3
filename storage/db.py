"""Engine and sessions. SQLite gets WAL and one in-process writer; PostgreSQL runs concurrent writers."""
from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import ssl
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage.sqlite_inline import InlineSession

T = TypeVar("T")
# What a unit of work's session is: AsyncSession on PostgreSQL, its inline stand-in on SQLite (same methods).
DbSession = AsyncSession | InlineSession


class Database:
    def __init__(self, url: str, *, echo: bool = False, sqlite_busy_timeout: float = 30.0) -> None:
        """sqlite_busy_timeout: seconds a writer waits for another process's write lock before failing."""
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.sessions: Callable[[], DbSession]
        self.write_sessions: Callable[[], DbSession]
        if self.is_sqlite:
            # The synchronous pysqlite driver, run inline behind AsyncSession's API (storage/sqlite_inline.py), for
            # whichever driver the URL names. The pool keeps as many connections as inputs are handled at once
            # (opening one, with its PRAGMAs, per input showed up in the throughput bench) and never makes a
            # caller wait: a synchronous wait for a free connection would stop the event loop that the holders need
            # to finish. Past the pool a connection is opened, and closed on return.
            # pysqlite's own BEGIN handling is off (isolation_level None): the begin event below issues BEGIN,
            # writers' BEGIN IMMEDIATE, because a deferred transaction that read and then writes fails at once (no
            # busy wait) when another process wrote in between; readers' a plain deferred BEGIN.
            self.engine: Engine | AsyncEngine = create_engine(
                self.url.set(drivername="sqlite"), echo=echo, pool_size=20, max_overflow=-1,
                connect_args={"timeout": sqlite_busy_timeout, "isolation_level": None})
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
            writer = self.engine.execution_options(sqlite_begin="IMMEDIATE")
            self.sessions = partial(InlineSession, self.engine, expire_on_commit=False)
            self.write_sessions = partial(InlineSession, writer, expire_on_commit=False)
        else:
            url, connect_args = asyncpg_connect_args(url)
            self.engine = create_async_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True,
                                              connect_args=connect_args)
            self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, class_=AsyncSession)
            self.write_sessions = self.sessions
        # SQLite allows one writer at a time; queueing writers here instead of in SQLite's busy handler (which
        # sleeps in growing steps) keeps every writer's wait to the real work ahead of it.
        self._write_gate = asyncio.Lock() if self.is_sqlite else None

    async def run_sync(self, work: Callable[[Connection], T]) -> T:
        """work(connection) on a plain SQLAlchemy Connection, e.g. for Alembic's schema comparison."""
        if isinstance(self.engine, AsyncEngine):
            async with self.engine.connect() as conn:
                return await conn.run_sync(work)
        with self.engine.connect() as conn:
            return work(conn)

    @contextlib.asynccontextmanager
    async def write_slot(self) -> AsyncIterator[None]:
        if self._write_gate is None:
            yield
        else:
            async with self._write_gate:
                yield

    async def dispose(self) -> None:
        if isinstance(self.engine, AsyncEngine):
            await self.engine.dispose()
        else:
            self.engine.dispose()


def asyncpg_connect_args(url: str | URL) -> tuple[URL, dict]:
    """A PostgreSQL URL without what asyncpg cannot take from it as text, and that as connect arguments: timeout as
    a number, sslrootcert (libpq's, a CA file or the system's) as the SSL context verifying the server with it."""
    url = make_url(url)
    query, connect_args = dict(url.query), {}
    if "timeout" in query:
        connect_args["timeout"] = float(query.pop("timeout"))
    if "sslrootcert" in query:
        root, mode = query.pop("sslrootcert"), query.pop("ssl", None)
        context = ssl.create_default_context(cafile=None if root == "system" else root)
        context.check_hostname = mode == "verify-full"  # require and verify-ca check the chain only, as libpq does
        connect_args["ssl"] = context
    return url.set(query=query), connect_args


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    try:  # straight on the driver: SQLAlchemy's statement path cost several times the BEGIN itself
        conn.connection.driver_connection.execute(f"BEGIN {mode}")
    except sqlite3.Error as error:  # e.g. still locked by another process after busy_timeout
        raise exc.DBAPIError.instance(f"BEGIN {mode}", (), error, sqlite3.Error) from error


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001 - DB-API connection
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


# PostgreSQL aborts one of two transactions that conflict, and trying it again from the start settles it: a deadlock
# (two transactions locking the same rows in opposite orders), a serialization failure, and a unique violation that
# a concurrent insert of the same row caused (two processes creating a newcomer from their first two updates).
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001", "23505"})
CONFLICT_TRIES = 3  # a transaction's tries in all when it keeps conflicting


def conflicted(error: BaseException) -> bool:
    """The database aborted the transaction for a conflict with another that trying again may not meet."""
    return isinstance(error, exc.DBAPIError) and getattr(error.orig, "sqlstate", None) in RETRYABLE_SQLSTATES
