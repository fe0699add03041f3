"""Telegram, where the conversation moves on: the pressed quote or order card is edited in place (no stale buttons),
the location button goes once its step is over, and a student's command menu speaks the language they chose.
The real dispatcher (and, for menus, the outbox sender) against the fake Bot API over HTTP on 127.0.0.1."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiogram import Bot
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from sqlalchemy import update

from bot.telegram.commands import STUDENT, menu, set_commands, staff_menu
from bot.telegram.render import Renderer, split_text
from core.money import format_yuan
from core.order import Actor, Event, Role
from handlers.context import Services
from handlers.io import Choice, Reply
from locales import catalogue
from storage.models import Coupon, RunnerProfile, User
from storage.models import Order as OrderRow
from storage.uow import UnitOfWork
from tests.bot.fake_bot_api import FakeBotAPI
from tests.bot.test_e2e_telegram import running_bot  # noqa: F401 - fixture: the dispatcher and the outbox sender
from tests.bot.test_telegram_adapter import (  # noqa: F401 - dispatcher: a fixture
    LIBRARY,
    dispatcher,
    hall_card,
    order_row,
    tg_runner,
    tg_user,
    until,
)
from tests.conftest import FakeClock
from tests.factories import act, make_order, top_up
from tests.handlers.test_ordering import PARCEL_TO_MY_ROOM

EN = catalogue("en")
ZH = catalogue("zh_CN")
LI = 1001
ZHAO = 3003
QIAN = 3004
WU = 4004
REMOVE = {"remove_keyboard": True}


def labels(message: dict[str, Any]) -> list[str]:
    return [label for row in FakeBotAPI.buttons(message) for label, _ in row]


def current(api: FakeBotAPI, message: dict[str, Any]) -> dict[str, Any]:
    return api.messages[(message["chat"]["id"], message["message_id"])]


def markups(api: FakeBotAPI, chat_id: int) -> list[dict[str, Any] | None]:
    """The reply_markup of every message the bot sent to this chat, in order."""
    return [c.params.get("reply_markup") for c in api.calls("sendMessage", chat_id)]


async def answered(api: FakeBotAPI, chat_id: int, send: Callable[[], Any], last_text: str) -> dict[str, Any]:
    """Send, then wait for the bot's answer ending with a message saying `last_text`."""
    before = len(api.bot_messages(chat_id))
    send()
    return await until(lambda: (new := api.bot_messages(chat_id)[before:]) and new[-1]["text"] == last_text and new[-1])


async def at_the_pickup(api: FakeBotAPI, li: dict[str, Any]) -> None:
    """A new order form, at its pickup question: the share-location keyboard is up."""
    types = await answered(api, LI, lambda: api.command(li, "order"), EN("order-ask-type"))
    await at_the_pickup_of(api, li, types)


async def at_the_pickup_of(api: FakeBotAPI, li: dict[str, Any], types: dict[str, Any]) -> None:
    """A parcel chosen on the question of the errand's type: at the pickup, the share-location keyboard is up."""
    await answered(api, LI, lambda: api.press(li, types, "Parcel pickup"), EN("tg-location-prompt"))
    assert "keyboard" in markups(api, LI)[-1]


# A 10 kg parcel: its price is above Telegram's minimum invoice, so the order offers the invoice too.
HEAVY_PARCEL = [*PARCEL_TO_MY_ROOM[:7], "10", *PARCEL_TO_MY_ROOM[8:]]


async def quote_for(api: FakeBotAPI, li: dict[str, Any], coupon: str = "No coupon") -> dict[str, Any]:
    """A 10 kg parcel errand typed in full after /order (`coupon`: the answer to the coupon question): the quote the
    bot sends last."""
    before = len(api.bot_messages(LI))
    api.command(li, "order")
    for text in [*HEAVY_PARCEL[:-1], coupon]:
        api.text(li, text)
    title = EN("order-quote-title", task="parcel")
    return await until(lambda: next((m for m in api.bot_messages(LI)[before:] if m["text"].startswith(title)), None))


async def test_answers_to_the_quote_and_the_pay_button_edit_their_message(
        fake_bot_api: FakeBotAPI, dispatcher, services: Services, campus, clock: FakeClock) -> None:  # noqa: F811
    api = fake_bot_api
    await top_up(services.db, await tg_user(services, campus, clock, LI), 5000, clock())
    li = api.user(LI, "Li", language_code="en")
    clock.advance(hours=1, minutes=20)  # 11:20; the lunch peak starts at 11:30
    quote = await quote_for(api, li)
    assert labels(quote) == ["Confirm", "Edit", "Cancel", "« Back"]

    clock.advance(minutes=15)  # Confirm now meets another price: the new quote takes the old one's place
    sent, old_buttons = len(api.calls("sendMessage", LI)), api.buttons(quote)
    api.press(li, current(api, quote), "Confirm")
    again = await until(lambda: (m := current(api, quote))["text"].startswith(EN("order-quote-changed")) and m)
    assert labels(again) == ["Confirm", "Edit", "Cancel", "« Back"] and api.buttons(again) != old_buttons  # fresh

    api.press(li, again, "Cancel")  # the quote says nothing was ordered, without buttons; the menu comes below
    cancelled = await until(lambda: (m := current(api, quote))["text"] == EN("order-draft-cancelled") and m)
    assert "reply_markup" not in cancelled
    await until(lambda: api.last_bot_message(LI)["text"] == EN("menu-title"))
    assert len(api.calls("sendMessage", LI)) == sent + 1  # the menu only: everything else was an edit

    quote = await quote_for(api, li)
    sent = len(api.calls("sendMessage", LI))
    api.press(li, current(api, quote), "Confirm")  # the quote becomes the new order, with its pay buttons
    created = await until(lambda: (m := current(api, quote))["text"].startswith("Order #") and m)
    assert labels(created) == [EN("order-pay-wallet"), EN("tg-pay-telegram")]
    api.press(li, created, EN("order-pay-wallet"))
    paid = await until(lambda: (m := current(api, quote))["text"].startswith("Paid ") and m)
    assert "reply_markup" not in paid  # neither pay button stays to be pressed again
    assert len(api.calls("sendMessage", LI)) == sent
    edited = [c.params["message_id"] for c in api.calls("editMessageText", LI, ok=True)]
    assert edited[-2:] == [quote["message_id"]] * 2


