"""Remembering inputs already handled (a Telegram update_id, a WeChat MsgId, a payment notification), so a
repeat changes nothing. The database store serves one process or many; Redis shares it without a write."""
from __future__ import annotations

import datetime as dt
from typing import Protocol

from sqlalchemy import delete

from storage.db import DbSession
from storage.models import ProcessedUpdate
from storage.sql import insert_ignore
from storage.uow import UnitOfWork


class SeenKeys(Protocol):
    async def first_time(self, key: str, now: dt.datetime) -> bool:
        """True exactly once per key (within the retention time), however many processes ask at once."""


async def first_time_in(session: DbSession, key: str, now: dt.datetime) -> bool:
    """The key recorded in the caller's transaction: True if it is new (then it stays only if that commits)."""
    result = await insert_ignore(session, ProcessedUpdate, {"key": key[:96], "at": now}, ["key"])
    return result.rowcount == 1


async def seen_in(session: DbSession, key: str) -> bool:
    """Whether the key was recorded (first_time_in), without recording it."""
    return await session.get(ProcessedUpdate, key[:96]) is not None


class DatabaseSeenKeys:
    def __init__(self, db, retention: dt.timedelta = dt.timedelta(days=2)) -> None:  # noqa: ANN001
        self.db = db
        self.retention = retention

    async def first_time(self, key: str, now: dt.datetime) -> bool:
        async with UnitOfWork(self.db) as uow:
            return await first_time_in(uow.session, key, now)

    async def forget_before(self, now: dt.datetime) -> int:
        async with UnitOfWork(self.db) as uow:
            result = await uow.session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.at < now - self.retention))
            return result.rowcount


class RedisSeenKeys:
    def __init__(self, client, prefix: str = "paotui:seen:", retention: dt.timedelta = dt.timedelta(days=2)) -> None:  # noqa: ANN001
        self.client = client
        self.prefix = prefix
        self.retention = retention

    async def first_time(self, key: str, now: dt.datetime) -> bool:
        # SET NX is atomic on the server: of many processes asking at once, one gets True.
        return bool(await self.client.set(self.prefix + key, now.isoformat(), nx=True,
                                          ex=int(self.retention.total_seconds())))
