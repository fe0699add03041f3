"""A task hall or admin chat upgraded to a supergroup: Telegram gives it a new id and refuses the old one (400 with
parameters.migrate_to_chat_id). The move is kept in the database and every place that resolves the campus's chats
uses it, so the hall keeps getting its posts and the operators their chat — until the campus file is updated.

End to end against the fake Bot API, on SQLite and PostgreSQL, in virtual time."""
from __future__ import annotations

import copy
import logging
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher
from sqlalchemy import select

from bot.settings import Settings
from bot.telegram.adapter import build_dispatcher
from bot.telegram.sender import TelegramRateLimiter, TelegramSender, campus_chats, chat_moved
from core.campus import Campus, Channels
from core.order import Actor, Event, Role
from handlers.context import Services
from handlers.hall import announce
from handlers.notify import Notifier
from locales import catalogue
from storage.models import ChatMove, User
from storage.uow import UnitOfWork
from tests.bot.conftest import polling
from tests.bot.fake_bot_api import FakeBotAPI, wait_until_async
from tests.bot.test_sender import most_in_window, queue, rows, virtual_time  # noqa: F401 - virtual_time: a fixture
from tests.bot.test_sender_outages import notify_act, paid_order, run_for
from tests.bot.test_telegram_adapter import hall_card, order_row, tg_runner, tg_user, until
from tests.bot.test_telegram_groups import applicant, application_status, operator
from tests.conftest import FakeClock
from tests.factories import CIPHER

EN = catalogue("en")
OLD_HALL, NEW_HALL = -4001, -1004001  # a basic group's id; its supergroup's (-100…)
OLD_ADMIN, NEW_ADMIN = -4002, -1004002


@pytest.fixture
def services(db, campus: Campus, clock: FakeClock) -> Services:
    """A campus whose hall and admin chat are basic groups, which Telegram upgrades to supergroups (when made public,
    or given some settings). It speaks English, as its groups are then told in EN whoever acts there."""
    groups = campus.model_copy(update={"language": "en", "channels": Channels(telegram_hall_chat_id=OLD_HALL,
                                                                              telegram_admin_chat_id=OLD_ADMIN)})
    return Services(db=db, campuses={groups.id: groups}, cipher=CIPHER, clock=clock, channels=("telegram",))


def sender_for(services: Services, bot: Bot, clock: FakeClock) -> TelegramSender:
    """As app.py builds it: sharing the services' chat moves, the campus chats named for its logs."""
    return TelegramSender(services.db, bot, clock, cipher=services.cipher, moves=services.chat_moves,
                          staff_chats=campus_chats(services.campuses.values()))


def grab_buttons(api: FakeBotAPI, chat: int) -> set[str]:
    return {data for m in api.bot_messages(chat) for line in api.buttons(m) for _, data in line}


async def moves_in_db(services: Services) -> list[tuple[str, str, str]]:
    async with UnitOfWork(services.db, write=False) as uow:
        found = await uow.session.execute(select(ChatMove.channel, ChatMove.old_chat, ChatMove.new_chat))
        return [tuple(r) for r in found.all()]  # type: ignore[misc]


