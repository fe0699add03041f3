"""Who may take an order, what a (runner, order) pair costs, and the best batch of offers.

Pure: positions, credit and ratings come in as arguments; nothing here reads a clock or a database.

* `ineligibility` / `check_eligible` answer "may this runner take this order?" with a catalogue key. The grab race
  and the dispatcher use the same rules; `runner_ineligibility` is the part that holds whatever the order (/nearby
  answers a runner it refuses with it).
* `pair_cost` is the readable reference for one pair; `cost_matrix` computes the same numbers for every pair at
  once with numpy and must agree with `pair_cost` exactly (the tests check every element).
* `assign` picks the batch of offers for one dispatch round: as many orders as possible get a runner; among those
  batches, the ones giving the most orders to runners in the `priority` credit standing (`preferred`: "offered orders
  first"); among those, the least total cost (an optimal assignment, scipy's `linear_sum_assignment`). Each runner
  gets at most one new order per round. `assign_greedy` is the baseline and the fallback: each order in turn takes
  the cheapest free priority runner, else the cheapest free runner.
  The preference is in the ranking, not in the cost: `pair_cost` stays the pair's true metres-equivalent.

Favourite runners are not special-cased here: the caller offers a favourite first and only the rest is dispatched.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from core import credit as credit_rules
from core.campus import Building, Campus, Gender
from core.errors import NotEligible
from core.geo import distance_matrix_m

NO_RATING_STARS = 5.0  # a runner nobody has rated yet counts as a five-star runner

_GENDER_CODE = {None: 0, Gender.male: 1, Gender.female: 2}


@dataclass(frozen=True)
class RunnerCandidate:
    user_id: int
    gender: Gender
    # Where the runner is: their tracked position while they carry an order, or the live location an idle runner
    # shares to be offered orders nearby. None: unknown, and then no distance can be priced (never a made-up point).
    lat: float | None
    lon: float | None
    active_orders: int
    credit: int
    rating: float | None  # average stars 1..5, None = no ratings yet (treated as 5)
    campus_id: str  # the campus that approved them: they take only its orders
    approved: bool = True
    rejected: bool = False  # not approved, and told so: no longer waiting for a decision
    suspended: bool = False
    quiz_passed: bool = True


@dataclass(frozen=True)
class OrderCandidate:
    order_id: int
    customer_id: int
    pickup_lat: float
    pickup_lon: float
    dropoff: Building
    door_delivery: bool = False  # to the room door: in a single-gender dorm only runners of that gender may do it
    gender_preference: Gender | None = None  # the student asked for a runner of this gender
    favourite_runner_id: int | None = None


@dataclass(frozen=True)
class Assignment:
    order_id: int
    runner_id: int
    cost: float


# ---------------------------------------------------------------------------------------------------- eligibility


def active_order_limit(campus: Campus, credit: int) -> int:
    """How many orders a runner may carry at once: fewer while their credit is below the restricted threshold."""
    return credit_rules.max_active_orders(campus, credit)


def preferred(campus: Campus, runner: RunnerCandidate) -> bool:
    """A runner in the priority standing, whom dispatch offers orders before any other runner within reach."""
    return credit_rules.standing(campus.credit, runner.credit) is credit_rules.Standing.priority


def _door_gender(order: OrderCandidate) -> Gender | None:
    """The gender a runner must have to deliver this order to the door, or None when anyone may."""
    return order.dropoff.gender if order.door_delivery else None


def _standing(campus: Campus, runner: RunnerCandidate) -> str | None:
    """Whether this campus lets the runner work at all."""
    if runner.campus_id != campus.id:
        return "not-eligible-other-campus"
    if not runner.approved:
        return "not-eligible-rejected" if runner.rejected else "not-eligible-not-approved"
    if runner.suspended:
        return "not-eligible-suspended"
    if not runner.quiz_passed:
        return "not-eligible-quiz"
    return None


def _capacity(campus: Campus, runner: RunnerCandidate) -> str | None:
    """Whether the runner may take one more order now."""
    if not credit_rules.may_grab(campus.credit, runner.credit):
        return "not-eligible-credit"
    if runner.active_orders >= active_order_limit(campus, runner.credit):
        return "not-eligible-too-many"
    return None


def runner_ineligibility(campus: Campus, runner: RunnerCandidate) -> str | None:
    """The reason this runner may take no order at all right now (whatever the order), or None."""
    return _standing(campus, runner) or _capacity(campus, runner)


def ineligibility(campus: Campus, runner: RunnerCandidate, order: OrderCandidate) -> str | None:
    """None if the runner may take the order, else the catalogue key of the first reason they may not."""
    reason = _standing(campus, runner)
    if reason is not None:
        return reason
    if runner.user_id == order.customer_id:
        return "not-eligible-own-order"
    reason = _capacity(campus, runner)
    if reason is not None:
        return reason
    if order.gender_preference is not None and order.gender_preference != runner.gender:
        return "not-eligible-gender-preference"
    door = _door_gender(order)
    if door is not None and door != runner.gender:
        return "not-eligible-dorm-gender"
    return None


def check_eligible(campus: Campus, runner: RunnerCandidate, order: OrderCandidate) -> None:
    reason = ineligibility(campus, runner, order)
    if reason is not None:
        raise NotEligible(reason)


def delivery_point(campus: Campus, order_dropoff: Building, runner_gender: Gender) -> Building:
    """Where this runner hands the order over: the building itself, or its transfer point if they may not enter."""
    if order_dropoff.gender is None or order_dropoff.gender == runner_gender:
        return order_dropoff
    assert order_dropoff.transfer_point is not None  # Building guarantees it for a gendered building
    return campus.building(order_dropoff.transfer_point)


# ---------------------------------------------------------------------------------------------------- cost


def _runner_penalty(campus: Campus, runner: RunnerCandidate) -> float:
    w = campus.dispatch.weights
    rating = NO_RATING_STARS if runner.rating is None else float(runner.rating)
    return (
        w.per_active_order_m * runner.active_orders
        + w.per_credit_point_below_max_m * (campus.credit.maximum - runner.credit)
        + w.per_rating_star_below_5_m * (5.0 - rating)
    )


def _coordinate(value: float | None) -> float:
    """An unknown position is NaN to the distance computation, which then allows no pair."""
    return np.nan if value is None else value


def pair_cost(campus: Campus, runner: RunnerCandidate, order: OrderCandidate) -> float | None:
    """Cost of offering this order to this runner, in metres-equivalent (lower is better).

    Walking distance from the runner to the pickup (great-circle × the campus walking detour), plus metres charged
    for each order the runner already carries, each credit point below the maximum and each star below five.
    None when the runner may not take the order, their position is unknown or the pickup is farther than the
    campus's max pickup distance.
    """
    if ineligibility(campus, runner, order) is not None:
        return None
    # Same formula, same operand order as cost_matrix, so the two agree to the last bit.
    geodesic = distance_matrix_m(
        np.array([_coordinate(runner.lat)], dtype=np.float64),
        np.array([_coordinate(runner.lon)], dtype=np.float64),
        np.array([order.pickup_lat], dtype=np.float64),
        np.array([order.pickup_lon], dtype=np.float64),
    )[0, 0]
    walk = float(geodesic * campus.walking_detour)
    if not walk <= campus.dispatch.weights.max_pickup_distance_m:  # also refuses NaN positions
        return None
    return walk + _runner_penalty(campus, runner)


def cost_matrix(
    campus: Campus, orders: Sequence[OrderCandidate], runners: Sequence[RunnerCandidate]
) -> np.ndarray:
    """pair_cost for every (order, runner) pair, shape (len(orders), len(runners)); np.inf where not allowed."""
    full = np.full((len(orders), len(runners)), np.inf)
    cost, _, rows, _ = _runner_order_costs(campus, orders, runners)
    full[:, rows] = cost.T
    return full


def _runner_order_costs(
    campus: Campus, orders: Sequence[OrderCandidate], runners: Sequence[RunnerCandidate]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(cost, allowed, rows, preferred) for the runners who pass every check of their own (approved, credit,
    load...).

    `rows` holds those runners' indices in `runners`, `preferred` whether each is in the priority standing; cost and
    allowed are shaped (len(rows), len(orders)), and cost is np.inf where allowed is False. Runners are the rows: on
    campus-like instances (pickups cluster at a few buildings, runners are spread out) scipy's solver is about 1.5x
    faster this way round for square batches.
    """
    n_o, n_r = len(orders), len(runners)
    if n_o == 0 or n_r == 0:
        return (np.full((0, n_o), np.inf), np.zeros((0, n_o), dtype=np.bool_), np.empty(0, np.intp),
                np.zeros(0, dtype=np.bool_))
    w = campus.dispatch.weights
    cr = campus.credit

    # One value per runner.
    r_lat = np.fromiter((_coordinate(r.lat) for r in runners), np.float64, n_r)
    r_lon = np.fromiter((_coordinate(r.lon) for r in runners), np.float64, n_r)
    r_id = np.fromiter((r.user_id for r in runners), np.int64, n_r)
    r_gender = np.fromiter((_GENDER_CODE[r.gender] for r in runners), np.int8, n_r)
    r_active = np.fromiter((r.active_orders for r in runners), np.int64, n_r)
    r_credit = np.fromiter((r.credit for r in runners), np.int64, n_r)
    r_rating = np.fromiter(
        (NO_RATING_STARS if r.rating is None else float(r.rating) for r in runners), np.float64, n_r
    )
    r_ok = np.fromiter((r.approved and not r.suspended and r.quiz_passed for r in runners), np.bool_, n_r)
    limit = np.where(
        r_credit < cr.thresholds.restricted,
        credit_rules.restricted_limit(campus),
        campus.runners.max_active_orders,
    )
    r_ok &= (r_credit >= cr.grab_floor) & (r_active < limit)
    rows = np.flatnonzero(r_ok)
    if rows.size < n_r:
        r_lat, r_lon, r_id, r_gender = r_lat[rows], r_lon[rows], r_id[rows], r_gender[rows]
        r_active, r_credit, r_rating = r_active[rows], r_credit[rows], r_rating[rows]
    # Same operand order as _runner_penalty, so every element equals pair_cost to the last bit.
    penalty = (
        w.per_active_order_m * r_active
        + w.per_credit_point_below_max_m * (cr.maximum - r_credit)
        + w.per_rating_star_below_5_m * (5.0 - r_rating)
    )

    # One value per order.
    o_lat = np.fromiter((o.pickup_lat for o in orders), np.float64, n_o)
    o_lon = np.fromiter((o.pickup_lon for o in orders), np.float64, n_o)
    o_customer = np.fromiter((o.customer_id for o in orders), np.int64, n_o)
    o_pref = np.fromiter((_GENDER_CODE[o.gender_preference] for o in orders), np.int8, n_o)
    o_door = np.fromiter((_GENDER_CODE[_door_gender(o)] for o in orders), np.int8, n_o)

    cost = distance_matrix_m(r_lat, r_lon, o_lat, o_lon)
    cost *= campus.walking_detour
    allowed = cost <= w.max_pickup_distance_m  # False for NaN positions too
    allowed &= r_id[:, None] != o_customer[None, :]
    g = r_gender[:, None]
    if (o_pref != 0).any():
        allowed &= (o_pref[None, :] == 0) | (o_pref[None, :] == g)
    if (o_door != 0).any():
        allowed &= (o_door[None, :] == 0) | (o_door[None, :] == g)
    cost += penalty[:, None]
    np.copyto(cost, np.inf, where=~allowed)
    return cost, allowed, rows, r_credit >= cr.thresholds.priority  # as credit.standing says priority


