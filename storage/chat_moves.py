"""Chats that moved to a new id: a Telegram group upgraded to a supergroup is a new chat, and its old id refuses
every request. The campus file (config) names the old id until an operator edits it, so the move is kept in the
database, where every process finds it, and every place that resolves a campus's task hall or admin chat goes
through `ChatMoves.resolve` (handlers.notify hall_chats and operator_chats, the Telegram adapter, its menus).

Each process keeps the moves in memory: read at start, read again by the outbox sender at most every REFRESH (a
move another process learned), and added to at once when this process learns one. A message written for the old id
meanwhile is redirected by the sender, which also resolves: nothing waits for a chat that no longer exists.

The messages shown before the move stay where Telegram keeps them, in the old group under their ids (the supergroup
numbers its own anew, so an old id there names another message): their rows become the new chat's, as the chat's
history, but keep their sent_ref, the old group's message, which their later edits change.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from storage.db import Database
from storage.models import ChatMove, Outbox
from storage.sql import upsert
from storage.uow import UnitOfWork

REFRESH = dt.timedelta(seconds=60)
MAX_HOPS = 8  # a chat moved again after a move (not seen on Telegram) is followed, a cycle is not


class ChatMoves:
    """The chat moves this process knows (channel, old id) → new id."""

    def __init__(self) -> None:
        self._moves: dict[tuple[str, str], str] = {}
        self._read_at: dt.datetime | None = None

    def resolve(self, channel: str, chat: str) -> str:
        """The id `chat` answers from now: itself unless it moved."""
        for _ in range(MAX_HOPS):
            moved = self._moves.get((channel, chat))
            if moved is None:
                break
            chat = moved
        return chat

    def known(self, channel: str, old: str, new: str) -> bool:
        return self.resolve(channel, old) == new

    def origin(self, channel: str, chat: str) -> str:
        """The id `chat` had first: the group a supergroup was (itself when it never moved). The same people read
        both, so the rate windows count them as one chat (bot.telegram.sender)."""
        back = {new: old for (ch, old), new in self._moves.items() if ch == channel}
        for _ in range(MAX_HOPS):
            if chat not in back:
                break
            chat = back[chat]
        return chat

    async def refresh(self, db: Database, now: dt.datetime, *, every: dt.timedelta = REFRESH) -> None:
        """Read the moves again when they were last read more than `every` ago (or never)."""
        if self._read_at is not None and now - self._read_at < every:
            return
        async with UnitOfWork(db, write=False) as uow:
            found = (await uow.session.execute(select(ChatMove.channel, ChatMove.old_chat, ChatMove.new_chat))).all()
        self._moves = {(channel, old): new for channel, old, new in found}
        self._read_at = now

    async def record(self, db: Database, channel: str, old: str, new: str, now: dt.datetime) -> int:
        """Chat `old` is `new` from now on: kept, and its pending messages are redirected there (`redirect`), in one
        transaction. Recording a move again changes nothing but redirects what was written for `old` meanwhile."""
        if old == new:
            return 0
        async with UnitOfWork(db) as uow:
            await upsert(uow.session, ChatMove, {"channel": channel, "old_chat": old, "new_chat": new,
                                                 "moved_at": now}, ["channel", "old_chat"])
            redirected = await _redirect(uow, channel, old, new, now)
        self._moves[(channel, old)] = new
        return redirected

    async def redirect(self, db: Database, channel: str, old: str, now: dt.datetime) -> int:
        """The pending messages for `old`, which moved, are for the chat it is now (due at once)."""
        async with UnitOfWork(db) as uow:
            return await _redirect(uow, channel, old, self.resolve(channel, old), now)


async def _redirect(uow: UnitOfWork, channel: str, old: str, new: str, now: dt.datetime) -> int:
    """The messages waiting for `old`, for `new` and due at once: one waiting for a hold or a backoff of the old chat
    has nothing to wait for in the new one, and one a sender has claimed was on its way to a chat that refuses it
    (that sender finds it gone). Those shown already become the new chat's too, still shown where they were
    (sent_ref): the posts its later edits find. How many were waiting."""
    if old == new:
        return 0
    result = await uow.session.execute(
        update(Outbox).where(Outbox.channel == channel, Outbox.recipient == old, Outbox.status == "pending")
        .values(recipient=new, next_attempt_at=now).execution_options(synchronize_session=False))
    await uow.session.execute(
        update(Outbox).where(Outbox.channel == channel, Outbox.recipient == old, Outbox.status == "sent")
        .values(recipient=new).execution_options(synchronize_session=False))
    return result.rowcount
