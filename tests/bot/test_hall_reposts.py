"""An order announced in the hall again (the sweep's reminder, or back after a release) is a new post at the bottom
of the chat, where runners look, not an edit of its first post far up; later changes edit the newest post."""
from __future__ import annotations

import itertools
from typing import Any

from aiogram import Bot

from bot.telegram.sender import Job, TelegramSender
from storage.db import Database
from storage.models import Outbox
from storage.uow import UnitOfWork
from tests.bot.fake_bot_api import FakeBotAPI
from tests.bot.test_sender import (  # noqa: F401 - virtual_time: a fixture
    HALL,
    card,
    five_in_a_digest,
    make_sender,
    most_in_window,
    queue,
    rows,
    virtual_time,
)
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


# -- a reposted order's earlier post offers nothing any more ----------------------------------------------------


def grab_posts(api: FakeBotAPI, order: int) -> list[dict[str, Any]]:
    """The hall's messages that still offer a button for this order (its grab data ends in ":<order>")."""
    return [m for m in api.bot_messages(HALL)
            if any((data or "").endswith(f":{order}") for line in api.buttons(m) for _, data in line)]


def assert_shows_only_taken(api: FakeBotAPI) -> None:
    """The hall ends with order 7's one post, saying it is taken, and no Grab button for it anywhere."""
    assert grab_posts(api, 7) == []
    assert [m["text"] for m in api.bot_messages(HALL)] == ["Order #7 has been taken."]


async def settle(db: Database, sender: TelegramSender, clock: FakeClock) -> None:
    """Run the sender, a second and a half apart, until no row waits (failing if some never get out)."""
    for _ in range(40):
        await sender.run_once(clock())
        if all(r.status != "pending" for r in (await rows(db)).values()):
            return
        clock.advance(seconds=1.5)
    raise AssertionError("outbox rows still pending")


