"""The campus as its errands are priced now: the campus file's pricing rules with the changes its operators made
from chat (/pricing, handlers.pricing_rules), read from the database so every process prices alike."""
from __future__ import annotations

from core import pricing_rules
from core.campus import Campus
from handlers.context import Ctx
from storage import pricing_changes


async def priced_campus(ctx: Ctx) -> Campus:
    changes = await pricing_changes.of_campus(ctx.uow.session, ctx.campus.id)
    return pricing_rules.with_rules(ctx.campus, changes) if changes else ctx.campus
