"""Command menus follow a person's role and language while the bot runs: the handlers write a menu row in the
transaction of the change (the start-up pass one for every chat needing a menu), and the Telegram sender sets (or
deletes) that person's chat menu on the fake Bot API."""
from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.types import BotCommandScopeChat
from sqlalchemy import func, select, update

from bot.telegram.commands import STUDENT, Staff, menu, set_commands, staff, staff_member, staff_menu
from bot.telegram.sender import TelegramSender
from handlers.context import Services
from locales import catalogue
from storage.models import OperatorAction, Outbox, RunnerProfile, User
from storage.uow import UnitOfWork
from tests.bot.fake_bot_api import FakeBotAPI
from tests.bot.test_sender import make_sender, virtual_time  # noqa: F401 - the rate windows in the test's time
from tests.conftest import FakeClock
from tests.factories import CIPHER
from tests.handlers.harness import Chat, keys

OPERATOR, RUNNER = 4004, 3003


async def person(services: Services, tg_id: int, language: str, *, operator: bool = False,
                 application: str | None = None) -> int:
    """Someone on Telegram who started the bot; with `application`, a runner profile in that status."""
    now = services.clock()
    async with UnitOfWork(services.db) as uow:
        user = User(channel="telegram", external_id=str(tg_id), campus_id=services.default_campus.id,
                    language=language, is_operator=operator, created_at=now, preference_tags=[])
        uow.session.add(user)
        await uow.session.flush()
        if application is not None:
            uow.session.add(RunnerProfile(
                user_id=user.id, campus_id=user.campus_id, status=application, gender="female", quiz_passed=True,
                real_name_enc=CIPHER.encrypt("测试"), student_no_enc=CIPHER.encrypt("2024001"),
                credit=services.default_campus.credit.initial, applied_at=now))
        return user.id  # type: ignore[return-value]


async def deliver(sender: TelegramSender, services: Services, clock: FakeClock) -> None:
    """Run the sender until the Telegram outbox is empty, moving time on between runs (a chat gets a request a
    second), and check nothing failed."""
    for _ in range(10):
        await sender.run_once(clock())
        async with UnitOfWork(services.db, write=False) as uow:
            left = dict((await uow.session.execute(
                select(Outbox.status, func.count()).where(Outbox.channel == "telegram", Outbox.status != "sent")
                .group_by(Outbox.status))).all())
        assert "failed" not in left, left
        if not left:
            return
        clock.advance(seconds=0.5)
    raise AssertionError(f"the outbox was not delivered: {left}")


def descriptions(menu: list[dict[str, Any]] | None) -> dict[str, str]:
    return {c["command"]: c["description"] for c in menu or []}


