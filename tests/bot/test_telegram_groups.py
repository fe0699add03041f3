"""The Telegram adapter in groups and with payments it cannot match: button presses in the campus admin chat, what
it posts in the task hall itself (within the group's rate limit, once per update), a charge for no order, and the
admin chat told of a runner who blocked the bot while carrying an order, and a runner of a student who did.

End to end against the fake Bot API over real HTTP, in virtual time: the rate windows read the test's clock."""
from __future__ import annotations

import copy
import datetime as dt
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.settings import Settings
from bot.telegram.adapter import build_dispatcher
from bot.telegram.app import telegram_sender
from bot.telegram.sender import TelegramRateLimiter, TelegramSender
from core import ledger
from core.money import format_yuan
from core.numbers import MAX_ID
from core.order import Actor, Event, Role
from handlers.admin import who as admin_who
from handlers.context import Services
from handlers.io import Kind
from locales import catalogue
from storage.models import Complaint, LedgerPosting, Outbox, RunnerProfile, User, Withdrawal
from storage.uow import UnitOfWork
from tests.bot.conftest import polling
from tests.bot.fake_bot_api import FakeBotAPI
from tests.bot.test_sender import most_in_window, queue, virtual_time  # noqa: F401 - rate windows in the test's time
from tests.bot.test_telegram_adapter import (
    accepted_order,
    hall_card,
    order_row,
    settle,
    tg_runner,
    tg_user,
    until,
)
from tests.factories import CIPHER, act, make_order, top_up

EN = catalogue("en")


@pytest.fixture
def campus(campus):
    """A campus that speaks English: what its admin chat and hall are told, whoever acts there, is in EN."""
    return campus.model_copy(update={"language": "en"})


@pytest.fixture
def limiter() -> TelegramRateLimiter:
    """The rate windows the outbox sender and the adapter share (as app.py wires them)."""
    return TelegramRateLimiter()


@pytest.fixture
async def dispatcher(services: Services, bot: Bot, settings: Settings,
                     limiter: TelegramRateLimiter) -> AsyncIterator[Dispatcher]:
    async with polling(build_dispatcher(services, bot, settings, limiter), bot) as dp:
        yield dp


@pytest.fixture
def hall(fake_bot_api: FakeBotAPI, campus) -> dict[str, Any]:
    return fake_bot_api.group(campus.channels.telegram_hall_chat_id)


@pytest.fixture
def admin_chat(fake_bot_api: FakeBotAPI, campus) -> dict[str, Any]:
    return fake_bot_api.group(campus.channels.telegram_admin_chat_id, "Operators")


async def grab_in_hall(api: FakeBotAPI, hall: dict[str, Any], order_id: int, *people: dict[str, Any]) -> None:
    """Each person sends /grab in the hall at the same moment; returns once every one has been handled."""
    for person in people:
        api.command(person, "grab", str(order_id), chat=hall)
    for person in people:
        await settle(api, person)


# --- buttons in the admin chat -------------------------------------------------------------------------------------

async def operator(services: Services, campus, clock, tg_id: int, *, started: bool) -> int:
    user_id = await tg_user(services, campus, clock, tg_id, started=started)
    async with UnitOfWork(services.db) as uow:
        (await uow.session.get(User, user_id)).is_operator = True
    return user_id


async def applicant(services: Services, campus, clock, tg_id: int, *, card_photo: str | None = None) -> int:
    """A pending application; card_photo: the file id of the student-card photo they sent."""
    user_id = await tg_user(services, campus, clock, tg_id, name="Zhao")
    async with UnitOfWork(services.db) as uow:
        uow.session.add(RunnerProfile(
            user_id=user_id, campus_id=campus.id, status="pending", gender="female",
            real_name_enc=CIPHER.encrypt("赵"), student_no_enc=CIPHER.encrypt("2024001"),
            credit=campus.credit.initial, applied_at=clock(), card_photo_enc=CIPHER.encrypt(card_photo)))
    return user_id


async def application_status(services: Services, user_id: int) -> str:
    async with UnitOfWork(services.db, write=False) as uow:
        profile = await uow.runners.get(user_id)
    assert profile is not None
    return profile.status


async def posted_application(api: FakeBotAPI, admin_chat: dict[str, Any], operator_tg: int) -> dict[str, Any]:
    """An operator lists the applications in the admin chat: the application with Approve / Reject buttons."""
    api.command(api.user(operator_tg, "Wu", language_code="en"), "applications", chat=admin_chat)
    return (await until(lambda: [m for m in api.bot_messages(admin_chat["id"]) if api.buttons(m)]))[-1]


async def test_an_operator_who_never_started_the_bot_approves_in_the_admin_chat_and_the_buttons_go(
        fake_bot_api, dispatcher, services, campus, clock, admin_chat):
    first_operator = await operator(services, campus, clock, 4004, started=False)  # moderates only here
    await operator(services, campus, clock, 4006, started=True)
    runner = await applicant(services, campus, clock, 3003)
    card = await posted_application(fake_bot_api, admin_chat, 4004)
    posted = len(fake_bot_api.bot_messages(admin_chat["id"]))

    fake_bot_api.press(fake_bot_api.user(4004, "Wu", language_code="en"), card, EN("admin-button-approve"))
    await until(lambda: fake_bot_api.calls("editMessageText", admin_chat["id"]))
    edited = fake_bot_api.messages[(admin_chat["id"], card["message_id"])]
    assert edited["text"] == EN("admin-application-approved", who=f"Zhao (#{runner})", quiz="ahead")
    assert "reply_markup" not in edited  # no operator can press Approve or Reject on it any more
    (answer,) = await until(lambda: fake_bot_api.callback_answers)
    assert not answer.get("text") and not answer.get("url")  # not sent off to press Start
    assert await application_status(services, runner) == "approved"
    assert len(fake_bot_api.bot_messages(admin_chat["id"])) == posted  # edited in place, nothing new
    assert not fake_bot_api.calls("sendMessage", 4004)

    # Another operator's client still showed the old buttons: decided once; the late press is told so in a toast,
    # and the card keeps saying what became of the application in the decision's own words (not overwritten with a
    # shorter "already approved"), with no buttons, nothing new in the chat.
    ma = fake_bot_api.user(4006, "Ma", language_code="en")
    fake_bot_api.callback(ma, f"adm:approve:{runner}", card)
    await until(lambda: len(fake_bot_api.callback_answers) == 2)
    assert fake_bot_api.callback_answers[1].get("text") == EN("error-decided-already")
    assert not fake_bot_api.calls("sendMessage", 4006)
    await settle(fake_bot_api, ma)  # his press handled to its end
    assert fake_bot_api.messages[(admin_chat["id"], card["message_id"])] == edited
    assert len(fake_bot_api.calls("editMessageText", admin_chat["id"])) == 1
    assert len(fake_bot_api.bot_messages(admin_chat["id"])) == posted
    async with UnitOfWork(services.db, write=False) as uow:
        decided_by = (await uow.runners.get(runner)).decided_by
    assert decided_by == first_operator


async def test_an_application_comes_with_its_student_card_photo_and_its_decision_replaces_the_caption(
        fake_bot_api, dispatcher, services, campus, clock, admin_chat):
    await operator(services, campus, clock, 4004, started=False)
    runner = await applicant(services, campus, clock, 3003, card_photo="AgAC-1-m")  # the file id of their photo
    card = await posted_application(fake_bot_api, admin_chat, 4004)

    assert [p["file_id"] for p in card["photo"]] == ["AgAC-1-m"] and "text" not in card
    assert card["caption"].startswith(f"Application from Zhao (#{runner})")
    assert "Student card photo: attached" in card["caption"] and "AgAC" not in card["caption"]
    assert [label for label, _ in fake_bot_api.buttons(card)[0]] == [EN("admin-button-approve"),
                                                                      EN("admin-button-reject")]
    assert len(fake_bot_api.calls("sendPhoto", admin_chat["id"])) == 1

    fake_bot_api.press(fake_bot_api.user(4004, "Wu", language_code="en"), card, EN("admin-button-approve"))
    await until(lambda: fake_bot_api.calls("editMessageCaption", admin_chat["id"]))
    decided = fake_bot_api.messages[(admin_chat["id"], card["message_id"])]
    assert decided["caption"] == EN("admin-application-approved", who=f"Zhao (#{runner})", quiz="ahead")
    assert "reply_markup" not in decided and decided["photo"] == card["photo"]
    assert not fake_bot_api.calls("editMessageText") and len(fake_bot_api.bot_messages(admin_chat["id"])) == 2


