"""Which messages of a chat show an item's card (an operators' list entry with buttons: an application, a withdrawal,
a complaint; a runner's order card), so that a decision taken another way (a typed command, another copy of the card)
edits them too.

Kept as the outbox keeps what a message shows: a sent row of the chat whose sent_ref is "<chat>:<message>" and whose
edit_key names the card, "card:<item>@<unique>". A card a channel sent at once is recorded with `shown`; one it
queued in the outbox carries such a key itself and gets its sent_ref when the sender sends it. Each message has a key
of its own: the sender edits the message showing a pending row's key, and a new list is new messages. An operators'
card's key does not end in ":<digits>" (no order's: storage.outbox.order_of), so these rows are pruned with the others
after a week; a card older than that is no longer known here, and a press on it is answered as ever. A runner's order
card (`runner_item`: what the student wrote, while the order is theirs) must be edited when their part ends, however
long that takes: its key ends in the order's id, so it is kept while the order is active, as every order-scoped key.

The same card may be shown in several chats (a campus's admin chat, operators' private chats): a decision edits the
copies in the chat it was taken in at once (`showing`), and every other copy (`elsewhere`: other chats', and cards
still queued) through the outbox, as a pending row with that message's own key, which the sender turns into an edit
of it.

A runner may ask for an order's card again and again (/track): each one shown is kept up to date while the order is
theirs and edited without what the student wrote when their part ends (`everywhere`: all of them, however many). So
that few are, a new one retires the older ones past the newest RUNNER_LIVE (`retire`): edited to show nothing of the
order, they are left out from then on.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, not_, select

from storage.db import DbSession
from storage.models import Outbox
from storage.sql import insert_ignore

PREFIX = "card:"
RUNNER_CARD = "track/"  # a runner's card of an order, "track/<order>/<runner>"
SHOWING_LIMIT = 20  # the newest messages of a chat that show one card (a list asked for again and again)
ELSEWHERE_LIMIT = 100  # and of all other chats together (a few operators, each perhaps with a few lists)
RUNNER_LIVE = 5  # a runner's cards of one order kept up to date (each showing what the student wrote); older retire
RETIRED = "retired:"  # the edit_key of the row that marks a card retired: "retired:<the card's key>"
IN_BATCH = 500  # keys looked up per query


def runner_item(order_id: int, runner_id: int) -> str:
    """The item of the order's card as its runner sees it (handlers.tracking.show_card)."""
    return f"{RUNNER_CARD}{order_id}/{runner_id}"


def card_key(item: str, unique: str | None = None) -> str:
    """The edit_key of one message showing the item's card ("application/12"); a runner's order card's ends in
    ":<order id>", as an order-scoped key (storage.outbox.order_of)."""
    key = f"{PREFIX}{item}@{unique or secrets.token_hex(6)}"
    if item.startswith(RUNNER_CARD):
        key += ":" + item.removeprefix(RUNNER_CARD).split("/", 1)[0]
    return key


async def shown(session: DbSession, channel: str, chat: str, item: str, message: str, now: dt.datetime, *,
                photo: bool = False) -> None:
    """A channel says that message `message` of `chat` shows the item's card (sent at once, not through the outbox);
    `photo`: the card is a photo's caption, which an edit of it changes (as the outbox sender reads such a row)."""
    await insert_ignore(session, Outbox, {
        "dedupe_key": f"{channel}:card:{chat}:{message}:{item}"[:160], "channel": channel, "recipient": chat,
        "payload": {"photo": True} if photo else {}, "status": "sent", "next_attempt_at": now, "created_at": now,
        "sent_at": now, "attempts": 0, "last_error": "", "edit_key": card_key(item, f"m{message}"),
        "sent_ref": f"{chat}:{message}"}, ["dedupe_key"])


def _shown_in(channel: str, chat: str, item: str) -> tuple[Any, ...]:
    """The rows of the messages of `chat` known to show the item's card."""
    return (Outbox.channel == channel, Outbox.recipient == chat, Outbox.status == "sent",
            Outbox.edit_key.like(f"{PREFIX}{item}@%"))


async def showing(session: DbSession, channel: str, chat: str, item: str) -> list[str]:
    """The messages of `chat` known to show the item's card, oldest first."""
    refs = await session.scalars(
        select(Outbox.sent_ref).where(*_shown_in(channel, chat, item), Outbox.sent_ref.is_not(None))
        .order_by(Outbox.id.desc()).limit(SHOWING_LIMIT))
    return list(dict.fromkeys(ref.rsplit(":", 1)[1] for ref in reversed(list(refs))))


async def known_since(session: DbSession, channel: str, chat: str, item: str, message: str) -> dt.datetime | None:
    """Since when message `message` of `chat` has been known to show the item's card; None if it is not."""
    return await session.scalar(
        select(Outbox.sent_at).where(*_shown_in(channel, chat, item), Outbox.sent_ref == f"{chat}:{message}")
        .order_by(Outbox.sent_at).limit(1))


@dataclass(frozen=True)
class Copy:
    """A message of another chat that shows a card, or a card queued for one: what an edit of it is written to."""

    channel: str
    chat: str
    edit_key: str  # its own key (card_key): a pending row with it edits that message, or replaces the queued card


