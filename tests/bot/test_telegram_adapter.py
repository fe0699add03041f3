"""The Telegram adapter end to end: aiogram's real Dispatcher and aiohttp session, polling (or the webhook) against
the fake Bot API server on 127.0.0.1, with the handlers over a real database."""
from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import aiohttp
import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.settings import Settings
from bot.telegram.adapter import build_dispatcher
from bot.telegram.app import run_telegram
from bot.telegram.payments import Payable, TelegramPayments
from bot.telegram.sender import TelegramSender
from core import ledger
from core.campus import DispatchMode
from core.money import format_yuan
from core.order import Actor, Event, Role
from handlers.context import Services
from handlers.io import Choice, Reply
from handlers.location import forget_positions
from locales import catalogue
from storage.models import (
    Conversation,
    Coupon,
    LedgerPosting,
    ProcessedUpdate,
    RunnerProfile,
    User,
)
from storage.models import Order as OrderRow
from storage.uow import UnitOfWork
from tests.bot.conftest import PAYMENT_TOKEN, polling
from tests.bot.fake_bot_api import FakeBotAPI, wait_until, wait_until_async
from tests.factories import CIPHER, act, make_order
from tests.handlers.test_runner import paid_order

T = TypeVar("T")
LIBRARY = (30.25852, 120.11751)  # a few metres from the library
PARCEL_STATION = (30.25952, 120.11902)  # a few metres from the parcel station


# --- fixtures ------------------------------------------------------------------------------------------------------



@pytest.fixture
async def dispatcher(services: Services, bot: Bot, settings: Settings) -> AsyncIterator[Dispatcher]:
    """The real dispatcher, long polling the fake server through the real aiohttp session."""
    async with polling(build_dispatcher(services, bot, settings), bot) as dp:
        yield dp


@pytest.fixture
def hall(fake_bot_api: FakeBotAPI, campus) -> dict[str, Any]:
    return fake_bot_api.group(campus.channels.telegram_hall_chat_id)


async def until(check: Callable[[], T], timeout: float = 10.0) -> T:
    """Wait for the bot to have done something (updates are handled concurrently with the test)."""
    return await wait_until(check, timeout, what="the bot")


async def settle(api: FakeBotAPI, user: dict[str, Any], *, runner: bool = False) -> None:
    """Everything this person sent before has been handled: a person's updates run one at a time, in order, so
    the answer to a /help sent now comes after them. runner: they are one, so that answer ends with the runner's
    commands, a message of its own, which is awaited too where the next messages are counted."""
    chat = user["id"]
    before = len(api.bot_messages(chat))
    api.command(user, "help")
    last = "/income" if runner else "/order"
    await until(lambda: any(last in m.get("text", "") for m in api.bot_messages(chat)[before:]))


# --- people and orders in the database -----------------------------------------------------------------------------

async def tg_user(services: Services, campus, clock, tg_id: int, *, started: bool = True, language: str = "en",
                  name: str = "") -> int:
    async with UnitOfWork(services.db) as uow:
        user = User(channel="telegram", external_id=str(tg_id), campus_id=campus.id, display_name=name or str(tg_id),
                    language=language, started_bot=started, created_at=clock(), preference_tags=[])
        uow.session.add(user)
        await uow.session.flush()
        return user.id  # type: ignore[return-value]


async def tg_runner(services: Services, campus, clock, tg_id: int, **kw: Any) -> int:
    user_id = await tg_user(services, campus, clock, tg_id, **kw)
    async with UnitOfWork(services.db) as uow:
        uow.session.add(RunnerProfile(
            user_id=user_id, campus_id=campus.id, status="approved", gender="female", quiz_passed=True,
            real_name_enc=CIPHER.encrypt("测试"), student_no_enc=CIPHER.encrypt("2024001"),
            credit=campus.credit.initial, applied_at=clock()))
    return user_id


async def accepted_order(services: Services, campus, clock, customer_id: int, runner_id: int) -> int:
    order_id = await make_order(services.db, campus, customer_id, clock())
    await act(services.db, campus, order_id, Event.accept, Actor(Role.runner, runner_id), clock())
    return order_id


async def order_row(services: Services, order_id: int) -> OrderRow:
    async with UnitOfWork(services.db, write=False) as uow:
        row = await uow.orders.get_row(order_id)
    assert row is not None
    return row


async def profile(services: Services, user_id: int) -> RunnerProfile:
    async with UnitOfWork(services.db, write=False) as uow:
        p = await uow.runners.get(user_id)
    assert p is not None
    return p


