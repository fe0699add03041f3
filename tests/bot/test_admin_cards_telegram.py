"""The operators' cards in Telegram stay truthful once acted on: a long order card acted on through its confirmation
loses the buttons that no longer apply.

End to end against the fake Bot API over real HTTP, in virtual time (the rate windows read the test's clock)."""
from __future__ import annotations

from typing import Any

from core.order import Actor, Event, Role
from locales import catalogue
from storage.models import Complaint
from storage.uow import UnitOfWork
from tests.bot import test_telegram_groups as groups
from tests.bot.fake_bot_api import FakeBotAPI
from tests.bot.test_sender import virtual_time  # noqa: F401 - rate windows in the test's time
from tests.bot.test_telegram_adapter import accepted_order, order_row, tg_runner, tg_user, until
from tests.bot.test_telegram_groups import operator, order_card
from tests.factories import act
from tests.handlers.test_admin import complain

EN = catalogue("en")
# The admin chat's fixtures, as test_telegram_groups has them: the chat, and the dispatcher and sender's shared limiter.
admin_chat, dispatcher, limiter = groups.admin_chat, groups.dispatcher, groups.limiter


def wu(api: FakeBotAPI) -> dict[str, Any]:
    return api.user(4004, "Wu", language_code="en")


def shown(api: FakeBotAPI, chat_id: int, message: dict[str, Any]) -> dict[str, Any]:
    return api.messages[(chat_id, message["message_id"])]


async def test_a_long_order_card_resolved_through_its_confirmation_loses_its_buttons(
        fake_bot_api, dispatcher, services, campus, clock, admin_chat):
    await operator(services, campus, clock, 4004, started=True)
    customer = await tg_user(services, campus, clock, 1001, name="Li")
    runner = await tg_runner(services, campus, clock, 3003, name="Zhao")
    order_id = await accepted_order(services, campus, clock, customer, runner)
    await act(services.db, campus, order_id, Event.pickup, Actor(Role.runner, runner), clock())
    await act(services.db, campus, order_id, Event.report, Actor(Role.customer, customer), clock())
    for i in range(10):  # a card of some 5000 characters: two messages, the buttons under the second
        complaint = await complain(services.db, order_id, customer, f"{i}: " + "too late and rude " * 26, clock())
        if i < 9:  # one open complaint per person and order: the earlier ones were dismissed
            async with UnitOfWork(services.db) as uow:
                (await uow.session.get(Complaint, complaint)).status = "dismissed"
    chat_id = admin_chat["id"]
    card = await order_card(fake_bot_api, admin_chat, 4004, order_id)
    pieces = [m for m in fake_bot_api.bot_messages(chat_id) if m["message_id"] <= card["message_id"]][-2:]
    assert "reply_markup" not in pieces[0] and pieces[1] == card

    resolve = EN("admin-button-event", event="resolve_complete", refunded="yes")
    fake_bot_api.press(wu(fake_bot_api), card, resolve)
    confirm = await until(lambda: next((m for m in fake_bot_api.bot_messages(chat_id)
                                        if m["message_id"] > card["message_id"] and fake_bot_api.buttons(m)), None))
    fake_bot_api.press(wu(fake_bot_api), confirm, EN("admin-button-confirm", event="resolve_complete",
                                                     refunded="yes"))
    await until(lambda: "reply_markup" not in shown(fake_bot_api, chat_id, card))
    assert (await order_row(services, order_id)).status == "completed"
    now_card = shown(fake_bot_api, chat_id, card)["text"]
    assert "(dismissed)" in now_card and "(open)" not in now_card  # its end as it is now: the complaints decided
