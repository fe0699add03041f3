"""Runner credit: every number comes from the campus file, so these tests read it from the demo campus."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.campus_file import load_campus
from core.campus import CreditEvent
from core.credit import Standing, adjust, apply, max_active_orders, may_grab, moved, rating_events, standing
from core.errors import InvalidInput

CAMPUS = load_campus(Path(__file__).resolve().parents[2] / "campus" / "demo.yaml")
RULES = CAMPUS.credit
T = RULES.thresholds

scores = st.integers(min_value=RULES.minimum, max_value=RULES.maximum)
events = st.sampled_from(list(CreditEvent))


def test_a_fresh_runner_is_in_normal_standing_and_may_grab() -> None:
    assert standing(RULES, RULES.initial) is Standing.normal
    assert may_grab(RULES, RULES.initial)
    assert max_active_orders(CAMPUS, RULES.initial) == CAMPUS.runners.max_active_orders


def test_credit_stops_at_the_maximum() -> None:
    gain = RULES.changes[CreditEvent.five_star]
    assert gain > 0
    near_top = RULES.maximum - gain + 1  # one more five-star rating would overshoot
    assert apply(RULES, near_top, CreditEvent.five_star) == RULES.maximum
    assert apply(RULES, RULES.maximum, CreditEvent.completed, times=50) == RULES.maximum


def test_credit_stops_at_the_minimum() -> None:
    loss = RULES.changes[CreditEvent.pickup_timeout]
    assert loss < 0
    near_bottom = RULES.minimum - loss - 1  # one more timeout would go below the minimum
    assert apply(RULES, near_bottom, CreditEvent.pickup_timeout) == RULES.minimum
    assert apply(RULES, RULES.initial, CreditEvent.complaint_upheld, times=1000) == RULES.minimum


def test_each_event_moves_the_score_by_the_campus_amount() -> None:
    for event, change in RULES.changes.items():
        assert apply(RULES, RULES.initial, event) == RULES.initial + change
        assert apply(RULES, RULES.initial, event, times=2) == RULES.initial + 2 * change


def test_an_event_the_campus_does_not_score_changes_nothing() -> None:
    assert CreditEvent.operator_adjustment not in RULES.changes
    assert apply(RULES, RULES.initial, CreditEvent.operator_adjustment, times=3) == RULES.initial


def test_operator_adjustment_is_clamped() -> None:
    assert adjust(RULES, RULES.initial, -7) == RULES.initial - 7
    assert adjust(RULES, RULES.initial, 10**6) == RULES.maximum
    assert adjust(RULES, RULES.initial, -(10**6)) == RULES.minimum


def test_negative_times_is_refused() -> None:
    with pytest.raises(ValueError):
        apply(RULES, RULES.initial, CreditEvent.completed, times=-1)


# Scores outside [minimum, maximum] happen when an operator narrows the range in the campus file.
any_score = st.integers(min_value=RULES.minimum - 300, max_value=RULES.maximum + 300)


@given(any_score, events, st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=200))
def test_events_in_one_go_equal_events_one_by_one(score: int, event: CreditEvent, a: int, b: int) -> None:
    together = apply(RULES, score, event, times=a + b)
    assert together == apply(RULES, apply(RULES, score, event, times=a), event, times=b)


@given(any_score, events, st.integers(min_value=1, max_value=20))
def test_after_any_event_the_score_is_in_range(score: int, event: CreditEvent, times: int) -> None:
    assert RULES.minimum <= apply(RULES, score, event, times=times) <= RULES.maximum


@pytest.mark.parametrize(
    "score, expected",
    [
        (T.priority, Standing.priority),
        (T.priority - 1, Standing.normal),
        (T.warning, Standing.normal),
        (T.warning - 1, Standing.warning),
        (T.restricted, Standing.warning),
        (T.restricted - 1, Standing.restricted),
        (T.suspended, Standing.restricted),
        (T.suspended - 1, Standing.suspended),
        (RULES.maximum, Standing.priority),
        (RULES.minimum, Standing.suspended),
    ],
)
def test_standing_at_each_threshold(score: int, expected: Standing) -> None:
    assert standing(RULES, score) is expected


@given(scores, scores)
def test_more_credit_never_means_a_worse_standing(a: int, b: int) -> None:
    order = [Standing.suspended, Standing.restricted, Standing.warning, Standing.normal, Standing.priority]
    low, high = sorted((a, b))
    assert order.index(standing(RULES, low)) <= order.index(standing(RULES, high))
    assert may_grab(RULES, low) <= may_grab(RULES, high)
    assert max_active_orders(CAMPUS, low) <= max_active_orders(CAMPUS, high)


def test_may_grab_at_the_credit_floor() -> None:
    assert may_grab(RULES, RULES.grab_floor)
    assert not may_grab(RULES, RULES.grab_floor - 1)
    assert not may_grab(RULES, T.suspended - 1)


def test_max_active_orders_by_standing() -> None:
    runners = CAMPUS.runners
    assert runners.restricted_max_active_orders < runners.max_active_orders
    assert max_active_orders(CAMPUS, T.priority) == runners.max_active_orders
    assert max_active_orders(CAMPUS, T.warning - 1) == runners.max_active_orders  # a warning only warns
    assert max_active_orders(CAMPUS, T.restricted - 1) == runners.restricted_max_active_orders
    assert max_active_orders(CAMPUS, T.suspended) == runners.restricted_max_active_orders
    assert max_active_orders(CAMPUS, T.suspended - 1) == 0


def test_a_runner_who_keeps_missing_pickups_loses_grabbing() -> None:
    score, misses = RULES.initial, 0
    while may_grab(RULES, score):
        score = apply(RULES, score, CreditEvent.pickup_timeout)
        misses += 1
    loss = -RULES.changes[CreditEvent.pickup_timeout]
    assert misses == -(-(RULES.initial - RULES.grab_floor + 1) // loss)  # ceil: the first miss below the floor
    assert standing(RULES, score) in (Standing.restricted, Standing.suspended)
    assert max_active_orders(CAMPUS, score) <= CAMPUS.runners.restricted_max_active_orders


@pytest.mark.parametrize(
    "stars, expected",
    [(5, [CreditEvent.five_star]), (4, []), (3, []), (2, [CreditEvent.low_rating]), (1, [CreditEvent.low_rating])],
)
def test_rating_events(stars: int, expected: list[CreditEvent]) -> None:
    assert rating_events(stars) == expected


@pytest.mark.parametrize("stars", [0, 6, -1, True, 4.5])
def test_a_rating_outside_one_to_five_is_refused(stars: object) -> None:
    with pytest.raises(InvalidInput):
        rating_events(stars)  # type: ignore[arg-type]


def test_an_event_never_moves_a_score_against_its_sign():
    # A campus file that lowered the maximum to 100 under a runner at 140: before, their next completed order was
    # recorded as -40 "order completed".
    narrowed = RULES.model_copy(update={"maximum": 100})
    assert moved(narrowed, 140, +1) == 140
    assert moved(narrowed, 140, -10) == 100  # a penalty brings it in
    assert moved(narrowed, 99, +5) == 100
    widened_floor = RULES.model_copy(update={"minimum": 50})
    assert moved(widened_floor, 30, -5) == 30
    assert moved(widened_floor, 30, +1) == 50
    assert moved(RULES, 100, 0) == 100


@given(st.integers(-50, 300), st.integers(-200, 200))
def test_a_move_goes_only_the_way_its_change_points_and_ends_in_bounds_or_where_it_was(score, delta):
    after = moved(RULES, score, delta)
    assert after >= score if delta > 0 else after <= score if delta < 0 else after == score
    assert after == score or RULES.minimum <= after <= RULES.maximum
    if RULES.minimum <= score <= RULES.maximum:
        assert after == adjust(RULES, score, delta)
