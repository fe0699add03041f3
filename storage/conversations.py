"""Where each person is in a conversation: their private one read with their user row (storage/lookups.py), their
one in a group that answers in the group (the operators' chat, "<user>@<chat>") read alone with `load`; written back
with one upsert at the end of each input that changed it, and never while it is still as blank as no row. Not an ORM
object: the ORM's flush cost more than the write itself, and most inputs write it (the step token changes each
step)."""
from __future__ import annotations

import copy
import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select

from storage.db import DbSession
from storage.models import Conversation
from storage.sql import run_core, upsert

CONVERSATION_BY_ADDRESS = select(Conversation.state, Conversation.data).where(
    Conversation.channel == bindparam("channel"), Conversation.external_id == bindparam("external_id"))


def _fresh_data() -> dict[str, Any]:
    return {"_token": secrets.token_hex(3)}


@dataclass
class ConversationState:
    state: str = "idle"
    data: dict[str, Any] = field(default_factory=_fresh_data)
    # What the database holds (state, data) when this was read from it; None for a conversation not stored yet.
    stored: tuple[str, dict[str, Any]] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def loaded(cls, state: str, data: dict[str, Any]) -> ConversationState:
        """The conversation as read from its row; handlers may change data in place, so the copy is kept apart."""
        return cls(state, data, stored=(state, copy.deepcopy(data)))

    @property
    def changed(self) -> bool:
        return self.stored != (self.state, self.data)

    @property
    def blank(self) -> bool:
        """Never stored and still idle with nothing but a token, which no step checks while idle: the same as no
        row, so there is nothing to write (chatter or a refused press in the operators' chat, a first hello)."""
        return self.stored is None and self.state == "idle" and self.data.keys() <= {"_token"}


async def load(session: DbSession, channel: str, external_id: str) -> ConversationState | None:
    """The conversation alone, where it is not read with the user row: the sender's in the operators' chat (App), the
    grab's withdrawal of the location button, a first live position not kept; None if none is stored."""
    found = (await run_core(session, CONVERSATION_BY_ADDRESS, {"channel": channel, "external_id": external_id})).first()
    return ConversationState.loaded(found.state, found.data) if found is not None else None


async def save(session: DbSession, channel: str, external_id: str, conv: ConversationState,
               now: dt.datetime) -> None:
    """Writes the conversation if this input changed it (reading a list or a status leaves it as it was)."""
    if not conv.changed or conv.blank:
        return
    await upsert(session, Conversation, {"channel": channel, "external_id": external_id, "state": conv.state,
                                         "data": conv.data, "updated_at": now}, ["channel", "external_id"])
