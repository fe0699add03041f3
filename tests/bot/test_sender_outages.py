"""The outbox sender through a Telegram outage (network errors, 5xx): nothing is lost, each chat reads its messages in
order, the backlog goes out within the limits, and only a day of failures fails a message — in virtual time. A
message an order needs that does fail for good is reported to the campus's operators."""
from __future__ import annotations

import datetime as dt
import functools
import itertools

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError, TelegramNotFound
from aiogram.methods import SendMessage

from bot.telegram.refusals import DESCRIPTIONS, OUTAGE, Refusal, refusal
from bot.telegram.sender import SenderConfig, TelegramSender, backoff, retried_for
from core.order import Actor, Event, Role, transition
from handlers.context import Services
from handlers.hall import announce
from handlers.notify import UNDELIVERED_REASONS, Notifier, report_undelivered
from handlers.unreachable import unreachable
from locales import catalogue
from storage.db import Database
from storage.transitions import apply_transition
from storage.uow import UnitOfWork
from tests.bot.fake_bot_api import FakeBotAPI
from tests.bot.test_sender import (  # noqa: F401 - virtual_time: a fixture
    HALL,
    card,
    make_sender,
    most_in_window,
    queue,
    rows,
    virtual_time,
)
from tests.bot.test_telegram_adapter import tg_runner, tg_user
from tests.conftest import FakeClock
from tests.factories import CIPHER, make_order, top_up

CAP = SenderConfig().backoff_cap


def outage(api: FakeBotAPI) -> None:
    """Telegram answers every request with 502 until the faults are cleared."""
    api.server_error(times=10**9)


async def run_for(sender: TelegramSender, clock: FakeClock, seconds: float, step: float = 1.0) -> None:
    end = clock() + dt.timedelta(seconds=seconds)
    while clock() < end:
        await sender.run_once(clock())
        clock.advance(seconds=step)


async def notify_act(services: Services, order_id: int, event: Event, actor: Actor, now: dt.datetime) -> None:
    """An order's transition with its notices written to the outbox, as the handlers do it."""
    campus = services.default_campus
    async with UnitOfWork(services.db) as uow:
        order = await uow.orders.get(order_id)
        t = transition(campus, order, event, actor, now)
        await apply_transition(uow, campus, t, now)
        await Notifier(services, uow, now, origin=f"test:{event.value}:{order_id}").transition(campus, t)


async def paid_order(services: Services, clock: FakeClock, customer: int) -> int:
    campus = services.default_campus
    order_id = await make_order(services.db, campus, customer, clock(), pay=False)
    async with UnitOfWork(services.db, write=False) as uow:
        total = (await uow.orders.get_row(order_id)).total  # type: ignore[union-attr]
    await top_up(services.db, customer, total, clock())
    await notify_act(services, order_id, Event.pay, Actor(Role.customer, customer), clock())
    return order_id


def texts(api: FakeBotAPI, chat: int) -> list[str]:
    """What the bot's requests that went through said in a chat, in the order they were made."""
    return [r.params.get("text", "") for r in api.calls(chat_id=chat, ok=True)]


