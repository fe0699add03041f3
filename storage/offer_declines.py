"""Who passed on an order offered to them alone (declined it, or let the offer lapse), so that auto-dispatch does
not offer them that order again when it comes back (given back by another runner, taken back, timed out)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage.db import DbSession
from storage.models import OfferDecline
from storage.sql import insert_ignore


async def record(session: DbSession, order_id: int, runner_id: int, now: dt.datetime, *, lapsed: bool) -> None:
    """In the transaction that ends the offer; the first pass is kept (a runner is not offered the order again)."""
    await insert_ignore(session, OfferDecline, {"order_id": order_id, "runner_id": runner_id, "lapsed": lapsed,
                                                "at": now}, ["order_id", "runner_id"])


async def decliners(session: DbSession, order_id: int) -> frozenset[int]:
    """The runners who passed on this order's offers."""
    return frozenset(await session.scalars(select(OfferDecline.runner_id).where(OfferDecline.order_id == order_id)))
