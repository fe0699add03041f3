"""What people are told fits who they are and what happened: the student, the runner, each in their own words."""
from __future__ import annotations

from storage.uow import UnitOfWork
from tests.handlers.harness import keys
from tests.handlers.test_runner import person, runner


async def test_income_with_a_single_rating_says_1_rating_not_1_ratings(chat, db, campus, clock):
    await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    async with UnitOfWork(db) as uow:
        profile = await uow.runners.get(rob)
        profile.rating_sum, profile.rating_count = 5, 1
    (reply,) = await chat.send("rob", "/income")
    assert keys([reply]) == ["runner-income"]
    assert reply.text.endswith("Rating: 5.0 (1 rating)"), reply.text


async def test_the_runners_own_track_card_does_not_say_the_runner_asks_them_for_the_difference(
        chat, services, db, campus, clock):
    from storage.models import User
    from tests.handlers.test_goods_extra import asked_the_difference
    from tests.handlers.test_runner import order_row

    order_id = await asked_the_difference(chat, services, db, campus, clock)
    rob = (await order_row(db, order_id)).runner_id
    async with UnitOfWork(db) as uow:
        (await uow.session.get(User, rob)).language = "zh_CN"
    (card,) = await chat.send("rob", f"/track {order_id}")
    history = card.text.split("进度：")[1]
    # The runner asked the student; the runner's own card tells the runner "跑腿员请你补差价" (the runner asks YOU).
    assert "跑腿员请你补差价" not in history, history


async def test_an_order_offered_to_the_favourite_runner_is_not_said_to_be_in_the_task_hall(
        chat, services, db, campus, clock):
    from tests.handlers.test_runner import paid_order

    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    order_id = await paid_order(services, alice, favourite=rob)
    assert await chat.inbox("hall:demo") == []  # held for Rob: nothing in the hall yet
    told = [m["text"] for m in await chat.inbox("alice")]
    assert told[-1].startswith(f"Your order #{order_id} is offered to the runner you chose first")
    # ...yet the message just before it says the opposite:
    assert not any("is now in the task hall" in text for text in told), told


async def test_a_pickup_timeout_is_not_told_to_the_student_as_the_runner_giving_the_order_back(
        chat, services, db, campus, clock):
    from handlers.sweep import sweep
    from tests.handlers.test_runner import won_order

    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    order_id = await won_order(chat, services, alice, "rob")
    await chat.inbox("alice")
    report = await sweep(services, clock.advance(minutes=31))
    assert report.pickup_timeouts == 1
    (told,) = [m["text"] for m in await chat.inbox("alice")]
    # Rob never gave it back (he just did not turn up); the student's own /track history says
    # "Not picked up in time, back in the hall", but the notice says he gave it back.
    assert told != f"Your runner gave order #{order_id} back; it is in the task hall again.", told


async def test_the_runner_carrying_an_order_is_told_when_the_student_puts_it_on_hold(
        chat, services, db, campus, clock):
    from tests.handlers.test_runner import order_row, won_order

    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    order_id = await won_order(chat, services, alice, "rob")
    assert keys(await chat.press("rob", "Picked up")) == ["runner-picked-up"]
    await chat.inbox("rob")
    replies = await chat.send("alice", f"/complain {order_id} the runner is rude")
    assert replies[0].text.endswith("The order is on hold until then.")
    assert (await order_row(db, order_id)).status == "exception"
    # Rob, walking with the parcel, hears nothing; his details message still says "picked up" with Delivered.
    told = [m["text"] for m in await chat.inbox("rob")]
    assert any(f"#{order_id}" in text for text in told), told


async def test_the_student_meeting_at_the_entrance_is_told_where_a_runner_of_the_other_gender_hands_over(
        chat, services, db, campus, clock):
    from tests.handlers.test_runner import paid_order

    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")  # male; the order goes to Women's Dorm 3, to its entrance
    order_id = await paid_order(services, alice)
    await chat.inbox("alice")
    assert keys(await chat.press("rob", f"data:g:{order_id}", chat="hall:demo")) == ["grab-won"]
    (details,) = [m for m in await chat.inbox("rob") if m["key"] == "notice-you-won"]
    assert "hand over at West Dorms Gate" in details["text"]  # Rob goes to the gate, ~200 m away
    told = [m["text"] for m in await chat.inbox("alice")]
    (card,) = await chat.send("alice", f"/track {order_id}")
    # Alice asked to "meet the runner at the entrance" of her dorm and is never told he waits at the gate.
    assert any("West Dorms Gate" in text for text in [*told, card.text]), told


async def test_the_students_own_card_does_not_call_them_the_student(chat, services, db, campus, clock):
    from tests.handlers.test_goods_extra import asked_the_difference

    order_id = await asked_the_difference(chat, services, db, campus, clock)
    (card,) = await chat.send("alice", f"/track {order_id}")
    # Alice reads, on her own card: "...: the runner asks the student for the difference."
    assert "asks the student" not in card.text, card.text


async def test_the_student_is_told_when_their_runner_puts_the_order_on_hold(chat, services, db, campus, clock):
    from tests.handlers.test_runner import order_row, won_order
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    order_id = await won_order(chat, services, alice, "rob")
    await chat.inbox("alice")
    await chat.send("rob", f"/complain {order_id} the shop is closed")
    assert (await order_row(db, order_id)).status == "exception"
    told = [m["text"] for m in await chat.inbox("alice")]
    assert told == [f"Your runner reported a problem with order #{order_id}: it is on hold until an operator looks "
                    "at it."], told


async def test_a_runner_who_already_delivered_is_not_told_to_keep_what_they_carry(chat, services, db, campus, clock):
    from tests.handlers.test_runner import order_row, won_order
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    order_id = await won_order(chat, services, alice, "rob")
    assert keys(await chat.press("rob", "Picked up")) == ["runner-picked-up"]
    assert keys(await chat.press("rob", "Delivered")) == ["runner-delivered"]
    await chat.inbox("rob")
    await chat.send("alice", f"/complain {order_id} the box was crushed")
    assert (await order_row(db, order_id)).status == "exception"
    told = [m["text"] for m in await chat.inbox("rob") if m["key"] == "notice-on-hold"]
    assert told == [f"The student reported a problem with order #{order_id}: it is on hold until an operator looks "
                    "at it."]
