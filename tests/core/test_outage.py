"""After an outage: which deadlines get back the time it took, and by how much (core.outage)."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.outage import MOVED, OUTAGE_AFTER, Outage, given_back, outage

T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
DOWN = Outage(T0, T0 + 40 * MIN)  # the last sweep at T0, the next 40 minutes later


def test_a_gap_longer_than_the_threshold_is_an_outage_and_none_before_the_first_sweep() -> None:
    assert outage(T0, T0 + 40 * MIN) == DOWN and DOWN.length == 40 * MIN
    assert outage(T0, T0 + OUTAGE_AFTER) is None  # the timers ran, only a little late
    assert outage(T0, T0 + OUTAGE_AFTER + dt.timedelta(seconds=1)) is not None
    assert outage(None, T0 + 40 * MIN) is None  # first start: nothing was missed
    assert outage(T0 + MIN, T0) is None  # another host's clock a little ahead


@pytest.mark.parametrize("deadline", sorted(MOVED))
def test_a_deadline_that_asks_someone_to_act_and_fell_due_in_the_outage_moves_on_by_its_length(deadline) -> None:
    due = T0 + 30 * MIN  # 30 minutes were left when the service went down
    assert given_back(deadline, due, DOWN) == due + 40 * MIN  # so 30 minutes are left from the restart


@pytest.mark.parametrize("deadline", sorted(MOVED))
def test_deadlines_before_the_outage_or_still_ahead_stay(deadline) -> None:
    assert given_back(deadline, T0, DOWN) is None  # applied by the last sweep before it
    assert given_back(deadline, T0 - MIN, DOWN) is None
    assert given_back(deadline, DOWN.until + MIN, DOWN) is None  # its time is still to come
    assert given_back(deadline, DOWN.until, DOWN) == DOWN.until + 40 * MIN  # due at the very restart: fell in it


@pytest.mark.parametrize("deadline", ["accept_by", "reannounce_at", "window_end"])
def test_deadlines_that_ask_nobody_to_act_stay(deadline) -> None:
    # accept_by ends the student's wait for a runner (refunded), which the outage made longer already.
    assert given_back(deadline, T0 + 30 * MIN, DOWN) is None


@pytest.mark.parametrize("deadline", ["pay_by", "offer_until", "pickup_by"])
def test_a_scheduled_errands_window_never_moves(deadline) -> None:
    due = T0 + 10 * MIN
    # Its window ended during the outage: the deadline applies now, as it would have (closed, or refunded).
    assert given_back(deadline, due, DOWN, window_end=T0 + 20 * MIN) is None
    assert given_back(deadline, due, DOWN, window_end=DOWN.until) is None
    # Its window still on: moved, but not past its end.
    assert given_back(deadline, due, DOWN, window_end=DOWN.until + 5 * MIN) == DOWN.until + 5 * MIN
    assert given_back(deadline, due, DOWN, window_end=DOWN.until + 60 * MIN) == due + 40 * MIN


@pytest.mark.parametrize("deadline", ["pay_by", "offer_until", "pickup_by"])
def test_a_deadline_the_rules_set_past_the_window_keeps_all_its_time(deadline) -> None:
    # Picked up by 12:35 for a window that ended at 12:10: the window never bounded it.
    assert given_back(deadline, T0 + 10 * MIN, DOWN, window_end=T0 + 5 * MIN) == T0 + 50 * MIN


@pytest.mark.parametrize("deadline", ["deliver_by", "auto_confirm_at"])
def test_the_deadlines_of_an_errand_under_way_move_whatever_its_window(deadline) -> None:
    # The runner has the goods (or handed them over): only whether they were late, or the student's time to
    # confirm, hangs on these.
    assert given_back(deadline, T0 + 10 * MIN, DOWN, window_end=T0 + 10 * MIN) == T0 + 50 * MIN


@given(since=st.integers(0, 10_000), length=st.integers(0, 10_000), due=st.integers(-1_000, 30_000),
       window=st.none() | st.integers(-1_000, 30_000), deadline=st.sampled_from(sorted(MOVED)))
def test_a_deadline_only_ever_moves_later_by_no_more_than_the_outage(since, length, due, window, deadline) -> None:
    lost = Outage(T0 + since * MIN, T0 + (since + length) * MIN)
    due_at = T0 + due * MIN
    window_end = None if window is None else T0 + window * MIN
    moved = given_back(deadline, due_at, lost, window_end)
    if moved is None:
        return
    assert lost.since < due_at <= lost.until  # it fell due in the outage
    assert lost.until < moved <= due_at + lost.length  # after the restart, never more than the time lost
    if MOVED[deadline] and window_end is not None and due_at <= window_end:  # one the window bounded stays in it
        assert moved <= window_end
