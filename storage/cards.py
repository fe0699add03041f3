"""Which messages of a chat show an item's card (an operators' list entry with buttons: an application, a withdrawal,
a complaint), so that a decision taken another way (a typed command, another copy of the card) edits them too.

Kept as the outbox keeps what a message shows: a sent row of the chat whose sent_ref is "<chat>:<message>" and whose
edit_key names the card, "card:<item>@<unique>". A card a channel sent at once is recorded with `shown`; one it
queued in the outbox carries such a key itself and gets its sent_ref when the sender sends it. Each message has a key
of its own: the sender edits the message showing a pending row's key, and a new list is new messages. No key ends in
":<digits>" (no order's: storage.outbox.order_of), so these rows are pruned with the others after a week; a card
older than that is no longer known here, and a press on it is answered as ever.
"""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select

from storage.db import DbSession
from storage.models import Outbox
from storage.sql import insert_ignore

PREFIX = "card:"
SHOWING_LIMIT = 20  # the newest messages of a chat that show one card (a list asked for again and again)


def card_key(item: str, unique: str | None = None) -> str:
    """The edit_key of one message showing the item's card ("application/12")."""
    return f"{PREFIX}{item}@{unique or secrets.token_hex(6)}"


async def shown(session: DbSession, channel: str, chat: str, item: str, message: str, now: dt.datetime, *,
                photo: bool = False) -> None:
    """A channel says that message `message` of `chat` shows the item's card (sent at once, not through the outbox);
    `photo`: the card is a photo's caption, which an edit of it changes (as the outbox sender reads such a row)."""
    await insert_ignore(session, Outbox, {
        "dedupe_key": f"{channel}:card:{chat}:{message}:{item}"[:160], "channel": channel, "recipient": chat,
        "payload": {"photo": True} if photo else {}, "status": "sent", "next_attempt_at": now, "created_at": now,
        "sent_at": now, "attempts": 0, "last_error": "", "edit_key": card_key(item, f"m{message}"),
        "sent_ref": f"{chat}:{message}"}, ["dedupe_key"])


async def showing(session: DbSession, channel: str, chat: str, item: str) -> list[str]:
    """The messages of `chat` known to show the item's card, oldest first."""
    refs = await session.scalars(
        select(Outbox.sent_ref)
        .where(Outbox.channel == channel, Outbox.recipient == chat, Outbox.status == "sent",
               Outbox.edit_key.like(f"{PREFIX}{item}@%"), Outbox.sent_ref.is_not(None))
        .order_by(Outbox.id.desc()).limit(SHOWING_LIMIT))
    return list(dict.fromkeys(ref.rsplit(":", 1)[1] for ref in reversed(list(refs))))