# ---------------------------------------------------------------------------------------------------- assignment


def _assignments(
    orders: Sequence[OrderCandidate], runners: Sequence[RunnerCandidate], cost_ro: np.ndarray, rows: np.ndarray,
    order_idx: np.ndarray, row_idx: np.ndarray,
) -> list[Assignment]:
    pairs = sorted(zip(order_idx.tolist(), row_idx.tolist()))
    return [Assignment(orders[i].order_id, runners[rows[r]].user_id, float(cost_ro[r, i])) for i, r in pairs]


def _ranked(cost_ro: np.ndarray, allowed: np.ndarray, preferred: np.ndarray) -> np.ndarray:
    """cost_ro with a surcharge on the pairs of runners not in the priority standing, so that the solver (and the
    greedy pass) prefer a priority runner within reach: a batch with more pairs given to priority runners is always
    cheaper than one with fewer of the same size. Batches of k pairs, each allowed cost within [-m, m], differ by at
    most 2·k·m, hence the surcharge. Only for ranking: the assignments keep the true cost."""
    if preferred.all() or not preferred.any():
        return cost_ro  # nobody to prefer over anyone: the cost alone decides
    k = min(cost_ro.shape)
    m = max(
        abs(float(cost_ro.max(where=allowed, initial=0.0))),
        abs(float(cost_ro.min(where=allowed, initial=0.0))),
    )
    return cost_ro + np.where(preferred, 0.0, 2.0 * k * m + 1.0)[:, None]  # np.inf stays np.inf


