"""On SQLite, storage.sql.run_core runs a statement built once as its compiled SQL straight on the driver
(storage/sqlite_inline.py). What it reads and writes must be exactly what SQLAlchemy's own execution gives."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import bindparam, exc, insert, select

from storage.conversations import ConversationState, save
from storage.db import Database
from storage.dedupe import first_time_in
from storage.lookups import GRABBER_BY_ADDRESS, USER_BY_ADDRESS
from storage.models import Conversation, LedgerPosting, ProcessedUpdate, User
from storage.sql import insert_ignore, run_core
from storage.sqlite_inline import DriverResult
from storage.uow import UnitOfWork

AT = dt.datetime(2026, 11, 23, 2, 0, 0, 123456, tzinfo=dt.UTC)
ADDRESS = {"channel": "console", "external_id": "li"}


@pytest.fixture
async def db(tmp_path: Path, sqlite_template: Path):
    path = tmp_path / "driver.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite+aiosqlite:///{path}")
    async with UnitOfWork(database) as uow:
        uow.session.add(User(channel="console", external_id="li", campus_id="demo", display_name="Li",
                             language="en", started_bot=True, suspended=False, created_at=AT, preference_tags=[]))
    yield database
    await database.dispose()


async def _both(db: Database, statement, params):  # noqa: ANN001, ANN202
    """The statement's rows through run_core and through SQLAlchemy's connection, in one read transaction."""
    async with UnitOfWork(db, write=False) as uow:
        ours = await run_core(uow.session, statement, params)
        theirs = uow.session.sync_session.connection().execute(statement, params)
        return ours, [tuple(r) for r in ours], [tuple(r) for r in theirs.all()]


async def test_a_lookup_reads_the_same_typed_values_as_sqlalchemy(db: Database) -> None:
    ours, rows, expected = await _both(db, GRABBER_BY_ADDRESS, ADDRESS)
    assert isinstance(ours, DriverResult)  # it did take the driver's path
    assert rows == expected
    _, language, started, suspended, *_ = rows[0]
    assert (language, started, suspended) == ("en", True, False)
    assert type(started) is bool  # stored as 0/1: SQLAlchemy's Boolean processing applies
    found = (await _both(db, GRABBER_BY_ADDRESS, ADDRESS))[0].first()
    assert (found.language, found.started_bot) == ("en", True)  # columns by name, as on a Row


async def test_nobody_found_reads_none(db: Database) -> None:
    async with UnitOfWork(db, write=False) as uow:
        result = await run_core(uow.session, GRABBER_BY_ADDRESS, {"channel": "console", "external_id": "nobody"})
        assert result.first() is None


async def test_written_values_read_back_through_sqlalchemy_as_given(db: Database) -> None:
    conv = ConversationState("ordering.pickup", {"_token": "abc123", "weight": 2500, "tags": ["fragile"]})
    async with UnitOfWork(db) as uow:
        await save(uow.session, "console", "li", conv, AT)  # an upsert with JSON and a timestamp
        assert await first_time_in(uow.session, "telegram:42", AT)
        assert not await first_time_in(uow.session, "telegram:42", AT)  # ON CONFLICT DO NOTHING: rowcount 0
    async with UnitOfWork(db, write=False) as uow:
        stored = await uow.session.get(Conversation, ("console", "li"))
        key = await uow.session.get(ProcessedUpdate, "telegram:42")
    assert (stored.state, stored.data, stored.updated_at) == ("ordering.pickup", conv.data, AT)
    assert key.at == AT


async def test_returning_gives_the_new_rows_id_and_none_for_a_conflict(db: Database) -> None:
    async with UnitOfWork(db) as uow:
        first = await insert_ignore(uow.session, LedgerPosting, {"key": "k1", "memo": "", "at": AT}, ["key"],
                                    returning="id")
        assert isinstance(first, DriverResult)
        posting_id = first.scalar_one_or_none()
        again = await insert_ignore(uow.session, LedgerPosting, {"key": "k1", "memo": "", "at": AT}, ["key"],
                                    returning="id")
        assert again.scalar_one_or_none() is None
        assert (await uow.session.get(LedgerPosting, posting_id)).key == "k1"


async def test_a_constraint_violation_raises_sqlalchemys_integrity_error(db: Database) -> None:
    statement = insert(User.__table__)
    with pytest.raises(exc.IntegrityError):
        async with UnitOfWork(db) as uow:
            await run_core(uow.session, statement, {
                "channel": "console", "external_id": "li", "campus_id": "demo", "display_name": "Li again",
                "language": "en", "started_bot": False, "suspended": False, "created_at": AT, "preference_tags": []})


async def test_what_the_driver_path_cannot_reproduce_takes_sqlalchemys(db: Database) -> None:
    # Expanding IN parameters are rendered per call: SQLAlchemy runs this one.
    by_names = select(User.display_name).where(User.external_id.in_(bindparam("ids", expanding=True)))
    async with UnitOfWork(db, write=False) as uow:
        result = await run_core(uow.session, by_names, {"ids": ["li", "wang"]})
        assert not isinstance(result, DriverResult)
        assert result.all() == [("Li",)]
        # An ORM entity statement is not for run_core, but a Core lookup of the same row agrees with it.
        user = (await uow.session.execute(USER_BY_ADDRESS, ADDRESS)).scalar_one()
        assert (await run_core(uow.session, GRABBER_BY_ADDRESS, ADDRESS)).first().id == user.id


async def test_a_statement_in_a_savepoint_that_rolls_back_is_undone_and_the_rest_kept(db: Database) -> None:
    async with UnitOfWork(db) as uow:
        assert await first_time_in(uow.session, "before", AT)
        with pytest.raises(RuntimeError):
            async with uow.session.begin_nested():
                assert await first_time_in(uow.session, "inside", AT)
                raise RuntimeError("refused")
        assert await first_time_in(uow.session, "inside", AT)  # new again: the savepoint took it back
        assert await first_time_in(uow.session, "after", AT)
    async with UnitOfWork(db, write=False) as uow:
        keys = (await uow.session.scalars(select(ProcessedUpdate.key).order_by(ProcessedUpdate.key))).all()
    assert keys == ["after", "before", "inside"]