async def asked_why_rejected(api: FakeBotAPI, services: Services, campus, clock, admin_chat: dict[str, Any], *,
                             started: bool, card_photo: str | None = "AgAC-1-m"
                             ) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """An operator (Wu, 4004) presses Reject on an application card (with a student-card photo unless card_photo is
    None): the applicant, the card and the question asking why, to be answered by a reply."""
    await operator(services, campus, clock, 4004, started=started)
    runner = await applicant(services, campus, clock, 3003, card_photo=card_photo)
    card = await posted_application(api, admin_chat, 4004)
    api.press(api.user(4004, "Wu", language_code="en"), card, EN("admin-button-reject"))
    question = await until(lambda: [m for m in api.bot_messages(admin_chat["id"])
                                    if m.get("text") == EN("admin-ask-reject-reason", user=str(runner))])
    return runner, card, question[-1]


async def test_a_photo_card_rejected_through_its_question_says_so_in_its_caption(
        fake_bot_api, dispatcher, services, campus, clock, admin_chat):
    runner, card, question = await asked_why_rejected(fake_bot_api, services, campus, clock, admin_chat,
                                                      started=False)
    wu = fake_bot_api.user(4004, "Wu", language_code="en")

    fake_bot_api.text(wu, "not a student here", chat=admin_chat, reply_to=question)
    rejected = EN("admin-application-rejected", who=f"Zhao (#{runner})", reason="not a student here")
    await until(lambda: fake_bot_api.messages[(admin_chat["id"], card["message_id"])].get("caption") == rejected)
    decided = fake_bot_api.messages[(admin_chat["id"], card["message_id"])]
    assert "reply_markup" not in decided and decided["photo"] == card["photo"]
    assert fake_bot_api.messages[(admin_chat["id"], question["message_id"])]["text"] == rejected


async def test_an_admin_chat_button_pressed_by_a_non_operator_is_refused_and_changes_nothing(
        fake_bot_api, dispatcher, services, campus, clock, admin_chat):
    await operator(services, campus, clock, 4004, started=False)
    await tg_user(services, campus, clock, 4005, started=False)  # in the chat, no operator, English
    runner = await applicant(services, campus, clock, 3003)
    card = await posted_application(fake_bot_api, admin_chat, 4004)
    posted = len(fake_bot_api.bot_messages(admin_chat["id"]))

    for label in ("admin-button-approve", "admin-button-reject"):
        fake_bot_api.press(fake_bot_api.user(4005, "Zhou", language_code="en"), card, EN(label))
    answers = await until(lambda: len(fake_bot_api.callback_answers) == 2 and fake_bot_api.callback_answers)
    assert [a.get("text") for a in answers] == [EN("error-operators-only")] * 2
    await settle(fake_bot_api, fake_bot_api.user(4005, "Zhou", language_code="en"))
    assert await application_status(services, runner) == "pending"
    assert fake_bot_api.messages[(admin_chat["id"], card["message_id"])] == card  # buttons still there
    assert len(fake_bot_api.bot_messages(admin_chat["id"])) == posted
    assert not fake_bot_api.calls("editMessageText")
    assert all("/order" in m["text"] for m in fake_bot_api.bot_messages(4005))  # only settle's /help


async def test_a_command_in_an_admin_chat_the_bot_was_removed_from_is_logged_as_that_not_as_a_crash(
        fake_bot_api, dispatcher, services, campus, clock, admin_chat, caplog):
    await operator(services, campus, clock, 4004, started=True)
    fake_bot_api.fail(403, "Forbidden: bot was kicked from the supergroup chat", chat_id=admin_chat["id"])
    wu = fake_bot_api.user(4004, "Wu", language_code="en")
    with caplog.at_level(logging.WARNING):
        fake_bot_api.command(wu, "today", chat=admin_chat)
        await settle(fake_bot_api, wu)
    assert f"cannot write to admin chat {admin_chat['id']}" in caplog.messages
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no "exception while processing update"


async def order_card(api: FakeBotAPI, admin_chat: dict[str, Any], operator_tg: int, order_id: int) -> dict[str, Any]:
    """An operator looks an order up in the admin chat: its card, with the operator's actions as buttons."""
    before = len(api.bot_messages(admin_chat["id"]))
    api.command(api.user(operator_tg, "Wu", language_code="en"), "find", str(order_id), chat=admin_chat)
    return await until(lambda: next((m for m in api.bot_messages(admin_chat["id"])[before:] if api.buttons(m)), None))


def event_label(event: str) -> str:
    return EN("admin-button-event", event=event, refunded="yes")  # a paid order: cancelling it refunds


async def asked_whom_to_reassign(api: FakeBotAPI, services: Services, campus, clock, admin_chat: dict[str, Any],
                                 customer: int, runner: int) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """Wu (operator 4004) presses Reassign on the card of an order `runner` accepted: the order, its card and the
    question asking whom to, to be answered by a reply."""
    order_id = await accepted_order(services, campus, clock, customer, runner)
    card = await order_card(api, admin_chat, 4004, order_id)
    api.press(api.user(4004, "Wu", language_code="en"), card, event_label("reassign"))
    asked = EN("admin-ask-runner", order=str(order_id))  # above the runners who can take it
    question = await until(lambda: next((m for m in api.bot_messages(admin_chat["id"])
                                         if (m.get("text") or "").startswith(asked)), None))
    return order_id, card, question


async def test_a_card_deleted_before_a_reassignment_could_bring_it_up_to_date_is_not_posted_again(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat, limiter):
    await operator(services, campus, clock, 4004, started=True)
    customer = await tg_user(services, campus, clock, 1001, name="Li")
    zhao = await tg_runner(services, campus, clock, 3003, name="Zhao")
    qian = await tg_runner(services, campus, clock, 3004, name="Qian")
    order_id, card, question = await asked_whom_to_reassign(fake_bot_api, services, campus, clock, admin_chat,
                                                            customer, zhao)
    chat_id = admin_chat["id"]
    wu = fake_bot_api.user(4004, "Wu", language_code="en")
    fake_bot_api.rate_limit(25, method="editMessageText", chat_id=chat_id)  # the answer waits for the outbox
    fake_bot_api.text(wu, "Qian", chat=admin_chat, reply_to=question)
    await settle(fake_bot_api, wu)
    assert (await order_row(services, order_id)).runner_id == qian
    del fake_bot_api.messages[(chat_id, card["message_id"])]  # an operator deleted the card meanwhile
    posted = len(fake_bot_api.bot_messages(chat_id))

    await deliver_queued(services, TelegramSender(services.db, bot, clock, limiter=limiter, cipher=services.cipher),
                         clock, chat_id)
    done = EN("admin-reassigned", order=str(order_id), who=f"Qian (#{qian})")
    assert fake_bot_api.messages[(chat_id, question["message_id"])]["text"] == done  # the answer says it
    assert len(fake_bot_api.bot_messages(chat_id)) == posted  # no copy of the card, live buttons and all


async def test_a_runner_who_blocked_the_bot_since_is_reassigned_and_the_admin_chat_hears_they_cannot_be_reached(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat, limiter):
    await operator(services, campus, clock, 4004, started=True)
    customer = await tg_user(services, campus, clock, 1001, name="Li")
    zhao = await tg_runner(services, campus, clock, 3003, name="Zhao")
    qian = await tg_runner(services, campus, clock, 3004, name="Qian")  # started the bot once
    order_id = await accepted_order(services, campus, clock, customer, zhao)
    fake_bot_api.block(3004)  # and has blocked it since: nothing told the bot yet
    wu = fake_bot_api.user(4004, "Wu", language_code="en")
    chat_id = admin_chat["id"]
    reassigned = EN("admin-reassigned", order=str(order_id), who=f"Qian (#{qian})")
    fake_bot_api.command(wu, "reassign", f"{order_id} #{qian}", chat=admin_chat)
    await until(lambda: any(m["text"] == reassigned for m in fake_bot_api.bot_messages(chat_id)))

    sender = telegram_sender(services, bot, limiter)  # as app.py runs it
    await deliver_queued(services, sender, clock, 3004)  # the order's details for Qian: 403
    await deliver_queued(services, sender, clock, chat_id)
    t = catalogue(campus.language)  # the operators' notices speak the campus language
    assert fake_bot_api.bot_messages(chat_id)[-1]["text"] == t(
        "admin-runner-unreachable-order", order=str(order_id), who=f"Qian (#{qian})", status="accepted")
    assert not fake_bot_api.bot_messages(3004)
    async with UnitOfWork(services.db, write=False) as uow:
        assert (await uow.session.get(User, qian)).started_bot is False
    # The operators reassign it again; Qian is refused from now on.
    fake_bot_api.command(wu, "reassign", f"{order_id} #{qian}", chat=admin_chat)
    await until(lambda: fake_bot_api.bot_messages(chat_id)[-1]["text"] == EN(
        "admin-runner-unreachable", who=f"Qian (#{qian})"))