async def hall_card(bot: Bot, hall: dict[str, Any], order_id: int) -> dict[str, Any]:
    """A hall message with the grab button, as the outbox sender posts it."""
    sent = await bot.send_message(chat_id=hall["id"], text=f"New errand #{order_id}", reply_markup=InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Grab", callback_data=f"g:{order_id}")]]))
    return {"message_id": sent.message_id, "chat": hall, "date": 0, "text": sent.text,
            "from": {"id": sent.from_user.id, "is_bot": True, "first_name": "Paotui"}}


# --- /start and buttons --------------------------------------------------------------------------------------------

async def test_start_shows_the_language_choice_as_an_inline_keyboard(fake_bot_api, dispatcher):
    li = fake_bot_api.user(1001, "Li")
    fake_bot_api.command(li, "start")
    message = (await until(lambda: fake_bot_api.bot_messages(1001)))[-1]
    assert "Li" in message["text"]
    (row,) = fake_bot_api.buttons(message)
    assert [label for label, _ in row] == ["中文", "English"]
    assert all(data and data.startswith("s:") and len(data.encode()) <= 64 for _, data in row)


async def test_someone_new_is_welcomed_in_their_apps_language_or_else_the_campus_language(fake_bot_api, dispatcher):
    for user_id, code, hello in [(1001, "en-GB", "Hi Li!"), (1002, "zh-hans", "你好 Li！"), (1003, "fr", "你好 Li！")]:
        fake_bot_api.command(fake_bot_api.user(user_id, "Li", language_code=code), "start")
        welcome = (await until(lambda: fake_bot_api.bot_messages(user_id)))[-1]  # noqa: B023 - awaited at once
        assert welcome["text"].startswith(hello), code


async def test_a_pressed_button_is_answered_and_the_conversation_goes_on(fake_bot_api, dispatcher):
    li = fake_bot_api.user(1001, "Li")
    fake_bot_api.command(li, "start")
    welcome = (await until(lambda: fake_bot_api.bot_messages(1001)))[-1]
    update = fake_bot_api.press(li, welcome, "English")
    await until(lambda: fake_bot_api.callback_answers)
    assert fake_bot_api.callback_answers[0]["callback_query_id"] == update["callback_query"]["id"]
    messages = await until(lambda: [m for m in fake_bot_api.bot_messages(1001)
                                    if m["text"] == catalogue("en")("start-language-set")])
    assert messages
    menu = await until(lambda: [m for m in fake_bot_api.bot_messages(1001) if fake_bot_api.buttons(m)
                                and m["text"] == catalogue("en")("menu-title")])
    assert [b[0] for b in fake_bot_api.buttons(menu[-1])[0]] == [catalogue("en")("menu-order"),
                                                                  catalogue("en")("menu-my-orders")]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_an_edited_message_is_answered_that_edits_are_not_read_once_per_update(
        fake_bot_api, dispatcher, services, campus, clock, language):
    # Before, a student who fixed a typo in their room number by editing the message heard nothing, and the
    # original was what counted.
    li = fake_bot_api.user(1001, "Li", language_code="en" if language == "en" else "zh-hans")
    await tg_user(services, campus, clock, 1001, language=language)
    sent = fake_bot_api.text(li, "Room 1108")["message"]
    await settle(fake_bot_api, li)
    before = len(fake_bot_api.bot_messages(1001))
    edit = fake_bot_api.edit_text(sent, "Room 1018", push=False)
    fake_bot_api.push(edit)
    fake_bot_api.push(dict(edit))  # Telegram sent the same update again
    await settle(fake_bot_api, li)
    answers = [m for m in fake_bot_api.bot_messages(1001)[before:]
               if m["text"] == catalogue(language)("tg-edit-not-read")]
    assert len(answers) == 1
    (request,) = [c for c in fake_bot_api.calls("sendMessage", 1001) if c.params["text"] == answers[0]["text"]]
    assert request.params["reply_parameters"]["message_id"] == sent["message_id"]  # under the edited message
    assert not fake_bot_api.violations


async def test_an_edited_message_from_someone_who_blocked_the_bot_marks_them_unreachable(
        fake_bot_api, dispatcher, services, campus, clock):
    li = fake_bot_api.user(1001, "Li", language_code="en")
    user_id = await tg_user(services, campus, clock, 1001)
    sent = fake_bot_api.text(li, "Room 1108")["message"]
    await settle(fake_bot_api, li)
    fake_bot_api.block(1001)
    fake_bot_api.edit_text(sent, "Room 1018")
    await until(lambda: fake_bot_api.calls("sendMessage", 1001, ok=False))

    async def marked_unreachable() -> bool:
        async with UnitOfWork(services.db, write=False) as uow:
            return not (await uow.session.get(User, user_id)).started_bot

    await wait_until_async(marked_unreachable, what="Li marked as having blocked the bot")


async def test_a_reply_marked_edit_replaces_the_pressed_message(fake_bot_api, dispatcher, services, campus, clock):
    customer = await tg_user(services, campus, clock, 1001)
    runner = await tg_runner(services, campus, clock, 3003)
    order_id = await accepted_order(services, campus, clock, customer, runner)
    wang = fake_bot_api.user(3003, "Wang", language_code="en")
    fake_bot_api.command(wang, "release", str(order_id))
    ask = (await until(lambda: [m for m in fake_bot_api.bot_messages(3003) if fake_bot_api.buttons(m)]))[-1]
    sent_before = len(fake_bot_api.calls("sendMessage", 3003))
    no = next(label for row in fake_bot_api.buttons(ask) for label, data in row if data.endswith(":release_no"))
    fake_bot_api.press(wang, ask, no)
    await until(lambda: fake_bot_api.calls("editMessageText", 3003))
    edited = fake_bot_api.messages[(3003, ask["message_id"])]
    assert edited["text"] == catalogue("en")("runner-release-kept", order=str(order_id))
    assert "reply_markup" not in edited  # the question's buttons are gone with it
    await until(lambda: fake_bot_api.callback_answers)
    assert len(fake_bot_api.calls("sendMessage", 3003)) == sent_before  # edited, not sent anew
    assert (await order_row(services, order_id)).status == "accepted"


async def test_a_location_request_becomes_a_one_time_reply_keyboard(fake_bot_api, dispatcher, services, campus, clock):
    await tg_user(services, campus, clock, 1001)
    li = fake_bot_api.user(1001, "Li", language_code="en")
    fake_bot_api.command(li, "order")
    ask_type = (await until(lambda: [m for m in fake_bot_api.bot_messages(1001) if fake_bot_api.buttons(m)]))[-1]
    fake_bot_api.press(li, ask_type, 0)  # the first errand type: a parcel, which asks where to pick it up
    calls = await until(lambda: [c for c in fake_bot_api.calls("sendMessage", 1001)
                                 if "keyboard" in (c.params.get("reply_markup") or {})])
    markup = calls[-1].params["reply_markup"]
    (button,) = [b for row in markup["keyboard"] for b in row]
    assert button["request_location"] is True and markup["one_time_keyboard"] is True
    assert button["text"] == catalogue("en")("tg-share-location")


async def test_overlong_or_non_ascii_callback_data_never_reaches_the_handlers(fake_bot_api, dispatcher, services):
    li = fake_bot_api.user(1001, "Li", language_code="en")
    fake_bot_api.command(li, "start")
    welcome = (await until(lambda: fake_bot_api.bot_messages(1001)))[-1]
    async with UnitOfWork(services.db, write=False) as uow:
        before = await uow.session.get(Conversation, ("telegram", "1001"))
    assert before is not None
    state, token = before.state, before.data["_token"]
    fake_bot_api.callback(li, f"s:{token}:en" + "x" * 60, welcome)
    fake_bot_api.callback(li, f"s:{token}:中文", welcome)
    answers = await until(lambda: len(fake_bot_api.callback_answers) == 2 and fake_bot_api.callback_answers)
    assert {a.get("text") for a in answers} == {catalogue("en")("tg-bad-button")}  # their app's: none chosen yet
    await settle(fake_bot_api, li)
    async with UnitOfWork(services.db, write=False) as uow:
        after = await uow.session.get(Conversation, ("telegram", "1001"))
        user = await uow.session.scalar(select(User).where(User.channel == "telegram", User.external_id == "1001"))
    assert user is not None and user.language == "en"  # the app's, as they started: the refused buttons chose none
    assert after is not None and (after.state, after.data["_token"]) == (state, token) == ("start.language", token)


async def test_an_overlong_unknown_command_is_answered_quoting_it_short(fake_bot_api, dispatcher, services, campus,
                                                                       clock):
    # Before, a command name longer than a catalogue placeable takes (2500 characters) failed to format: the update
    # ended in an exception and the person heard nothing; a shorter one was echoed whole.
    li = fake_bot_api.user(1001, "Li", language_code="en")
    await tg_user(services, campus, clock, 1001)
    fake_bot_api.text(li, "/" + "x" * 3000)
    await settle(fake_bot_api, li)
    (answer,) = [m for m in fake_bot_api.bot_messages(1001) if m["text"].startswith("I don't know the command")]
    assert answer["text"] == catalogue("en")("error-unknown-command", command="x" * 19 + "…")


# --- the task hall -------------------------------------------------------------------------------------------------

async def test_a_hall_grab_by_someone_who_never_started_the_bot_is_refused_and_the_order_stays_open(
        fake_bot_api, dispatcher, bot, services, campus, clock, hall):
    customer = await tg_user(services, campus, clock, 1001)
    order_id = await make_order(services.db, campus, customer, clock())
    await tg_runner(services, campus, clock, 3004, started=False)  # known, but never pressed Start
    blocker = await tg_runner(services, campus, clock, 3005)  # started once, has blocked the bot since
    card = await hall_card(bot, hall, order_id)
    stranger = fake_bot_api.user(3003, "Zhao", language_code="en")
    known_not_started = fake_bot_api.user(3004, "Qian", language_code="en")
    blocked = fake_bot_api.user(3005, "Sun", language_code="en")
    fake_bot_api.block(3005)
    fake_bot_api.callback(stranger, f"g:{order_id}", card)
    fake_bot_api.callback(known_not_started, f"g:{order_id}", card)
    fake_bot_api.callback(blocked, f"g:{order_id}", card)
    answers = await until(lambda: len(fake_bot_api.callback_answers) == 3 and fake_bot_api.callback_answers)
    for answer in answers:  # each press opens the bot's chat, where they can press Start
        assert answer["url"] == "https://t.me/paotui_test_bot?start=c-demo"
        assert answer["text"] == catalogue("en")("tg-start-first") and not answer.get("show_alert")
    assert (await order_row(services, order_id)).status == "open"
    assert not any(fake_bot_api.calls("sendMessage", chat) for chat in (3003, 3004, 3005))
    assert not fake_bot_api.calls("editMessageText")  # nothing is posted or changed in the group
    assert [m["message_id"] for m in fake_bot_api.bot_messages(hall["id"])] == [card["message_id"]]
    async with UnitOfWork(services.db, write=False) as uow:
        strangers = await uow.session.scalar(select(func.count()).select_from(User).where(User.external_id == "3003"))
        blocker_started = await uow.session.scalar(select(User.started_bot).where(User.id == blocker))
    assert strangers == 0
    assert blocker_started is False  # remembered until they write to the bot again


async def test_a_hall_grab_is_answered_privately_and_the_loser_gets_a_toast(
        fake_bot_api, dispatcher, bot, services, campus, clock, hall):
    customer = await tg_user(services, campus, clock, 1001)
    order_id = await make_order(services.db, campus, customer, clock())
    winner = await tg_runner(services, campus, clock, 3003)
    await tg_runner(services, campus, clock, 3004)
    card = await hall_card(bot, hall, order_id)
    fake_bot_api.callback(fake_bot_api.user(3003, "Zhao", language_code="en"), f"g:{order_id}", card)
    first = (await until(lambda: fake_bot_api.callback_answers))[0]
    fake_bot_api.callback(fake_bot_api.user(3004, "Qian", language_code="en"), f"g:{order_id}", card)
    await until(lambda: len(fake_bot_api.callback_answers) == 2)
    second = fake_bot_api.callback_answers[1]
    assert first["text"] == catalogue("en")("tg-grab-won", order=str(order_id))
    assert second["text"] == catalogue("en")("grab-taken") and not second.get("show_alert")
    # The toast said it was won: the private chat gets the details (the outbox's), not first a message saying they
    # follow.
    assert not fake_bot_api.bot_messages(3003)
    await TelegramSender(services.db, bot, clock, cipher=services.cipher).run_once(clock())
    details = fake_bot_api.bot_messages(3003)
    assert details[0]["chat"]["type"] == "private" and len(details) == 1
    assert details[0]["text"].startswith(catalogue("en")("notice-you-won", order=str(order_id), how="taken"))
    assert not fake_bot_api.bot_messages(3004)
    row = await order_row(services, order_id)
    assert (row.status, row.runner_id) == ("accepted", winner)
    assert not fake_bot_api.calls("editMessageText")


async def test_a_hall_command_from_someone_we_cannot_write_to_gets_a_button_that_opens_the_bot(
        fake_bot_api, dispatcher, services, campus, clock, hall):
    customer = await tg_user(services, campus, clock, 1001)
    order_id = await make_order(services.db, campus, customer, clock())
    fake_bot_api.command(fake_bot_api.user(3003, "Zhao", language_code="en"), "grab", str(order_id), chat=hall)
    reply = (await until(lambda: fake_bot_api.bot_messages(hall["id"])))[-1]
    (row,) = (reply.get("reply_markup") or {})["inline_keyboard"]
    assert row[0]["url"] == "https://t.me/paotui_test_bot?start=c-demo"
    # Posted in the hall for everyone there: in the campus's language, not the English of Zhao's app.
    t = catalogue(campus.language)
    assert (reply["text"], row[0]["text"]) == (t("tg-start-first-group", name="Zhao"), t("tg-open-bot"))
    assert (await order_row(services, order_id)).status == "open"


async def test_group_chatter_is_ignored(fake_bot_api, dispatcher, services, campus, clock, hall):
    await tg_user(services, campus, clock, 3003)
    zhao = fake_bot_api.user(3003, "Zhao", language_code="en")
    fake_bot_api.text(zhao, "anyone going to the canteen?", chat=hall)
    fake_bot_api.text(zhao, "/help@some_other_bot", chat=hall)
    await settle(fake_bot_api, zhao)
    assert not fake_bot_api.bot_messages(hall["id"])
    assert len([m for m in fake_bot_api.bot_messages(3003) if "/order" in m["text"]]) == 1  # settle's own /help


async def test_messages_from_another_bot_are_ignored_in_the_hall_the_admin_chat_and_privately(
        fake_bot_api, dispatcher, services, campus, clock, hall):
    # Bots may talk to bots (Bot-to-Bot Communication Mode): one's /grab@paotui_test_bot in the hall was taken for a
    # person's, and answered with a request to start the bot, in the hall, which a bot could answer in turn; one
    # writing privately became a user with a conversation.
    admin_chat = fake_bot_api.group(campus.channels.telegram_admin_chat_id, "Operators")
    customer = await tg_user(services, campus, clock, 1001)
    order_id = await make_order(services.db, campus, customer, clock())
    other_bot = {**fake_bot_api.user(5005, "EchoBot", username="echo_bot", language_code=None), "is_bot": True}
    fake_bot_api.command(other_bot, "grab", str(order_id), chat=hall)
    fake_bot_api.command(other_bot, "today", chat=admin_chat)
    fake_bot_api.command(other_bot, "start")
    fake_bot_api.text(other_bot, "hello")
    li = fake_bot_api.user(1001, "Li", language_code="en")
    fake_bot_api.command(li, "help", chat=hall)  # after the bot's, in the same hall: those are done once it is
    await until(lambda: [m for m in fake_bot_api.bot_messages(1001) if "/order" in m["text"]])
    await settle(fake_bot_api, li)
    assert not fake_bot_api.bot_messages(hall["id"])
    assert not fake_bot_api.bot_messages(admin_chat["id"])
    assert not fake_bot_api.calls("sendMessage", 5005)
    assert (await order_row(services, order_id)).status == "open"
    async with UnitOfWork(services.db, write=False) as uow:
        assert await uow.session.scalar(select(func.count()).select_from(User).where(User.external_id == "5005")) == 0


# --- Telegram Payments ---------------------------------------------------------------------------------------------

INVOICEABLE_G = 10_000  # a 10 kg parcel costs more than Telegram's minimum invoice; make_order's 1 kg one less


def payments(services: Services, token: str | None = PAYMENT_TOKEN, *, min_amount: int = 800,
             max_amount: int = 7_000_000) -> TelegramPayments:
    return TelegramPayments(services, None, token, min_amount=min_amount, max_amount=max_amount)  # type: ignore[arg-type]


def test_an_invoice_button_is_offered_beside_the_wallet_button_only_with_a_payment_token(services):
    t = catalogue("en")
    reply = Reply("order-quote", "Total 5.00", choices=((Choice("Pay from wallet", "pay:12"),),))
    offered = payments(services).offer([reply], {Payable(12)}, t)
    assert [[c.data for c in row] for row in offered[0].choices] == [["pay:12"], ["tgpay:12"]]
    assert offered[0].choices[1][0].label == t("tg-pay-telegram")
    assert payments(services).offer([reply], {Payable(13)}, t) == [reply]  # not an order Telegram can invoice
    assert payments(services, None).offer([reply], {Payable(12)}, t) == [reply]


async def test_only_orders_whose_total_telegram_accepts_are_invoiceable(services, campus, clock):
    customer = await tg_user(services, campus, clock, 1001)
    cheap = await make_order(services.db, campus, customer, clock(), pay=False)
    dear = await make_order(services.db, campus, customer, clock(), pay=False, weight_g=INVOICEABLE_G)
    cheap_total, dear_total = (await order_row(services, cheap)).total, (await order_row(services, dear)).total
    assert cheap_total < 800 <= dear_total
    replies = [Reply("order-created", f"#{order_id}", choices=((Choice("Pay with wallet", f"pay:{order_id}"),),))
               for order_id in (cheap, dear)]
    assert await payments(services).invoiceable(replies) == {Payable(dear)}
    assert await payments(services, min_amount=cheap_total, max_amount=dear_total).invoiceable(replies) == {
        Payable(cheap), Payable(dear)}
    assert await payments(services, min_amount=1, max_amount=dear_total - 1).invoiceable(replies) == {Payable(cheap)}
    assert await payments(services, None).invoiceable(replies) == set()
    assert await payments(services).invoiceable([Reply("menu-title", "Menu")]) == set()


async def test_an_order_whose_coupon_can_no_longer_be_counted_is_not_invoiceable(services, campus, clock):
    """Its charge would be refused (pre-checkout): a button offering it could only fail."""
    customer = await tg_user(services, campus, clock, 1001)
    order_id = await make_order(services.db, campus, customer, clock(), pay=False, weight_g=INVOICEABLE_G)
    async with UnitOfWork(services.db) as uow:
        uow.session.add(Coupon(code="ONE", campus_id=campus.id, amount_off=100, max_uses=1))
        await uow.session.flush()
        (await uow.session.get(OrderRow, order_id)).coupon_code = "ONE"
    replies = [Reply("track-card", f"#{order_id}", choices=((Choice("Pay with wallet", f"pay:{order_id}"),),))]
    assert await payments(services).invoiceable(replies) == {Payable(order_id)}
    async with UnitOfWork(services.db) as uow:
        (await uow.session.get(Coupon, "ONE")).used = 1
    assert await payments(services).invoiceable(replies) == set()


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_a_forged_invoice_button_below_the_minimum_is_refused_with_the_minimum(
        fake_bot_api, dispatcher, bot, services, campus, clock, language):
    customer = await tg_user(services, campus, clock, 1001, language=language)
    order_id = await make_order(services.db, campus, customer, clock(), pay=False)
    before = await order_row(services, order_id)
    assert before.total < 800  # the settings' default minimum
    li = fake_bot_api.user(1001, "Li", language_code="en")
    sent = await bot.send_message(chat_id=1001, text="quote", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text="Pay", callback_data=f"tgpay:{order_id}")]]))
    fake_bot_api.callback(li, f"tgpay:{order_id}", (1001, sent.message_id))
    (answer,) = await until(lambda: fake_bot_api.callback_answers)
    assert answer["text"] == catalogue(language)("tg-pay-below-minimum", order=order_id, min="8.00")
    assert answer["show_alert"] is True
    assert not fake_bot_api.calls("sendInvoice")
    after = await order_row(services, order_id)
    assert (after.status, after.total, after.pay_by) == ("awaiting_payment", before.total, before.pay_by)