async def test_an_outage_of_minutes_loses_nothing_and_the_winner_gets_the_details(
        fake_bot_api: FakeBotAPI, bot: Bot, services: Services, clock: FakeClock) -> None:
    """The grab's winner must get the student's phone and room even when Telegram was down as the order was taken:
    otherwise the order sits unpicked until the pickup timeout, and the runner loses credit for Telegram's fault."""
    hall = services.default_campus.channels.telegram_hall_chat_id
    customer = await tg_user(services, services.default_campus, clock, 1001, name="Li")
    runner = await tg_runner(services, services.default_campus, clock, 3003, name="Zhao")
    sender = TelegramSender(services.db, bot, clock, cipher=services.cipher)
    order_id = await paid_order(services, clock, customer)
    await run_for(sender, clock, 2)
    assert len(fake_bot_api.bot_messages(hall)) == 1

    outage(fake_bot_api)
    down = clock()
    await notify_act(services, order_id, Event.accept, Actor(Role.runner, runner), clock())
    await run_for(sender, clock, 10 * 60)  # ten minutes without Telegram
    assert fake_bot_api.bot_messages(3003) == []
    state = await rows(services.db)
    assert {r.status for r in state.values()} == {"sent", "pending"}
    # A chat waiting out an outage costs one request per backoff, not one per message or per run.
    tried = fake_bot_api.calls(chat_id=3003)
    assert 5 <= len(tried) <= 12 and all(r.status == 502 for r in tried)

    fake_bot_api.faults.clear()  # Telegram is back
    back = clock()
    await run_for(sender, clock, CAP + 5)
    (details,) = fake_bot_api.bot_messages(3003)
    assert f"#{order_id}" in details["text"] and fake_bot_api.buttons(details)  # the details and the trip's buttons
    arrived = next(r.at for r in fake_bot_api.calls("sendMessage", 3003, ok=True))
    assert arrived - back <= dt.timedelta(seconds=CAP + 1)
    assert fake_bot_api.bot_messages(1001), "the student was told too"
    assert "Grab" not in str(fake_bot_api.bot_messages(hall)[0].get("reply_markup"))  # the hall post says taken
    assert {r.status for r in (await rows(services.db)).values()} == {"sent"}
    assert clock() - down > dt.timedelta(minutes=10)


async def test_a_chat_reads_its_messages_in_order_after_an_outage(db: Database, fake_bot_api: FakeBotAPI, bot: Bot,
                                                                  clock: FakeClock) -> None:
    """A message that failed waits for its next try, and so do the chat's later messages: they must not overtake it
    (a relayed "I'm at the gate" before the order it is about)."""
    sender = make_sender(db, bot, clock, fake_bot_api)
    outage(fake_bot_api)
    for n in range(1, 5):
        await queue(db, 600, f"message {n}", at=clock())
        await run_for(sender, clock, 7, step=0.5)
    fake_bot_api.faults.clear()
    await queue(db, 600, "message 5", at=clock())  # queued once Telegram is back, while the others wait
    await run_for(sender, clock, CAP + 10, step=0.5)
    assert texts(fake_bot_api, 600) == [f"message {n}" for n in range(1, 6)]
    sends = [r.at for r in fake_bot_api.calls(chat_id=600)]
    assert most_in_window(sends, 1) == 1  # one a second in a chat, failed tries included


async def test_a_hall_backlog_after_an_outage_goes_out_within_the_group_limit(
        db: Database, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    """Thirty orders announced (and a few taken) while Telegram was down for five minutes: once it is back, every
    open order reaches the hall with its own Grab button, in digests that keep to 20 messages a minute, and a taken
    order the hall never saw is not posted."""
    sender = make_sender(db, bot, clock, fake_bot_api)
    outage(fake_bot_api)
    for n in range(1, 31):
        await queue(db, HALL, card(n), at=clock(), choices=[[("Grab", f"g:{n}")]], edit_key=f"hall:{n}")
        if n % 10 == 0:
            await queue(db, HALL, f"Order #{n} has been taken.", at=clock(), edit_key=f"hall:{n}")
        await run_for(sender, clock, 10)
    fake_bot_api.faults.clear()
    back = clock()
    await run_for(sender, clock, CAP + 60)

    state = await rows(db)
    assert {r.status for r in state.values()} == {"sent"}
    shown = {data for m in fake_bot_api.bot_messages(HALL) for line in fake_bot_api.buttons(m) for _, data in line}
    assert shown == {f"g:{n}" for n in range(1, 31) if n % 10}
    assert not any("has been taken" in m["text"] for m in fake_bot_api.bot_messages(HALL))
    requests = fake_bot_api.calls(chat_id=HALL)
    assert most_in_window([r.at for r in requests], 60) <= 20  # failed tries count too: Telegram saw them
    delivered = fake_bot_api.calls(chat_id=HALL, ok=True)
    assert len(delivered) < 27 and max(r.at for r in delivered) - back <= dt.timedelta(seconds=CAP + 60)
    posted = [int(data.split(":")[1]) for m in fake_bot_api.bot_messages(HALL) for line in fake_bot_api.buttons(m)
              for _, data in line]
    assert posted == sorted(posted)  # announced oldest first


async def test_a_message_is_retried_for_a_day_then_fails_with_the_reason(db: Database, fake_bot_api: FakeBotAPI,
                                                                        bot: Bot, clock: FakeClock) -> None:
    start = clock()
    row = await queue(db, 601, "never arrives", at=start)
    outage(fake_bot_api)
    sender = make_sender(db, bot, clock, fake_bot_api)
    assert sender.config.retry_for == 24 * 3600
    while (await rows(db))[row].status == "pending":
        await sender.run_once(clock())
        due = (await rows(db))[row].next_attempt_at
        clock.advance(seconds=max((due - clock()).total_seconds(), 0.5))
        assert clock() - start < dt.timedelta(days=2)

    tries = [r.at for r in fake_bot_api.calls("sendMessage", 601)]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(tries)]
    assert gaps[:4] == [2, 4, 8, 16] and max(gaps) == CAP  # capped exponential backoff
    assert dt.timedelta(days=1) <= tries[-1] - tries[0] < dt.timedelta(days=1, seconds=CAP)
    assert retried_for(len(tries), sender.config) >= sender.config.retry_for > retried_for(len(tries) - 1,
                                                                                          sender.config)
    state = (await rows(db))[row]
    assert state.status == "failed" and state.attempts == len(tries)
    assert state.last_error.startswith(f"after {len(tries)} tries: TelegramServerError")
    assert backoff(len(tries), sender.config) == CAP


