"""aiosqlite without its worker thread: SQLite calls run right in the event loop's thread.

A SQLite statement on a local file takes microseconds; handing each one to aiosqlite's thread and back (a queue, a
thread wake-up and a loop wake-up) cost more than the statement itself, and an update makes dozens of them (the
Telegram throughput bench went from 7.8 to 4.8 ms of CPU per update). Running inline is safe because no call can
wait on another connection of this process: every writer holds Database.write_slot before its BEGIN IMMEDIATE, and
WAL readers never wait. Only another process writing at that moment makes BEGIN IMMEDIATE wait in SQLite's busy
handler, pausing this loop for that other transaction's few milliseconds; a deployment with many processes belongs
on PostgreSQL anyway.
"""
from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite


class _RunNow:
    """Stands in for aiosqlite's queue to its thread (SQLAlchemy's adapter also puts work on it): runs each call
    as it is put and settles its future."""

    def put_nowait(self, item: tuple[asyncio.Future | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:  # noqa: BLE001 - handed to the awaiting caller, as aiosqlite's thread does
            if future is not None and not future.done():
                future.set_exception(error)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunNow()  # type: ignore[assignment]

    async def _execute(self, fn, *args, **kwargs):
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    def __await__(self):  # no thread to start
        return self._connect().__await__()

    def begin(self, mode: str) -> None:
        """BEGIN straight on the connection: every unit of work starts with one, and SQLAlchemy's whole statement
        path cost several times the BEGIN itself."""
        self._conn.execute(f"BEGIN {mode}")


def inline_creator(connect_args: tuple[list[Any], dict[str, Any]]) -> Callable[[], InlineConnection]:
    """An async_creator for create_async_engine, opening connections with the dialect's own connect arguments."""
    cargs, cparams = connect_args
    # pysqlite's own BEGIN handling off: the engine's begin event issues BEGIN (see storage/db.py).
    params = {**cparams, "check_same_thread": False, "isolation_level": None}
    return lambda: InlineConnection(partial(sqlite3.connect, *cargs, **params))
