"""The runner's trip as the runner reads it: the deadline that costs them credit is said, answers to questions the
trip overtook tell the truth, and a late delivery costs the same however the order ends."""
from __future__ import annotations

import datetime as dt

import pytest

from core.campus import CreditEvent, Gender
from core.order import Actor, Event, Role
from tests.factories import top_up
from tests.handlers.harness import keys
from tests.handlers.test_admin import OP, operator
from tests.handlers.test_goods_extra import EXTRA, asked_the_difference
from tests.handlers.test_ordering import PARCEL_TO_MY_ROOM, answer_all, funded, orders_of
from tests.handlers.test_runner import act_notified, order_row, person, profile_of, runner, won_order


async def test_a_late_delivery_costs_the_same_credit_when_the_student_reported_it(chat, services, db, campus, clock):
    await operator(chat)
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    order_id = await won_order(chat, services, alice, "rob")
    assert keys(await chat.send("rob", f"/picked {order_id}")) == ["runner-picked-up"]
    clock.advance(minutes=campus.timeouts.deliver_minutes + 10)
    assert keys(await chat.send("rob", f"/delivered {order_id}")) == ["runner-delivered"]
    assert keys(await chat.send("alice", f"/complain {order_id} over an hour late")) == ["track-complaint-recorded"]
    assert keys(await chat.send(OP, f"/resolve {order_id} complete")) == ["admin-resolved"]
    rules = campus.credit.changes
    expected = campus.credit.initial + rules[CreditEvent.completed] + rules[CreditEvent.late_delivery]
    assert (await profile_of(db, rob)).credit == expected  # before: 101, better off than if she had confirmed


async def test_the_winner_is_told_by_when_to_pick_up_and_then_to_deliver(chat, services, db, campus, clock):
    # Before: "When: between 18:00 and 20:00", and at 18:30 the order was gone with 10 credit points.
    alice = await funded(chat, services, "alice", 5000)
    await runner(db, campus, clock(), "rob", gender=Gender.female)
    await chat.send("alice", "/order")
    answers = list(PARCEL_TO_MY_ROOM)
    answers[answers.index("now")] = "18:00-20:00"
    await answer_all(chat, "alice", [*answers, "Confirm"])
    assert keys(await chat.press("alice", "Pay with wallet")) == ["wallet-paid"]
    [order] = await orders_of(services, alice)
    assert keys(await chat.press("rob", f"data:g:{order.id}", chat=f"hall:{campus.id}"))[0] == "grab-won"
    (details,) = [m["text"] for m in await chat.inbox("rob") if m["key"] == "notice-you-won"]
    assert ("Pick up by 18:30: past it the order goes back to the hall, and your credit drops."
            in details.splitlines())
    clock.advance(hours=8)  # 18:00
    await chat.send("rob", f"/picked {order.id}")
    (card,) = await chat.send("rob", f"/track {order.id}")
    assert "Deliver by 20:00." in card.text.splitlines()


async def test_a_cost_question_the_students_payment_settled_says_so(chat, services, db, campus, clock):
    order_id = await asked_the_difference(chat, services, db, campus, clock)
    asked = await chat.press("rob", "Delivered")
    assert keys(asked) == ["runner-ask-spent-extra"]
    drop = asked[0].choices[0][0].data
    alice = (await order_row(db, order_id)).customer_id
    await top_up(db, alice, 2000, clock())
    assert keys(await chat.press("alice", f"data:extra:{order_id}:{EXTRA}")) == ["extra-paid"]
    (said,) = await chat.press("rob", "data:" + drop)
    assert said.key == "runner-spent-settled"  # before: "no longer on its way with you", of an order still his
    assert f"o:{order_id}:deliver" in [c.data for c in said.flat_choices()]


