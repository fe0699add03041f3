"""Migration 0015 adds the queueing a queue errand's student expects: the orders placed before it had none kept,
and keep going (0: not said, so no card claims a length)."""
from __future__ import annotations

from storage.uow import UnitOfWork
from tests.factories import make_order, make_user
from tests.storage.migration_steps import downgrade_and_upgrade


async def test_orders_placed_before_the_upgrade_have_no_queueing_said(db, campus, clock):
    alice = await make_user(db, campus, clock(), name="alice")
    order_id = await make_order(db, campus, alice, clock())

    await downgrade_and_upgrade(db, "0014")

    async with UnitOfWork(db, write=False) as uow:
        row = await uow.orders.get_row(order_id)
    assert (row.status, row.queue_minutes) == ("open", 0)
