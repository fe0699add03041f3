"""A conversation is written back when an input changed it, in place or not, and left alone when it did not."""
import datetime as dt

from sqlalchemy import select

from storage import conversations
from storage.conversations import ConversationState
from storage.models import Conversation
from storage.uow import UnitOfWork

T0 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.timezone.utc)


async def stored(db, who):
    async with UnitOfWork(db, write=False) as uow:
        row = (await uow.session.execute(
            select(Conversation.state, Conversation.data, Conversation.updated_at)
            .where(Conversation.channel == "telegram", Conversation.external_id == who))).first()
    return row


async def save(db, who, conv, at):
    async with UnitOfWork(db) as uow:
        await conversations.save(uow.session, "telegram", who, conv, at)


async def test_a_change_made_in_place_is_written_and_an_unchanged_conversation_is_not(db):
    await save(db, "alice", ConversationState("order.what", {"_token": "a1", "task": "parcel"}), T0)
    state, data, _ = await stored(db, "alice")

    conv = ConversationState.loaded(state, data)
    conv.data["size"] = "small"  # a handler changes the dict it was given
    await save(db, "alice", conv, T0 + dt.timedelta(minutes=1))
    assert (await stored(db, "alice"))[:2] == ("order.what", {"_token": "a1", "task": "parcel", "size": "small"})

    state, data, written_at = await stored(db, "alice")
    await save(db, "alice", ConversationState.loaded(state, data), T0 + dt.timedelta(minutes=2))
    assert (await stored(db, "alice"))[2] == written_at  # a status query mid-wizard did not write

    conv = ConversationState.loaded(state, data)
    conv.state = "idle"
    await save(db, "alice", conv, T0 + dt.timedelta(minutes=3))
    assert (await stored(db, "alice"))[0] == "idle"


async def test_a_new_conversation_is_written_once_it_holds_something_and_not_while_blank(db):
    await save(db, "bob", ConversationState(), T0)
    assert await stored(db, "bob") is None  # idle with nothing but its token: as good as no row

    await save(db, "bob", ConversationState("order.what", {"_token": "b1"}), T0)
    assert (await stored(db, "bob"))[0] == "order.what"
    await save(db, "carol", ConversationState("idle", {"_token": "c1", "_location": True}), T0)
    assert (await stored(db, "carol"))[:2] == ("idle", {"_token": "c1", "_location": True})
