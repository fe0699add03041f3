"""The bot's command menu, per role and language, set once at start.

Students: every private chat, in Chinese (language_code "zh") and English (the default). Runners and operators:
a longer menu for their own chat (BotCommandScopeChat), in their language. Only commands the handlers really
register are listed.
"""
from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from sqlalchemy import or_, select

from bot.telegram.convert import CHANNEL
from bot.telegram.render import call
from handlers.context import Services
from handlers.router import ROUTER
from locales import catalogue
from storage.models import RunnerProfile, User
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

STUDENT = ("start", "order", "orders", "track", "where", "wallet", "cancel", "msg", "language", "help", "menu")
RUNNER = ("nearby", "grab", "picked", "delivered", "release", "income", "withdraw")
OPERATOR = ("admin", "applications", "find", "complaints", "withdrawals", "today")
MAX_CHAT_MENUS = 500  # per-chat menus set at start; more staff than this get theirs on the next start


def menu(names: tuple[str, ...], language: str) -> list[BotCommand]:
    t = catalogue(language)
    return [BotCommand(command=name, description=t(f"tg-cmd-{name}")) for name in names if name in ROUTER.commands]


def staff_menu(language: str, *, runner: bool, operator: bool) -> list[BotCommand]:
    names = STUDENT + (RUNNER if runner else ()) + (OPERATOR if operator else ())
    return menu(names, language)


async def staff(services: Services, limit: int = MAX_CHAT_MENUS) -> list[tuple[str, str, bool, bool]]:
    """(telegram user id, language, is runner, is operator) of approved runners and operators who started the bot."""
    named_ops = {op.split(":", 1)[1] for c in services.campuses.values() for op in c.operators
                 if op.startswith(CHANNEL + ":")}
    async with UnitOfWork(services.db, write=False) as uow:
        rows = await uow.session.execute(
            select(User.external_id, User.language, User.is_operator, RunnerProfile.status)
            .outerjoin(RunnerProfile, RunnerProfile.user_id == User.id)
            .where(User.channel == CHANNEL, User.started_bot.is_(True),
                   or_(RunnerProfile.status == "approved", User.is_operator.is_(True),
                       User.external_id.in_(named_ops or {""})))
            .order_by(User.id).limit(limit))
        found = [(ext, lang, status == "approved", bool(is_op) or ext in named_ops)
                 for ext, lang, is_op, status in rows.all()]
    return [f for f in found if f[0].lstrip("-").isdigit()]


async def set_commands(bot: Bot, services: Services) -> int:
    """Set every menu; returns how many per-chat menus were set. A chat Telegram refuses is skipped."""
    await call(bot.set_my_commands, commands=menu(STUDENT, "zh_CN"), scope=BotCommandScopeAllPrivateChats(),
               language_code="zh")
    await call(bot.set_my_commands, commands=menu(STUDENT, "en"), scope=BotCommandScopeAllPrivateChats())
    done = 0
    for chat_id, language, runner, operator in await staff(services):
        try:
            await call(bot.set_my_commands, commands=staff_menu(language, runner=runner, operator=operator),
                       scope=BotCommandScopeChat(chat_id=int(chat_id)))
            done += 1
        except TelegramAPIError as exc:
            log.info("no command menu for chat %s: %s", chat_id, exc)
    return done