async def test_the_invoice_button_sends_an_invoice_in_fen(fake_bot_api, dispatcher, bot, services, campus, clock):
    customer = await tg_user(services, campus, clock, 1001)
    order_id = await make_order(services.db, campus, customer, clock(), pay=False, weight_g=INVOICEABLE_G)
    total = (await order_row(services, order_id)).total
    li = fake_bot_api.user(1001, "Li", language_code="en")
    sent = await bot.send_message(chat_id=1001, text="quote", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text="Pay", callback_data=f"tgpay:{order_id}")]]))
    press = fake_bot_api.callback(li, f"tgpay:{order_id}", (1001, sent.message_id))
    fake_bot_api.push(dict(press))  # the same update again: one invoice, not two
    await until(lambda: len(fake_bot_api.callback_answers) == 2)
    (invoice,) = await until(lambda: fake_bot_api.calls("sendInvoice", 1001))
    assert invoice.params["currency"] == "CNY"
    assert invoice.params["payload"] == f"order:{order_id}:{sent.message_id}"  # the card it was asked from
    assert invoice.params["provider_token"] == PAYMENT_TOKEN
    assert [p["amount"] for p in invoice.params["prices"]] == [total]
    answer = (await until(lambda: fake_bot_api.callback_answers))[0]
    assert not answer.get("text")
    # Someone else's order: no invoice, an alert.
    fake_bot_api.callback(fake_bot_api.user(1002, "Sun", language_code="en"), f"tgpay:{order_id}",
                          (1001, sent.message_id))
    await until(lambda: len(fake_bot_api.callback_answers) == 3)
    assert fake_bot_api.callback_answers[2]["text"] == catalogue("en")("tg-pay-not-yours")
    assert len(fake_bot_api.calls("sendInvoice")) == 1


