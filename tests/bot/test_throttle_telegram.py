"""The per-person throttle through the real dispatcher, for what the adapter answers itself (a request to start the
bot in the hall, the invoice button, an edited message). End to end against the fake Bot API over real HTTP; the rate
windows (the sender's and the throttle's) read the test's clock."""
from __future__ import annotations

from typing import Any

import pytest

from bot.telegram.sender import TelegramSender
from handlers.context import Services
from locales import catalogue
from storage.throttle import Throttle, ThrottleConfig
from tests.bot import test_telegram_groups as groups
from tests.bot.test_sender import queue, virtual_time  # noqa: F401 - rate windows in the test's time
from tests.bot.test_telegram_adapter import order_row, settle, tg_user, until
from tests.factories import CIPHER, make_order

EN = catalogue("en")
dispatcher, limiter, hall, admin_chat = groups.dispatcher, groups.limiter, groups.hall, groups.admin_chat


@pytest.fixture
def campus(campus):
    """A campus that speaks English, as the group tests have it."""
    return campus.model_copy(update={"language": "en"})


@pytest.fixture
def services(db, campus, clock) -> Services:
    """As main.py wires the public channel: every person throttled (storage.throttle, its default windows)."""
    return Services(db=db, campuses={campus.id: campus}, cipher=CIPHER, clock=clock, channels=("telegram",),
                    throttle=Throttle())


async def handled_before(api, person) -> None:
    """Every update of this person sent so far is handled: one person's updates are handled in order, so their
    private /help answered comes after all of them."""
    api.command(person, "help")
    await until(lambda: api.bot_messages(person["id"]))


async def test_one_person_repeating_a_command_in_the_hall_does_not_use_up_the_halls_minute(
        fake_bot_api, dispatcher, bot, services, campus, clock, hall, limiter, virtual_time):  # noqa: F811
    """Someone who has not started the bot types /grab in the hall again and again (about every 1.5 s). Before, each
    was answered in the hall with a request to start the bot, until the group's 20 messages a minute were used up
    and a new order's post (the outbox sender's, same windows) had to wait. Now: one request a minute."""
    customer = await tg_user(services, campus, clock, 1001)
    order_id = await make_order(services.db, campus, customer, clock())
    sender = TelegramSender(services.db, bot, clock, limiter=limiter, cipher=services.cipher)
    zhao = fake_bot_api.user(3003, "Zhao", language_code="en")
    for _ in range(25):
        clock.advance(seconds=1.5)
        fake_bot_api.command(zhao, "grab", str(order_id), chat=hall)
    await handled_before(fake_bot_api, zhao)
    asks = [m for m in fake_bot_api.bot_messages(hall["id"]) if m["text"] == EN("tg-start-first-group", name="Zhao")]

    # A new order's hall post is queued now (as Notifier.hall writes it), with its Grab button.
    await queue(services.db, hall["id"], "New errand #99", at=clock(), choices=[[("Grab", "g:99")]],
                edit_key="hall:99")
    for _ in range(5):  # five seconds of the sender's runs
        clock.advance(seconds=1)
        await sender.run_once(clock())
    posted = [m for m in fake_bot_api.bot_messages(hall["id"]) if m["text"] == "New errand #99"]
    assert len(asks) == 1 and posted, f"{len(asks)} start requests for one person; new order posted: {bool(posted)}"


@pytest.fixture
def few_inputs(services, virtual_time) -> Services:  # noqa: F811
    """The throttle at 5 inputs a minute (ThrottleConfig in settings: rate_limit_inputs), so a flood is quick to
    show; its windows on the test's clock."""
    services.throttle = Throttle(config=ThrottleConfig(inputs="5/minute"))
    return services