def reporting_sender(services: Services, bot: Bot, clock: FakeClock, **config: float) -> TelegramSender:
    """The sender as app.py builds it: messages an order needs that fail for good are reported to the operators,
    and so is a runner found unreachable (403)."""
    return TelegramSender(services.db, bot, clock, cipher=services.cipher, config=SenderConfig(**config),
                          undelivered=functools.partial(report_undelivered, services),
                          unreachable=functools.partial(unreachable, services))


def campus_in(services: Services, language: str) -> Services:
    campus = services.default_campus.model_copy(update={"language": language})
    return Services(db=services.db, campuses={campus.id: campus}, cipher=CIPHER, clock=services.clock,
                    channels=services.channels)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_the_operators_are_told_when_the_winner_cannot_get_the_details(
        fake_bot_api: FakeBotAPI, bot: Bot, services: Services, clock: FakeClock, language: str) -> None:
    services = campus_in(services, language)
    admin = services.default_campus.channels.telegram_admin_chat_id
    customer = await tg_user(services, services.default_campus, clock, 1001, name="Li")
    runner = await tg_runner(services, services.default_campus, clock, 3003, name="Zhao")
    sender = reporting_sender(services, bot, clock)
    order_id = await paid_order(services, clock, customer)
    await run_for(sender, clock, 2)
    fake_bot_api.block(3003)  # the winner blocked the bot since the grab
    await notify_act(services, order_id, Event.accept, Actor(Role.runner, runner), clock())
    await run_for(sender, clock, 5)

    # Told once, as a runner found unreachable (handlers.unreachable), not a second time as a failed message.
    (report,) = fake_bot_api.bot_messages(admin)
    assert report["text"] == catalogue(language)("admin-runner-unreachable-order", order=str(order_id),
                                                 who=f"Zhao (#{runner})", status="accepted")
    assert len(fake_bot_api.calls("sendMessage", 3003)) == 1  # failed at once, not retried


async def test_the_operators_are_told_when_a_hall_post_fails_after_its_retries(
        fake_bot_api: FakeBotAPI, bot: Bot, services: Services, clock: FakeClock) -> None:
    hall = services.default_campus.channels.telegram_hall_chat_id
    admin = services.default_campus.channels.telegram_admin_chat_id
    customer = await tg_user(services, services.default_campus, clock, 1001, name="Li")
    fake_bot_api.server_error(chat_id=hall, times=10**9)  # only the hall: the admin chat works
    sender = reporting_sender(services, bot, clock, retry_for=120)
    order_id = await paid_order(services, clock, customer)
    await run_for(sender, clock, 100)
    assert fake_bot_api.bot_messages(admin) == []  # still being retried: nothing to report yet
    await run_for(sender, clock, 200)

    (post,) = [r for r in (await rows(services.db)).values() if r.recipient == str(hall)]
    assert post.status == "failed" and post.last_error.startswith(f"after {post.attempts} tries: TelegramServerError")
    (report,) = fake_bot_api.bot_messages(admin)
    assert report["text"] == catalogue("zh_CN")("notice-undelivered", channel="telegram", what="hall", order=order_id,
                                                reason="outage")
    assert "多次重试后仍无法连接" in report["text"] and "TelegramServerError" not in report["text"]


