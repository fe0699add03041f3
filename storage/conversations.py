"""Where each person is in a conversation: read with their user row (storage/lookups.py), written back with one
upsert at the end of each input. Not an ORM object: the ORM's flush cost more than the write itself, and every
input writes it (its step token changes each step)."""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from storage.db import DbSession
from storage.models import Conversation
from storage.sql import upsert


def _fresh_data() -> dict[str, Any]:
    return {"_token": secrets.token_hex(3)}


@dataclass
class ConversationState:
    state: str = "idle"
    data: dict[str, Any] = field(default_factory=_fresh_data)


async def save(session: DbSession, channel: str, external_id: str, conv: ConversationState,
               now: dt.datetime) -> None:
    await upsert(session, Conversation, {"channel": channel, "external_id": external_id, "state": conv.state,
                                         "data": conv.data, "updated_at": now}, ["channel", "external_id"])
