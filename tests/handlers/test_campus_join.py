"""Which campus someone belongs to: a newcomer who came by a campus's start link (its task hall's "open the bot"
button) joins it; someone with orders or a runner application stays where they are. An operator a campus file names
belongs to that campus, and in a campus's admin chat acts for that campus; a newcomer who first writes in a campus's
hall or admin chat joins that campus."""
from __future__ import annotations

import pytest

from core.campus import Channels
from handlers.context import Services
from handlers.io import parse_text
from storage.models import ServicePause, User
from storage.uow import UnitOfWork
from tests.factories import CIPHER, make_order, make_runner, make_user
from tests.handlers.harness import Chat, keys
from tests.handlers.test_admin import user_id


@pytest.fixture
def north(campus):
    return campus.model_copy(update={"id": "north", "name": "北校区", "name_en": "North campus"})


@pytest.fixture
def chat(db, campus, north, clock):
    return Chat(Services(db=db, campuses={campus.id: campus, north.id: north}, cipher=CIPHER, clock=clock,
                         channels=("console",)))


async def campus_of(chat, who: str) -> str:
    async with UnitOfWork(chat.services.db, write=False) as uow:
        return (await uow.session.get(User, await user_id(chat.services.db, who))).campus_id


async def test_a_newcomer_by_a_campus_link_joins_that_campus(chat):
    replies = await chat.send("li", "/start c-north")
    assert keys(replies) == ["start-welcome"] and "北校区" in replies[0].text  # welcomed to it, in the default zh_CN
    assert await campus_of(chat, "li") == "north"


async def test_without_a_link_or_with_an_unknown_one_the_default_campus(chat):
    await chat.send("li", "/start")
    await chat.send("wang", "/start c-nowhere")
    assert [await campus_of(chat, who) for who in ("li", "wang")] == ["demo", "demo"]


async def test_someone_with_orders_or_an_application_stays_and_is_told(chat, db, campus, clock):
    await chat.send("li", "/start")
    await make_order(db, campus, await user_id(db, "li"), clock())
    runner = await make_runner(db, campus, clock())
    assert keys(await chat.send("li", "/start c-north")) == ["start-campus-kept", "start-welcome"]
    assert await campus_of(chat, "li") == "demo"

    async with UnitOfWork(db, write=False) as uow:
        runner_name = (await uow.session.get(User, runner)).external_id
    assert keys(await chat.send(runner_name, "/start c-north")) == ["start-campus-kept", "start-welcome"]


# --- operators the campus files name -------------------------------------------------------------------------------

BOB = "4010"  # a Telegram user the north campus file names as its operator
DEMO_HALL, DEMO_ADMIN = "-1001000000001", "-1001000000002"  # campus/demo.yaml's chats
NORTH_HALL, NORTH_ADMIN = "-1002000000001", "-1002000000002"


def two_campuses(db, campus, clock, *, north_operators=(f"telegram:{BOB}",), demo_operators=()) -> Chat:
    """On Telegram, the demo campus (Chinese) and an English-speaking north campus with chats of its own."""
    north = campus.model_copy(update={
        "id": "north", "name": "北校区", "name_en": "North campus", "language": "en", "operators": north_operators,
        "channels": Channels(telegram_hall_chat_id=int(NORTH_HALL), telegram_admin_chat_id=int(NORTH_ADMIN))})
    demo = campus.model_copy(update={"operators": demo_operators})
    return Chat(Services(db=db, campuses={demo.id: demo, north.id: north}, cipher=CIPHER, clock=clock,
                         channels=("telegram",)), channel="telegram")


async def test_an_operator_a_second_campus_file_names_is_its_operator_from_their_first_input(db, campus, clock):
    chat = two_campuses(db, campus, clock)
    # First seen in that campus's admin chat: recognised there, and on that campus from then on.
    assert keys(await chat.send(BOB, "/today", chat=NORTH_ADMIN)) == ["admin-today"]
    assert await campus_of(chat, BOB) == "north"
    (welcome,) = await chat.send(BOB, "/start")
    assert "North campus" in welcome.text
    assert keys(await chat.send(BOB, "/today")) == ["admin-today"]

    # Someone the file names who is seen first in private is on that campus too.
    chat = two_campuses(db, campus, clock, north_operators=("telegram:4011",))
    assert keys(await chat.send("4011", "/today")) == ["admin-today"]
    assert await campus_of(chat, "4011") == "north"


async def test_a_newcomer_belongs_to_the_campus_whose_hall_or_admin_chat_they_first_write_in(db, campus, clock):
    chat = two_campuses(db, campus, clock)
    await chat.app.handle(parse_text("telegram", "1001", "/help", chat=NORTH_HALL, answered_privately=True))
    (refused,) = await chat.send("1002", "/today", chat=NORTH_ADMIN)
    assert refused.text == "Only operators can do that."  # in the north chat's language
    await chat.send("1003", "/start")
    await chat.app.handle(parse_text("telegram", "1004", "/help", chat=DEMO_HALL, answered_privately=True))
    assert [await campus_of(chat, who) for who in ("1001", "1002", "1003", "1004")] == ["north", "north", "demo",
                                                                                          "demo"]


