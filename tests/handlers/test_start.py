"""Starting, picking a language, and inputs that must change nothing."""
from sqlalchemy import select, update

from handlers.notify import is_menu
from storage.models import Outbox, User
from storage.uow import UnitOfWork
from tests.factories import make_runner
from tests.handlers.harness import keys


async def test_start_and_pick_english(chat):
    replies = await chat.send("alice", "/start")
    assert keys(replies) == ["start-welcome"]
    assert [c.label for c in replies[0].flat_choices()] == ["中文", "English"]
    replies = await chat.press("alice", "English")
    assert keys(replies) == ["start-language-set", "menu-title"]
    assert replies[0].text == "Language set to English."
    replies = await chat.send("alice", "/nonsense")
    assert replies[0].text.startswith("I don't know the command /nonsense")


async def test_an_old_button_does_nothing(chat):
    await chat.send("alice", "/start")
    first = chat.last["alice"][0].flat_choices()[1]
    await chat.press("alice", "English")
    again = await chat.press("alice", f"data:{first.data}")
    assert keys(again) == ["error-stale-choice"]
    assert again[0].text == "That button is from an earlier message and no longer works."


async def test_a_repeated_update_is_handled_once(chat, services):
    first = await chat.send("alice", "/start", update_id="777")
    second = await chat.send("alice", "/start", update_id="777")
    assert keys(first) == ["start-welcome"] and second == []
    async with UnitOfWork(services.db, write=False) as uow:
        users = (await uow.session.scalars(select(User).where(User.external_id == "alice"))).all()
    assert len(users) == 1


async def test_forged_button_data_is_refused(chat):
    await chat.send("alice", "/start")
    for forged in ("zz:1", "s:000000:en", "s::", ""):
        replies = await chat.press("alice", f"data:{forged}")
        assert keys(replies) == ["error-stale-choice"], forged


async def menu_refreshes(services, recipient: str) -> int:
    async with UnitOfWork(services.db, write=False) as uow:
        rows = await uow.session.scalars(select(Outbox).where(Outbox.recipient == recipient))
        return sum(1 for r in rows if is_menu(r.payload))


async def test_a_new_language_refreshes_the_menu_of_everyone(chat, services, db, campus, clock):
    runner = await make_runner(db, campus, clock())
    async with UnitOfWork(db) as uow:
        name = (await uow.session.get(User, runner)).external_id
    await chat.send(name, "/language")
    await chat.press(name, "English")
    assert await menu_refreshes(services, name) == 1  # their own chat's menu follows their language
    await chat.send(name, "/language")
    await chat.press(name, "English")
    assert await menu_refreshes(services, name) == 1  # the same language: nothing changed

    await chat.send("alice", "/start")
    await chat.press("alice", "English")
    assert await menu_refreshes(services, "alice") == 1  # a student's menu follows their language too
    await chat.send("alice", "/language")
    await chat.press("alice", "English")
    assert await menu_refreshes(services, "alice") == 1
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(User).where(User.external_id == "alice").values(is_operator=True))
    await chat.send("alice", "/language")
    await chat.press("alice", "中文")
    assert await menu_refreshes(services, "alice") == 2


async def test_staff_who_start_the_bot_get_their_menu_and_students_do_not(chat, services, db, campus, clock):
    runner = await make_runner(db, campus, clock())
    async with UnitOfWork(db) as uow:
        name = (await uow.session.get(User, runner)).external_id
    await chat.send(name, "/start")
    assert await menu_refreshes(services, name) == 1
    await chat.send("alice", "/start")
    assert await menu_refreshes(services, "alice") == 0


async def test_someone_new_starts_in_their_apps_language_when_it_is_one_we_speak(chat, services):
    replies = await chat.send("amy", "/start", app_language="en")
    assert replies[0].text.startswith("Hi amy! Welcome to paotui at Demo University")
    assert await menu_refreshes(services, "amy") == 1  # the shared students' menu speaks the default language
    replies = await chat.send("bo", "/start")  # an app in a language we do not speak: the campus's
    assert replies[0].text.startswith("你好 bo！欢迎使用示范大学跑腿：")  # no spaces around the name
    assert await menu_refreshes(services, "bo") == 0
    await chat.press("amy", "中文")
    replies = await chat.send("amy", "/help", app_language="en")  # once known, their own choice stands
    assert replies[0].text.startswith("/order 发布跑腿")