async def test_a_runner_whose_student_blocked_the_bot_is_told_so_and_their_messages_are_refused_until_they_return(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat, limiter):
    # Before, the runner read "Sent to the student." for every message while each one failed with 403.
    customer = await tg_user(services, campus, clock, 1001, name="Li")
    zhao = await tg_runner(services, campus, clock, 3003, name="Zhao")
    order_id = await accepted_order(services, campus, clock, customer, zhao)
    runner, student = fake_bot_api.user(3003, "Zhao", language_code="en"), fake_bot_api.user(1001, "Li")
    fake_bot_api.block(1001)  # nothing told the bot yet
    sent = EN("track-relay-sent", other="customer")
    fake_bot_api.command(runner, "msg", f"{order_id} I am downstairs")
    await until(lambda: any(m["text"] == sent for m in fake_bot_api.bot_messages(3003)))

    sender = telegram_sender(services, bot, limiter)  # as app.py runs it
    await deliver_queued(services, sender, clock, 1001)  # the relayed message: 403
    await deliver_queued(services, sender, clock, 3003)
    await deliver_queued(services, sender, clock, admin_chat["id"])
    assert fake_bot_api.bot_messages(3003)[-1]["text"] == EN("track-customer-unreachable", order=str(order_id),
                                                             status="accepted", told="yes")
    assert fake_bot_api.bot_messages(admin_chat["id"])[-1]["text"] == EN(
        "admin-student-unreachable-order", order=str(order_id), who=f"Li (#{customer})", status="accepted",
        runner=f"Zhao (#{zhao})")
    refused = EN("track-relay-unreachable", other="customer", order=str(order_id))
    fake_bot_api.command(runner, "msg", f"{order_id} are you there?")
    await until(lambda: fake_bot_api.bot_messages(3003)[-1]["text"] == refused)

    fake_bot_api.unblock(1001)
    fake_bot_api.command(student, "start")  # back: reachable again
    await settle(fake_bot_api, student)
    await deliver_queued(services, sender, clock, 3003)
    assert fake_bot_api.bot_messages(3003)[-1]["text"] == EN("track-customer-reachable", order=str(order_id))
    fake_bot_api.command(runner, "msg", f"{order_id} I am downstairs")
    await until(lambda: fake_bot_api.bot_messages(3003)[-1]["text"] == sent)
    await deliver_queued(services, sender, clock, 1001)
    assert fake_bot_api.bot_messages(1001)[-1]["text"].endswith("I am downstairs")


async def test_a_runner_found_blocking_the_bot_by_a_press_in_the_hall_is_reported_for_the_order_they_carry(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat, hall, limiter):
    customer = await tg_user(services, campus, clock, 1001, name="Li")
    zhao = await tg_runner(services, campus, clock, 3003, name="Zhao")
    carried = await accepted_order(services, campus, clock, customer, zhao)
    await act(services.db, campus, carried, Event.pickup, Actor(Role.runner, zhao), clock())
    other = await make_order(services.db, campus, customer, clock())
    fake_bot_api.block(3003)
    card = await hall_card(bot, hall, other)
    fake_bot_api.callback(fake_bot_api.user(3003, "Zhao", language_code="en"), f"g:{other}", card)
    await until(lambda: fake_bot_api.callback_answers)  # refused before the handlers: the bot cannot write to them

    await deliver_queued(services, telegram_sender(services, bot, limiter), clock, admin_chat["id"])
    t = catalogue(campus.language)
    assert fake_bot_api.bot_messages(admin_chat["id"])[-1]["text"] == t(
        "admin-runner-unreachable-order", order=str(carried), who=f"Zhao (#{zhao})", status="picked_up")
    assert (await order_row(services, other)).status == "open"


async def test_a_decision_that_waited_for_room_on_a_card_deleted_meanwhile_arrives_as_a_new_message(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat, limiter):
    await operator(services, campus, clock, 4004, started=True)
    applicants = await two_lists_of_ten(fake_bot_api, services, campus, clock, admin_chat)
    chat_id = admin_chat["id"]
    wu = fake_bot_api.user(4004, "Wu", language_code="en")
    card = fake_bot_api.bot_messages(chat_id)[1]
    fake_bot_api.press(wu, card, EN("admin-button-approve"))  # the group's minute is spent: the edit waits
    await until(lambda: fake_bot_api.callback_answers)
    await settle(fake_bot_api, wu)
    del fake_bot_api.messages[(chat_id, card["message_id"])]  # an operator deleted the card meanwhile

    await deliver_queued(services, TelegramSender(services.db, bot, clock, limiter=limiter, cipher=services.cipher),
                         clock, chat_id)
    decided = fake_bot_api.bot_messages(chat_id)[-1]
    assert decided["text"] == EN("admin-application-approved", who=f"Zhao (#{applicants[0]})", quiz="ahead")
    assert "reply_markup" not in decided


async def test_an_order_card_acted_on_through_its_confirmation_or_question_is_brought_up_to_date(
        fake_bot_api, dispatcher, services, campus, clock, admin_chat):
    await operator(services, campus, clock, 4004, started=False)
    customer = await tg_user(services, campus, clock, 1001, name="Li")
    zhao = await tg_runner(services, campus, clock, 3003, name="Zhao")
    qian = await tg_runner(services, campus, clock, 3004, name="Qian")
    wu = fake_bot_api.user(4004, "Wu", language_code="en")
    chat_id = admin_chat["id"]

    # Cancel and refund, confirmed: the confirmation says it, and the card no longer offers what is over.
    cancelled = await accepted_order(services, campus, clock, customer, zhao)
    card = await order_card(fake_bot_api, admin_chat, 4004, cancelled)
    fake_bot_api.press(wu, card, event_label("operator_cancel"))
    confirm = await until(lambda: next((m for m in fake_bot_api.bot_messages(chat_id)
                                        if m["message_id"] > card["message_id"] and fake_bot_api.buttons(m)), None))
    fake_bot_api.press(wu, confirm, EN("admin-button-confirm", event="operator_cancel", refunded="yes"))
    await until(lambda: "reply_markup" not in fake_bot_api.messages[(chat_id, card["message_id"])])
    assert (await order_row(services, cancelled)).status == "cancelled"
    confirmed = fake_bot_api.messages[(chat_id, confirm["message_id"])]["text"]
    assert confirmed.startswith(f"Order #{cancelled} is cancelled")
    now_card = fake_bot_api.messages[(chat_id, card["message_id"])]["text"]
    assert now_card.startswith(card["text"].split("\n", 1)[0])  # the same order, its history now ending with:
    assert "cancel and refund: runner on the way → cancelled" in now_card

    # Reassigned by a reply to the card's question: the answer replaces the question, the card shows the new runner.
    reassigned, card, question = await asked_whom_to_reassign(fake_bot_api, services, campus, clock, admin_chat,
                                                              customer, zhao)
    fake_bot_api.text(wu, "Qian", chat=admin_chat, reply_to=question)
    done = EN("admin-reassigned", order=str(reassigned), who=f"Qian (#{qian})")
    await until(lambda: fake_bot_api.messages[(chat_id, question["message_id"])]["text"] == done)
    assert "reply_markup" not in fake_bot_api.messages[(chat_id, question["message_id"])]
    assert (await order_row(services, reassigned)).runner_id == qian
    await until(lambda: f"Runner: Qian (#{qian})" in fake_bot_api.messages[(chat_id, card["message_id"])]["text"])
    now_card = fake_bot_api.messages[(chat_id, card["message_id"])]
    assert [label for label, _ in fake_bot_api.buttons(now_card)[0]] == [  # what may still be done
        event_label("operator_cancel"), event_label("reassign")]


# --- answers in the admin chat, within the group's limit -----------------------------------------------------------

async def deliver_queued(services: Services, sender: TelegramSender, clock, chat_id: int) -> None:
    """Run the outbox sender once a second (virtual time) until nothing waits for the chat; at most ten minutes."""
    give_up = clock() + dt.timedelta(minutes=10)
    while clock() < give_up:
        await sender.run_once(clock())
        async with UnitOfWork(services.db, write=False) as uow:
            waiting = await uow.session.scalar(select(func.count()).select_from(Outbox).where(
                Outbox.recipient == str(chat_id), Outbox.status == "pending"))
        if not waiting:
            return
        clock.advance(seconds=1)
    raise AssertionError(f"{waiting} rows for chat {chat_id} still waiting after ten minutes")


async def withdrawal(services: Services, runner: int, clock) -> int:
    """A pending withdrawal, as the admin chat lists it (its ledger side plays no part here)."""
    async with UnitOfWork(services.db) as uow:
        row = Withdrawal(runner_id=runner, amount=100, status="pending", requested_at=clock())
        uow.session.add(row)
        await uow.session.flush()
        return row.id


