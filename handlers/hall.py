"""The task hall: every paid order announced with building-level detail only, the grab, exclusive offers, /nearby
(also what a runner gets for sharing a location while no conversation step asks for one).

The hall post of an order has the edit key `hall:<id>`: a grab, a cancellation or an expiry replaces it (no button
any more). An order whose student named a runner, or that falls under auto-dispatch, is first offered to that one
runner (orders.offer_runner_id / offer_until); the hall sees it only when the offer ends (declined, or the sweep
finds it expired: handlers.sweep clears the offer and calls `end_offer`). While `offer_until` is set the hall has not
seen the order.

The grab itself runs outside the per-input transaction (storage.grab.GrabService keeps its own), so it is an
"outside action" on the router: the hall button `g:<id>`, the offer's Accept button, /grab N (App.handle turns
the command into the same path), and /nearby's Grab buttons (`g:<id>:loc` where the list offers to share a location).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import secrets

from sqlalchemy import Row, bindparam, func, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from core import credit, dispatch
from core.campus import Campus, DispatchMode, Gender
from core.dispatch import RunnerCandidate
from core.errors import InvalidInput
from core.geo import Point, building_point, on_campus, walking_m
from core.order import BACK_TO_HALL, Event, Notice, Status, Transition
from handlers.context import Ctx, Services, withdraw_location_offer
from handlers.io import Input, Kind, Reply
from handlers.location import not_asked_for
from handlers.notify import (
    CREDIT_CHANGED,
    DETAILS_ENDED,
    DETAILS_REFRESHED,
    NOTICE_RENDERERS,
    Button,
    Notifier,
    answer_language,
    operators_chat_campus,
)
from handlers.orders import (
    building_name,
    campus_name,
    hall_card,
    load_order,
    named_building,
    parse_order_id,
    route_text,
    runner_card,
)
from handlers.router import ROUTER
from locales import DEFAULT_LANGUAGE, Catalogue, catalogue
from storage import cards, offer_declines
from storage.dedupe import first_time_in
from storage.grab import GrabResult, not_a_runner, order_candidate, settled_in
from storage.lookups import GRABBER_BY_ADDRESS
from storage.models import Order as OrderRow
from storage.models import OrderEvent, RunnerProfile, User
from storage.runners_repo import to_candidate
from storage.sql import run_core
from storage.uow import UnitOfWork

NEARBY_LIMIT = 10  # orders listed by /nearby
# The Grab buttons of a /nearby list that offers the location button end with this: a press on one takes that button
# away (its conversation is read for it); a press on any other Grab reads it only when it wins (grab).
LOCATION_TAIL = ":loc"
WON = "grab-won"  # the key of a won grab's answer, which reaches the grabber's private chat
# The runner's language and gender (None without a runner profile), for their details message and where a delivery
# is handed over, whether the student may be written to (handlers.unreachable), and how the order came to its runner
# (the last accept or reassign: grabbed or accepted as offered, or given by an operator), which the message's first
# line says, edited or not: one column read built once (the details message of every won grab and pickup reads it;
# reading the whole profile cost several times as much).
_CUSTOMER = aliased(User)
RUNNER_LANGUAGE_AND_GENDER = (
    select(User.language, RunnerProfile.gender,
           select(_CUSTOMER.started_bot).where(_CUSTOMER.id == bindparam("customer")).scalar_subquery(),
           select(OrderEvent.event).where(OrderEvent.order_id == bindparam("order"),
                                          OrderEvent.event.in_([Event.accept.value, Event.reassign.value]))
           .order_by(OrderEvent.id.desc()).limit(1).scalar_subquery())
    .outerjoin(RunnerProfile, RunnerProfile.user_id == User.id)
    .where(User.id == bindparam("id")))
# Whose details message ended, in their language: the two columns it needs, not the whole user.
ID_AND_LANGUAGE = select(User.id, User.language).where(User.id == bindparam("id"))


def hall_key(order_id: int) -> str:
    return f"hall:{order_id}"


def offer_key(order_id: int, until: dt.datetime) -> str:
    """The edit key of an offer's message: one per offer (named by its end), so a runner offered the order again (the
    earlier offer ended while it ran, as they stopped sharing their location, and someone else gave it back; never
    after they declined it or let it lapse) gets a new message, which Telegram notifies them of, rather than an edit
    of the earlier one far up the chat, unseen while the offer runs out; the order id last, as in every order's edit
    key (storage.outbox). An outage that moves the end on renames the key with it (handlers.sweep)."""
    return f"offer:{int(until.timestamp())}:{order_id}"


def offer_pending(row: OrderRow) -> bool:
    """Offered to one runner and the hall has not seen it yet (the offer may have run out, not yet swept)."""
    return row.offer_runner_id is not None and row.offer_until is not None


def offer_active(row: OrderRow, now: dt.datetime) -> bool:
    """Only the offered runner may grab it now."""
    return offer_pending(row) and row.offer_until > now  # type: ignore[operator]


def deadline_hhmm(campus: Campus, at: dt.datetime) -> str:
    """A deadline said as "until/after/by HH:MM": rounded up to the whole minute, as cut down "try again after 10:01"
    would be refused again at 10:01:10 for an offer running to 10:01:30."""
    local = at.astimezone(campus.tz)
    whole = local.replace(second=0, microsecond=0)
    return (whole if whole == local else whole + dt.timedelta(minutes=1)).strftime("%H:%M")


# ------------------------------------------------------------------------------------------------ announcing


async def announce(notifier: Notifier, campus: Campus, row: OrderRow) -> bool:
    """Post (or re-post) the order's hall card with a grab button. Nothing while it is not open or is on offer."""
    if row.status != Status.open.value or offer_pending(row):
        return False
    t = catalogue(campus.language)
    await notifier.hall(campus, "hall-card", text=hall_card(t, campus, row), buttons=grab_buttons(row),
                        edit_key=hall_key(row.id or 0), repost=True)
    return True


