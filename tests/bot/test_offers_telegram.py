"""On Telegram: an order offered to one runner first reaches them with Accept and Decline through the sender; once
they accept, the same message says the order is theirs and offers nothing more to press."""
from __future__ import annotations

import pytest

from bot.telegram.sender import TelegramSender
from locales import catalogue
from tests.bot.fake_bot_api import FakeBotAPI
from tests.bot.test_contact_privacy_telegram import deliver
from tests.bot.test_sender import virtual_time  # noqa: F401 - a fixture: the rate windows in the test's time
from tests.bot.test_telegram_adapter import (  # noqa: F401 - dispatcher: a fixture
    dispatcher,
    order_row,
    settle,
    tg_runner,
    tg_user,
    until,
)
from tests.handlers.test_runner import paid_order

EN = catalogue("en")


@pytest.mark.usefixtures("dispatcher")
async def test_an_accepted_offer_says_the_order_is_theirs_and_offers_nothing_more(
        fake_bot_api: FakeBotAPI, bot, services, campus, clock):
    customer = await tg_user(services, campus, clock, 1001)
    runner = await tg_runner(services, campus, clock, 3003)
    order_id = await paid_order(services, customer, favourite=runner)  # offered to the runner the student named
    sender = TelegramSender(services.db, bot, clock, cipher=services.cipher)  # as bot/telegram/app.py wires it
    await deliver(sender, services, clock)
    (offer,) = [m for m in fake_bot_api.bot_messages(3003) if fake_bot_api.buttons(m)]
    assert fake_bot_api.buttons(offer) == [[("Accept", f"g:{order_id}"), ("Decline", f"offer:{order_id}:decline")]]

    zhao = fake_bot_api.user(3003, "Zhao", language_code="en")
    fake_bot_api.press(zhao, offer, "Accept")
    await until(lambda: fake_bot_api.callback_answers)
    await settle(fake_bot_api, zhao)
    await deliver(sender, services, clock)
    shown = fake_bot_api.messages[(3003, offer["message_id"])]  # the offer, as the runner's chat shows it now
    assert shown["text"] == EN("hall-offer-taken", order=str(order_id))
    assert not fake_bot_api.buttons(shown)  # no Accept or Decline left to press
    assert any(m["text"].startswith(EN("notice-you-won", order=order_id)) for m in fake_bot_api.bot_messages(3003))
    row = await order_row(services, order_id)
    assert (row.runner_id, row.offer_runner_id, row.offer_until) == (runner, None, None)
