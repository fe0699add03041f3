"""Where is my runner: a runner's live position, kept only while they carry an active order, and /where N; and
where an idle runner sharing a live location is available to be offered orders.

A channel that knows a shared location is *live* (Telegram: a message with live_period, then edits of it) calls
`live_position` instead of the conversation: a moving runner must not answer whatever step they are in. The
position is written only while the runner has an order accepted or picked up; otherwise it is cleared, and the
timer sweep calls `forget_positions` so nothing lingers after the last order ends. A live location that is not
kept starts like a one-off location (it answers the step asking for one, or gives a runner /nearby), and its later
positions are kept, and the runner told so, once they carry an order. A runner answering the order step that asks
for a place is ordering as a student: the live location answers it with no word on keeping it, and none of its
positions, later ones neither, makes them available (below).

An approved runner carrying no order who shares a live location is saying they are free: its positions are kept
apart, as an availability point that only dispatch reads (handlers/hall.py: auto-dispatch offers orders near it,
and the runner's /nearby lists from it) and no student ever sees. The point lapses AVAILABLE_FOR after its last
position, or when the live location ends, whichever comes first; it goes when the runner stops sharing or takes an
order (their positions are then tracked as above). The runner is told once per live location (`live-not-kept`),
when its positions start being used so.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlalchemy import exists, or_, select, update

from core.campus import DispatchMode
from core.errors import UnknownBuilding
from core.geo import Point, building_point, geodesic_m, nearest_building
from core.order import CARRYING_VALUES, Status
from handlers.context import Ctx, Services
from handlers.io import Input, Reply
from handlers.ordering import PLACE_STATES
from handlers.orders import building_name, customer_order, parse_order_id, window_text
from handlers.router import ROUTER
from handlers.start import menu
from handlers.tracking import order_button, verb
from locales import catalogue
from storage import conversations
from storage.dedupe import first_time_in, seen_in
from storage.lookups import USER_BY_ADDRESS
from storage.models import Order as OrderRow
from storage.models import RunnerProfile
from storage.orders_repo import to_domain
from storage.runners_repo import is_active_runner
from storage.uow import UnitOfWork

# Positions are kept (and shown to the student) only while the runner is on the way with the order.
TRACKED = CARRYING_VALUES
# How long an idle runner's availability point lasts after its last position: a phone that stopped sending (no
# signal, the app closed) says nothing about where its owner is now.
AVAILABLE_FOR = dt.timedelta(minutes=10)


def _reply(language: str, key: str, **args: object) -> Reply:
    return Reply(key=key, text=catalogue(language)(key, **args), args=dict(args))


async def _tracked_orders(uow: UnitOfWork, runner_id: int) -> list[int]:
    rows = await uow.session.scalars(
        select(OrderRow.id).where(OrderRow.runner_id == runner_id, OrderRow.status.in_(TRACKED)).order_by(OrderRow.id))
    return [r for r in rows if r is not None]


async def _clear(uow: UnitOfWork, runner_id: int) -> None:
    await uow.session.execute(
        update(RunnerProfile).where(RunnerProfile.user_id == runner_id, RunnerProfile.last_lat.is_not(None))
        .values(last_lat=None, last_lon=None, last_seen_at=None))


async def live_position(services: Services, inp: Input, *, first: bool,
                        plain: Callable[[Input], Awaitable[list[Reply]]]) -> list[Reply]:
    """One position of a live location. Kept while its sender is a runner carrying an order: the first position
    is answered `live-kept`, later ones (edits) are stored silently, except the first one kept after none was
    (they took an order meanwhile), which tells them. An approved runner carrying none is available while the live
    location lasts: the position is their availability point, and the first position used so in this live location
    tells them (`live-not-kept`) — unless it answers the order step asking for a place. A first position that is not
    kept also goes to `plain` (the conversation, as a one-off location would). A repeated update (same update id)
    is ignored."""
    if inp.lat is None or inp.lon is None:
        return []
    now = services.clock()
    async with UnitOfWork(services.db) as uow:
        user = (await uow.session.execute(
            USER_BY_ADDRESS, {"channel": inp.channel, "external_id": inp.user})).scalar_one_or_none()
        profile = await uow.runners.get(user.id) if user is not None and user.id is not None else None
        orders = await _tracked_orders(uow, profile.user_id) if profile is not None else []
        # A runner carrying an order may be placing one of their own: the first position answers its place step
        # too (and is kept). A first position `plain` answers is its own repeat check: the key is not recorded here.
        answering = bool(orders) and first and await _at_place_step(uow, inp)
        if (orders or not first) and not answering and inp.update_key is not None and not await first_time_in(
                uow.session, inp.update_key, now):
            return []
        started = noted = False
        if profile is not None and orders:
            # Kept as of when the runner was there, as the channel says (never later than now): a position handed
            # over late is not told as fresh, nor, from before they took an order, shown to its student (tell_where).
            seen = min(inp.at, now) if inp.at is not None else now
            started = await _keep(uow, profile.user_id, inp.lat, inp.lon, seen)
            await _unavailable(uow, profile.user_id)
        elif profile is not None:
            await _clear(uow, profile.user_id)
            assert user is not None
            if (is_active_runner(profile, user.suspended) and inp.live_until is not None and inp.live_until > now
                    and not (first and await _placing_an_order(uow, profile.user_id, inp, now))):
                noted = await _available(uow, profile.user_id, inp.lat, inp.lon, inp.live_until, now)
            elif await _unavailable(uow, profile.user_id):
                # Stopped sharing (or may not take orders): an offer auto-dispatch made them for being near goes
                # to the hall now, as a decline would; one their student named them for stays theirs.
                from handlers import hall  # a cycle at import: hall answers a location no step asks for
                await hall.end_offers(services, uow, profile.user_id, now, tell=True, named=False)
        language = user.language if user is not None else ""
        campus = services.campuses.get(profile.campus_id, services.default_campus) if profile else None
    if orders:
        listed = catalogue(language).join(f"#{o}" for o in orders)
        kept = [_reply(language, "live-kept", orders=listed)] if first or started else []
        if not answering:
            return kept
        replies = await plain(inp)
        return [*kept, *replies] if replies else replies
    offers = "yes" if campus is not None and campus.dispatch.mode is DispatchMode.auto else "no"
    note = [_reply(language, "live-not-kept", offers=offers)] if noted else []
    if not first:
        return note
    replies = await plain(inp)
    # A repeat gets no answer from `plain`, so no note either.
    return [*note, *replies] if replies else replies


def _ordering_key(runner_id: int, live_until: dt.datetime) -> str:
    """Recorded when a live location's first position answered its sender's order form (_placing_an_order)."""
    return f"live-ordering:{runner_id}:{int(live_until.timestamp())}"


async def _placing_an_order(uow: UnitOfWork, runner_id: int, inp: Input, now: dt.datetime) -> bool:
    """The sender is at the order step asking for a place (the live location answers it); then this live location
    is remembered as the runner's ordering, not as them being free (_available). Read only for a first position not
    kept: the edits of every sharing runner need no conversation."""
    if not await _at_place_step(uow, inp):
        return False
    assert inp.live_until is not None
    await first_time_in(uow.session, _ordering_key(runner_id, inp.live_until), now)
    return True


async def _at_place_step(uow: UnitOfWork, inp: Input) -> bool:
    """The sender's order form asks for a place now."""
    conv = await conversations.load(uow.session, inp.channel, inp.user)
    return conv is not None and conv.state in PLACE_STATES


