"""Dispatch: who may take an order, what a pair costs, and the batch of offers a dispatch round makes.

Numbers come from the demo campus file, so the tests follow its rules when an operator changes them.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

import core.dispatch as dispatch
from bot.campus_file import load_campus
from core.campus import Building, Gender
from core.dispatch import (
    Assignment,
    OrderCandidate,
    RunnerCandidate,
    active_order_limit,
    assign,
    assign_greedy,
    check_eligible,
    cost_matrix,
    delivery_point,
    ineligibility,
    pair_cost,
    preferred,
    runner_ineligibility,
    total_cost,
)
from core.errors import NotEligible

CAMPUS = load_campus(Path(__file__).resolve().parents[2] / "campus" / "demo.yaml")
CREDIT = CAMPUS.credit
LIMITS = CAMPUS.runners
WEIGHTS = CAMPUS.dispatch.weights
M_PER_DEG_LAT = 111_195.0  # great-circle metres per degree of latitude on the campus's Earth radius


def gendered_dorm(gender: Gender) -> Building:
    return next(b for b in CAMPUS.buildings if b.kind.value == "dorm" and b.gender is gender)


def open_building() -> Building:
    """A building anyone may enter (the pickup of the standard order)."""
    return next(b for b in CAMPUS.buildings if b.gender is None and b.kind.value == "canteen")


FEMALE_DORM = gendered_dorm(Gender.female)
MALE_DORM = gendered_dorm(Gender.male)
OPEN_DORM = next((b for b in CAMPUS.buildings if b.kind.value == "dorm" and b.gender is None), open_building())
PICKUP = open_building()
GOOD_CREDIT = max(CREDIT.initial, CREDIT.thresholds.restricted)


def runner(**changes: object) -> RunnerCandidate:
    """A runner who may take the standard order: approved, good credit, nothing carried, standing at the pickup."""
    base = RunnerCandidate(
        user_id=1, gender=Gender.male, lat=PICKUP.lat, lon=PICKUP.lon, active_orders=0, credit=GOOD_CREDIT, rating=None,
        campus_id=CAMPUS.id,
    )
    return dataclasses.replace(base, **changes)


def order(**changes: object) -> OrderCandidate:
    base = OrderCandidate(
        order_id=100, customer_id=2, pickup_lat=PICKUP.lat, pickup_lon=PICKUP.lon, dropoff=FEMALE_DORM
    )
    return dataclasses.replace(base, **changes)


def north_of(b: Building, metres: float) -> tuple[float, float]:
    return b.lat + metres / M_PER_DEG_LAT, b.lon


# ------------------------------------------------------------------------------------------------ eligibility


def test_the_standard_runner_may_take_the_standard_order() -> None:
    assert ineligibility(CAMPUS, runner(), order()) is None
    check_eligible(CAMPUS, runner(), order())  # no exception


@pytest.mark.parametrize(
    ("runner_changes", "order_changes", "reason"),
    [
        ({"campus_id": "another-campus"}, {}, "not-eligible-other-campus"),
        ({"approved": False}, {}, "not-eligible-not-approved"),
        ({"suspended": True}, {}, "not-eligible-suspended"),
        ({"quiz_passed": False}, {}, "not-eligible-quiz"),
        ({"user_id": 2}, {"customer_id": 2}, "not-eligible-own-order"),
        ({"credit": CREDIT.grab_floor - 1}, {}, "not-eligible-credit"),
        ({"active_orders": LIMITS.max_active_orders}, {}, "not-eligible-too-many"),
        ({"active_orders": LIMITS.max_active_orders + 1}, {}, "not-eligible-too-many"),
        ({"gender": Gender.male}, {"gender_preference": Gender.female}, "not-eligible-gender-preference"),
        ({"gender": Gender.female}, {"gender_preference": Gender.male}, "not-eligible-gender-preference"),
        ({"gender": Gender.male}, {"dropoff": FEMALE_DORM, "door_delivery": True}, "not-eligible-dorm-gender"),
        ({"gender": Gender.female}, {"dropoff": MALE_DORM, "door_delivery": True}, "not-eligible-dorm-gender"),
    ],
)
def test_each_reason_names_the_runner_it_refuses(runner_changes: dict, order_changes: dict, reason: str) -> None:
    r, o = runner(**runner_changes), order(**order_changes)
    assert ineligibility(CAMPUS, r, o) == reason
    with pytest.raises(NotEligible) as caught:
        check_eligible(CAMPUS, r, o)
    assert caught.value.key == reason
    assert pair_cost(CAMPUS, r, o) is None


@pytest.mark.parametrize(
    ("runner_changes", "order_changes"),
    [
        ({"credit": CREDIT.grab_floor}, {}),  # at the floor is enough
        ({"active_orders": LIMITS.max_active_orders - 1}, {}),
        ({"gender": Gender.female}, {"gender_preference": Gender.female}),
        ({"gender": Gender.male}, {"dropoff": FEMALE_DORM, "door_delivery": False}),  # hands over at the gate
        ({"gender": Gender.female}, {"dropoff": FEMALE_DORM, "door_delivery": True}),
        ({"gender": Gender.male}, {"dropoff": MALE_DORM, "door_delivery": True}),
        ({"gender": Gender.male}, {"dropoff": OPEN_DORM, "door_delivery": True}),
        ({"gender": Gender.female}, {"dropoff": OPEN_DORM, "door_delivery": True}),
        ({"user_id": 7}, {"favourite_runner_id": 99}),  # a favourite elsewhere does not shut others out
        ({"rating": 1.0}, {}),  # a poor rating costs more, it does not forbid
    ],
)
def test_runners_within_the_rules_are_not_refused(runner_changes: dict, order_changes: dict) -> None:
    r, o = runner(**runner_changes), order(**order_changes)
    assert ineligibility(CAMPUS, r, o) is None
    assert pair_cost(CAMPUS, r, o) is not None


def test_reasons_are_reported_in_the_documented_order() -> None:
    """A runner failing everything hears the first reason; fixing it reveals the next one."""
    r = runner(
        user_id=2, gender=Gender.male, approved=False, suspended=True, quiz_passed=False,
        credit=CREDIT.grab_floor - 1, active_orders=LIMITS.max_active_orders,
    )
    o = order(customer_id=2, gender_preference=Gender.female, dropoff=FEMALE_DORM, door_delivery=True)
    fixes = [
        ("not-eligible-not-approved", lambda r, o: (dataclasses.replace(r, approved=True), o)),
        ("not-eligible-suspended", lambda r, o: (dataclasses.replace(r, suspended=False), o)),
        ("not-eligible-quiz", lambda r, o: (dataclasses.replace(r, quiz_passed=True), o)),
        ("not-eligible-own-order", lambda r, o: (dataclasses.replace(r, user_id=3), o)),
        ("not-eligible-credit", lambda r, o: (dataclasses.replace(r, credit=GOOD_CREDIT), o)),
        ("not-eligible-too-many", lambda r, o: (dataclasses.replace(r, active_orders=0), o)),
        ("not-eligible-gender-preference", lambda r, o: (r, dataclasses.replace(o, gender_preference=None))),
        ("not-eligible-dorm-gender", lambda r, o: (r, dataclasses.replace(o, door_delivery=False))),
    ]
    for expected, fix in fixes:
        assert ineligibility(CAMPUS, r, o) == expected
        r, o = fix(r, o)
    assert ineligibility(CAMPUS, r, o) is None


def test_a_runners_own_reasons_hold_whatever_the_order() -> None:
    """runner_ineligibility: the reasons of ineligibility that do not depend on the order, in the same order."""
    for changes, reason in [({"campus_id": "another-campus"}, "not-eligible-other-campus"),
                            ({"approved": False}, "not-eligible-not-approved"),
                            ({"suspended": True}, "not-eligible-suspended"),
                            ({"quiz_passed": False}, "not-eligible-quiz"),
                            ({"credit": CREDIT.grab_floor - 1}, "not-eligible-credit"),
                            ({"active_orders": LIMITS.max_active_orders}, "not-eligible-too-many"),
                            ({"approved": False, "credit": CREDIT.grab_floor - 1}, "not-eligible-not-approved")]:
        r = runner(**changes)
        assert runner_ineligibility(CAMPUS, r) == reason == ineligibility(CAMPUS, r, order())
    # What depends on the order is not theirs alone.
    assert runner_ineligibility(CAMPUS, runner(user_id=2, gender=Gender.male)) is None
    assert ineligibility(CAMPUS, runner(user_id=2), order(customer_id=2)) == "not-eligible-own-order"
    assert ineligibility(CAMPUS, runner(gender=Gender.male), order(gender_preference=Gender.female)) is not None


def test_a_restricted_runner_carries_fewer_orders() -> None:
    restricted = CREDIT.thresholds.restricted - 1
    assert restricted >= CREDIT.grab_floor, "demo campus: a restricted runner may still grab"
    assert LIMITS.restricted_max_active_orders < LIMITS.max_active_orders
    assert active_order_limit(CAMPUS, restricted) == LIMITS.restricted_max_active_orders
    assert active_order_limit(CAMPUS, CREDIT.thresholds.restricted) == LIMITS.max_active_orders
    assert active_order_limit(CAMPUS, CREDIT.maximum) == LIMITS.max_active_orders

    carrying = LIMITS.restricted_max_active_orders
    assert ineligibility(CAMPUS, runner(credit=restricted, active_orders=carrying), order()) == "not-eligible-too-many"
    assert ineligibility(CAMPUS, runner(credit=restricted, active_orders=carrying - 1), order()) is None
    # The same load is fine once the credit is back at the threshold.
    assert ineligibility(CAMPUS, runner(credit=CREDIT.thresholds.restricted, active_orders=carrying), order()) is None


def test_a_campus_file_cannot_let_restricted_runners_be_offered_more_than_anyone_carries() -> None:
    # The file sets the restricted limit above the normal one: the grab holds them to the normal one, and so must
    # the batch, or it offers an order the runner's Accept will refuse.
    lax = CAMPUS.model_copy(update={"runners": LIMITS.model_copy(update={"restricted_max_active_orders":
                                                                        LIMITS.max_active_orders + 2})})
    full = runner(credit=CREDIT.thresholds.restricted - 1, active_orders=LIMITS.max_active_orders)
    assert ineligibility(lax, full, order()) == "not-eligible-too-many"
    assert cost_matrix(lax, [order()], [full])[0, 0] == np.inf
    assert assign(lax, [order()], [full]) == []


# ------------------------------------------------------------------------------------------------ delivery point


def test_a_male_runner_hands_over_at_the_female_dorms_transfer_point() -> None:
    point = delivery_point(CAMPUS, FEMALE_DORM, Gender.male)
    assert point.id == FEMALE_DORM.transfer_point
    assert point.gender is None


def test_the_others_deliver_to_the_building_itself() -> None:
    assert delivery_point(CAMPUS, FEMALE_DORM, Gender.female) == FEMALE_DORM
    assert delivery_point(CAMPUS, MALE_DORM, Gender.male) == MALE_DORM
    assert delivery_point(CAMPUS, MALE_DORM, Gender.female).id == MALE_DORM.transfer_point
    assert delivery_point(CAMPUS, OPEN_DORM, Gender.male) == OPEN_DORM
    assert delivery_point(CAMPUS, PICKUP, Gender.female) == PICKUP


# ------------------------------------------------------------------------------------------------ cost


def test_a_runner_at_the_pickup_pays_only_for_load_credit_and_rating() -> None:
    r = runner(active_orders=1, credit=CREDIT.maximum - 10, rating=4.0)
    expected = WEIGHTS.per_active_order_m * 1 + WEIGHTS.per_credit_point_below_max_m * 10 + WEIGHTS.per_rating_star_below_5_m
    assert pair_cost(CAMPUS, r, order()) == pytest.approx(expected)
    # No rating yet counts as five stars; a perfect runner at the pickup costs nothing.
    assert pair_cost(CAMPUS, runner(credit=CREDIT.maximum, rating=None), order()) == 0
    assert pair_cost(CAMPUS, runner(credit=CREDIT.maximum, rating=5.0), order()) == 0


def test_walking_distance_uses_the_campus_detour() -> None:
    lat, lon = north_of(PICKUP, 200)
    cost = pair_cost(CAMPUS, runner(lat=lat, lon=lon, credit=CREDIT.maximum), order())
    assert cost == pytest.approx(200 * CAMPUS.walking_detour, rel=2e-3)


def test_nearer_and_better_runners_cost_less() -> None:
    near, far = north_of(PICKUP, 100), north_of(PICKUP, 400)
    base = dict(credit=GOOD_CREDIT, rating=4.5)
    c_near = pair_cost(CAMPUS, runner(lat=near[0], lon=near[1], **base), order())
    c_far = pair_cost(CAMPUS, runner(lat=far[0], lon=far[1], **base), order())
    assert c_near < c_far
    assert pair_cost(CAMPUS, runner(active_orders=1), order()) > pair_cost(CAMPUS, runner(active_orders=0), order())
    assert pair_cost(CAMPUS, runner(credit=GOOD_CREDIT - 5), order()) > pair_cost(CAMPUS, runner(), order())
    assert pair_cost(CAMPUS, runner(rating=3.0), order()) > pair_cost(CAMPUS, runner(rating=4.0), order())


def test_a_runner_beyond_the_pickup_radius_is_not_offered() -> None:
    limit_geodesic = WEIGHTS.max_pickup_distance_m / CAMPUS.walking_detour
    inside, outside = north_of(PICKUP, limit_geodesic * 0.98), north_of(PICKUP, limit_geodesic * 1.02)
    assert pair_cost(CAMPUS, runner(lat=inside[0], lon=inside[1]), order()) is not None
    assert pair_cost(CAMPUS, runner(lat=outside[0], lon=outside[1]), order()) is None
    m = cost_matrix(CAMPUS, [order()], [runner(lat=outside[0], lon=outside[1])])
    assert m.shape == (1, 1) and m[0, 0] == np.inf


def test_a_runner_whose_position_is_unknown_is_offered_nothing_by_distance() -> None:
    """Even on a campus around (0, 0): an unknown position is no point at all."""
    unknown = runner(user_id=7, lat=None, lon=None)
    assert ineligibility(CAMPUS, unknown, order()) is None  # they may still grab it themselves
    assert pair_cost(CAMPUS, unknown, order()) is None
    at_zero = order(pickup_lat=0.0, pickup_lon=0.0)
    assert pair_cost(CAMPUS, unknown, at_zero) is None
    assert cost_matrix(CAMPUS, [order(), at_zero], [unknown, runner()])[:, 0].tolist() == [np.inf, np.inf]
    assert [(a.order_id, a.runner_id) for a in assign(CAMPUS, [order()], [unknown, runner()])] == [(100, 1)]
    assert assign(CAMPUS, [at_zero], [unknown]) == assign_greedy(CAMPUS, [at_zero], [unknown]) == []


def test_cost_matrix_shape_and_empty_inputs() -> None:
    assert cost_matrix(CAMPUS, [], [runner()]).shape == (0, 1)
    assert cost_matrix(CAMPUS, [order()], []).shape == (1, 0)
    assert assign(CAMPUS, [], [runner()]) == []
    assert assign(CAMPUS, [order()], []) == []
    assert assign_greedy(CAMPUS, [], []) == []


# ------------------------------------------------------------------------------------------------ random instances

LAT0 = min(b.lat for b in CAMPUS.buildings)
LAT1 = max(b.lat for b in CAMPUS.buildings)
LON0 = min(b.lon for b in CAMPUS.buildings)
LON1 = max(b.lon for b in CAMPUS.buildings)
# Reach past the campus far enough that some runners are beyond the pickup radius.
MARGIN = 1.2 * WEIGHTS.max_pickup_distance_m / M_PER_DEG_LAT

mostly = st.sampled_from([True] * 6 + [False])
rarely = st.sampled_from([False] * 6 + [True])
genders = st.sampled_from(list(Gender))


@st.composite
def runners_st(draw: st.DrawFn, max_size: int, min_size: int = 0) -> list[RunnerCandidate]:
    n = draw(st.integers(min_value=min_size, max_value=max_size))
    out = []
    for i in range(n):
        far = draw(rarely)
        spread = MARGIN if far else 0.0
        out.append(
            RunnerCandidate(
                user_id=i + 1,
                gender=draw(genders),
                lat=draw(st.floats(LAT0 - spread, LAT1 + spread)),
                lon=draw(st.floats(LON0 - spread, LON1 + spread)),
                active_orders=draw(st.integers(0, LIMITS.max_active_orders)),
                credit=draw(
                    st.integers(CREDIT.grab_floor, CREDIT.maximum)
                    | st.integers(CREDIT.grab_floor, CREDIT.maximum)
                    | st.integers(CREDIT.minimum, CREDIT.maximum)
                    | st.sampled_from([CREDIT.grab_floor, CREDIT.thresholds.restricted - 1, CREDIT.maximum])
                ),
                rating=draw(st.none() | st.floats(1.0, 5.0)),
                campus_id=CAMPUS.id,
                approved=draw(mostly),
                suspended=draw(rarely),
                quiz_passed=draw(mostly),
            )
        )
    return out


@st.composite
def orders_st(draw: st.DrawFn, max_size: int, max_customer: int, min_size: int = 0) -> list[OrderCandidate]:
    n = draw(st.integers(min_value=min_size, max_value=max_size))
    out = []
    jitter = 30 / M_PER_DEG_LAT
    for k in range(n):
        pickup = draw(st.sampled_from(CAMPUS.buildings))
        out.append(
            OrderCandidate(
                order_id=500 + k,
                customer_id=draw(st.integers(1, max_customer)),  # sometimes one of the runners: own order
                pickup_lat=pickup.lat + draw(st.floats(-jitter, jitter)),
                pickup_lon=pickup.lon + draw(st.floats(-jitter, jitter)),
                dropoff=draw(st.sampled_from(CAMPUS.buildings)),
                door_delivery=draw(st.booleans()),
                gender_preference=draw(st.none() | st.none() | genders),
            )
        )
    return out


def reference_matrix(orders: list[OrderCandidate], runners: list[RunnerCandidate]) -> list[list[float | None]]:
    return [[pair_cost(CAMPUS, r, o) for r in runners] for o in orders]


def check_batch(batch: list[Assignment], orders: list[OrderCandidate], runners: list[RunnerCandidate]) -> None:
    """One runner per order, one order per runner, only allowed pairs, at their true cost, in the orders' order."""
    by_order = {o.order_id: o for o in orders}
    by_runner = {r.user_id: r for r in runners}
    order_ids = [a.order_id for a in batch]
    runner_ids = [a.runner_id for a in batch]
    assert len(set(order_ids)) == len(order_ids)
    assert len(set(runner_ids)) == len(runner_ids)
    position = {o.order_id: i for i, o in enumerate(orders)}
    assert [position[i] for i in order_ids] == sorted(position[i] for i in order_ids)
    for a in batch:
        o, r = by_order[a.order_id], by_runner[a.runner_id]
        assert ineligibility(CAMPUS, r, o) is None
        assert a.cost == pair_cost(CAMPUS, r, o)


