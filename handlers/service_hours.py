"""Service hours and pauses. /hours, for everyone: the campus's hours and whether ordering is open now. /pause and
/resume, for operators: no new orders for a while (rain, too few runners), whatever the hours say; the orders placed
before go on as usual. The hours themselves are the campus file's (design §7); a pause is an operator's decision of
the moment, kept in the database (storage.service_pauses) so every process refuses orders at once."""
from __future__ import annotations

import datetime as dt
import re

from core.errors import InvalidInput
from handlers.admin import MAX_REASON, begin, record, tell_other_operators
from handlers.context import Ctx, free_text, quoted
from handlers.ordering import hours_text, in_service_hours, parse_minutes, window_offers
from handlers.paused import pause_args
from handlers.router import ROUTER
from storage import service_pauses
from storage.models import ServicePause

MAX_PAUSE = dt.timedelta(days=3)  # a longer closure (a holiday) is an edit of the campus file's hours
CLOCK = re.compile(r"(\d{1,2})[:：](\d{2})")
# A first word that starts like a time or a length of time: it must read as one, never be taken into the reason
# (a "/pause 1h30m rain" that paused until resumed would keep the campus closed overnight).
WHEN_LIKE = re.compile(r"\d")


@ROUTER.command("hours", operators_chat=True)  # beside /pause and /resume in the operators' help
async def hours(ctx: Ctx) -> None:
    ctx.say("hours-info", hours=hours_text(ctx))
    pause = await service_pauses.current(ctx.uow.session, ctx.campus.id, ctx.now)
    if pause is not None:
        ctx.say("order-paused", **pause_args(ctx, pause))
    elif in_service_hours(ctx.campus, ctx.now):
        ctx.say("hours-open")
    else:  # as /order would answer: an errand may be scheduled only within the next hours still open today
        ctx.say("hours-closed", later="yes" if window_offers(ctx) else "no")


def pause_end(ctx: Ctx, when: str) -> dt.datetime:
    """'18:00' (its next time in campus time), '30', '45分钟', '2h' (from now) → the moment the pause ends."""
    if m := CLOCK.fullmatch(when):
        local = ctx.now.astimezone(ctx.campus.tz)
        try:
            at = dt.datetime.combine(local.date(), dt.time(int(m[1]), int(m[2])), ctx.campus.tz)
        except ValueError:  # 25:00
            raise InvalidInput("admin-pause-when-invalid", text=quoted(when)) from None
        return at if at > ctx.now else at + dt.timedelta(days=1)
    minutes = parse_minutes(when)
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
        until = pause_end(ctx, args[0])
        args = args[1:]
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
    ctx.say("admin-resumed", open="yes" if in_service_hours(ctx.campus, ctx.now) else "no", hours=hours_text(ctx))
    await tell_other_operators(ctx, "admin-resumed-by")