async def _keep(uow: UnitOfWork, runner_id: int, lat: float, lon: float, seen: dt.datetime) -> bool:
    """Store the runner's position, where they were at `seen`. True when none was kept before (the position starts
    being kept): one conditional update, so of two positions arriving together only one says so. A position older
    than the one kept (handed over out of order) changes nothing."""
    started = await uow.session.execute(
        update(RunnerProfile).where(RunnerProfile.user_id == runner_id, RunnerProfile.last_lat.is_(None))
        .values(last_lat=lat, last_lon=lon, last_seen_at=seen))
    if started.rowcount:
        return True
    await uow.session.execute(
        update(RunnerProfile).where(RunnerProfile.user_id == runner_id,
                                    or_(RunnerProfile.last_seen_at.is_(None), RunnerProfile.last_seen_at <= seen))
        .values(last_lat=lat, last_lon=lon, last_seen_at=seen))
    return False


async def _available(uow: UnitOfWork, runner_id: int, lat: float, lon: float, live_until: dt.datetime,
                     now: dt.datetime) -> bool:
    """Make the position the runner's availability point. True when they are to be told: the point starts (none
    was current) and this live location has not told them yet (one that lapsed a while, the phone silent, comes
    back without a word)."""
    values = {"available_lat": lat, "available_lon": lon, "available_until": min(now + AVAILABLE_FOR, live_until)}
    moved = await uow.session.execute(
        update(RunnerProfile).where(RunnerProfile.user_id == runner_id, RunnerProfile.available_until > now)
        .values(**values))
    if moved.rowcount:
        return False
    if await seen_in(uow.session, _ordering_key(runner_id, live_until)):
        return False  # this live location answered the runner's own order form: they are ordering, not free
    await uow.session.execute(update(RunnerProfile).where(RunnerProfile.user_id == runner_id).values(**values))
    return await first_time_in(uow.session, f"available:{runner_id}:{int(live_until.timestamp())}", now)


