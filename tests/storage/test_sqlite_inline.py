"""SQLite runs inline in the event loop (storage/sqlite_inline.py: a plain Session behind AsyncSession's API): what
that must not change for its users."""
from __future__ import annotations

import asyncio
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import exc, func, select

from storage.db import Database
from storage.models import User
from storage.uow import UnitOfWork
from tests.conftest import FakeClock


def _user(external_id: str, clock: FakeClock) -> User:
    return User(channel="console", external_id=external_id, campus_id="demo", display_name=external_id,
                language="en", created_at=clock(), preference_tags=[])


@pytest.fixture
def sqlite_path(tmp_path: Path, sqlite_template: Path) -> Path:
    path = tmp_path / "inline.db"
    shutil.copy(sqlite_template, path)
    return path


async def _users(db: Database) -> int:
    async with UnitOfWork(db, write=False) as uow:
        return await uow.session.scalar(select(func.count()).select_from(User)) or 0


async def test_units_of_work_start_no_threads(sqlite_path: Path, clock: FakeClock) -> None:
    db = Database(f"sqlite+aiosqlite:///{sqlite_path}")
    before = threading.active_count()
    for i in range(30):
        async with UnitOfWork(db) as uow:
            uow.session.add(_user(f"u{i}", clock))
        assert await _users(db) == i + 1
    assert threading.active_count() == before
    await db.dispose()


async def test_a_reader_sees_the_last_commit_while_a_writer_is_at_work(sqlite_path: Path, clock: FakeClock) -> None:
    db = Database(f"sqlite+aiosqlite:///{sqlite_path}")
    async with UnitOfWork(db) as uow:
        uow.session.add(_user("a", clock))
        await uow.session.flush()
        assert await _users(db) == 0  # WAL: not blocked, and not shown the uncommitted row
    assert await _users(db) == 1
    await db.dispose()


async def test_driver_errors_arrive_as_sqlalchemy_errors_and_change_nothing(sqlite_path: Path, clock: FakeClock
                                                                             ) -> None:
    db = Database(f"sqlite+aiosqlite:///{sqlite_path}")
    async with UnitOfWork(db) as uow:
        uow.session.add(_user("a", clock))
    with pytest.raises(exc.IntegrityError):
        async with UnitOfWork(db) as uow:
            uow.session.add(_user("b", clock))
            await uow.session.flush()
            uow.session.add(_user("a", clock))  # (channel, external_id) is unique
    assert await _users(db) == 1
    await db.dispose()


async def test_a_write_lock_held_by_another_process_fails_after_the_busy_timeout(sqlite_path: Path,
                                                                                 clock: FakeClock) -> None:
    db = Database(f"sqlite+aiosqlite:///{sqlite_path}", sqlite_busy_timeout=0.05)
    assert await _users(db) == 0  # the first connection puts the file in WAL mode
    other = sqlite3.connect(sqlite_path, isolation_level=None)  # another process, as far as SQLite can tell
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(exc.OperationalError, match="locked"):
        async with UnitOfWork(db) as uow:
            uow.session.add(_user("a", clock))
    assert await _users(db) == 0  # readers still read meanwhile
    other.execute("ROLLBACK")
    other.close()
    async with UnitOfWork(db) as uow:  # and the writer gets on once the lock is gone
        uow.session.add(_user("a", clock))
    assert await _users(db) == 1
    await db.dispose()


async def test_more_units_of_work_at_once_than_pooled_connections_all_finish(sqlite_path: Path, clock: FakeClock
                                                                              ) -> None:
    # Each holds its connection across a pause, as one waiting for the write slot inside a read does: a pool that
    # made the next one wait for a free connection would stop the event loop the holders need.
    db = Database(f"sqlite+aiosqlite:///{sqlite_path}")
    async with UnitOfWork(db) as uow:
        uow.session.add(_user("a", clock))
    holding = asyncio.Event()

    async def read_across_a_pause() -> int:
        async with UnitOfWork(db, write=False) as uow:
            count = await uow.session.scalar(select(func.count()).select_from(User))
            await holding.wait()
            return count

    readers = [asyncio.create_task(read_across_a_pause()) for _ in range(100)]
    await asyncio.sleep(0)
    holding.set()
    assert await asyncio.wait_for(asyncio.gather(*readers), timeout=10) == [1] * 100
    await db.dispose()
