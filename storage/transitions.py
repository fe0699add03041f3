"""Applying a core transition: the state change and all its side effects in the caller's transaction."""
from __future__ import annotations

import datetime as dt

from core.campus import Campus
from core.order import Transition
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
    for runner_id, credit_event in t.credit:
        await uow.runners.apply_credit(campus, runner_id, credit_event, now, order_id=t.before.id)
    return await uow.orders.record(t, now)
