"""Service hours operators set from chat (/hours set), per campus, in place of the campus file's; read with the
pricing changes (storage.campus_changes), by every process from the database, so a change holds in all at once."""
from __future__ import annotations

from sqlalchemy import delete

from storage.db import DbSession
from storage.models import HoursChange
from storage.sql import upsert


async def change(session: DbSession, changed: HoursChange) -> None:
    """Sets the campus's hours, in place of any earlier change."""
    await upsert(session, HoursChange, {"campus_id": changed.campus_id, "windows": changed.windows,
                                        "changed_by": changed.changed_by, "changed_at": changed.changed_at},
                 ["campus_id"])


async def reset(session: DbSession, campus_id: str) -> bool:
    """Back to the campus file's hours; False if they were not changed."""
    done = await session.execute(delete(HoursChange).where(HoursChange.campus_id == campus_id))
    return done.rowcount == 1