def brute_force(matrix: list[list[float | None]], preferred: list[bool]) -> tuple[int, int, float]:
    """Most pairs, then most pairs with a priority runner, then least cost, over every way of matching orders to
    distinct runners."""
    best = (0, 0, 0.0)
    n_orders = len(matrix)

    def walk(i: int, used: frozenset[int], count: int, first: int, cost: float) -> None:
        nonlocal best
        if i == n_orders:
            if (count, first, -cost) > (best[0], best[1], -best[2]):
                best = (count, first, cost)
            return
        walk(i + 1, used, count, first, cost)
        for j, c in enumerate(matrix[i]):
            if c is not None and j not in used:
                walk(i + 1, used | {j}, count + 1, first + preferred[j], cost + c)

    walk(0, frozenset(), 0, 0, 0.0)
    return best


def served_first(batch: list[Assignment], runners: list[RunnerCandidate]) -> int:
    """How many of the batch's orders go to a runner in the priority standing."""
    by_runner = {r.user_id: r for r in runners}
    return sum(preferred(CAMPUS, by_runner[a.runner_id]) for a in batch)


def no_worse(batch: list[Assignment], other: list[Assignment], runners: list[RunnerCandidate]) -> bool:
    """`batch` serves as many orders as `other`, then as many with priority runners, then costs no more."""
    if len(batch) != len(other):
        return len(batch) > len(other)
    if served_first(batch, runners) != served_first(other, runners):
        return served_first(batch, runners) > served_first(other, runners)
    return total_cost(batch) <= total_cost(other) + 1e-6


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runners_st(max_size=12), orders_st(max_size=12, max_customer=15))
def test_cost_matrix_equals_pair_cost_for_every_pair(runners: list[RunnerCandidate], orders: list[OrderCandidate]) -> None:
    matrix = cost_matrix(CAMPUS, orders, runners)
    assert matrix.shape == (len(orders), len(runners))
    for i, row in enumerate(reference_matrix(orders, runners)):
        for j, expected in enumerate(row):
            if expected is None:
                assert matrix[i, j] == np.inf
            else:
                assert matrix[i, j] == expected  # exactly, not approximately