async def test_a_hall_upgraded_to_a_supergroup_gets_its_posts_at_the_new_id(
        fake_bot_api: FakeBotAPI, bot: Bot, services: Services, clock: FakeClock,
        caplog: pytest.LogCaptureFixture) -> None:
    fake_bot_api.group(OLD_HALL)
    customer = await tg_user(services, services.default_campus, clock, 1001, name="Li")
    runner = await tg_runner(services, services.default_campus, clock, 3003, name="Zhao")
    sender = sender_for(services, bot, clock)
    first = await paid_order(services, clock, customer)
    await run_for(sender, clock, 2)
    assert grab_buttons(fake_bot_api, OLD_HALL) == {f"g:{first}"}

    fake_bot_api.upgrade_group(OLD_HALL, NEW_HALL, fake_bot_api.user(9, "Owner"), push=False)  # nobody reads updates
    second = await paid_order(services, clock, customer)  # written for the old id: only Telegram's 400 tells
    with caplog.at_level(logging.WARNING, logger="bot.telegram.sender"):
        await run_for(sender, clock, 3)
    assert grab_buttons(fake_bot_api, NEW_HALL) == {f"g:{second}"}  # sent again, to the supergroup
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "campus file" in warning and f"put {NEW_HALL} in place of {OLD_HALL}" in warning
    assert await moves_in_db(services) == [("telegram", str(OLD_HALL), str(NEW_HALL))]

    third = await paid_order(services, clock, customer)  # the notifier knows the new id now
    await notify_act(services, second, Event.accept, Actor(Role.runner, runner), clock())
    await notify_act(services, first, Event.cancel, Actor(Role.customer, customer), clock())
    await run_for(sender, clock, 8)
    assert grab_buttons(fake_bot_api, NEW_HALL) == {f"g:{third}"}  # the second's post was edited: taken
    assert not any(f"#{first}" in m["text"] for m in fake_bot_api.bot_messages(NEW_HALL))  # its post stayed behind,
    old = fake_bot_api.calls(chat_id=OLD_HALL)  # in the old group, where it is edited: no Grab button any more
    assert [(r.method, r.status) for r in old] == [("sendMessage", 200), ("sendMessage", 400), ("editMessageText", 200)]
    assert old[2].params["message_id"] == 1 and not fake_bot_api.buttons(fake_bot_api.messages[(OLD_HALL, 1)])
    assert {r.status for r in (await rows(services.db)).values()} == {"sent"}


async def test_another_process_learns_the_move_and_sends_nothing_to_the_old_id(
        fake_bot_api: FakeBotAPI, bot: Bot, services: Services, clock: FakeClock) -> None:
    customer = await tg_user(services, services.default_campus, clock, 1001, name="Li")
    await services.chat_moves.record(services.db, "telegram", str(OLD_HALL), str(NEW_HALL), clock())
    elsewhere = Services(db=services.db, campuses=services.campuses, cipher=CIPHER, clock=clock,
                         channels=("telegram",))  # another process: it has not read the moves yet
    order_id = await paid_order(elsewhere, clock, customer)
    sender = sender_for(elsewhere, bot, clock)
    await run_for(sender, clock, 2)
    assert grab_buttons(fake_bot_api, NEW_HALL) == {f"g:{order_id}"}
    assert fake_bot_api.calls(chat_id=OLD_HALL) == []  # redirected before any request
    await paid_order(elsewhere, clock, customer)  # its sender read the moves: its notifier writes for the new id
    hall_rows = [r.recipient for r in (await rows(services.db)).values() if r.edit_key]
    assert hall_rows == [str(NEW_HALL)] * 2


async def until_rows(services: Services, count: int) -> None:
    """Wait for the bot (handling updates concurrently) to have written `count` outbox rows."""
    async def enough() -> bool:
        return len(await rows(services.db)) >= count

    await wait_until_async(enough, 10.0, what=f"{count} outbox rows")


@pytest.fixture
async def dispatcher(services: Services, bot: Bot, settings: Settings) -> AsyncIterator[Dispatcher]:
    async with polling(build_dispatcher(services, bot, settings), bot) as dp:
        yield dp


