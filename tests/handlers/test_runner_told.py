"""A runner's standing and money as they are told it: the credit change made, the quiz, typed amounts and labels."""
from sqlalchemy import select

from core.order import Actor, Event, Role
from storage.models import User
from storage.uow import UnitOfWork
from tests.factories import act, make_order, make_runner
from tests.handlers.harness import keys
from tests.handlers.test_admin import OP, external, operator
from tests.handlers.test_runner import complete, english, paid_out, person, profile_of, runner


async def test_credit_history_shows_the_change_made_not_the_nominal_penalty(chat, db, campus, clock):
    await operator(chat)
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob", credit=2)
    order_id = await make_order(db, campus, alice, clock())
    await act(db, campus, order_id, Event.accept, Actor(Role.runner, rob), clock())
    await chat.send("rob", f"/release {order_id}")
    (told,) = await chat.press("rob", f"data:o:{order_id}:release_yes")
    assert told.text.endswith("Credit score −2: now 0.")
    (shown,) = await chat.send(OP, f"/credit #{rob}")
    assert "-2 order released → 0" in shown.text, shown.text  # shows "-5 order released → 0"


async def test_a_plus_change_never_lowers_a_score(chat, db, campus, clock):
    await operator(chat)  # a score from before the campus file lowered credit.maximum (150)
    rob = await make_runner(db, campus, clock.now, credit=campus.credit.maximum + 10)
    await chat.send(OP, f"/credit #{rob} +5 helped at the fair")
    told = [m["text"] for m in await chat.inbox(await external(db, rob))]
    assert (await profile_of(db, rob)).credit >= 160, told  # 150; runner told "调整了你的信用分 -10"


async def test_approval_does_not_tell_a_runner_who_passed_the_quiz_to_take_it(chat, db, campus, clock):
    await operator(chat)
    await english(chat, "dan")
    for answer in ("/apply", "张三", "2024123456"):
        await chat.send("dan", answer)
    await chat.press("dan", "Male")
    await chat.photo("dan", "card")
    await chat.send("dan", "/quiz")
    for right in ("Nobody: it is only for this delivery", "Release it at once with /release",
                  "At the dorm's transfer point", "When the student has it in hand"):
        replies = await chat.press("dan", right)
    assert keys(replies) == ["runner-quiz-passed"]
    async with UnitOfWork(db, write=False) as uow:
        dan = (await uow.session.scalars(select(User.id).where(User.external_id == "dan"))).one()
    await chat.inbox("dan")
    (approved,) = await chat.send(OP, f"/approve {dan}")
    (notice,) = await chat.inbox("dan")
    assert "/quiz" not in notice["text"], notice["text"]  # "Send /quiz to take the … quiz, then you can take orders."
    assert "told to take the quiz" not in approved.text and "passed the quiz already" in approved.text     # "They were told to take the quiz."


async def test_the_withdraw_question_reads_typed_labels_and_amounts_as_elsewhere(chat, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    await complete(db, campus, alice, rob, clock())
    for written in ("1 元", "¥ 1"):  # the order form reads "50 元" as 50 yuan (ordering.said_amount)
        (reply,) = await chat.send("rob", f"/withdraw {written}")
        assert reply.key == "runner-withdraw-requested", (written, reply.text)
        await paid_out(chat, db)
    (asked,) = await chat.send("rob", "/withdraw")
    (reply,) = await chat.send("rob", asked.flat_choices()[1].label)  # typing "Cancel"
    assert reply.key == "runner-withdraw-cancelled", reply.text


async def test_the_withdraw_question_takes_the_typed_all_label_as_its_button(chat, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    await complete(db, campus, alice, rob, clock())
    (asked,) = await chat.send("rob", "/withdraw")
    all_label = asked.flat_choices()[0].label
    (reply,) = await chat.send("rob", all_label.upper())
    assert reply.key == "runner-withdraw-requested", reply.text