async def test_an_order_awaiting_payment_opened_again_offers_both_pay_buttons(
        fake_bot_api: FakeBotAPI, dispatcher, services: Services, campus, clock: FakeClock) -> None:  # noqa: F811
    api = fake_bot_api
    customer = await tg_user(services, campus, clock, LI)
    order_id = await make_order(services.db, campus, customer, clock(), pay=False, weight_g=10_000)
    li = api.user(LI, "Li", language_code="en")
    api.command(li, "track", str(order_id))
    card = await until(lambda: next((m for m in api.bot_messages(LI) if labels(m)), None))
    assert labels(card) == [EN("order-pay-wallet"), EN("tg-pay-telegram"), EN("track-cancel-unpaid-button")]


async def test_language_at_a_quote_whose_coupon_was_used_up_since_goes_back_to_the_coupon_question(
        fake_bot_api: FakeBotAPI, dispatcher, services: Services, campus, clock: FakeClock) -> None:  # noqa: F811
    api = fake_bot_api
    student = await tg_user(services, campus, clock, LI)
    async with UnitOfWork(services.db) as uow:
        uow.session.add(Coupon(code="LAST", campus_id=campus.id, amount_off=200, max_uses=1))
    li = api.user(LI, "Li", language_code="en")
    assert "LAST" in (await quote_for(api, li, coupon="LAST"))["text"]
    async with UnitOfWork(services.db) as uow:  # someone else took the last one meanwhile
        (await uow.session.get(Coupon, "LAST")).used = 1

    picker = await answered(api, LI, lambda: api.command(li, "language"), EN("start-pick-language"))
    asked = await answered(api, LI, lambda: api.press(li, picker, "中文"), ZH("order-ask-coupon"))
    assert [m["text"] for m in api.bot_messages(LI)[-3:]] == [
        ZH("start-language-set"), ZH("order-coupon-used-up", code="LAST"), ZH("order-ask-coupon")]
    assert labels(asked) == [ZH("order-no-coupon"), ZH("order-back")]
    async with UnitOfWork(services.db, write=False) as uow:
        assert (await uow.session.get(User, student)).language == "zh_CN"
    api.press(li, asked, ZH("order-no-coupon"))  # the form carries on, in Chinese, without the coupon
    quote = await until(lambda: (m := api.last_bot_message(LI))["text"].startswith(
        ZH("order-quote-title", task="parcel")) and m)
    assert "LAST" not in quote["text"]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_an_order_whose_coupon_was_used_up_offers_its_full_price_on_its_card_and_its_invoice_button(
        fake_bot_api: FakeBotAPI, dispatcher, services: Services, campus, clock: FakeClock,  # noqa: F811
        language: str) -> None:
    api, t = fake_bot_api, catalogue(language)
    customer = await tg_user(services, campus, clock, LI, language=language)
    order_id = await make_order(services.db, campus, customer, clock(), pay=False, weight_g=10_000)
    async with UnitOfWork(services.db) as uow:  # priced with a coupon's last use
        uow.session.add(Coupon(code="ONE", campus_id=campus.id, amount_off=100, max_uses=1))
        await uow.session.flush()
        row = await uow.session.get(OrderRow, order_id)
        row.coupon_code, row.discount, row.total = "ONE", 100, row.total - 100
        full = row.total + 100
    li = api.user(LI, "Li", language_code="en")
    card = await answered_with_buttons(api, lambda: api.command(li, "track", str(order_id)))
    assert labels(card) == [t("order-pay-wallet"), t("tg-pay-telegram"), t("track-cancel-unpaid-button")]
    async with UnitOfWork(services.db) as uow:  # someone else used it meanwhile
        (await uow.session.get(Coupon, "ONE")).used = 1

    # The invoice could never be paid: the card, in the pressed one's place, offers the full price at once.
    api.press(li, card, t("tg-pay-telegram"))
    (answer,) = await until(lambda: api.callback_answers)
    assert answer["text"] == t("tg-pay-coupon-gone-card", order=order_id) and not api.calls("sendInvoice")
    ways_on = [t("wallet-full-price-button", total=format_yuan(full)), t("track-cancel-unpaid-button")]
    refreshed = await until(lambda: labels(m := current(api, card)) == ways_on and m)
    assert t("track-coupon-gone", reason=t("order-coupon-used-up", code="ONE")) in refreshed["text"]
    # /track shows the same: no Pay that could only be refused.
    assert labels(await answered_with_buttons(api, lambda: api.command(li, "track", str(order_id)))) == ways_on

    api.press(li, refreshed, ways_on[0])  # the bill at its full price, which both ways can pay
    bill = await until(lambda: (m := current(api, card))["text"].startswith(
        t("wallet-full-price", order=order_id, code="ONE")) and m)
    assert labels(bill) == [t("order-pay-wallet"), t("tg-pay-telegram")]
    assert (await order_row(services, order_id)).total == full