def test_cost_matrix_equals_pair_cost_on_a_large_instance() -> None:
    rng = np.random.default_rng(7)
    runners = [
        runner(
            user_id=i, gender=list(Gender)[i % 2], lat=float(rng.uniform(LAT0, LAT1)), lon=float(rng.uniform(LON0, LON1)),
            active_orders=int(rng.integers(0, LIMITS.max_active_orders + 1)),
            credit=int(rng.integers(CREDIT.minimum, CREDIT.maximum + 1)),
            rating=None if i % 5 == 0 else float(rng.uniform(1, 5)),
        )
        for i in range(1, 121)
    ]
    orders = [
        order(order_id=k, customer_id=int(rng.integers(1, 400)), pickup_lat=float(rng.uniform(LAT0, LAT1)),
              pickup_lon=float(rng.uniform(LON0, LON1)), dropoff=CAMPUS.buildings[k % len(CAMPUS.buildings)],
              door_delivery=bool(k % 3 == 0), gender_preference=[None, None, Gender.male, Gender.female][k % 4])
        for k in range(90)
    ]
    matrix = cost_matrix(CAMPUS, orders, runners)
    reference = np.array([[np.inf if c is None else c for c in row] for row in reference_matrix(orders, runners)])
    assert np.array_equal(matrix, reference)
    assert np.isfinite(matrix).any() and not np.isfinite(matrix).all()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runners_st(max_size=6, min_size=1), orders_st(max_size=6, max_customer=8, min_size=1))
