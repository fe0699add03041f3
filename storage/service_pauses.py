"""Ordering paused by an operator (/pause), per campus: read where an order starts and where it is placed, by every
process from the database, so a pause taken in one process holds in all of them at once."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, or_

from storage.db import DbSession
from storage.models import ServicePause
from storage.sql import upsert


async def current(session: DbSession, campus_id: str, now: dt.datetime) -> ServicePause | None:
    """The campus's pause in force at `now`, if any."""
    row = await session.get(ServicePause, campus_id, populate_existing=True)
    if row is None or (row.until is not None and row.until <= now):
        return None
    return row


async def pause(session: DbSession, paused: ServicePause) -> None:
    """Pauses the campus's ordering as `paused` says (until None: until resumed), in place of any earlier pause. The
    row is written as given, not added to the session: the caller keeps it to say what was decided."""
    await upsert(session, ServicePause, {"campus_id": paused.campus_id, "until": paused.until, "reason": paused.reason,
                                         "paused_by": paused.paused_by, "paused_at": paused.paused_at}, ["campus_id"])


async def resume(session: DbSession, campus_id: str, now: dt.datetime) -> bool:
    """Ends the campus's pause; False if none was in force (then nothing changes). One statement, so of two
    operators resuming at once only one is told they did."""
    ended = await session.execute(delete(ServicePause).where(
        ServicePause.campus_id == campus_id, or_(ServicePause.until.is_(None), ServicePause.until > now)))
    return ended.rowcount == 1