async def test_keeping_an_order_the_student_cancelled_meanwhile_is_not_said_to_keep_it(
        chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    order_id = await won_order(chat, services, alice, "rob")
    assert keys(await chat.press("rob", "Release")) == ["runner-release-confirm"]
    await act_notified(services, order_id, Event.cancel, Actor(Role.customer, alice))
    (said,) = await chat.press("rob", "No, keep it")
    assert said.key == "error-illegal-transition" and "cancelled" in said.text


@pytest.mark.parametrize("ending", ["cancelled by the service", "reported by the student"])
async def test_the_pickup_photo_step_does_not_outlive_the_trip(chat, services, db, campus, clock, ending):
    await operator(chat)
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    order_id = await won_order(chat, services, alice, "rob")
    picked = await chat.press("rob", "Picked up")
    no_photo = picked[0].choices[0][0].data
    if ending == "cancelled by the service":
        assert keys(await chat.send(OP, f"/cancelorder {order_id} student gone")) == ["admin-order-cancelled"]
    else:
        assert keys(await chat.send("alice", f"/complain {order_id} where is it")) == ["track-complaint-recorded"]
    await chat.inbox("rob")
    (said,) = await chat.press("rob", "data:" + no_photo)
    assert said.key == "runner-trip-over" and f"o:{order_id}:deliver" not in [c.data for c in said.flat_choices()]
    assert keys(await chat.send("rob", "hello"))[0] != "runner-photo-ask"  # the step is over


async def test_the_release_question_states_the_penalty_the_release_takes_below_a_raised_minimum(
        chat, services, db, campus, clock):
    # A campus file raised the minimum to 50 under a runner at 45: the release takes nothing (credit.moved).
    raised = campus.model_copy(update={"credit": campus.credit.model_copy(update={"minimum": 50, "grab_floor": 50})})
    services.campuses[campus.id] = raised
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    order_id = await won_order(chat, services, alice, "rob")
    from sqlalchemy import update

    from storage.models import RunnerProfile
    from storage.uow import UnitOfWork
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(RunnerProfile).where(RunnerProfile.user_id == rob).values(credit=45))
    (asked,) = await chat.press("rob", "Release")
    assert asked.text.endswith("your credit score stays at 45, the lowest it goes.")  # before: "drops by 5"
    await chat.press("rob", "Yes, release it")
    assert (await profile_of(db, rob)).credit == 45 and (await order_row(db, order_id)).status == "open"


async def test_a_runner_suspended_before_their_grab_wrote_is_refused_the_slot(db, campus, clock):
    from sqlalchemy import update

    from core.errors import NotEligible
    from storage.models import RunnerProfile
    from storage.uow import UnitOfWork
    rob = await runner(db, campus, clock(), "rob")
    async with UnitOfWork(db) as uow:  # as /suspend commits between the grab's read of the runner and its write
        await uow.session.execute(update(RunnerProfile).where(RunnerProfile.user_id == rob).values(suspended=True))
    with pytest.raises(NotEligible) as refused:
        async with UnitOfWork(db) as uow:
            await uow.runners.take_slot(rob, 3)
    assert refused.value.key == "not-eligible-suspended"


async def test_a_runners_track_card_carries_the_trips_buttons(chat, services, db, campus, clock):
    # Before: /orders lists the orders carried so the details message need not be scrolled to, but the card it
    # opened offered no Picked up, Release or Delivered.
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    order_id = await won_order(chat, services, alice, "rob")
    (card,) = await chat.send("rob", f"/track {order_id}")
    assert {f"o:{order_id}:pickup:card", f"o:{order_id}:release"} <= {c.data for c in card.flat_choices()}
    assert keys(await chat.press("rob", f"data:o:{order_id}:pickup"))[0] == "runner-picked-up"
    (card,) = await chat.send("rob", f"/track {order_id}")
    assert f"o:{order_id}:deliver" in [c.data for c in card.flat_choices()]
    assert f"o:{order_id}:pickup" not in [c.data for c in card.flat_choices()]
    assert keys(await chat.press("rob", f"data:o:{order_id}:deliver"))[0] == "runner-delivered"
    (card,) = await chat.send("rob", f"/track {order_id}")
    assert f"o:{order_id}:deliver" not in [c.data for c in card.flat_choices()]