def decided_by(data: str) -> str:
    """A card button's data without the mark of the application it decides (handlers.admin.applied_mark):
    'adm:approve:5:1795…' → 'adm:approve:5'."""
    parts = data.split(":")
    return ":".join(parts[:3]) if parts[:2] in (["adm", "approve"], ["adm", "reject"]) else data


def button_data(api: FakeBotAPI, chat_id: int) -> list[str | None]:
    """What the bot's messages in the chat show, in order: each one's first button's data, without an
    application's mark (decided_by; None: no buttons)."""
    return [next((decided_by(data) for line in api.buttons(m) for _, data in line), None)
            for m in api.bot_messages(chat_id)]


def per_minute(api: FakeBotAPI, chat_id: int) -> int:
    """The most messages posted or edited in the chat within any minute."""
    return most_in_window([r.at for r in api.calls(chat_id=chat_id) if r.method.lower() != "answercallbackquery"],
                          60)


async def test_a_burst_of_admin_chat_lists_never_passes_the_groups_limit_and_every_item_arrives(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat, limiter):
    """Telegram allows about 20 messages a minute in a group; three lists are 33 messages."""
    await operator(services, campus, clock, 4004, started=True)
    applicants = [await applicant(services, campus, clock, 5000 + i) for i in range(10)]
    withdrawals = [await withdrawal(services, runner, clock) for runner in applicants]
    wu = fake_bot_api.user(4004, "Wu", language_code="en")
    for command in ("applications", "withdrawals", "applications"):
        fake_bot_api.command(wu, command, chat=admin_chat)
    await settle(fake_bot_api, wu)
    assert len(fake_bot_api.bot_messages(admin_chat["id"])) == 20  # the rest waits for the group's next minute

    await deliver_queued(services, TelegramSender(services.db, bot, clock, limiter=limiter, cipher=services.cipher),
                         clock, admin_chat["id"])
    assert per_minute(fake_bot_api, admin_chat["id"]) <= 20
    assert all(r.status == 200 for r in fake_bot_api.calls(chat_id=admin_chat["id"]))
    cards = [f"adm:approve:{a}" for a in applicants]
    assert button_data(fake_bot_api, admin_chat["id"]) == [  # every item, each list in order, one after the other
        None, *cards, None, *[f"adm:wok:{w}" for w in withdrawals], None, *cards]


@pytest.mark.parametrize("fault", ["server_error", "drop_connection"])
async def test_an_admin_chat_answer_cut_short_by_a_network_or_server_error_arrives_whole_through_the_outbox(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat, limiter, fault):
    await operator(services, campus, clock, 4004, started=True)
    applicants = [await applicant(services, campus, clock, 5000 + i) for i in range(3)]
    getattr(fake_bot_api, fault)(method="sendMessage", chat_id=admin_chat["id"])  # the list's title
    wu = fake_bot_api.user(4004, "Wu", language_code="en")
    fake_bot_api.command(wu, "applications", chat=admin_chat)
    await settle(fake_bot_api, wu)

    await deliver_queued(services, TelegramSender(services.db, bot, clock, limiter=limiter, cipher=services.cipher),
                         clock, admin_chat["id"])
    assert button_data(fake_bot_api, admin_chat["id"]) == [None, *[f"adm:approve:{a}" for a in applicants]]


async def two_lists_of_ten(api: FakeBotAPI, services: Services, campus, clock, admin_chat: dict[str, Any], *,
                           photos: bool = False) -> list[int]:
    """An operator (Wu, 4004) lists ten applications twice in the admin chat: 22 messages, the last two of which
    wait for the group's next minute. photos: each with its student-card photo (file id AgAC-<its index>). The
    applicants, in the lists' order."""
    applicants = [await applicant(services, campus, clock, 5000 + i, card_photo=f"AgAC-{i}" if photos else None)
                  for i in range(10)]
    await list_twice(api, admin_chat)
    return applicants


async def list_twice(api: FakeBotAPI, admin_chat: dict[str, Any]) -> None:
    """Wu (4004) lists the applications twice in the admin chat: 22 messages, more than the group's minute allows."""
    wu = api.user(4004, "Wu", language_code="en")
    for _ in range(2):
        api.command(wu, "applications", chat=admin_chat)
    await settle(api, wu)


async def approve_when_the_chat_has_no_room(api: FakeBotAPI, services: Services, sender: TelegramSender, clock,
                                            admin_chat: dict[str, Any], card: dict[str, Any]) -> None:
    """Wu spends the group's minute (list_twice) and approves `card` (as it was posted): the decision's edit waits in
    the outbox, the card unchanged, until the sender delivers it with the rest."""
    wu = api.user(4004, "Wu", language_code="en")
    await list_twice(api, admin_chat)
    answered = len(api.callback_answers)
    api.press(wu, card, EN("admin-button-approve"))
    await until(lambda: len(api.callback_answers) > answered)
    await settle(api, wu)
    assert api.messages[(admin_chat["id"], card["message_id"])] == card
    await deliver_queued(services, sender, clock, admin_chat["id"])


async def test_an_approval_pressed_when_the_admin_chat_has_no_room_edits_the_card_once_it_has(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat, limiter):
    await operator(services, campus, clock, 4004, started=True)
    applicants = await two_lists_of_ten(fake_bot_api, services, campus, clock, admin_chat)
    wu = fake_bot_api.user(4004, "Wu", language_code="en")
    card = copy.deepcopy(fake_bot_api.bot_messages(admin_chat["id"])[1])  # the first list's first card, as posted

    fake_bot_api.press(wu, card, EN("admin-button-approve"))
    await until(lambda: fake_bot_api.callback_answers)
    await settle(fake_bot_api, wu)
    assert await application_status(services, applicants[0]) == "approved"
    assert fake_bot_api.messages[(admin_chat["id"], card["message_id"])] == card  # the group's minute is spent

    await deliver_queued(services, TelegramSender(services.db, bot, clock, limiter=limiter, cipher=services.cipher),
                         clock, admin_chat["id"])
    assert per_minute(fake_bot_api, admin_chat["id"]) <= 20
    edited = fake_bot_api.messages[(admin_chat["id"], card["message_id"])]
    assert edited["text"] == EN("admin-application-approved", who=f"Zhao (#{applicants[0]})", quiz="ahead")
    assert "reply_markup" not in edited  # edited in place: no operator can decide it again
    assert len(fake_bot_api.bot_messages(admin_chat["id"])) == 22  # both lists, and nothing new for the outcome


async def test_a_photo_card_that_waited_for_room_arrives_as_a_photo_and_its_decisions_edit_the_captions(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat, limiter):
    await operator(services, campus, clock, 4004, started=True)
    applicants = await two_lists_of_ten(fake_bot_api, services, campus, clock, admin_chat, photos=True)
    chat_id = admin_chat["id"]
    wu = fake_bot_api.user(4004, "Wu", language_code="en")
    sender = TelegramSender(services.db, bot, clock, limiter=limiter, cipher=services.cipher)
    first = copy.deepcopy(fake_bot_api.bot_messages(chat_id)[1])  # a photo card sent at once
    fake_bot_api.press(wu, first, EN("admin-button-approve"))  # the group's minute is spent: its edit waits too
    await until(lambda: fake_bot_api.callback_answers)
    await settle(fake_bot_api, wu)
    assert fake_bot_api.messages[(chat_id, first["message_id"])] == first

    await deliver_queued(services, sender, clock, chat_id)
    waited = fake_bot_api.bot_messages(chat_id)[-2:]  # the second list's last two cards
    for i, card in zip((8, 9), waited, strict=True):
        assert [p["file_id"] for p in card["photo"]] == [f"AgAC-{i}"] and "text" not in card
        assert card["caption"].startswith(f"Application from Zhao (#{applicants[i]})")
        assert "Student card photo: attached" in card["caption"]
        assert [decided_by(data) for _, data in fake_bot_api.buttons(card)[0]] == [f"adm:approve:{applicants[i]}",
                                                                        f"adm:reject:{applicants[i]}"]
    last = copy.deepcopy(waited[-1])  # posted by the outbox sender
    await approve_when_the_chat_has_no_room(fake_bot_api, services, sender, clock, admin_chat, last)

    for card, runner in ((first, applicants[0]), (last, applicants[9])):
        decided = fake_bot_api.messages[(chat_id, card["message_id"])]
        assert decided["caption"] == EN("admin-application-approved", who=f"Zhao (#{runner})", quiz="ahead")
        assert "reply_markup" not in decided and decided["photo"] == card["photo"]
    assert len(fake_bot_api.bot_messages(chat_id)) == 42  # four lists (the last two without #0): nothing new
    assert not fake_bot_api.calls("editMessageText", chat_id)  # each photo's caption edited, not tried as text
    assert all(r.status == 200 for r in fake_bot_api.calls(chat_id=chat_id))
    assert per_minute(fake_bot_api, chat_id) <= 20