async def test_a_hall_that_fails_every_reminder_of_an_order_is_reported_once(
        fake_bot_api: FakeBotAPI, bot: Bot, services: Services, clock: FakeClock) -> None:
    # Before, each reminder (a new hall post with its Grab) failed anew and was reported anew.
    campus = services.default_campus
    hall, admin = campus.channels.telegram_hall_chat_id, campus.channels.telegram_admin_chat_id
    customer = await tg_user(services, campus, clock, 1001, name="Li")
    fake_bot_api.fail(403, "Forbidden: bot was kicked from the supergroup chat", chat_id=hall, times=10**9)
    sender = reporting_sender(services, bot, clock)
    order_id = await paid_order(services, clock, customer)
    for reminder in range(3):
        await run_for(sender, clock, 5)
        async with UnitOfWork(services.db) as uow:  # as the sweep's reminder does
            await announce(Notifier(services, uow, clock(), origin=f"test:remind:{reminder}"), campus,
                           await uow.orders.get_row(order_id))
    await run_for(sender, clock, 5)
    assert sum(r.recipient == str(hall) and r.status == "failed" for r in (await rows(services.db)).values()) == 4
    assert len(fake_bot_api.bot_messages(admin)) == 1


@pytest.mark.parametrize(("status", "description", "zh_CN", "en"), [
    (403, "Forbidden: bot was kicked from the supergroup chat", "机器人已不在该群中",
     "the bot is no longer in that group"),
    (403, "Forbidden: bot is not a member of the supergroup chat", "机器人已不在该群中",
     "the bot is no longer in that group"),
    (400, "Bad Request: chat not found", "该聊天不存在或已被删除", "that chat does not exist (any more)"),
    (400, "Bad Request: not enough rights to send text messages to the chat", "机器人在该聊天中没有发消息的权限",
     "the bot may not send messages in that chat"),
    (400, "Bad Request: message is too long", "消息太长", "the message was too long"),
    (413, "Request Entity Too Large", "消息太长", "the message was too long"),
    (400, "Bad Request: can't parse entities: unsupported start tag", "消息格式无效，被拒收",
     "the message was refused as invalid"),
    (409, "Conflict: the bot is confused", "平台返回“Conflict: the bot is confused”",
     'it answered "Conflict: the bot is confused"'),
], ids=["kicked", "not-a-member", "chat-not-found", "no-rights", "too-long", "413", "bad-request", "unknown"])
@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_the_operators_read_why_a_hall_post_failed_in_their_language(
        fake_bot_api: FakeBotAPI, bot: Bot, services: Services, clock: FakeClock, status: int, description: str,
        zh_CN: str, en: str, language: str) -> None:
    """Telegram's English description is not the report: a common refusal is worded in the operators' language;
    only one not known is quoted. The failed post keeps Telegram's own words for whoever looks into it later."""
    services = campus_in(services, language)
    campus = services.default_campus
    hall, admin = campus.channels.telegram_hall_chat_id, campus.channels.telegram_admin_chat_id
    customer = await tg_user(services, campus, clock, 1001, name="Li")
    fake_bot_api.fail(status, description, chat_id=hall, times=10**9)
    order_id = await paid_order(services, clock, customer)
    await run_for(reporting_sender(services, bot, clock), clock, 5)

    (post,) = [r for r in (await rows(services.db)).values() if r.recipient == str(hall)]
    assert post.status == "failed" and post.last_error.endswith(description)
    (report,) = fake_bot_api.bot_messages(admin)
    why = {"zh_CN": zh_CN, "en": en}[language]
    assert report["text"] == {
        "zh_CN": f"⚠️ Telegram 未能送达订单 #{order_id} 的任务大厅帖子，不会再试：{why}。请用 /find {order_id} 查看。",
        "en": f"⚠️ Telegram could not deliver the task-hall post of order #{order_id}, and will not try again: {why}. "
              f"See /find {order_id}.",
    }[language]


