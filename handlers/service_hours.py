"""Service hours and pauses. /hours, for everyone: the campus's hours and whether ordering is open now. For
operators: /hours set changes the hours from chat, in place of the campus file's (design §7), until /hours reset;
/pause and /resume stop new orders for a while (rain, too few runners), whatever the hours say. Orders placed before
go on as usual either way. Both are kept in the database (storage.hours_changes, storage.service_pauses), so every
process acts on them at once."""
from __future__ import annotations

import datetime as dt
import re

from core import service_hours
from core.campus import Campus
from core.errors import InvalidInput
from core.numbers import CLOCK, plain_decimal
from handlers.admin import MAX_REASON, begin, record, tell_other_operators
from handlers.context import Ctx, free_text, quoted
from handlers.ordering import hours_text, in_service_hours, parse_minutes, window_offers
from handlers.paused import pause_args
from handlers.router import ROUTER
from storage import hours_changes, service_pauses
from storage.models import HoursChange, ServicePause

MAX_PAUSE = dt.timedelta(days=3)  # a longer closure (a holiday) is a change of the hours: /hours set
CLOCK_ONLY = re.compile(CLOCK)
# A first word that starts like a time or a length of time: it must read as one, never be taken into the reason
# (a "/pause 1h30m rain" that paused until resumed would keep the campus closed overnight).
WHEN_LIKE = re.compile(r"\d")
# Days and weeks as a pause's length (a week is refused as too long, never taken for 1 minute and a reason "week").
DAYS = re.compile(r"(?P<n>\d{1,2}(?:\.\d{1,2})?)(?P<unit>个?星期|周|礼拜|weeks?|w|天|日|days?|d)")
MINUTES_PER = {"week": 7 * 24 * 60, "day": 24 * 60}


def pause_minutes(text: str) -> int | None:
    """'45', '45分钟', '2h', '1.5 小时' (parse_minutes), '2d', '2 天', '1 week' → minutes; None for anything else."""
    if (minutes := parse_minutes(text)) is not None:
        return minutes
    m = DAYS.fullmatch("".join(text.casefold().split()))
    number = plain_decimal(m["n"]) if m else None
    if m is None or number is None:
        return None
    per = MINUTES_PER["day" if m["unit"] in ("天", "日", "d", "day", "days") else "week"]
    return int(number * per) if (number * per) % 1 == 0 else None


@ROUTER.command("hours", operators_chat=True)  # beside /pause and /resume in the operators' help
async def hours(ctx: Ctx) -> None:
    """/hours: the hours; /hours set WINDOWS and /hours reset: the operators' change of them."""
    args = ctx.input.args
    if not args:
        await show_hours(ctx)
    elif args[0].lower() == "set" and len(args) > 1:
        await set_hours(ctx, " ".join(args[1:]))
    elif args[0].lower() == "reset" and len(args) == 1:
        await reset_hours(ctx)
    else:
        ctx.require_operator()  # a student's "/hours foo" is told what they may do, not how to change the hours
        raise InvalidInput("hours-usage")


async def show_hours(ctx: Ctx) -> None:
    campus = await ctx.live_campus()
    ctx.say("hours-info", hours=hours_text(ctx.t, campus))
    if ctx.is_operator:  # whose hours they are: the operators' own from chat, or the campus file's
        kept = (await ctx.campus_changes()).hours  # as live_campus reads it: unreadable, the file's hours hold
        ctx.say("hours-source", changed="yes" if kept and service_hours.loads(kept) else "no")
    pause = await service_pauses.current(ctx.uow.session, ctx.campus.id, ctx.now)
    if pause is not None:
        ctx.say("order-paused", **pause_args(ctx, pause))
    elif in_service_hours(campus, ctx.now):
        ctx.say("hours-open")
    else:  # as /order would answer: an errand may be scheduled only within the next hours still open today
        ctx.say("hours-closed", later="yes" if window_offers(ctx, campus) else "no")


async def set_hours(ctx: Ctx, text: str) -> None:
    ctx.require_operator()
    begin(ctx)
    windows = service_hours.parse(text)
    await hours_changes.change(ctx.uow.session, HoursChange(
        campus_id=ctx.campus.id, windows=service_hours.dumps(windows), changed_by=ctx.user_id, changed_at=ctx.now))
    await record(ctx, "hours_set", f"campus:{ctx.campus.id}", windows=service_hours.plain(windows))
    await hours_changed(ctx, "hours-set", service_hours.with_hours(ctx.campus, windows))