async def test_a_card_the_outbox_posted_and_decided_when_the_chat_has_no_room_then_shows_the_decision_alone(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat, limiter):
    await operator(services, campus, clock, 4004, started=True)
    applicants = await two_lists_of_ten(fake_bot_api, services, campus, clock, admin_chat)
    chat_id = admin_chat["id"]
    sender = TelegramSender(services.db, bot, clock, limiter=limiter, cipher=services.cipher)
    await deliver_queued(services, sender, clock, chat_id)
    card = copy.deepcopy(fake_bot_api.bot_messages(chat_id)[-1])  # posted by the outbox sender: it waited for room

    await approve_when_the_chat_has_no_room(fake_bot_api, services, sender, clock, admin_chat, card)
    assert await application_status(services, applicants[9]) == "approved"
    decided = fake_bot_api.messages[(chat_id, card["message_id"])]
    # Not the card's text with the decision under it and Approve / Reject still live.
    assert decided["text"] == EN("admin-application-approved", who=f"Zhao (#{applicants[9]})", quiz="ahead")
    assert "reply_markup" not in decided
    assert len(fake_bot_api.bot_messages(chat_id)) == 44  # decided in place, nothing new


async def test_a_photo_card_rejected_through_its_question_after_a_429_says_so_in_its_caption_once_it_may(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat, limiter):
    runner, card, question = await asked_why_rejected(fake_bot_api, services, campus, clock, admin_chat,
                                                      started=True)
    chat_id = admin_chat["id"]
    wu = fake_bot_api.user(4004, "Wu", language_code="en")
    fake_bot_api.rate_limit(25, method="editMessageText", chat_id=chat_id)  # the answer's edit of the question
    fake_bot_api.text(wu, "not a student here", chat=admin_chat, reply_to=question)
    await settle(fake_bot_api, wu)
    assert await application_status(services, runner) == "rejected"
    assert fake_bot_api.messages[(chat_id, card["message_id"])] == card  # the card's edit waits with the answer

    await deliver_queued(services, TelegramSender(services.db, bot, clock, limiter=limiter, cipher=services.cipher),
                         clock, chat_id)
    rejected = EN("admin-application-rejected", who=f"Zhao (#{runner})", reason="not a student here")
    decided = fake_bot_api.messages[(chat_id, card["message_id"])]
    assert decided["caption"] == rejected and decided["photo"] == card["photo"] and "reply_markup" not in decided
    assert fake_bot_api.messages[(chat_id, question["message_id"])]["text"] == rejected
    assert len(fake_bot_api.bot_messages(chat_id)) == 3  # the list's title, the card, the question: nothing new


async def test_a_429_in_the_admin_chat_does_not_hold_the_operators_next_update(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat, limiter):
    await operator(services, campus, clock, 4004, started=True)
    fake_bot_api.rate_limit(25, method="sendMessage", chat_id=admin_chat["id"])
    wu = fake_bot_api.user(4004, "Wu", language_code="en")
    fake_bot_api.command(wu, "today", chat=admin_chat)
    await settle(fake_bot_api, wu)  # answered at once, not after the 429's 25 s
    refused = clock()

    await deliver_queued(services, TelegramSender(services.db, bot, clock, limiter=limiter, cipher=services.cipher),
                         clock, admin_chat["id"])
    first, retry = fake_bot_api.calls("sendMessage", admin_chat["id"])
    assert (first.status, retry.status) == (429, 200)
    assert retry.at - refused >= dt.timedelta(seconds=25)  # nothing to the chat before its retry_after
    assert fake_bot_api.bot_messages(admin_chat["id"])[-1]["text"].startswith("Today, 2026-11-23:")


def png_size(upload: dict[str, Any]) -> tuple[int, int]:
    """The width and height of an uploaded PNG, as a chat app would show it (it must be one)."""
    content = upload["content"]
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")


async def test_a_report_in_the_admin_chat_is_a_chart_with_its_figures_as_the_caption(
        fake_bot_api, dispatcher, services, campus, clock, admin_chat):
    await operator(services, campus, clock, 4004, started=False)  # moderates only here
    wu = fake_bot_api.user(4004, "Wu", language_code="en")
    fake_bot_api.command(wu, "report", chat=admin_chat)
    (photo,) = await until(lambda: fake_bot_api.calls("sendPhoto", admin_chat["id"]))
    assert photo.status == 200 and photo.content_type == "multipart/form-data"
    width, height = png_size(photo.params["photo"])
    assert width > height > 400  # two panels, a week's bars side by side
    shown = fake_bot_api.last_bot_message(admin_chat["id"])
    assert shown["caption"].startswith("The last 7 days, 2026-11-17 to 2026-11-23:")
    assert "11-23: 0 · 0 · 0 · 0.00 · 0.00 · 0.00 · 0.00" in shown["caption"]
    assert "🟩 completed 🟥 not completed" in shown["caption"]
    assert not fake_bot_api.calls("sendMessage", admin_chat["id"])

    # A month's day-by-day lines are too long for a caption: the chart comes first, then the text in full.
    fake_bot_api.command(wu, "report", "31", chat=admin_chat)
    await until(lambda: fake_bot_api.calls("sendMessage", admin_chat["id"]))
    month_chart, month_text = fake_bot_api.bot_messages(admin_chat["id"])[-2:]
    assert month_chart["photo"] and "caption" not in month_chart
    assert month_text["text"].startswith("The last 31 days, 2026-10-24 to 2026-11-23:")
    assert "10-24: 0 · 0 · 0 · 0.00 · 0.00 · 0.00 · 0.00" in month_text["text"]


async def test_a_report_the_admin_chat_has_no_room_for_comes_through_the_outbox_as_its_chart(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat, limiter):
    await operator(services, campus, clock, 4004, started=True)
    fake_bot_api.rate_limit(25, method="sendPhoto", chat_id=admin_chat["id"])
    wu = fake_bot_api.user(4004, "Wu", language_code="en")
    fake_bot_api.command(wu, "report", "3", chat=admin_chat)
    await settle(fake_bot_api, wu)

    await deliver_queued(services, TelegramSender(services.db, bot, clock, limiter=limiter, cipher=services.cipher),
                         clock, admin_chat["id"])
    refused, sent = fake_bot_api.calls("sendPhoto", admin_chat["id"])
    assert (refused.status, sent.status) == (429, 200)
    assert png_size(sent.params["photo"]) == png_size(refused.params["photo"])  # the same chart, drawn again
    assert fake_bot_api.last_bot_message(admin_chat["id"])["caption"].startswith(
        "The last 3 days, 2026-11-21 to 2026-11-23:")


async def test_an_operator_asking_privately_gets_the_report_in_their_own_language(
        fake_bot_api, dispatcher, services, campus, clock):
    wu = await operator(services, campus, clock, 4004, started=True)  # the campus speaks English
    async with UnitOfWork(services.db) as uow:
        (await uow.session.get(User, wu)).language = "zh_CN"
    fake_bot_api.command(fake_bot_api.user(4004, "Wu", language_code="en"), "report", "2")
    (photo,) = await until(lambda: fake_bot_api.calls("sendPhoto", 4004))
    assert png_size(photo.params["photo"])[0] > 400
    assert fake_bot_api.last_bot_message(4004)["caption"].startswith("最近 2 天（2026-11-22 至 2026-11-23）：")


# --- what the adapter posts in the task hall -----------------------------------------------------------------------

async def test_a_hall_command_delivered_twice_asks_to_start_the_bot_once(
        fake_bot_api, dispatcher, services, campus, clock, hall):
    customer = await tg_user(services, campus, clock, 1001)
    order_id = await make_order(services.db, campus, customer, clock())
    zhao = fake_bot_api.user(3003, "Zhao", language_code="en")
    update = fake_bot_api.command(zhao, "grab", str(order_id), chat=hall, push=False)
    fake_bot_api.push(update)
    clock.advance(seconds=5)  # not the rate limit: Telegram simply sent the update again
    fake_bot_api.push(dict(update))
    await settle(fake_bot_api, zhao)
    asks = [m for m in fake_bot_api.bot_messages(hall["id"])
            if m["text"] == EN("tg-start-first-group", name="Zhao")]
    assert len(asks) == 1
    assert (await order_row(services, order_id)).status == "open"


