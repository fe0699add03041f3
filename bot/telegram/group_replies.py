"""Answers in a campus admin chat (a Telegram group), within the group's rate windows.

Telegram allows about 20 messages a minute in a group (sender.py). A list command answers with a message per item,
so two lists in a minute would pass that, and a direct reply that waited out the 429s would hold the operator's
next updates (OnePerUser). So every message of an answer — an edit of the pressed message too: edits count like
messages — takes a slot of the outbox sender's own windows (the same TelegramRateLimiter: shared through Redis by
every process when configured), and goes out at once while the group's budget lasts. The rest, in order, is
handed to the outbox as rows for the chat (text and buttons, sealed like the operators' notifications:
storage.outbox), which the sender delivers within the limits. While earlier rows for the chat are still waiting
there, a new answer joins them, so the chat reads everything in order. A 429 is not waited for: the chat is held
for its retry_after (the sender honours the hold too) and the message goes to the outbox with the rest; so does it
after a network error or a 5xx (the sender retries it; it may then arrive twice, never not at all), and when the
group became a supergroup since the command (Telegram refuses the old id): the move is recorded, and the sender
sends the rows to the new chat.

A reply with a photo (an application's student-card photo) is sent with sendPhoto, its text as the caption and its
buttons under it (a text too long for a caption follows the photo); a queued one is a row with the `photo`, which
the sender sends the same way. A chart (a report's) is drawn and sent so too; a queued one is a row with the `chart`
(its figures), drawn when the sender sends it. A photo Telegram refuses is replaced by the text alone.

A queued edit is a row whose edit_key names the message it edits (pressed_key), beside a sent row recording that the
message shows that key (its sent_ref): the sender edits the message that shows a row's edit_key, so the pressed
message is edited in place, its buttons gone, when the group has room. The message a reply `replaces` (a card acted on
through a question or a confirmation, or decided by a command, named by its id) is edited the same way, at once or
queued; when it cannot be edited nothing is sent for it (the other replies said the news); a reply too long for one
message shows its last piece there, with its buttons (render.replacing_text), and the pieces before it (a long reply
sent at once in pieces is recorded so: storage.cards.pieces_shown) what render.spread gives them. An edit of a photo
changes its caption: the pressed message says whether it is one (the sent row records that it is, so the sender edits
the caption); one named by its id alone is edited as text, and as a caption when Telegram finds no text in it (so does
the sender).

A card (Reply.card: an application, a withdrawal, a complaint of a list) is recorded with the message showing it
(storage.cards): one sent at once with `cards.shown`, a queued one by its row's edit_key, which the sender gives the
message's sent_ref; so a decision taken by a command edits it, and one taken in another chat (handlers.notify
Notifier.card_decided, through the outbox).

A location keyboard is not offered here: Telegram shows request_location buttons in private chats only.
"""
from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from aiogram import Bot
from aiogram.exceptions import TelegramMigrateToChat, TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.types import Message
from sqlalchemy import select

from bot.telegram.render import (
    at_once,
    choices_keyboard,
    edit_message,
    edited_text,
    photo_caption,
    picture,
    replaced_id,
    replacing_text,
    send_photo,
    split_text,
    spread,
)
from bot.telegram.sender import CHANNEL, TelegramRateLimiter
from handlers.context import Services
from handlers.io import Chart, Choice, Reply
from storage import cards
from storage.db import Database
from storage.models import Outbox
from storage.outbox import queue, seal
from storage.sql import insert_ignore
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """A message of the chat that an answer edits instead of sending one."""

    message_id: int
    photo: bool | None  # whether it shows a photo (its text is its caption); None: not known
    replaced: bool = False  # named by its id alone (Reply.replaces): when it cannot be edited, nothing is sent
    # The chat it is in, when known: a group upgraded to a supergroup keeps its earlier messages, pressed there and
    # edited there, while the answer goes to the supergroup. None: the chat answered in.
    chat: int | None = None

    @classmethod
    def pressed(cls, message: Message) -> Target:
        """The message whose button was pressed, or the question a reply answers."""
        return cls(message.message_id, bool(message.photo), chat=message.chat.id)

    def where(self, chat_id: int) -> int:
        """The chat it is in, answering in `chat_id`."""
        return chat_id if self.chat is None else self.chat


