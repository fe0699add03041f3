"""The grab race and the rules a runner must meet to grab."""
import asyncio

import pytest

from core.campus import Gender
from core.errors import NotEligible
from core.order import Actor, Event, Role
from storage.db import Database
from storage.grab import GrabService, settled
from storage.orders_repo import OrderRepository
from storage.uow import UnitOfWork
from tests.factories import act, make_order, make_runner, make_user


async def test_many_simultaneous_grabs_have_exactly_one_winner(db, campus, clock):
    alice = await make_user(db, campus, clock())
    runners = [await make_runner(db, campus, clock()) for _ in range(30)]
    order_id = await make_order(db, campus, alice, clock())
    grabs = GrabService(db, {campus.id: campus}, clock)
    results = await asyncio.gather(*(grabs.grab(order_id, r) for r in runners))
    winners = [r for r, res in zip(runners, results, strict=True) if res.won]
    assert len(winners) == 1
    assert {res.reason for res in results if not res.won} == {"grab-taken"}
    async with UnitOfWork(db, write=False) as uow:
        order = await uow.orders.get(order_id)
        history = [(e.event, e.runner_id) for e in await uow.orders.history(order_id)]
    assert order.runner_id == winners[0] and order.status.value == "accepted"
    assert history.count(("accept", winners[0])) == 1 and len(history) == 2


async def test_simultaneous_presses_wait_for_one_attempt_instead_of_each_opening_a_transaction(db, campus, clock):
    alice = await make_user(db, campus, clock())
    runners = [await make_runner(db, campus, clock()) for _ in range(30)]
    order_id = await make_order(db, campus, alice, clock())
    grabs = GrabService(db, {campus.id: campus}, clock)
    attempts = 0
    attempt = grabs._attempt

    async def counted(*args, **kwargs):
        nonlocal attempts
        attempts += 1
        return await attempt(*args, **kwargs)

    grabs._attempt = counted  # type: ignore[method-assign]
    results = await asyncio.gather(*(grabs.grab(order_id, r) for r in runners))
    assert sum(res.won for res in results) == 1
    assert attempts == 1  # the other 29 learnt "taken" from the winner's attempt


async def test_grabs_from_two_processes_have_one_winner(db, campus, clock):
    """Two engines with their own pools and coalescing, as two processes would have: the database decides."""
    other = Database(db.url.render_as_string(hide_password=False))
    try:
        alice = await make_user(db, campus, clock())
        runners = [await make_runner(db, campus, clock()) for _ in range(10)]
        order_id = await make_order(db, campus, alice, clock())
        a = GrabService(db, {campus.id: campus}, clock)
        b = GrabService(other, {campus.id: campus}, clock)
        results = await asyncio.gather(*((a if i % 2 else b).grab(order_id, r) for i, r in enumerate(runners)))
        assert sum(res.won for res in results) == 1
    finally:
        await other.dispose()


async def test_ineligible_grabber_does_not_block_an_eligible_one(db, campus, clock):
    alice = await make_user(db, campus, clock())
    pending = await make_runner(db, campus, clock(), approved=False)
    good = await make_runner(db, campus, clock())
    order_id = await make_order(db, campus, alice, clock())
    grabs = GrabService(db, {campus.id: campus}, clock)
    bad_result, good_result = await asyncio.gather(grabs.grab(order_id, pending), grabs.grab(order_id, good))
    assert bad_result.reason == "not-eligible-not-approved"
    assert good_result.won


@pytest.mark.parametrize(
    "runner_kwargs, order_kwargs, reason",
    [
        ({"campus_id": "another-campus"}, {}, "not-eligible-other-campus"),
        ({"approved": False}, {}, "not-eligible-not-approved"),
        ({"quiz": False}, {}, "not-eligible-quiz"),
        ({"credit": "below_floor"}, {}, "not-eligible-credit"),
        ({"active_orders": "at_limit"}, {}, "not-eligible-too-many"),
        ({"gender": Gender.male}, {"gender_preference": Gender.female}, "not-eligible-gender-preference"),
        ({"gender": Gender.male}, {"dropoff": "dorm_f1", "door_delivery": True}, "not-eligible-dorm-gender"),
    ],
)
async def test_campus_rules_stop_a_grab(db, campus, clock, runner_kwargs, order_kwargs, reason):
    if runner_kwargs.get("credit") == "below_floor":
        runner_kwargs["credit"] = campus.credit.grab_floor - 1
    if runner_kwargs.get("active_orders") == "at_limit":
        runner_kwargs["active_orders"] = campus.runners.max_active_orders
    alice = await make_user(db, campus, clock())
    runner = await make_runner(db, campus, clock(), **runner_kwargs)
    order_id = await make_order(db, campus, alice, clock(), **order_kwargs)
    result = await GrabService(db, {campus.id: campus}, clock).grab(order_id, runner)
    assert (result.won, result.reason) == (False, reason)
    async with UnitOfWork(db, write=False) as uow:
        assert (await uow.orders.get(order_id)).status.value == "open"