async def reset_hours(ctx: Ctx) -> None:
    ctx.require_operator()
    begin(ctx)
    if not await hours_changes.reset(ctx.uow.session, ctx.campus.id):
        raise InvalidInput("hours-not-changed")
    await record(ctx, "hours_reset", f"campus:{ctx.campus.id}")
    await hours_changed(ctx, "hours-reset", ctx.campus)


async def hours_changed(ctx: Ctx, key: str, campus: Campus) -> None:
    """The operator is told the campus's hours now and whether ordering is open (or paused, whatever the hours), and
    so are the other operators (in their chat's language). Orders placed before keep their times; a draft's time is
    checked against the new hours when it is chosen and again at Confirm."""
    paused = await service_pauses.current(ctx.uow.session, ctx.campus.id, ctx.now) is not None
    open_now = "paused" if paused else "yes" if in_service_hours(campus, ctx.now) else "no"
    ctx.say(key, hours=hours_text(ctx.t, campus), open=open_now)
    await tell_other_operators(ctx, f"{key}-by", hours=lambda t: hours_text(t, campus), open=open_now)


def pause_end(ctx: Ctx, when: str) -> dt.datetime:
    """'18:00' (its next time in campus time), '30', '45分钟', '2h', '2d' (from now) → the moment the pause ends."""
    if m := CLOCK_ONLY.fullmatch(when):
        local = ctx.now.astimezone(ctx.campus.tz)
        if (int(m[1]), int(m[2])) == (24, 0):  # the end of today, as /hours set reads it
            return dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), ctx.campus.tz)
        try:
            at = dt.datetime.combine(local.date(), dt.time(int(m[1]), int(m[2])), ctx.campus.tz)
        except ValueError:  # 25:00
            raise InvalidInput("admin-pause-when-invalid", text=quoted(when)) from None
        return at if at > ctx.now else at + dt.timedelta(days=1)
    minutes = pause_minutes(when)
    if not minutes:
        raise InvalidInput("admin-pause-when-invalid", text=quoted(when))
    return ctx.now + dt.timedelta(minutes=minutes)


@ROUTER.command("pause", operator_only=True)
async def pause(ctx: Ctx) -> None:
    """/pause [until or for how long] [reason]: no new orders until then, or until /resume."""
    begin(ctx)
    args = ctx.input.args
    until = None
    if args and WHEN_LIKE.match(args[0]):
        when, args = args[0], args[1:]
        # A unit written apart ('2 hours', '45 分钟') belongs to its number, not to the reason students are shown.
        if plain_decimal(when) is not None and args and not WHEN_LIKE.match(args[0]) \
                and pause_minutes(when + args[0]) is not None:
            when, args = when + args[0], args[1:]
        until = pause_end(ctx, when)
        if until - ctx.now > MAX_PAUSE:
            raise InvalidInput("admin-pause-too-long", days=MAX_PAUSE.days)
    reason = free_text(" ".join(args), limit=MAX_REASON)
    paused = ServicePause(campus_id=ctx.campus.id, until=until, reason=reason, paused_by=ctx.user_id, paused_at=ctx.now)
    await service_pauses.pause(ctx.uow.session, paused)
    await record(ctx, "service_pause", f"campus:{ctx.campus.id}", until=until.isoformat() if until else None,
                 reason=reason)
    ctx.say("admin-paused", **pause_args(ctx, paused))
    await tell_other_operators(ctx, "admin-paused-by", **pause_args(ctx, paused))


@ROUTER.command("resume", operator_only=True)
async def resume(ctx: Ctx) -> None:
    begin(ctx)
    if not await service_pauses.resume(ctx.uow.session, ctx.campus.id, ctx.now):
        raise InvalidInput("admin-not-paused")
    await record(ctx, "service_resume", f"campus:{ctx.campus.id}")
    campus = await ctx.live_campus()
    ctx.say("admin-resumed", open="yes" if in_service_hours(campus, ctx.now) else "no", hours=hours_text(ctx.t, campus))
    await tell_other_operators(ctx, "admin-resumed-by")