def test_assign_is_optimal_on_tiny_instances(runners: list[RunnerCandidate], orders: list[OrderCandidate]) -> None:
    batch = assign(CAMPUS, orders, runners)
    check_batch(batch, orders, runners)
    most, first, least = brute_force(reference_matrix(orders, runners), [preferred(CAMPUS, r) for r in runners])
    assert len(batch) == most
    assert served_first(batch, runners) == first
    assert total_cost(batch) == pytest.approx(least, rel=1e-9, abs=1e-6)

    greedy = assign_greedy(CAMPUS, orders, runners)
    check_batch(greedy, orders, runners)
    assert no_worse(batch, greedy, runners)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(runners_st(max_size=40), orders_st(max_size=40, max_customer=50))
def test_assign_serves_as_many_orders_as_possible(runners: list[RunnerCandidate], orders: list[OrderCandidate]) -> None:
    batch = assign(CAMPUS, orders, runners)
    check_batch(batch, orders, runners)
    allowed = np.isfinite(cost_matrix(CAMPUS, orders, runners))
    if allowed.size:
        matched = maximum_bipartite_matching(csr_matrix(allowed.astype(np.int8)), perm_type="column")
        assert len(batch) == int((matched >= 0).sum())
    else:
        assert batch == []
    greedy = assign_greedy(CAMPUS, orders, runners)
    check_batch(greedy, orders, runners)
    assert no_worse(batch, greedy, runners)