async def answered_with_buttons(api: FakeBotAPI, send: Callable[[], Any]) -> dict[str, Any]:
    """Send, then wait for the bot's next message with buttons."""
    before = len(api.bot_messages(LI))
    send()
    return await until(lambda: next((m for m in api.bot_messages(LI)[before:] if labels(m)), None))


async def test_the_location_button_goes_when_the_flow_moves_past_its_step(
        fake_bot_api: FakeBotAPI, dispatcher, services: Services, campus, clock: FakeClock) -> None:  # noqa: F811
    api = fake_bot_api
    await tg_user(services, campus, clock, LI)
    li = api.user(LI, "Li", language_code="en")
    api.command(li, "order")
    types = await until(lambda: next((m for m in api.bot_messages(LI) if labels(m)), None))
    api.press(li, types, "Parcel pickup")
    pickup = await until(lambda: next((m for m in api.bot_messages(LI) if "Parcel Station" in labels(m)), None))
    await until(lambda: api.last_bot_message(LI)["text"] == EN("tg-location-prompt"))

    api.press(li, pickup, "Parcel Station")  # by a button: on to the drop-off, which offers the location again
    await until(lambda: [m["text"] for m in api.bot_messages(LI)[-2:]] == [EN("order-ask-dropoff"),
                                                                          EN("tg-location-prompt")])
    assert "keyboard" in markups(api, LI)[-1] and REMOVE not in markups(api, LI)

    api.text(li, "F3")  # typed: on to the room, whose question has inline buttons
    room = await until(lambda: (m := api.last_bot_message(LI))["text"] == EN("order-ask-room", place="Women's Dorm 3")
                       and m)
    removal, asked = api.calls("sendMessage", LI)[-2:]
    assert (removal.params["text"], removal.params["reply_markup"]) == (EN("tg-location-done"), REMOVE)
    assert "inline_keyboard" in asked.params["reply_markup"] and labels(room)

    api.text(li, "3-502")  # later steps leave the (gone) keyboard alone
    floors = campus.building("dorm_f3").floors
    await until(lambda: api.last_bot_message(LI)["text"] == EN("order-ask-floor", floors=floors))
    assert markups(api, LI).count(REMOVE) == 1


async def test_the_order_forms_back_button_puts_the_previous_question_in_the_pressed_ones_place(
        fake_bot_api: FakeBotAPI, dispatcher, services: Services, campus, clock: FakeClock) -> None:  # noqa: F811
    api = fake_bot_api
    await tg_user(services, campus, clock, LI)
    li = api.user(LI, "Li", language_code="en")
    types = await answered(api, LI, lambda: api.command(li, "order"), EN("order-ask-type"))
    assert EN("order-back") not in labels(types)  # the first question has nothing to go back to
    type_labels, type_buttons = labels(types), api.buttons(types)
    await at_the_pickup_of(api, li, types)
    pickup = api.bot_messages(LI)[-2]
    assert pickup["text"] == EN("order-ask-pickup", task="parcel") and labels(pickup)[-1] == "« Back"
    sent = len(api.calls("sendMessage", LI))

    api.press(li, pickup, "« Back")  # the type question again, where the pickup's was; its location button goes
    again = await until(lambda: (m := current(api, pickup))["text"] == EN("order-ask-type") and m)
    assert labels(again) == type_labels and api.buttons(again) != type_buttons  # fresh buttons
    [removal] = api.calls("sendMessage", LI)[sent:]
    assert (removal.params["text"], removal.params["reply_markup"]) == (EN("tg-location-done"), REMOVE)

    api.press(li, again, "Buy for me")  # the form carries on from there
    await until(lambda: api.bot_messages(LI)[-2]["text"] == EN("order-ask-pickup", task="buy"))


async def test_back_to_a_place_question_takes_the_pressed_questions_buttons_away(
        fake_bot_api: FakeBotAPI, dispatcher, services: Services, campus, clock: FakeClock) -> None:  # noqa: F811
    """A place question puts the location button up, which no edit can carry: it comes anew, below, and the pressed
    question keeps its text but not its buttons, which would only answer that they no longer work."""
    api = fake_bot_api
    await tg_user(services, campus, clock, LI)
    li = api.user(LI, "Li", language_code="en")
    await at_the_pickup(api, li)
    await answered(api, LI, lambda: api.text(li, "Parcel Station"), EN("tg-location-prompt"))
    room = await answered(api, LI, lambda: api.text(li, "F3"), EN("order-ask-room", place="Women's Dorm 3"))
    assert labels(room) == [EN("order-no-room"), "« Back"]

    api.press(li, room, "« Back")  # the drop-off again, with the location button
    await until(lambda: [m["text"] for m in api.bot_messages(LI)[-2:]] == [EN("order-ask-dropoff"),
                                                                          EN("tg-location-prompt")])
    assert "keyboard" in markups(api, LI)[-1]
    assert current(api, room)["text"] == room["text"] and labels(current(api, room)) == []

    again = api.bot_messages(LI)[-2]
    api.press(li, again, "« Back")  # and the pickup, the same way
    await until(lambda: [m["text"] for m in api.bot_messages(LI)[-2:]] == [EN("order-ask-pickup", task="parcel"),
                                                                          EN("tg-location-prompt")])
    assert current(api, again)["text"] == EN("order-ask-dropoff") and labels(current(api, again)) == []
    await answered(api, LI, lambda: api.text(li, "Library"), EN("tg-location-prompt"))  # the form carries on
    assert api.bot_messages(LI)[-2]["text"] == EN("order-ask-dropoff")


