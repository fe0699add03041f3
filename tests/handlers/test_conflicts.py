"""Transactions PostgreSQL aborts for a conflict with another (a deadlock, a serialization failure, a row inserted
meanwhile) are run again from the start: the person is answered and nothing happens twice."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

import handlers.app as app_module
import handlers.hall as hall
import handlers.wallet as wallet
from core import ledger
from core.campus import DispatchMode
from handlers.context import Services
from storage.db import CONFLICT_TRIES, Database
from storage.models import User
from storage.uow import UnitOfWork
from tests.factories import CIPHER, make_order, top_up
from tests.handlers.harness import Chat, keys
from tests.handlers.test_runner import order_row, person, runner
from tests.handlers.test_wallet import ordered


class Aborted(Exception):
    """What the driver raises when PostgreSQL aborts a transaction (its SQLSTATE)."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


def aborting(real, sqlstate: str, times: int):
    """`real`, aborted as PostgreSQL would for the first `times` calls."""
    calls = []

    async def aborts(*args, **kwargs):
        calls.append(1)
        if len(calls) <= times:
            raise DBAPIError("UPDATE …", {}, Aborted(sqlstate))
        return await real(*args, **kwargs)

    return aborts


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
async def test_a_payment_aborted_by_a_deadlock_is_paid_once_when_tried_again(
        chat, services, db, campus, clock, monkeypatch, sqlstate):
    alice, order = await ordered(chat, services, "alice", 5000)
    monkeypatch.setattr(wallet, "move", aborting(wallet.move, sqlstate, times=CONFLICT_TRIES - 1))
    assert keys(await chat.press("alice", "Pay with wallet")) == ["wallet-paid"]
    async with UnitOfWork(db, write=False) as uow:
        assert await uow.ledger.balance(ledger.customer(alice)) == 5000 - order.total  # paid once
        assert await uow.ledger.total() == 0
        assert (await uow.orders.get_row(order.id)).status == "open"


async def test_a_transaction_that_keeps_conflicting_or_fails_otherwise_is_not_tried_forever(
        chat, services, db, campus, clock, monkeypatch):
    alice, _ = await ordered(chat, services, "alice", 5000)
    monkeypatch.setattr(wallet, "move", aborting(wallet.move, "40P01", times=CONFLICT_TRIES))
    with pytest.raises(DBAPIError):
        await chat.press("alice", "Pay with wallet")
    monkeypatch.setattr(wallet, "move", aborting(wallet.move, "42P01", times=1))  # a missing table: a bug, not a race
    with pytest.raises(DBAPIError):
        await chat.press("alice", "Pay with wallet")
    async with UnitOfWork(db, write=False) as uow:
        assert await uow.ledger.balance(ledger.customer(alice)) == 5000


# Concurrent writers: PostgreSQL's (SQLite runs one writer at a time, so two transactions never conflict there).
@pytest.mark.parametrize("db", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
async def test_a_newcomers_first_two_messages_in_two_processes_are_both_answered(db, request, campus, clock,
                                                                                monkeypatch):
    # Before, both processes found no user and both inserted one: the second update died on the unique constraint,
    # unanswered.
    other = Database(request.getfixturevalue("postgres_url"))  # a second process
    real, looked, both_looked = app_module.user_and_conversation, [], asyncio.Event()

    async def lookup(session, channel, external_id):  # both processes look before either inserts
        found = await real(session, channel, external_id)
        looked.append(found)
        if len(looked) == 2:
            both_looked.set()
        await asyncio.wait_for(both_looked.wait(), 5)
        return found

    monkeypatch.setattr(app_module, "user_and_conversation", lookup)
    try:
        chats = [Chat(Services(db=d, campuses={campus.id: campus}, cipher=CIPHER, clock=clock, channels=("console",)))
                 for d in (db, other)]
        first, second = await asyncio.gather(chats[0].send("zoe", "/start", update_id="1"),
                                             chats[1].send("zoe", "/help", update_id="2"))
        assert first and second
    finally:
        await other.dispose()
    async with UnitOfWork(db, write=False) as uow:
        assert await uow.session.scalar(select(func.count()).select_from(User).where(User.external_id == "zoe")) == 1


@pytest.mark.parametrize("db", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
async def test_two_orders_paid_at_once_are_not_both_offered_to_a_runner_who_may_carry_one(
        db, request, campus, clock, monkeypatch):
    # Before, each payment counted the runner's offers before the other's was written: both orders went to the
    # nearest runner, whose Accept of the second was refused while the farther runner's grab was held off.
    auto = campus.model_copy(update={"dispatch": campus.dispatch.model_copy(update={"mode": DispatchMode.auto})})
    other = Database(request.getfixturevalue("postgres_url"))  # a second process
    try:
        near = await runner(db, auto, clock(), "near", at="jd_station",  # restricted: carries one order
                            credit=auto.credit.thresholds.restricted - 1)
        far = await runner(db, auto, clock(), "far", at="gym")
        orders = {}
        for name in ("alice", "bob"):
            who = await person(db, auto, clock(), name)
            orders[name] = await make_order(db, auto, who, clock(), pay=False)
            await top_up(db, who, 10_000, clock())
        real, read, both_read = hall.offers_held, [], asyncio.Event()

        async def offers_held(notifier, campus_, row):  # both payments count offers before either offers
            held = await real(notifier, campus_, row)
            read.append(row.id)
            if len(read) == 2:
                both_read.set()
            await asyncio.wait_for(both_read.wait(), 5)
            return held

        monkeypatch.setattr(hall, "offers_held", offers_held)
        chats = [Chat(Services(db=d, campuses={auto.id: auto}, cipher=CIPHER, clock=clock, channels=("console",)))
                 for d in (db, other)]
        paid = await asyncio.gather(chats[0].press("alice", f"data:pay:{orders['alice']}"),
                                    chats[1].press("bob", f"data:pay:{orders['bob']}"))
        assert [keys(p) for p in paid] == [["wallet-paid"], ["wallet-paid"]]
        offered = sorted([(await order_row(db, o)).offer_runner_id for o in orders.values()])
        assert offered == sorted([near, far])
        offered_to = {(await order_row(db, o)).offer_runner_id: o for o in orders.values()}
        for name, runner_id in (("near", near), ("far", far)):  # each Accepts the one offered to them
            assert keys(await chats[0].press(name, f"data:g:{offered_to[runner_id]}"))[0] == "grab-won"
    finally:
        await other.dispose()