async def test_someone_a_campus_file_names_later_moves_to_that_campus_and_stays_there(db, campus, clock):
    chat = two_campuses(db, campus, clock, north_operators=())
    await chat.send(BOB, "/start")
    assert keys(await chat.send(BOB, "/today")) == ["error-operators-only"]
    assert await campus_of(chat, BOB) == "demo"

    chat = two_campuses(db, campus, clock)  # the north file now names them (the bot restarted with it)
    assert keys(await chat.send(BOB, "/today")) == ["admin-today"]
    assert await campus_of(chat, BOB) == "north"
    (welcome,) = await chat.send(BOB, "/start c-demo")  # a campus that does not name them: they stay
    assert "北校区" in welcome.text and await campus_of(chat, BOB) == "north"  # in the Chinese they chose


async def test_an_operator_both_campus_files_name_acts_for_each_in_its_admin_chat(db, campus, clock):
    chat = two_campuses(db, campus, clock, demo_operators=(f"telegram:{BOB}",))
    customer = await make_user(db, campus, clock.now)
    order = await make_order(db, campus, customer, clock.now)  # a demo campus order

    assert keys(await chat.send(BOB, "/today", chat=NORTH_ADMIN)) == ["admin-today"]
    assert await campus_of(chat, BOB) == "north"  # first seen in its chat
    (refused,) = await chat.send(BOB, f"/find {order}", chat=NORTH_ADMIN)
    assert refused.text == f"There is no order #{order}."  # north's chat, in its language: not its order
    (card,) = await chat.send(BOB, f"/find {order}", chat=DEMO_ADMIN)
    assert keys([card]) == ["admin-order"] and "历史" in card.text  # demo's chat, in its language
    assert await campus_of(chat, BOB) == "north"  # both name them: they stay where they are
    assert keys(await chat.send(BOB, f"/find {order}")) == ["error-order-not-found"]  # privately, for north

    await chat.send(BOB, "/start c-demo")  # a link moves them among the campuses that name them
    assert await campus_of(chat, BOB) == "demo"
    assert keys(await chat.send(BOB, f"/find {order}")) == ["admin-order"]
    await chat.send(BOB, "/today", chat=NORTH_ADMIN)
    assert await campus_of(chat, BOB) == "demo"


async def test_an_operator_both_campus_files_name_is_told_privately_which_campus_each_command_acted_for(
        db, campus, clock):
    """Privately they act for the campus they are on, which they may not have in mind: before, /pause, /hours set,
    /pricing set, /coupon create, /today and /hours answered with no campus name, so they could change the wrong
    campus unknowingly. An operator one file names, or the operators' chat, needs no heading."""
    other = "4011"  # named by the north campus file alone
    chat = two_campuses(db, campus, clock, north_operators=(f"telegram:{BOB}", f"telegram:{other}"),
                        demo_operators=(f"telegram:{BOB}",))
    await chat.send(BOB, "/today", chat=NORTH_ADMIN)  # first seen there: on north
    await chat.send(BOB, "/start")
    await chat.press(BOB, "English")
    for line in ("/pause 30m rain", "/hours set 08:00-09:00", "/pricing set base.buy 9", "/coupon create BOTH5 5",
                 "/today", "/hours"):
        first = (await chat.send(BOB, line))[0]
        assert first.text.startswith("[North campus]\n") and first.key != "error-operators-only", line
    async with UnitOfWork(db, write=False) as uow:
        assert (await uow.session.get(ServicePause, "north")) is not None
        assert (await uow.session.get(ServicePause, campus.id)) is None

    await chat.send(BOB, "/start c-demo")  # now on the demo campus
    (paused,) = await chat.send(BOB, "/pause 10m")
    assert paused.text == "[Demo University]\nOrdering is paused until 10:10. Orders placed before go on as usual."
    (today,) = await chat.send(BOB, "/today", chat=DEMO_ADMIN)  # the chat names the campus
    assert today.key == "admin-today" and not today.text.startswith("【")
    (other_today,) = await chat.send(other, "/today")
    assert other_today.key == "admin-today" and not other_today.text.startswith(("[", "【"))


