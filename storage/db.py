"""Engine and sessions. SQLite gets WAL and one in-process writer; PostgreSQL runs concurrent writers."""
from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator

from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage.sqlite_inline import inline_creator


class Database:
    def __init__(self, url: str, *, echo: bool = False, sqlite_busy_timeout: float = 30.0) -> None:
        """sqlite_busy_timeout: seconds a writer waits for another process's write lock before failing."""
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            # A pool as large as the number of inputs handled at once: a connection opened past the pool is closed
            # on return, and opening one (with its PRAGMAs) per input showed up in the throughput bench.
            cargs, cparams = self.url.get_dialect()().create_connect_args(self.url)
            self.engine: AsyncEngine = create_async_engine(
                url, echo=echo, pool_size=20, max_overflow=20,
                async_creator=inline_creator((cargs, {**cparams, "timeout": sqlite_busy_timeout})))
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            # pysqlite's own BEGIN handling is off (see storage/sqlite_inline.py), so we begin transactions ourselves:
            # writers with BEGIN IMMEDIATE, because a deferred transaction that read and then writes fails at once
            # (no busy wait) when another process wrote in between; readers with a plain deferred BEGIN.
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        else:
            self.engine = create_async_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, class_=AsyncSession)
        writer = self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else self.engine
        self.write_sessions = async_sessionmaker(writer, expire_on_commit=False, class_=AsyncSession)
        # SQLite allows one writer at a time; queueing writers here instead of in SQLite's busy handler (which
        # sleeps in growing steps) keeps every writer's wait to the real work ahead of it.
        self._write_gate = asyncio.Lock() if self.is_sqlite else None

    @contextlib.asynccontextmanager
    async def write_slot(self) -> AsyncIterator[None]:
        if self._write_gate is None:
            yield
        else:
            async with self._write_gate:
                yield

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_begin(conn) -> None:  # noqa: ANN001 - sync Connection
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    try:
        conn.connection.driver_connection.begin(mode)
    except sqlite3.Error as error:  # e.g. still locked by another process after busy_timeout
        raise exc.DBAPIError.instance(f"BEGIN {mode}", (), error, sqlite3.Error) from error


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001 - DB-API connection
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