# ------------------------------------------------------------------------------------------------ behaviour


def test_the_batch_avoids_the_greedy_trap() -> None:
    """Order A grabbing the runner nearest to it would leave order B with a far runner; the batch swaps them."""
    a_lat, a_lon = north_of(PICKUP, 0)
    b_lat, b_lon = north_of(PICKUP, 300)
    orders = [order(order_id=1, pickup_lat=a_lat, pickup_lon=a_lon), order(order_id=2, pickup_lat=b_lat, pickup_lon=b_lon)]
    middle = north_of(PICKUP, 200)  # 200 m from A, 100 m from B
    south = north_of(PICKUP, -300)  # 300 m from A, 600 m from B
    runners = [runner(user_id=10, lat=middle[0], lon=middle[1]), runner(user_id=11, lat=south[0], lon=south[1])]

    greedy = {a.order_id: a.runner_id for a in assign_greedy(CAMPUS, orders, runners)}
    best = {a.order_id: a.runner_id for a in assign(CAMPUS, orders, runners)}
    assert greedy == {1: 10, 2: 11}
    assert best == {1: 11, 2: 10}
    assert total_cost(assign(CAMPUS, orders, runners)) < total_cost(assign_greedy(CAMPUS, orders, runners))


def test_the_batch_serves_an_order_greedy_would_leave_waiting() -> None:
    """Only the female runner may take order B; the batch gives A to the male runner so both are served."""
    orders = [order(order_id=1), order(order_id=2, gender_preference=Gender.female)]
    far = north_of(PICKUP, 500)
    runners = [runner(user_id=10, gender=Gender.female), runner(user_id=11, gender=Gender.male, lat=far[0], lon=far[1])]
    assert [(a.order_id, a.runner_id) for a in assign_greedy(CAMPUS, orders, runners)] == [(1, 10)]
    assert [(a.order_id, a.runner_id) for a in assign(CAMPUS, orders, runners)] == [(1, 11), (2, 10)]