@pytest.mark.parametrize("later", [dt.timedelta(minutes=5), dt.timedelta(milliseconds=400)])  # within the second too
async def test_a_release_question_left_from_an_earlier_taking_does_not_release_the_order_taken_again(
        chat, services, db, campus, clock, later):
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    order_id = await won_order(chat, services, alice, "rob")
    (old_question,) = await chat.press("rob", "Release")
    old_yes = old_question.flat_choices()[0].data
    await act_notified(services, order_id, Event.release, Actor(Role.runner, rob))  # from another message
    clock.advance(seconds=later.total_seconds())
    assert keys(await chat.press("rob", f"data:g:{order_id}", chat=f"hall:{campus.id}"))[0] == "grab-won"
    assert keys(await chat.press("rob", f"data:{old_yes}")) == ["error-stale-choice"]
    assert (await order_row(db, order_id)).runner_id == rob  # still his: before, released with a second penalty
    (question,) = await chat.press("rob", f"data:o:{order_id}:release")
    assert keys(await chat.press("rob", f"data:{question.flat_choices()[0].data}")) == ["runner-released"]


async def test_a_pickup_timeout_below_the_grab_floor_ends_the_order_offered_to_that_runner(
        chat, services, db, campus, clock):
    # Before: held for them until the offer lapsed, though their Accept would be refused.
    from handlers.sweep import sweep
    from tests.handlers.test_runner import paid_order
    # Restricted runners (below 70) may carry two here, so one carrying an order has room for an offer.
    services.campuses[campus.id] = campus.model_copy(update={"runners": campus.runners.model_copy(
        update={"restricted_max_active_orders": 2})})
    alice = await person(db, campus, clock(), "alice")
    fay = await runner(db, campus, clock(), "fay", credit=65)  # the grab floor is 60; a timeout costs 10
    await runner(db, campus, clock(), "otto")
    taken = await won_order(chat, services, alice, "fay")
    clock.advance(minutes=campus.timeouts.pickup_minutes, seconds=-30)
    offered = await paid_order(services, alice, favourite=fay)
    assert (await order_row(db, offered)).offer_runner_id == fay
    clock.advance(seconds=31)  # the pickup deadline passed; the offer has half a minute left
    await sweep(services, clock())
    assert (await order_row(db, taken)).status == "open" and (await profile_of(db, fay)).credit == 55
    assert (await order_row(db, offered)).offer_runner_id is None
    assert keys(await chat.press("otto", f"data:g:{offered}", chat=f"hall:{campus.id}"))[0] == "grab-won"


async def test_a_low_rating_below_the_grab_floor_ends_the_order_offered_to_that_runner(
        chat, services, db, campus, clock):
    from tests.handlers.test_runner import paid_order
    alice = await person(db, campus, clock(), "alice")
    fay = await runner(db, campus, clock(), "fay", credit=60)  # at the floor: a completion +2, one star -3
    done = await won_order(chat, services, alice, "fay")
    for event in (Event.pickup, Event.deliver):
        await act_notified(services, done, event, Actor(Role.runner, fay))
    await act_notified(services, done, Event.confirm, Actor(Role.customer, alice))
    offered = await paid_order(services, alice, favourite=fay)
    assert (await order_row(db, offered)).offer_runner_id == fay
    await chat.press("alice", f"data:o:{done}:rate")
    await chat.press("alice", "1★")
    await chat.press("alice", "Rude")
    await chat.press("alice", "Done")
    assert keys(await chat.press("alice", "Skip")) == ["track-rate-thanks"]
    assert (await profile_of(db, fay)).credit < campus.credit.grab_floor
    assert (await order_row(db, offered)).offer_runner_id is None