@dataclass(frozen=True)
class Outgoing:
    """One message of an answer: a new one (with a photo, the text its caption), or an earlier one edited."""

    key: str  # the reply's catalogue key
    text: str
    choices: tuple[tuple[Choice, ...], ...] = ()
    edit: Target | None = None
    photo: str | None = None
    chart: Chart | None = None  # drawn and sent as its photo (a queued row keeps it so: Chart.to_json)
    card: str | None = None  # the item whose card this new message is (Reply.card)
    earlier: int = 0  # the last piece of a reply sent in pieces, with its buttons: how many came just before it

    def payload(self, edit_key: str | None) -> dict:
        """As handlers/notify.py writes an outbox row's payload."""
        payload = {"key": self.key, "text": self.text, "edit_key": edit_key,
                   "choices": [[{"label": c.label, "data": c.data} for c in row] for row in self.choices]}
        if self.edit is not None and self.edit.replaced:
            payload["replaced"] = True  # the sender sends nothing when it cannot edit it, as instead() says
        if self.chart is not None:
            payload["chart"] = self.chart.to_json()
        return {**payload, "photo": self.photo} if self.photo else payload

    @property
    def pictured(self) -> bool:
        """Sent as a photo (its text is the caption)."""
        return bool(self.photo) or self.chart is not None

    def instead(self) -> Outgoing | None:
        """What is sent when Telegram would not show this: the text as a new message (for a pressed message it
        cannot edit, a photo it refuses); nothing for a message a reply replaces, or a photo with no caption."""
        if (self.edit is not None and self.edit.replaced) or not (self.text or self.choices):
            return None
        return replace(self, edit=None, photo=None, chart=None)


def outgoing(replies: list[Reply], edit: Message | None,
             pieces: Mapping[int, Sequence[int]] | None = None) -> list[Outgoing]:
    """The messages the replies make, in order, as Renderer.send makes them: a long text in pieces (the buttons on
    the last one); the first reply marked `edit` replaces the pressed message when an edit can say it; a reply that
    `replaces` a message edits it (with its last piece, if it is too long for one message), and the pieces before it
    that `pieces` names (render.spread), or is left out."""
    pieces = pieces or {}
    messages: list[Outgoing] = []
    for reply in replies:
        if not reply.text.strip() and not reply.choices:
            continue
        choices_keyboard(reply.choices)  # a button Telegram would refuse is a handler's bug: raised now
        target = None
        if reply.replaces is not None:
            message_id = replaced_id(reply)
            target = Target(message_id, None, replaced=True) if message_id is not None else None
        elif reply.edit and edit is not None:
            target, edit = Target.pressed(edit), None
        text = None
        if target is not None:
            text = replacing_text(reply.text) if target.replaced else edited_text(reply.text, photo=target.photo)
        if target is not None and text is not None:
            if target.replaced:
                earlier = pieces.get(target.message_id, ())
                messages += [Outgoing(reply.key, piece, edit=Target(piece_id, False, replaced=True))
                             for piece_id, piece in zip(earlier, spread(reply.text, len(earlier))[:-1], strict=True)]
            messages.append(Outgoing(reply.key, text, reply.choices, target))
        elif reply.replaces is None:
            messages += sent_anew(reply)
    return messages


def sent_anew(reply: Reply) -> list[Outgoing]:
    """A reply as new messages: with its photo, the text as the caption when it fits one (else the photo, then the
    text); a long text in pieces, the buttons on the last one."""
    photo: list[Outgoing] = []
    if reply.photo or reply.chart is not None:
        caption = photo_caption(reply.text)
        if caption is not None:
            return [Outgoing(reply.key, caption, reply.choices, photo=reply.photo, chart=reply.chart,
                             card=reply.card)]
        photo = [Outgoing(reply.key, "", photo=reply.photo, chart=reply.chart)]
    pieces = split_text(reply.text)
    return [*photo, *(Outgoing(reply.key, piece) for piece in pieces[:-1]),
            Outgoing(reply.key, pieces[-1], reply.choices, card=reply.card,
                     earlier=len(pieces) - 1 if reply.choices else 0)]


