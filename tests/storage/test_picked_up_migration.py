"""Migration 0013 carries the pickups already made over to the orders: a buy task reported after its goods were
bought still needs their cost from the operator who ends it, so its runner is paid them back."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from core.errors import InvalidInput
from core.order import Actor, Event, Role, transition
from storage.models import Order as OrderRow
from storage.uow import UnitOfWork
from tests.factories import act, make_order, make_runner, make_user
from tests.storage.migration_steps import downgrade_and_upgrade


async def test_an_order_reported_after_pickup_before_the_upgrade_still_needs_the_goods_cost(db, campus, clock):
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
    operator = Actor(Role.operator, 9)
    with pytest.raises(InvalidInput) as unsaid:
        transition(campus, bought, Event.resolve_refund, operator, clock())
    assert unsaid.value.key == "error-goods-unsaid-operator"
    assert transition(campus, unbought, Event.resolve_refund, operator, clock()).after.goods_spent is None