async def elsewhere(session: DbSession, item: str, channel: str, chat: str) -> list[Copy]:
    """The item's cards that `showing` does not give for `chat` of `channel`, oldest first: those shown in other
    chats, and those still waiting in the outbox, in any chat (a row with the same key then takes the waiting one's
    place, so the card goes out decided; a busy admin chat's list overflows into the outbox)."""
    return await _copies(session, item, not_(and_(Outbox.channel == channel, Outbox.recipient == chat,
                                                  Outbox.status == "sent")))


async def everywhere(session: DbSession, item: str, since: dt.datetime | None = None) -> list[Copy]:
    """Every message known to show the item's card, in any chat, and every copy still waiting, oldest first, however
    many (a runner's cards of an order: none may keep what the student wrote once their part ends), but those
    retired (`retire`); `since`: only those shown (or edited) since then."""
    copies = await _copies(session, item, *([Outbox.created_at >= since] if since is not None else []), limit=None)
    retired: set[str] = set()
    for start in range(0, len(copies), IN_BATCH):
        markers = [RETIRED + c.edit_key for c in copies[start:start + IN_BATCH]]
        retired.update(await session.scalars(select(Outbox.edit_key).where(Outbox.edit_key.in_(markers))))
    return [c for c in copies if RETIRED + c.edit_key not in retired]


async def retire(session: DbSession, copies: list[Copy], now: dt.datetime) -> None:
    """These cards are no longer kept up to date, nor edited when the item's part ends (`everywhere` leaves them
    out): the caller has edited them to show nothing of it. Marked as pieces are (a sent row with no message of its
    own), under a key that ends as theirs does, so it is kept as long as they are."""
    for copy in copies:
        await insert_ignore(session, Outbox, {
            "dedupe_key": f"{copy.channel}:retired:{copy.chat}:{copy.edit_key}"[:160], "channel": copy.channel,
            "recipient": copy.chat, "payload": {}, "status": "sent", "next_attempt_at": now, "created_at": now,
            "sent_at": now, "attempts": 0, "last_error": "", "edit_key": RETIRED + copy.edit_key, "sent_ref": None},
            ["dedupe_key"])


async def retired(session: DbSession, channel: str, chat: str, item: str, message: str) -> bool:
    """Whether message `message` of `chat`, showing the item's card, was retired (`retire`): edited to show nothing
    of it, and left out of every later edit, so it must not be drawn in full again."""
    key = RETIRED + card_key(item, f"m{message}")
    return await session.scalar(select(Outbox.id).where(
        Outbox.channel == channel, Outbox.recipient == chat, Outbox.edit_key == key).limit(1)) is not None


async def _copies(session: DbSession, item: str, *where: Any, limit: int | None = ELSEWHERE_LIMIT) -> list[Copy]:
    """The item's cards, one per message (however often each was edited), oldest first; `limit`: the newest this
    many."""
    query = (select(Outbox.channel, Outbox.recipient, Outbox.edit_key)
             .where(Outbox.edit_key.like(f"{PREFIX}{item}@%"), Outbox.status.in_(("sent", "pending")), *where)
             .group_by(Outbox.channel, Outbox.recipient, Outbox.edit_key)
             .order_by(func.min(Outbox.id).desc()))
    rows = await session.execute(query if limit is None else query.limit(limit))
    return [Copy(c, r, k) for c, r, k in reversed(rows.all())]


# A reply too long for one message is sent in pieces, its buttons under the last (bot/telegram/render.py). An edit
# that replaces that last message (a decision, a refreshed order card) brings the earlier pieces up to date too, so
# no piece of it keeps what no longer holds: which they are is kept here, by the last one's id, as a sent row with
# no message of its own (no sent_ref), pruned with the others.
PIECES_PREFIX = "pieces:"


async def pieces_shown(session: DbSession, channel: str, chat: str, message: str, earlier: list[str],
                       now: dt.datetime) -> None:
    """Message `message` of `chat` is the last piece of a reply whose earlier pieces are `earlier`, in order."""
    await insert_ignore(session, Outbox, {
        "dedupe_key": f"{channel}:pieces:{chat}:{message}"[:160], "channel": channel, "recipient": chat,
        "payload": {"earlier": earlier}, "status": "sent", "next_attempt_at": now, "created_at": now,
        "sent_at": now, "attempts": 0, "last_error": "", "edit_key": f"{PIECES_PREFIX}{chat}/{message}",
        "sent_ref": None}, ["dedupe_key"])


async def earlier_pieces(session: DbSession, channel: str, chat: str, messages: list[str]) -> dict[str, list[str]]:
    """Of these messages of `chat`, those known to be the last piece of a reply: its earlier pieces, in order."""
    if not messages:
        return {}
    keys = {f"{PIECES_PREFIX}{chat}/{m}": m for m in messages}
    rows = await session.execute(
        select(Outbox.edit_key, Outbox.payload)
        .where(Outbox.channel == channel, Outbox.recipient == chat, Outbox.edit_key.in_(list(keys))))
    return {keys[key]: [str(m) for m in (payload or {}).get("earlier", [])] for key, payload in rows.all()}
