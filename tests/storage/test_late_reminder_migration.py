"""Migration 0004 carries the late reminders already sent over to the orders: an upgrade reminds nobody twice."""
from __future__ import annotations

from sqlalchemy import select

from core.order import Actor, Event, Role
from handlers.context import Services
from handlers.sweep import sweep
from storage.models import Order as OrderRow
from storage.models import Outbox
from storage.uow import UnitOfWork
from tests.factories import CIPHER, act, make_order, make_runner, make_user
from tests.storage.migration_steps import downgrade_and_upgrade


async def test_a_runner_reminded_before_the_upgrade_is_not_reminded_again(db, campus, clock):
    services = Services(db=db, campuses={campus.id: campus}, cipher=CIPHER, clock=clock, channels=("console",))
    alice = await make_user(db, campus, clock(), name="alice")
    reminded, not_yet = [], []
    for bucket in (reminded, not_yet):
        runner = await make_runner(db, campus, clock())
        order_id = await make_order(db, campus, alice, clock())
        await act(db, campus, order_id, Event.accept, Actor(Role.runner, runner), clock())
        await act(db, campus, order_id, Event.pickup, Actor(Role.runner, runner), clock())
        bucket.append(order_id)
    clock.advance(minutes=campus.timeouts.deliver_minutes)
    reminded_at = clock()
    async with UnitOfWork(db) as uow:  # what the sweep wrote before 0004: only the reminder's outbox row
        uow.session.add(Outbox(dedupe_key=f"sweep:late:{reminded[0]}:1", channel="console", recipient="r",
                               payload={"key": "sweep-late-reminder"}, status="sent", next_attempt_at=reminded_at,
                               created_at=reminded_at, sent_at=reminded_at))

    await downgrade_and_upgrade(db, "0003")

    async with UnitOfWork(db, write=False) as uow:
        marks = dict((await uow.session.execute(
            select(OrderRow.id, OrderRow.late_reminded_at).where(OrderRow.id.in_(reminded + not_yet)))).all())
    assert marks == {reminded[0]: reminded_at, not_yet[0]: None}
    clock.advance(minutes=1)
    assert (await sweep(services, clock())).late_reminders == 1  # the other order's runner only
    async with UnitOfWork(db, write=False) as uow:
        keys = set(await uow.session.scalars(select(Outbox.dedupe_key).where(Outbox.dedupe_key.like("sweep:late:%"))))
    assert keys == {f"sweep:late:{reminded[0]}:1", f"sweep:late:{not_yet[0]}:1"}