def edits_of(api: FakeBotAPI, message: dict[str, Any]) -> list[dict[str, Any]]:
    """What every edit the bot made to this message asked for (text and buttons, or buttons alone)."""
    return [c.params for c in api.calls(None, LI) if c.method in ("editMessageText", "editMessageReplyMarkup")
            and c.params.get("message_id") == message["message_id"]]


async def without_buttons(api: FakeBotAPI, message: dict[str, Any], text: str) -> None:
    """Wait for the message to have lost its buttons; it still says `text`."""
    cleared = await until(lambda: "reply_markup" not in (m := current(api, message)) and m)
    assert cleared["text"] == text


async def test_an_order_form_question_loses_its_buttons_once_its_step_is_over_however_it_ends(
        fake_bot_api: FakeBotAPI, dispatcher, services: Services, campus, clock: FakeClock) -> None:  # noqa: F811
    """Answered by typing its button's label or anything else, or by a button of its own whose answer comes below,
    or the form cancelled: the question stays as it was, without the buttons of its step, edited once. A refused
    answer, or a command that leaves the form waiting, leaves them."""
    api = fake_bot_api
    await tg_user(services, campus, clock, LI)
    li = api.user(LI, "Li", language_code="en")
    types = await answered(api, LI, lambda: api.command(li, "order"), EN("order-ask-type"))
    await answered(api, LI, lambda: api.text(li, "Parcel pickup"), EN("tg-location-prompt"))  # typed
    await without_buttons(api, types, EN("order-ask-type"))
    assert edits_of(api, types) == [{"chat_id": LI, "message_id": types["message_id"], "text": EN("order-ask-type")}]

    pickup = api.bot_messages(LI)[-2]
    assert labels(pickup)[-1] == "« Back"
    await answered(api, LI, lambda: api.text(li, "Parcel Station"), EN("tg-location-prompt"))  # typed: the drop-off
    await without_buttons(api, pickup, EN("order-ask-pickup", task="parcel"))
    dropoff = api.bot_messages(LI)[-2]
    assert "keyboard" in markups(api, LI)[-1]  # the drop-off's location button, up again
    asked_room = EN("order-ask-room", place="Women's Dorm 3")
    room = await answered(api, LI, lambda: api.text(li, "F3"), asked_room)
    await without_buttons(api, dropoff, EN("order-ask-dropoff"))
    assert markups(api, LI).count(REMOVE) == 1  # the location button goes as before

    # The phone question, and its share-my-number button in a message of its own (as a place question's location one)
    await answered(api, LI, lambda: api.press(li, room, EN("order-no-room")), EN("tg-contact-prompt"))
    phone = api.bot_messages(LI)[-2]
    assert phone["text"] == EN("order-ask-phone")
    await without_buttons(api, room, asked_room)  # pressed: its answer came below it
    assert len(edits_of(api, room)) == 1

    await answered(api, LI, lambda: api.text(li, "not a phone"), EN("order-phone-format", text="not a phone"))
    await answered(api, LI, lambda: api.command(li, "help"), EN("help-student"))  # the form waits for the phone
    assert labels(current(api, phone)) == [EN("order-skip"), "« Back"] and edits_of(api, phone) == []
    await answered(api, LI, lambda: api.command(li, "cancel"), EN("order-form-abandoned"))
    await without_buttons(api, phone, EN("order-ask-phone"))
    assert len(edits_of(api, phone)) == 1


async def test_an_order_form_question_answered_in_its_place_is_edited_once(
        fake_bot_api: FakeBotAPI, dispatcher, services: Services, campus, clock: FakeClock) -> None:  # noqa: F811
    """A press whose answer takes the pressed question's place (Back) edits it once, and the question it shows
    then loses its buttons like any other; a quote confirmed by typing keeps its text without its buttons."""
    api = fake_bot_api
    await tg_user(services, campus, clock, LI)
    li = api.user(LI, "Li", language_code="en")
    await at_the_pickup(api, li)
    await answered(api, LI, lambda: api.text(li, "Parcel Station"), EN("tg-location-prompt"))
    asked_room = EN("order-ask-room", place="Women's Dorm 3")
    await answered(api, LI, lambda: api.text(li, "F3"), asked_room)
    asked_floor = EN("order-ask-floor", floors=campus.building("dorm_f3").floors)
    floor = await answered(api, LI, lambda: api.text(li, "3-502"), asked_floor)
    api.press(li, floor, "« Back")  # the room again, in the floor question's place
    await until(lambda: (m := current(api, floor))["text"] == asked_room and labels(m))
    assert len(edits_of(api, floor)) == 1
    await answered(api, LI, lambda: api.text(li, "3-502"), asked_floor)  # typed: the room question is over
    await without_buttons(api, floor, asked_room)
    assert len(edits_of(api, floor)) == 2

    quote = await quote_for(api, li)
    quoted = quote["text"]
    api.text(li, "Confirm")  # typed: the order is placed below, with its pay buttons
    created = await until(lambda: (m := api.last_bot_message(LI))["text"].startswith("Order #") and m)
    assert labels(created) == [EN("order-pay-wallet"), EN("tg-pay-telegram")]
    await without_buttons(api, quote, quoted)