# The events that put a taken order back in the hall (core.order.BACK_TO_HALL): under auto-dispatch it is offered
# again, to someone else.
BACK_TO_OPEN = frozenset(event.value for event in BACK_TO_HALL)


async def _offer_owed(notifier: Notifier, campus: Campus, order_id: int, gave_back: int | None) -> frozenset[int] | None:
    """Is this announcement the time to offer, and to whom not? At payment, to anyone; after the runner who had the
    order (`gave_back`: whoever had it then, an operator's reassignment included) gave it back or let it time out,
    under auto-dispatch, to anyone but them. None: not now (a re-announcement, a declined or lapsed offer)."""
    last = await notifier.uow.session.scalar(
        select(OrderEvent.event).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id.desc()).limit(1))
    if last == Event.pay.value:
        return frozenset()
    if last in BACK_TO_OPEN and campus.dispatch.mode is DispatchMode.auto:
        return frozenset({gave_back} if gave_back is not None else ())
    return None


OFFER_CHOICES = 3  # runners an offer is tried on, when the one chosen turns out full (orders offered at once)


async def choose_offer_runner(notifier: Notifier, campus: Campus, row: OrderRow,
                              exclude: frozenset[int] = frozenset()) -> int | None:
    """The runner an order is offered to first (`best_offer_runner`), once their room for it is confirmed under a
    lock on them: two orders paid at once, each counting the other's offer as not made yet, would otherwise both go
    to a runner who may carry only one. One found full is passed over for the next best. Nor is it offered to anyone
    who passed on an offer of it before (declined, or let it lapse: storage.offer_declines), whoever gave it back."""
    exclude = exclude | await offer_declines.decliners(notifier.uow.session, row.id or 0)
    for _ in range(OFFER_CHOICES):
        runner_id = await best_offer_runner(notifier, campus, row, exclude)
        if runner_id is None or await has_room(notifier, campus, row, runner_id):
            return runner_id
        exclude = exclude | {runner_id}
    return None


async def has_room(notifier: Notifier, campus: Campus, row: OrderRow, runner_id: int) -> bool:
    """Whether the runner may carry this order besides those they carry and hold on offer, as committed now: their
    profile row locked first (FOR UPDATE; SQLite runs one writer at a time anyway), so another transaction offering
    them an order waits for this one, and then counts this offer."""
    profile = (await notifier.uow.session.execute(
        select(RunnerProfile.credit, RunnerProfile.active_orders).where(RunnerProfile.user_id == runner_id)
        .with_for_update())).first()
    if profile is None:
        return False
    held = (await offers_held(notifier, campus, row)).get(runner_id, 0)
    return profile.active_orders + held < credit.max_active_orders(campus, profile.credit)