async def test_pre_checkout_is_ok_only_for_an_unpaid_order_at_its_price(
        fake_bot_api, dispatcher, services, campus, clock):
    customer = await tg_user(services, campus, clock, 1001)
    unpaid = await make_order(services.db, campus, customer, clock(), pay=False)
    paid = await make_order(services.db, campus, customer, clock(), pay=True)
    total = (await order_row(services, unpaid)).total
    li = fake_bot_api.user(1001, "Li", language_code="en")
    sun = fake_bot_api.user(1002, "Sun", language_code="en")
    cases = [
        (li, f"order:{unpaid}", total, "CNY", None),
        (li, f"order:{unpaid}", total - 1, "CNY", "tg-pay-price-changed"),
        (li, f"order:{unpaid}", total, "USD", "tg-pay-price-changed"),
        (li, f"order:{paid}", (await order_row(services, paid)).total, "CNY", "tg-pay-not-payable"),
        (sun, f"order:{unpaid}", total, "CNY", "tg-pay-not-yours"),
        (li, "order:xyz", total, "CNY", "tg-pay-unknown-invoice"),
        (li, "order:999999", total, "CNY", "error-order-not-found"),
    ]
    ids = [fake_bot_api.pre_checkout_query(user, payload, amount, currency=currency)["pre_checkout_query"]["id"]
           for user, payload, amount, currency, _ in cases]
    answers = await until(lambda: len(fake_bot_api.pre_checkout_answers) == len(cases)
                          and fake_bot_api.pre_checkout_answers)
    by_id = {a["pre_checkout_query_id"]: a for a in answers}
    for query_id, (_, payload, _, _, refusal) in zip(ids, cases):
        answer = by_id[query_id]
        if refusal is None:
            assert answer["ok"] is True and not answer.get("error_message")
        else:
            assert answer["ok"] is False, payload
            order = int(payload.removeprefix("order:")) if payload[6:].isdigit() else 0
            assert answer["error_message"] == catalogue("en")(refusal, order=order)
    assert (await order_row(services, unpaid)).status == "awaiting_payment"


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_an_invoice_button_for_an_order_that_does_not_exist_says_there_is_no_such_order(
        fake_bot_api, dispatcher, bot, services, campus, clock, language):
    await tg_user(services, campus, clock, 1001, language=language)
    li = fake_bot_api.user(1001, "Li", language_code="en")
    sent = await bot.send_message(chat_id=1001, text="quote", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text="Pay", callback_data="tgpay:999999")]]))
    fake_bot_api.callback(li, "tgpay:999999", (1001, sent.message_id))
    (answer,) = await until(lambda: fake_bot_api.callback_answers)
    assert answer["text"] == catalogue(language)("error-order-not-found", order=999999)
    assert answer["text"] == {"en": "There is no order #999999.", "zh_CN": "没有 #999999 这个订单。"}[language]
    assert not fake_bot_api.calls("sendInvoice")


@pytest.mark.parametrize(("language", "refusal"), [
    ("en", "This invoice is not valid any more, so nothing was charged. Open your order again with /orders and pay "
           "it from there."),
    ("zh_CN", "这张账单已失效，没有扣款。请发送 /orders 重新打开订单，再从那里付款。"),
], ids=["en", "zh_CN"])
async def test_pre_checkout_for_an_invoice_payload_it_cannot_read_says_the_invoice_is_not_valid(
        fake_bot_api, dispatcher, services, campus, clock, language, refusal):
    """Not someone else's order: an invoice whose payload names no order of ours is refused as what it is."""
    await tg_user(services, campus, clock, 1001, language=language)
    li = fake_bot_api.user(1001, "Li", language_code="en")
    payloads = ["order:abc", "", "order:", "order:1:2:3", "tip:5"]
    for payload in payloads:
        fake_bot_api.pre_checkout_query(li, payload, 500)
    answers = await until(lambda: len(fake_bot_api.pre_checkout_answers) == len(payloads)
                          and fake_bot_api.pre_checkout_answers)
    assert [(a["ok"], a["error_message"]) for a in answers] == [(False, refusal)] * len(payloads)
    async with UnitOfWork(services.db, write=False) as uow:
        assert await uow.ledger.total() == 0 and await uow.ledger.entries_total() == 0  # nothing booked anywhere


@pytest.mark.parametrize("language_code, language", [("en", "en"), ("zh-hans", "zh_CN")])
async def test_pre_checkout_is_answered_with_a_refusal_when_the_database_fails(
        fake_bot_api, dispatcher, services, campus, clock, monkeypatch, language_code, language):
    """Unanswered, Telegram would fail the payment after 10 s without a word; refused, nothing is charged and the
    payer reads why, in their app's language (who they are could not be read either)."""
    customer = await tg_user(services, campus, clock, 1001, language=language)
    order_id = await make_order(services.db, campus, customer, clock(), pay=False)
    total = (await order_row(services, order_id)).total

    async def database_down(*args, **kwargs):
        raise ConnectionRefusedError("the database is down")

    monkeypatch.setattr("bot.telegram.payments.lookup", database_down)
    li = fake_bot_api.user(1001, "Li", language_code=language_code)
    fake_bot_api.pre_checkout_query(li, f"order:{order_id}", total)
    (answer,) = await until(lambda: fake_bot_api.pre_checkout_answers)
    assert answer["ok"] is False and answer["error_message"] == catalogue(language)("tg-pay-try-again")
    assert (await order_row(services, order_id)).status == "awaiting_payment"


class VirtualTime:
    """The pre-checkout answer's injected clock and sleep: each wait is recorded and moves the clock."""

    def __init__(self) -> None:
        self.now, self.waits = 1000.0, []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def virtual_time(dispatcher: Dispatcher) -> VirtualTime:
    payments, time = dispatcher["telegram_adapter"].payments, VirtualTime()
    payments.monotonic, payments.sleep = time.monotonic, time.sleep
    return time


@pytest.mark.parametrize("fault", ["429", "dropped", "502"])
async def test_a_pre_checkout_answer_that_fails_on_the_way_is_sent_again_within_telegrams_10_s(
        fake_bot_api, dispatcher, services, campus, clock, fault):
    """Unanswered, the payment fails after 10 s: a 429 is waited out for its retry_after, a dropped connection or
    a server error tried again after a short backoff, and the student can pay."""
    customer = await tg_user(services, campus, clock, 1001)
    order_id = await make_order(services.db, campus, customer, clock(), pay=False)
    total = (await order_row(services, order_id)).total
    time = virtual_time(dispatcher)
    if fault == "429":
        fake_bot_api.rate_limit(3, method="answerPreCheckoutQuery")
    elif fault == "dropped":
        fake_bot_api.drop_connection(method="answerPreCheckoutQuery", times=2)
    else:
        fake_bot_api.server_error(method="answerPreCheckoutQuery", times=2)
    query = fake_bot_api.pre_checkout_query(fake_bot_api.user(1001, "Li", language_code="en"),
                                            f"order:{order_id}", total)["pre_checkout_query"]["id"]
    (answer,) = await until(lambda: fake_bot_api.pre_checkout_answers)
    assert answer == {"pre_checkout_query_id": query, "ok": True}
    if fault == "429":
        assert time.waits == [3.0]
    else:
        assert len(time.waits) == 2 and time.waits[0] == 0.25 and 0 < time.waits[1] < 2  # then about 0.5 s
    assert len(fake_bot_api.calls("answerPreCheckoutQuery")) == (2 if fault == "429" else 3)


