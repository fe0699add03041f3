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
from core.campus import BuildingKind, Campus, Gender  # noqa: E402
from core.dispatch import (  # noqa: E402
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
    pickups = [b for b in buildings if b.kind is not BuildingKind.dorm]
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


def time_decision(campus: Campus, n_orders: int, n_runners: int, rng: np.random.Generator) -> dict[str, float]:
    orders = make_orders(campus, n_orders, rng, all_eligible=False)
    runners = make_runners(campus, n_runners, rng, all_eligible=False)
    assign(campus, orders, runners)  # warm-up
    decide, matrix = [], []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        cost_matrix(campus, orders, runners)
        t1 = time.perf_counter()
        result = assign(campus, orders, runners)  # builds the matrix again: the whole decision
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


def main() -> int:
    campus = load_campus(ROOT / "campus" / "demo.yaml")
    print(f"paotui dispatch bench — campus {campus.id!r}, {len(campus.buildings)} buildings, seed {SEED}")
    print()
    print(f"Decision time = cost_matrix + optimal assignment, {REPEATS} repeats (realistic mix of runners/orders)")
    rng = np.random.default_rng(SEED)
    for n_o, n_r, target in TIMING_CASES:
        t = time_decision(campus, n_o, n_r, rng)
        verdict = "PASS" if t["p95"] <= target else ("PASS (median)" if t["median"] <= target else "FAIL")
        print(
            f"  {n_o:>5} orders x {n_r:>5} runners: median {t['median']:7.2f} ms  p95 {t['p95']:7.2f} ms"
            f"  (target <= {target:.0f} ms)  {verdict}"
            f"   [matrix alone {t['matrix_median']:.2f} ms; {t['allowed']:.0%} pairs allowed; {t['assigned']} assigned]"
        )

    print()
    print("Quality, supply == demand, every runner eligible for every order; cost in metres-equivalent")
    print("  (total includes each runner's fixed penalty for load/credit/rating, the same for any full batch;")
    print("   'walk' is the pickup walking part alone)")
    never_worse = True
    for n_o, n_r in QUALITY_SIZES:
        for s in range(QUALITY_SEEDS):
            qrng = np.random.default_rng(SEED + 1 + s)
            orders = make_orders(campus, n_o, qrng, all_eligible=True)
            runners = make_runners(campus, n_r, qrng, all_eligible=True)
            opt = assign(campus, orders, runners)
            gre = assign_greedy(campus, orders, runners)
            c_opt, c_gre = total_cost(opt), total_cost(gre)
            w_opt, w_gre = _walk(campus, orders, runners, opt), _walk(campus, orders, runners, gre)
            ok = len(opt) >= len(gre) and c_opt <= c_gre + 1e-6 * max(1.0, abs(c_gre))
            never_worse &= ok
            ratio = c_opt / c_gre if c_gre else float("nan")
            if s == 0:
                verdict = "PASS" if ratio <= RATIO_TARGET else "FAIL"
                print(
                    f"  {n_o:>5} x {n_r:>5} seed {SEED + 1 + s}: optimal {c_opt:12.0f}  greedy {c_gre:12.0f}"
                    f"  ratio {ratio:.3f} (target <= {RATIO_TARGET})  {verdict}"
                )
                print(
                    f"  {'':>15} walk only:     optimal {w_opt:12.0f}  greedy {w_gre:12.0f}  ratio {w_opt / w_gre:.3f}"
                    f"   assigned {len(opt)}/{len(gre)}"
                )
            else:
                print(f"  {n_o:>5} x {n_r:>5} seed {SEED + 1 + s}: ratio {ratio:.3f}, walk ratio {w_opt / w_gre:.3f}"
                      f"{'' if ok else '  OPTIMAL WORSE THAN GREEDY'}")
    print(f"  optimal never worse than greedy over {QUALITY_SEEDS} seeds x {len(QUALITY_SIZES)} sizes: "
          f"{'PASS' if never_worse else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
