"""Starting and stopping the Telegram bot (run_telegram), against the fake Bot API on SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.telegram.sender import TelegramSender
from storage.models import Outbox
from storage.uow import UnitOfWork
from tests.bot.test_sender import queue
from tests.bot.test_telegram_adapter import until
from tests.factories import CIPHER

# --- a stop lets the sender finish the message on its way -----------------------------------------------------------

async def test_a_stopping_sender_finishes_its_request_and_takes_no_more(fake_bot_api, bot, db, clock):
    first = await queue(db, 1001, "first", at=clock())
    second = await queue(db, 1002, "second", at=clock())
    fake_bot_api.hold_until("sendMessage", 2, timeout=0.3)
    stop = asyncio.Event()
    sender = TelegramSender(db, bot, clock, cipher=CIPHER)
    running = asyncio.create_task(sender.run_forever(stop))
    await until(lambda: "sendmessage" in fake_bot_api.gates and fake_bot_api.gates["sendmessage"].arrived)
    stop.set()
    await asyncio.wait_for(running, 5)
    async with UnitOfWork(db, write=False) as uow:
        rows = {r.id: r for r in (await uow.session.scalars(select(Outbox))).all()}
    assert rows[first].status == "sent"
    assert rows[second].status == "pending" and rows[second].next_attempt_at <= clock()  # due at the next start
    assert [c.params["text"] for c in fake_bot_api.calls("sendMessage")] == ["first"]


async def test_a_sender_cancelled_mid_request_gives_its_rows_back(fake_bot_api, bot, db, clock):
    row = await queue(db, 1001, "hello", at=clock())
    fake_bot_api.hold_until("sendMessage", 2, timeout=5)
    sender = TelegramSender(db, bot, clock, cipher=CIPHER)
    running = asyncio.create_task(sender.run_forever())
    await until(lambda: "sendmessage" in fake_bot_api.gates and fake_bot_api.gates["sendmessage"].arrived)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    async with UnitOfWork(db, write=False) as uow:
        left = await uow.session.get(Outbox, row)
    # Due again now, not hidden for the 5-minute lease of a sender that died.
    assert left.status == "pending" and left.next_attempt_at <= clock()
