"""A successful payment is never lost to a process that dies while booking it.

Telegram counts an update delivered once polling asks for the next ones, or once the webhook answered 200; the
student's money is then taken, and only our booking records it. So an update that brings money in is written to
the database (storage.kept_updates) before either happens: polling keeps it as getUpdates returns it, before the
batch is handled and before the next request confirms it; the webhook keeps it before answering. It is forgotten
once handled; one a process did not finish (killed, or cut off by its stop) is handled at the next start. Handling
it twice books it once: its update_id is remembered with its effect, and the charge's ledger key is unique.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import GetUpdates
from aiogram.methods.base import TelegramMethod, TelegramType
from aiogram.types import TelegramObject, Update

from handlers.context import Services
from storage import kept_updates

log = logging.getLogger(__name__)


def brings_money(update: dict[str, Any]) -> bool:
    """As posted to the webhook."""
    return bool((update.get("message") or {}).get("successful_payment"))


def paid(update: TelegramObject) -> bool:
    return isinstance(update, Update) and update.message is not None and update.message.successful_payment is not None


class KeepPolledPayments(BaseRequestMiddleware):
    """On the bot's session: sees getUpdates' answer before aiogram hands its updates out."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Any:
        result: Any = await make_request(bot, method)  # the method's result (aiogram's session unwraps it)
        if isinstance(method, GetUpdates) and result:
            await keep_posted(self.services, [(u.update_id, u.model_dump_json(by_alias=True, exclude_none=True))
                                              for u in result if paid(u)])
        return result


async def keep_posted(services: Services, updates: list[tuple[int, str]]) -> None:
    """(update_id, JSON body) of updates that bring money in, kept until handled."""
    if updates:
        await kept_updates.keep(services.db, services.cipher, updates, services.clock())


class ForgetHandledPayments(BaseMiddleware):
    """On the dispatcher: a kept update is forgotten once handled to its end (not when cut off or failed)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        result = await handler(event, data)
        if paid(event):
            await kept_updates.handled(self.services.db, event.update_id)  # type: ignore[attr-defined]
        return result


def install(dispatcher: Dispatcher, bot: Bot, services: Services) -> None:
    if not any(isinstance(m, KeepPolledPayments) for m in bot.session.middleware):
        bot.session.middleware(KeepPolledPayments(services))
    dispatcher.update.outer_middleware(ForgetHandledPayments(services))


async def handle_kept(dispatcher: Dispatcher, bot: Bot, services: Services) -> int:
    """Handle, before any new update, the payments an earlier process took but did not finish; how many."""
    left = await kept_updates.kept(services.db, services.cipher)
    for update_id, body in left:
        log.warning("payment update %s was not handled to its end before the last stop: handling it now", update_id)
        try:
            await dispatcher.feed_update(bot, Update.model_validate_json(body, context={"bot": bot}))
        except Exception:  # it stays kept, for the next start; the others go on
            log.exception("payment update %s failed again", update_id)
    return len(left)