async def test_an_operator_both_campus_files_name_is_told_privately_which_campus_a_refusal_is_for(
        db, campus, clock):
    """Before, only an answer was headed: a refusal ("There is no order #5.") came with no campus named, read as the
    other campus's."""
    other = "4011"  # named by the north campus file alone
    chat = two_campuses(db, campus, clock, north_operators=(f"telegram:{BOB}", f"telegram:{other}"),
                        demo_operators=(f"telegram:{BOB}",))
    order = await make_order(db, campus, await make_user(db, campus, clock.now), clock.now)  # a demo campus order
    await chat.send(BOB, "/today", chat=NORTH_ADMIN)  # first seen there: on north
    await chat.send(BOB, "/start")
    await chat.press(BOB, "English")

    (refused,) = await chat.send(BOB, f"/find {order}")
    assert refused.key == "error-order-not-found"
    assert refused.text == f"[North campus]\nThere is no order #{order}."
    (refused,) = await chat.send(BOB, "/pause 5 runners left")
    assert refused.key == "admin-pause-when-invalid" and refused.text.startswith('[North campus]\n"5 runners" is')
    (refused,) = await chat.send(BOB, "/resume")
    assert refused.text == "[North campus]\nOrdering is not paused."

    await chat.send(BOB, "/start c-demo")
    assert [r.text for r in await chat.send(BOB, "/resume")] == ["[Demo University]\nOrdering is not paused."]
    # In the operators' chat the chat names the campus; an operator one file names needs no heading.
    (plain,) = await chat.send(BOB, "/resume", chat=NORTH_ADMIN)
    assert plain.text == "Ordering is not paused."
    (plain,) = await chat.send(BOB, "/resume", chat=DEMO_ADMIN)
    assert plain.key == "admin-not-paused" and not plain.text.startswith(("[", "【"))
    await chat.send(other, "/start")
    (plain,) = await chat.send(other, f"/find {order}")
    assert plain.key == "error-order-not-found" and not plain.text.startswith(("[", "【"))


async def test_an_operator_both_files_name_who_once_ordered_still_moves_between_them_by_link(db, campus, clock):
    # Before: "you stay on the demo campus", because they had placed an order once.
    chat = two_campuses(db, campus, clock, demo_operators=(f"telegram:{BOB}",))
    await chat.send(BOB, "/start c-demo")
    await make_order(db, campus, await user_id(db, BOB), clock.now)
    assert keys(await chat.send(BOB, "/start c-north")) == ["start-welcome"]
    assert await campus_of(chat, BOB) == "north"


async def flagged_dora_and_north_nina(chat, db) -> int:
    """dora, flagged an operator on the demo campus; nina, a north student (her id)."""
    from sqlalchemy import update
    await chat.send("dora", "/start")
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(User).where(User.external_id == "dora").values(is_operator=True))
    await chat.send("nina", "/start c-north")
    return await user_id(db, "nina")


async def test_the_operator_flag_is_of_the_persons_own_campus(db, campus, clock):
    # Before: flagged on the demo campus, they topped up a north student's wallet from the north admin chat.
    chat = two_campuses(db, campus, clock)
    nina = await flagged_dora_and_north_nina(chat, db)
    assert keys(await chat.send("dora", f"/topup #{nina} 100", chat=NORTH_ADMIN)) == ["error-operators-only"]
    assert keys(await chat.send("dora", "/today")) == ["admin-today"]  # on their own campus, as before


async def test_grab_of_another_campus_order_says_only_that_it_is_another_campus(db, campus, clock):
    # Before: a north runner learned by /grab N whether a demo order was taken, gone or still open.
    from core.order import Actor, Event, Role
    from tests.factories import act
    chat = two_campuses(db, campus, clock)
    alice = await make_user(db, campus, clock.now)
    rob = await make_runner(db, campus, clock.now)
    order = await make_order(db, campus, alice, clock.now)
    await act(db, campus, order, Event.accept, Actor(Role.runner, rob), clock.now)
    await chat.send("nick", "/start c-north")
    north = chat.services.campuses["north"]
    nick = await user_id(db, "nick")
    await make_runner_on(db, north, nick, clock.now)
    assert keys(await chat.send("nick", f"/grab {order}")) == ["not-eligible-other-campus"]


async def make_runner_on(db, campus, user: int, now) -> None:
    from storage.models import RunnerProfile
    from tests.factories import CIPHER
    async with UnitOfWork(db) as uow:
        (await uow.session.get(User, user)).started_bot = True
        uow.session.add(RunnerProfile(user_id=user, campus_id=campus.id, status="approved", gender="male",
                                      real_name_enc=CIPHER.encrypt("测试"), student_no_enc=CIPHER.encrypt("1"),
                                      quiz_passed=True, credit=campus.credit.initial, applied_at=now))


async def test_an_operator_flagged_on_one_campus_does_not_become_anothers_by_its_link(db, campus, clock):
    chat = two_campuses(db, campus, clock)
    nina = await flagged_dora_and_north_nina(chat, db)
    await chat.send("dora", "/start c-north")  # the north campus's public link
    assert await campus_of(chat, "dora") == "demo"
    assert keys(await chat.send("dora", f"/topup #{nina} 100", chat=NORTH_ADMIN)) == ["error-operators-only"]


async def test_a_student_of_another_campus_pressing_take_is_told_they_are_no_runner(db, campus, clock):
    chat = two_campuses(db, campus, clock)
    alice = await make_user(db, campus, clock.now)
    order = await make_order(db, campus, alice, clock.now)
    await chat.send("nina", "/start c-north")
    (said,) = await chat.send("nina", f"/grab {order}")
    assert said.key == "not-eligible-not-runner"
