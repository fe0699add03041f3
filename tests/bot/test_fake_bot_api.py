"""The fake Bot API server itself: aiogram can talk to it, and it catches requests that break the spec."""
from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.methods import SendMessage
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    Update,
)

from tests.bot.conftest import bot_for
from tests.bot.fake_bot_api import FakeBotAPI

GROUP = -1001234567890


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=x, callback_data=f"d:{x}")
                                                  for x in labels]])


async def test_send_edit_and_answer(fake_bot_api: FakeBotAPI, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.username == "paotui_test_bot" and me.is_bot

    sent = await bot.send_message(42, "hello", reply_markup=keyboard("Grab"))
    assert sent.message_id == 1 and sent.chat.id == 42 and sent.chat.type == "private"
    assert sent.from_user is not None and sent.from_user.id == me.id
    assert sent.reply_markup is not None and sent.reply_markup.inline_keyboard[0][0].callback_data == "d:Grab"
    second = await bot.send_message(42, "again")
    assert second.message_id == 2
    in_group = await bot.send_message(GROUP, "hall post", reply_markup=keyboard("Grab"))
    assert in_group.message_id == 1 and in_group.chat.type == "supergroup"

    edited = await bot.edit_message_text(text="taken", chat_id=GROUP, message_id=in_group.message_id)
    assert not isinstance(edited, bool) and edited.text == "taken" and edited.reply_markup is None
    assert fake_bot_api.last_bot_message(GROUP)["text"] == "taken"
    assert fake_bot_api.buttons(fake_bot_api.last_bot_message(GROUP)) == []

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(text="taken", chat_id=GROUP, message_id=in_group.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text(text="x", chat_id=GROUP, message_id=999)
    await bot.edit_message_reply_markup(chat_id=42, message_id=1, reply_markup=keyboard("A", "B"))
    assert fake_bot_api.buttons(fake_bot_api.chat_messages(42)[0]) == [[("A", "d:A"), ("B", "d:B")]]

    assert await bot.answer_callback_query("7", text="Got it")
    assert fake_bot_api.callback_answers[-1] == {"callback_query_id": "7", "text": "Got it"}
    assert await bot.answer_callback_query("8", url="https://t.me/paotui_test_bot?start=c-demo")
    with pytest.raises(TelegramBadRequest, match="URL_INVALID"):  # only links that open the bot itself
        await bot.answer_callback_query("9", url="https://example.com/")
    assert await bot.answer_pre_checkout_query("pcq1", ok=True)
    assert await bot.set_my_commands([BotCommand(command="start", description="Start")],
                                     scope=BotCommandScopeAllPrivateChats())
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats())] == ["start"]
    assert await bot.delete_webhook(drop_pending_updates=True)

    where = await bot.send_location(42, latitude=31.2, longitude=121.5, live_period=600)
    assert where.location is not None and where.location.live_period == 600
    moved = await bot.edit_message_live_location(latitude=31.3, longitude=121.6, chat_id=42,
                                                 message_id=where.message_id)
    assert not isinstance(moved, bool) and moved.location is not None and moved.location.latitude == 31.3
    invoice = await bot.send_invoice(42, title="Order #5", description="Parcel pickup", payload="order:5",
                                     currency="CNY", prices=[LabeledPrice(label="Fee", amount=650),
                                                             LabeledPrice(label="Tip", amount=200)],
                                     provider_token="")
    assert invoice.invoice is not None and invoice.invoice.total_amount == 850
    assert await bot.send_chat_action(42, "typing")


@pytest.mark.parametrize("amount", [699, 7_100_001])
async def test_an_invoice_outside_the_currency_bounds_is_refused_like_telegram_does(
        fake_bot_api: FakeBotAPI, bot: Bot, amount: int) -> None:
    with pytest.raises(TelegramBadRequest, match="CURRENCY_TOTAL_AMOUNT_INVALID"):
        await bot.send_invoice(42, title="Order #5", description="Parcel pickup", payload="order:5", currency="CNY",
                               prices=[LabeledPrice(label="Fee", amount=amount)], provider_token="")
    assert fake_bot_api.calls("sendInvoice")[-1].status == 400
    assert fake_bot_api.bot_messages(42) == []  # no invoice message
    for edge in (700, 7_100_000):  # the bounds themselves are accepted
        sent = await bot.send_invoice(42, title="Order #5", description="Parcel pickup", payload="order:5",
                                      currency="CNY", prices=[LabeledPrice(label="Fee", amount=edge)],
                                      provider_token="")
        assert sent.invoice is not None and sent.invoice.total_amount == edge


