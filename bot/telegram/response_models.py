"""Keeps aiogram's answer models alive for the bot's lifetime.

aiogram parses every Bot API answer with Response[T], a pydantic generic built on first use. pydantic caches those
classes only weakly, so a garbage collection may drop one and the next answer builds it again (about 4 ms each; the
throughput bench saw one rebuild per ten updates). Holding one strong reference per method used keeps them built.
"""
from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods.base import Response, TelegramMethod, TelegramType


class KeepResponseModels(BaseRequestMiddleware):
    def __init__(self) -> None:
        self.kept: dict[type[TelegramMethod[Any]], type[Response[Any]]] = {}

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        kind = type(method)
        if kind not in self.kept:
            self.kept[kind] = Response[kind.__returning__]  # type: ignore[name-defined]
        return await make_request(bot, method)


def keep_response_models(bot: Bot) -> None:
    """Installs KeepResponseModels on the bot's session once."""
    if not any(isinstance(m, KeepResponseModels) for m in bot.session.middleware):
        bot.session.middleware(KeepResponseModels())