async def test_the_location_button_goes_when_the_order_form_is_left_by_a_command(
        fake_bot_api: FakeBotAPI, dispatcher, services: Services, campus, clock: FakeClock) -> None:  # noqa: F811
    api = fake_bot_api
    await tg_user(services, campus, clock, LI)
    li = api.user(LI, "Li", language_code="en")

    await at_the_pickup(api, li)
    await answered(api, LI, lambda: api.command(li, "help"), EN("help-student"))  # plain text: the removal rides on it
    assert markups(api, LI)[-1] == REMOVE
    await answered(api, LI, lambda: api.command(li, "orders"), EN("track-no-orders"))  # gone already: nothing to do
    assert markups(api, LI).count(REMOVE) == 1

    await at_the_pickup(api, li)
    await answered(api, LI, lambda: api.command(li, "menu"), EN("menu-title"))  # inline buttons: the removal before
    removal, shown = api.calls("sendMessage", LI)[-2:]
    assert (removal.params["text"], removal.params["reply_markup"]) == (EN("tg-location-done"), REMOVE)
    assert "inline_keyboard" in shown.params["reply_markup"]

    await at_the_pickup(api, li)
    # Refused (no order number): the form still asks for the pickup, so the button stays.
    await answered(api, LI, lambda: api.command(li, "confirm"), EN("track-need-number", command="confirm"))
    assert markups(api, LI).count(REMOVE) == 2
    # The pickup answered: on to the drop-off, whose question offers the button again.
    await answered(api, LI, lambda: api.text(li, "Parcel Station"), EN("tg-location-prompt"))
    assert api.bot_messages(LI)[-2]["text"] == EN("order-ask-dropoff")
    assert "keyboard" in markups(api, LI)[-1] and markups(api, LI).count(REMOVE) == 2
    await answered(api, LI, lambda: api.command(li, "stop"), EN("menu-title"))
    assert markups(api, LI)[-2] == REMOVE and markups(api, LI).count(REMOVE) == 3


async def test_a_bare_cancel_leaves_the_order_form_and_takes_the_location_button_away(
        fake_bot_api: FakeBotAPI, dispatcher, services: Services, campus, clock: FakeClock) -> None:  # noqa: F811
    api = fake_bot_api
    await tg_user(services, campus, clock, LI)
    li = api.user(LI, "Li", language_code="en")
    await at_the_pickup(api, li)
    await answered(api, LI, lambda: api.command(li, "cancel"), EN("order-form-abandoned"))
    assert markups(api, LI)[-1] == REMOVE  # on the confirmation itself
    # The form is gone: a place typed now is no answer to its pickup, and nothing more is removed.
    await answered(api, LI, lambda: api.text(li, "Parcel Station"), EN("menu-title"))
    assert markups(api, LI).count(REMOVE) == 1


async def test_the_nearby_location_button_goes_with_the_next_answer(
        fake_bot_api: FakeBotAPI, dispatcher, services: Services, campus, clock: FakeClock) -> None:  # noqa: F811
    api = fake_bot_api
    customer = await tg_user(services, campus, clock, LI)
    await make_order(services.db, campus, customer, clock())
    await tg_runner(services, campus, clock, ZHAO)
    zhao = api.user(ZHAO, "Zhao", language_code="en")
    api.command(zhao, "nearby")  # no position known: the list, then a hint offering the location button
    await until(lambda: len(api.bot_messages(ZHAO)) >= 3)
    hint = api.calls("sendMessage", ZHAO)[-1]
    assert hint.params["text"] == EN("hall-nearby-share-hint") and "keyboard" in hint.params["reply_markup"]

    api.location(zhao, *LIBRARY)  # shared: the list from there; its title, plain text, takes the button away
    await until(lambda: len(api.bot_messages(ZHAO)) >= 5)
    title = api.calls("sendMessage", ZHAO)[3]
    assert title.params["text"] == EN("hall-nearby-title", count=1, shown=1, place=EN("hall-nearby-you"), more="no")
    assert title.params["reply_markup"] == REMOVE