async def test_multipart_upload_is_read_and_checked(fake_bot_api: FakeBotAPI, bot: Bot) -> None:
    photo = await bot.send_photo(42, BufferedInputFile(b"\xff\xd8jpeg", filename="card.jpg"), caption="card",
                                 reply_markup=keyboard("OK"))
    assert photo.photo and photo.caption == "card"
    request = fake_bot_api.calls("sendPhoto")[-1]
    assert request.params["photo"]["size"] == 6
    assert request.params["reply_markup"] == {"inline_keyboard": [[{"text": "OK", "callback_data": "d:OK"}]]}
    by_id = await bot.send_photo(42, "AgAC-file-id")
    assert by_id.photo


async def test_requests_are_recorded_with_the_injected_clock(fake_bot_api: FakeBotAPI, bot: Bot, clock) -> None:
    await bot.send_message(1, "a")
    clock.advance(seconds=5)
    await bot.send_message(2, "b")
    first, second = fake_bot_api.calls("sendMessage")
    assert (second.at - first.at).total_seconds() == 5
    assert first.chat_id == 1 and first.params["text"] == "a"
    assert fake_bot_api.calls("sendMessage", chat_id=2) == [second]
    message = fake_bot_api.last_bot_message(2)
    assert message["date"] == int(clock().timestamp())


async def test_updates_by_long_polling(fake_bot_api: FakeBotAPI, bot: Bot) -> None:
    alice = fake_bot_api.user(501, "Alice", username="alice")
    hall = fake_bot_api.group(GROUP)

    async def later() -> None:
        await asyncio.sleep(0)  # the poll below is already waiting when this is queued
        fake_bot_api.command(alice, "start")

    task = asyncio.create_task(later())
    updates = await bot.get_updates(timeout=30)  # answers as soon as the update is queued, not after 30 s
    await task
    assert len(updates) == 1 and updates[0].message is not None
    assert updates[0].message.text == "/start" and updates[0].message.entities[0].type == "bot_command"
    assert updates[0].message.from_user.id == 501

    fake_bot_api.command(alice, "grab", "12", chat=hall)
    post = await bot.send_message(GROUP, "New order #12", reply_markup=keyboard("Grab"))
    fake_bot_api.press(alice, fake_bot_api.messages[(GROUP, post.message_id)], "Grab")
    where = fake_bot_api.location(alice, 31.23, 121.47, live_period=900)
    fake_bot_api.live_location(alice, where["message"], 31.24, 121.48, heading=90)
    fake_bot_api.photo(alice, caption="student card")
    fake_bot_api.pre_checkout_query(alice, "order:12", 650)
    fake_bot_api.successful_payment(alice, "order:12", 650, charge_id="ch-1")

    updates = await bot.get_updates(offset=updates[0].update_id + 1, timeout=0)
    kinds = [u.event_type for u in updates]
    assert kinds == ["message", "callback_query", "message", "edited_message", "message", "pre_checkout_query",
                     "message"]
    grab, pressed, shared, moved, photo, checkout, paid = updates
    assert grab.message.text == "/grab@paotui_test_bot 12" and grab.message.chat.type == "supergroup"
    assert pressed.callback_query.data == "d:Grab" and pressed.callback_query.message.message_id == post.message_id
    assert shared.message.location.live_period == 900 and shared.message.location.latitude == 31.23
    assert moved.edited_message.message_id == shared.message.message_id
    assert moved.edited_message.location.latitude == 31.24 and moved.edited_message.location.heading == 90
    assert photo.message.photo[-1].width == 800 and photo.message.caption == "student card"
    assert checkout.pre_checkout_query.invoice_payload == "order:12"
    assert paid.message.successful_payment.telegram_payment_charge_id == "ch-1"

    # Confirmed by offset: asking from past the last one returns nothing (and does not wait with timeout=0).
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == []
    assert fake_bot_api.updates == []


async def test_updates_parse_as_aiogram_updates(fake_bot_api: FakeBotAPI) -> None:
    bob = fake_bot_api.user(7, "Bob")
    for update in [fake_bot_api.text(bob, "hi", push=False), fake_bot_api.photo(bob, push=False),
                   fake_bot_api.successful_payment(bob, "p", 100, push=False)]:
        Update.model_validate(update)


