"""Migration 0008 names, for each complaint already recorded, the runner it is about: the one the order had when
it was made, even if the order was reassigned since, so upholding it after the upgrade costs the right runner."""
from __future__ import annotations

from sqlalchemy import select

from core.order import Actor, Event, Role
from storage.models import Complaint
from storage.uow import UnitOfWork
from tests.factories import CIPHER, act, make_order, make_runner, make_user
from tests.storage.migration_steps import downgrade_and_upgrade


async def test_the_upgrade_names_the_runner_each_complaint_was_about(db, campus, clock):
    alice = await make_user(db, campus, clock(), name="alice")
    first = await make_runner(db, campus, clock())
    second = await make_runner(db, campus, clock())
    operator = await make_user(db, campus, clock(), name="op")
    reassigned = await make_order(db, campus, alice, clock())
    await act(db, campus, reassigned, Event.accept, Actor(Role.runner, first), clock())
    never_taken = await make_order(db, campus, alice, clock())
    await act(db, campus, never_taken, Event.cancel, Actor(Role.customer, alice), clock())
    clock.advance(minutes=5)
    async with UnitOfWork(db) as uow:
        complaints = []
        for order_id in (reassigned, never_taken):
            c = Complaint(order_id=order_id, user_id=alice, text_enc=CIPHER.encrypt("late"), created_at=clock())
            uow.session.add(c)
            await uow.session.flush()
            complaints.append(c.id)
    clock.advance(minutes=5)
    await act(db, campus, reassigned, Event.reassign, Actor(Role.operator, operator), clock(), runner_id=second)

    await downgrade_and_upgrade(db, "0007")

    async with UnitOfWork(db, write=False) as uow:
        named = dict((await uow.session.execute(
            select(Complaint.id, Complaint.runner_id).where(Complaint.id.in_(complaints)))).all())
    assert named == {complaints[0]: first, complaints[1]: None}