def test_each_runner_gets_at_most_one_new_order_per_round() -> None:
    orders = [order(order_id=k, customer_id=1000 + k) for k in range(5)]
    batch = assign(CAMPUS, orders, [runner(user_id=1), runner(user_id=2)])
    assert len(batch) == 2
    assert {a.runner_id for a in batch} == {1, 2}


def test_the_solver_failing_falls_back_to_the_greedy_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    def infeasible(*args: object, **kwargs: object) -> None:
        raise ValueError("cost matrix is infeasible")

    a_lat, a_lon = north_of(PICKUP, 0)
    b_lat, b_lon = north_of(PICKUP, 300)
    orders = [order(order_id=1, pickup_lat=a_lat, pickup_lon=a_lon), order(order_id=2, pickup_lat=b_lat, pickup_lon=b_lon)]
    middle, south = north_of(PICKUP, 200), north_of(PICKUP, -300)
    runners = [runner(user_id=10, lat=middle[0], lon=middle[1]), runner(user_id=11, lat=south[0], lon=south[1])]

    monkeypatch.setattr(dispatch, "linear_sum_assignment", infeasible)
    fallback = assign(CAMPUS, orders, runners)
    assert fallback == assign_greedy(CAMPUS, orders, runners)
    check_batch(fallback, orders, runners)
    assert len(fallback) == 2


