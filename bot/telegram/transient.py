"""What a Bot API call can fail with that trying again later may mend: the network, Telegram's servers, an answer
cut short (RETRYABLE), or a 429 as well (RETRY_LATER); and how long to wait before the next try. Every place that
retries (the sender, the start, the menus, the pre-checkout answer) reads these."""
from __future__ import annotations

import asyncio

from aiogram.exceptions import (
    ClientDecodeError,
    RestartingTelegram,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.utils.backoff import Backoff
from aiohttp import ClientError

RETRYABLE = (TelegramNetworkError, TelegramServerError, RestartingTelegram, ClientDecodeError, ClientError,
             asyncio.TimeoutError, OSError)
RETRY_LATER = (TelegramRetryAfter, *RETRYABLE)


def retry_delay(exc: BaseException, backoff: Backoff) -> float:
    """Seconds before trying again a call that failed with one of RETRY_LATER: a 429's retry_after, exactly;
    anything else the backoff's next delay."""
    return float(exc.retry_after) if isinstance(exc, TelegramRetryAfter) else next(backoff)


def failure_text(exc: BaseException) -> str:
    """A failure of RETRY_LATER, for a log line."""
    if isinstance(exc, TelegramRetryAfter):
        return f"too many requests, retry after {exc.retry_after} s"
    return f"{type(exc).__name__}: {exc}"
