"""paotui's aiogram session (bot/telegram/session.py) and the answer models kept alive with it."""
from __future__ import annotations

import gc

from aiogram import Bot
from aiogram.methods import SendMessage
from aiogram.methods.base import Response
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.telegram.response_models import KeepResponseModels, keep_response_models
from tests.bot.fake_bot_api import FakeBotAPI


def _keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="取件 Pick up", callback_data="o:5:pickup")]])


async def test_a_call_without_files_goes_url_encoded_and_arrives_whole(fake_bot_api: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(42, "订单 #5 & more: 100% ✓", reply_markup=_keyboard(), disable_notification=True)
    assert sent.text == "订单 #5 & more: 100% ✓"
    request = fake_bot_api.calls("sendMessage")[-1]
    assert request.content_type == "application/x-www-form-urlencoded"
    assert request.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "取件 Pick up", "callback_data": "o:5:pickup"}]]}
    assert request.params["disable_notification"] is True
    assert "parse_mode" not in request.params  # unset fields are left out, as aiogram's own form leaves them
    assert fake_bot_api.violations == []


async def test_a_call_with_a_file_still_goes_multipart(fake_bot_api: FakeBotAPI, bot: Bot) -> None:
    photo = await bot.send_photo(42, BufferedInputFile(b"\xff\xd8jpeg", filename="card.jpg"), caption="card")
    assert photo.photo
    request = fake_bot_api.calls("sendPhoto")[-1]
    assert request.content_type == "multipart/form-data"
    assert request.params["photo"]["size"] == 6
    assert fake_bot_api.violations == []


async def test_answer_models_survive_garbage_collection(fake_bot_api: FakeBotAPI, bot: Bot) -> None:
    keep_response_models(bot)
    keep_response_models(bot)  # once per bot
    keepers = [m for m in bot.session.middleware if isinstance(m, KeepResponseModels)]
    assert len(keepers) == 1
    await bot.send_message(42, "hello")
    kept = keepers[0].kept[SendMessage]
    gc.collect()
    assert Response[Message] is kept  # pydantic's weak cache alone would let it go and build it again