async def test_a_grab_from_the_nearby_list_takes_its_location_button_away(
        fake_bot_api: FakeBotAPI, dispatcher, services: Services, campus, clock: FakeClock) -> None:  # noqa: F811
    api = fake_bot_api
    customer = await tg_user(services, campus, clock, LI)
    taken, free = [await make_order(services.db, campus, customer, clock()) for _ in range(2)]
    zhao_id = await tg_runner(services, campus, clock, ZHAO)
    qian_id = await tg_runner(services, campus, clock, QIAN)
    zhao = api.user(ZHAO, "Zhao", language_code="en")

    async def listed() -> dict[int, dict[str, Any]]:
        """/nearby with no position known: the cards by order, then the hint putting the location button up."""
        await answered(api, ZHAO, lambda: api.command(zhao, "nearby"), EN("hall-nearby-share-hint"))
        assert "keyboard" in markups(api, ZHAO)[-1]
        return {int(data.split(":")[1]): m for m in api.bot_messages(ZHAO) for row in api.buttons(m)
                for _, data in row if data and data.startswith("g:")}

    cards = await listed()
    await act(services.db, campus, taken, Event.accept, Actor(Role.runner, qian_id), clock())  # Qian was quicker
    await answered(api, ZHAO, lambda: api.press(zhao, cards[taken], "Grab"), EN("grab-taken"))
    assert markups(api, ZHAO)[-1] == REMOVE  # the refusal is a toast, and a message taking the button away
    assert api.callback_answers[-1]["text"] == EN("grab-taken")

    cards = await listed()
    won = "\n".join([EN("grab-won"), EN("hall-won-details-private", order=str(free))])
    await answered(api, ZHAO, lambda: api.press(zhao, cards[free], "Grab"), won)
    assert markups(api, ZHAO)[-1] == REMOVE
    assert (await order_row(services, free)).runner_id == zhao_id


async def test_a_grab_won_in_the_hall_takes_away_the_location_button_a_nearby_list_left_up(
        fake_bot_api: FakeBotAPI, dispatcher, bot: Bot, services: Services, campus,  # noqa: F811
        clock: FakeClock) -> None:
    api = fake_bot_api
    hall = api.group(campus.channels.telegram_hall_chat_id)
    customer = await tg_user(services, campus, clock, LI)
    taken, free = [await make_order(services.db, campus, customer, clock()) for _ in range(2)]
    zhao_id = await tg_runner(services, campus, clock, ZHAO)
    qian_id = await tg_runner(services, campus, clock, QIAN)
    zhao = api.user(ZHAO, "Zhao", language_code="en")
    await answered(api, ZHAO, lambda: api.command(zhao, "nearby"), EN("hall-nearby-share-hint"))
    assert "keyboard" in markups(api, ZHAO)[-1]  # no position known: the list offered the location button

    await act(services.db, campus, taken, Event.accept, Actor(Role.runner, qian_id), clock())  # Qian was quicker
    api.callback(zhao, f"g:{taken}", await hall_card(bot, hall, taken))  # Grab pressed in the task hall
    await until(lambda: api.callback_answers)
    assert api.callback_answers[-1]["text"] == EN("grab-taken")  # a lost press: a toast, the button stays
    assert "keyboard" in markups(api, ZHAO)[-1]

    won = "\n".join([EN("grab-won"), EN("hall-won-details-private", order=str(free))])
    post = await hall_card(bot, hall, free)
    await answered(api, ZHAO, lambda: api.callback(zhao, f"g:{free}", post), won)
    assert markups(api, ZHAO)[-1] == REMOVE  # the winner's private answer takes it away
    assert (await order_row(services, free)).runner_id == zhao_id


async def test_a_grab_won_in_the_hall_leaves_the_location_button_of_the_runners_own_order_form(
        fake_bot_api: FakeBotAPI, dispatcher, bot: Bot, services: Services, campus,  # noqa: F811
        clock: FakeClock) -> None:
    api = fake_bot_api
    hall = api.group(campus.channels.telegram_hall_chat_id)
    order_id = await make_order(services.db, campus, await tg_user(services, campus, clock, WU), clock())
    li_id = await tg_runner(services, campus, clock, LI)
    li = api.user(LI, "Li", language_code="en")
    await at_the_pickup(api, li)  # the runner orders an errand of her own: the pickup asks for a place

    post = await hall_card(bot, hall, order_id)
    answered_before = len(api.callback_answers)
    api.callback(li, f"g:{order_id}", post)
    won = await until(lambda: api.callback_answers[answered_before:])
    assert won[0]["text"] == EN("tg-grab-won", order=str(order_id))  # the details follow through the outbox
    assert (await order_row(services, order_id)).runner_id == li_id
    assert REMOVE not in markups(api, LI)  # the form still waits for its place: the button stays
    api.location(li, *LIBRARY)  # and answers it
    await until(lambda: [m["text"] for m in api.bot_messages(LI)[-2:]] == [EN("order-ask-dropoff"),
                                                                          EN("tg-location-prompt")])


async def test_an_operators_private_question_loses_its_cancel_button_once_answered(
        fake_bot_api: FakeBotAPI, dispatcher, services: Services, campus, clock: FakeClock) -> None:  # noqa: F811
    api = fake_bot_api
    operator = await tg_user(services, campus, clock, WU)
    applicant = await tg_runner(services, campus, clock, ZHAO, name="Zhao")
    async with UnitOfWork(services.db) as uow:
        await uow.session.execute(update(User).where(User.id == operator).values(is_operator=True))
        await uow.session.execute(update(RunnerProfile).where(RunnerProfile.user_id == applicant)
                                  .values(status="pending"))
    wu = api.user(WU, "Wu", language_code="en")
    asked = EN("admin-ask-reject-reason", user=str(applicant))
    question = await answered(api, WU, lambda: api.command(wu, "reject", str(applicant)), asked)
    assert labels(question) == [EN("admin-button-cancel-step")]

    rejected = EN("admin-application-rejected", who=f"Zhao (#{applicant})", reason="blurry photo")
    await answered(api, WU, lambda: api.text(wu, "blurry photo"), rejected)
    await until(lambda: "reply_markup" not in current(api, question))  # the question stays, its Cancel goes
    assert current(api, question)["text"] == asked
    assert labels(api.last_bot_message(WU)) == []


