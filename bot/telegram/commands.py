"""The bot's command menus, per role and language.

Students: one menu for every private chat, in the bot's default language (DEFAULT_LANGUAGE: the language every new
user is spoken to in, handlers/app.py), set at start with no language_code, so it does not follow the Telegram app's
language: a student is spoken to in the language they chose, and so is their menu. A student who chose another
language, and runners and operators (a longer menu), get a menu of their own chat (BotCommandScopeChat, which
Telegram prefers to every all-private-chats menu), in their language; staff's are set at start for everyone who is
staff then. Afterwards a person's menu follows them: a change of role or language (a runner approved, suspended or
restored; /language) writes a menu row to the outbox in the same transaction, and the sender sets their chat's menu
as it is now (`staff_member`) or deletes it, so the shared students' menu shows again. Only commands the handlers
really register are listed.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, NamedTuple

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from sqlalchemy import Select, case, or_, select

from bot.telegram.convert import CHANNEL
from bot.telegram.render import call
from core.campus import Campus
from handlers import flows  # noqa: F401 - registers the commands the menus list
from handlers.app import BUTTON_COMMANDS
from handlers.context import Services
from handlers.router import ROUTER
from locales import DEFAULT_LANGUAGE, catalogue
from storage.db import Database
from storage.models import RunnerProfile, User
from storage.runners_repo import ACTIVE_RUNNER
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

STUDENT = ("start", "order", "orders", "track", "where", "wallet", "cancel", "msg", "language", "help", "menu")
RUNNER = ("nearby", "grab", "picked", "delivered", "release", "income", "withdraw")
OPERATOR = ("admin", "applications", "find", "complaints", "withdrawals", "today")
HALL = ("grab", "nearby")  # a task hall's menu (answered in private chat): take an errand, errands near me
MAX_CHAT_MENUS = 500  # per-chat menus set at start; the others are set when their role or language next changes
SHARED_LANGUAGE = DEFAULT_LANGUAGE  # the students' menu for every private chat speaks what new users are spoken to in
# Menus per app language (language_code) that earlier versions set: Telegram keeps them until deleted, and they
# would show a student the app's language instead of the one they chose.
APP_LANGUAGE_CODES = ("zh", "en")


class Staff(NamedTuple):
    """Someone with a menu of their own chat: staff, or a student who speaks another language than the shared menu."""

    chat_id: str  # their Telegram user id, which is their private chat's id
    language: str
    runner: bool
    operator: bool


def menu(names: tuple[str, ...], language: str) -> list[BotCommand]:
    t = catalogue(language)
    return [BotCommand(command=name, description=t(f"tg-cmd-{name}")) for name in names
            if name in ROUTER.commands or name in BUTTON_COMMANDS]


def staff_menu(language: str, *, runner: bool, operator: bool) -> list[BotCommand]:
    names = STUDENT + (RUNNER if runner else ()) + (OPERATOR if operator else ())
    return menu(names, language)


def chat_menu(member: Staff) -> list[BotCommand]:
    return staff_menu(member.language, runner=member.runner, operator=member.operator)


def named_operators(campuses: Iterable[Campus]) -> frozenset[str]:
    """Telegram user ids the campus files name as operators (they need no is_operator flag)."""
    return frozenset(op.split(":", 1)[1] for c in campuses for op in c.operators if op.startswith(CHANNEL + ":"))


def _standing() -> Select[Any]:
    """Telegram users with their language, operator flag and whether they are an active runner."""
    return (select(User.external_id, User.language, User.is_operator, ACTIVE_RUNNER.label("active_runner"))
            .outerjoin(RunnerProfile, RunnerProfile.user_id == User.id)
            .where(User.channel == CHANNEL))


def _as_staff(row: Any, named_ops: frozenset[str]) -> Staff:
    external_id, language, is_operator, active_runner = row
    return Staff(external_id, language, bool(active_runner), bool(is_operator) or external_id in named_ops)


async def staff(services: Services, limit: int = MAX_CHAT_MENUS) -> list[Staff]:
    """Who started the bot and needs a menu of their own chat: active runners and operators, and students who
    speak another language than the shared students' menu."""
    named_ops = named_operators(services.campuses.values())
    is_staff = or_(ACTIVE_RUNNER, User.is_operator.is_(True), User.external_id.in_(named_ops or {""}))
    async with UnitOfWork(services.db, write=False) as uow:
        rows = await uow.session.execute(
            _standing()
            .where(User.started_bot.is_(True), or_(is_staff, User.language != SHARED_LANGUAGE))
            # Within the cap, staff first: nothing else sets the menu of an operator the campus file names.
            .order_by(case((is_staff, 0), else_=1), User.id).limit(limit))
        found = [_as_staff(row, named_ops) for row in rows.all()]
    return [f for f in found if f.chat_id.lstrip("-").isdigit()]


async def staff_member(db: Database, chat_id: str, named_ops: frozenset[str]) -> Staff | None:
    """The menu this Telegram user's own chat needs now: staff's, or the students' menu in a student's language
    when it is not the shared one's; None when the shared students' menu fits them (or they are unknown)."""
    async with UnitOfWork(db, write=False) as uow:
        row = (await uow.session.execute(_standing().where(User.external_id == chat_id))).first()
    if row is None:
        return None
    member = _as_staff(row, named_ops)
    return member if member.runner or member.operator or member.language != SHARED_LANGUAGE else None


async def set_commands(bot: Bot, services: Services) -> int:
    """Set every menu; returns how many per-chat menus were set. A chat Telegram refuses is skipped."""
    for code in APP_LANGUAGE_CODES:
        await call(bot.delete_my_commands, scope=BotCommandScopeAllPrivateChats(), language_code=code)
    await call(bot.set_my_commands, commands=menu(STUDENT, SHARED_LANGUAGE), scope=BotCommandScopeAllPrivateChats())
    await _set_group_menus(bot, services)
    done = 0
    for member in await staff(services):
        try:
            await call(bot.set_my_commands, commands=chat_menu(member),
                       scope=BotCommandScopeChat(chat_id=int(member.chat_id)))
            done += 1
        except TelegramAPIError as exc:
            log.info("no command menu for chat %s: %s", member.chat_id, exc)
    return done


async def _set_group_menus(bot: Bot, services: Services) -> None:
    """Each campus's task hall gets the hall's menu and its admin chat the operators', in the campus's language."""
    for campus in services.campuses.values():
        channels = campus.channels
        for chat, names in ((channels.telegram_hall_chat_id, HALL), (channels.telegram_admin_chat_id, OPERATOR)):
            if chat is None:
                continue
            try:
                await call(bot.set_my_commands, commands=menu(names, campus.language),
                           scope=BotCommandScopeChat(chat_id=chat))
            except TelegramAPIError as exc:  # the bot is not in that group (yet): the campus file needs a look
                log.warning("no command menu for campus %s's chat %s: %s", campus.id, chat, exc)
