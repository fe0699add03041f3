"""Answers in a campus admin chat (a Telegram group), within the group's rate windows.

Telegram allows about 20 messages a minute in a group (sender.py). A list command answers with a message per item,
so two lists in a minute would pass that, and a direct reply that waited out the 429s would hold the operator's
next updates (OnePerUser). So every message of an answer — an edit of the pressed message too: edits count like
messages — takes a slot of the outbox sender's own windows (the same TelegramRateLimiter: shared through Redis by
every process when configured), and goes out at once while the group's budget lasts. The rest, in order, is
handed to the outbox as rows for the chat (text and buttons, sealed like the operators' notifications:
storage.outbox), which the sender delivers within the limits. While earlier rows for the chat are still waiting
there, a new answer joins them, so the chat reads everything in order. A 429 is not waited for: the chat is held
for its retry_after (the sender honours the hold too) and the message goes to the outbox with the rest.

A queued edit is a row whose edit_key names the pressed message, beside a sent row recording that the message
shows that key (its sent_ref): the sender edits the message that shows a row's edit_key, so the pressed message is
edited in place, its buttons gone, when the group has room.

A location keyboard is not offered here: Telegram shows request_location buttons in private chats only.
"""
from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, replace

from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from aiogram.types import Message
from sqlalchemy import select

from bot.telegram.render import choices_keyboard, edit_text, split_text
from bot.telegram.sender import CHANNEL, TelegramRateLimiter
from handlers.context import Services
from handlers.io import Choice, Reply
from storage.models import Outbox
from storage.outbox import seal
from storage.sql import insert_ignore
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """One message of an answer: a new one, or the pressed message edited."""

    key: str  # the reply's catalogue key
    text: str
    choices: tuple[tuple[Choice, ...], ...] = ()
    edit: Message | None = None

    def payload(self, edit_key: str | None) -> dict:
        """As handlers/notify.py writes an outbox row's payload."""
        return {"key": self.key, "text": self.text, "edit_key": edit_key,
                "choices": [[{"label": c.label, "data": c.data} for c in row] for row in self.choices]}


def outgoing(replies: list[Reply], edit: Message | None) -> list[Outgoing]:
    """The messages the replies make, in order, as Renderer.send makes them: a long text in pieces (the buttons on
    the last one); the first reply marked `edit` replaces the pressed message when it fits in one."""
    messages: list[Outgoing] = []
    for reply in replies:
        if not reply.text.strip() and not reply.choices:
            continue
        choices_keyboard(reply.choices)  # a button Telegram would refuse is a handler's bug: raised now
        pieces = split_text(reply.text)
        target = edit if reply.edit else None
        if target is not None:
            edit = None
            if len(pieces) == 1:
                messages.append(Outgoing(reply.key, pieces[0], reply.choices, target))
                continue
        messages += [Outgoing(reply.key, piece) for piece in pieces[:-1]]
        messages.append(Outgoing(reply.key, pieces[-1], reply.choices))
    return messages


def pressed_key(chat_id: int, message_id: int) -> str:
    """The edit_key of a queued edit of a pressed message (no ":<order id>" at the end: no order's, storage.outbox)."""
    return f"pressed:{chat_id}/{message_id}"


class GroupReplies:
    def __init__(self, services: Services, bot: Bot, limiter: TelegramRateLimiter) -> None:
        self.services = services
        self.bot = bot
        self.limiter = limiter

    async def send(self, chat_id: int, replies: list[Reply], *, origin: str, edit: Message | None = None) -> None:
        """Answer in the group: at once what its budget allows, the rest through the outbox. `origin`: what the
        answer is to (the update's key), naming its queued rows."""
        waiting = deque(outgoing(replies, edit))
        if waiting and not await self._queued_before(chat_id):
            await self._send_while_budget_lasts(chat_id, waiting)
        if waiting:
            await self._queue(chat_id, list(waiting), origin)

    async def _send_while_budget_lasts(self, chat_id: int, waiting: deque[Outgoing]) -> None:
        """Sends from the front of `waiting` while the windows have a slot; what is left stays in it."""
        while waiting and await self.limiter.acquire(chat_id, burst=True):
            message = waiting[0]
            try:
                shown = await self._request(chat_id, message)
            except TelegramRetryAfter as exc:
                # Not waited for here: the operator's next update would wait with it.
                await self.limiter.hold(chat_id, exc.retry_after)
                log.warning("telegram 429 for group %s: its answers go through the outbox for %ss", chat_id,
                            exc.retry_after)
                return
            waiting.popleft()
            if not shown:  # the pressed message could not be edited: the outcome is a new message
                waiting.appendleft(replace(message, edit=None))

    async def _request(self, chat_id: int, message: Outgoing) -> bool:
        markup = choices_keyboard(message.choices)
        if message.edit is not None:
            return await edit_text(self.bot.edit_message_text, message.edit, message.text, markup)
        await self.bot.send_message(chat_id=chat_id, text=message.text, reply_markup=markup)
        return True

    async def _queued_before(self, chat_id: int) -> bool:
        """Whether rows for this chat still wait in the outbox (earlier answers, operators' notifications)."""
        query = (select(Outbox.id).where(Outbox.channel == CHANNEL, Outbox.recipient == str(chat_id),
                                         Outbox.status == "pending").limit(1))
        async with UnitOfWork(self.services.db, write=False) as uow:
            return await uow.session.scalar(query) is not None

    async def _queue(self, chat_id: int, messages: list[Outgoing], origin: str) -> None:
        now = self.services.clock()
        recipient = str(chat_id)
        row = {"channel": CHANNEL, "recipient": recipient, "next_attempt_at": now, "created_at": now, "attempts": 0,
               "last_error": ""}
        async with UnitOfWork(self.services.db) as uow:
            for i, message in enumerate(messages):
                edit_key = None
                if message.edit is not None:
                    edit_key = pressed_key(chat_id, message.edit.message_id)
                    # The pressed message shows this key (written first: a row older than the pending one).
                    await insert_ignore(uow.session, Outbox, {
                        **row, "dedupe_key": f"{CHANNEL}:shown:{edit_key}", "payload": {}, "status": "sent",
                        "sent_at": now, "edit_key": edit_key,
                        "sent_ref": f"{message.edit.chat.id}:{message.edit.message_id}"}, ["dedupe_key"])
                await insert_ignore(uow.session, Outbox, {
                    **row, "dedupe_key": f"tg-reply:{origin}:{i}", "status": "pending", "edit_key": edit_key,
                    "payload": seal(self.services.cipher, message.payload(edit_key))}, ["dedupe_key"])
        log.info("group %s: %d messages of an answer queued for the sender (rate limit, or earlier ones waiting)",
                 chat_id, len(messages))
