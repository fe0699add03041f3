"""Migration 0013 carries the pickups already made over to the orders: an order reported after pickup is still known
to have been picked up."""
from __future__ import annotations

from sqlalchemy import update

from core.order import Actor, Event, Role
from storage.models import Order as OrderRow
from storage.uow import UnitOfWork
from tests.factories import act, make_order, make_runner, make_user
from tests.storage.migration_steps import downgrade_and_upgrade


async def test_an_order_reported_after_pickup_before_the_upgrade_is_known_to_be_picked_up(db, campus, clock):
    alice = await make_user(db, campus, clock(), name="alice")
    reported = {}
    for picked in (True, False):
        runner = await make_runner(db, campus, clock())
        order_id = await make_order(db, campus, alice, clock(), goods=5000)
        await act(db, campus, order_id, Event.accept, Actor(Role.runner, runner), clock())
        clock.advance(minutes=1)
        if picked:
            picked_at = clock()
            await act(db, campus, order_id, Event.pickup, Actor(Role.runner, runner), picked_at)
        await act(db, campus, order_id, Event.report, Actor(Role.runner, runner), clock())
        reported[picked] = order_id
    async with UnitOfWork(db) as uow:  # as the rows were before 0013 kept it: in the history only
        await uow.session.execute(update(OrderRow).values(picked_up_at=None))

    await downgrade_and_upgrade(db, "0012")

    async with UnitOfWork(db, write=False) as uow:
        bought, unbought = [await uow.orders.get(reported[p]) for p in (True, False)]
    assert (bought.picked_up_at, unbought.picked_up_at) == (picked_at, None)
