"""Dispatch benchmark: decision time and the quality of the optimal batch against the greedy one.

Run from the repository root:  python -m bench.dispatch_bench   (or python bench/dispatch_bench.py)

It prints figures; it is not a test and exits 0 unless something crashes.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bot.campus_file import load_campus  # noqa: E402
from core.campus import Campus, Gender  # noqa: E402
from core.geo import distance_matrix_m  # noqa: E402
from core.dispatch import (  # noqa: E402
    Assignment,
    OrderCandidate,
    RunnerCandidate,
    assign,
    assign_greedy,
    cost_matrix,
    total_cost,
)

SEED = 20240917
REPEATS = 30
TIMING_CASES = ((100, 300, 10.0), (1000, 1000, 200.0))  # orders, runners, target ms
QUALITY_SIZES = ((200, 200), (1000, 1000))
QUALITY_SEEDS = 5
RATIO_TARGET = 0.75
JITTER_M = 25.0  # a pickup is somewhere around its building's door
M_PER_DEG_LAT = 111_320.0


def _bbox(campus: Campus) -> tuple[float, float, float, float]:
    lats = [b.lat for b in campus.buildings]
    lons = [b.lon for b in campus.buildings]
    return min(lats), max(lats), min(lons), max(lons)


def make_runners(campus: Campus, n: int, rng: np.random.Generator, all_eligible: bool) -> list[RunnerCandidate]:
    lat0, lat1, lon0, lon1 = _bbox(campus)
    cr, rr = campus.credit, campus.runners
    runners = []
    for i in range(n):
        if all_eligible:
            # Credit at or above the restricted threshold, fewer orders than the limit: every runner may take any
            # order (no door delivery or gender preference on the orders either).
            credit = int(rng.integers(cr.thresholds.restricted, cr.maximum + 1))
            active = int(rng.integers(0, rr.max_active_orders))
        else:
            credit = int(np.clip(round(rng.normal(cr.initial + 5, 20)), cr.minimum, cr.maximum))
            active = int(rng.choice(rr.max_active_orders + 1, p=_active_mix(rr.max_active_orders)))
        runners.append(
            RunnerCandidate(
                user_id=1_000_000 + i,
                gender=Gender.male if rng.random() < 0.5 else Gender.female,
                lat=float(rng.uniform(lat0, lat1)),
                lon=float(rng.uniform(lon0, lon1)),
                active_orders=active,
                credit=credit,
                rating=None if rng.random() < 0.25 else float(rng.uniform(3.0, 5.0)),
                campus_id=campus.id,
                approved=all_eligible or rng.random() > 0.02,
                quiz_passed=all_eligible or rng.random() > 0.02,
            )
        )
    return runners


def _active_mix(limit: int) -> list[float]:
    weights = np.array([0.6 / (2**k) for k in range(limit + 1)])
    return list(weights / weights.sum())


def make_orders(campus: Campus, n: int, rng: np.random.Generator, all_eligible: bool) -> list[OrderCandidate]:
    buildings = campus.buildings
    pickups = list(buildings)
    jitter_deg = JITTER_M / M_PER_DEG_LAT
    orders = []
    for k in range(n):
        p = pickups[int(rng.integers(len(pickups)))]
        drop = buildings[int(rng.integers(len(buildings)))]
        orders.append(
            OrderCandidate(
                order_id=k,
                customer_id=10_000 + int(rng.integers(5 * n)),
                pickup_lat=p.lat + float(rng.normal(0, jitter_deg)),
                pickup_lon=p.lon + float(rng.normal(0, jitter_deg)),
                dropoff=drop,
                door_delivery=not all_eligible and rng.random() < 0.25,
                gender_preference=None if all_eligible or rng.random() > 0.1 else list(Gender)[int(rng.integers(2))],
            )
        )
    return orders


LAYOUTS = {
    "scattered": "orders and runners anywhere on campus (custom errands; runners out and about)",
    "buildings": "pickups at campus buildings, runners anywhere",
    "rush": "pickups at parcel stations, canteens and shops; runners at their dorms",
}


def _around(rng: np.random.Generator, places: list, n: int) -> tuple[np.ndarray, np.ndarray]:
    jitter = JITTER_M / M_PER_DEG_LAT
    idx = rng.integers(len(places), size=n)
    lat = np.array([places[i].lat for i in idx]) + rng.normal(0, jitter, n)
    lon = np.array([places[i].lon for i in idx]) + rng.normal(0, jitter, n)
    return lat, lon


def quality_instance(campus: Campus, n: int, rng: np.random.Generator, layout: str):
    """n orders and n fresh runners (same standing, idle), placed by layout."""
    lat0, lat1, lon0, lon1 = _bbox(campus)
    anywhere = lambda: (rng.uniform(lat0, lat1, n), rng.uniform(lon0, lon1, n))  # noqa: E731
    if layout == "scattered":
        (olat, olon), (rlat, rlon) = anywhere(), anywhere()
    elif layout == "buildings":
        (olat, olon), (rlat, rlon) = _around(rng, list(campus.buildings), n), anywhere()
    else:
        sources = [b for b in campus.buildings if b.kind.value in ("parcel_station", "canteen", "shop")]
        dorms = [b for b in campus.buildings if b.kind.value == "dorm"]
        (olat, olon), (rlat, rlon) = _around(rng, sources, n), _around(rng, dorms, n)
    drop = campus.buildings[0]
    orders = [OrderCandidate(order_id=k, customer_id=10_000 + k, pickup_lat=float(olat[k]), pickup_lon=float(olon[k]),
                             dropoff=drop) for k in range(n)]
    runners = [RunnerCandidate(user_id=k, gender=Gender.male, lat=float(rlat[k]), lon=float(rlon[k]), active_orders=0,
                               credit=campus.credit.initial, rating=None, campus_id=campus.id) for k in range(n)]
    return orders, runners


def time_decision(
    campus: Campus, n_orders: int, n_runners: int, rng: np.random.Generator, all_eligible: bool
) -> dict[str, float]:
    orders = make_orders(campus, n_orders, rng, all_eligible)
    runners = make_runners(campus, n_runners, rng, all_eligible)
    assign(campus, orders, runners)  # warm-up
    decide, matrix = [], []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        cost_matrix(campus, orders, runners)
        t1 = time.perf_counter()
        result = assign(campus, orders, runners)  # builds its own matrix: this is the whole decision
        t2 = time.perf_counter()
        matrix.append((t1 - t0) * 1e3)
        decide.append((t2 - t1) * 1e3)
    decide.sort()
    return {
        "median": statistics.median(decide),
        "p95": decide[min(len(decide) - 1, int(np.ceil(0.95 * len(decide))) - 1)],
        "matrix_median": statistics.median(matrix),
        "assigned": len(result),
        "allowed": float(np.isfinite(cost_matrix(campus, orders, runners)).mean()),
    }


def nearest_runner_greedy(campus: Campus, orders, runners) -> list[Assignment]:
    """The naive baseline: orders in turn take the nearest free runner they may have (walk only, no penalties)."""
    cost = cost_matrix(campus, orders, runners)
    walk = distance_matrix_m(
        np.array([o.pickup_lat for o in orders]), np.array([o.pickup_lon for o in orders]),
        np.array([r.lat for r in runners]), np.array([r.lon for r in runners]),
    ) * campus.walking_detour
    walk[~np.isfinite(cost)] = np.inf
    out = []
    for i in range(len(orders)):
        j = int(np.argmin(walk[i]))
        if np.isfinite(walk[i, j]):
            out.append(Assignment(orders[i].order_id, runners[j].user_id, float(cost[i, j])))
            walk[:, j] = np.inf
    return out


def _walk(campus: Campus, orders, runners, assignments) -> float:
    """Pickup walking metres only (the part of the cost that the choice of pairs can change)."""
    cost = cost_matrix(campus, orders, runners)
    o_index = {o.order_id: i for i, o in enumerate(orders)}
    r_index = {r.user_id: j for j, r in enumerate(runners)}
    w = campus.dispatch.weights
    total = 0.0
    for a in assignments:
        r = runners[r_index[a.runner_id]]
        rating = 5.0 if r.rating is None else r.rating
        penalty = (w.per_active_order_m * r.active_orders
                   + w.per_credit_point_below_max_m * (campus.credit.maximum - r.credit)
                   + w.per_rating_star_below_5_m * (5.0 - rating))
        total += cost[o_index[a.order_id], r_index[a.runner_id]] - penalty
    return total


def _fmt_time(label: str, t: dict[str, float], target: float) -> str:
    verdict = "PASS" if t["p95"] <= target else ("PASS (median only)" if t["median"] <= target else "FAIL")
    return (
        f"  {label:<34} median {t['median']:7.2f} ms  p95 {t['p95']:7.2f} ms  (target <= {target:.0f} ms)  {verdict}\n"
        f"  {'':<34} [cost matrix alone {t['matrix_median']:.2f} ms; {t['allowed']:.0%} of pairs allowed;"
        f" {t['assigned']} orders assigned]"
    )


def main() -> int:
    campus = load_campus(ROOT / "campus" / "demo.yaml")
    print(f"paotui dispatch bench: campus {campus.id!r}, {len(campus.buildings)} buildings, seed {SEED}")
    print()
    print(f"Decision time = cost_matrix + optimal assignment (core.dispatch.assign), {REPEATS} repeats")
    rng = np.random.default_rng(SEED)
    for n_o, n_r, target in TIMING_CASES:
        t = time_decision(campus, n_o, n_r, rng, all_eligible=False)
        print(_fmt_time(f"{n_o} orders x {n_r} runners, mixed:", t, target))
    n_o, n_r, target = TIMING_CASES[-1]
    t = time_decision(campus, n_o, n_r, rng, all_eligible=True)
    print(_fmt_time(f"{n_o} x {n_r}, every runner eligible:", t, target))
    print("  (mixed = realistic runners: some at their load limit, low credit, unapproved; some orders with a gender")
    print("   preference or door delivery. 'Every runner eligible' is the hardest case for the solver.)")

    print()
    print("Quality: supply == demand, every runner eligible, against greedy nearest-runner (orders in turn take the")
    print("  nearest free runner). 'walk' is the pickup walking distance, the part the choice of pairs changes: in a")
    print("  full batch every runner is used, so their load/credit/rating penalties add the same to every method's")
    print("  total ('total' includes them). Three layouts, because clustering decides how much there is to gain:")
    never_worse = True
    for layout, description in LAYOUTS.items():
        print(f"  [{layout}] {description}")
        for n_o, n_r in QUALITY_SIZES:
            walk_ratios, total_ratios = [], []
            for s in range(QUALITY_SEEDS):
                qrng = np.random.default_rng(SEED + 1 + s)
                orders, runners = quality_instance(campus, n_o, qrng, layout)
                opt = assign(campus, orders, runners)
                near = nearest_runner_greedy(campus, orders, runners)
                gre = assign_greedy(campus, orders, runners)
                c_opt, c_gre, c_near = total_cost(opt), total_cost(gre), total_cost(near)
                tol = 1e-9 * max(1.0, c_gre, c_near)
                never_worse &= len(opt) >= max(len(gre), len(near)) and c_opt <= min(c_gre, c_near) + tol
                walk_ratios.append(_walk(campus, orders, runners, opt) / _walk(campus, orders, runners, near))
                total_ratios.append(c_opt / c_near)
            worst = max(walk_ratios)
            print(
                f"    {n_o:>4} x {n_r:<4} walk optimal/greedy: mean {statistics.mean(walk_ratios):.3f} worst {worst:.3f}"
                f"  (target <= {RATIO_TARGET}: {'PASS' if worst <= RATIO_TARGET else 'FAIL'})"
                f"   total optimal/greedy: mean {statistics.mean(total_ratios):.3f}"
            )
    print(
        f"  optimal never worse than greedy ({len(LAYOUTS)} layouts x {QUALITY_SEEDS} seeds x {len(QUALITY_SIZES)} sizes):"
        f" {'PASS' if never_worse else 'FAIL'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