async def test_the_renderer_removes_the_location_button_with_the_reply_or_just_before_it(
        fake_bot_api: FakeBotAPI, bot: Bot) -> None:
    api, renderer = fake_bot_api, Renderer(bot)
    await renderer.send(LI, [Reply("plain", "Next question?", location_done=True)], EN)
    (call,) = api.calls("sendMessage", LI)
    assert (call.params["text"], call.params["reply_markup"]) == ("Next question?", REMOVE)  # on the reply itself

    await renderer.send(LI, [Reply("ask", "Pick one", choices=((Choice("A", "a"),),), location_done=True)], EN)
    removal, asked = api.calls("sendMessage", LI)[1:]
    assert (removal.params["text"], removal.params["reply_markup"]) == (EN("tg-location-done"), REMOVE)
    assert asked.params["reply_markup"] == {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}

    pressed = await bot.send_message(LI, "Question", reply_markup=InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="B", callback_data="b")]]))
    await renderer.send(LI, [Reply("done", "Answered", edit=True, location_done=True)], EN, edit=pressed)
    assert api.calls("sendMessage", LI)[-1].params["reply_markup"] == REMOVE  # an edit cannot carry it
    (edit,) = api.calls("editMessageText", LI)
    assert edit.params["message_id"] == pressed.message_id and edit.params["text"] == "Answered"


async def test_a_reply_meant_for_the_pressed_messages_place_but_sent_anew_takes_its_buttons_away(
        fake_bot_api: FakeBotAPI, bot: Bot) -> None:
    api, renderer = fake_bot_api, Renderer(bot)
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="B", callback_data="b")]])
    pressed = await bot.send_message(LI, "Question", reply_markup=markup)
    await renderer.send(LI, [Reply("ask", "Where?", request_location=True, edit=True)], EN, edit=pressed)
    (asked,) = api.calls("sendMessage", LI)[1:]  # with the location button, which no edit could carry
    assert asked.params["text"] == "Where?" and "keyboard" in asked.params["reply_markup"]
    assert api.messages[(LI, pressed.message_id)]["text"] == "Question"
    assert "reply_markup" not in api.messages[(LI, pressed.message_id)]

    pressed = await bot.send_message(LI, "Question", reply_markup=markup)
    await renderer.send(LI, [Reply("long", "word " * 1000, edit=True)], EN, edit=pressed)  # too long for one edit
    assert not api.calls("editMessageText", LI) and len(api.calls("sendMessage", LI)) == 5
    assert "reply_markup" not in api.messages[(LI, pressed.message_id)]


async def test_a_replacement_too_long_for_one_message_brings_the_replaced_piece_and_its_buttons_up_to_date(
        fake_bot_api: FakeBotAPI, bot: Bot) -> None:
    api, renderer = fake_bot_api, Renderer(bot)
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Resolve", callback_data="r")]])
    card = await bot.send_message(LI, "…the last piece of a long card", reply_markup=markup)
    text = "\n".join(f"line {i} " + "word " * 20 for i in range(60)) + "\nthe newest line"
    await renderer.send(LI, [Reply("card", text, choices=((Choice("Cancel", "c"),),), replaces=str(card.message_id))],
                        EN)
    now = api.messages[(LI, card.message_id)]
    assert now["text"].endswith("the newest line") and len(now["text"]) < len(text)  # its end: what fits
    assert [[b["text"] for b in row] for row in now["reply_markup"]["inline_keyboard"]] == [["Cancel"]]
    assert len(api.calls("sendMessage", LI)) == 1  # nothing new: the other pieces said the rest already


async def test_the_pieces_before_a_replaced_message_show_the_replacement_and_nothing_of_the_old_card(
        fake_bot_api: FakeBotAPI, bot: Bot) -> None:
    api, renderer = fake_bot_api, Renderer(bot)
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Resolve", callback_data="r")]])

    async def card_in(count: int) -> tuple[list[int], int]:
        earlier = [(await bot.send_message(LI, f"old piece {i}: under review")).message_id for i in range(count)]
        return earlier, (await bot.send_message(LI, "old last piece", reply_markup=markup)).message_id

    def texts(ids: list[int]) -> list[str]:
        return [api.messages[(LI, m)]["text"] for m in ids]

    line = " ".join(["word"] * 15)
    as_many, more, fewer = ("\n".join([line] * n) for n in (66, 133, 20))  # 2, 3 and 1 pieces
    assert [len(split_text(t)) for t in (as_many, more, fewer)] == [2, 3, 1]
    for text, count, expected in ((as_many, 1, split_text(as_many)),
                                  (more, 1, [split_text(more)[0] + "\n…", split_text(more)[-1]]),  # middle skipped
                                  (fewer, 2, ["…", "…", fewer.strip()]),
                                  ("Approved", 1, ["…", "Approved"])):  # a decision: said once, where the buttons were
        earlier, last = await card_in(count)
        await renderer.send(LI, [Reply("card", text, replaces=str(last))], EN, pieces={last: earlier})
        assert texts([*earlier, last]) == expected
        assert not any("reply_markup" in api.messages[(LI, m)] for m in [*earlier, last])