def pressed_key(chat_id: int, message_id: int) -> str:
    """The edit_key of a queued edit of a message of the chat, pressed or replaced (no ":<order id>" at the end: no
    order's, storage.outbox)."""
    return f"pressed:{chat_id}/{message_id}"


async def replaced_pieces(db: Database, chat_id: int, replies: list[Reply]) -> dict[int, list[int]]:
    """The earlier pieces of the messages these replies `replaces` (a card acted on through another message or
    decided another way) that were the last piece of a long reply (storage.cards); read only when a reply replaces
    one with something new (not a question's step ending: Reply.restated)."""
    ids = [str(m) for r in replies if not r.restated and (m := replaced_id(r)) is not None]
    if not ids:
        return {}
    async with UnitOfWork(db, write=False) as uow:
        found = await cards.earlier_pieces(uow.session, CHANNEL, str(chat_id), ids)
    return {int(m): [int(p) for p in earlier] for m, earlier in found.items()}


class GroupReplies:
    def __init__(self, services: Services, bot: Bot, limiter: TelegramRateLimiter,
                 moved: Callable[[int, int], Awaitable[None]]) -> None:
        """moved: records that a group is a supergroup now (old id, new id), as its service messages would."""
        self.services = services
        self.bot = bot
        self.limiter = limiter
        self.moved = moved

    async def send(self, chat_id: int, replies: list[Reply], *, origin: str, edit: Message | None = None) -> None:
        """Answer in the group: at once what its budget allows, the rest through the outbox. `origin`: what the
        answer is to (the update's key), naming its queued rows."""
        waiting = deque(outgoing(replies, edit, await replaced_pieces(self.services.db, chat_id, replies)))
        if waiting and not await self._queued_before(chat_id):
            await self._send_while_budget_lasts(chat_id, waiting)
        if waiting:
            await self._queue(chat_id, list(waiting), origin)

    async def _send_while_budget_lasts(self, chat_id: int, waiting: deque[Outgoing]) -> None:
        """Sends from the front of `waiting` while the windows have a slot; what is left stays in it. The cards sent
        are recorded with their messages (storage.cards), and so are the pieces of a reply sent in pieces."""
        shown: list[tuple[Outgoing, int]] = []
        pieces: list[tuple[int, list[int]]] = []
        try:
            await self._send_each(chat_id, waiting, shown, pieces)
        finally:
            if shown or pieces:
                await self._record(chat_id, shown, pieces)

    async def _send_each(self, chat_id: int, waiting: deque[Outgoing], shown: list[tuple[Outgoing, int]],
                         pieces: list[tuple[int, list[int]]]) -> None:
        sent_anew: list[int] = []  # the messages sent, not edited, in order: a long reply's pieces among them
        while waiting and await self.limiter.acquire(chat_id, burst=True):
            message = waiting[0]
            try:
                message_id = await self._request(chat_id, message)
            except TelegramRetryAfter as exc:
                # Not waited for here: the operator's next update would wait with it.
                await self.limiter.hold(chat_id, exc.retry_after)
                log.warning("telegram 429 for group %s: its answers go through the outbox for %ss", chat_id,
                            exc.retry_after)
                return
            except (TelegramNetworkError, TelegramServerError) as exc:
                # The decision is committed: the rest is the sender's to deliver, with its retries. This message may
                # have gone out before the error (a connection lost on the way back): queued too, the chat may read
                # it twice, never miss it (as the outbox itself promises).
                log.warning("telegram %s for group %s: the rest of the answer goes through the outbox",
                            type(exc).__name__, chat_id)
                return
            except TelegramMigrateToChat as exc:
                # Upgraded to a supergroup since the command was sent (its service messages not read yet): the rest
                # of the answer, this message too, is queued for the old id, which the outbox sends to the new one.
                await self.moved(chat_id, exc.migrate_to_chat_id)
                return
            waiting.popleft()
            if message_id is None and (instead := message.instead()) is not None:
                waiting.appendleft(instead)  # e.g. the pressed message could not be edited: the outcome is new
            elif message_id is not None and message.edit is None:
                if message.card is not None:
                    shown.append((message, message_id))
                # Its earlier pieces went out just before it (the queue keeps their order: none was left behind).
                if message.earlier and len(sent_anew) >= message.earlier:
                    pieces.append((message_id, sent_anew[-message.earlier:]))
                sent_anew.append(message_id)

    async def _request(self, chat_id: int, message: Outgoing) -> int | None:
        """The id of the message Telegram shows it in as planned (an edit made, a photo taken), else None."""
        markup = choices_keyboard(message.choices)
        if message.edit is not None:
            edited = await edit_message(self.bot, message.edit.where(chat_id), message.edit.message_id, message.text,
                                        markup, photo=message.edit.photo, request=at_once)
            return message.edit.message_id if edited else None
        if (photo := await picture(message.photo, message.chart)) is not None:
            return await send_photo(self.bot, chat_id, photo, message.text, markup, request=at_once)
        sent = await self.bot.send_message(chat_id=chat_id, text=message.text, reply_markup=markup)
        return sent.message_id

    async def _record(self, chat_id: int, shown: list[tuple[Outgoing, int]],
                      pieces: list[tuple[int, list[int]]]) -> None:
        now = self.services.clock()
        async with UnitOfWork(self.services.db) as uow:
            for message, message_id in shown:
                assert message.card is not None
                await cards.shown(uow.session, CHANNEL, str(chat_id), message.card, str(message_id), now,
                                  photo=message.pictured)
            for last, earlier in pieces:
                await cards.pieces_shown(uow.session, CHANNEL, str(chat_id), str(last), [str(m) for m in earlier],
                                         now)

    async def _queued_before(self, chat_id: int) -> bool:
        """Whether rows for this chat still wait in the outbox (earlier answers, operators' notifications)."""
        query = (select(Outbox.id).where(Outbox.channel == CHANNEL, Outbox.recipient == str(chat_id),
                                         Outbox.status == "pending").limit(1))
        async with UnitOfWork(self.services.db, write=False) as uow:
            return await uow.session.scalar(query) is not None

    async def _queue(self, chat_id: int, messages: list[Outgoing], origin: str) -> None:
        now = self.services.clock()
        recipient = str(chat_id)
        async with UnitOfWork(self.services.db) as uow:
            for i, message in enumerate(messages):
                # A new card is found by its key once the sender has sent it (storage.cards).
                edit_key = cards.card_key(message.card) if message.card is not None and message.edit is None else None
                if message.edit is not None:
                    where = message.edit.where(chat_id)
                    edit_key = pressed_key(where, message.edit.message_id)
                    # The message shows this key (written first: a row older than the pending one); that it is a
                    # photo is kept as a sealed row keeps it (storage.outbox): the sender then edits its caption.
                    shown = {"photo": True} if message.edit.photo else {}
                    await insert_ignore(uow.session, Outbox, {
                        "dedupe_key": f"{CHANNEL}:shown:{edit_key}", "channel": CHANNEL, "recipient": recipient,
                        "payload": shown, "status": "sent", "next_attempt_at": now, "created_at": now, "sent_at": now,
                        "attempts": 0, "last_error": "", "edit_key": edit_key,
                        "sent_ref": f"{where}:{message.edit.message_id}"}, ["dedupe_key"])
                await queue(uow.session, dedupe_key=f"tg-reply:{origin}:{i}", channel=CHANNEL, recipient=recipient,
                            payload=seal(self.services.cipher, message.payload(edit_key)), now=now,
                            edit_key=edit_key)
        log.info("group %s: %d messages of an answer queued for the sender (rate limit, or earlier ones waiting)",
                 chat_id, len(messages))