async def best_offer_runner(notifier: Notifier, campus: Campus, row: OrderRow,
                            exclude: frozenset[int] = frozenset()) -> int | None:
    """The student's named runner if they may take it, else under auto-dispatch the best runner by core.dispatch;
    None: straight to the hall. `exclude`: not these runners."""
    if row.favourite_runner_id is None and campus.dispatch.mode is not DispatchMode.auto:
        return None
    uow = notifier.uow
    candidates = await uow.runners.candidates(campus.id, notifier.now)
    if not candidates:
        return None
    # Only runners we can write to privately.
    reachable = set(await uow.session.scalars(
        select(User.id).where(User.id.in_([c.user_id for c in candidates]), User.started_bot.is_(True),
                              User.suspended.is_(False))))
    held = await offers_held(notifier, campus, row)
    candidates = [dataclasses.replace(c, active_orders=c.active_orders + held.get(c.user_id, 0))
                  for c in candidates if c.user_id in reachable and c.user_id not in exclude]
    order = order_candidate(campus, row)
    if row.favourite_runner_id is not None:
        favourite = next((c for c in candidates if c.user_id == row.favourite_runner_id), None)
        if favourite is not None and dispatch.ineligibility(campus, favourite, order) is None:
            return favourite.user_id
    if campus.dispatch.mode is DispatchMode.auto:
        best = dispatch.assign(campus, [order], candidates)
        if best:
            return best[0].runner_id
    return None


async def offers_held(notifier: Notifier, campus: Campus, row: OrderRow) -> dict[int, int]:
    """The other orders each runner holds on offer now: each would be theirs on Accept, so it counts against how
    many they may carry (else a runner at their limit is offered one their Accept refuses, and nobody else may
    grab it until the offer runs out)."""
    rows = await notifier.uow.session.execute(
        select(OrderRow.offer_runner_id, func.count()).where(
            OrderRow.campus_id == campus.id, OrderRow.status == Status.open.value, OrderRow.id != row.id,
            OrderRow.offer_runner_id.is_not(None), OrderRow.offer_until > notifier.now)
        .group_by(OrderRow.offer_runner_id))
    return {runner_id: count for runner_id, count in rows}


async def make_offer(notifier: Notifier, campus: Campus, row: OrderRow, runner_id: int) -> None:
    """Hold the order for one runner until now + offer_seconds and ask them privately (Accept = the grab)."""
    until = notifier.now + dt.timedelta(seconds=campus.timeouts.offer_seconds)
    row.offer_runner_id = runner_id
    row.offer_until = until
    await notifier.uow.session.flush()
    runner = await notifier.uow.session.get(User, runner_id)
    assert runner is not None
    t = catalogue(runner.language)
    time = deadline_hhmm(campus, until)
    text = "\n".join([t("hall-offer", order=str(row.id), time=time), hall_card(t, campus, row)])
    await notifier.user(runner_id, "hall-offer", text=text, edit_key=offer_key(row.id or 0, until), buttons=[[
        ("hall-offer-accept", f"g:{row.id}", {}), ("hall-offer-decline", f"offer:{row.id}:decline", {})]])
    if row.favourite_runner_id == runner_id:
        await notifier.user(row.customer_id, "hall-offer-customer", order=str(row.id), time=time)


async def offer_lapsed(notifier: Notifier, row: OrderRow, offered: tuple[int, dt.datetime]) -> None:
    """An offer (`offered`: to whom, until when) was ended after its time was up (by the sweep, or by whatever came
    to it first): the runner let it lapse, and is not offered that order again."""
    runner_id, until = offered
    if until <= notifier.now:
        await offer_declines.record(notifier.uow.session, row.id or 0, runner_id, notifier.now, lapsed=True)