async def test_hall_requests_to_start_the_bot_never_pass_the_groups_limit(
        fake_bot_api, dispatcher, services, campus, clock, hall):
    """Telegram allows about 1 message a second in a chat and 20 a minute in a group."""
    customer = await tg_user(services, campus, clock, 1001)
    order_id = await make_order(services.db, campus, customer, clock())

    # Ten people who never started the bot send /grab at the same moment: one answer in the hall.
    await grab_in_hall(fake_bot_api, hall, order_id,
                       *[fake_bot_api.user(5000 + i, f"P{i}", language_code="en") for i in range(10)])
    assert len(fake_bot_api.bot_messages(hall["id"])) == 1

    # Thirty more, one every 1.5 s (all within one minute of the first): the hall gets 20 in that minute.
    for i in range(30):
        clock.advance(seconds=1.5)
        await grab_in_hall(fake_bot_api, hall, order_id, fake_bot_api.user(6000 + i, f"Q{i}", language_code="en"))
    assert len(fake_bot_api.bot_messages(hall["id"])) == 20

    clock.advance(seconds=60)  # a minute later the hall has room again
    await grab_in_hall(fake_bot_api, hall, order_id, fake_bot_api.user(7000, "Late", language_code="en"))
    assert len(fake_bot_api.bot_messages(hall["id"])) == 21
    assert (await order_row(services, order_id)).status == "open"


async def test_hall_posts_of_the_outbox_sender_and_the_adapter_share_the_groups_limit(
        fake_bot_api, dispatcher, bot, services, campus, clock, hall, limiter):
    customer = await tg_user(services, campus, clock, 1001)
    order_id = await make_order(services.db, campus, customer, clock())
    sender = TelegramSender(services.db, bot, clock, limiter=limiter)
    for i in range(20):
        await queue(services.db, hall["id"], f"Announcement {i}", at=clock())
    for _ in range(20):  # one every 1.5 s, as the sender may
        await sender.run_once(clock())
        clock.advance(seconds=1.5)
    assert len(fake_bot_api.bot_messages(hall["id"])) == 20

    await grab_in_hall(fake_bot_api, hall, order_id, fake_bot_api.user(3003, "Zhao", language_code="en"))
    assert len(fake_bot_api.bot_messages(hall["id"])) == 20  # the group's minute is used up: silence

    clock.advance(seconds=60)
    await grab_in_hall(fake_bot_api, hall, order_id, fake_bot_api.user(3004, "Qian", language_code="en"))
    assert fake_bot_api.bot_messages(hall["id"])[-1]["text"] == EN("tg-start-first-group", name="Qian")


# --- a group no campus file names -----------------------------------------------------------------------------------

async def test_a_group_no_campus_names_is_told_its_chat_id_and_the_log_names_it(
        fake_bot_api, dispatcher, services, campus, clock, hall, caplog):
    """How an operator setting up a campus learns the id to put in its file: /chatid (or /start) there answers it,
    and the first message there logs it. A campus's own groups are not told."""
    group = fake_bot_api.group(-1003000000009, "Our new hall")
    li = fake_bot_api.user(5005, "Li", language_code="en")
    with caplog.at_level(logging.INFO, logger="bot.telegram.adapter"):
        fake_bot_api.command(li, "chatid", chat=group)
        await settle(fake_bot_api, li)
        clock.advance(seconds=2)  # a chat's 1 message a second
        fake_bot_api.command(li, "start", chat=group)
        fake_bot_api.command(li, "chatid", chat=hall)
        await settle(fake_bot_api, li)
    told = EN("tg-group-chat-id", chat="-1003000000009")
    assert "-1003000000009." in told  # the id as it is written in the file, not as a number with separators
    assert [m["text"] for m in fake_bot_api.bot_messages(group["id"])] == [told, told]
    assert fake_bot_api.bot_messages(hall["id"]) == []  # the hall's id is known: /chatid there is no command of ours
    logged = [r for r in caplog.records if "-1003000000009" in r.getMessage()]
    assert len(logged) == 1 and logged[0].levelno == logging.WARNING  # once a process, not once a message
    assert "'Our new hall'" in logged[0].getMessage() and "campus file" in logged[0].getMessage()


# --- a payment that matches no order -------------------------------------------------------------------------------

async def run_outbox(services: Services, bot: Bot, clock) -> None:
    sender = TelegramSender(services.db, bot, clock, limiter=TelegramRateLimiter(), cipher=services.cipher)
    for _ in range(3):
        await sender.run_once(clock())
        clock.advance(seconds=1)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_a_charge_in_yuan_naming_no_order_lands_in_the_payers_wallet_once(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat, language):
    """Money Telegram took in yuan is booked whatever its invoice says: to the payer's wallet, once per charge,
    as a payment for an order that moved on is. Nobody has to refund it by hand."""
    t = catalogue(language)
    customer = await tg_user(services, campus, clock, 1001, language=language)
    li = fake_bot_api.user(1001, "Li", language_code="en")
    unknown = fake_bot_api.successful_payment(li, "order:xyz", 1234, charge_id="tg-charge-X", push=False)
    fake_bot_api.push(unknown)
    fake_bot_api.push(dict(unknown))  # the same update again
    fake_bot_api.redeliver(unknown)  # the same charge under a new update id
    fake_bot_api.successful_payment(li, "order:999999", 500, charge_id="tg-charge-N")  # no such order
    await settle(fake_bot_api, li)

    texts = [m["text"] for m in fake_bot_api.bot_messages(1001) if "/order" not in m["text"]]
    assert texts == [t("wallet-payment-unmatched", amount="12.34", balance="12.34"), t("wallet-charge-seen"),
                     t("wallet-payment-unmatched", amount="5.00", balance="17.34")]
    assert texts[0] == {
        "en": "Received 12.34 yuan, but the payment names none of our orders, so it paid for nothing: the money is in "
              "your wallet (balance 12.34 yuan), where it can pay your orders.",
        "zh_CN": "已收到 12.34 元，但这笔付款没有对应任何订单，所以没有支付任何订单：钱已存入你的钱包（余额 12.34 元），"
                 "可以用来支付你的订单。"}[language]
    async with UnitOfWork(services.db, write=False) as uow:
        assert await uow.ledger.balance(ledger.customer(customer)) == 1734
        assert await uow.ledger.balance(ledger.external("telegram")) == -1734
        assert await uow.ledger.total() == 0 and await uow.ledger.entries_total() == 0
        assert sorted(await uow.session.scalars(select(LedgerPosting.key))) == [
            "charge:telegram:tg-charge-N", "charge:telegram:tg-charge-X"]
    await run_outbox(services, bot, clock)
    assert not fake_bot_api.bot_messages(admin_chat["id"])  # booked: nothing for the operators to refund


async def test_a_charge_in_another_currency_alerts_the_operators_once_and_is_never_booked(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat):
    customer = await tg_user(services, campus, clock, 1001)  # English
    order_id = await make_order(services.db, campus, customer, clock(), pay=False)
    total = (await order_row(services, order_id)).total
    li = fake_bot_api.user(1001, "Li", language_code="en")
    usd = fake_bot_api.successful_payment(li, f"order:{order_id}", total, currency="USD", charge_id="tg-charge-U",
                                          push=False)
    fake_bot_api.push(usd)
    fake_bot_api.push(dict(usd))  # the same update again
    fake_bot_api.redeliver(usd)  # the same charge under a new update id: still one alert, so one refund
    await settle(fake_bot_api, li)

    texts = [m["text"] for m in fake_bot_api.bot_messages(1001) if "/order" not in m["text"]]
    assert texts == [EN("tg-pay-unbookable", charge="tg-charge-U")]
    async with UnitOfWork(services.db, write=False) as uow:
        assert await uow.ledger.total() == 0 and await uow.ledger.entries_total() == 0
        assert not list(await uow.session.scalars(select(LedgerPosting.key)))  # fen of CNY cannot hold dollars
    assert (await order_row(services, order_id)).status == "awaiting_payment"

    await run_outbox(services, bot, clock)
    zh = catalogue(campus.language)  # the operators' chat reads the campus's language
    assert [m["text"] for m in fake_bot_api.bot_messages(admin_chat["id"])] == [zh(
        "tg-pay-unbookable-operators", charge="tg-charge-U",
        provider_charge=usd["message"]["successful_payment"]["provider_payment_charge_id"], minor=str(total),
        currency="USD", payload=f"order:{order_id}", user="1001")]
    async with UnitOfWork(services.db, write=False) as uow:
        queued = await uow.session.scalar(select(func.count()).select_from(Outbox)
                                          .where(Outbox.recipient == str(admin_chat["id"])))
    assert queued == 1


