"""An order announced in the hall again (the sweep's reminder, or back after a release) is a new post at the bottom
of the chat, where runners look, not an edit of its first post far up; later changes edit the newest post."""
from __future__ import annotations

import itertools

from aiogram import Bot

from storage.db import Database
from storage.models import Outbox
from storage.uow import UnitOfWork
from tests.bot.fake_bot_api import FakeBotAPI
from tests.bot.test_sender import HALL, card, make_sender, queue, rows, virtual_time  # noqa: F401 - a fixture
from tests.conftest import FakeClock

_rows = itertools.count(1)


async def queue_announcement(db: Database, order: int, text: str, at, *, repost: bool) -> int:  # noqa: ANN001
    """A hall row as handlers/notify.py Notifier.hall writes it."""
    payload = {"key": "hall-card", "text": text, "choices": [[{"label": "Grab", "data": f"g:{order}"}]],
               "edit_key": f"hall:{order}"}
    if repost:
        payload["repost"] = True
    async with UnitOfWork(db) as uow:
        row = Outbox(dedupe_key=f"repost-test:{next(_rows)}", channel="telegram", recipient=str(HALL),
                     payload=payload, status="pending", next_attempt_at=at, created_at=at, edit_key=f"hall:{order}")
        uow.session.add(row)
        await uow.session.flush()
        return row.id  # type: ignore[return-value]


async def test_a_reminder_is_a_new_post_and_taking_the_order_edits_that_one(
        db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    sender = make_sender(db, bot, clock, fake_bot_api)
    await queue_announcement(db, 7, card(7), clock(), repost=True)
    assert await sender.run_once(clock()) == 1
    first = fake_bot_api.last_bot_message(HALL)
    for n in range(20, 25):  # the hall moves on: order 7's post is now far up
        clock.advance(seconds=60)
        await queue(db, HALL, card(n), at=clock(), choices=[[("Grab", f"g:{n}")]], edit_key=f"hall:{n}")
        await sender.run_once(clock())

    clock.advance(seconds=60)
    reminder = await queue_announcement(db, 7, "Still waiting for a runner!\n" + card(7), clock(), repost=True)
    assert await sender.run_once(clock()) == 1
    bottom = fake_bot_api.last_bot_message(HALL)
    assert bottom["message_id"] != first["message_id"] and bottom["text"].startswith("Still waiting")
    assert fake_bot_api.buttons(bottom) == [[("Grab", "g:7")]]
    assert fake_bot_api.calls("editMessageText", HALL) == []

    clock.advance(seconds=60)
    taken = await queue(db, HALL, "Order #7 has been taken.", at=clock(), edit_key="hall:7")
    assert await sender.run_once(clock()) == 1
    [edit] = fake_bot_api.calls("editMessageText", HALL)
    assert edit.params["message_id"] == bottom["message_id"]
    state = await rows(db)
    assert state[taken].sent_ref == state[reminder].sent_ref == f"{HALL}:{bottom['message_id']}"


async def test_a_repost_waiting_with_an_older_state_of_its_order_goes_out_once_as_a_new_post(
        db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    sender = make_sender(db, bot, clock, fake_bot_api)
    await queue_announcement(db, 8, card(8), clock(), repost=True)
    await sender.run_once(clock())
    clock.advance(seconds=60)
    await queue(db, HALL, "Order #8 has been taken.", at=clock(), edit_key="hall:8")  # taken, then given back
    await queue_announcement(db, 8, card(8), clock(), repost=True)
    assert await sender.run_once(clock()) == 2
    assert [r.method for r in fake_bot_api.calls(chat_id=HALL)] == ["sendMessage", "sendMessage"]
    assert fake_bot_api.buttons(fake_bot_api.last_bot_message(HALL)) == [[("Grab", "g:8")]]