async def test_the_upgrade_message_moves_the_admin_chat_and_its_waiting_messages(
        fake_bot_api: FakeBotAPI, dispatcher: Dispatcher, bot: Bot, services: Services, clock: FakeClock,
        caplog: pytest.LogCaptureFixture) -> None:
    fake_bot_api.group(OLD_ADMIN, "Operators")
    operator = await tg_user(services, services.default_campus, clock, 4004, name="Wu")
    async with UnitOfWork(services.db) as uow:
        (await uow.session.get(User, operator)).is_operator = True  # type: ignore[union-attr]
        await Notifier(services, uow, clock(), origin="test").operators(services.default_campus, "notice-exception",
                                                                        order=7)
    wu = fake_bot_api.user(4004, "Wu", language_code="en")

    with caplog.at_level(logging.WARNING, logger="bot.telegram.sender"):
        fake_bot_api.upgrade_group(OLD_ADMIN, NEW_ADMIN, wu)
        await until(lambda: fake_bot_api.chat_menu(NEW_ADMIN))  # the new chat gets the operators' menu …
    assert services.chat_moves.known("telegram", str(OLD_ADMIN), str(NEW_ADMIN))  # … once the move is known
    assert await moves_in_db(services) == [("telegram", str(OLD_ADMIN), str(NEW_ADMIN))]
    assert sum(f"put {NEW_ADMIN} in place of {OLD_ADMIN}" in r.getMessage() for r in caplog.records) == 1
    (waiting,) = (await rows(services.db)).values()  # the notice written before the upgrade is for the new chat
    assert (waiting.recipient, waiting.status) == (str(NEW_ADMIN), "pending")

    fake_bot_api.command(wu, "applications", chat=NEW_ADMIN)  # the operators' commands work in the new chat
    sender = sender_for(services, bot, clock)
    await until_rows(services, 2)  # the answer, queued behind the notice waiting for that chat
    await run_for(sender, clock, 3)
    notice, answer = fake_bot_api.bot_messages(NEW_ADMIN)
    assert notice["text"] == catalogue(services.default_campus.language)("notice-exception", order=7)
    # Answered there, for every operator to see: in the chat's language, as the notice before it.
    assert answer["text"] == catalogue(services.default_campus.language)("admin-applications-none")
    assert fake_bot_api.calls("sendMessage", 4004) == []
    assert fake_bot_api.calls(chat_id=OLD_ADMIN) == []


async def upgraded(api: FakeBotAPI, services: Services, old: int, new: int) -> None:
    """The group becomes a supergroup while the bot reads its updates: the move is known once they are handled."""
    api.upgrade_group(old, new, api.user(9, "Owner"))
    await until(lambda: services.chat_moves.known("telegram", str(old), str(new)))


async def test_a_grab_pressed_on_a_post_from_before_the_upgrade_has_one_winner_and_the_post_says_so_where_it_is(
        fake_bot_api: FakeBotAPI, dispatcher: Dispatcher, bot: Bot, services: Services, clock: FakeClock) -> None:
    fake_bot_api.group(OLD_HALL)
    customer = await tg_user(services, services.default_campus, clock, 1001, name="Li")
    zhao = await tg_runner(services, services.default_campus, clock, 3003, name="Zhao")
    qian = await tg_runner(services, services.default_campus, clock, 3004, name="Qian")
    sender = sender_for(services, bot, clock)
    first = await paid_order(services, clock, customer)
    second = await paid_order(services, clock, customer)
    await run_for(sender, clock, 3)
    old_posts = {data: copy.deepcopy(m) for m in fake_bot_api.bot_messages(OLD_HALL)
                 for line in fake_bot_api.buttons(m) for _, data in line}
    await upgraded(fake_bot_api, services, OLD_HALL, NEW_HALL)
    third = await paid_order(services, clock, customer)
    await run_for(sender, clock, 2)
    (new_post,) = copy.deepcopy(fake_bot_api.bot_messages(NEW_HALL))
    # The supergroup numbers its messages anew: its post has the id an old post has in the old group.
    assert new_post["message_id"] == old_posts[f"g:{second}"]["message_id"]

    # The old posts stay in the chat's history (Telegram shows the old group's messages above the supergroup's):
    # their buttons come from the old group, with the old id.
    old_post = old_posts[f"g:{second}"]
    fake_bot_api.press(fake_bot_api.user(3003, "Zhao", language_code="en"), old_post)
    await until(lambda: fake_bot_api.callback_answers)
    fake_bot_api.press(fake_bot_api.user(3004, "Qian", language_code="en"), old_post)
    first_answer, second_answer = await until(lambda: len(fake_bot_api.callback_answers) == 2
                                              and fake_bot_api.callback_answers)
    assert first_answer["text"] == EN("tg-grab-won", order=str(second))
    assert second_answer["text"] == EN("grab-taken")
    row = await order_row(services, second)
    assert (row.status, row.runner_id) == ("accepted", zhao) and zhao != qian

    await run_for(sender, clock, 3)
    taken = fake_bot_api.messages[(OLD_HALL, old_post["message_id"])]  # edited where it is, in the old group
    assert "reply_markup" not in taken and taken["text"].startswith(f"#{second} ") and taken["text"] != old_post["text"]
    # The supergroup's post with the same id is another order's: untouched.
    assert fake_bot_api.messages[(NEW_HALL, new_post["message_id"])] == new_post
    assert grab_buttons(fake_bot_api, NEW_HALL) == {f"g:{third}"}
    assert fake_bot_api.buttons(fake_bot_api.messages[(OLD_HALL, old_posts[f"g:{first}"]["message_id"])])
    assert not fake_bot_api.calls("editMessageText", NEW_HALL)


