"""The bot's command menus, per role and language.

Students: one menu for every private chat, in the bot's default language (DEFAULT_LANGUAGE: the language a new user
is spoken to in unless their Telegram app speaks one we do, handlers/app.py), set at start with no language_code, so
it does not follow the Telegram app's language: a student is spoken to in the language they chose (or started in),
and so is their menu. A student who speaks another language, and runners and operators (a longer menu), get a menu
of their own chat (BotCommandScopeChat, which Telegram prefers to every all-private-chats menu), in their language.
At start every such chat gets a menu row in the outbox (unless one of theirs is still pending), staff first, read
and queued in batches (keyset over user ids, so memory stays bounded however big the campus) and due at a pace that
leaves most of Telegram's overall limit to messages; the outbox sender sets each within Telegram's limits, retrying
as it does a message. Afterwards a person's menu follows them: a change of role or language (a runner approved,
suspended or restored; /language) writes a menu row to the outbox in the same transaction. A suspended runner
keeps a menu of their own: the students' commands with those left to them (their earnings, the orders they
picked up: handlers.app). Either way the sender
sets their chat's menu as it is when sent (`staff_member`) or deletes it, so the shared students' menu shows again.
Only commands the handlers really register are listed.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any, NamedTuple

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from sqlalchemy import ColumnElement, Select, and_, case, or_, select

from bot.telegram.convert import CHANNEL
from bot.telegram.render import at_once
from bot.telegram.transient import RETRY_LATER
from core.campus import Campus
from handlers import flows  # noqa: F401 - registers the commands the menus list
from handlers.app import BUTTON_COMMANDS
from handlers.context import Services
from handlers.notify import MENU, telegram_chat
from handlers.router import ROUTER
from locales import DEFAULT_LANGUAGE, catalogue
from storage.db import Database, DbSession
from storage.models import OperatorAction, Outbox, RunnerProfile, User
from storage.outbox import queue
from storage.runners_repo import ACTIVE_RUNNER, SUSPENDED_RUNNER
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

STUDENT = ("start", "order", "orders", "track", "where", "wallet", "cancel", "msg", "apply", "language", "help", "menu")
APPLIED = ("apply",)  # how a student becomes a runner: not in a runner's menu
RUNNER = ("nearby", "grab", "picked", "delivered", "release", "income", "withdraw")
SUSPENDED = ("delivered", "income", "withdraw")  # left to a suspended runner: finishing what they picked up, earnings
OPERATOR = ("admin", "applications", "find", "complaints", "withdrawals", "today", "pause")  # /resume: said by /pause;
# /report: said by /admin (a runner who is an operator too has 25 commands already)
HALL = ("grab", "nearby")  # a task hall's menu (answered in private chat): take an errand, errands near me
MENU_BATCH = 200  # chats read and queued per transaction by the start-up pass
START_MENUS_PER_SECOND = 10  # the start-up pass's menus; the rest of Telegram's 30/s overall is left to messages
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
    suspended: bool = False  # an approved runner suspended (not `runner`): the commands left to them


def menu(names: tuple[str, ...], language: str) -> list[BotCommand]:
    t = catalogue(language)
    return [BotCommand(command=name, description=t(f"tg-cmd-{name}")) for name in names
            if name in ROUTER.commands or name in BUTTON_COMMANDS]


def staff_menu(language: str, *, runner: bool, operator: bool, suspended: bool = False) -> list[BotCommand]:
    """suspended: a runner suspended, who has the students' commands and those still left to them (SUSPENDED)."""
    student = tuple(name for name in STUDENT if not ((runner or suspended) and name in APPLIED))
    names = student + (RUNNER if runner else SUSPENDED if suspended else ()) + (OPERATOR if operator else ())
    return menu(names, language)


def chat_menu(member: Staff) -> list[BotCommand]:
    return staff_menu(member.language, runner=member.runner, operator=member.operator, suspended=member.suspended)


def named_operators(campuses: Iterable[Campus]) -> frozenset[str]:
    """Telegram user ids the campus files name as operators (they need no is_operator flag)."""
    return frozenset(op.split(":", 1)[1] for c in campuses for op in c.operators if op.startswith(CHANNEL + ":"))


def _standing() -> Select[Any]:
    """Telegram users with their language, operator flag and whether they are an active runner, or a suspended
    one."""
    return (select(User.external_id, User.language, User.is_operator, ACTIVE_RUNNER.label("active_runner"),
                   SUSPENDED_RUNNER.label("suspended_runner"))
            .outerjoin(RunnerProfile, RunnerProfile.user_id == User.id)
            .where(User.channel == CHANNEL))


def _as_staff(row: Any, named_ops: frozenset[str]) -> Staff:
    external_id, language, is_operator, active_runner, suspended_runner = row
    return Staff(external_id, language, bool(active_runner), bool(is_operator) or external_id in named_ops,
                 bool(suspended_runner) and not active_runner)