async def test_a_reply_of_emoji_comes_whole_in_messages_and_captions_telegram_takes(
        fake_bot_api: FakeBotAPI, bot: Bot) -> None:
    api, renderer = fake_bot_api, Renderer(bot)
    text = "📦" * 3000  # 3000 characters, 6000 to Telegram (UTF-16: an emoji counts two), whose limit is 4096
    await renderer.send(LI, [Reply("long", text)], EN)
    pieces = [c.params["text"] for c in api.calls("sendMessage", LI, ok=True)]
    assert len(pieces) == 2 and "".join(pieces) == text

    caption = "📦" * 600  # too long for a caption: the photo comes alone, the text after it with the buttons
    await renderer.send(LI, [Reply("photo", caption, photo="AgAC-box", choices=((Choice("A", "a"),),))], EN)
    (photo,) = api.calls("sendPhoto", LI, ok=True)
    assert "caption" not in photo.params and "reply_markup" not in photo.params
    after = api.last_bot_message(LI)
    assert after["text"] == caption and labels(after) == ["A"]
    assert not api.violations


def descriptions(commands: list[dict[str, Any]] | None) -> dict[str, str]:
    return {c["command"]: c["description"] for c in commands or []}


async def test_a_students_menu_follows_the_language_they_choose_not_their_apps(
        fake_bot_api: FakeBotAPI, running_bot, services: Services) -> None:  # noqa: F811
    api = fake_bot_api
    li = api.user(LI, "Li", language_code="zh-hans")  # a Chinese Telegram app
    api.command(li, "start")
    welcome = await until(lambda: next((m for m in api.bot_messages(LI) if "English" in labels(m)), None))
    api.press(li, welcome, "English")
    english = {c.command: c.description for c in menu(STUDENT, "en")}
    await until(lambda: descriptions(api.chat_menu(LI)) == english)  # the students' menu, in English, for her chat

    api.command(li, "language")
    ask = await until(lambda: (m := api.last_bot_message(LI))["text"] == EN("start-pick-language") and m)
    api.press(li, ask, "中文")
    await until(lambda: [c for c in api.calls("deleteMyCommands", ok=True)
                         if c.params.get("scope") == {"type": "chat", "chat_id": LI}])
    assert api.chat_menu(LI) is None  # back to the shared students' menu, which is Chinese


async def test_the_shared_students_menu_speaks_the_default_language_for_every_app(
        fake_bot_api: FakeBotAPI, bot: Bot, services: Services) -> None:
    # An earlier version set an English menu for English apps: Telegram keeps it until it is deleted.
    await bot.set_my_commands([BotCommand(command="start", description="Start")],
                              scope=BotCommandScopeAllPrivateChats(), language_code="en")
    await set_commands(bot, services)
    private = {key: m for key, m in fake_bot_api.commands.items() if '"type": "chat"' not in key}
    assert set(private) == {'[{"type": "all_private_chats"}, ""]'}
    (shared,) = private.values()
    assert descriptions(shared) == {c.command: c.description for c in menu(STUDENT, "zh_CN")}


async def test_the_task_hall_and_the_admin_chat_have_their_own_menus(
        fake_bot_api: FakeBotAPI, bot: Bot, services: Services) -> None:
    # Typing "/" in the hall offers /grab and /nearby; in the admin chat, the operators' commands; in the campus's
    # language.
    campus = services.default_campus
    await set_commands(bot, services)
    zh = catalogue(campus.language)
    hall = descriptions(fake_bot_api.chat_menu(campus.channels.telegram_hall_chat_id))
    assert hall == {"grab": zh("tg-cmd-grab"), "nearby": zh("tg-cmd-nearby")}
    admin = descriptions(fake_bot_api.chat_menu(campus.channels.telegram_admin_chat_id))
    assert set(admin) == {"admin", "applications", "find", "complaints", "withdrawals", "today", "pause"}
    assert admin["find"] == zh("tg-cmd-find")


def test_a_runners_menu_offers_grab() -> None:
    # /grab N is a press of the hall's Grab button (App.handle), not a routed command, and still belongs in the menu.
    assert "grab" in [c.command for c in staff_menu("en", runner=True, operator=False)]
    assert "grab" not in [c.command for c in staff_menu("en", runner=False, operator=False)]


async def test_a_photo_telegram_refuses_is_logged_without_its_file_id(caplog: pytest.LogCaptureFixture) -> None:
    """A student card's file id is personal data, stored encrypted: the warning names the chat and the error only."""
    import logging
    from types import SimpleNamespace

    from aiogram.exceptions import TelegramBadRequest
    from aiogram.methods import SendPhoto

    from bot.telegram.render import send_photo

    async def refused(method: Any, **params: Any) -> Any:
        raise TelegramBadRequest(SendPhoto(**params), "Bad Request: wrong file identifier/HTTP URL specified")

    with caplog.at_level(logging.WARNING, logger="bot.telegram.render"):
        bot = SimpleNamespace(send_photo=None)  # the call goes through `request`
        sent = await send_photo(bot, 42, "AgACAgStudentCardFileId", "card", None, request=refused)  # type: ignore
    assert sent is None  # the caller sends the text alone
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "42" in warning and "wrong file identifier" in warning
    assert "AgACAgStudentCardFileId" not in warning
