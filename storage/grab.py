"""The grab: many runners press one button, exactly one wins.

The winner is decided in the database by one conditional update (status must still be 'open'), so it holds across
processes and on SQLite and PostgreSQL alike. Within a process, grabs of the same order are coalesced: while one
attempt is in flight, the others wait for its outcome instead of queueing for the write lock, and learn at once
that the order is taken if it won. If it lost for a reason of its own (not eligible), the next waiter tries.
"""
from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select

from core import dispatch
from core.campus import Campus, Gender
from core.errors import NotEligible
from core.order import CARRYING, Actor, Event, Order, Role, Status, Transition, transition
from storage.db import Database, DbSession
from storage.models import Order as OrderRow
from storage.orders_repo import StaleOrder, to_domain
from storage.sql import run_core
from storage.transitions import apply_transition
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class GrabResult:
    won: bool
    reason: str  # catalogue key: "grab-won", "grab-taken", "grab-gone", "grab-offered", "grab-already-yours",
    # "grab-delivered-by-you", "error-order-not-found" (no such order), or a not-eligible key
    transition: Transition | None = None
    args: dict[str, Any] = field(default_factory=dict)  # for the reason's message (grab-offered: until)

    @property
    def order(self) -> Order | None:
        return self.transition.after if self.transition else None


TAKEN = GrabResult(False, "grab-taken")
GONE = GrabResult(False, "grab-gone")
ALREADY_YOURS = GrabResult(False, "grab-already-yours")
DELIVERED_BY_YOU = GrabResult(False, "grab-delivered-by-you")
# Past CARRYING, an order of the holder is delivered (or completed), or ended otherwise.
DELIVERED = frozenset({Status.delivered.value, Status.completed.value})
ORDER_STATE = select(OrderRow.status, OrderRow.runner_id, OrderRow.campus_id).where(OrderRow.id == bindparam("id"))
OTHER_CAMPUS = GrabResult(False, "not-eligible-other-campus")
NOT_FOUND = GrabResult(False, "error-order-not-found")  # never was: not "no longer open"
NOT_RUNNER = GrabResult(False, "not-eligible-not-runner")


def not_a_runner(application: str | None) -> GrabResult | None:
    """The answer to someone who is no runner (`application`: their runner application's status, None without one),
    whatever the order they pressed or typed: that it is taken, gone or never was is for runners to learn, and
    not what stands in their way. None for an approved runner."""
    if application is None:
        return NOT_RUNNER
    if application == "approved":
        return None
    return GrabResult(False, "not-eligible-rejected" if application == "rejected" else "not-eligible-not-approved")


def settled(status: str, holder: int | None, runner_id: int) -> GrabResult | None:
    """The answer to a press on an order that is no longer open; None while it is open."""
    if status == Status.open.value:
        return None
    if holder is not None and holder == runner_id:
        if Status(status) in CARRYING:  # the holder still has it: "yours already"
            return ALREADY_YOURS
        return DELIVERED_BY_YOU if status in DELIVERED else GONE
    return TAKEN if holder is not None else GONE


async def settled_in(session: DbSession, order_id: int, runner_id: int, campus_id: str | None = None
                     ) -> GrabResult | None:
    """settled() as the order stands in the caller's transaction: most presses on a busy hall come after the
    order went, and are answered from this one read instead of a grab attempt's write transaction. An order of
    another campus than the runner's (`campus_id`: their profile's) is refused as such first: how it stands is not
    theirs to learn. Whether the grabber is a runner at all is asked before (not_a_runner)."""
    row = (await run_core(session, ORDER_STATE, {"id": order_id})).first()
    if row is None:
        return NOT_FOUND
    if campus_id is not None and row.campus_id != campus_id:
        return OTHER_CAMPUS
    return settled(row.status, row.runner_id, runner_id)


OnWon = Callable[[UnitOfWork, Campus, Transition, dt.datetime], Awaitable[None]]