async def test_a_pre_checkout_answer_is_not_sent_after_telegram_has_given_up_on_it(
        fake_bot_api, dispatcher, services, campus, clock, caplog):
    """A retry_after that ends past the 10 s: Telegram has failed the payment by then (nothing charged), so the
    answer is not sent late, and the log says it was lost."""
    customer = await tg_user(services, campus, clock, 1001)
    order_id = await make_order(services.db, campus, customer, clock(), pay=False)
    total = (await order_row(services, order_id)).total
    time = virtual_time(dispatcher)
    fake_bot_api.rate_limit(5, method="answerPreCheckoutQuery", times=2)
    query = fake_bot_api.pre_checkout_query(fake_bot_api.user(1001, "Li", language_code="en"),
                                            f"order:{order_id}", total)["pre_checkout_query"]["id"]
    await until(lambda: any(query in r.getMessage() and "not delivered" in r.getMessage() for r in caplog.records))
    tries = fake_bot_api.calls("answerPreCheckoutQuery")
    assert time.waits == [5.0] and len(tries) == 2  # the first 429 waited out; the second would end past 9.5 s
    assert not fake_bot_api.pre_checkout_answers
    assert (await order_row(services, order_id)).status == "awaiting_payment"


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_pre_checkout_refuses_an_order_whose_coupon_can_no_longer_be_used(
        fake_bot_api, dispatcher, services, campus, clock, language):
    """An order priced with a coupon that was used up since: no charge could pay it, so Telegram charges nothing."""
    customer = await tg_user(services, campus, clock, 1001, language=language)
    order_id = await make_order(services.db, campus, customer, clock(), pay=False)
    async with UnitOfWork(services.db) as uow:
        uow.session.add(Coupon(code="ONE", campus_id=campus.id, amount_off=100, max_uses=1, used=1))
        await uow.session.flush()
        (await uow.session.get(OrderRow, order_id)).coupon_code = "ONE"
    total = (await order_row(services, order_id)).total
    li = fake_bot_api.user(1001, "Li", language_code="en" if language == "en" else "zh-hans")
    query = fake_bot_api.pre_checkout_query(li, f"order:{order_id}", total)["pre_checkout_query"]["id"]
    (answer,) = await until(lambda: fake_bot_api.pre_checkout_answers)
    assert answer["pre_checkout_query_id"] == query and answer["ok"] is False
    assert answer["error_message"] == catalogue(language)("tg-pay-coupon-gone", order=order_id)
    assert (await order_row(services, order_id)).status == "awaiting_payment"
    async with UnitOfWork(services.db, write=False) as uow:
        assert await uow.ledger.total() == 0 and await uow.ledger.balance(ledger.customer(customer)) == 0


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_a_suspended_student_is_refused_the_invoice_and_the_charge_and_money_sent_anyway_is_kept(
        fake_bot_api, dispatcher, bot, services, campus, clock, language):
    """As their wallet's Pay button: no invoice, and Telegram is told not to charge. A charge that arrives anyway
    (paid before the suspension reached Telegram's check) is kept in the wallet and pays nothing."""
    t = catalogue(language)
    customer = await tg_user(services, campus, clock, 1001, language=language)
    order_id = await make_order(services.db, campus, customer, clock(), pay=False, weight_g=INVOICEABLE_G)
    total = (await order_row(services, order_id)).total
    async with UnitOfWork(services.db) as uow:
        (await uow.session.get(User, customer)).suspended = True
    li = fake_bot_api.user(1001, "Li", language_code="en" if language == "en" else "zh-hans")
    card = await bot.send_message(1001, f"Order #{order_id}", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text="Pay", callback_data=f"pay:{order_id}"),
        InlineKeyboardButton(text="Telegram", callback_data=f"tgpay:{order_id}")]]))
    fake_bot_api.callback(li, f"pay:{order_id}", (1001, card.message_id))
    fake_bot_api.callback(li, f"tgpay:{order_id}", (1001, card.message_id))
    wallet, invoice = await until(lambda: len(fake_bot_api.callback_answers) == 2 and fake_bot_api.callback_answers)
    assert wallet["text"] == invoice["text"] == t("error-suspended")
    assert invoice["show_alert"] is True and not fake_bot_api.calls("sendInvoice")

    fake_bot_api.pre_checkout_query(li, f"order:{order_id}:{card.message_id}", total)
    (answer,) = await until(lambda: fake_bot_api.pre_checkout_answers)
    assert answer["ok"] is False and answer["error_message"] == t("error-suspended")

    fake_bot_api.successful_payment(li, f"order:{order_id}:{card.message_id}", total, charge_id="tg-suspended")
    kept = t("wallet-payment-kept-suspended", order=order_id, amount=format_yuan(total), balance=format_yuan(total))
    await until(lambda: any(m["text"] == kept for m in fake_bot_api.bot_messages(1001)))
    assert (await order_row(services, order_id)).status == "awaiting_payment"
    async with UnitOfWork(services.db, write=False) as uow:
        assert await uow.ledger.balance(ledger.customer(customer)) == total and await uow.ledger.total() == 0


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_an_order_whose_coupon_was_used_up_is_paid_by_invoice_at_its_full_price_and_never_at_the_old_one(
        fake_bot_api, dispatcher, bot, services, campus, clock, language):
    """The refusal of an order whose coupon was used up offers its full price: pressed, the order is priced without
    the coupon and offers both payments again; the invoice sent earlier, at the coupon's price, can no longer pay."""
    t = catalogue(language)
    customer = await tg_user(services, campus, clock, 1001, language=language)
    order_id = await make_order(services.db, campus, customer, clock(), pay=False, weight_g=INVOICEABLE_G)
    async with UnitOfWork(services.db) as uow:  # priced with coupon ONE, whose last use someone else took since
        uow.session.add(Coupon(code="ONE", campus_id=campus.id, amount_off=100, max_uses=1, used=1))
        await uow.session.flush()
        row = await uow.session.get(OrderRow, order_id)
        row.coupon_code, row.discount, row.total = "ONE", 100, row.total - 100
        row.quote_lines = [*row.quote_lines, {"key": "price-discount", "amount": -100, "args": {"code": "ONE"}}]
    old_price = (await order_row(services, order_id)).total
    full = old_price + 100
    li = fake_bot_api.user(1001, "Li", language_code="en" if language == "en" else "zh-hans")
    card = await bot.send_message(1001, f"Order #{order_id}", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text="Pay", callback_data=f"pay:{order_id}")]]))
    fake_bot_api.callback(li, f"pay:{order_id}", (1001, card.message_id))
    gone = await until(lambda: next((m for m in fake_bot_api.bot_messages(1001)
                                     if m["message_id"] != card.message_id), None))
    assert fake_bot_api.buttons(gone) == [[(t("wallet-full-price-button", total=format_yuan(full)),
                                            f"nocoupon:{order_id}")],
                                          [(t("track-cancel-unpaid-button"), f"o:{order_id}:cancel")]]

    fake_bot_api.press(li, gone, t("wallet-full-price-button", total=format_yuan(full)))
    repriced = await until(lambda: (m := fake_bot_api.messages[(1001, gone["message_id"])])["text"].startswith(
        t("wallet-full-price", order=order_id, code="ONE")) and m)
    assert t("order-card-total", total=format_yuan(full)) in repriced["text"]
    assert t("order-quote-line", label=t("price-discount", code="ONE"), amount="-1.00") not in repriced["text"]
    assert fake_bot_api.buttons(repriced) == [[(t("order-pay-wallet"), f"pay:{order_id}")],
                                              [(t("tg-pay-telegram"), f"tgpay:{order_id}")]]
    after = await order_row(services, order_id)
    assert (after.status, after.coupon_code, after.discount, after.total) == ("awaiting_payment", None, 0, full)

    # The invoice sent for the coupon's price: Telegram's check before charging refuses it.
    fake_bot_api.pre_checkout_query(li, f"order:{order_id}:{card.message_id}", old_price)
    (old,) = await until(lambda: fake_bot_api.pre_checkout_answers)
    assert old["ok"] is False and old["error_message"] == t("tg-pay-price-changed", order=order_id)
    # A new invoice is for the full price, and that one pays the order.
    fake_bot_api.press(li, repriced, t("tg-pay-telegram"))
    (invoice,) = await until(lambda: fake_bot_api.calls("sendInvoice", 1001))
    assert [p["amount"] for p in invoice.params["prices"]] == [full]
    fake_bot_api.pre_checkout_query(li, invoice.params["payload"], full)
    (_, new) = await until(lambda: len(fake_bot_api.pre_checkout_answers) == 2 and fake_bot_api.pre_checkout_answers)
    assert new["ok"] is True
    fake_bot_api.successful_payment(li, invoice.params["payload"], full, charge_id="tg-full")
    await until(lambda: fake_bot_api.messages[(1001, repriced["message_id"])]["text"] == t(
        "wallet-provider-paid", order=order_id, amount=format_yuan(full)))
    assert (await order_row(services, order_id)).status == "open"
    async with UnitOfWork(services.db, write=False) as uow:
        assert await uow.ledger.balance(ledger.escrow(order_id)) == full
        assert await uow.ledger.balance(ledger.MARKETING) == 0 and await uow.ledger.total() == 0


async def test_a_successful_payment_delivered_twice_is_credited_once(fake_bot_api, dispatcher, services, campus,
                                                                      clock):
    customer = await tg_user(services, campus, clock, 1001)
    order_id = await make_order(services.db, campus, customer, clock(), pay=False)
    total = (await order_row(services, order_id)).total
    li = fake_bot_api.user(1001, "Li", language_code="en")
    fake_bot_api.successful_payment(li, f"order:{order_id}", total, charge_id="tg-charge-A")
    fake_bot_api.successful_payment(li, f"order:{order_id}", total, charge_id="tg-charge-A")  # a new update id
    await until(lambda: len(fake_bot_api.bot_messages(1001)) >= 2)
    async with UnitOfWork(services.db, write=False) as uow:
        postings = await uow.session.scalar(select(func.count()).select_from(LedgerPosting)
                                            .where(LedgerPosting.key.like("%tg-charge-A%")))
        external = await uow.ledger.balance("external:telegram")
    assert postings == 1
    assert external == -total
    assert (await order_row(services, order_id)).status == "open"
    texts = [m["text"] for m in fake_bot_api.bot_messages(1001)]
    assert texts[0] == catalogue("en")("wallet-provider-paid", order=order_id, amount=f"{total / 100:.2f}")
    assert texts[1] == catalogue("en")("wallet-charge-seen", order=order_id)