def failing_bookings(dispatcher: Dispatcher, error: Exception, times: int) -> list[float]:
    """The next `times` payments the adapter books fail with `error` before the database sees them (as a database
    down or locked would fail them); returns the list of the waits between tries, which take no time here."""
    adapter = dispatcher["telegram_adapter"]
    handle, left, slept = adapter.app.handle, [times], []

    async def failing(inp):  # noqa: ANN001, ANN202
        if inp.kind is Kind.payment and left[0] > 0:
            left[0] -= 1
            raise error
        return await handle(inp)

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
    adapter.app.handle, adapter.sleep = failing, sleep
    return slept


DATABASE_DOWN = OperationalError("INSERT INTO ledger_postings", {}, ConnectionRefusedError("connection refused"))


class Deadlocked(Exception):
    sqlstate = "40P01"  # as asyncpg reports PostgreSQL's deadlock


DEADLOCK = DBAPIError("UPDATE ledger_accounts", {}, Deadlocked("deadlock detected"))


@pytest.mark.parametrize("error", [DATABASE_DOWN, DEADLOCK], ids=["database down", "deadlock"])
async def test_a_charge_whose_booking_meets_a_failing_database_is_booked_once_it_answers_again(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat, error):
    customer = await tg_user(services, campus, clock, 1001)
    order_id = await make_order(services.db, campus, customer, clock(), pay=False)
    total = (await order_row(services, order_id)).total
    slept = failing_bookings(dispatcher, error, times=2)
    li = fake_bot_api.user(1001, "Li", language_code="en")
    fake_bot_api.successful_payment(li, f"order:{order_id}", total, charge_id="tg-charge-F")
    await settle(fake_bot_api, li)

    assert len(slept) == 2 and slept[0] == 1.0 and 1.5 < slept[1] < 2.5  # backing off
    texts = [m["text"] for m in fake_bot_api.bot_messages(1001) if "/order" not in m["text"]]
    assert texts == [EN("wallet-provider-paid", order=order_id, amount=format_yuan(total))]
    assert (await order_row(services, order_id)).status == "open"
    async with UnitOfWork(services.db, write=False) as uow:
        assert sorted(await uow.session.scalars(select(LedgerPosting.key))) == [
            "charge:telegram:tg-charge-F", f"order:{order_id}:pay"]  # booked once, the order paid once
        assert await uow.ledger.total() == 0
    await run_outbox(services, bot, clock)
    assert not fake_bot_api.bot_messages(admin_chat["id"])  # booked: nothing for the operators to do


@pytest.mark.parametrize(("error", "waits"), [(DATABASE_DOWN, 4), (RuntimeError("a bug"), 0)],
                         ids=["database down", "a bug"])
async def test_a_charge_that_cannot_be_booked_is_logged_alerted_and_told_never_lost_in_silence(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat, caplog, error, waits):
    """Telegram sends a charge once: when booking it keeps failing (or fails for a reason no retry cures), the
    payer is told it is not lost, the operators are alerted with what they need to book it by hand, and an error
    line says the same in the service's log. Nothing is half booked."""
    customer = await tg_user(services, campus, clock, 1001)
    order_id = await make_order(services.db, campus, customer, clock(), pay=False)
    total = (await order_row(services, order_id)).total
    slept = failing_bookings(dispatcher, error, times=100)
    li = fake_bot_api.user(1001, "Li", language_code="en")
    with caplog.at_level(logging.WARNING, logger="bot.telegram.adapter"):
        paid = fake_bot_api.successful_payment(li, f"order:{order_id}", total, charge_id="tg-charge-D")
        await settle(fake_bot_api, li)

    assert len(slept) == waits
    texts = [m["text"] for m in fake_bot_api.bot_messages(1001) if "/order" not in m["text"]]
    assert texts == [EN("tg-pay-not-booked", charge="tg-charge-D", amount=format_yuan(total))]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "tg-charge-D" in errors[0].getMessage() and f"order:{order_id}" in errors[0].getMessage()
    assert (await order_row(services, order_id)).status == "awaiting_payment"
    async with UnitOfWork(services.db, write=False) as uow:
        assert not list(await uow.session.scalars(select(LedgerPosting.key)))
    await run_outbox(services, bot, clock)
    zh = catalogue(campus.language)
    assert [m["text"] for m in fake_bot_api.bot_messages(admin_chat["id"])] == [zh(
        "tg-pay-not-booked-operators", charge="tg-charge-D",
        provider_charge=paid["message"]["successful_payment"]["provider_payment_charge_id"],
        amount=format_yuan(total), payload=f"order:{order_id}", user="1001")]


async def test_an_operator_rejects_in_the_admin_chat_by_replying_to_the_question_with_the_reason(
        fake_bot_api, dispatcher, services, campus, clock, admin_chat):
    runner, card, question = await asked_why_rejected(fake_bot_api, services, campus, clock, admin_chat,
                                                      started=False, card_photo=None)
    wu = fake_bot_api.user(4004, "Wu", language_code="en")

    fake_bot_api.text(wu, "just chatting", chat=admin_chat)  # not a reply: chatter, not for the bot
    fake_bot_api.text(wu, "ok, looking", chat=admin_chat, reply_to=fake_bot_api.messages[(admin_chat["id"],
                                                                                          card["message_id"])])
    await settle(fake_bot_api, wu)
    assert await application_status(services, runner) == "pending"  # a reply, but not to the question
    posted = len(fake_bot_api.bot_messages(admin_chat["id"]))
    fake_bot_api.text(wu, "card photo unreadable", chat=admin_chat, reply_to=question)
    rejected = EN("admin-application-rejected", who=f"Zhao (#{runner})", reason="card photo unreadable")
    await until(lambda: [m for m in fake_bot_api.bot_messages(admin_chat["id"]) if m.get("text") == rejected])
    assert await application_status(services, runner) == "rejected"

    # The answer took the question's place, and the card says how it was decided: no button is left to press.
    await until(lambda: fake_bot_api.messages[(admin_chat["id"], card["message_id"])]["text"] == rejected)
    for message_id in (card["message_id"], question["message_id"]):
        message = fake_bot_api.messages[(admin_chat["id"], message_id)]
        assert message["text"] == rejected and "reply_markup" not in message
    assert len(fake_bot_api.bot_messages(admin_chat["id"])) == posted  # edited in place, nothing new


async def test_what_an_operator_writes_privately_does_not_answer_a_question_asked_in_the_admin_chat(
        fake_bot_api, dispatcher, services, campus, clock, admin_chat):
    runner, card, question = await asked_why_rejected(fake_bot_api, services, campus, clock, admin_chat,
                                                      started=True, card_photo=None)
    wu = fake_bot_api.user(4004, "Wu", language_code="en")

    fake_bot_api.text(wu, "hi, what can you do?")  # later, in the operator's private chat with the bot
    answer = await until(lambda: fake_bot_api.bot_messages(4004))
    assert answer[0]["text"] == EN("idle-hint")  # as if no question were waiting
    assert await application_status(services, runner) == "pending"

    fake_bot_api.text(wu, "card photo unreadable", chat=admin_chat, reply_to=question)  # the answer, where asked
    await until(lambda: any(m.get("text", "").startswith("Rejected")
                            for m in fake_bot_api.bot_messages(admin_chat["id"])))
    assert await application_status(services, runner) == "rejected"

# --- commands in the task hall ---------------------------------------------------------------------------------------

async def test_a_command_typed_in_the_hall_is_answered_in_private_chat_as_if_typed_there(
        fake_bot_api: FakeBotAPI, dispatcher: Dispatcher, services: Services, campus, clock, hall) -> None:
    # The adapter answers a hall command privately, so what may only be shown privately (a wallet) is shown; the
    # hall hears nothing. Before, every such command was answered (privately) "use that in a private chat".
    li = fake_bot_api.user(1001, "Li", language_code="en")
    customer = await tg_user(services, campus, clock, 1001)
    await top_up(services.db, customer, 1234, clock())
    fake_bot_api.command(li, "wallet", chat=hall)
    answer = await until(lambda: next((m for m in fake_bot_api.bot_messages(1001)), None))
    assert answer["text"].startswith(EN("wallet-balance", balance="12.34"))
    assert answer["chat"]["type"] == "private"
    assert fake_bot_api.bot_messages(hall["id"]) == []