async def test_operators_decide_on_cards_from_before_the_admin_chat_was_upgraded_and_are_answered_in_the_new_chat(
        fake_bot_api: FakeBotAPI, dispatcher: Dispatcher, services: Services, clock: FakeClock) -> None:
    campus = services.default_campus
    fake_bot_api.group(OLD_ADMIN, "Operators")
    await operator(services, campus, clock, 4004, started=False)  # moderates only in the admin chat
    zhao = await applicant(services, campus, clock, 3003)
    sun = await applicant(services, campus, clock, 3005)
    wu = fake_bot_api.user(4004, "Wu", language_code="en")
    fake_bot_api.command(wu, "applications", chat=OLD_ADMIN)
    cards = await until(lambda: (found := [m for m in fake_bot_api.bot_messages(OLD_ADMIN) if fake_bot_api.buttons(m)])
                        and len(found) == 2 and found)
    await upgraded(fake_bot_api, services, OLD_ADMIN, NEW_ADMIN)

    # A card from before the upgrade comes from the old group: still the operators' chat, and the pressed card is
    # edited where it is.
    fake_bot_api.press(wu, cards[0], EN("admin-button-approve"))
    approved = EN("admin-application-approved", who=f"Zhao (#{zhao})", quiz="ahead")
    await until(lambda: fake_bot_api.messages[(OLD_ADMIN, cards[0]["message_id"])]["text"] == approved)
    assert "reply_markup" not in fake_bot_api.messages[(OLD_ADMIN, cards[0]["message_id"])]
    assert await application_status(services, zhao) == "approved"
    (answer,) = fake_bot_api.callback_answers
    assert not answer.get("url") and not answer.get("text")  # not sent off to press Start in a private chat

    # A question about an old card is asked in the new chat, and answered there.
    fake_bot_api.press(wu, cards[1], EN("admin-button-reject"))
    asked = EN("admin-ask-reject-reason", user=str(sun))
    question = (await until(lambda: [m for m in fake_bot_api.bot_messages(NEW_ADMIN) if m.get("text") == asked]))[-1]
    fake_bot_api.text(wu, "card photo unreadable", chat=NEW_ADMIN, reply_to=question)
    rejected = EN("admin-application-rejected", who=f"Zhao (#{sun})", reason="card photo unreadable")
    await until(lambda: fake_bot_api.messages[(NEW_ADMIN, question["message_id"])]["text"] == rejected)
    assert await application_status(services, sun) == "rejected"
    # The supergroup numbers its messages anew: none of them is taken for a card of the old group.
    assert [m["text"] for m in fake_bot_api.bot_messages(NEW_ADMIN)] == [rejected]
    assert not fake_bot_api.calls("sendMessage", 4004) and not fake_bot_api.calls(chat_id=OLD_ADMIN, ok=False)


async def test_a_newcomer_pressing_a_post_from_before_the_upgrade_joins_the_campus_whose_hall_it_is(
        fake_bot_api: FakeBotAPI, bot: Bot, services: Services, settings: Settings, clock: FakeClock) -> None:
    hall_campus = services.default_campus.model_copy(update={"id": "north"})
    elsewhere = services.default_campus.model_copy(update={"channels": Channels(telegram_hall_chat_id=-4009)})
    two = Services(db=services.db, campuses={elsewhere.id: elsewhere, hall_campus.id: hall_campus}, cipher=CIPHER,
                   clock=clock, channels=("telegram",))  # the hall's campus is not the default one
    fake_bot_api.group(OLD_HALL)
    fake_bot_api.group(OLD_ADMIN, "Operators")
    post = await hall_card(bot, {"id": OLD_HALL}, 7)
    async with polling(build_dispatcher(two, bot, settings), bot):
        await upgraded(fake_bot_api, two, OLD_HALL, NEW_HALL)
        fake_bot_api.callback(fake_bot_api.user(3003, "Zhao", language_code="en"), "g:7",
                              (OLD_HALL, post["message_id"]))
        (answer,) = await until(lambda: fake_bot_api.callback_answers)
    assert answer["text"] == EN("tg-start-first")
    assert answer["url"] == "https://t.me/paotui_test_bot?start=c-north"  # not the default campus