class GrabService:
    def __init__(self, db: Database, campuses: dict[str, Campus], clock: Callable[[], dt.datetime]) -> None:
        self.db = db
        self.campuses = campuses
        self.clock = clock
        self._inflight: dict[int, asyncio.Future[GrabResult]] = {}

    async def grab(self, order_id: int, runner_id: int, on_won: OnWon | None = None) -> GrabResult:
        """on_won runs inside the winning transaction (to write the notices that the win owes)."""
        while True:
            pending = self._inflight.get(order_id)
            if pending is None:
                break
            outcome = await asyncio.shield(pending)
            if outcome.won:
                return TAKEN if outcome.transition.after.runner_id != runner_id else outcome  # type: ignore[union-attr]
            if outcome.reason in ("grab-taken", "grab-gone"):
                return outcome
            # The attempt ahead failed for that runner only: try for ourselves.
        future: asyncio.Future[GrabResult] = asyncio.get_running_loop().create_future()
        self._inflight[order_id] = future
        try:
            # SQLite runs inline and the attempt may not yield until it is done: let the presses that arrived
            # with this one (already scheduled) see it in flight and wait for its outcome instead of each
            # opening a transaction after it.
            await asyncio.sleep(0)
            result = await self._attempt(order_id, runner_id, on_won)
        except BaseException:
            future.set_result(GrabResult(False, "error-generic"))  # the waiters try for themselves
            raise
        finally:
            del self._inflight[order_id]
        future.set_result(result)
        return result

    async def _attempt(self, order_id: int, runner_id: int, on_won: OnWon | None = None) -> GrabResult:
        now = self.clock()
        try:
            async with UnitOfWork(self.db) as uow:
                row = await uow.orders.get_row(order_id)
                runner = await uow.runners.candidate(runner_id, now)
                if runner is None:  # before the order's state, as not_a_runner
                    return NOT_RUNNER
                if row is None:
                    return NOT_FOUND
                order = to_domain(row)  # read once: under READ COMMITTED a second read may see the winner
                done = settled(order.status.value, order.runner_id, runner_id)
                if done is not None:
                    return done
                if order.accept_by is not None and order.accept_by <= now:  # about to expire, refunded (the sweep)
                    return GONE
                campus = self.campuses[order.campus_id]
                reason = dispatch.ineligibility(campus, runner, order_candidate(campus, row))
                if reason is not None:
                    return GrabResult(False, reason)
                # Offered to one runner first (a named favourite, or auto-dispatch): the others wait until it ends.
                if (row.offer_runner_id is not None and row.offer_runner_id != runner_id
                        and row.offer_until is not None and row.offer_until > now):
                    return GrabResult(False, "grab-offered", args={"until": row.offer_until})
                t = transition(campus, order, Event.accept, Actor(Role.runner, runner_id), now)
                await apply_transition(
                    uow, campus, t, now, slot_limit=dispatch.active_order_limit(campus, runner.credit)
                )
                if on_won is not None:
                    await on_won(uow, campus, t, now)
                return GrabResult(True, "grab-won", t)
        except StaleOrder:  # moved since it was read: taken by another runner, or ended (a cancellation, expiry)
            async with UnitOfWork(self.db, write=False) as uow:
                return await settled_in(uow.session, order_id, runner_id) or TAKEN
        except NotEligible as exc:
            return GrabResult(False, exc.key)


def order_candidate(campus: Campus, row: OrderRow) -> dispatch.OrderCandidate:
    pickup = campus.building(row.pickup_building or row.dropoff_building)
    return dispatch.OrderCandidate(
        order_id=row.id or 0,
        customer_id=row.customer_id,
        pickup_lat=pickup.lat,
        pickup_lon=pickup.lon,
        dropoff=campus.building(row.dropoff_building),
        door_delivery=row.door_delivery,
        gender_preference=Gender(row.gender_preference) if row.gender_preference else None,
        favourite_runner_id=row.favourite_runner_id,
    )
