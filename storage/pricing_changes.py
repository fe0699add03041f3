"""Pricing rules operators changed from chat (/pricing), per campus: read wherever an errand is priced (with the
service hours, storage.campus_changes), by every process from the database, so a change made in one process prices
the next quote in all of them."""
from __future__ import annotations

from sqlalchemy import delete

from storage.db import DbSession
from storage.models import PricingChange
from storage.sql import upsert


async def change(session: DbSession, changed: PricingChange) -> None:
    """Sets the rule, in place of any earlier change of it."""
    await upsert(session, PricingChange, {"campus_id": changed.campus_id, "rule": changed.rule,
                                          "amount": changed.amount, "changed_by": changed.changed_by,
                                          "changed_at": changed.changed_at}, ["campus_id", "rule"])


async def reset(session: DbSession, campus_id: str, rule: str) -> bool:
    """Back to the campus file's value; False if the rule was not changed."""
    done = await session.execute(delete(PricingChange).where(PricingChange.campus_id == campus_id,
                                                             PricingChange.rule == rule))
    return done.rowcount == 1
