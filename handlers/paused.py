"""Whether a campus's ordering is paused by its operators (/pause, handlers.service_hours), and how to say so."""
from __future__ import annotations

from core.errors import InvalidInput
from handlers.context import Ctx
from storage import service_pauses
from storage.models import ServicePause


def end_text(ctx: Ctx, pause: ServicePause) -> str:
    """When the pause ends, in campus time: '18:30', or '11-25 18:30' on another day; '' when it waits for /resume."""
    if pause.until is None:
        return ""
    tz = ctx.campus.tz
    local = pause.until.astimezone(tz)
    return local.strftime("%H:%M" if local.date() == ctx.now.astimezone(tz).date() else "%m-%d %H:%M")


def pause_args(ctx: Ctx, pause: ServicePause) -> dict[str, str]:
    return {"until": end_text(ctx, pause) or "-", "ends": "at" if pause.until is not None else "resume",
            "reason": pause.reason or "-", "has_reason": "yes" if pause.reason else "no"}


async def refuse_if_paused(ctx: Ctx) -> None:
    """Refuses a new order while the campus's ordering is paused, saying until when and why."""
    pause = await service_pauses.current(ctx.uow.session, ctx.campus.id, ctx.now)
    if pause is not None:
        raise InvalidInput("order-paused", **pause_args(ctx, pause))
