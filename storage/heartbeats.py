"""The sweep's heartbeat (models.SweepHeartbeat), and the deadlines an outage gives back (core.outage).

`beat` runs first in every sweep, in a transaction of its own: it locks the campuses' heartbeat rows (SELECT … FOR
UPDATE on PostgreSQL; SQLite's writers are serialized anyway), and when one is older than the outage threshold it
moves the deadlines on before it moves the heartbeat, and commits both together. A second process restarting at the
same moment waits for that lock, then reads the heartbeat just written: no outage any more, nothing moved twice. If
giving back fails, neither is written, and the next sweep tries again before any deadline is applied.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from core.order import Status
from core.outage import MOVED, Outage, given_back, outage
from storage.db import DbSession
from storage.models import Order as OrderRow
from storage.models import SweepHeartbeat
from storage.sql import insert_ignore

# Where each deadline core.outage moves runs: the status the sweep applies it in, and what else it needs to run.
RUNNING: dict[str, tuple[Status, tuple[Any, ...]]] = {
    "pay_by": (Status.awaiting_payment, ()),
    "offer_until": (Status.open, (OrderRow.offer_runner_id.is_not(None),)),
    "pickup_by": (Status.accepted, ()),
    # It stands still while the student is asked a goods difference: the answer adds all the wait, the outage too.
    "deliver_by": (Status.picked_up, (OrderRow.goods_extra == 0,)),
    "auto_confirm_at": (Status.delivered, ()),
}


async def beat(session: DbSession, campus_ids: list[str], now: dt.datetime, *,
               outage_after: dt.timedelta | None) -> dict[str, tuple[Outage, list[Moved]]]:
    """Record that the timers run at `now` for these campuses; for each whose last sweep is more than `outage_after`
    ago, first give back the time the outage took (the outage, and how many deadlines moved). `outage_after` None:
    the time since the last sweep was lived through (a clock moved on by hand: the console, the tests), nothing is
    given back. A campus with no heartbeat yet gets one, and nothing back. The heartbeat never moves back: with
    several processes, the one whose clock is ahead sets it."""
    ids = sorted(campus_ids)  # locked in one order by every process: no deadlock between two
    rows = await session.execute(select(SweepHeartbeat.campus_id, SweepHeartbeat.at)
                                 .where(SweepHeartbeat.campus_id.in_(ids))
                                 .order_by(SweepHeartbeat.campus_id).with_for_update())
    last = {campus_id: at for campus_id, at in rows.all()}
    for campus_id in ids:
        if campus_id not in last:  # another process starting for the first time may insert it first: the same
            await insert_ignore(session, SweepHeartbeat, {"campus_id": campus_id, "at": now}, ["campus_id"])
    given: dict[str, tuple[Outage, list[Moved]]] = {}
    if outage_after is not None:
        for campus_id, at in last.items():
            if (lost := outage(at, now, outage_after)) is not None:
                given[campus_id] = (lost, await give_back(session, campus_id, lost))
    if last:  # never back: a process whose clock is behind another's would make the other's next sweep an outage
        await session.execute(update(SweepHeartbeat)
                              .where(SweepHeartbeat.campus_id.in_(list(last)), SweepHeartbeat.at < now)
                              .values(at=now).execution_options(synchronize_session=False))
    return given


@dataclass(frozen=True)
class Moved:
    """One deadline an outage moved on."""

    order_id: int
    deadline: str  # its column: "offer_until"
    due: dt.datetime
    now_due: dt.datetime


async def give_back(session: DbSession, campus_id: str, lost: Outage) -> list[Moved]:
    """Move on the campus's deadlines that fell due during the outage, as core.outage.given_back says; those that
    moved. Each with a conditional update on the status and the deadline as read, so an order someone moved
    meanwhile keeps what they made of it."""
    moved: list[Moved] = []
    for field in MOVED:
        status, running = RUNNING[field]
        column = getattr(OrderRow, field)
        rows = await session.execute(
            select(OrderRow.id, column, OrderRow.window_end)
            .where(OrderRow.campus_id == campus_id, OrderRow.status == status.value, *running,
                   column > lost.since, column <= lost.until)
            .order_by(OrderRow.id))
        for order_id, due, window_end in rows.all():
            if (new := given_back(field, due, lost, window_end)) is None:
                continue
            result = await session.execute(
                update(OrderRow)
                .where(OrderRow.id == order_id, OrderRow.status == status.value, column == due)
                .values({field: new}).execution_options(synchronize_session=False))
            if result.rowcount:
                moved.append(Moved(order_id, field, due, new))
    return moved