def test_a_person_who_blocked_the_bot_or_left_telegram_is_told_apart_from_an_unknown_refusal() -> None:
    """A person's 403 is reported as their being unreachable (handlers.unreachable); its reason is still known."""
    method = SendMessage(chat_id=1001, text="hi")
    assert refusal(TelegramForbiddenError(method, "Forbidden: bot was blocked by the user")) == Refusal("blocked")
    assert refusal(TelegramForbiddenError(method, "Forbidden: user is deactivated")) == Refusal("deactivated")
    assert refusal(TelegramForbiddenError(method, "Forbidden: bot can't initiate conversation with a user")) == \
        Refusal("not-started")
    assert refusal(TelegramNotFound(method, "Not Found: method not found")) == \
        Refusal("other", "Not Found: method not found")


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_reason_a_telegram_refusal_is_given_is_worded_in_every_language(language: str) -> None:
    reasons = {reason for _, reason in DESCRIPTIONS} | {OUTAGE.reason, "too-long", "bad-request"}
    assert reasons == UNDELIVERED_REASONS
    t = catalogue(language)
    worded = {t("notice-undelivered", channel="telegram", what="hall", order=1, reason=r, detail="DETAIL")
              for r in reasons}
    assert len(worded) == len(reasons) and not any("DETAIL" in text for text in worded)


async def test_a_report_that_cannot_reach_the_admin_chat_reports_nothing(
        fake_bot_api: FakeBotAPI, bot: Bot, services: Services, clock: FakeClock) -> None:
    hall = services.default_campus.channels.telegram_hall_chat_id
    admin = services.default_campus.channels.telegram_admin_chat_id
    customer = await tg_user(services, services.default_campus, clock, 1001, name="Li")
    fake_bot_api.fail(403, "Forbidden: bot was kicked from the supergroup chat", chat_id=hall, times=10**9)
    fake_bot_api.fail(403, "Forbidden: bot was kicked from the supergroup chat", chat_id=admin, times=10**9)
    sender = reporting_sender(services, bot, clock)
    first = await paid_order(services, clock, customer)
    await run_for(sender, clock, 5)
    await notify_act(services, first, Event.cancel, Actor(Role.customer, customer), clock())  # no Grab: no report
    await run_for(sender, clock, 60)

    state = list((await rows(services.db)).values())
    assert [(r.recipient, r.status) for r in state if r.recipient == str(admin)] == [(str(admin), "failed")]
    assert {r.status for r in state} <= {"sent", "failed"}  # nothing left waiting, nothing queued again
    assert len(fake_bot_api.calls(chat_id=admin)) == 1


async def test_a_failure_in_the_admin_chat_itself_is_not_reported_there(
        fake_bot_api: FakeBotAPI, bot: Bot, services: Services, clock: FakeClock) -> None:
    """A campus whose task hall is its admin chat: a hall post failing there is not reported there."""
    campus = services.default_campus
    one_chat = campus.model_copy(update={"channels": campus.channels.model_copy(
        update={"telegram_hall_chat_id": campus.channels.telegram_admin_chat_id})})
    services = Services(db=services.db, campuses={campus.id: one_chat}, cipher=CIPHER, clock=clock,
                        channels=services.channels)
    customer = await tg_user(services, one_chat, clock, 1001, name="Li")
    fake_bot_api.fail(400, "Bad Request: chat not found", chat_id=campus.channels.telegram_admin_chat_id)
    sender = reporting_sender(services, bot, clock)
    await paid_order(services, clock, customer)
    await run_for(sender, clock, 10)
    assert [r.status for r in (await rows(services.db)).values()
            if r.recipient == str(campus.channels.telegram_admin_chat_id)] == ["failed"]