def _greedy(cost_ro: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Orders in turn take the cheapest free runner. Returns (order indices, row indices of cost_ro)."""
    free = np.array(cost_ro.T, order="C")  # one contiguous row per order
    orders: list[int] = []
    runners: list[int] = []
    for i in range(free.shape[0]):
        j = int(np.argmin(free[i]))  # first of the cheapest: an earlier runner wins a tie
        if np.isfinite(free[i, j]):
            orders.append(i)
            runners.append(j)
            free[:, j] = np.inf
    return np.array(orders, dtype=np.intp), np.array(runners, dtype=np.intp)


def _optimal(cost_ro: np.ndarray, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Most pairs first, then least total cost. Returns (order indices, row indices of cost_ro)."""
    runner_idx = np.flatnonzero(allowed.any(axis=1))
    order_idx = np.flatnonzero(allowed.any(axis=0))
    if runner_idx.size == 0:
        return np.empty(0, np.intp), np.empty(0, np.intp)
    if runner_idx.size < cost_ro.shape[0] or order_idx.size < cost_ro.shape[1]:
        cost_ro = cost_ro[np.ix_(runner_idx, order_idx)]
        allowed = allowed[np.ix_(runner_idx, order_idx)]
    # The solver always makes min(rows, cols) pairs, so a forbidden pair gets a finite price `big`, above any
    # difference between the allowed parts of two batches: k pairs, each allowed cost within [-m, m], differ by
    # at most 2·k·m. A batch with one more real pair is then always cheaper; forbidden pairs are dropped after.
    k = min(cost_ro.shape)
    m = max(
        abs(float(cost_ro.max(where=allowed, initial=-np.inf))),
        abs(float(cost_ro.min(where=allowed, initial=np.inf))),
    )
    big = 2.0 * k * m + 1.0
    rows, cols = linear_sum_assignment(np.where(allowed, cost_ro, big))
    keep = allowed[rows, cols]
    return order_idx[cols[keep]], runner_idx[rows[keep]]


def assign(
    campus: Campus, orders: Sequence[OrderCandidate], runners: Sequence[RunnerCandidate]
) -> list[Assignment]:
    """The optimal batch for one round: as many orders as possible, then as many of them to priority runners as
    possible (`preferred`), then the least total cost.

    Each runner gets at most one new order, each order at most one runner, only allowed pairs. Falls back to
    the greedy batch if the solver fails. The result follows the order of `orders`.
    """
    cost, allowed, rows, preferred = _runner_order_costs(campus, orders, runners)
    if cost.size == 0:
        return []
    ranked = _ranked(cost, allowed, preferred)
    try:
        order_idx, row_idx = _optimal(ranked, allowed)
    except (ValueError, FloatingPointError):
        order_idx, row_idx = _greedy(ranked)
    return _assignments(orders, runners, cost, rows, order_idx, row_idx)


def assign_greedy(
    campus: Campus, orders: Sequence[OrderCandidate], runners: Sequence[RunnerCandidate]
) -> list[Assignment]:
    """Baseline: orders in the given order, each takes the cheapest priority runner still free, else the cheapest
    runner still free."""
    cost, allowed, rows, preferred = _runner_order_costs(campus, orders, runners)
    if cost.size == 0:
        return []
    order_idx, row_idx = _greedy(_ranked(cost, allowed, preferred))
    return _assignments(orders, runners, cost, rows, order_idx, row_idx)


def total_cost(assignments: Sequence[Assignment]) -> float:
    return float(sum(a.cost for a in assignments))
