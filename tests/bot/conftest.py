"""Fixtures for the channel tests: the fake Telegram Bot API server and an aiogram Bot pointed at it."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.telegram import TelegramAPIServer

from bot.settings import Settings
from bot.telegram.session import TelegramSession
from handlers.context import Services
from tests.bot.fake_bot_api import FakeBotAPI
from tests.conftest import FakeClock
from tests.factories import CIPHER


def bot_for(api: FakeBotAPI) -> Bot:
    """An aiogram Bot that talks to the fake server over HTTP."""
    return Bot(api.token, session=TelegramSession(api=TelegramAPIServer.from_base(api.base_url)))


@pytest.fixture
async def fake_bot_api(clock: FakeClock) -> AsyncIterator[FakeBotAPI]:
    """The fake Bot API on 127.0.0.1 (a free port), timestamping requests with the test's clock.

    The test fails at teardown if any request broke the Bot API spec; a test that provokes violations on purpose
    takes them with `fake_bot_api.take_violations()`.
    """
    api = FakeBotAPI(clock=clock)
    await api.start()
    yield api
    await api.close()
    if api.violations:
        pytest.fail("requests that break the Bot API spec:\n  " + "\n  ".join(api.violations), pytrace=False)


@pytest.fixture
async def bot(fake_bot_api: FakeBotAPI) -> AsyncIterator[Bot]:
    bot = bot_for(fake_bot_api)
    yield bot
    await bot.session.close()


PAYMENT_TOKEN = "284685063:TEST:paotui"  # the shape of a Telegram test-provider token

@pytest.fixture
def services(db, campus, clock) -> Services:
    """Services for the Telegram channel (the console tests build their own)."""
    return Services(db=db, campuses={campus.id: campus}, cipher=CIPHER, clock=clock, channels=("telegram",))


@pytest.fixture
def settings(fake_bot_api: FakeBotAPI, tmp_path) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, telegram_token=fake_bot_api.token,
                    telegram_api_base=fake_bot_api.base_url, telegram_payment_token=PAYMENT_TOKEN)



@contextlib.asynccontextmanager
async def polling(dp: Dispatcher, bot: Bot) -> AsyncIterator[Dispatcher]:
    """The dispatcher long polling the fake server through the real aiohttp session, until the block ends."""
    task = asyncio.create_task(dp.start_polling(
        bot, handle_signals=False, close_bot_session=False, polling_timeout=1,
        allowed_updates=dp.resolve_used_update_types()))
    try:
        yield dp
    finally:
        with contextlib.suppress(RuntimeError):  # not started yet
            await dp.stop_polling()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