async def test_a_runner_menu_comes_with_approval_and_shrinks_with_suspension(
        services: Services, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    """Suspended, a runner keeps what they earned and the orders they picked up: their menu keeps /income,
    /withdraw and /delivered beside the students' commands, as their suspension's notice says. Before, it went back
    to the students' menu, which has none of them."""
    chat = Chat(services, channel="telegram")
    await person(services, OPERATOR, "en", operator=True)
    applicant = await person(services, RUNNER, "zh_CN", application="pending")
    sender = make_sender(services.db, bot, clock, fake_bot_api)

    assert keys(await chat.send(str(OPERATOR), f"/approve {applicant}")) == ["admin-application-approved"]
    await deliver(sender, services, clock)
    menu = descriptions(fake_bot_api.chat_menu(RUNNER))
    assert menu["nearby"] == catalogue("zh_CN")("tg-cmd-nearby")  # the runner commands, in the runner's language
    assert menu["start"] == catalogue("zh_CN")("tg-cmd-start") and "admin" not in menu
    assert fake_bot_api.last_bot_message(RUNNER)["text"] == catalogue("zh_CN")("admin-runner-approved", quiz="passed")

    assert keys(await chat.send(str(OPERATOR), f"/suspend #{applicant} no-shows")) == ["admin-suspended"]
    await deliver(sender, services, clock)
    zh = catalogue("zh_CN")
    suspended = descriptions(fake_bot_api.chat_menu(RUNNER))
    assert list(suspended) == [name for name in STUDENT if name != "apply"] + ["delivered", "income", "withdraw"]
    assert suspended["income"] == zh("tg-cmd-income") and suspended["withdraw"] == zh("tg-cmd-withdraw")
    assert fake_bot_api.calls("deleteMyCommands") == []

    assert keys(await chat.send(str(OPERATOR), f"/restore #{applicant}")) == ["admin-restored"]
    await deliver(sender, services, clock)
    assert "nearby" in descriptions(fake_bot_api.chat_menu(RUNNER))


async def test_a_new_language_resets_a_staff_menu_in_it(
        services: Services, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    chat = Chat(services, channel="telegram")
    await person(services, OPERATOR, "zh_CN", operator=True)
    await person(services, RUNNER, "zh_CN", application="approved")
    await person(services, 1001, "zh_CN")  # a student
    sender = make_sender(services.db, bot, clock, fake_bot_api)

    for who in (OPERATOR, RUNNER, 1001):
        await chat.send(str(who), "/language")
        assert keys(await chat.press(str(who), "English")) == ["start-language-set", "menu-title"]
    await deliver(sender, services, clock)
    en = catalogue("en")
    operator_menu = descriptions(fake_bot_api.chat_menu(OPERATOR))
    assert operator_menu["applications"] == en("tg-cmd-applications") and operator_menu["start"] == en("tg-cmd-start")
    runner_menu = descriptions(fake_bot_api.chat_menu(RUNNER))
    assert runner_menu["nearby"] == en("tg-cmd-nearby") and "applications" not in runner_menu
    # A student's menu follows their language, not their app's: the students' menu, in English, for their chat.
    assert descriptions(fake_bot_api.chat_menu(1001)) == {c.command: c.description for c in menu(STUDENT, "en")}

    clock.advance(seconds=5)
    await chat.send(str(RUNNER), "/language")
    await chat.press(str(RUNNER), "中文")
    await deliver(sender, services, clock)
    assert descriptions(fake_bot_api.chat_menu(RUNNER))["nearby"] == catalogue("zh_CN")("tg-cmd-nearby")
    assert len(fake_bot_api.calls("setMyCommands", RUNNER)) == 2



async def test_at_start_every_chat_that_needs_a_menu_gets_it_staff_first(
        services: Services, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    students = (1001, 1002, 1003)
    for student in students:  # students who chose English before any runner or operator started
        await person(services, student, "en")
    await person(services, 1004, "zh_CN")  # the shared students' menu speaks her language
    await person(services, OPERATOR, "zh_CN", operator=True)
    for runner in (RUNNER, 3005):
        await person(services, runner, "zh_CN", application="approved")

    assert await set_commands(bot, services, batch=2) == 6  # more chats than a batch, of staff and of students
    await deliver(make_sender(services.db, bot, clock, fake_bot_api), services, clock)
    private = [c.chat_id for c in fake_bot_api.calls("setMyCommands") if c.chat_id and c.chat_id > 0]
    assert private == [OPERATOR, RUNNER, 3005, *students]  # staff first, each chat once
    zh = catalogue("zh_CN")
    assert descriptions(fake_bot_api.chat_menu(OPERATOR))["applications"] == zh("tg-cmd-applications")
    for runner in (RUNNER, 3005):
        assert descriptions(fake_bot_api.chat_menu(runner))["nearby"] == zh("tg-cmd-nearby")
    english = {c.command: c.description for c in menu(STUDENT, "en")}
    assert all(descriptions(fake_bot_api.chat_menu(student)) == english for student in students)
    assert fake_bot_api.chat_menu(1004) is None


async def test_at_start_a_former_operators_chat_loses_the_operators_menu(
        services: Services, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    """Someone who acted as an operator and is one no longer (the campus file stopped naming them, or their flag
    was cleared): their chat's operators' menu goes at the next start, to the students' menu of their language."""
    former = await person(services, OPERATOR, "en")
    shared = await person(services, 4005, "zh_CN")  # a former operator in the shared menu's language
    async with UnitOfWork(services.db) as uow:
        for operator_id in (former, shared):
            uow.session.add(OperatorAction(operator_id=operator_id, action="approve_runner", at=clock()))
    for chat in (OPERATOR, 4005):  # their chats' menus from when they were operators
        await bot.set_my_commands(staff_menu("en", runner=False, operator=True),
                                  scope=BotCommandScopeChat(chat_id=chat))

    await set_commands(bot, services)
    await deliver(make_sender(services.db, bot, clock, fake_bot_api), services, clock)
    assert descriptions(fake_bot_api.chat_menu(OPERATOR)) == {c.command: c.description for c in menu(STUDENT, "en")}
    assert fake_bot_api.chat_menu(4005) is None  # the shared students' menu, in Chinese, is theirs


async def test_starts_queue_a_chats_menu_once_until_it_is_sent(
        services: Services, fake_bot_api: FakeBotAPI, bot: Bot, clock: FakeClock) -> None:
    await person(services, OPERATOR, "zh_CN", operator=True)
    await person(services, 1001, "en")
    assert await set_commands(bot, services) == 2
    clock.advance(seconds=30)
    assert await set_commands(bot, services) == 0  # another process starting, or this one again: still pending

    await deliver(make_sender(services.db, bot, clock, fake_bot_api), services, clock)
    assert [c.chat_id for c in fake_bot_api.calls("setMyCommands") if c.chat_id and c.chat_id > 0] == [OPERATOR, 1001]
    clock.advance(minutes=5)
    assert await set_commands(bot, services) == 2  # a later start (a deploy) sets them again, as they are then


async def test_own_chat_menus_go_to_staff_and_students_of_another_language(services: Services,
                                                                            clock: FakeClock) -> None:
    await person(services, OPERATOR, "en", operator=True)
    await person(services, RUNNER, "zh_CN", application="approved")
    suspended = await person(services, 3005, "zh_CN", application="approved")
    await person(services, 3006, "zh_CN", application="pending")
    await person(services, 1001, "en")
    await person(services, 1002, "zh_CN")
    async with UnitOfWork(services.db) as uow:
        (await uow.session.get(RunnerProfile, suspended)).suspended = True  # type: ignore[union-attr]
    # At start the English student gets the students' menu in English for her chat (the shared one is Chinese).
    # A suspended runner keeps a menu of their own: their earnings' commands.
    assert [member async for found in staff(services) for member in found] == [
        Staff(str(OPERATOR), "en", runner=False, operator=True),
        Staff(str(RUNNER), "zh_CN", runner=True, operator=False),
        Staff("3005", "zh_CN", runner=False, operator=False, suspended=True),
        Staff("1001", "en", runner=False, operator=False)]
    async with UnitOfWork(services.db) as uow:
        for user_id in (3005, 3006):
            await uow.session.execute(update(User).where(User.external_id == str(user_id)).values(language="en"))
    for plain in ("1002", "999"):  # a student in the shared menu's language, someone unknown
        assert await staff_member(services.db, plain, frozenset()) is None
    for plain in ("3006", "1001"):  # students in another language: the students' menu for their chat
        assert await staff_member(services.db, plain, frozenset()) == Staff(plain, "en", runner=False, operator=False)
    assert await staff_member(services.db, "3005", frozenset()) == Staff("3005", "en", runner=False, operator=False,
                                                                         suspended=True)
    named = await staff_member(services.db, "1001", frozenset({"1001"}))  # named an operator in the campus file
    assert named == Staff("1001", "en", runner=False, operator=True)


def test_the_students_menu_shows_how_to_become_a_runner_and_a_runners_does_not():
    """/apply is how a student becomes a runner: in the students' menu, in both languages; a runner has applied."""
    for language in ("zh_CN", "en"):
        students = {c.command: c.description for c in menu(STUDENT, language)}
        assert students["apply"] == catalogue(language)("tg-cmd-apply")
        assert "apply" not in {c.command for c in staff_menu(language, runner=True, operator=False)}
        assert "apply" in {c.command for c in staff_menu(language, runner=False, operator=True)}
        assert len(staff_menu(language, runner=True, operator=True)) <= 25  # a menu one can still read
        left = [c.command for c in staff_menu(language, runner=False, operator=False, suspended=True)]
        assert "apply" not in left and {"income", "withdraw", "delivered"} <= set(left) and "grab" not in left