async def test_webhook_mode(fake_bot_api: FakeBotAPI, bot: Bot) -> None:
    received: list[tuple[dict, str | None]] = []

    async def hook(request: aiohttp.web.Request) -> aiohttp.web.Response:
        received.append((await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        return aiohttp.web.Response()

    app = aiohttp.web.Application()
    app.router.add_post("/hook", hook)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        with pytest.raises(TelegramConflictError):
            await bot.get_updates(timeout=0)
        update = fake_bot_api.text(fake_bot_api.user(9, "Cat"), "hello", push=False)
        assert await fake_bot_api.deliver_webhook(update) == 200
        assert received == [(update, "s3cret")]
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook")
    finally:
        await runner.cleanup()


async def test_scripted_faults(fake_bot_api: FakeBotAPI, bot: Bot) -> None:
    fake_bot_api.rate_limit(7, method="sendMessage", chat_id=42, times=2)
    for _ in range(2):
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(42, "x")
        assert caught.value.retry_after == 7
    assert (await bot.send_message(42, "x")).text == "x"
    assert [r.status for r in fake_bot_api.calls("sendMessage", 42)] == [429, 429, 200]

    fake_bot_api.block(43)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(43, "x")

    fake_bot_api.drop_connection(chat_id=44)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(44, "x")
    assert (await bot.send_message(44, "x")).text == "x"

    fake_bot_api.fail(400, "Bad Request: chat not found", chat_id=45)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(45, "x")


async def test_a_group_upgraded_to_a_supergroup_answers_with_its_new_id(fake_bot_api: FakeBotAPI, bot: Bot) -> None:
    fake_bot_api.group(-4001, "Task hall")
    await bot.send_message(-4001, "before")
    left, arrived = fake_bot_api.upgrade_group(-4001, GROUP, fake_bot_api.user(7, "Ann"), push=False)
    for call in (bot.send_message(-4001, "after"), bot.delete_message(-4001, 1),
                 bot.set_my_commands([BotCommand(command="grab", description="Grab")],
                                     scope=BotCommandScopeChat(chat_id=-4001))):
        with pytest.raises(TelegramMigrateToChat) as caught:
            await call
        assert caught.value.migrate_to_chat_id == GROUP
    # Its messages stay with it, under their ids: one can still be edited there (not written to, nor deleted).
    assert (await bot.edit_message_text("edited", chat_id=-4001, message_id=1)).text == "edited"
    after = await bot.send_message(GROUP, "after")
    assert after.chat.type == "supergroup" and after.message_id == 2  # its own ids: 1 is the upgrade's message
    old, new = Update.model_validate(left).message, Update.model_validate(arrived).message
    assert (old.chat.id, old.migrate_to_chat_id) == (-4001, GROUP)
    assert (new.chat.id, new.migrate_from_chat_id, new.chat.type) == (GROUP, -4001, "supergroup")
    (refused, *_) = fake_bot_api.calls("sendMessage", -4001, ok=False)
    assert refused.status == 400


async def test_unknown_and_missing_parameters_are_violations(fake_bot_api: FakeBotAPI, bot: Bot) -> None:
    url = f"{fake_bot_api.base_url}/bot{fake_bot_api.token}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/sendMessage", json={"chat_id": 1, "text": "x", "colour": "red"}) as resp:
            assert resp.status == 400
        async with http.post(f"{url}/sendMessage", data={"chat_id": "1"}) as resp:
            assert resp.status == 400
        async with http.post(f"{url}/sendMesage", json={"chat_id": 1, "text": "x"}) as resp:
            assert resp.status == 404
        markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "x", "colour": "red"}]]}
        async with http.post(f"{url}/sendMessage", data={"chat_id": "1", "text": "x",
                                                         "reply_markup": json.dumps(markup)}) as resp:
            assert resp.status == 400
        async with http.post(f"{url}/sendMessage", json={"chat_id": "1", "text": "x" * 4097}) as resp:
            assert resp.status == 400
        async with http.post(f"{url}/sendLocation", json={"chat_id": 1, "latitude": "north",
                                                          "longitude": 1.0}) as resp:
            assert resp.status == 400
        async with http.post(f"{url.replace('TEST', 'WRONG')}/getMe") as resp:
            assert resp.status == 401
    # Through aiogram too: a button whose callback data is over 64 bytes.
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(1, "x", reply_markup=keyboard("y" * 70))
    # And a method aiogram knows that this API version does not have, sent as a raw method object.
    violations = fake_bot_api.take_violations()
    assert any("unknown parameter 'colour'" in v for v in violations)
    assert any("missing required parameter 'text'" in v for v in violations)
    assert any("sendMesage: no such method" in v for v in violations)
    assert any("unknown field 'colour'" in v for v in violations)
    assert any("4097 characters" in v for v in violations)
    assert any("sendLocation.latitude" in v for v in violations)
    assert any("callback_data: 72 bytes" in v for v in violations)
    assert len(violations) == 7


async def test_fixture_fails_the_test_on_a_violation(clock) -> None:
    """What the fixture does at teardown, shown directly: a violation is kept until someone takes it."""
    async with FakeBotAPI(clock=clock) as api:
        bot = bot_for(api)
        try:
            with pytest.raises(TelegramBadRequest):
                await bot(SendMessage.model_construct(chat_id=1, text=""))  # text must be 1-4096 characters
        finally:
            await bot.session.close()
    assert api.violations and "sendMessage: missing required parameter 'text'" in api.violations[0]
