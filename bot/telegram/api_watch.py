"""What the Bot API says about the bot itself while it runs, seen on every request: an aiogram request middleware on
the bot's session, so the polling's getUpdates, the outbox sender's calls and the handlers' own are all watched.

401 Unauthorized: the token was revoked or replaced in @BotFather, and no request can succeed until the service runs
with the new one. Once armed (after the start, whose own 401 is a start error), the first one is logged as one line
and sets the stop event: app.py stops the service the usual graceful way and exits non-zero.

409 Conflict on getUpdates: another process polls with this token (each getUpdates ends the other's long poll), or
someone set a webhook. aiogram's polling keeps trying with its backoff; the conflict is warned once, and its end
(no conflict for CONFLICT_QUIET by the injected clock, then getUpdates answered) logged once — two processes
alternate between success and conflict every few seconds, so a success alone does not mean it is over.

aiogram logs an error and a warning for every failed getUpdates, and a line when it works again; for these two,
reported here, those lines are dropped (`quiet`, a filter on aiogram's dispatcher logger).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramConflictError, TelegramUnauthorizedError
from aiogram.methods import GetUpdates, Response, TelegramMethod

from core.clock import Clock

log = logging.getLogger(__name__)

CONFLICT_QUIET = dt.timedelta(minutes=1)
AIOGRAM_LOGGER = "aiogram.dispatcher"
# The starts of the lines aiogram's polling logs for each failed getUpdates and for the first one answered after.
AIOGRAM_POLLING_LINES = ("Failed to fetch updates", "Sleep for", "Connection established")


class BotApiWatch(BaseRequestMiddleware):
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.refused: str | None = None  # Telegram's description of the 401 that stopped the service
        self._stop: asyncio.Event | None = None
        self._conflict_at: dt.datetime | None = None  # the latest 409 of a conflict not over yet
        self._reported = False  # the latest getUpdates failure is one reported here

    def stop_on_refusal(self, stop: asyncio.Event) -> None:
        """Arm: from now on a 401 is logged and sets `stop`."""
        self._stop = stop

    async def __call__(self, make_request: NextRequestMiddlewareType[Any], bot: Bot,
                       method: TelegramMethod[Any]) -> Response[Any]:
        polling = isinstance(method, GetUpdates)
        try:
            response = await make_request(bot, method)
        except TelegramUnauthorizedError as exc:
            if polling:
                self._reported = True
            self._refuse(exc.message)
            raise
        except TelegramConflictError as exc:  # another method's 409 is that request's own refusal (sender.py)
            if polling:
                self._reported = True
                self._conflict(exc.message)
            raise
        except Exception:
            if polling:
                self._reported = False
            raise
        if polling:
            self._polled()
        return response

    def quiet(self, record: logging.LogRecord) -> bool:
        """A filter for aiogram's dispatcher logger: its lines about a getUpdates failure reported here go."""
        return not (self._reported and isinstance(record.msg, str) and record.msg.startswith(AIOGRAM_POLLING_LINES))

    def _refuse(self, description: str) -> None:
        if self._stop is None or self.refused is not None:
            return
        self.refused = description
        log.error("Telegram refused TELEGRAM_TOKEN while running (%s): it was revoked or replaced in @BotFather; "
                  "stopping. Queued messages stay queued: start again with the token @BotFather gives now",
                  description)
        self._stop.set()

    def _conflict(self, description: str) -> None:
        if self._conflict_at is None:
            log.warning("getUpdates conflicts (%s): another process is polling with this TELEGRAM_TOKEN, or a webhook "
                        "was set for it. Each process now gets only some of the updates: stop the other one (or "
                        "delete that webhook). Polling keeps trying", description)
        self._conflict_at = self.clock()

    def _polled(self) -> None:
        if self._conflict_at is not None and self.clock() - self._conflict_at >= CONFLICT_QUIET:
            log.info("getUpdates: no conflict for %d s, this process gets every update again",
                     CONFLICT_QUIET.total_seconds())
            self._conflict_at = None