async def test_a_reminded_order_taken_leaves_no_grab_button_on_its_first_post(
        db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    sender = make_sender(db, bot, clock, fake_bot_api)
    announced = await queue_announcement(db, 7, card(7), clock(), repost=False)
    await settle(db, sender, clock)
    first = fake_bot_api.last_bot_message(HALL)
    clock.advance(seconds=600)
    reminder = await queue_announcement(db, 7, "Still waiting for a runner!\n" + card(7), clock(), repost=True)
    await settle(db, sender, clock)
    assert (HALL, first["message_id"]) not in fake_bot_api.messages  # the first post is deleted
    [bottom] = grab_posts(fake_bot_api, 7)
    assert bottom["text"].startswith("Still waiting")

    clock.advance(seconds=60)
    taken = await queue(db, HALL, "Order #7 has been taken.", at=clock(), edit_key="hall:7")
    await settle(db, sender, clock)
    assert grab_posts(fake_bot_api, 7) == []
    assert fake_bot_api.bot_messages(HALL) == [bottom] and bottom["text"] == "Order #7 has been taken."
    state = await rows(db)
    assert all(r.status == "sent" for r in state.values())
    assert state[announced].sent_ref == f"{HALL}:{first['message_id']}"  # what each row was shown in
    assert state[taken].sent_ref == state[reminder].sent_ref == f"{HALL}:{bottom['message_id']}"


async def test_a_reposted_order_loses_its_button_in_the_digest_that_listed_it(
        db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    sender, digest = await five_in_a_digest(db, bot, clock, fake_bot_api)
    assert len(grab_posts(fake_bot_api, 3)) == 1

    clock.advance(seconds=60)
    await queue_announcement(db, 3, "Still waiting for a runner!\n" + card(3), clock(), repost=True)
    await settle(db, sender, clock)
    [post] = grab_posts(fake_bot_api, 3)
    assert post["message_id"] != digest["message_id"] and post["text"].startswith("Still waiting")
    assert fake_bot_api.buttons(digest) == [[(f"#{n} · Grab", f"grab:{n}")] for n in (1, 2, 4, 5)]
    assert all(f"New errand #{n}:" in digest["text"] for n in range(1, 6))  # the entry stays, without a button
    assert fake_bot_api.calls("deleteMessage", HALL) == []  # the digest still offers the other orders

    clock.advance(seconds=2)  # a later edit of the digest keeps it so
    await queue(db, HALL, "Order #1 has been taken.", at=clock(), edit_key="hall:1")
    await settle(db, sender, clock)
    assert "Order #1 has been taken." in digest["text"]
    assert fake_bot_api.buttons(digest) == [[(f"#{n} · Grab", f"grab:{n}")] for n in (2, 4, 5)]
    clock.advance(seconds=2)
    await queue(db, HALL, "Order #3 has been taken.", at=clock(), edit_key="hall:3")
    await settle(db, sender, clock)
    assert post["text"] == "Order #3 has been taken." and grab_posts(fake_bot_api, 3) == []
    assert most_in_window([r.at for r in fake_bot_api.calls(chat_id=HALL)], 60) <= 3


async def test_an_order_taken_and_given_back_before_the_hall_heard_then_taken_again_shows_no_grab(
        db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    sender = make_sender(db, bot, clock, fake_bot_api)
    await queue_announcement(db, 9, card(9), clock(), repost=False)
    await settle(db, sender, clock)
    clock.advance(seconds=60)
    await queue(db, HALL, "Order #9 has been taken.", at=clock(), edit_key="hall:9")
    await queue_announcement(db, 9, card(9), clock(), repost=True)  # its runner gave it back
    await settle(db, sender, clock)
    assert len(grab_posts(fake_bot_api, 9)) == 1
    clock.advance(seconds=60)
    await queue(db, HALL, "Order #9 has been taken.", at=clock(), edit_key="hall:9")
    await settle(db, sender, clock)
    assert grab_posts(fake_bot_api, 9) == []
    assert [m["text"] for m in fake_bot_api.bot_messages(HALL)] == ["Order #9 has been taken."]


async def test_deleting_an_earlier_post_does_not_spend_the_halls_minute(
        db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    start = clock()
    sender = make_sender(db, bot, clock, fake_bot_api, per_group="3/minute")
    for n in (8, 7):
        await queue_announcement(db, n, card(n), clock(), repost=False)
        assert await sender.run_once(clock()) == 1
        clock.advance(seconds=1.5)
    await queue_announcement(db, 7, "Still waiting for a runner!\n" + card(7), clock(), repost=True)
    assert await sender.run_once(clock()) == 1  # the group's 3 are spent
    clock.advance(seconds=1.5)
    await queue(db, HALL, "Order #8 has been taken.", at=clock(), edit_key="hall:8")
    assert await sender.run_once(clock()) == 1  # the edit waits for the minute; the deletion does not
    assert [r.method for r in fake_bot_api.calls(chat_id=HALL)][3:] == ["deleteMessage"]
    assert [len(grab_posts(fake_bot_api, n)) for n in (7, 8)] == [1, 1]
    assert await sender.limiter.group_remaining(HALL) == 0
    clock.advance(seconds=60 - (clock() - start).total_seconds() + 0.5)
    assert await sender.run_once(clock()) == 1
    assert [len(grab_posts(fake_bot_api, n)) for n in (7, 8)] == [1, 0]


async def test_an_earlier_post_telegram_will_not_delete_has_its_buttons_taken_away(
        db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    sender = make_sender(db, bot, clock, fake_bot_api)
    await queue_announcement(db, 7, card(7), clock(), repost=False)
    await settle(db, sender, clock)
    first = fake_bot_api.last_bot_message(HALL)
    clock.advance(hours=49)
    fake_bot_api.fail(400, "Bad Request: message can't be deleted for everyone", method="deleteMessage")
    await queue_announcement(db, 7, "Still waiting for a runner!\n" + card(7), clock(), repost=True)
    await settle(db, sender, clock)
    assert [r.status for r in fake_bot_api.calls("deleteMessage", HALL)] == [400]
    assert first["text"] == card(7) and fake_bot_api.buttons(first) == []  # still there, offering nothing
    [bottom] = grab_posts(fake_bot_api, 7)
    assert bottom["text"].startswith("Still waiting")
    assert all(r.status == "sent" for r in (await rows(db)).values())


# -- a post that lands after a later state of its order was shown -------------------------------------------------


async def test_a_reminder_retried_after_the_order_was_taken_is_not_posted(
        db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    sender = make_sender(db, bot, clock, fake_bot_api)
    await queue_announcement(db, 7, card(7), clock(), repost=False)
    await settle(db, sender, clock)
    clock.advance(seconds=600)
    fake_bot_api.drop_connection(chat_id=HALL, times=1)  # the reminder's first try fails: retried in 2 s
    await queue_announcement(db, 7, "Still waiting for a runner!\n" + card(7), clock(), repost=True)
    await sender.run_once(clock())
    clock.advance(seconds=1.5)  # taken meanwhile: edits the first post
    await queue(db, HALL, "Order #7 has been taken.", at=clock(), edit_key="hall:7")
    assert await sender.run_once(clock()) == 0  # after the failed try: the hall's messages wait, in order
    clock.advance(seconds=0.5)
    assert await sender.run_once(clock()) == 2  # one edit of the first post, which the reminder's row goes with
    clock.advance(seconds=1)
    await settle(db, sender, clock)
    assert_shows_only_taken(fake_bot_api)
    assert [r.method for r in fake_bot_api.calls(chat_id=HALL)] == ["sendMessage", "sendMessage", "editMessageText"]


async def two_senders_ten_minutes_after_the_first_post(db: Database, bot: Bot, clock: FakeClock, api: FakeBotAPI
                                                      ) -> tuple[TelegramSender, TelegramSender]:
    """Two senders on one database; order 7 was announced (by the first) ten minutes ago."""
    a, b = make_sender(db, bot, clock, api), make_sender(db, bot, clock, api)
    await queue_announcement(db, 7, card(7), clock(), repost=False)
    await settle(db, a, clock)
    clock.advance(seconds=600)
    return a, b


async def test_a_reminder_landing_after_another_sender_showed_the_order_taken_is_deleted(
        db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    a, b = await two_senders_ten_minutes_after_the_first_post(db, bot, clock, fake_bot_api)
    await queue_announcement(db, 7, "Still waiting for a runner!\n" + card(7), clock(), repost=True)
    reminder = await claimed(a, clock)  # A's request is on its way …
    await queue(db, HALL, "Order #7 has been taken.", at=clock(), edit_key="hall:7")
    assert await b.run_once(clock()) == 1  # … when B shows the order taken in its first post
    await a._deliver(HALL, reminder, clock())  # then the reminder lands, with a Grab
    clock.advance(seconds=2)
    await settle(db, a, clock)
    assert_shows_only_taken(fake_bot_api)


async def reminder_queued_while_the_first_post_is_on_its_way(
        db: Database, bot: Bot, clock: FakeClock, api: FakeBotAPI) -> tuple[TelegramSender, TelegramSender, Job]:
    """Two senders; the second's first announcement of order 7 is on its way (its job returned, not yet delivered)
    when, two seconds later, the order's reminder is queued."""
    a, b = make_sender(db, bot, clock, api), make_sender(db, bot, clock, api)
    await queue_announcement(db, 7, card(7), clock(), repost=False)
    first = await claimed(b, clock)
    clock.advance(seconds=2)
    await queue_announcement(db, 7, "Still waiting for a runner!\n" + card(7), clock(), repost=True)
    return a, b, first


async def test_a_first_post_landing_after_its_repost_is_deleted(
        db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    a, b, first = await reminder_queued_while_the_first_post_is_on_its_way(db, bot, clock, fake_bot_api)
    assert await a.run_once(clock()) == 1  # while B's first post is on its way, A posts the reminder
    await b._deliver(HALL, first, clock())  # then the first post lands below it
    clock.advance(seconds=2)
    await settle(db, a, clock)
    [bottom] = grab_posts(fake_bot_api, 7)
    assert bottom["text"].startswith("Still waiting") and fake_bot_api.bot_messages(HALL) == [bottom]

    clock.advance(seconds=60)
    await queue(db, HALL, "Order #7 has been taken.", at=clock(), edit_key="hall:7")
    await settle(db, a, clock)
    assert_shows_only_taken(fake_bot_api)


async def test_a_repost_planned_while_the_first_post_was_on_its_way_retires_it_when_both_land(
        db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    # B's first announcement is on its way when A plans the reminder: A knows of no post to retire. The first post
    # lands, then the reminder below it; the first post must not keep a Grab button of its own.
    a, b, first = await reminder_queued_while_the_first_post_is_on_its_way(db, bot, clock, fake_bot_api)
    [reminder] = await a._message_jobs(HALL, await a._due(clock()))
    assert reminder.kind == "send" and not reminder.supersedes
    assert await a._claim(reminder, clock())
    await b._deliver(HALL, first, clock())  # the first post lands …
    await a._deliver(HALL, reminder, clock())  # … then the reminder, below it
    clock.advance(seconds=2)
    await settle(db, a, clock)
    [bottom] = grab_posts(fake_bot_api, 7)
    assert bottom["text"].startswith("Still waiting") and fake_bot_api.bot_messages(HALL) == [bottom]


# -- an edit whose post another sender deleted meanwhile -----------------------------------------------------------


async def claimed(sender: TelegramSender, clock: FakeClock) -> Job:
    """The sender's one request for the hall, planned and claimed: on its way until the test delivers it."""
    [job] = await sender._message_jobs(HALL, await sender._due(clock()))
    assert await sender._claim(job, clock())
    return job


async def retire_first_post(sender: TelegramSender, api: FakeBotAPI, clock: FakeClock) -> None:
    """The sender deletes the order's first post, which the reminder below it superseded."""
    clock.advance(seconds=1.5)
    assert await sender.run_once(clock()) == 1
    assert api.calls(chat_id=HALL)[-1].method == "deleteMessage"


async def test_an_edit_that_finds_its_post_deleted_for_a_newer_reminder_is_not_posted_again(
        db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    a, b = await two_senders_ten_minutes_after_the_first_post(db, bot, clock, fake_bot_api)
    # The card brought up to date in place, still offering the order (a re-post of it would be a second Grab).
    await queue(db, HALL, "Tip added!\n" + card(7), at=clock(), choices=[[("Grab", "g:7")]], edit_key="hall:7")
    tip = await claimed(a, clock)  # A's edit of the first post is on its way …
    assert tip.kind == "edit"
    await queue_announcement(db, 7, "Still waiting for a runner!\n" + card(7), clock(), repost=True)
    assert await b.run_once(clock()) == 1  # … while B posts the reminder below
    await retire_first_post(b, fake_bot_api, clock)  # and deletes the first post
    await a._deliver(HALL, tip, clock())  # the edit finds its post gone: the reminder already shows the order
    [bottom] = grab_posts(fake_bot_api, 7)
    assert bottom["text"].startswith("Still waiting") and fake_bot_api.bot_messages(HALL) == [bottom]
    assert len(fake_bot_api.calls("sendMessage", HALL)) == 2
    clock.advance(seconds=2)
    await settle(db, a, clock)
    assert fake_bot_api.bot_messages(HALL) == [bottom] and bottom["text"].startswith("Still waiting")


async def test_an_order_taken_while_its_first_post_is_deleted_for_a_reminder_shows_taken_in_the_reminder(
        db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    a, b = await two_senders_ten_minutes_after_the_first_post(db, bot, clock, fake_bot_api)
    await queue_announcement(db, 7, "Still waiting for a runner!\n" + card(7), clock(), repost=True)
    reminder = await claimed(b, clock)  # B's reminder is on its way …
    await queue(db, HALL, "Order #7 has been taken.", at=clock(), edit_key="hall:7")
    taken = await claimed(a, clock)  # … when A plans the order taken as an edit of the first post
    assert taken.kind == "edit"
    await b._deliver(HALL, reminder, clock())  # the reminder lands
    await retire_first_post(b, fake_bot_api, clock)
    await a._deliver(HALL, taken, clock())  # the edit finds the first post gone: the reminder is the one to edit
    clock.advance(seconds=2)
    await settle(db, a, clock)
    assert_shows_only_taken(fake_bot_api)
    assert len(fake_bot_api.calls("sendMessage", HALL)) == 2