async def _unavailable(uow: UnitOfWork, runner_id: int) -> bool:
    """Clear the runner's availability point. True when there was one."""
    cleared = await uow.session.execute(
        update(RunnerProfile).where(RunnerProfile.user_id == runner_id, RunnerProfile.available_until.is_not(None))
        .values(available_lat=None, available_lon=None, available_until=None))
    return bool(cleared.rowcount)


async def forget_positions(uow: UnitOfWork, now: dt.datetime) -> int:
    """Clear the position of every runner who no longer carries an order accepted or picked up, and every
    availability point that lapsed (for the sweep). Returns how many positions were cleared."""
    busy = exists().where(OrderRow.runner_id == RunnerProfile.user_id, OrderRow.status.in_(TRACKED))
    tracked = await uow.session.execute(
        update(RunnerProfile).where(RunnerProfile.last_lat.is_not(None), ~busy)
        .values(last_lat=None, last_lon=None, last_seen_at=None)
        .execution_options(synchronize_session=False))
    lapsed = await uow.session.execute(
        update(RunnerProfile).where(RunnerProfile.available_until <= now)
        .values(available_lat=None, available_lon=None, available_until=None)
        .execution_options(synchronize_session=False))
    return (tracked.rowcount or 0) + (lapsed.rowcount or 0)


async def not_asked_for(ctx: Ctx) -> None:
    """A location shared while no step asks for one, by someone it gives nothing to (not an approved runner, for
    whom it is a /nearby): what a shared location is used for, rather than not understanding it. Nothing is kept."""
    ctx.say("location-not-asked", live="yes" if ctx.input.live_until is not None else "no")
    await menu(ctx)


@ROUTER.command("where")
async def where(ctx: Ctx) -> None:
    """/where N: where the runner of the student's order N was last seen (only while it is on its way)."""
    if ctx.input.args:
        row = await customer_order(ctx, parse_order_id(ctx.input.args[0]))
    else:
        rows = list(await ctx.uow.session.scalars(
            select(OrderRow).where(OrderRow.customer_id == ctx.user_id, OrderRow.status.in_(TRACKED))
            .order_by(OrderRow.id)))
        if len(rows) != 1:
            ctx.say("where-usage")
            return
        row = rows[0]
    await tell_where(ctx, row)


@verb("where")
async def where_verb(ctx: Ctx) -> None:
    """The order card's "Where is my runner?" button: /where for that order."""
    order_id, _ = order_button(ctx)
    await tell_where(ctx, await customer_order(ctx, order_id))


async def tell_where(ctx: Ctx, row: OrderRow) -> None:
    """Where the runner of the student's order was last seen, and when; or why there is nothing to show."""
    if row.status not in TRACKED or row.runner_id is None:
        ctx.say("where-not-on-the-way", order=row.id)
        return
    campus = ctx.services.campuses.get(row.campus_id, ctx.campus)
    # A scheduled errand not yet picked up is on its way from its window's start: where its runner is before that
    # (hours of their own day) is not the student's to see.
    since = to_domain(row).begins(row.accepted_at) if row.status == Status.accepted.value and row.accepted_at \
        else row.accepted_at
    if since is not None and ctx.now < since:
        ctx.say("where-scheduled", order=row.id, window=window_text(ctx.t, campus, row.window_start, row.window_end))
        return
    profile = await ctx.uow.runners.get(row.runner_id)
    if (profile is None or profile.last_lat is None or profile.last_lon is None or profile.last_seen_at is None
            # A position from before they took this order (while carrying another) is not this student's to see.
            or (since is not None and profile.last_seen_at < since)):
        ctx.say("where-unknown", order=row.id)
        return
    seen = profile.last_seen_at
    at = Point(profile.last_lat, profile.last_lon)
    time = seen.astimezone(campus.tz).strftime("%H:%M")
    minutes = max(0, int((ctx.now - seen) / dt.timedelta(minutes=1)))
    try:
        place = nearest_building(campus, at)
        ctx.say("where-near", order=row.id, time=time, minutes=minutes,
                place=building_name(campus, place.id, ctx.t.language))
    except UnknownBuilding:
        dropoff = campus.building(row.dropoff_building)
        ctx.say("where-away", order=row.id, time=time, minutes=minutes,
                distance=round(geodesic_m(at, building_point(dropoff))),
                place=building_name(campus, dropoff.id, ctx.t.language))