async def test_a_second_invoice_paid_for_a_paid_order_leaves_the_card_saying_paid(fake_bot_api, dispatcher, bot,
                                                                                   services, campus, clock):
    # Two invoices were sent for one order and both paid: the second charge goes to the wallet, told in a message
    # of its own; the order card keeps saying the order is paid.
    customer = await tg_user(services, campus, clock, 1001)
    order_id = await make_order(services.db, campus, customer, clock(), pay=False)
    total = (await order_row(services, order_id)).total
    card = await bot.send_message(1001, f"Order #{order_id}")  # the card both invoices were asked from
    li = fake_bot_api.user(1001, "Li", language_code="en")
    en = catalogue("en")
    paid = en("wallet-provider-paid", order=order_id, amount=format_yuan(total))
    fake_bot_api.successful_payment(li, f"order:{order_id}:{card.message_id}", total, charge_id="tg-charge-1")
    await until(lambda: fake_bot_api.messages[(1001, card.message_id)]["text"] == paid)
    fake_bot_api.successful_payment(li, f"order:{order_id}:{card.message_id}", total, charge_id="tg-charge-2")
    kept = await until(lambda: next((m for m in fake_bot_api.bot_messages(1001)
                                     if m["text"].startswith(en("wallet-payment-kept", order=order_id,
                                                                amount=format_yuan(total), balance="")[:30])), None))
    assert kept["message_id"] != card.message_id
    assert fake_bot_api.messages[(1001, card.message_id)]["text"] == paid
    async with UnitOfWork(services.db, write=False) as uow:
        assert await uow.ledger.balance(ledger.customer(customer)) == total  # the second charge, kept


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_a_charge_of_the_wrong_amount_says_the_order_still_waits_and_offers_its_payment_again(
        fake_bot_api, dispatcher, bot, services, campus, clock, language):
    t = catalogue(language)
    customer = await tg_user(services, campus, clock, 1001, language=language)
    order_id = await make_order(services.db, campus, customer, clock(), pay=False, weight_g=INVOICEABLE_G)
    total = (await order_row(services, order_id)).total
    card = await bot.send_message(1001, f"Order #{order_id}")
    li = fake_bot_api.user(1001, "Li", language_code="en")
    fake_bot_api.successful_payment(li, f"order:{order_id}:{card.message_id}", total - 100, charge_id="tg-short")
    said = t("wallet-payment-wrong-amount", order=order_id, amount=format_yuan(total - 100),
             total=format_yuan(total), balance=format_yuan(total - 100))
    reply = await until(lambda: next((m for m in fake_bot_api.bot_messages(1001) if m["text"] == said), None))
    assert reply["message_id"] != card.message_id  # the card keeps its own buttons
    assert fake_bot_api.buttons(reply) == [[(t("order-pay-wallet"), f"pay:{order_id}")],
                                           [(t("tg-pay-telegram"), f"tgpay:{order_id}")]]
    assert (await order_row(services, order_id)).status == "awaiting_payment"
    async with UnitOfWork(services.db, write=False) as uow:
        assert await uow.ledger.balance(ledger.customer(customer)) == total - 100 and await uow.ledger.total() == 0


# --- live location -------------------------------------------------------------------------------------------------

async def test_live_location_is_kept_only_while_the_runner_has_an_active_order(
        fake_bot_api, dispatcher, services, campus, clock):
    customer = await tg_user(services, campus, clock, 1001)
    busy = await tg_runner(services, campus, clock, 3003)
    idle = await tg_runner(services, campus, clock, 3004)
    order_id = await accepted_order(services, campus, clock, customer, busy)
    zhao = fake_bot_api.user(3003, "Zhao", language_code="en")
    qian = fake_bot_api.user(3004, "Qian", language_code="en")

    update = fake_bot_api.location(zhao, 30.2600, 120.1190, live_period=900)
    shared = update["message"]
    reply = (await until(lambda: fake_bot_api.bot_messages(3003)))[-1]
    assert reply["text"] == catalogue("en")("live-kept", orders=f"#{order_id}")
    assert ((await profile(services, busy)).last_lat, (await profile(services, busy)).last_lon) == (30.2600, 120.1190)

    clock.advance(minutes=2)
    fake_bot_api.live_location(zhao, shared, *LIBRARY)
    await settle(fake_bot_api, zhao)
    p = await profile(services, busy)
    assert (p.last_lat, p.last_lon, p.last_seen_at) == (*LIBRARY, clock())
    assert len([m for m in fake_bot_api.bot_messages(3003) if m["text"].startswith("Thanks")]) == 1  # edits are silent

    # The student asks where the runner is.
    li = fake_bot_api.user(1001, "Li", language_code="en")
    clock.advance(minutes=3)
    fake_bot_api.command(li, "where", str(order_id))
    where = (await until(lambda: fake_bot_api.bot_messages(1001)))[-1]
    assert where["text"] == catalogue("en")("where-near", order=order_id, time="10:02", minutes=3, place="Library")

    # A runner with no active order: not kept (and /nearby from there, as a one-off location gives).
    fake_bot_api.location(qian, *LIBRARY, live_period=900)
    texts = await until(lambda: len(fake_bot_api.bot_messages(3004)) >= 2
                        and [m["text"] for m in fake_bot_api.bot_messages(3004)])
    assert texts == [catalogue("en")("live-not-kept", offers="no"), catalogue("en")("hall-nearby-none")]
    assert (await profile(services, idle)).last_lat is None

    # The order ends (released back to the hall): the next position is not kept and the old one goes.
    await act(services.db, campus, order_id, Event.release, Actor(Role.runner, busy), clock())
    fake_bot_api.live_location(zhao, shared, 30.2610, 120.1200)
    await settle(fake_bot_api, zhao)
    p = await profile(services, busy)
    assert (p.last_lat, p.last_lon, p.last_seen_at) == (None, None, None)


async def test_a_forwarded_live_location_is_never_taken_as_where_the_runner_is(
        fake_bot_api, dispatcher, services, campus, clock):
    """A runner carrying an order forwards a live location someone else shares (or their own, from another chat):
    the student's /where does not show it, first position or later ones."""
    customer = await tg_user(services, campus, clock, 1001)
    runner = await tg_runner(services, campus, clock, 3003)
    order_id = await accepted_order(services, campus, clock, customer, runner)
    zhao = fake_bot_api.user(3003, "Zhao", language_code="en")
    friend = fake_bot_api.user(4004, "Friend", language_code="en")
    forwarded = fake_bot_api.location(zhao, *LIBRARY, live_period=900, forwarded_from=friend)["message"]
    await settle(fake_bot_api, zhao)
    fake_bot_api.live_location(zhao, forwarded, *PARCEL_STATION)
    await settle(fake_bot_api, zhao)
    assert (await profile(services, runner)).last_lat is None
    assert not any(m["text"] == catalogue("en")("live-kept", orders=f"#{order_id}")
                   for m in fake_bot_api.bot_messages(3003))
    fake_bot_api.command(fake_bot_api.user(1001, "Li", language_code="en"), "where", str(order_id))
    where = (await until(lambda: fake_bot_api.bot_messages(1001)))[-1]
    assert where["text"] == catalogue("en")("where-unknown", order=order_id)

    fake_bot_api.location(zhao, *LIBRARY, live_period=900)  # their own: kept
    await settle(fake_bot_api, zhao)
    assert ((await profile(services, runner)).last_lat, (await profile(services, runner)).last_lon) == LIBRARY


async def test_where_tells_when_the_runner_was_at_the_position_not_when_the_bot_read_it(
        fake_bot_api, dispatcher, services, campus, clock):
    """Telegram hands a position over late (the bot was restarting, a backlog): /where says when the runner was
    there, and a position from before the runner took the order, read after, is not shown to its student."""
    customer = await tg_user(services, campus, clock, 1001)
    runner = await tg_runner(services, campus, clock, 3003)
    zhao = fake_bot_api.user(3003, "Zhao", language_code="en")
    li = fake_bot_api.user(1001, "Li", language_code="en")
    en = catalogue("en")

    shared = fake_bot_api.location(zhao, *PARCEL_STATION, live_period=3600)["message"]  # idle: not kept
    await until(lambda: any(m["text"] == en("live-not-kept", offers="no") for m in fake_bot_api.bot_messages(3003)))
    clock.advance(minutes=1)
    before_taking = fake_bot_api.live_location(zhao, shared, *LIBRARY, push=False)  # at 10:01, not read yet
    clock.advance(minutes=1)
    order_id = await accepted_order(services, campus, clock, customer, runner)  # taken at 10:02
    fake_bot_api.push(before_taking)
    await settle(fake_bot_api, zhao, runner=True)
    fake_bot_api.command(li, "where", str(order_id))
    await until(lambda: fake_bot_api.bot_messages(1001))
    assert fake_bot_api.last_bot_message(1001)["text"] == en("where-unknown", order=order_id)

    clock.advance(minutes=1)
    late = fake_bot_api.live_location(zhao, shared, *PARCEL_STATION, push=False)  # at 10:03 ...
    clock.advance(minutes=10)
    fake_bot_api.push(late)  # ... handed over at 10:13
    await settle(fake_bot_api, zhao, runner=True)
    before = len(fake_bot_api.bot_messages(1001))
    fake_bot_api.command(li, "where", str(order_id))
    await until(lambda: len(fake_bot_api.bot_messages(1001)) > before)
    assert fake_bot_api.last_bot_message(1001)["text"] == en(
        "where-near", order=order_id, time="10:03", minutes=10, place="Parcel Station")


