"""Timers (design.md §4): one `sweep(services, now)` applies every deadline that has passed.

Deadlines are columns on the order rows. A sweep lists the due rows, then handles each order in its own unit of
work, starting with a *claim*: a conditional UPDATE that matches only while the order still has the status and the
deadline the listing saw. On PostgreSQL the claim also locks the row, so a second sweep (another process) or a
student's action waits, then finds the order moved and skips it; on SQLite writers are serialized anyway. The state
change itself goes through the core state machine (`core.order.transition`), is written by
`storage.transitions.apply_transition` (again conditional on the old status) and its notices are written by the
Notifier in the same transaction, so an order someone else moved first gets no transition and no message.

Nothing is registered in memory: a restarted process finds the same rows due, and running the sweep twice, or in
two processes at once, applies each timed transition once.

After an outage: each sweep first records a heartbeat per campus (storage.heartbeats). The service's timers
(`outages=True`) take a heartbeat older than core.outage.OUTAGE_AFTER for an outage, and first move on, by its
length, the deadlines that asked someone to act and fell due during it (core.outage): nobody is closed, charged or
refunded for what they could not do while the bot did not answer. Nobody is told: a deadline only moves later, so
whoever acts by the time they were shown is still in time, and every card shows the moved one.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from core.errors import DomainError, IllegalTransition
from core.order import Actor, Event, Order, Status, transition
from core.outage import OUTAGE_AFTER
from handlers.hall import clear_offer, end_offer, grab_buttons, offer_key, offer_lapsed
from handlers.location import forget_positions
from handlers.notify import Notifier
from handlers.orders import hall_card
from locales import catalogue
from storage.heartbeats import beat
from storage.models import Order as OrderRow
from storage.orders_repo import StaleOrder
from storage.outbox import rename_edit_key
from storage.transitions import apply_transition
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from handlers.context import Services

log = logging.getLogger(__name__)

BATCH = 100  # orders of one kind handled per sweep; the rest wait for the next sweep (every few seconds)


@dataclass
class SweepReport:
    """How many orders each kind of timer moved in one sweep."""

    closed_unpaid: int = 0  # awaiting_payment past pay_by → closed
    expired: int = 0  # open past accept_by → expired, refunded in full
    pickup_timeouts: int = 0  # accepted past pickup_by → open again, runner's credit down
    auto_confirmed: int = 0  # delivered past auto_confirm_at → completed, runner paid
    offers_ended: int = 0  # an exclusive offer lapsed → the order is everyone's
    reannounced: int = 0  # open past reannounce_at → announced in the hall again
    late_reminders: int = 0  # picked_up past deliver_by → the runner reminded, once
    positions_forgotten: int = 0  # live positions of runners with no active order any more, cleared
    given_back: int = 0  # deadlines moved on by the length of an outage that ended with this sweep (core.outage)
    skipped: int = 0  # someone (a person, another sweep) moved the order first
    failed: int = 0  # an unexpected error on one order: logged, retried by the next sweep

    KINDS = ("closed_unpaid", "expired", "pickup_timeouts", "auto_confirmed", "offers_ended", "reannounced",
             "late_reminders", "positions_forgotten")

    @property
    def total(self) -> int:
        """Orders acted on (skips and failures not counted)."""
        return sum(getattr(self, k) for k in self.KINDS)

    def add(self, other: "SweepReport") -> None:
        """Count another sweep's work in with this one's (sweep_through's several sweeps, told as one)."""
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def __str__(self) -> str:
        parts = [f"{k.replace('_', ' ')} {v}" for k, v in self.as_dict().items() if v]
        return ", ".join(parts) if parts else "nothing due"


class _Skip(Exception):
    """The claim did not match: the order moved on since it was listed."""


async def sweep(services: "Services", now: dt.datetime, *, batch: int = BATCH, outages: bool = False) -> SweepReport:
    """Apply every deadline that has passed by `now`. Idempotent; safe to run in several processes at once.

    `outages`: the service's timers, which run every few seconds, so a long gap since the last sweep is an outage
    whose lost time is given back first (give_back_lost_time). False: the time since the last sweep was lived
    through, the service up (a clock moved on by hand: the console's @clock, the tests)."""
    report = SweepReport(given_back=await give_back_lost_time(services, now, outages=outages))
    # Expiry goes before the hall reminder, so an order past both deadlines is refunded, not announced.
    timed = [
        ("pay_by", Status.awaiting_payment, Event.unpaid_timeout, "closed_unpaid"),
        ("accept_by", Status.open, Event.expire, "expired"),
        ("pickup_by", Status.accepted, Event.pickup_timeout, "pickup_timeouts"),
        ("auto_confirm_at", Status.delivered, Event.auto_confirm, "auto_confirmed"),
    ]
    for field, status, event, kind in timed:
        for order in await _due(services, field, status, now, batch):
            await _run(report, kind, order.id, _timed_transition(services, order, field, event, now))
    for row in await _due_offers(services, now, batch):
        await _run(report, "offers_ended", row.id, _end_offer(services, row, now))
    for order in await _due(services, "reannounce_at", Status.open, now, batch):
        if order.accept_by is not None and order.accept_by <= now:
            continue  # expiring, not announcing (listed after the expiry pass ran: it moved meanwhile)
        await _run(report, "reannounced", order.id, _reannounce(services, order, now))
    for row in await _due_late(services, now, batch):
        await _run(report, "late_reminders", row.id, _remind_late(services, row, now))
    # A runner's position is kept only while they carry an order, or briefly while they share it to be available
    # (privacy): clear what outlived its order or lapsed.
    async with UnitOfWork(services.db) as uow:
        report.positions_forgotten = await forget_positions(uow, now)
    if report.total or report.failed or report.given_back:
        log.info("sweep at %s: %s", now.isoformat(), report)
    return report


# The most sweeps sweep_through runs at deadlines on its way: the rest, if ever so many fall due, are applied at its
# end, as one sweep would.
MAX_STOPS = 1000


async def sweep_through(services: "Services", since: dt.datetime, until: dt.datetime) -> SweepReport:
    """The time from `since` to `until` lived through with the service up, for a clock moved on by hand (the
    console's @clock): a sweep at each deadline falling due on the way, in order, then at `until`. So each timed
    transition is applied, and dated, when its deadline came (an expiry due at 23:30 is not booked at 01:00 the
    next day, on another day's figures), and what it sets in motion (an order back in the hall, its new deadlines)
    runs on from then. Bounded by MAX_STOPS."""
    report = SweepReport()
    at = since
    for _ in range(MAX_STOPS):
        due = await next_due(services, at, until)
        if due is None:
            break
        report.add(await sweep(services, due))
        at = due
    report.add(await sweep(services, until))
    return report


async def next_due(services: "Services", after: dt.datetime, before: dt.datetime) -> dt.datetime | None:
    """The first deadline sweep() would apply that falls after `after` and before `before`, of the orders of the
    campuses served: None when there is none."""
    o = OrderRow
    within = (o.campus_id.in_(list(services.campuses)),)

    def first(column: Any, *where: Any) -> Any:
        return (select(func.min(column)).where(*within, column > after, column < before, *where)
                .scalar_subquery())

    timed = [first(getattr(o, field), o.status == status.value) for field, status in (
        ("pay_by", Status.awaiting_payment), ("accept_by", Status.open), ("pickup_by", Status.accepted),
        ("auto_confirm_at", Status.delivered), ("reannounce_at", Status.open))]
    offers = first(o.offer_until, o.status == Status.open.value, o.offer_runner_id.is_not(None))
    late = first(o.deliver_by, o.status == Status.picked_up.value, o.goods_extra == 0, o.runner_id.is_not(None),
                 o.late_reminded_at.is_(None))  # as _due_late lists them
    async with UnitOfWork(services.db, write=False) as uow:
        found = (await uow.session.execute(select(*timed, offers, late))).one()
    dates = [at for at in found if at is not None]
    return min(dates) if dates else None


async def give_back_lost_time(services: "Services", now: dt.datetime, *, outages: bool = True) -> int:
    """The heartbeat: record that the timers run at `now`; after an outage (`outages`, and no sweep for longer
    than OUTAGE_AFTER), first move on by its length the deadlines that fell due during it, once however many
    processes restart together. How many moved. Raises, writing nothing, if it fails: the deadlines are not applied
    before the time is given back."""
    async with UnitOfWork(services.db) as uow:
        given = await beat(uow.session, list(services.campuses), now, outage_after=OUTAGE_AFTER if outages else None)
        for _, moved in given.values():
            for offer in (m for m in moved if m.deadline == "offer_until"):  # its message is named by its end
                await rename_edit_key(uow.session, offer_key(offer.order_id, offer.due),
                                      offer_key(offer.order_id, offer.now_due))
    for campus_id, (lost, moved) in given.items():
        log.warning("campus %s: no sweep from %s to %s (%s): the service was down; %d deadline(s) that fell due "
                    "meanwhile moved on by as much", campus_id, lost.since.isoformat(), now.isoformat(), lost.length,
                    len(moved))
    return sum(len(moved) for _, moved in given.values())


async def _run(report: SweepReport, kind: str, order_id: int | None, work: Any) -> None:
    """One order's unit of work; a lost race is a skip, anything unexpected is logged and left for next time."""
    try:
        acted = await work
    except (_Skip, StaleOrder, IllegalTransition):
        report.skipped += 1
        return
    except DomainError as exc:
        log.warning("sweep: %s of order %s refused: %s", kind, order_id, exc)
        report.failed += 1
        return
    except Exception:  # noqa: BLE001 - one bad row must not stop the timers of every other order
        log.exception("sweep: %s of order %s failed", kind, order_id)
        report.failed += 1
        return
    if acted:
        setattr(report, kind, getattr(report, kind) + 1)


# --- finding due rows ---------------------------------------------------------------------------------------------

async def _due(services: "Services", field: str, status: Status, now: dt.datetime, limit: int) -> list[Order]:
    async with UnitOfWork(services.db, write=False) as uow:
        # Only the served campuses' in the query: another's (its file taken out) would fill every batch for ever.
        return await uow.orders.due(field, status, now, limit, campuses=list(services.campuses))


async def _due_offers(services: "Services", now: dt.datetime, limit: int) -> list[OrderRow]:
    async with UnitOfWork(services.db, write=False) as uow:
        rows = await uow.session.scalars(
            select(OrderRow)
            .where(OrderRow.status == Status.open.value, OrderRow.offer_runner_id.is_not(None),
                   OrderRow.offer_until.is_not(None), OrderRow.offer_until <= now,
                   OrderRow.campus_id.in_(list(services.campuses)))
            .order_by(OrderRow.offer_until)
            .limit(limit)
        )
        return list(rows)


async def _due_late(services: "Services", now: dt.datetime, limit: int) -> list[OrderRow]:
    """Picked-up orders past deliver_by whose runner was not reminded yet (late_reminded_at says so: the
    reminder's outbox row is pruned after a week, the order may still be picked up)."""
    async with UnitOfWork(services.db, write=False) as uow:
        rows = await uow.session.scalars(
            select(OrderRow)
            .where(OrderRow.status == Status.picked_up.value, OrderRow.deliver_by.is_not(None),
                   OrderRow.goods_extra == 0,  # its deadline stands still while the student is asked a difference
                   OrderRow.deliver_by <= now, OrderRow.runner_id.is_not(None), OrderRow.late_reminded_at.is_(None),
                   OrderRow.campus_id.in_(list(services.campuses)))
            .order_by(OrderRow.deliver_by)
            .limit(limit)
        )
        return list(rows)


async def _claim(uow: UnitOfWork, order_id: int, status: Status, **expected: Any) -> None:
    """Match the row only if it is still as listed (status and the given columns); lock it until commit.

    Sets nothing: a no-op UPDATE is the portable "SELECT … FOR UPDATE if still so" on SQLite and PostgreSQL.
    """
    conditions = [OrderRow.id == order_id, OrderRow.status == status.value]
    for name, value in expected.items():
        column = getattr(OrderRow, name)
        conditions.append(column.is_(None) if value is None else column == value)
    result = await uow.session.execute(
        update(OrderRow).where(*conditions).values(status=status.value).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise _Skip()


# --- the timed transitions ----------------------------------------------------------------------------------------

async def _timed_transition(services: "Services", order: Order, field: str, event: Event, now: dt.datetime) -> bool:
    campus = services.campuses[order.campus_id]
    async with UnitOfWork(services.db) as uow:
        await _claim(uow, order.id, order.status, runner_id=order.runner_id, **{field: getattr(order, field)})
        t = transition(campus, order, event, Actor.system(), now)
        event_id = await apply_transition(uow, campus, t, now)
        # The event's id makes the notices' keys unique per transition (an order may time out twice: accepted,
        # timed out, grabbed again, timed out again) and stable if this unit of work were ever replayed.
        notifier = Notifier(services, uow, now, origin=f"sweep:{event.value}:{order.id}:{event_id}")
        await notifier.transition(campus, t)
    return True


async def _reannounce(services: "Services", order: Order, now: dt.datetime) -> bool:
    """Not a state change: move reannounce_at on and show the order in the hall again."""
    campus = services.campuses[order.campus_id]
    assert order.reannounce_at is not None
    async with UnitOfWork(services.db) as uow:
        result = await uow.session.execute(
            update(OrderRow)
            .where(OrderRow.id == order.id, OrderRow.status == Status.open.value,
                   OrderRow.reannounce_at == order.reannounce_at)
            .values(reannounce_at=order.next_announcement(now, campus.timeouts.reannounce_every))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise _Skip()
        row = await uow.orders.get_row(order.id)
        assert row is not None
        if row.offer_runner_id is not None and row.offer_until is not None:
            return False  # offered to one runner first: the hall sees it only when the offer ends
        origin = f"sweep:reannounce:{order.id}:{order.reannounce_at.timestamp():.0f}"
        notifier = Notifier(services, uow, now, origin=origin)
        t = catalogue(campus.language)
        text = "\n".join([t("sweep-hall-reminder", order=order.id), hall_card(t, campus, row)])
        await notifier.hall(campus, "sweep-hall-reminder", text=text, buttons=grab_buttons(row),
                            edit_key=f"hall:{order.id}", repost=True, order=order.id)
    return True


async def _end_offer(services: "Services", row: OrderRow, now: dt.datetime) -> bool:
    """An exclusive offer lapsed: clear it, remember the runner let it lapse (they are not offered it again), and
    hand the order to the hall."""
    campus = services.campuses[row.campus_id]
    runner_id, until = row.offer_runner_id, row.offer_until  # as listed: clear_offer clears them on `row`
    assert runner_id is not None and until is not None
    async with UnitOfWork(services.db) as uow:
        notifier = Notifier(services, uow, now, origin=f"sweep:offer:{row.id}:{until.timestamp():.0f}")
        if not await clear_offer(notifier, row, status=Status.open):
            raise _Skip()
        await offer_lapsed(notifier, row, (runner_id, until))
        fresh = await uow.orders.get_row(row.id)
        assert fresh is not None
        await end_offer(notifier, campus, fresh, (runner_id, until), now)
    return True


async def _remind_late(services: "Services", row: OrderRow, now: dt.datetime) -> bool:
    """Once per order: the claim sets late_reminded_at, and matches only while it is unset (another sweep that
    reminded them a moment ago makes this a skip), in the transaction that writes the reminder."""
    campus = services.campuses[row.campus_id]
    async with UnitOfWork(services.db) as uow:
        result = await uow.session.execute(
            update(OrderRow)
            .where(OrderRow.id == row.id, OrderRow.status == Status.picked_up.value,
                   OrderRow.runner_id == row.runner_id, OrderRow.deliver_by == row.deliver_by,
                   OrderRow.goods_extra == 0, OrderRow.late_reminded_at.is_(None))
            .values(late_reminded_at=now)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise _Skip()
        assert row.runner_id is not None and row.deliver_by is not None
        notifier = Notifier(services, uow, now, origin=f"sweep:late:{row.id}")
        await notifier.user(row.runner_id, "sweep-late-reminder", order=row.id,
                            time=row.deliver_by.astimezone(campus.tz).strftime("%H:%M"))
    return True
