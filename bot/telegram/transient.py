"""What a Bot API call can fail with that trying again later may mend: the network, Telegram's servers, an answer
cut short. Every place that retries (the sender, the start, the menus) reads this one list."""
from __future__ import annotations

import asyncio

from aiogram.exceptions import ClientDecodeError, RestartingTelegram, TelegramNetworkError, TelegramServerError
from aiohttp import ClientError

RETRYABLE = (TelegramNetworkError, TelegramServerError, RestartingTelegram, ClientDecodeError, ClientError,
             asyncio.TimeoutError, OSError)
