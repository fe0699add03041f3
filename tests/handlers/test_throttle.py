"""One person sending faster than a human: refused before any transaction, changing nothing, told once a minute;
messages to the other side of an order held to a human pace; never a payment, never a named operator."""
from __future__ import annotations

from types import SimpleNamespace

import limits.aio.storage.memory
import pytest

from handlers.context import Services
from storage.throttle import Throttle, ThrottleConfig
from tests.factories import CIPHER, make_order
from tests.handlers.harness import Chat, keys
from tests.handlers.test_ordering import conversation, funded
from tests.handlers.test_runner import order_row
from tests.handlers.test_tracking import external_id, setup

LIMITS = ThrottleConfig(inputs="5/minute", relays="3/minute")


@pytest.fixture
def throttled(db, campus, clock, monkeypatch):
    """A chat whose people are throttled, the windows on the tests' clock."""
    monkeypatch.setattr(limits.aio.storage.memory, "time", SimpleNamespace(time=lambda: clock().timestamp()))
    services = Services(db=db, campuses={campus.id: campus}, cipher=CIPHER, clock=clock, channels=("console",),
                        throttle=Throttle(config=LIMITS))
    return Chat(services)


async def test_a_flood_is_refused_told_once_and_changes_nothing(throttled, clock):
    chat, services = throttled, throttled.services
    await funded(chat, services, "alice", 0)  # /start and a language: 2 inputs
    assert keys(await chat.send("alice", "/order")) == ["order-ask-type"]
    assert keys(await chat.send("alice", "Parcel pickup")) == ["order-ask-pickup"]
    assert keys(await chat.send("alice", "快递站"))[0] == "order-ask-dropoff"  # the fifth in this minute
    before = await conversation(services, "alice")
    (told,) = await chat.send("alice", "Library")
    assert (told.key, told.text) == ("error-too-fast", "You are sending faster than the bot takes: what you sent just "
                                                       "now was not read. Please wait a minute, then go on.")
    assert await chat.send("alice", "Library") == []  # told once: a flood is not answered message for message
    assert await conversation(services, "alice") == before
    clock.advance(minutes=1, seconds=1)
    assert keys(await chat.send("alice", "Library"))[0] != "error-too-fast"


async def test_messages_passed_on_are_held_to_a_human_pace(throttled, db, campus, clock):
    chat = throttled
    _alice, runner, order_id = await setup(db, campus, clock, stage="accepted")
    for i in range(3):
        assert keys(await chat.send("alice", f"/msg {order_id} hurry {i}")) == ["track-relay-sent"]
    (refused,) = await chat.send("alice", f"/msg {order_id} hurry 3")
    assert refused.key == "track-relay-too-fast" and refused.text.startswith("You sent your runner many messages")
    assert len(await chat.inbox(await external_id(db, runner))) == 3


async def test_a_payment_and_a_named_operator_are_never_throttled(throttled, db, campus, clock):
    chat, services = throttled, throttled.services
    alice = await funded(chat, services, "alice", 0)  # 2 inputs
    for _ in range(3):
        await chat.send("alice", "/help")
    assert keys(await chat.send("alice", "/help")) == ["error-too-fast"]
    order_id = await make_order(db, campus, alice, clock(), pay=False)
    total = (await order_row(db, order_id)).total
    assert keys(await chat.pay("alice", "telegram", "charge-1", order_id, total)) == ["wallet-provider-paid"]
    for _ in range(8):
        assert keys(await chat.send("admin", "/today")) != ["error-too-fast"]  # campus/demo.yaml names console:admin


async def test_processes_share_the_windows_through_redis(redis_client):
    from tests.conftest import REDIS_URL
    first, second = (Throttle.for_redis(REDIS_URL, LIMITS) for _ in range(2))
    allowed = [await (first if i % 2 else second).allow("input", "telegram:42") for i in range(7)]
    assert allowed == [True] * 5 + [False] * 2
    assert await first.allow("input", "telegram:43")  # another person's window


async def test_an_unreachable_redis_lets_everyone_through(db, campus, clock):
    # Before: every input raised ConnectionError: a limit made the bot deaf.
    services = Services(db=db, campuses={campus.id: campus}, cipher=CIPHER, clock=clock, channels=("console",),
                        throttle=Throttle.for_redis("redis://127.0.0.1:1/0"))
    assert keys(await Chat(services).send("alice", "/start")) == ["start-welcome"]


async def test_a_message_never_passed_on_does_not_count(throttled, db, campus, clock):
    from sqlalchemy import update

    from storage.models import User
    from storage.uow import UnitOfWork
    chat = throttled
    alice, runner, order_id = await setup(db, campus, clock, stage="accepted")
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(User).where(User.id == runner).values(started_bot=False))
    for _ in range(3):
        assert keys(await chat.send("alice", f"/msg {order_id} hello?")) == ["track-relay-unreachable"]
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(User).where(User.id == runner).values(started_bot=True))
    assert keys(await chat.send("alice", f"/msg {order_id} there you are")) == ["track-relay-sent"]