async def test_a_runner_may_not_grab_their_own_order(db, campus, clock):
    runner = await make_runner(db, campus, clock())
    order_id = await make_order(db, campus, runner, clock())
    result = await GrabService(db, {campus.id: campus}, clock).grab(order_id, runner)
    assert result.reason == "not-eligible-own-order"


async def test_concurrent_order_limit_holds_when_one_runner_grabs_many_at_once(db, campus, clock):
    """Eligibility is checked per order, but the limit itself is enforced by one conditional update."""
    alice = await make_user(db, campus, clock())
    limit = campus.runners.max_active_orders
    runner = await make_runner(db, campus, clock())
    orders = [await make_order(db, campus, alice, clock()) for _ in range(limit + 3)]
    grabs = GrabService(db, {campus.id: campus}, clock)
    results = await asyncio.gather(*(grabs.grab(o, runner) for o in orders))
    assert sum(r.won for r in results) == limit
    async with UnitOfWork(db, write=False) as uow:
        assert (await uow.runners.get(runner)).active_orders == limit


async def test_the_busy_count_holds_its_limit_and_the_profile_read_in_the_same_unit_shows_each_change(db, campus, clock):
    limit = campus.runners.max_active_orders
    runner = await make_runner(db, campus, clock(), active_orders=limit - 1)
    async with UnitOfWork(db) as uow:
        profile = await uow.runners.get(runner)
        await uow.runners.take_slot(runner, limit)
        assert profile.active_orders == limit  # no second read needed, and nothing left to write
        with pytest.raises(NotEligible):
            await uow.runners.take_slot(runner, limit)
        await uow.runners.change_load(runner, -1)
        assert profile.active_orders == limit - 1
        await uow.runners.change_load(runner, -limit - 5)  # never below zero
        assert profile.active_orders == 0
        await uow.runners.change_load(runner + 1000, 1)  # nobody there: nothing happens
    async with UnitOfWork(db, write=False) as uow:
        assert (await uow.runners.get(runner)).active_orders == 0


async def test_a_taken_order_reopened_can_be_grabbed_again(db, campus, clock):
    from core.order import Actor, Event, Role
    from tests.factories import act

    alice = await make_user(db, campus, clock())
    r1, r2 = await make_runner(db, campus, clock()), await make_runner(db, campus, clock())
    order_id = await make_order(db, campus, alice, clock())
    grabs = GrabService(db, {campus.id: campus}, clock)
    assert (await grabs.grab(order_id, r1)).won
    assert (await grabs.grab(order_id, r2)).reason == "grab-taken"
    await act(db, campus, order_id, Event.release, Actor(Role.runner, r1), clock())
    assert (await grabs.grab(order_id, r2)).won


@pytest.mark.parametrize(("status", "reason"), [
    ("accepted", "grab-already-yours"), ("picked_up", "grab-already-yours"), ("delivered", "grab-delivered-by-you"),
    ("completed", "grab-delivered-by-you"), ("exception", "grab-gone"), ("cancelled", "grab-gone"),
])
def test_a_press_on_ones_own_order_says_whether_one_still_carries_it(status, reason):
    assert settled(status, 7, 7).reason == reason
    assert settled(status, 8, 7).reason == "grab-taken"


async def test_a_grab_that_loses_to_the_students_cancellation_says_the_order_is_gone(db, campus, clock, monkeypatch):
    # The grab read the order open, then the student's cancellation committed before its write (another process):
    # before, the runner was told someone else had taken it.
    alice, runner = await make_user(db, campus, clock()), await make_runner(db, campus, clock())
    order_id = await make_order(db, campus, alice, clock())
    async with UnitOfWork(db, write=False) as uow:
        as_read = await uow.orders.get_row(order_id)
    await act(db, campus, order_id, Event.cancel, Actor(Role.customer, alice), clock())

    async def read_before_the_cancel(self, wanted):  # noqa: ANN001
        return as_read if wanted == order_id else await current(self, wanted)

    current = OrderRepository.get_row
    monkeypatch.setattr(OrderRepository, "get_row", read_before_the_cancel)
    result = await GrabService(db, {campus.id: campus}, clock).grab(order_id, runner)
    assert (result.won, result.reason) == (False, "grab-gone")
