"""Migration 0018 keeps the most goods money an order was placed under: the orders placed before it had none kept,
and keep going by the campus's limit (NULL), as they did."""
from __future__ import annotations

from storage.uow import UnitOfWork
from tests.factories import make_order, make_user
from tests.storage.migration_steps import downgrade_and_upgrade


async def test_orders_placed_before_the_upgrade_have_no_goods_limit_kept(db, campus, clock):
    alice = await make_user(db, campus, clock(), name="alice")
    order_id = await make_order(db, campus, alice, clock(), goods=5000)

    await downgrade_and_upgrade(db, "0017")

    async with UnitOfWork(db, write=False) as uow:
        row = await uow.orders.get_row(order_id)
    assert (row.status, row.goods, row.max_goods) == ("open", 5000, None)