async def test_a_hall_upgraded_in_the_middle_of_a_minute_gets_no_more_than_a_groups_minute_across_both_ids(
        fake_bot_api: FakeBotAPI, bot: Bot, services: Services, clock: FakeClock) -> None:
    fake_bot_api.group(OLD_HALL)
    moves = services.chat_moves
    sender = TelegramSender(services.db, bot, clock, limiter=TelegramRateLimiter(moves=moves), moves=moves)
    for i in range(20):
        await queue(services.db, OLD_HALL, f"Before {i}", at=clock())
    await run_for(sender, clock, 30, step=1.5)
    assert len(fake_bot_api.bot_messages(OLD_HALL)) == 20  # the group's minute, used up in its first half

    fake_bot_api.upgrade_group(OLD_HALL, NEW_HALL, fake_bot_api.user(9, "Owner"), push=False)
    await chat_moved(services.db, moves, OLD_HALL, NEW_HALL, clock())
    for i in range(5):
        await queue(services.db, NEW_HALL, f"After {i}", at=clock())
    await run_for(sender, clock, 20)
    assert not fake_bot_api.bot_messages(NEW_HALL)  # the same people, the same minute: it waits for room
    await run_for(sender, clock, 30)
    assert len(fake_bot_api.bot_messages(NEW_HALL)) == 5
    posted = [r.at for chat in (OLD_HALL, NEW_HALL) for r in fake_bot_api.calls("sendMessage", chat, ok=True)]
    assert most_in_window(posted, 60) == 20


async def test_an_order_announced_again_after_the_upgrade_takes_the_grab_button_off_its_post_from_before(
        fake_bot_api: FakeBotAPI, bot: Bot, services: Services, clock: FakeClock) -> None:
    fake_bot_api.group(OLD_HALL)
    customer = await tg_user(services, services.default_campus, clock, 1001, name="Li")
    sender = sender_for(services, bot, clock)
    order_id = await paid_order(services, clock, customer)
    await run_for(sender, clock, 2)
    (before,) = copy.deepcopy(fake_bot_api.bot_messages(OLD_HALL))
    fake_bot_api.upgrade_group(OLD_HALL, NEW_HALL, fake_bot_api.user(9, "Owner"), push=False)
    await chat_moved(services.db, services.chat_moves, OLD_HALL, NEW_HALL, clock())

    async with UnitOfWork(services.db) as uow:  # the hall's reminder: the order at the bottom of the chat again
        row = await uow.orders.get_row(order_id)
        assert await announce(Notifier(services, uow, clock(), origin="test:again"), services.default_campus, row)
    await run_for(sender, clock, 6)
    assert grab_buttons(fake_bot_api, NEW_HALL) == {f"g:{order_id}"}
    # Telegram deletes nothing in the old group (it answers that it became a supergroup) but edits there: the old
    # post keeps its text and loses its button, so the order is grabbed from its one live post.
    old = fake_bot_api.messages[(OLD_HALL, before["message_id"])]
    assert old["text"] == before["text"] and "reply_markup" not in old
    assert [r.method for r in fake_bot_api.calls(chat_id=OLD_HALL)[1:]] == ["deleteMessage", "editMessageText"]
    assert {r.status for r in (await rows(services.db)).values()} == {"sent"}