def test_a_batch_where_nobody_may_take_anything_is_empty() -> None:
    orders = [order(order_id=1, gender_preference=Gender.female)]
    assert assign(CAMPUS, orders, [runner(gender=Gender.male), runner(user_id=3, approved=False)]) == []
    assert not math.isfinite(cost_matrix(CAMPUS, orders, [runner(gender=Gender.male)])[0, 0])


# ------------------------------------------------------------------------------------------------ priority standing

PRIORITY = CREDIT.thresholds.priority


def test_priority_is_the_standing_at_or_above_its_threshold() -> None:
    assert preferred(CAMPUS, runner(credit=PRIORITY)) and preferred(CAMPUS, runner(credit=CREDIT.maximum))
    assert not preferred(CAMPUS, runner(credit=PRIORITY - 1))


def test_a_priority_runner_within_reach_is_offered_the_order_before_a_nearer_one() -> None:
    # Before, the priority standing counted only as a few credit points of cost: the nearer runner won.
    far = north_of(PICKUP, 600)
    near = runner(user_id=10, credit=PRIORITY - 1)
    first = runner(user_id=11, credit=PRIORITY, lat=far[0], lon=far[1])
    assert pair_cost(CAMPUS, near, order()) < pair_cost(CAMPUS, first, order())  # costs stay what they are
    for pick in (assign, assign_greedy):
        (chosen,) = pick(CAMPUS, [order()], [near, first])
        assert (chosen.runner_id, chosen.cost) == (11, pair_cost(CAMPUS, first, order()))


