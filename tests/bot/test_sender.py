"""The Telegram outbox sender against the fake Bot API, on SQLite and PostgreSQL, in virtual time (nothing sleeps)."""
from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import re
from types import SimpleNamespace
from typing import Any

import limits.aio.storage.memory
import pytest
from aiogram import Bot
from sqlalchemy import select, update

from bot.telegram.commands import staff_menu
from bot.telegram.sender import (
    SenderConfig,
    TelegramRateLimiter,
    TelegramSender,
    backoff,
    campus_chats,
)
from core.campus import Campus, Channels
from locales import catalogue
from storage.db import Database
from storage.models import Outbox, RunnerProfile, User
from storage.uow import UnitOfWork
from tests.bot.conftest import bot_for
from tests.bot.fake_bot_api import FakeBotAPI
from tests.conftest import FakeClock
from tests.factories import CIPHER

HALL = -1001000000001


@pytest.fixture(autouse=True)
def virtual_time(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rate limits' memory storage reads time.time(): here it reads the test's clock instead."""
    monkeypatch.setattr(limits.aio.storage.memory, "time", SimpleNamespace(time=lambda: clock().timestamp()))


class Sleeps:
    """The sender's injected sleep: records each pause (and what had been requested by then), moves the clock."""

    def __init__(self, clock: FakeClock, api: FakeBotAPI) -> None:
        self.clock = clock
        self.api = api
        self.calls: list[float] = []
        self.requests_before: list[int] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.requests_before.append(len(self.api.requests))
        self.clock.advance(seconds=seconds)


def make_sender(db: Database, bot: Bot, clock: FakeClock, api: FakeBotAPI, **config: Any) -> TelegramSender:
    # The handlers' messages to a person are sealed with the services' cipher (storage.outbox).
    return TelegramSender(db, bot, clock, Sleeps(clock, api), config=SenderConfig(**config), cipher=CIPHER)


_keys = iter(range(1, 10**9))


async def queue(db: Database, recipient: int | str, text: str, *, at: dt.datetime,
                choices: list[list[tuple[str, str]]] | None = None, edit_key: str | None = None,
                channel: str = "telegram", photo: str | None = None) -> int:
    """An outbox row as handlers/notify.py writes it."""
    payload = {"key": "test", "text": text, "choices": [[{"label": label, "data": data} for label, data in row]
                                                        for row in choices or []], "edit_key": edit_key}
    if photo is not None:
        payload["photo"] = photo
    row = Outbox(dedupe_key=f"test:{next(_keys)}", channel=channel, recipient=str(recipient), payload=payload,
                 status="pending", next_attempt_at=at, created_at=at, edit_key=edit_key)
    async with UnitOfWork(db) as uow:
        uow.session.add(row)
        await uow.session.flush()
        assert row.id is not None
        return row.id


async def queue_menu(db: Database, recipient: int, *, at: dt.datetime) -> int:
    """A command-menu refresh as Notifier.menu writes it."""
    row = Outbox(dedupe_key=f"test:{next(_keys)}", channel="telegram", recipient=str(recipient),
                 payload={"kind": "menu"}, status="pending", next_attempt_at=at, created_at=at)
    async with UnitOfWork(db) as uow:
        uow.session.add(row)
        await uow.session.flush()
        assert row.id is not None
        return row.id


async def telegram_runner(db: Database, tg_id: int, language: str, at: dt.datetime) -> int:
    """An approved runner on Telegram; their user id."""
    async with UnitOfWork(db) as uow:
        user = User(channel="telegram", external_id=str(tg_id), campus_id="demo", language=language, created_at=at)
        uow.session.add(user)
        await uow.session.flush()
        uow.session.add(RunnerProfile(user_id=user.id, campus_id="demo", status="approved", gender="female",
                                      real_name_enc="-", student_no_enc="-", credit=100, applied_at=at))
        return user.id  # type: ignore[return-value]


def commands(menu: list[dict[str, Any]] | None) -> list[str]:
    return [c["command"] for c in menu or []]


def menu_language(menu: list[dict[str, Any]] | None) -> str | None:
    """The language a chat menu is in, by its descriptions."""
    for language in ("en", "zh_CN"):
        if menu and all(c["description"] == catalogue(language)(f"tg-cmd-{c['command']}") for c in menu):
            return language
    return None


async def rows(db: Database) -> dict[int, Outbox]:
    async with UnitOfWork(db, write=False) as uow:
        return {r.id: r for r in (await uow.session.execute(select(Outbox).order_by(Outbox.id))).scalars()}


def card(order: int) -> str:
    return (f"New errand #{order}: parcel pickup\n    Cainiao station → Women's dorm 3\n"
            f"    Pay: 4.50 yuan · small · 2 kg · within 30 minutes")


def most_in_window(times: list[dt.datetime], seconds: float) -> int:
    """The most requests in any window of this length (half-open: [t, t + seconds))."""
    times = sorted(times)
    best = 0
    for i, start in enumerate(times):
        best = max(best, sum(1 for t in times[i:] if (t - start).total_seconds() < seconds))
    return best


async def test_messages_reach_their_chats_with_keyboards(db: Database, fake_bot_api: FakeBotAPI, bot: Bot,
                                                         clock: FakeClock) -> None:
    now = clock()
    asked = await queue(db, 501, "Deliver to the door?", at=now,
                        choices=[[("Yes", "door:1:yes"), ("No", "door:1:no")], [("Cancel", "cancel:1")]])
    plain = await queue(db, 502, "Your order #1 was delivered.", at=now)
    await queue(db, "console-user", "not for Telegram", at=now, channel="console")
    await queue(db, 503, "later", at=now + dt.timedelta(minutes=5))

    sender = make_sender(db, bot, clock, fake_bot_api)
    assert await sender.run_once(now) == 2

    message = fake_bot_api.last_bot_message(501)
    assert message["text"] == "Deliver to the door?"
    assert fake_bot_api.buttons(message) == [[("Yes", "door:1:yes"), ("No", "door:1:no")], [("Cancel", "cancel:1")]]
    assert fake_bot_api.last_bot_message(502)["text"] == "Your order #1 was delivered."
    assert "reply_markup" not in fake_bot_api.calls("sendMessage", 502)[0].params
    assert fake_bot_api.calls(chat_id=503) == []
    state = await rows(db)
    assert state[asked].status == "sent" and state[asked].sent_ref == f"501:{message['message_id']}"
    assert state[asked].sent_at == now
    assert state[plain].status == "sent"
    assert [r.status for r in state.values()] == ["sent", "sent", "pending", "pending"]
    assert await sender.run_once(now) == 0  # nothing twice


async def test_menu_rows_set_the_chat_menu_as_the_person_is_now(db: Database, fake_bot_api: FakeBotAPI, bot: Bot,
                                                                clock: FakeClock) -> None:
    now = clock()
    runner = await telegram_runner(db, 3003, "zh_CN", now)
    told = await queue(db, 3003, "You are a runner now.", at=now)
    menus = [await queue_menu(db, 3003, at=now) for _ in range(2)]
    sender = make_sender(db, bot, clock, fake_bot_api)
    assert await sender.run_once(now) == 1  # one request a second in a chat: the message first
    assert fake_bot_api.chat_menu(3003) is None
    clock.advance(seconds=1.5)
    assert await sender.run_once(clock()) == 2  # both menu rows, by one request
    (call,) = fake_bot_api.calls("setMyCommands")
    assert call.params["scope"] == {"type": "chat", "chat_id": 3003} and "language_code" not in call.params
    menu = fake_bot_api.chat_menu(3003)
    assert commands(menu) == [c.command for c in staff_menu("zh_CN", runner=True, operator=False)]
    assert "nearby" in commands(menu) and "admin" not in commands(menu)
    assert {c["command"]: c["description"] for c in menu}["nearby"] == catalogue("zh_CN")("tg-cmd-nearby")
    state = await rows(db)
    assert [state[i].status for i in (told, *menus)] == ["sent"] * 3
    assert state[menus[0]].sent_ref is None and state[menus[1]].sent_at == clock()
    assert len(fake_bot_api.calls("sendMessage", 3003)) == 1  # a menu row is no message

    async with UnitOfWork(db) as uow:  # suspended: the students' commands and what is left to a runner
        await uow.session.execute(update(RunnerProfile).where(RunnerProfile.user_id == runner).values(suspended=True))
    clock.advance(seconds=1.5)
    await queue_menu(db, 3003, at=clock())
    assert await sender.run_once(clock()) == 1
    assert commands(fake_bot_api.chat_menu(3003)) == [
        c.command for c in staff_menu("zh_CN", runner=False, operator=False, suspended=True)]
    async with UnitOfWork(db) as uow:  # no runner any more: a plain student again
        await uow.session.execute(update(RunnerProfile).where(RunnerProfile.user_id == runner).values(
            status="rejected"))
    clock.advance(seconds=1.5)
    await queue_menu(db, 3003, at=clock())
    assert await sender.run_once(clock()) == 1
    assert [c.params["scope"] for c in fake_bot_api.calls("deleteMyCommands")] == [{"type": "chat", "chat_id": 3003}]
    assert fake_bot_api.chat_menu(3003) is None


async def test_a_menu_read_before_a_change_and_landing_after_the_newer_one_is_set_again(
        db: Database, fake_bot_api: FakeBotAPI, clock: FakeClock) -> None:
    # Two senders: A reads the runner's menu (Chinese), the runner switches to English and B sets the English menu
    # while A's request is still on its way; A's older menu lands last. A must notice and set the newer one.
    now = clock()
    await telegram_runner(db, 3005, "zh_CN", now)
    await queue_menu(db, 3005, at=now)
    other_db = Database(db.url.render_as_string(hide_password=False))
    bot_a, bot_b = bot_for(fake_bot_api), bot_for(fake_bot_api)
    sender_a = TelegramSender(db, bot_a, clock, Sleeps(clock, fake_bot_api), limiter=TelegramRateLimiter())
    sender_b = TelegramSender(other_db, bot_b, clock, Sleeps(clock, fake_bot_api), limiter=TelegramRateLimiter())

    async def change_meanwhile(make_request, bot, method):  # noqa: ANN001, ANN202 - aiogram's middleware signature
        if type(method).__name__ == "SetMyCommands" and not fake_bot_api.calls("setMyCommands"):
            async with UnitOfWork(db) as uow:
                await uow.session.execute(update(User).where(User.external_id == "3005").values(language="en"))
            await queue_menu(db, 3005, at=clock())
            assert await sender_b.run_once(clock()) == 1
            assert menu_language(fake_bot_api.chat_menu(3005)) == "en"
        return await make_request(bot, method)

    bot_a.session.middleware(change_meanwhile)
    try:
        assert await sender_a.run_once(now) == 1
    finally:
        for b in (bot_a, bot_b):
            await b.session.close()
        await other_db.dispose()
    languages = [menu_language(c.params["commands"]) for c in fake_bot_api.calls("setMyCommands")]
    assert languages == ["en", "zh_CN", "en"]  # B's, A's older one landing late, A's again
    menu = fake_bot_api.chat_menu(3005)
    assert commands(menu) == [c.command for c in staff_menu("en", runner=True, operator=False)]
    assert {c["command"]: c["description"] for c in menu}["nearby"] == catalogue("en")("tg-cmd-nearby")


async def test_a_failed_menu_request_is_retried_or_failed_like_a_message(db: Database, fake_bot_api: FakeBotAPI,
                                                                         bot: Bot, clock: FakeClock) -> None:
    start = clock()
    await telegram_runner(db, 3004, "en", start)
    row = await queue_menu(db, 3004, at=start)
    fake_bot_api.server_error(method="setMyCommands", chat_id=3004)
    sender = make_sender(db, bot, clock, fake_bot_api)
    assert await sender.run_once(start) == 0
    state = (await rows(db))[row]
    assert state.status == "pending" and state.attempts == 1
    assert state.next_attempt_at == start + dt.timedelta(seconds=2)
    clock.advance(seconds=2)
    assert await sender.run_once(clock()) == 1
    assert "nearby" in commands(fake_bot_api.chat_menu(3004))

    clock.advance(seconds=1.5)
    refused = await queue_menu(db, 3004, at=clock())
    fake_bot_api.fail(400, "Bad Request: chat not found", method="setMyCommands", chat_id=3004)
    assert await sender.run_once(clock()) == 0
    state = (await rows(db))[refused]
    assert (state.status, state.last_error) == ("failed", "400: Bad Request: chat not found")


async def test_per_chat_and_overall_limits(db: Database, fake_bot_api: FakeBotAPI, bot: Bot,
                                           clock: FakeClock) -> None:
    start = clock()
    for n in range(4):
        await queue(db, 700, f"to one user {n}", at=start)
    for user in range(801, 861):  # 60 users, one message each
        await queue(db, user, "hello", at=start)
    sender = make_sender(db, bot, clock, fake_bot_api)
    for _ in range(40):
        await sender.run_once(clock())
        clock.advance(seconds=0.25)
    state = await rows(db)
    assert all(r.status == "sent" for r in state.values())
    sends = fake_bot_api.calls("sendMessage")
    assert len(sends) == 64
    assert most_in_window([r.at for r in sends], 1) <= 30  # 30 a second overall
    assert len([r for r in sends if r.at == start]) == 30  # … and it uses them
    to_one = [r.at for r in fake_bot_api.calls("sendMessage", 700)]
    assert most_in_window(to_one, 1) == 1  # one a second in a chat
    assert [r.params["text"] for r in fake_bot_api.calls("sendMessage", 700)] == [f"to one user {n}" for n in range(4)]


async def test_flood_of_hall_announcements_stays_within_the_group_limit(db: Database, fake_bot_api: FakeBotAPI,
                                                                         bot: Bot, clock: FakeClock) -> None:
    """Must show: 100 orders in one minute to one hall → at most 20 hall messages in any 60 s, every order shown."""
    start = clock()
    arrivals = {n: start + dt.timedelta(seconds=0.6 * (n - 1)) for n in range(1, 101)}  # 100 within 60 s
    sender = make_sender(db, bot, clock, fake_bot_api)
    queued: set[int] = set()
    while clock() < start + dt.timedelta(minutes=5):
        for n, at in arrivals.items():
            if n not in queued and at <= clock():
                await queue(db, HALL, card(n), at=at, choices=[[("Grab", f"grab:{n}")]], edit_key=f"hall:{n}")
                queued.add(n)
        await sender.run_once(clock())
        if len(queued) == 100 and all(r.status == "sent" for r in (await rows(db)).values()):
            break
        clock.advance(seconds=0.5)
    finished = clock()

    state = await rows(db)
    assert len(state) == 100 and all(r.status == "sent" for r in state.values())
    hall_requests = fake_bot_api.calls(chat_id=HALL)
    assert all(r.status == 200 for r in hall_requests)
    assert most_in_window([r.at for r in hall_requests], 60) <= 20
    assert len(hall_requests) < 100  # announcements were combined
    # Every order is announced, with its own grab button, in the message its row points to.
    for row in state.values():
        order = int(row.edit_key.split(":")[1])  # type: ignore[union-attr]
        chat, message_id = row.sent_ref.split(":")  # type: ignore[union-attr]
        message = fake_bot_api.messages[(int(chat), int(message_id))]
        assert f"New errand #{order}:" in message["text"]
        assert any(data == f"grab:{order}" for line in fake_bot_api.buttons(message) for _, data in line)
    digests = [m for m in fake_bot_api.bot_messages(HALL) if len(fake_bot_api.buttons(m)) > 1]
    assert digests, "no digest was sent"
    for message in digests:
        assert len(message["text"]) <= 4096
        for line in fake_bot_api.buttons(message):
            for label, data in line:
                assert label == f"#{data.split(':')[1]} · Grab"  # a digest's buttons say which order they grab
    assert finished - arrivals[100] < dt.timedelta(seconds=70)  # the last order waited about a minute at most


async def test_a_429_is_waited_out_for_exactly_retry_after(db: Database, fake_bot_api: FakeBotAPI, bot: Bot,
                                                          clock: FakeClock) -> None:
    """Must show: a 429 is waited out for exactly retry_after before the retry. By the injected clock: nothing goes
    to that chat before retry_after has passed (not even a message queued meanwhile), the same request is made
    again right when it has, and the sender sleeps through none of it."""
    start = clock()
    row = await queue(db, 900, "hello", at=start)
    fake_bot_api.rate_limit(7, method="sendMessage", chat_id=900)
    sender = make_sender(db, bot, clock, fake_bot_api)
    assert await sender.run_once(start) == 0
    meanwhile = None
    while clock() < start + dt.timedelta(seconds=7):
        clock.advance(seconds=0.5)
        if clock() == start + dt.timedelta(seconds=3):
            meanwhile = await queue(db, 900, "and this", at=clock())
        await sender.run_once(clock())
        if clock() < start + dt.timedelta(seconds=7):
            assert len(fake_bot_api.calls(chat_id=900)) == 1, f"a request to the chat {clock() - start} after the 429"
    first, retry = fake_bot_api.calls("sendMessage", 900)
    assert (first.status, retry.status) == (429, 200)
    assert retry.at - first.at == dt.timedelta(seconds=7)  # exactly retry_after: not earlier, not a backoff
    assert retry.params == first.params
    assert sender.sleep.calls == []  # type: ignore[attr-defined]  # waited out by scheduling, not by sleeping
    state = await rows(db)
    assert state[row].status == "sent" and state[row].attempts == 0
    assert state[meanwhile].status == "pending"  # type: ignore[index]  # one a second in a chat
    clock.advance(seconds=1.5)
    assert await sender.run_once(clock()) == 1
    assert [r.params["text"] for r in fake_bot_api.calls("sendMessage", 900, ok=True)] == ["hello", "and this"]


async def test_a_429_in_one_chat_does_not_hold_up_the_others(db: Database, fake_bot_api: FakeBotAPI, bot: Bot,
                                                            clock: FakeClock) -> None:
    start = clock()
    await queue(db, 900, "to the chat Telegram slows down", at=start)
    await queue(db, 901, "to another chat", at=start)
    fake_bot_api.rate_limit(50, chat_id=900)
    sender = make_sender(db, bot, clock, fake_bot_api)
    assert await sender.run_once(start) == 1
    (other,) = fake_bot_api.calls("sendMessage", 901)
    assert other.status == 200 and other.at == start  # not after the 50 s

    clock.advance(seconds=10)
    await queue(db, 901, "ten seconds later", at=clock())
    assert await sender.run_once(clock()) == 1
    assert fake_bot_api.last_bot_message(901)["text"] == "ten seconds later"
    assert fake_bot_api.calls("sendMessage", 901)[-1].at == start + dt.timedelta(seconds=10)
    assert len(fake_bot_api.calls(chat_id=900)) == 1

    clock.advance(seconds=40)
    assert await sender.run_once(clock()) == 1
    assert fake_bot_api.calls("sendMessage", 900)[-1].at == start + dt.timedelta(seconds=50)
    assert sender.sleep.calls == []  # type: ignore[attr-defined]


async def test_messages_queued_for_a_held_chat_do_not_crowd_out_the_other_chats(
        db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    """Rows queued for a chat that waits out a 429 (or a backoff) are due only when the wait ends: they do not fill
    the batch of due rows each run reads, which other chats' messages must get into."""
    start = clock()
    await queue(db, 900, "hello", at=start)
    fake_bot_api.rate_limit(60, chat_id=900)
    sender = make_sender(db, bot, clock, fake_bot_api, batch=2)
    assert await sender.run_once(start) == 0
    for n in range(4):
        await queue(db, 900, f"meanwhile {n}", at=clock())
    await queue(db, 901, "to another chat", at=clock())
    for _ in range(3):
        clock.advance(seconds=1)
        await sender.run_once(clock())
    assert fake_bot_api.last_bot_message(901)["text"] == "to another chat"
    assert fake_bot_api.bot_messages(900) == []  # every one waits for the first, which waits out the 429
    assert {r.status for r in (await rows(db)).values() if r.recipient == "900"} == {"pending"}


async def test_private_messages_are_not_held_up_by_group_chats_whose_minute_is_spent(
        db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    """After an outage five campuses' admin chats each have 80 messages waiting, four minutes' worth of a group's
    20 a minute, and a student's message waits behind them all; another comes half a minute later, when every
    group's minute is spent. Each reaches its student at once (a private chat has its own limits), while every
    group stays within its 20 a minute and gets all its messages, in order."""
    start = clock()
    groups = [-1002000000001 - n for n in range(5)]
    for chat in groups:
        for n in range(80):
            await queue(db, chat, f"Runner application #{n} waits for review.", at=start)
    await queue(db, 1201, "Your order #7 was taken by a runner.", at=start)
    sender = make_sender(db, bot, clock, fake_bot_api)
    later = False
    while clock() < start + dt.timedelta(minutes=6) and len(fake_bot_api.calls("sendMessage", ok=True)) < 402:
        if not later and clock() >= start + dt.timedelta(seconds=30):
            await queue(db, 1202, "Your runner has picked up order #8.", at=clock())
            later = True
        await sender.run_once(clock())
        clock.advance(seconds=1)

    (first,) = fake_bot_api.calls("sendMessage", 1201)
    assert first.status == 200 and first.at - start <= dt.timedelta(seconds=1), first.at - start
    (second,) = fake_bot_api.calls("sendMessage", 1202)
    assert second.status == 200 and second.at - start <= dt.timedelta(seconds=31), second.at - start
    for chat in groups:
        sent = fake_bot_api.calls(chat_id=chat)
        assert all(r.status == 200 for r in sent)
        assert most_in_window([r.at for r in sent], 60) <= 20
        assert [r.params["text"] for r in sent] == [f"Runner application #{n} waits for review." for n in range(80)]
    assert all(r.status == "sent" for r in (await rows(db)).values())


async def test_a_429_holds_the_chat_for_every_sender_sharing_the_limits(db: Database, fake_bot_api: FakeBotAPI,
                                                                         bot: Bot, clock: FakeClock) -> None:
    """Two senders (two processes, sharing their limits as through Redis): after one got a 429 for a chat, the other
    sends nothing there before retry_after either, not even a message queued after the 429, and goes on with other
    chats."""
    start = clock()
    await queue(db, 900, "hello", at=start)
    fake_bot_api.rate_limit(7, method="sendMessage", chat_id=900)
    limiter = TelegramRateLimiter()
    first = TelegramSender(db, bot, clock, Sleeps(clock, fake_bot_api), limiter=limiter, cipher=CIPHER)
    second = TelegramSender(db, bot, clock, Sleeps(clock, fake_bot_api), limiter=limiter, cipher=CIPHER)
    assert await first.run_once(start) == 0
    clock.advance(seconds=2)
    await queue(db, 900, "queued after the 429", at=clock())
    await queue(db, 901, "to another chat", at=clock())
    assert await second.run_once(clock()) == 1
    assert fake_bot_api.last_bot_message(901)["text"] == "to another chat"
    clock.advance(seconds=4.5)
    assert await second.run_once(clock()) == 0
    assert len(fake_bot_api.calls(chat_id=900)) == 1  # only the refused request
    clock.advance(seconds=0.5)  # retry_after has passed
    assert await second.run_once(clock()) == 1
    retry = fake_bot_api.calls("sendMessage", 900)[-1]
    assert retry.status == 200 and retry.params["text"] == "hello" and retry.at == start + dt.timedelta(seconds=7)


async def test_a_long_retry_after_reschedules_instead_of_sleeping(db: Database, fake_bot_api: FakeBotAPI, bot: Bot,
                                                                 clock: FakeClock) -> None:
    start = clock()
    row = await queue(db, 901, "hello", at=start)
    fake_bot_api.rate_limit(600, chat_id=901)
    sender = make_sender(db, bot, clock, fake_bot_api)
    assert await sender.run_once(start) == 0
    assert sender.sleep.calls == []  # type: ignore[attr-defined]
    state = (await rows(db))[row]
    assert state.status == "pending" and state.next_attempt_at == start + dt.timedelta(seconds=600)
    assert state.attempts == 0  # Telegram's pacing is not the message's fault
    clock.advance(seconds=600)
    assert await sender.run_once(clock()) == 1


async def test_a_user_who_blocked_the_bot(db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    now = clock()
    async with UnitOfWork(db) as uow:
        uow.session.add(User(channel="telegram", external_id="555", campus_id="demo", created_at=now))
        uow.session.add(User(channel="wechat", external_id="555", campus_id="demo", created_at=now))
    row = await queue(db, 555, "Your order was taken", at=now)
    fake_bot_api.block(555)
    sender = make_sender(db, bot, clock, fake_bot_api)
    assert await sender.run_once(now) == 0

    state = (await rows(db))[row]
    assert state.status == "failed"
    assert state.last_error == "403: Forbidden: bot was blocked by the user"
    assert len(fake_bot_api.calls("sendMessage", 555)) == 1  # no retry
    async with UnitOfWork(db, write=False) as uow:
        users = {u.channel: u.started_bot for u in (await uow.session.execute(select(User))).scalars()}
    assert users == {"telegram": False, "wechat": True}
    clock.advance(minutes=10)
    assert await sender.run_once(clock()) == 0
    assert len(fake_bot_api.calls("sendMessage", 555)) == 1


async def test_network_errors_back_off_then_fail(db: Database, fake_bot_api: FakeBotAPI, bot: Bot,
                                                clock: FakeClock) -> None:
    start = clock()
    doomed = await queue(db, 600, "never arrives", at=start)
    fake_bot_api.drop_connection(chat_id=600, times=100)
    sender = make_sender(db, bot, clock, fake_bot_api, retry_for=30)  # 2 + 4 + 8 + 16: the 5th try is the last
    for _ in range(80):  # two virtual minutes in 1.5 s steps
        await sender.run_once(clock())
        clock.advance(seconds=1.5)

    tries = [r.at for r in fake_bot_api.calls("sendMessage", 600)]
    assert len(tries) == 5
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(tries)]
    expected = [backoff(n, sender.config) for n in range(1, 5)]
    assert expected == [2, 4, 8, 16]
    assert all(want <= gap < want + 1.5 for gap, want in zip(gaps, expected))  # at the first run once due
    state = (await rows(db))[doomed]
    assert state.status == "failed" and state.attempts == 5
    assert state.last_error.startswith("after 5 tries: TelegramNetworkError")
    assert sender.sleep.calls == []  # type: ignore[attr-defined]  # backoff is scheduling, not sleeping


async def test_a_network_error_is_retried_until_it_goes_through(db: Database, fake_bot_api: FakeBotAPI, bot: Bot,
                                                               clock: FakeClock) -> None:
    start = clock()
    row = await queue(db, 601, "eventually", at=start)
    fake_bot_api.drop_connection(chat_id=601, times=2)
    sender = make_sender(db, bot, clock, fake_bot_api)
    assert await sender.run_once(start) == 0
    state = (await rows(db))[row]
    assert state.status == "pending" and state.attempts == 1
    assert state.next_attempt_at == start + dt.timedelta(seconds=2)
    assert state.last_error.startswith("TelegramNetworkError")
    clock.advance(seconds=2)
    assert await sender.run_once(clock()) == 0
    clock.advance(seconds=4)
    assert await sender.run_once(clock()) == 1
    state = (await rows(db))[row]
    assert state.status == "sent" and state.last_error == ""
    assert fake_bot_api.last_bot_message(601)["text"] == "eventually"


@pytest.mark.parametrize(("status", "description"), [(413, "Request Entity Too Large"), (404, "Not Found"),
                                                     (409, "Conflict: something else")])
async def test_a_refusal_retrying_cannot_help_fails_at_once_and_holds_nothing_back(
        db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock, status: int, description: str) -> None:
    # Before, any refusal but a 400 or 403 was taken for an outage: retried for a day, holding the chat's later
    # messages behind it all that time.
    start = clock()
    too_big = await queue(db, 602, "a message Telegram finds too large", at=start)
    later = await queue(db, 602, "the next one", at=start)
    fake_bot_api.fail(status, description, chat_id=602, times=1)
    sender = make_sender(db, bot, clock, fake_bot_api)
    await sender.run_once(start)
    clock.advance(seconds=1.5)  # the chat's 1 message a second
    await sender.run_once(clock())
    states = await rows(db)
    assert (states[too_big].status, states[too_big].attempts) == ("failed", 1)
    assert description in states[too_big].last_error
    assert states[later].status == "sent"
    assert fake_bot_api.last_bot_message(602)["text"] == "the next one"


async def test_a_taken_hall_post_is_edited_not_sent_again(db: Database, fake_bot_api: FakeBotAPI, bot: Bot,
                                                         clock: FakeClock) -> None:
    start = clock()
    posted = await queue(db, HALL, card(7), at=start, choices=[[("Grab", "grab:7")]], edit_key="hall:7")
    sender = make_sender(db, bot, clock, fake_bot_api)
    assert await sender.run_once(start) == 1
    message = fake_bot_api.last_bot_message(HALL)
    assert fake_bot_api.buttons(message) == [[("Grab", "grab:7")]]

    clock.advance(seconds=30)
    taken = await queue(db, HALL, "Order #7 has been taken.", at=clock(), edit_key="hall:7")
    assert await sender.run_once(clock()) == 1
    assert len(fake_bot_api.calls("sendMessage", HALL)) == 1
    edit = fake_bot_api.calls("editMessageText", HALL)[0]
    assert edit.params["message_id"] == message["message_id"] and "reply_markup" not in edit.params
    assert fake_bot_api.bot_messages(HALL) == [message]
    assert message["text"] == "Order #7 has been taken." and fake_bot_api.buttons(message) == []
    state = await rows(db)
    assert state[taken].status == "sent" and state[taken].sent_ref == state[posted].sent_ref


async def test_an_update_waiting_with_its_announcement_replaces_it(db: Database, fake_bot_api: FakeBotAPI, bot: Bot,
                                                                  clock: FakeClock) -> None:
    now = clock()
    first = await queue(db, HALL, card(8), at=now, choices=[[("Grab", "grab:8")]], edit_key="hall:8")
    second = await queue(db, HALL, "Reminder: still open.\n" + card(8), at=now, choices=[[("Grab", "grab:8")]],
                         edit_key="hall:8")
    sender = make_sender(db, bot, clock, fake_bot_api)
    assert await sender.run_once(now) == 2
    assert [r.params["text"] for r in fake_bot_api.calls(chat_id=HALL)] == ["Reminder: still open.\n" + card(8)]
    state = await rows(db)
    assert state[first].status == state[second].status == "sent"
    assert state[first].sent_ref == state[second].sent_ref


async def test_an_order_closed_before_the_hall_saw_it_is_not_posted(db: Database, fake_bot_api: FakeBotAPI,
                                                                    bot: Bot, clock: FakeClock) -> None:
    # Taken while its announcement still waited (a busy hall): a "taken" post for an order the hall never saw would
    # be noise, and would spend the group's 20 a minute.
    now = clock()
    announced = await queue(db, HALL, card(8), at=now, choices=[[("Grab", "grab:8")]], edit_key="hall:8")
    taken = await queue(db, HALL, "Order #8 has been taken.", at=now, edit_key="hall:8")
    sender = make_sender(db, bot, clock, fake_bot_api)
    assert await sender.run_once(now) == 0
    clock.advance(seconds=5)
    assert await sender.run_once(clock()) == 0
    assert fake_bot_api.calls(chat_id=HALL) == []
    state = await rows(db)
    assert [(state[i].status, state[i].sent_ref) for i in (announced, taken)] == [("sent", None)] * 2  # settled
    assert await sender.limiter.group_remaining(HALL) == 20  # and no slot spent


async def test_an_order_taken_while_its_announcement_is_on_its_way_is_edited_once_it_lands(
        db: Database, fake_bot_api: FakeBotAPI, clock: FakeClock) -> None:
    # Sender A is posting the card when the order is taken and sender B sees the "taken" row: B must neither post
    # it nor drop it, so that the card, once it lands, is edited and shows no Grab button for a taken order.
    now = clock()
    await queue(db, HALL, card(4), at=now, choices=[[("Grab", "grab:4")]], edit_key="hall:4")
    other_db = Database(db.url.render_as_string(hide_password=False))
    bot_a, bot_b = bot_for(fake_bot_api), bot_for(fake_bot_api)
    sender_a = TelegramSender(db, bot_a, clock, Sleeps(clock, fake_bot_api), limiter=TelegramRateLimiter())
    sender_b = TelegramSender(other_db, bot_b, clock, Sleeps(clock, fake_bot_api), limiter=TelegramRateLimiter())

    async def taken_meanwhile(make_request, bot, method):  # aiogram's middleware signature
        if type(method).__name__ == "SendMessage":
            await queue(db, HALL, "Order #4 has been taken.", at=clock(), edit_key="hall:4")
            assert await sender_b.run_once(clock()) == 0
        return await make_request(bot, method)

    bot_a.session.middleware(taken_meanwhile)
    try:
        assert await sender_a.run_once(now) == 1
        clock.advance(seconds=1.5)
        assert await sender_b.run_once(clock()) == 1
    finally:
        for b in (bot_a, bot_b):
            await b.session.close()
        await other_db.dispose()
    assert [r.params["text"] for r in fake_bot_api.calls("sendMessage", HALL)] == [card(4)]
    message = fake_bot_api.last_bot_message(HALL)
    assert message["text"] == "Order #4 has been taken." and fake_bot_api.buttons(message) == []


async def five_in_a_digest(db: Database, bot: Bot, clock: FakeClock,
                           api: FakeBotAPI) -> tuple[TelegramSender, dict[str, Any]]:
    """Orders 1-5 announced while the hall has room for 3 requests a minute: one digest lists them all."""
    start = clock()
    for n in range(1, 6):
        await queue(db, HALL, card(n), at=start, choices=[[("Grab", f"grab:{n}")]], edit_key=f"hall:{n}")
    sender = make_sender(db, bot, clock, api, per_group="3/minute")
    assert await sender.run_once(start) == 5
    return sender, api.last_bot_message(HALL)


async def test_the_edits_of_one_digest_are_one_request(db: Database, fake_bot_api: FakeBotAPI, bot: Bot,
                                                      clock: FakeClock) -> None:
    sender, digest = await five_in_a_digest(db, bot, clock, fake_bot_api)
    clock.advance(seconds=2)
    for n in (1, 3, 4):
        await queue(db, HALL, f"Order #{n} has been taken.", at=clock(), edit_key=f"hall:{n}")
    assert await sender.run_once(clock()) == 3
    (edit,) = fake_bot_api.calls("editMessageText", HALL)
    assert edit.params["message_id"] == digest["message_id"]
    assert all(f"Order #{n} has been taken." in digest["text"] for n in (1, 3, 4))
    assert all(f"New errand #{n}:" in digest["text"] for n in (2, 5))
    assert fake_bot_api.buttons(digest) == [[(f"#{n} · Grab", f"grab:{n}")] for n in (2, 5)]
    assert len(fake_bot_api.calls(chat_id=HALL)) == 2
    assert all(r.status == "sent" for r in (await rows(db)).values())


async def test_new_orders_go_before_state_edits_when_the_hall_budget_is_short(
        db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    start = clock()
    sender = make_sender(db, bot, clock, fake_bot_api, per_group="3/minute")
    for n in (1, 2):
        await queue(db, HALL, card(n), at=clock(), choices=[[("Grab", f"grab:{n}")]], edit_key=f"hall:{n}")
        assert await sender.run_once(clock()) == 1
        clock.advance(seconds=1.5)
    await queue(db, HALL, "Order #1 has been taken.", at=clock(), edit_key="hall:1")
    assert await sender.run_once(clock()) == 1  # the group's 3 are spent
    clock.advance(seconds=1.5)
    await queue(db, HALL, "Order #2 has been taken.", at=clock(), edit_key="hall:2")
    await queue(db, HALL, card(3), at=clock(), choices=[[("Grab", "grab:3")]], edit_key="hall:3")
    while clock() < start + dt.timedelta(seconds=60):
        assert await sender.run_once(clock()) == 0
        clock.advance(seconds=0.5)
    clock.advance(seconds=0.5)  # past the minute since the first post
    assert await sender.run_once(clock()) == 1  # room for one of the two: the new order
    assert fake_bot_api.calls(chat_id=HALL)[-1].params["text"] == card(3)
    clock.advance(seconds=1)
    await queue(db, HALL, card(4), at=clock(), choices=[[("Grab", "grab:4")]], edit_key="hall:4")
    clock.advance(seconds=0.5)
    # Updates are not starved: after posting new orders the hall's next request is the waiting update.
    assert await sender.run_once(clock()) == 1
    assert fake_bot_api.calls(chat_id=HALL)[-1].params["text"] == "Order #2 has been taken."
    clock.advance(seconds=1.5)
    assert await sender.run_once(clock()) == 1
    assert fake_bot_api.calls(chat_id=HALL)[-1].params["text"] == card(4)
    assert [m["text"] for m in fake_bot_api.bot_messages(HALL)] == [
        "Order #1 has been taken.", "Order #2 has been taken.", card(3), card(4)]
    assert most_in_window([r.at for r in fake_bot_api.calls(chat_id=HALL)], 60) <= 3


async def test_a_busy_hall_keeps_up_when_orders_are_taken_soon_after_they_appear(
        db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    """40 orders a minute for 3 minutes, each taken 15 s after it appeared in the hall: at most 20 hall messages
    (posts and edits) in any 60 s, every order announced, the wait for an announcement bounded (not growing), and
    in the end every order shown as taken."""
    start = clock()
    arrivals = {n: start + dt.timedelta(seconds=1.5 * (n - 1)) for n in range(1, 121)}
    sender = make_sender(db, bot, clock, fake_bot_api)
    announcement: dict[int, int] = {}  # order → its announcement's row
    taken: set[int] = set()
    while clock() < start + dt.timedelta(minutes=10):
        for n, at in arrivals.items():
            if n not in announcement and at <= clock():
                announcement[n] = await queue(db, HALL, card(n), at=at, choices=[[("Grab", f"grab:{n}")]],
                                              edit_key=f"hall:{n}")
        state = await rows(db)
        for n, row_id in announcement.items():
            posted = state[row_id].sent_at
            if n not in taken and posted is not None and posted + dt.timedelta(seconds=15) <= clock():
                await queue(db, HALL, f"Order #{n} has been taken.", at=clock(), edit_key=f"hall:{n}")
                taken.add(n)
        await sender.run_once(clock())
        if len(taken) == 120 and all(r.status == "sent" for r in (await rows(db)).values()):
            break
        clock.advance(seconds=0.5)

    state = await rows(db)
    assert len(taken) == 120 and all(r.status == "sent" for r in state.values())
    hall_requests = fake_bot_api.calls(chat_id=HALL)
    assert all(r.status == 200 for r in hall_requests)
    assert most_in_window([r.at for r in hall_requests], 60) <= 20
    posts = [r for r in hall_requests if r.method == "sendMessage"]
    for n in range(1, 121):  # announced, with its grab button, before it was taken
        assert any(f"New errand #{n}:" in r.params["text"] and f"grab:{n}" in str(r.params["reply_markup"])
                   for r in posts), f"order {n} was never announced"
    assert len(hall_requests) <= 80  # far fewer than a post and an edit per order (the old sender's 20 + 120)
    # How long each order waited to appear in the hall. Bound: once the hall's 20 are spent, the next slot frees
    # 60 s after the oldest of them; 20 requests take at least 19 × 1.5 s (one a second in the chat, in these
    # 0.5 s steps), so the hall can be silent at most 60 - 28.5 = 31.5 s, and an order waits that plus one step of
    # the chat limit: 33 s. The same in the third minute as in the first: the wait does not grow.
    delays = {n: (state[announcement[n]].sent_at - arrivals[n]).total_seconds() for n in arrivals}  # type: ignore
    assert max(delays.values()) <= 33
    assert max(delays[n] for n in range(81, 121)) <= max(delays[n] for n in range(1, 41))
    # The hall caught up with every order: each shows as taken, no Grab button is left on a taken order.
    for message in fake_bot_api.bot_messages(HALL):
        assert fake_bot_api.buttons(message) == [], message["text"]
    shown = "\n".join(m["text"] for m in fake_bot_api.bot_messages(HALL))
    assert all(f"Order #{n} has been taken." in shown for n in range(1, 121))


async def test_editing_a_message_that_is_gone_sends_a_new_one(db: Database, fake_bot_api: FakeBotAPI, bot: Bot,
                                                             clock: FakeClock) -> None:
    start = clock()
    await queue(db, 601, "Order #9: your trip", at=start, choices=[[("Picked up", "pk:9")]], edit_key="details:9")
    sender = make_sender(db, bot, clock, fake_bot_api)
    await sender.run_once(start)
    old = fake_bot_api.last_bot_message(601)
    del fake_bot_api.messages[(601, old["message_id"])]  # the runner deleted it
    clock.advance(seconds=5)
    gone = await queue(db, 601, "Order #9 is over.", at=clock(), edit_key="details:9")
    assert await sender.run_once(clock()) == 1
    assert [r.status for r in fake_bot_api.calls("editMessageText", 601)] == [400]
    new = fake_bot_api.last_bot_message(601)
    assert new["text"] == "Order #9 is over." and new["message_id"] != old["message_id"]
    assert (await rows(db))[gone].sent_ref == f"601:{new['message_id']}"


async def test_news_of_an_order_whose_hall_post_was_removed_is_not_posted_but_an_offer_is(
        db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    start = clock()
    await queue(db, HALL, card(9), at=start, choices=[[("Grab", "grab:9")]], edit_key="hall:9")
    sender = make_sender(db, bot, clock, fake_bot_api)
    await sender.run_once(start)
    old = fake_bot_api.last_bot_message(HALL)
    del fake_bot_api.messages[(HALL, old["message_id"])]  # an admin removed the post
    clock.advance(seconds=5)
    gone = await queue(db, HALL, "Order #9 is no longer available.", at=clock(), edit_key="hall:9")
    assert await sender.run_once(clock()) == 1
    assert fake_bot_api.bot_messages(HALL) == [] and (await rows(db))[gone].status == "sent"  # no noise post

    clock.advance(seconds=5)
    await queue(db, HALL, card(9), at=clock(), choices=[[("Grab", "grab:9")]], edit_key="hall:9")  # open again
    assert await sender.run_once(clock()) == 1
    assert fake_bot_api.buttons(fake_bot_api.last_bot_message(HALL)) == [[("Grab", "grab:9")]]


async def test_a_digest_entry_taken_is_edited_in_the_digest(db: Database, fake_bot_api: FakeBotAPI, bot: Bot,
                                                           clock: FakeClock) -> None:
    start = clock()
    ids = {n: await queue(db, HALL, card(n), at=start, choices=[[("Grab", f"grab:{n}")]], edit_key=f"hall:{n}")
           for n in range(1, 6)}
    sender = make_sender(db, bot, clock, fake_bot_api, per_group="3/minute")  # 5 waiting, room for 3: combine
    assert await sender.run_once(start) == 5
    digest = fake_bot_api.last_bot_message(HALL)
    assert len(fake_bot_api.calls("sendMessage", HALL)) == 1
    assert all(f"New errand #{n}:" in digest["text"] for n in range(1, 6))
    assert fake_bot_api.buttons(digest) == [[(f"#{n} · Grab", f"grab:{n}")] for n in range(1, 6)]
    state = await rows(db)
    assert len({state[i].sent_ref for i in ids.values()}) == 1

    clock.advance(seconds=2)
    await queue(db, HALL, "Order #3 has been taken.", at=clock(), edit_key="hall:3")
    assert await sender.run_once(clock()) == 1
    assert len(fake_bot_api.calls("sendMessage", HALL)) == 1
    assert fake_bot_api.bot_messages(HALL) == [digest]
    assert "Order #3 has been taken." in digest["text"] and "New errand #3:" not in digest["text"]
    assert all(f"New errand #{n}:" in digest["text"] for n in (1, 2, 4, 5))
    assert fake_bot_api.buttons(digest) == [[(f"#{n} · Grab", f"grab:{n}")] for n in (1, 2, 4, 5)]

    clock.advance(seconds=2)
    await queue(db, HALL, "Order #1 has been taken.", at=clock(), edit_key="hall:1")
    assert await sender.run_once(clock()) == 1
    assert re.search(r"Order #1 has been taken\.\n\n.*New errand #2:.*Order #3 has been taken\.", digest["text"],
                     re.DOTALL)
    assert fake_bot_api.buttons(digest) == [[(f"#{n} · Grab", f"grab:{n}")] for n in (2, 4, 5)]


async def test_a_digest_is_split_to_fit_one_message(db: Database, fake_bot_api: FakeBotAPI, bot: Bot,
                                                   clock: FakeClock) -> None:
    start = clock()
    for n in range(1, 41):
        await queue(db, HALL, card(n) + "\n" + "note " * 40, at=start, choices=[[("Grab", f"grab:{n}")]],
                    edit_key=f"hall:{n}")
    sender = make_sender(db, bot, clock, fake_bot_api, per_group="2/minute", per_chat="5/second")
    assert await sender.run_once(start) > 0
    messages = fake_bot_api.bot_messages(HALL)
    assert len(messages) == 2  # the group's budget
    assert all(len(m["text"]) <= 4096 for m in messages)
    clock.advance(seconds=61)
    while await sender.run_once(clock()):
        clock.advance(seconds=61)
    shown = " ".join(m["text"] for m in fake_bot_api.bot_messages(HALL))
    assert all(f"New errand #{n}:" in shown for n in range(1, 41))


async def test_a_digest_of_entries_with_emoji_is_split_where_telegram_counts_each_as_two(
        db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    start = clock()
    for n in range(1, 6):  # each entry about 550 characters, but 1000 to Telegram (UTF-16): 5 of them pass 4096
        await queue(db, HALL, card(n) + "\n" + "📦" * 450, at=start, choices=[[("Grab", f"grab:{n}")]],
                    edit_key=f"hall:{n}")
    sender = make_sender(db, bot, clock, fake_bot_api, per_group="3/minute", per_chat="5/second")
    assert await sender.run_once(start) == 5
    sent = fake_bot_api.calls("sendMessage", HALL)
    assert len(sent) == 2 and all(c.status == 200 for c in sent)
    shown = " ".join(m["text"] for m in fake_bot_api.bot_messages(HALL))
    assert all(f"New errand #{n}:" in shown for n in range(1, 6))
    assert not fake_bot_api.violations


async def test_two_senders_at_once_never_send_a_row_twice(db: Database, fake_bot_api: FakeBotAPI, clock: FakeClock,
                                                         ) -> None:
    start = clock()
    for user in range(1001, 1041):
        await queue(db, user, f"hello {user}", at=start)
    for n in range(1, 11):
        await queue(db, HALL, card(n), at=start, choices=[[("Grab", f"grab:{n}")]], edit_key=f"hall:{n}")
    # Two processes: each its own database engine, Bot and (unshared, so both try everything) rate limiter.
    other_db = Database(db.url.render_as_string(hide_password=False))
    bots = [bot_for(fake_bot_api), bot_for(fake_bot_api)]
    senders = [TelegramSender(d, b, clock, Sleeps(clock, fake_bot_api), limiter=TelegramRateLimiter())
               for d, b in zip([db, other_db], bots)]
    try:
        for _ in range(30):
            await asyncio.gather(*(s.run_once(clock()) for s in senders))
            clock.advance(seconds=1.5)
    finally:
        for b in bots:
            await b.session.close()
        await other_db.dispose()
    state = await rows(db)
    assert all(r.status == "sent" for r in state.values())
    for user in range(1001, 1041):
        assert [r.params["text"] for r in fake_bot_api.calls("sendMessage", user)] == [f"hello {user}"]
    hall_texts = [r.params["text"] for r in fake_bot_api.calls("sendMessage", HALL)]
    for n in range(1, 11):
        assert sum(f"New errand #{n}:" in t for t in hall_texts) == 1


async def test_run_forever_delivers_and_stops(db: Database, fake_bot_api: FakeBotAPI, bot: Bot,
                                              clock: FakeClock) -> None:
    await queue(db, 42, "hello", at=clock())
    stop = asyncio.Event()
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        stop.set()

    sender = TelegramSender(db, bot, clock, sleep)
    await asyncio.wait_for(sender.run_forever(stop), timeout=10)
    assert fake_bot_api.last_bot_message(42)["text"] == "hello"
    assert pauses == [sender.config.poll_interval]


@pytest.mark.redis
async def test_processes_share_the_limits_through_redis(redis_client: Any) -> None:
    """Two processes' limiters on one Redis: a slot one takes is gone for the other (a minute's window, so the
    real clock Redis storage uses cannot move past it during the test)."""
    from tests.conftest import REDIS_URL

    config = SenderConfig(per_chat="1/minute", per_group="2/minute")
    first = TelegramRateLimiter.for_redis(REDIS_URL, config)
    second = TelegramRateLimiter.for_redis(REDIS_URL, config)
    assert await first.acquire(42)
    assert not await second.acquire(42)
    assert await second.acquire(43)
    assert await second.group_remaining(HALL) == 2
    assert await first.acquire(HALL)
    assert await second.group_remaining(HALL) == 1

    await first.hold(44, 60)  # a 429 one process got: the other leaves the chat alone too
    assert await second.held(44) and not await second.ready(44)
    assert not await second.held(45) and await second.ready(45)
    until = await second.held_until(44)  # when: rows queued for the chat meanwhile wait until then
    assert until is not None and 58 <= (until - dt.datetime.now(dt.timezone.utc)).total_seconds() <= 61
    assert await second.held_until(45) is None
    await first.note_request(HALL, announced=True)
    assert await second.announced_last(HALL)
    await second.note_request(HALL, announced=False)
    assert not await first.announced_last(HALL)


async def test_a_photo_arrives_as_a_photo_with_its_text_as_the_caption(db: Database, fake_bot_api: FakeBotAPI,
                                                                      bot: Bot, clock: FakeClock) -> None:
    now = clock()
    file_id = "AgACAgUAAxkBAAIBQ2ZrunnerPhoto"
    caption = "Order #5: a photo from your runner."
    await queue(db, 701, caption, at=now, choices=[[("Reply", "o:5:chat")]], photo=file_id)
    await queue(db, 702, "x" * 1500, at=now, photo="AgAC-long")
    sender = make_sender(db, bot, clock, fake_bot_api)
    assert await sender.run_once(now) == 2
    assert fake_bot_api.calls("sendMessage") == []
    (call,) = fake_bot_api.calls("sendPhoto", 701)
    assert call.status == 200 and call.params["photo"] == file_id and call.params["caption"] == caption
    message = fake_bot_api.last_bot_message(701)
    assert message["photo"][0]["file_id"] == file_id and message["caption"] == caption
    assert fake_bot_api.buttons(message) == [[("Reply", "o:5:chat")]]
    long = fake_bot_api.last_bot_message(702)  # a caption holds 1024 characters: the text is cut to fit
    assert long["photo"][0]["file_id"] == "AgAC-long"
    assert len(long["caption"]) <= 1024 and long["caption"].startswith("x" * 900) and long["caption"].endswith("…")


async def test_an_edit_of_a_photo_changes_its_caption(db: Database, fake_bot_api: FakeBotAPI, bot: Bot,
                                                     clock: FakeClock) -> None:
    start = clock()
    first = await queue(db, 703, "Proof of pickup, order #6", at=start, photo="AgAC-proof", edit_key="proof:6",
                        choices=[[("Looks good", "proof:6:ok")]])
    sender = make_sender(db, bot, clock, fake_bot_api)
    assert await sender.run_once(start) == 1
    clock.advance(seconds=5)
    second = await queue(db, 703, "Proof of pickup, order #6 (confirmed)", at=clock(), photo="AgAC-proof",
                         edit_key="proof:6")
    assert await sender.run_once(clock()) == 1
    assert fake_bot_api.calls("editMessageText") == []
    (edit,) = fake_bot_api.calls("editMessageCaption", 703)
    assert edit.status == 200
    (message,) = fake_bot_api.bot_messages(703)
    assert message["caption"] == "Proof of pickup, order #6 (confirmed)" and fake_bot_api.buttons(message) == []
    state = await rows(db)
    assert state[second].status == "sent" and state[second].sent_ref == state[first].sent_ref


async def test_a_message_that_fails_for_good_is_logged_and_a_hall_or_admin_chat_loudly(
        db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock, campus: Campus,
        caplog: pytest.LogCaptureFixture) -> None:
    now = clock()
    user_row = await queue(db, 556, "Your order was taken", at=now)
    hall_row = await queue(db, HALL, card(3), at=now, choices=[[("Grab", "grab:3")]], edit_key="hall:3")
    admin_row = await queue(db, 4242, "A new runner applied", at=now)  # an operator's private chat as admin chat
    fake_bot_api.block(556)
    fake_bot_api.fail(403, "Forbidden: bot was kicked from the supergroup chat", chat_id=HALL)
    fake_bot_api.fail(400, "Bad Request: chat not found", chat_id=4242)
    sender = TelegramSender(db, bot, clock, Sleeps(clock, fake_bot_api), 
                            staff_chats=campus_chats([campus.model_copy(update={"channels": Channels(
                                telegram_hall_chat_id=HALL, telegram_admin_chat_id=4242)})]))
    with caplog.at_level(logging.WARNING, logger="bot.telegram.sender"):
        assert await sender.run_once(now) == 0
    assert {r.status for r in (await rows(db)).values()} == {"failed"}
    logged = {r.getMessage(): r.levelno for r in caplog.records}

    def level(*parts: str) -> int | None:
        found = [lvl for text, lvl in logged.items() if all(p in text for p in parts)]
        assert len(found) == 1, (parts, logged)
        return found[0]

    assert level("556", f"[{user_row}]", "403: Forbidden: bot was blocked by the user") == logging.WARNING
    assert level(str(HALL), f"[{hall_row}]", "403: Forbidden: bot was kicked") == logging.ERROR
    assert level("4242", f"[{admin_row}]", "400: Bad Request: chat not found") == logging.ERROR


async def test_a_message_a_crashed_sender_had_claimed_is_not_overtaken_by_the_chats_later_ones(
        fake_bot_api: FakeBotAPI, bot: Bot, db: Database, clock: FakeClock, virtual_time: None):
    """A sender claimed the student's 'paid' message and its process was killed before the request. Before, the
    next sender sent the chat's later messages at once and the claimed one after its lease (5 minutes): 'Runner Wang
    took order #7' came before 'Paid'. A command-menu refresh due later holds nothing back."""
    first = await queue(db, 1001, "Paid. Order #7 is in the hall.", at=clock())
    menu_later = await queue_menu(db, 1001, at=clock() + dt.timedelta(hours=1))
    async with UnitOfWork(db) as uow:  # claimed: due again when the lease runs out
        await uow.session.execute(update(Outbox).where(Outbox.id == first).values(
            next_attempt_at=clock() + dt.timedelta(seconds=SenderConfig().lease)))
    clock.advance(seconds=10)  # the service starts again
    await queue(db, 1001, "Runner Wang took order #7.", at=clock())
    sender = TelegramSender(db, bot, clock, config=SenderConfig(), cipher=CIPHER)
    await sender.run_once(clock())
    assert fake_bot_api.bot_messages(1001) == []
    clock.advance(seconds=SenderConfig().lease)
    for _ in range(3):
        await sender.run_once(clock())
        clock.advance(seconds=1)
    texts = [m["text"] for m in fake_bot_api.bot_messages(1001)]
    assert texts == ["Paid. Order #7 is in the hall.", "Runner Wang took order #7."]
    async with UnitOfWork(db, write=False) as uow:
        assert (await uow.session.get(Outbox, menu_later)).status == "pending"  # still to come, in its time
