"""Where each person is in a conversation: read with their user row (storage/lookups.py), written back with one
upsert at the end of each input. Not an ORM object: the ORM's flush cost more than the write itself, and every
input writes it (its step token changes each step)."""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation

TABLE = Conversation.__table__


def _fresh_data() -> dict[str, Any]:
    return {"_token": secrets.token_hex(3)}


@dataclass
class ConversationState:
    state: str = "idle"
    data: dict[str, Any] = field(default_factory=_fresh_data)


@lru_cache(maxsize=None)
def _upsert(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(TABLE)
    return statement.on_conflict_do_update(
        index_elements=[TABLE.c.channel, TABLE.c.external_id],
        set_={"state": statement.excluded.state, "data": statement.excluded.data,
              "updated_at": statement.excluded.updated_at})


async def save(session: AsyncSession, channel: str, external_id: str, conv: ConversationState,
               now: dt.datetime) -> None:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    await session.execute(_upsert(dialect), {"channel": channel, "external_id": external_id, "state": conv.state,
                                             "data": conv.data, "updated_at": now})
