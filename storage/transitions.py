"""Applying a core transition: the state change and all its side effects in the caller's transaction."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update

from core import ledger
from core.campus import Campus
from core.order import Transition
from storage.models import Coupon, CouponRedemption
from storage.orders_repo import runner_load_changes
from storage.uow import UnitOfWork


async def apply_transition(
    uow: UnitOfWork, campus: Campus, t: Transition, now: dt.datetime, *, slot_limit: int | None = None
) -> int:
    """Conditional state update, ledger postings, credit events, busy counts and history, all or nothing.

    slot_limit: a runner who gains a busy order must still be under this limit (a grab); None lets an operator
    assign past it.

    Returns the id of the order's new history event. Notices are left to the caller, which knows each recipient's channel; it writes them to the outbox in the
    same unit of work.
    """
    await uow.orders.compare_and_set(t)
    for posting in t.postings:
        await uow.ledger.post(posting, now)
    for runner_id, delta in runner_load_changes(t).items():
        if delta > 0 and slot_limit is not None:
            await uow.runners.take_slot(runner_id, slot_limit)
        else:
            await uow.runners.change_load(runner_id, delta)
    if t.before.discount and any(ledger.gives_subsidy_back(p, t.before.id, t.before.discount) for p in t.postings):
        await give_coupon_back(uow, t.before.id)
    for runner_id, credit_event in t.credit:
        await uow.runners.apply_credit(campus, runner_id, credit_event, now, order_id=t.before.id)
    return await uow.orders.record(t, now)


async def give_coupon_back(uow: UnitOfWork, order_id: int) -> None:
    """Forget the order's coupon redemption, so the student (and the coupon's max_uses) may use it again."""
    s = uow.session
    code = await s.scalar(select(CouponRedemption.code).where(CouponRedemption.order_id == order_id))
    if code is None:
        return
    await s.execute(delete(CouponRedemption).where(CouponRedemption.order_id == order_id)
                    .execution_options(synchronize_session=False))
    await s.execute(update(Coupon).where(Coupon.code == code, Coupon.used > 0).values(used=Coupon.used - 1)
                    .execution_options(synchronize_session=False))