async def test_commands_sent_in_the_groups_just_before_the_upgrade_are_answered_in_the_new_chats(
        fake_bot_api: FakeBotAPI, dispatcher: Dispatcher, services: Services, clock: FakeClock) -> None:
    campus = services.default_campus
    fake_bot_api.group(OLD_HALL)
    fake_bot_api.group(OLD_ADMIN, "Operators")
    await operator(services, campus, clock, 4004, started=False)
    zhao = fake_bot_api.user(3003, "Zhao", language_code="en")  # never started the bot
    wu = fake_bot_api.user(4004, "Wu", language_code="en")
    hall_command = fake_bot_api.command(zhao, "nearby", chat=OLD_HALL, push=False)
    admin_command = fake_bot_api.command(wu, "applications", chat=OLD_ADMIN, push=False)
    for old, new in ((OLD_HALL, NEW_HALL), (OLD_ADMIN, NEW_ADMIN)):  # learned by the sender meanwhile (its 400)
        fake_bot_api.upgrade_group(old, new, fake_bot_api.user(9, "Owner"), push=False)
        await chat_moved(services.db, services.chat_moves, old, new, clock())

    fake_bot_api.push(hall_command)  # the bot was busy, or down: it gets them only now
    fake_bot_api.push(admin_command)
    asked = await until(lambda: fake_bot_api.bot_messages(NEW_HALL))
    assert asked[0]["text"] == EN("tg-start-first-group", name="Zhao")
    # The command is a message of the old group: quoting its id in the supergroup would quote another message.
    assert "reply_parameters" not in fake_bot_api.calls("sendMessage", NEW_HALL)[0].params
    answer = await until(lambda: fake_bot_api.bot_messages(NEW_ADMIN))
    assert answer[0]["text"] == EN("admin-applications-none")
    assert not fake_bot_api.calls(chat_id=OLD_HALL) and not fake_bot_api.calls(chat_id=OLD_ADMIN)


async def test_an_admin_command_answered_only_after_the_upgrade_it_preceded_is_answered_in_the_supergroup(
        fake_bot_api: FakeBotAPI, dispatcher: Dispatcher, bot: Bot, services: Services, clock: FakeClock) -> None:
    fake_bot_api.group(OLD_ADMIN, "Operators")
    await operator(services, services.default_campus, clock, 4004, started=False)
    wu = fake_bot_api.user(4004, "Wu", language_code="en")
    # Telegram's order: Wu's command, then the upgrade's service messages; the bot reads them only now (it was busy,
    # or restarting), so it answers the command in a group that is a supergroup already, and learns so from the 400.
    command = fake_bot_api.command(wu, "applications", chat=OLD_ADMIN, push=False)
    for update in (command, *fake_bot_api.upgrade_group(OLD_ADMIN, NEW_ADMIN, wu, push=False)):
        fake_bot_api.push(update)

    await until_rows(services, 1)  # the answer Telegram refused at the old id, for the sender
    await run_for(sender_for(services, bot, clock), clock, 3)
    (answer,) = fake_bot_api.bot_messages(NEW_ADMIN)
    assert answer["text"] == EN("admin-applications-none")
    assert services.chat_moves.known("telegram", str(OLD_ADMIN), str(NEW_ADMIN))
    assert fake_bot_api.chat_menu(NEW_ADMIN)  # the supergroup gets the operators' menu, as the upgrade's news gives it
    assert {r.status for r in (await rows(services.db)).values()} == {"sent"}


async def test_a_hall_command_answered_only_after_the_upgrade_it_preceded_gets_its_start_button_in_the_supergroup(
        fake_bot_api: FakeBotAPI, dispatcher: Dispatcher, services: Services) -> None:
    fake_bot_api.group(OLD_HALL)
    zhao = fake_bot_api.user(3003, "Zhao", language_code="en")  # never started the bot
    command = fake_bot_api.command(zhao, "nearby", chat=OLD_HALL, push=False)
    fake_bot_api.upgrade_group(OLD_HALL, NEW_HALL, fake_bot_api.user(9, "Owner"), push=False)  # news not read yet
    fake_bot_api.push(command)

    asked = await until(lambda: fake_bot_api.bot_messages(NEW_HALL))
    assert asked[0]["text"] == EN("tg-start-first-group", name="Zhao")
    assert "reply_parameters" not in fake_bot_api.calls("sendMessage", NEW_HALL)[0].params  # the old group's message
    assert services.chat_moves.known("telegram", str(OLD_HALL), str(NEW_HALL))
    assert not fake_bot_api.bot_messages(OLD_HALL)