async def staff(services: Services, batch: int = MENU_BATCH) -> AsyncIterator[list[Staff]]:
    """Who started the bot and needs a menu of their own chat, `batch` people at a time: runners (active or
    suspended) and operators first (nothing else sets the menu of an operator the campus file names), and anyone
    who ever acted as an operator (one the campus file no longer names keeps the operators' menu until their chat's
    is set again), then students who speak another language than the shared students' menu. Each read is its own
    short transaction, from the last id on."""
    named_ops = named_operators(services.campuses.values())
    acted_as_operator = User.id.in_(select(OperatorAction.operator_id))
    is_staff = or_(ACTIVE_RUNNER, SUSPENDED_RUNNER, User.is_operator.is_(True),
                   User.external_id.in_(named_ops or {""}), acted_as_operator)
    # A CASE, not ~is_staff: ACTIVE_RUNNER (and SUSPENDED_RUNNER) is NULL for someone with no runner profile, and
    # NOT NULL matches no one.
    staff_rank = case((is_staff, 0), else_=1)
    for needs_menu in (staff_rank == 0, and_(staff_rank == 1, User.language != SHARED_LANGUAGE)):
        async for found in _by_id(services.db, needs_menu, batch):
            members = [_as_staff(row[:-1], named_ops) for row in found]
            yield [m for m in members if m.chat_id.lstrip("-").isdigit()]


async def _by_id(db: Database, needs_menu: ColumnElement[bool], batch: int) -> AsyncIterator[list[Any]]:
    """The standing of the Telegram users who started the bot and match `needs_menu`, by id, `batch` rows at a
    time (each row ends with the user's id)."""
    after = 0
    while True:
        async with UnitOfWork(db, write=False) as uow:
            rows = (await uow.session.execute(
                _standing().add_columns(User.id)
                .where(User.started_bot.is_(True), needs_menu, User.id > after)
                .order_by(User.id).limit(batch))).all()
        if rows:
            yield rows
        if len(rows) < batch:
            return
        after = rows[-1][-1]


async def staff_member(db: Database, chat_id: str, named_ops: frozenset[str]) -> Staff | None:
    """The menu this Telegram user's own chat needs now: staff's, or the students' menu in a student's language
    when it is not the shared one's; None when the shared students' menu fits them (or they are unknown)."""
    async with UnitOfWork(db, write=False) as uow:
        row = (await uow.session.execute(_standing().where(User.external_id == chat_id))).first()
    if row is None:
        return None
    member = _as_staff(row, named_ops)
    return member if member.runner or member.suspended or member.operator or member.language != SHARED_LANGUAGE \
        else None


async def set_commands(bot: Bot, services: Services, *, batch: int = MENU_BATCH) -> int:
    """Set the shared and group menus, and queue a menu row for every chat that needs a menu of its own (the
    sender sets them); returns how many were queued."""
    for code in APP_LANGUAGE_CODES:
        await at_once(bot.delete_my_commands, scope=BotCommandScopeAllPrivateChats(), language_code=code)
    await at_once(bot.set_my_commands, commands=menu(STUDENT, SHARED_LANGUAGE), scope=BotCommandScopeAllPrivateChats())
    await set_group_menus(bot, services)
    return await queue_chat_menus(services, batch=batch)


async def queue_chat_menus(services: Services, *, batch: int = MENU_BATCH) -> int:
    """A menu row for every chat that needs a menu of its own, staff first. The n-th is due n/START_MENUS_PER_SECOND
    seconds from now: the sender takes due rows oldest first, and a whole campus's menus due at once would hold
    back every message queued after them. A chat whose menu row is still pending (an earlier start's, or a role
    change's) is skipped: the sender sets the menu as it is when it sends the row, so one row covers every start
    until then, however many processes start; once it is sent, a later start (a deploy) queues one again. Returns
    how many were queued."""
    start = services.clock()
    queued = 0
    async for members in staff(services, batch):
        async with UnitOfWork(services.db) as uow:
            pending = await _pending_menus(uow.session, [m.chat_id for m in members])
            for member in members:
                if member.chat_id in pending:
                    continue
                due = start + dt.timedelta(seconds=queued / START_MENUS_PER_SECOND)
                await _queue_menu(uow.session, member.chat_id, f"menus-at-start:{start.isoformat()}", due, start)
                queued += 1
    return queued


async def _pending_menus(session: DbSession, chat_ids: list[str]) -> set[str]:
    """Which of these chats have a menu row the sender has not sent yet."""
    return set(await session.scalars(select(Outbox.recipient).where(
        Outbox.channel == CHANNEL, Outbox.recipient.in_(chat_ids), Outbox.status == "pending",
        Outbox.payload["kind"].as_string() == MENU)))


async def _queue_menu(session: DbSession, chat_id: str, origin: str, due: dt.datetime, now: dt.datetime) -> None:
    await queue(session, dedupe_key=f"{origin}:{chat_id}", channel=CHANNEL, recipient=chat_id,
                payload={"kind": MENU}, now=now, due=due)


async def set_group_menus(bot: Bot, services: Services) -> None:
    """Each campus's task hall gets the hall's menu and its admin chat the operators', in the campus's language (by
    the chats' ids now: a group upgraded to a supergroup is a new chat, which needs its menu again). A refusal is
    logged (the bot is not in the group); a Bot API that does not answer raises, for the caller to try again."""
    for campus in services.campuses.values():
        channels = campus.channels
        for chat, names in ((telegram_chat(services, channels.telegram_hall_chat_id), HALL),
                            (telegram_chat(services, channels.telegram_admin_chat_id), OPERATOR)):
            if chat is None:
                continue
            try:
                await at_once(bot.set_my_commands, commands=menu(names, campus.language),
                           scope=BotCommandScopeChat(chat_id=chat))
            except RETRY_LATER:
                raise  # Telegram did not answer: the caller tries again
            except TelegramAPIError as exc:  # the bot is not in that group (yet): the campus file needs a look
                log.warning("no command menu for campus %s's chat %s: %s", campus.id, chat, exc)