def test_among_priority_runners_the_cheapest_is_offered_the_order() -> None:
    far, farther = north_of(PICKUP, 300), north_of(PICKUP, 900)
    runners = [runner(user_id=10, credit=PRIORITY, lat=farther[0], lon=farther[1]), runner(user_id=12),
               runner(user_id=11, credit=PRIORITY, lat=far[0], lon=far[1])]
    for pick in (assign, assign_greedy):
        assert [a.runner_id for a in pick(CAMPUS, [order()], runners)] == [11]


@pytest.mark.parametrize("changes", [
    {"lat": north_of(PICKUP, 1.05 * WEIGHTS.max_pickup_distance_m / CAMPUS.walking_detour)[0]},  # out of reach
    {"lat": None, "lon": None},  # position unknown
    {"gender": Gender.female},  # the student asked for a male runner
    {"active_orders": LIMITS.max_active_orders},  # no room
])
def test_a_priority_runner_who_may_not_be_offered_the_order_leaves_it_to_the_others(changes: dict) -> None:
    runners = [runner(user_id=10), runner(user_id=11, credit=PRIORITY, **changes)]
    for pick in (assign, assign_greedy):
        assert [a.runner_id for a in pick(CAMPUS, [order(gender_preference=Gender.male)], runners)] == [10]


def test_the_preference_never_leaves_an_order_waiting() -> None:
    """The priority runner is the only one who may take B: A goes to the other runner, so both are served."""
    orders = [order(order_id=1), order(order_id=2, gender_preference=Gender.female)]
    runners = [runner(user_id=10, gender=Gender.male), runner(user_id=11, gender=Gender.female, credit=PRIORITY)]
    assert [(a.order_id, a.runner_id) for a in assign(CAMPUS, orders, runners)] == [(1, 10), (2, 11)]
    # Alone, A would be theirs.
    assert [a.runner_id for a in assign(CAMPUS, orders[:1], runners)] == [11]