async def unpaid_card(api, services, campus, clock, li: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Li's unpaid order (above Telegram's invoice minimum) and its card from /track, with the invoice button."""
    customer = await tg_user(services, campus, clock, li["id"])
    order_id = await make_order(services.db, campus, customer, clock(), pay=False, weight_g=20000)
    assert (await order_row(services, order_id)).total >= 800
    api.command(li, "track", str(order_id))
    card = await until(lambda: next((m for m in api.bot_messages(li["id"])
                                     if any(d == f"tgpay:{order_id}" for row in api.buttons(m) for _, d in row)), None))
    return order_id, card


async def test_a_flood_of_presses_on_the_telegram_pay_button_is_throttled_like_any_press(
        fake_bot_api, dispatcher, few_inputs, campus, clock):
    """The invoice button is held like every other press: before, each press sent another invoice (a stuck key, a
    script: the chat filled with invoices)."""
    services = few_inputs
    li = fake_bot_api.user(1001, "Li", language_code="en")
    order_id, card = await unpaid_card(fake_bot_api, services, campus, clock, li)  # /track: 1 input
    for i in range(12):
        update = fake_bot_api.callback(li, f"tgpay:{order_id}", card)
        await until(lambda: any(a["callback_query_id"] == update["callback_query"]["id"]  # noqa: B023
                                for a in fake_bot_api.callback_answers))
    invoices = fake_bot_api.calls("sendInvoice", li["id"], ok=True)
    assert len(invoices) == 4, f"{len(invoices)} invoices sent for 12 presses within seconds (inputs: 5/minute)"
    assert EN("error-too-fast") in [a.get("text") for a in fake_bot_api.callback_answers]


async def test_a_flood_of_edited_messages_is_throttled_like_any_message(
        fake_bot_api, dispatcher, few_inputs, campus, clock):
    """Before, each edit of a sent message was answered 'edits are not read', and the throttle never saw them."""
    services = few_inputs
    li = fake_bot_api.user(1001, "Li", language_code="en")
    await tg_user(services, campus, clock, 1001)
    sent = fake_bot_api.text(li, "Room 1108")["message"]  # 1 input
    await until(lambda: fake_bot_api.bot_messages(1001))
    for i in range(12):
        fake_bot_api.edit_text(sent, f"Room 11{i:02d}")
    fake_bot_api.text(li, "hello")  # handled after the edits (one person's updates in order): refused, and told
    await until(lambda: [m for m in fake_bot_api.bot_messages(1001) if m["text"] == EN("error-too-fast")])
    answers = [m for m in fake_bot_api.bot_messages(1001) if m["text"] == EN("tg-edit-not-read")]
    told = [m for m in fake_bot_api.bot_messages(1001) if m["text"] == EN("error-too-fast")]
    assert len(answers) == 4 and len(told) == 1, f"{len(answers)} answers to 12 edits (inputs: 5/minute); told {len(told)}"


async def test_an_operator_the_campus_file_names_is_not_held_on_edits_or_the_pay_button_either(
        fake_bot_api, dispatcher, few_inputs, campus, clock):
    """Their messages and presses are never held (handlers.app); before, their edits and invoice presses were, by a
    second check in the adapter that did not know them."""
    services = few_inputs
    services.campuses[campus.id] = campus.model_copy(update={"operators": [*campus.operators, "telegram:1001"]})
    li = fake_bot_api.user(1001, "Li", language_code="en")
    order_id, card = await unpaid_card(fake_bot_api, services, campus, clock, li)
    for i in range(6):
        update = fake_bot_api.callback(li, f"tgpay:{order_id}", card)
        await until(lambda: any(a["callback_query_id"] == update["callback_query"]["id"]  # noqa: B023
                                for a in fake_bot_api.callback_answers))
    sent = fake_bot_api.text(li, "Room 1108")["message"]
    for i in range(6):
        fake_bot_api.edit_text(sent, f"Room 11{i:02d}")
    await settle(fake_bot_api, li)
    answers = [m for m in fake_bot_api.bot_messages(1001) if m.get("text") == EN("tg-edit-not-read")]
    assert len(answers) == 6 and len(fake_bot_api.calls("sendInvoice", li["id"], ok=True)) == 6
    assert EN("error-too-fast") not in [m.get("text") for m in fake_bot_api.bot_messages(1001)]