@pytest.mark.parametrize("make_person", [tg_user, tg_runner], ids=["student", "runner"])
async def test_a_live_location_answers_the_step_asking_for_a_location_as_a_one_off_location_does(
        fake_bot_api, dispatcher, services, campus, clock, make_person):
    person = await make_person(services, campus, clock, 1001)  # a runner carries no order: the position is not kept
    li = fake_bot_api.user(1001, "Li", language_code="en")
    en = catalogue("en")
    fake_bot_api.command(li, "order")
    ask_type = (await until(lambda: [m for m in fake_bot_api.bot_messages(1001) if fake_bot_api.buttons(m)]))[-1]
    fake_bot_api.press(li, ask_type, 0)  # a parcel: where to pick it up, with the location button
    await until(lambda: [c for c in fake_bot_api.calls("sendMessage", 1001)
                         if "keyboard" in (c.params.get("reply_markup") or {})])
    before = len(fake_bot_api.bot_messages(1001))

    shared = fake_bot_api.location(li, *PARCEL_STATION, live_period=900)["message"]  # "Share My Live Location"
    await settle(fake_bot_api, li, runner=make_person is tg_runner)
    texts = [m["text"] for m in fake_bot_api.bot_messages(1001)[before:]]
    assert texts[0] == en("order-ask-dropoff")  # the next question: the pickup was answered
    # No runner wording.
    assert en("live-not-kept", offers="no") not in texts and not any(t.startswith("Thanks") for t in texts)
    async with UnitOfWork(services.db, write=False) as uow:
        conv = await uow.session.get(Conversation, ("telegram", "1001"))
    assert conv is not None and conv.data["pickup"] == "parcel_station"

    # Its next position, seconds later, is no runner saying they are free either: silent, and nobody to dispatch to.
    before = len(fake_bot_api.bot_messages(1001))
    fake_bot_api.live_location(li, shared, PARCEL_STATION[0] + 0.0001, PARCEL_STATION[1])
    await settle(fake_bot_api, li, runner=make_person is tg_runner)
    settles = en("help-student-runner" if make_person is tg_runner else "help-student")  # settle's /help
    assert [m["text"] for m in fake_bot_api.bot_messages(1001)[before:]][0] == settles
    if make_person is tg_runner:
        assert (await profile(services, person)).available_until is None


async def test_a_runner_sharing_a_live_location_before_grabbing_is_told_once_it_is_kept(
        fake_bot_api, dispatcher, services, campus, clock):
    customer = await tg_user(services, campus, clock, 1001)
    runner = await tg_runner(services, campus, clock, 3003)
    order_id = await make_order(services.db, campus, customer, clock())  # open, at the parcel station
    zhao = fake_bot_api.user(3003, "Zhao", language_code="en")
    en = catalogue("en")

    shared = fake_bot_api.location(zhao, *LIBRARY, live_period=3600)["message"]
    await until(lambda: any(m["text"] == en("live-not-kept", offers="no") for m in fake_bot_api.bot_messages(3003)))
    assert (await profile(services, runner)).last_lat is None

    fake_bot_api.command(zhao, "grab", str(order_id))
    await until(lambda: any(m["text"].startswith(en("grab-won")) for m in fake_bot_api.bot_messages(3003)))
    assert (await order_row(services, order_id)).runner_id == runner

    clock.advance(minutes=2)
    fake_bot_api.live_location(zhao, shared, *PARCEL_STATION)  # still sharing: the first position now kept
    kept = en("live-kept", orders=f"#{order_id}")
    await until(lambda: any(m["text"] == kept for m in fake_bot_api.bot_messages(3003)))
    p = await profile(services, runner)
    assert (p.last_lat, p.last_lon, p.last_seen_at) == (*PARCEL_STATION, clock())

    fake_bot_api.live_location(zhao, shared, *LIBRARY)
    await settle(fake_bot_api, zhao)
    assert [m["text"] for m in fake_bot_api.bot_messages(3003)].count(kept) == 1  # later positions: silent
    assert (await profile(services, runner)).last_lat == LIBRARY[0]


async def test_a_runner_sharing_a_location_privately_gets_the_orders_nearest_to_it(
        fake_bot_api, dispatcher, services, campus, clock):
    customer = await tg_user(services, campus, clock, 1001)
    runner = await tg_runner(services, campus, clock, 3003)
    canteen = await make_order(services.db, campus, customer, clock(), pickup="canteen_2", dropoff="dorm_f2")
    station = await make_order(services.db, campus, customer, clock())  # the parcel station, near the library
    zhao = fake_bot_api.user(3003, "Zhao", language_code="en")

    fake_bot_api.location(zhao, *LIBRARY)  # a one-off location, not live
    await until(lambda: len(fake_bot_api.bot_messages(3003)) >= 3)
    messages = fake_bot_api.bot_messages(3003)
    assert messages[0]["text"] == "2 open orders, nearest to you first:"
    assert [fake_bot_api.buttons(m) for m in messages[1:]] == [[[("Grab", f"g:{station}")]],
                                                               [[("Grab", f"g:{canteen}")]]]
    assert (await profile(services, runner)).last_lat is None  # used for the list, not kept


async def test_an_idle_runner_sharing_a_live_location_is_offered_the_order_at_their_feet(
        fake_bot_api, bot, services, campus, clock, settings):
    """Auto-dispatch offers a new order to the free runner standing at its pickup, not to one busy with another;
    once that runner stops sharing, they are no longer where dispatch looks."""
    auto = campus.model_copy(update={"dispatch": campus.dispatch.model_copy(update={"mode": DispatchMode.auto})})
    services = Services(db=services.db, campuses={auto.id: auto}, cipher=services.cipher, clock=clock,
                        channels=("telegram",))
    en = catalogue("en")
    async with polling(build_dispatcher(services, bot, settings), bot):
        customer = await tg_user(services, auto, clock, 1001)
        idle = await tg_runner(services, auto, clock, 3003)
        busy = await tg_runner(services, auto, clock, 3004)
        await accepted_order(services, auto, clock, customer, busy)
        shared = {}
        for tg in (3003, 3004):  # both at the parcel station, sharing their live location
            person = fake_bot_api.user(tg, f"R{tg}", language_code="en")
            shared[tg] = fake_bot_api.location(person, *PARCEL_STATION, live_period=3600)["message"]
            await settle(fake_bot_api, person)
        texts = [m["text"] for m in fake_bot_api.bot_messages(3003)]
        assert texts.count(en("live-not-kept", offers="yes")) == 1
        assert (await profile(services, idle)).last_lat is None  # nothing a student could be shown

        first = await paid_order(services, customer)
        assert (await order_row(services, first)).offer_runner_id == idle

        fake_bot_api.stop_live_location(fake_bot_api.user(3003, "R3003", language_code="en"), shared[3003])
        await settle(fake_bot_api, fake_bot_api.user(3003, "R3003", language_code="en"))
        assert (await profile(services, idle)).available_until is None
        second = await paid_order(services, customer)
        assert (await order_row(services, second)).offer_runner_id == busy


async def test_forget_positions_clears_only_runners_without_an_active_order(services, campus, clock):
    customer = await tg_user(services, campus, clock, 1001)
    busy = await tg_runner(services, campus, clock, 3003)
    idle = await tg_runner(services, campus, clock, 3004)
    await accepted_order(services, campus, clock, customer, busy)
    async with UnitOfWork(services.db) as uow:
        for runner in (busy, idle):
            p = await uow.runners.get(runner)
            assert p is not None
            p.last_lat, p.last_lon, p.last_seen_at = *LIBRARY, clock()
    async with UnitOfWork(services.db) as uow:
        assert await forget_positions(uow, clock()) == 1
    assert (await profile(services, busy)).last_lat == LIBRARY[0]
    assert (await profile(services, idle)).last_lat is None


# --- repeats -------------------------------------------------------------------------------------------------------

async def test_the_same_update_twice_is_handled_once(fake_bot_api, dispatcher, services):
    li = fake_bot_api.user(1001, "Li", language_code="en")
    update = fake_bot_api.command(li, "start", push=False)
    fake_bot_api.push(update)
    fake_bot_api.push(dict(update))  # Telegram sends it again (same update_id)
    await settle(fake_bot_api, li)
    welcomes = [m for m in fake_bot_api.bot_messages(1001) if "Li" in m["text"]]
    assert len(welcomes) == 1
    async with UnitOfWork(services.db, write=False) as uow:
        seen = await uow.session.get(ProcessedUpdate, f"telegram:{update['update_id']}")
    assert seen is not None


# --- running the channel -------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_run_telegram_polls_and_sets_the_command_menus(fake_bot_api, services, campus, clock, settings):
    await tg_runner(services, campus, clock, 3003, language="zh_CN")
    stop = asyncio.Event()
    running = asyncio.create_task(run_telegram(settings, services, stop=stop, handle_signals=False))
    try:
        fake_bot_api.command(fake_bot_api.user(1001, "Li"), "start")
        await until(lambda: fake_bot_api.bot_messages(1001))
        await until(lambda: fake_bot_api.chat_menu(3003))  # the runner's own menu: queued, set by the sender
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)
    menus = {(c.params["scope"]["type"], c.params["scope"].get("chat_id"), c.params.get("language_code")):
             [cmd["command"] for cmd in c.params["commands"]] for c in fake_bot_api.calls("setMyCommands")}
    hall, admin = campus.channels.telegram_hall_chat_id, campus.channels.telegram_admin_chat_id
    assert set(menus) == {("all_private_chats", None, None), ("chat", 3003, None),  # none per app language
                          ("chat", hall, None), ("chat", admin, None)}
    assert menus[("chat", hall, None)] == ["grab", "nearby"]
    assert "where" in menus[("all_private_chats", None, None)]
    assert "nearby" not in menus[("all_private_chats", None, None)]
    assert "nearby" in menus[("chat", 3003, None)]
    # The students' menu speaks the bot's default language whatever the app's (menus per app language go).
    (shared,) = [c.params["commands"] for c in fake_bot_api.calls("setMyCommands")
                 if c.params["scope"]["type"] == "all_private_chats"]
    assert shared[0]["description"] == catalogue("zh_CN")("tg-cmd-start")
    assert {c.params.get("language_code") for c in fake_bot_api.calls("deleteMyCommands")} == {"zh", "en"}


