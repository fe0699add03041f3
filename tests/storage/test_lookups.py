"""The sender of every input is read as columns with their conversation (storage.lookups.user_and_conversation):
they must be the user as stored, in the unit of work as if the ORM had loaded them, so what a handler changes about
them is saved and nothing else is written."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import event, inspect, select

from storage.conversations import ConversationState, save
from storage.db import Database
from storage.lookups import STARTED_AND_LANGUAGE, user_and_conversation
from storage.models import User
from storage.uow import UnitOfWork, read_first

AT = dt.datetime(2026, 11, 23, 2, 0, 0, 123456, tzinfo=dt.UTC)
COLUMNS = [c.key for c in User.__table__.c]


async def add_user(db: Database, external_id: str, **values) -> None:  # noqa: ANN003
    async with UnitOfWork(db) as uow:
        uow.session.add(User(channel="telegram", external_id=external_id, campus_id="demo", display_name="Li",
                             language="en", created_at=AT, preference_tags=["fragile"], **values))


async def as_the_orm_loads(db: Database, external_id: str) -> dict:
    async with UnitOfWork(db, write=False) as uow:
        user = (await uow.session.execute(select(User).where(
            User.channel == "telegram", User.external_id == external_id))).scalar_one()
        return {name: getattr(user, name) for name in COLUMNS}


async def test_the_sender_is_the_user_as_stored_with_their_conversation(db: Database) -> None:
    await add_user(db, "7", phone_enc="sealed-phone", room_enc=None, started_bot=False, is_operator=True)
    async with UnitOfWork(db) as uow:
        await save(uow.session, "telegram", "7", ConversationState("order.dropoff", {"_token": "ab12", "n": 3}), AT)
    expected = await as_the_orm_loads(db, "7")
    async with UnitOfWork(db, write=False) as uow:
        user, state, data = await user_and_conversation(uow.session, "telegram", "7")
        state_of = inspect(user)
        assert state_of.persistent and not state_of.modified  # loaded, nothing to write
        assert await uow.session.get(User, user.id) is user  # the session's one copy of the row
    assert {name: getattr(user, name) for name in COLUMNS} == expected
    assert {name: type(getattr(user, name)) for name in COLUMNS} == {k: type(v) for k, v in expected.items()}
    assert user.created_at == AT and user.created_at.tzinfo is not None
    assert (state, data) == ("order.dropoff", {"_token": "ab12", "n": 3})


async def test_someone_without_a_conversation_or_not_there_at_all(db: Database) -> None:
    await add_user(db, "8")
    async with UnitOfWork(db, write=False) as uow:
        user, state, data = await user_and_conversation(uow.session, "telegram", "8")
        assert (user.external_id, state, data) == ("8", None, None)
        assert await user_and_conversation(uow.session, "telegram", "9") is None


async def test_a_change_to_the_sender_is_saved_and_a_sender_left_alone_is_not_written(db: Database) -> None:
    await add_user(db, "7")
    updates: list[str] = []
    engine = getattr(db.engine, "sync_engine", db.engine)

    def note(conn, cursor, statement, *args) -> None:  # noqa: ANN001, ANN002
        if statement.lstrip().upper().startswith("UPDATE USERS"):
            updates.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        async with UnitOfWork(db) as uow:
            await user_and_conversation(uow.session, "telegram", "7")
        assert updates == []
        async with UnitOfWork(db) as uow:
            user, _, _ = await user_and_conversation(uow.session, "telegram", "7")
            user.language = "zh_CN"
            user.preference_tags = ["no_knock"]
        assert len(updates) == 1
    finally:
        event.remove(engine, "before_cursor_execute", note)
    stored = await as_the_orm_loads(db, "7")
    assert (stored["language"], stored["preference_tags"], stored["display_name"]) == ("zh_CN", ["no_knock"], "Li")


async def test_a_lookup_on_its_own_reads_what_is_committed(db: Database) -> None:
    await add_user(db, "7", started_bot=False)
    address = {"channel": "telegram", "external_id": "7"}
    found = await read_first(db, STARTED_AND_LANGUAGE, address)
    assert tuple(found) == (False, "en") and type(found.started_bot) is bool
    assert await read_first(db, STARTED_AND_LANGUAGE, {"channel": "telegram", "external_id": "8"}) is None
    async with UnitOfWork(db) as uow:  # a write in progress elsewhere: not seen until it commits, and no wait
        user, _, _ = await user_and_conversation(uow.session, "telegram", "7")
        user.language = "zh_CN"
        await uow.session.flush()
        assert (await read_first(db, STARTED_AND_LANGUAGE, address)).language == "en"
    assert (await read_first(db, STARTED_AND_LANGUAGE, address)).language == "zh_CN"