async def clear_offer(notifier: Notifier, row: OrderRow, *, status: Status | None = None) -> bool:
    """End the offer once: a conditional update on the offer as seen, so a decline and the sweep (or two sweeps)
    cannot both end it. Clears both columns, and `row` with them. `status`: only while the order still has it (the
    sweep, whose row was listed in an earlier transaction, must not end the offer of an order taken since)."""
    conditions = [OrderRow.id == row.id, OrderRow.offer_runner_id == row.offer_runner_id,
                  OrderRow.offer_until == row.offer_until]
    if status is not None:
        conditions.append(OrderRow.status == status.value)
    result = await notifier.uow.session.execute(
        update(OrderRow).where(*conditions)
        .values(offer_runner_id=None, offer_until=None).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    set_committed_value(row, "offer_runner_id", None)
    set_committed_value(row, "offer_until", None)
    return True


async def end_offer(notifier: Notifier, campus: Campus, row: OrderRow, offered: tuple[int, dt.datetime] | None,
                    now: dt.datetime) -> None:
    """An offer was ended (declined, or found expired by handlers.sweep, which has cleared it already): the runner
    it was made to is told (`offered`: who and the offer's end, as it was before it was cleared; None: nobody to
    tell), and the order, if still open, goes to the hall."""
    if offered is not None and row.runner_id != offered[0]:
        runner_id, until = offered
        await notifier.user(runner_id, "hall-offer-ended", order=str(row.id), edit_key=offer_key(row.id or 0, until))
    await announce(notifier, campus, row)


async def end_offers(services: Services, uow: UnitOfWork, user_id: int, now: dt.datetime, *, tell: bool = False,
                     keep: int = 0, named: bool = True) -> None:
    """Orders offered to them alone (a named runner, auto-dispatch) go to the hall now rather than wait out an offer
    they cannot see or may not take (blocked the bot, suspended, at their limit); as a decline would. `keep`: the
    first this many (the longest waiting) stay theirs. `tell`: their offer messages say it ended (they lose Accept
    and Decline), where the bot can still write to them. `named`: those whose student named them too (else only
    auto-dispatch's)."""
    rows = [row for row in await uow.session.scalars(
        select(OrderRow).where(OrderRow.offer_runner_id == user_id, OrderRow.status == Status.open.value)
        .order_by(OrderRow.id)) if named or row.favourite_runner_id != user_id]
    live = [row.id for row in rows if row.offer_until is not None and row.offer_until > now]
    kept = set(live[:keep])  # a lapsed offer keeps no place: the sweep would end it anyway
    for row in (r for r in rows if r.id not in kept):
        campus = services.campuses.get(row.campus_id)
        notifier = Notifier(services, uow, now, origin=f"offer-ended:{row.id}:{secrets.token_hex(4)}")
        until = row.offer_until  # as it was: clear_offer clears it on `row`
        offered = (user_id, until) if tell and until is not None else None
        if campus is not None and await clear_offer(notifier, row, status=Status.open):  # not one taken meanwhile
            if until is not None:
                await offer_lapsed(notifier, row, (user_id, until))  # found lapsed before the sweep came to it
            await end_offer(notifier, campus, row, offered, now)


async def end_offers_past_limit(services: Services, uow: UnitOfWork, campus: Campus, user_id: int,
                                now: dt.datetime) -> None:
    """A runner who just took an order (a hall grab, or one offer's Accept), or whose credit changed, may now carry
    no more than some of the others they hold on offer, or none below the grab floor: those their Accept would
    refuse go to the hall now, not when their offers run out."""
    profile = await uow.runners.get(user_id)
    if profile is None:
        return
    room = max(0, credit.max_active_orders(campus, profile.credit) - profile.active_orders)
    if not credit.may_grab(campus.credit, profile.credit):
        room = 0
    await end_offers(services, uow, user_id, now, tell=True, keep=room)


def grab_buttons(row: OrderRow) -> list[list[Button]] | None:
    """The hall's grab button for an order (the sweep's reminders use it too); None while it offers none."""
    if row.status != Status.open.value or offer_pending(row):
        return None
    return [[("hall-grab-button", f"g:{row.id}", {})]]


# ------------------------------------------------------------------------------------------------ notice renderers


async def _hall_new(notifier: Notifier, campus: Campus, row: OrderRow, notice: Notice) -> None:
    if row.status != Status.open.value:
        return
    exclude = await _offer_owed(notifier, campus, row.id or 0, notice.user_id) if row.offer_runner_id is None else None
    if exclude is not None:
        runner_id = await choose_offer_runner(notifier, campus, row, exclude)
        if not exclude and row.favourite_runner_id not in (None, runner_id):
            # At payment the order's summary said it is offered first to the runner they named: it is not (no room,
            # credit, not reachable, …).
            await notifier.user(row.customer_id, "hall-favourite-passed-over", order=str(row.id),
                                to="hall" if runner_id is None else "runner")
        if runner_id is not None:
            await make_offer(notifier, campus, row, runner_id)
            return
    await announce(notifier, campus, row)


async def _hall_closed(notifier: Notifier, campus: Campus, row: OrderRow, notice: Notice, text_key: str) -> None:
    """Taken, cancelled or expired: replace the hall post (no button). An order still on offer ends the offer: its
    message loses Accept and Decline, saying the order is theirs if the offered runner took it."""
    if offer_pending(row):
        offered, until = row.offer_runner_id, row.offer_until  # as the offer was: clear_offer clears them on `row`
        assert offered is not None and until is not None
        cleared = await clear_offer(notifier, row)
        if cleared and offered != row.runner_id:
            await offer_lapsed(notifier, row, (offered, until))  # taken by another once it lapsed, not yet swept
        if offered == row.runner_id:
            await notifier.user(offered, "hall-offer-taken", order=str(row.id), edit_key=offer_key(row.id or 0, until))
        elif cleared:  # else whoever ended it (a decline, the sweep) has told them
            await notifier.user(offered, "hall-offer-ended", order=str(row.id), edit_key=offer_key(row.id or 0, until))
        if cleared:
            return  # the hall never saw this order
        # Ended meanwhile, and then announced: the hall post goes too.
    t = catalogue(campus.language)
    await notifier.hall(campus, notice.key, text=t(text_key, order=str(row.id), route=route_text(t, campus, row)),
                        edit_key=hall_key(row.id or 0))


async def _hall_taken(notifier: Notifier, campus: Campus, row: OrderRow, notice: Notice) -> None:
    await _hall_closed(notifier, campus, row, notice, "hall-taken")


async def _hall_gone(notifier: Notifier, campus: Campus, row: OrderRow, notice: Notice) -> None:
    await _hall_closed(notifier, campus, row, notice, "hall-gone")


def details_key(order_id: int, accepted_at: dt.datetime) -> str:
    """The edit key of a runner's details message: one per acceptance, so a runner who wins the order again gets a
    new message rather than an edit far up the chat; the order id last, as in every order's edit key (the outbox
    keeps those of active orders, storage.outbox)."""
    return f"details:{int(accepted_at.timestamp())}:{order_id}"


def trip_buttons(order_id: int, status: Status) -> list[list[Button]]:
    """What the runner can do from their details message: pick up or release the order until it is picked up, and
    message the student while it is theirs."""
    chat: list[Button] = [("runner-btn-chat", f"o:{order_id}:chat", {})]
    if status is not Status.accepted:
        return [chat]
    return [[("runner-btn-picked", f"o:{order_id}:pickup", {}), ("runner-btn-release", f"o:{order_id}:release", {})],
            chat]


async def _you_won(notifier: Notifier, campus: Campus, row: OrderRow, notice: Notice) -> None:
    """The winner (or the runner an operator assigned) gets the full details privately, with the trip's buttons;
    `_details_ended` edits the message without the contact when their part ends."""
    runner_id = notice.user_id or row.runner_id
    if runner_id is not None:
        await show_details(notifier, campus, row, runner_id)


async def show_details(notifier: Notifier, campus: Campus, row: OrderRow, runner_id: int) -> None:
    """The runner's details message as the order is now: sent when they win it, edited in place (its edit key) once
    they pick it up, when Picked up and Release no longer mean anything."""
    runner = (await run_core(notifier.uow.session, RUNNER_LANGUAGE_AND_GENDER,
                             {"id": runner_id, "customer": row.customer_id, "order": row.id})).first()
    if runner is None:
        return
    language, gender, student_reachable, got_by = runner
    t = catalogue(language)
    how = "reassigned" if got_by == Event.reassign.value else "taken"  # an operator's /reassign, or their own Grab
    parts = [t("notice-you-won", order=str(row.id), how=how),
             await runner_card(notifier, t, campus, row, runner_id)]  # type: ignore[arg-type]
    if gender is not None and (point := handover_point(campus, row, gender)) is not None:
        parts.append(t("hall-handover", place=building_name(campus, point, t.language)))
    if student_reachable is False:  # they blocked the bot: the runner must not count on the relay
        parts.append(t("hall-student-unreachable", order=str(row.id)))
    await notifier.user(runner_id, "notice-you-won", text="\n".join(parts),
                        buttons=trip_buttons(row.id or 0, Status(row.status)),
                        edit_key=details_key(row.id or 0, row.accepted_at or notifier.now))


async def _accepted(notifier: Notifier, campus: Campus, row: OrderRow, notice: Notice) -> None:
    """The student hears their order was taken and, when the runner may not enter their dorm (its gender rule),
    where the runner will hand it over instead: the runner's details say the same place."""
    handover = "none"
    student = await notifier.uow.session.get(User, row.customer_id)
    profile = await notifier.uow.session.get(RunnerProfile, row.runner_id) if row.runner_id is not None else None
    if student is not None and profile is not None and (point := handover_point(campus, row, profile.gender)):
        handover = building_name(campus, point, student.language)
    await notifier.user(row.customer_id, "notice-accepted", order=str(row.id), handover=handover)


def handover_point(campus: Campus, row: OrderRow, runner_gender: str) -> str | None:
    """Where a runner of this gender hands the order over instead of its drop-off (a dorm of the other gender's
    transfer point), or None: at the drop-off itself."""
    dropoff = campus.building(row.dropoff_building)
    point = dispatch.delivery_point(campus, dropoff, Gender(runner_gender))
    return point.id if point.id != dropoff.id else None


async def _details_ended(notifier: Notifier, campus: Campus, row: OrderRow, notice: Notice) -> None:
    """The runner's part ended (Notifier.transition): their details message loses the phone, the room, what the
    student wrote and the trip's buttons, and so does every order card of theirs that showed what the student wrote
    (handlers.tracking.show_card). runner_card leaves those out, as the order is no longer this runner's active one,
    and says what the order pays them now that it ended (the ledger's postings of this transition are already
    written)."""
    accepted_at = notice.args.get("accepted_at")
    if notice.user_id is None or accepted_at is None:
        return
    user = (await run_core(notifier.uow.session, ID_AND_LANGUAGE, {"id": notice.user_id})).first()
    if user is None:
        return
    t = catalogue(user.language)
    text = "\n".join([t("notice-details-ended", order=str(row.id)),
                      await runner_card(notifier, t, campus, row, user.id)])  # type: ignore[arg-type]
    await notifier.user(user.id, "notice-details-ended", text=text, edit_key=details_key(row.id or 0, accepted_at))
    # Those of this part only: a card shown while they held the order before was edited when that part ended.
    await notifier.replace_cards(cards.runner_item(row.id or 0, user.id), "notice-details-ended", text=text,
                                 language=user.language, since=accepted_at)


NOTICE_RENDERERS.update({
    "notice-hall-new": _hall_new,
    "notice-hall-taken": _hall_taken,
    "notice-hall-gone": _hall_gone,
    "notice-you-won": _you_won,
    "notice-accepted": _accepted,
    DETAILS_ENDED: _details_ended,
    DETAILS_REFRESHED: lambda notifier, campus, row, notice: show_details(notifier, campus, row, notice.user_id),
    CREDIT_CHANGED: lambda notifier, campus, row, notice: end_offers_past_limit(
        notifier.services, notifier.uow, campus, notice.user_id, notifier.now),
})


# ------------------------------------------------------------------------------------------------ the grab


@ROUTER.outside_action("g")
async def grab(services: Services, inp: Input, now: dt.datetime) -> list[Reply]:
    """A hall button (in the group or privately), an offer's Accept, or /grab N. Exactly one grabber wins."""
    raw = (inp.choice or "").split(":", 1)[1] if ":" in (inp.choice or "") else ""
    from_nearby_with_location = raw.endswith(LOCATION_TAIL)
    raw = raw.removesuffix(LOCATION_TAIL)
    # The repeat check, who is grabbing and whether the order is still to be had, in one short transaction before
    # the grab's own (a press on an order that went is answered from here).
    async with UnitOfWork(services.db) as uow:
        if inp.update_key is not None and not await first_time_in(uow.session, inp.update_key, now):
            return []
        user = (await run_core(uow.session, GRABBER_BY_ADDRESS,
                               {"channel": inp.channel, "external_id": inp.user})).first()
        may_grab = user is not None and user.started_bot and not user.suspended and raw.strip()
        order_id = parse_order_id(raw) if may_grab else None
        # Someone who is no runner is told so, whatever the order's state (which is for runners to learn).
        already = (not_a_runner(user.runner_status) or await settled_in(uow.session, order_id, user.id,
                                                                        user.runner_campus)
                   if order_id is not None else None)
    chat = operators_chat_campus(services, inp, user.campus_id if user is not None else None)
    replies = await grab_outcome(services, user, raw, order_id, already, chat)
    # As Ctx.settle_location would, where the location button may still be up in the grabber's private chat: won or
    # lost from a list that offered it; from anywhere else (the hall, an older list, an offer, /grab) only when won,
    # as the answer then goes to that chat and wins are rare, so a lost press stays one read. Only once the outcome
    # is known: a refusal (a DomainError) changes nothing, so the button and the conversation stay as they are.
    won = any(r.key == WON for r in replies)
    if (from_nearby_with_location and inp.chat is None) or (won and chat is None):
        async with UnitOfWork(services.db) as uow:
            if await withdraw_location_offer(uow.session, inp.channel, inp.user, now):
                return [dataclasses.replace(r, location_done=True) for r in replies]
    return replies


async def grab_outcome(services: Services, user: Row | None, raw: str, order_id: int | None,
                       already: GrabResult | None, chat: Campus | None = None) -> list[Reply]:
    """The grab and its answer, once grab's first transaction has read who is grabbing (`user`) and whether the
    order is settled for them already (`already`); `chat`: the campus whose operators' chat it came from, which
    the answer then speaks to (answer_language)."""
    t = catalogue(answer_language(chat, user.language if user is not None else DEFAULT_LANGUAGE))
    if user is None or not user.started_bot:
        return [Reply("runner-start-bot-first", t("runner-start-bot-first"))]
    if user.suspended:
        return [Reply("error-suspended", t("error-suspended"))]
    if not raw.strip():
        raise InvalidInput("hall-grab-usage")
    user_id = user.id
    assert order_id is not None and user_id is not None  # the checks above are may_grab's

    async def on_won(uow: UnitOfWork, campus: Campus, tr: Transition, won_at: dt.datetime) -> None:
        # A random tail: the same runner may win the same order again after releasing it.
        notifier = Notifier(services, uow, won_at, origin=f"grab:{order_id}:{user_id}:{secrets.token_hex(4)}")
        await notifier.transition(campus, tr)
        await end_offers_past_limit(services, uow, campus, user_id, won_at)

    result = already or await services.grabs.grab(order_id, user_id, on_won=on_won)
    if result.won:
        # Wherever the press was made, this answer reaches the grabber in their own chat (Telegram answers a hall
        # press privately, its toast saying so; the console shows it to the grabber), just before the details.
        return [Reply(WON, "\n".join([t(WON), t("hall-won-details-private", order=str(order_id))]),
                      args={"order": order_id})]
    args: dict = {}
    if result.reason == "grab-offered":
        campus = services.campuses.get(user.campus_id, services.default_campus)
        args = {"time": deadline_hhmm(campus, result.args["until"])}
    return [Reply(result.reason, refusal_text(t, result.reason, order=str(order_id), **args),
                  args={"order": order_id, **args})]


def refusal_text(t: Catalogue, reason: str, **args: object) -> str:
    """Why a runner may not take an order (a refused grab, /nearby), with what to do about it where there is
    something to do."""
    text = t(reason, **args) if t.has(reason) else t("error-not-eligible")
    hint = {"not-eligible-not-runner": "runner-apply-hint", "not-eligible-quiz": "runner-quiz-hint"}.get(reason)
    return "\n".join([text, t(hint)]) if hint else text


# ------------------------------------------------------------------------------------------------ offers


@ROUTER.action("offer")
async def offer_button(ctx: Ctx) -> None:
    """offer:<id>:decline — the offered runner passes; the hall gets the order at once."""
    parts = (ctx.input.choice or "").split(":")
    if len(parts) != 3 or parts[2] != "decline":
        ctx.say("error-stale-choice")
        return
    row = await load_order(ctx, parse_order_id(parts[1]))
    if (row.offer_runner_id != ctx.user_id or not offer_active(row, ctx.now) or row.status != Status.open.value
            or not await clear_offer(ctx.notify, row)):
        ctx.say("hall-offer-over", order=str(row.id))
        return
    # Not offered to them again, should the order come back to auto-dispatch (they may still grab it in the hall).
    await offer_declines.record(ctx.uow.session, row.id or 0, ctx.user_id, ctx.now, lapsed=False)
    fresh = await ctx.uow.orders.get_row(row.id or 0)
    assert fresh is not None
    ctx.say("hall-offer-declined", order=str(row.id), edit=True)
    await end_offer(ctx.notify, ctx.services.campuses[row.campus_id], fresh, None, ctx.now)


# ------------------------------------------------------------------------------------------------ /nearby


@ROUTER.command("nearby")
async def nearby(ctx: Ctx) -> None:
    """/nearby [building]: the open orders this runner could grab, nearest pickup first, hall detail only, each with
    a grab button. A runner who may take none now (not approved yet, suspended, no quiz, low credit, at their limit)
    is told why, as the Grab button would tell them."""
    profile = await ctx.runner_profile()
    if profile is None:
        ctx.say("runner-not-a-runner")
        return
    runner = may_take_orders(ctx, profile)
    if runner is None:
        return
    campus = ctx.campus
    place = " ".join(ctx.input.args).strip()
    if place:
        building = named_building(ctx, place[:64])
        await list_nearby(ctx, runner, building_point(building), building_name(campus, building.id, ctx.t.language))
    elif runner.lat is not None and runner.lon is not None:  # tracked, or the live location they share while idle
        await list_nearby(ctx, runner, Point(runner.lat, runner.lon))
    else:
        await list_nearby(ctx, runner, None)


@ROUTER.idle_input(Kind.location)
async def nearby_here(ctx: Ctx) -> None:
    """A location shared while no step asks for one: an approved runner gets /nearby from that point, anyone else
    is told what a shared location is for. A one-off point is not stored: positions are kept while an order is on
    its way, and briefly while an idle runner shares a live one (handlers/location.py)."""
    profile = await ctx.runner_profile()
    inp = ctx.input
    if profile is None or profile.status != "approved" or inp.lat is None or inp.lon is None:
        await not_asked_for(ctx)
        return
    runner = may_take_orders(ctx, profile)
    if runner is None:
        return
    here = Point(inp.lat, inp.lon)
    if not on_campus(ctx.campus, here):  # distances from elsewhere would only mislead
        ctx.say("hall-nearby-off-campus", campus=campus_name(ctx.campus, ctx.t.language))
        return
    await list_nearby(ctx, runner, here, ctx.t("hall-nearby-you"))


def may_take_orders(ctx: Ctx, profile: RunnerProfile) -> RunnerCandidate | None:
    """The runner as dispatch sees them, if they may take an order now; else None, and they are told why."""
    runner = to_candidate(profile, ctx.user.suspended, ctx.now)
    reason = dispatch.runner_ineligibility(ctx.campus, runner)
    if reason is None:
        return runner
    ctx.say_text(reason, refusal_text(ctx.t, reason))
    return None


async def list_nearby(ctx: Ctx, runner: RunnerCandidate, origin: Point | None, place_name: str = "") -> None:
    """The open orders this runner could grab, nearest pickup to `origin` first, at most NEARBY_LIMIT of them. With
    no `origin`: newest first, and a hint offering the location button, which their Grab buttons take away."""
    campus = ctx.campus
    rows = [r for r in await ctx.uow.session.scalars(
        select(OrderRow).where(OrderRow.campus_id == campus.id, OrderRow.status == Status.open.value)
        .order_by(OrderRow.id.desc()).limit(500))
        if (not offer_pending(r) or r.offer_runner_id == ctx.user_id)
        and dispatch.ineligibility(campus, runner, order_candidate(campus, r)) is None]  # e.g. not their own
    if not rows:
        ctx.say("hall-nearby-none")
        return
    listed: list[tuple[OrderRow, int | None]]
    if origin is not None:
        at = origin
        listed = sorted(((r, walking_m(campus, at, building_point(campus.building(r.pickup_building or r.dropoff_building))))
                         for r in rows), key=lambda pair: (pair[1], pair[0].id))
    else:
        listed = [(r, None) for r in rows]
    ctx.say("hall-nearby-title", count=len(rows), shown=min(len(rows), NEARBY_LIMIT), place=place_name or "none",
            more="yes" if len(rows) > NEARBY_LIMIT else "no")
    tail = LOCATION_TAIL if origin is None else ""
    for row, metres in listed[:NEARBY_LIMIT]:
        text = hall_card(ctx.t, campus, row)
        if metres is not None:
            text = "\n".join([text, ctx.t("hall-distance", metres=metres)])
        ctx.say_text("hall-card", text, choices=[[ctx.button("hall-grab-button", f"g:{row.id}{tail}")]])
    if origin is None:
        ctx.say("hall-nearby-share-hint", request_location=True)  # no position known: offer to share one