async def test_webhook_mode_checks_the_secret_and_handles_a_repeat_once(fake_bot_api, services, settings):
    port = _free_port()
    hooked = settings.model_copy(update={
        "telegram_webhook_url": f"http://127.0.0.1:{port}/tg/hook", "telegram_webhook_host": "127.0.0.1",
        "telegram_webhook_port": port, "telegram_webhook_secret": SecretStr("s3cret_42"),
    })
    stop = asyncio.Event()
    running = asyncio.create_task(run_telegram(hooked, services, stop=stop, handle_signals=False))
    try:
        await until(lambda: fake_bot_api.webhook.get("url"))
        assert fake_bot_api.webhook["secret_token"] == "s3cret_42"
        li = fake_bot_api.user(1001, "Li", language_code="en")
        update = fake_bot_api.command(li, "start", push=False)
        assert await fake_bot_api.deliver_webhook(update) == 200
        assert await fake_bot_api.deliver_webhook(update) == 200
        async with aiohttp.ClientSession() as session:
            for wrong in ("wrong", "", "s3cret_4", "s3cret_42é", "秘密"):  # not the secret, however it is spelt
                async with session.post(f"http://127.0.0.1:{port}/tg/hook", json=update,
                                        headers={"X-Telegram-Bot-Api-Secret-Token": wrong}) as resp:
                    assert resp.status == 401, wrong
        await until(lambda: fake_bot_api.bot_messages(1001))
        await settle_webhook(fake_bot_api, li)
        assert len([m for m in fake_bot_api.bot_messages(1001) if "Li" in m["text"]]) == 1
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)


async def settle_webhook(api: FakeBotAPI, user: dict[str, Any]) -> None:
    before = len(api.bot_messages(user["id"]))
    assert await api.deliver_webhook(api.command(user, "help", push=False)) == 200
    await until(lambda: len(api.bot_messages(user["id"])) > before)


async def test_where_answers_only_the_orders_student_and_only_while_it_is_on_its_way(services, campus, clock):
    from tests.factories import make_runner, make_user
    from tests.handlers.harness import Chat, keys

    chat = Chat(services)  # the handler is channel-neutral: the console harness drives it
    customer = await make_user(services.db, campus, clock(), name="li")
    await make_user(services.db, campus, clock(), name="zhang")
    runner = await make_runner(services.db, campus, clock())
    assert keys(await chat.send("li", "/where")) == ["where-usage"]  # no order on its way
    order_id = await accepted_order(services, campus, clock, customer, runner)
    assert keys(await chat.send("li", "/where")) == ["where-unknown"]  # the only one: no number needed
    assert keys(await chat.send("zhang", f"/where {order_id}")) == ["error-not-your-order"]
    async with UnitOfWork(services.db) as uow:
        p = await uow.runners.get(runner)
        assert p is not None
        p.last_lat, p.last_lon, p.last_seen_at = 30.2700, 120.1300, clock()  # off campus: distance to the drop-off
    (reply,) = await chat.send("li", f"/where {order_id}")
    assert reply.key == "where-away" and reply.args["distance"] > 1000
    await act(services.db, campus, order_id, Event.release, Actor(Role.runner, runner), clock())
    assert keys(await chat.send("li", f"/where {order_id}")) == ["where-not-on-the-way"]


async def test_operators_moderate_in_the_admin_chat_and_others_are_refused_there(
        fake_bot_api, dispatcher, services, campus, clock):
    """Operator commands work in the campus's admin chat and are answered there, for every operator to see."""
    admin_chat = fake_bot_api.group(campus.channels.telegram_admin_chat_id, "Operators")
    operator = await tg_user(services, campus, clock, 4004, started=False)  # needs no private chat for this
    async with UnitOfWork(services.db) as uow:
        (await uow.session.get(User, operator)).is_operator = True
    await tg_user(services, campus, clock, 4005)
    fake_bot_api.command(fake_bot_api.user(4004, "Wu", language_code="en"), "today", chat=admin_chat)
    answer = (await until(lambda: fake_bot_api.bot_messages(admin_chat["id"])))[-1]
    assert answer["text"].startswith("今日（2026-11-23）：\n新订单：0")  # the chat's language, not the operator's
    fake_bot_api.command(fake_bot_api.user(4005, "Zhou", language_code="en"), "today", chat=admin_chat)
    refused = (await until(lambda: len(fake_bot_api.bot_messages(admin_chat["id"])) == 2
                           and fake_bot_api.bot_messages(admin_chat["id"])))[-1]
    assert refused["text"] == catalogue(campus.language)("error-operators-only")


async def test_the_admin_chat_speaks_the_campus_language_whichever_operator_acts_and_privately_theirs(
        fake_bot_api, dispatcher, services, campus, clock):
    """A Chinese campus's admin chat: an English-speaking operator's card, the confirmation of their press and the
    card edited with its outcome are in Chinese, like what a Chinese-speaking operator gets there; privately, the
    English-speaking operator reads English."""
    zh, en = catalogue("zh_CN"), catalogue("en")
    admin_chat = fake_bot_api.group(campus.channels.telegram_admin_chat_id, "Operators")
    ada_id = await tg_user(services, campus, clock, 4005, language="en", name="Ada")
    wu_id = await tg_user(services, campus, clock, 4004, language="zh_CN", name="Wu")
    async with UnitOfWork(services.db) as uow:
        for operator in (ada_id, wu_id):
            (await uow.session.get(User, operator)).is_operator = True
    ada, wu = fake_bot_api.user(4005, "Ada", language_code="en"), fake_bot_api.user(4004, "Wu", language_code="zh")
    customer = await tg_user(services, campus, clock, 1001, name="Li")
    order_id = await make_order(services.db, campus, customer, clock())

    def cards() -> list[dict[str, Any]]:
        return [m for m in fake_bot_api.bot_messages(admin_chat["id"]) if fake_bot_api.buttons(m)]

    fake_bot_api.command(wu, "find", str(order_id), chat=admin_chat)
    await until(lambda: len(cards()) == 1)
    fake_bot_api.command(ada, "find", str(order_id), chat=admin_chat)
    _, card = await until(lambda: len(cards()) == 2 and cards())
    shown = card["text"]  # the fake edits its messages in place
    assert shown == cards()[0]["text"] and zh("admin-history-title") in shown
    cancel = zh("admin-button-event", event="operator_cancel", refunded="yes")
    assert fake_bot_api.buttons(card)[0][0][0] == cancel

    fake_bot_api.press(ada, card, cancel)
    confirm = zh("admin-confirm-event", order=str(order_id), event="operator_cancel", total="3.60", refunded="yes",
                 refund="3.60", repaid="no")
    question = await until(lambda: next((m for m in fake_bot_api.bot_messages(admin_chat["id"])
                                         if m.get("text") == confirm), None))
    fake_bot_api.press(ada, question, zh("admin-button-confirm", event="operator_cancel", refunded="yes"))
    await until(lambda: fake_bot_api.messages[(admin_chat["id"], card["message_id"])]["text"] != shown)
    edited = fake_bot_api.messages[(admin_chat["id"], card["message_id"])]["text"]
    assert zh("admin-history-title") in edited and en("admin-history-title") not in edited
    outcome = zh("admin-order-cancelled", order=str(order_id), paid="yes", refund="3.60", repaid="no", spent="0.00")
    assert any(m.get("text") == outcome for m in fake_bot_api.bot_messages(admin_chat["id"]))

    fake_bot_api.command(ada, "find", str(order_id))  # privately: her own language
    private = (await until(lambda: fake_bot_api.bot_messages(4005)))[-1]
    assert en("admin-history-title") in private["text"] and zh("admin-history-title") not in private["text"]


@pytest.mark.parametrize("fault", ["502", "network"])
async def test_a_direct_reply_survives_a_passing_bot_api_failure(fake_bot_api, dispatcher, services, campus, clock,
                                                                 fault):
    # Before, one 502 (or a dropped connection) on the answer lost it for good: the pickup was committed, the update
    # counted as handled, and the runner was never told.
    li = await tg_user(services, campus, clock, 1001)
    wang = await tg_runner(services, campus, clock, 2002)
    order_id = await make_order(services.db, campus, li, clock())
    await act(services.db, campus, order_id, Event.accept, Actor(Role.runner, wang), clock())
    if fault == "502":
        fake_bot_api.server_error(method="sendMessage", chat_id=2002, times=1)
    else:
        fake_bot_api.drop_connection(method="sendMessage", chat_id=2002, times=1)
    fake_bot_api.command(fake_bot_api.user(2002, "Wang", language_code="en"), "picked", str(order_id))
    said = catalogue("en")("runner-picked-up", order=order_id)
    told = await until(lambda: [m for m in fake_bot_api.bot_messages(2002) if m["text"] == said])
    assert len(told) == 1
    assert (await order_row(services, order_id)).status == "picked_up"
    assert len(fake_bot_api.calls("sendMessage", 2002)) == 2  # the failed try, then the one that went