@pytest.mark.parametrize("command", ["msg", "complain"])
async def test_a_message_or_complaint_typed_in_the_hall_is_refused_privately_and_taken_out_of_the_hall(
        fake_bot_api: FakeBotAPI, dispatcher: Dispatcher, services: Services, campus, clock, hall, command) -> None:
    # Before, /msg was relayed to the runner and /complain filed, answered privately as if nothing were amiss, though
    # the whole hall had read the text (a room, a phone).
    fake = fake_bot_api
    li = fake.user(1001, "Li", language_code="en")
    zhao = fake.user(3003, "Zhao", language_code="en")
    customer = await tg_user(services, campus, clock, 1001)
    runner = await tg_runner(services, campus, clock, 3003)
    order_id = await accepted_order(services, campus, clock, customer, runner)
    update = fake.command(li, command, f"{order_id} I am in 3-502, call 13912345678", chat=hall)
    typed = (hall["id"], update["message"]["message_id"])
    assert typed in fake.messages
    answer = await until(lambda: next(iter(fake.bot_messages(1001)), None))
    what = "Your complaint was not filed" if command == "complain" else "Your message was not passed on"
    assert answer["text"] == EN("error-group-relay", command=command) == (
        f"{what}: everyone in the group can read what you type there. Please send /{command} again in your private "
        "chat with the bot.")
    assert answer["chat"]["type"] == "private"
    await settle(fake, li)
    assert typed not in fake.messages  # the bot deleted it (it may, as the hall's admin)
    assert [c.status for c in fake.calls("deleteMessage", hall["id"])] == [200]
    assert fake.bot_messages(hall["id"]) == []
    async with UnitOfWork(services.db, write=False) as uow:  # nothing passed on, nothing filed
        assert await uow.session.scalar(select(func.count()).select_from(Outbox)) == 0
        assert await uow.session.scalar(select(func.count()).select_from(Complaint)) == 0
    assert (await order_row(services, order_id)).status == "accepted"
    await settle(fake, zhao, runner=True)
    assert not any("3-502" in m["text"] for m in fake.bot_messages(3003))
    assert not fake.violations


async def test_chatter_in_the_hall_that_only_looks_like_a_command_gets_no_answer_anywhere(
        fake_bot_api: FakeBotAPI, dispatcher: Dispatcher, services: Services, campus, clock, hall) -> None:
    # Before, a stranger's /weather (another bot's command, its @name left off) or "/ lol" got a public "open the
    # bot and press Start" in the hall, and someone who had started the bot got "I don't know /weather" privately.
    fake = fake_bot_api
    stranger = fake.user(5005, "Stranger", language_code="en")
    li = fake.user(1001, "Li", language_code="en")
    await tg_user(services, campus, clock, 1001)
    anonymous = fake.user(1087968824, "Group", username="GroupAnonymousBot")  # an admin posting as the group
    fake.text(stranger, "/weather", chat=hall)
    fake.text(stranger, "/ lol", chat=hall)
    fake.text(li, "/weather", chat=hall)
    fake._update(True, message=fake._user_message(
        anonymous, hall, text="/grab 1", entities=[{"type": "bot_command", "offset": 0, "length": 5}],
        sender_chat=hall))
    for person in (stranger, li, anonymous):
        await settle(fake, person)
    assert fake.bot_messages(hall["id"]) == []
    assert [m["text"] for m in fake.bot_messages(1001)] == [EN("help-student")]  # only settle's /help
    assert not fake.violations


async def test_a_button_naming_a_number_no_record_can_have_is_answered_not_found(
        fake_bot_api, dispatcher, services, campus, clock, admin_chat):
    """Such a number (an id column is INTEGER) failed the press on PostgreSQL, unanswered; it is not found now."""
    await operator(services, campus, clock, 4004, started=True)
    student = await tg_user(services, campus, clock, 1001)
    order_id = await make_order(services.db, campus, student, clock())
    wu = fake_bot_api.user(4004, "Wu", language_code="en")
    big = MAX_ID + 1
    fake_bot_api.command(wu, "find", str(order_id), chat=admin_chat)
    card = (await until(lambda: [m for m in fake_bot_api.bot_messages(admin_chat["id"]) if fake_bot_api.buttons(m)]))

    fake_bot_api.callback(wu, f"adm:find:{big}", card[-1])
    (answer,) = await until(lambda: fake_bot_api.callback_answers)
    assert answer["text"] == EN("error-order-not-found", order=str(big)) == f"There is no order #{big}."
    li = fake_bot_api.user(1001, "Li", language_code="en")
    fake_bot_api.command(li, "orders")
    orders = (await until(lambda: fake_bot_api.bot_messages(1001)))[-1]
    fake_bot_api.callback(li, f"o:{big}:view", orders)
    await until(lambda: len(fake_bot_api.callback_answers) == 2)
    assert fake_bot_api.callback_answers[1]["text"] == f"There is no order #{big}."
    assert (await order_row(services, order_id)).status == "open"


# --- pausing ordering ----------------------------------------------------------------------------------------------

async def test_an_operator_pauses_ordering_in_the_admin_chat_and_a_students_new_order_is_refused_privately(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat):
    await operator(services, campus, clock, 4004, started=False)  # moderates only in the admin chat
    await tg_user(services, campus, clock, 1001, name="Li")
    wu, li = fake_bot_api.user(4004, "Wu", language_code="en"), fake_bot_api.user(1001, "Li", language_code="en")

    fake_bot_api.command(wu, "pause", "30m heavy rain", chat=admin_chat)
    await settle(fake_bot_api, wu)
    assert fake_bot_api.bot_messages(admin_chat["id"])[-1]["text"] == EN(
        "admin-paused", ends="at", until="10:30", has_reason="yes", reason="heavy rain")

    fake_bot_api.command(li, "order")
    await settle(fake_bot_api, li)
    assert [m["text"] for m in fake_bot_api.bot_messages(1001)][0] == (
        "Ordering is paused until 10:30. Reason: heavy rain. Orders already placed go on as usual.")
    assert EN("order-ask-type") not in [m["text"] for m in fake_bot_api.bot_messages(1001)]

    fake_bot_api.command(wu, "resume", chat=admin_chat)
    await settle(fake_bot_api, wu)
    assert fake_bot_api.bot_messages(admin_chat["id"])[-1]["text"] == "Ordering is open again."
    await run_outbox(services, bot, clock)  # done in the operators' chat: nothing more to tell it
    assert [m["text"] for m in fake_bot_api.bot_messages(admin_chat["id"])][-2:] == [
        EN("admin-paused", ends="at", until="10:30", has_reason="yes", reason="heavy rain"), "Ordering is open again."]
    fake_bot_api.command(li, "order")
    await settle(fake_bot_api, li)
    assert EN("order-ask-type") in [m["text"] for m in fake_bot_api.bot_messages(1001)][2:]


async def test_a_pause_and_a_resume_typed_privately_are_told_in_the_operators_chat(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat):
    """The other operators learn in their chat that ordering is paused, by whom, until when and why, and when it
    opens again; the operator who did it is answered privately, as before."""
    wu_id = await operator(services, campus, clock, 4004, started=True)
    wu = fake_bot_api.user(4004, "Wu", language_code="en")
    chat_language = catalogue(campus.language)  # the operators' chat reads the campus's language
    fake_bot_api.command(wu, "pause", "30m heavy rain")
    await settle(fake_bot_api, wu)
    assert fake_bot_api.bot_messages(4004)[0]["text"] == EN(
        "admin-paused", ends="at", until="10:30", has_reason="yes", reason="heavy rain")
    fake_bot_api.command(wu, "resume")
    await settle(fake_bot_api, wu)
    await run_outbox(services, bot, clock)
    async with UnitOfWork(services.db, write=False) as uow:
        who = admin_who(await uow.session.get(User, wu_id))  # as operators see a person: name or id, and #id
    assert [m["text"] for m in fake_bot_api.bot_messages(admin_chat["id"])] == [
        chat_language("admin-paused-by", who=who, ends="at", until="10:30", has_reason="yes", reason="heavy rain"),
        chat_language("admin-resumed-by", who=who)]


async def test_hours_set_privately_are_told_in_the_operators_chat_in_its_language(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat):
    """The other operators learn in their chat, in its language, who changed the service hours and to what; the
    operator who did it is answered privately in theirs."""
    wu_id = await operator(services, campus, clock, 4004, started=True)
    async with UnitOfWork(services.db) as uow:
        (await uow.session.get(User, wu_id)).language = "zh_CN"
    wu = fake_bot_api.user(4004, "Wu", language_code="zh-hans")
    fake_bot_api.command(wu, "hours", "set mon-fri 08:00-22:00 sat,sun 09:00-24:00")
    await settle(fake_bot_api, wu)
    assert fake_bot_api.bot_messages(4004)[0]["text"] == (
        "🕒 服务时间已改为：周一至周五 08:00–22:00；周六至周日 09:00–24:00。现在可以下单。已下的订单时间不变。")
    await run_outbox(services, bot, clock)
    async with UnitOfWork(services.db, write=False) as uow:
        who = admin_who(await uow.session.get(User, wu_id))
    assert campus.language == "en"  # the operators' chat reads the campus's language
    assert [m["text"] for m in fake_bot_api.bot_messages(admin_chat["id"])] == [
        f"🕒 {who} set the service hours: Mon–Fri 08:00–22:00; Sat–Sun 09:00–24:00. Ordering is open now."]
