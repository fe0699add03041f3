"""Operators' figures on a busy campus: how long /today and /report 31 take to count, SQLite and PostgreSQL.

Seeds a campus with `--orders` completed orders spread over the last 31 days (each with its history event, its
commission posting and, one in twenty, a compensation to its student or runner), plus as many orders of another
campus. Prints, per backend, the time of one day's figures (/today) and of 31 days' (/report 31) through
`handlers.reports.day_figures`, beside the same commission and compensation summed by joining every order to the
postings through a key built from its id (how it was counted before: the reference row).

    python -m bench.report_bench [--orders 20000] [--postgres URL]
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import String, cast, func, insert, or_, select, text  # noqa: E402

from bot.campus_file import load_campus  # noqa: E402
from core import ledger  # noqa: E402
from core.campus import Campus  # noqa: E402
from core.clock import day_bounds, local_day  # noqa: E402
from handlers.reports import day_figures  # noqa: E402
from storage.databases import fresh_postgres  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import LedgerEntry, LedgerPosting, Order, OrderEvent, User  # noqa: E402
from storage.uow import UnitOfWork  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 23, 4, 0, tzinfo=dt.timezone.utc)
DAYS = 31
COMMISSION = 75


async def seed(db: Database, campus: Campus, orders: int) -> None:
    async with UnitOfWork(db) as uow:
        s = uow.session
        await s.execute(insert(User), [{"channel": "bench", "external_id": f"u{i}", "campus_id": campus.id,
                                        "created_at": NOW, "preference_tags": []} for i in range(2)])
        customer, runner = sorted((await s.execute(text("SELECT id FROM users WHERE channel = 'bench'"))).scalars())
        rows = []
        for n in range(2 * orders):  # every other order is another campus's
            at = NOW - dt.timedelta(minutes=(n // 2) * DAYS * 24 * 60 // orders)
            rows.append(Order(  # the model fills in its defaults
                campus_id=campus.id if n % 2 == 0 else "elsewhere", customer_id=customer, runner_id=runner,
                status="completed", task_type="parcel", pickup_building="parcel_station", dropoff_building="dorm_m1",
                service_fee=500, total=500, commission=COMMISSION, runner_share=500 - COMMISSION, created_at=at,
            ).model_dump(exclude={"id"}))
        await s.execute(insert(Order), rows)
        ids = list((await s.execute(select(Order.id, Order.created_at).order_by(Order.id))).all())
        await s.execute(insert(OrderEvent), [
            {"order_id": i, "event": "confirm", "from_status": "delivered", "to_status": "completed", "actor_role":
             "customer", "actor_id": customer, "runner_id": runner, "at": at, "note": ""} for i, at in ids])
        postings = [{"key": f"order:{i}:complete", "memo": "", "at": at} for i, at in ids]
        postings += [{"key": ledger.compensation(i, customer, 100).key if i % 40 else
                      ledger.runner_compensation(i, runner, 100).key, "memo": "", "at": at}
                     for i, at in ids if i % 20 == 0]
        await s.execute(insert(LedgerPosting), postings)
        entries = []
        for pid, key in (await s.execute(select(LedgerPosting.id, LedgerPosting.key))).all():
            amount = COMMISSION if key.startswith("order:") else -100
            entries += [{"posting_id": pid, "account": ledger.PLATFORM_REVENUE, "amount": amount},
                        {"posting_id": pid, "account": "escrow:0", "amount": -amount}]
        await s.execute(insert(LedgerEntry), entries)


async def joined_by_key(db: Database, campus: Campus, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    """The reference: commission and compensation summed by joining each order to postings whose key is built
    from its id."""
    async with UnitOfWork(db, write=False) as uow:
        async def summed(prefix: str, suffix: str, *, runners: bool = False) -> int:
            key = prefix + cast(Order.id, String) + suffix
            match = or_(LedgerPosting.key == key, LedgerPosting.key.like(key + ":runner:%")) if runners \
                else LedgerPosting.key == key
            return int(await uow.session.scalar(
                select(func.coalesce(func.sum(LedgerEntry.amount), 0)).select_from(LedgerEntry)
                .join(LedgerPosting, LedgerPosting.id == LedgerEntry.posting_id).join(Order, match)
                .where(Order.campus_id == campus.id, LedgerEntry.account == ledger.PLATFORM_REVENUE,
                       LedgerPosting.at >= start, LedgerPosting.at < end)) or 0)
        return await summed("order:", ":complete"), -await summed("compensation:", "", runners=True)


async def timed(make, repeat: int = 1) -> tuple[float, object]:  # noqa: ANN001
    t0 = time.perf_counter()
    for _ in range(repeat):
        result = await make()
    return (time.perf_counter() - t0) * 1000, result


async def run_backend(name: str, url: str, campus: Campus, orders: int) -> bool:
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    try:
        await seed(db, campus, orders)
        if not db.is_sqlite:  # statistics as autovacuum would have them on a campus this busy, not an empty table's
            async with UnitOfWork(db) as uow:
                await uow.session.execute(text("ANALYZE"))
        today = local_day(campus.tz, NOW)
        days = [today - dt.timedelta(days=d) for d in range(DAYS)]

        async def figures(day: dt.date):
            async with UnitOfWork(db, write=False) as uow:
                return await day_figures(uow.session, campus, day)

        async def report():
            return [await figures(day) for day in days]

        today_ms, ours = await timed(lambda: figures(today))
        report_ms, _ = await timed(report)
        start, end = day_bounds(campus.tz, today)
        joined_ms, (commission, compensation) = await timed(lambda: joined_by_key(db, campus, start, end))
        same = (ours.commission, ours.compensation) == (commission, compensation)  # type: ignore[attr-defined]
        print(f"{name:<10} {orders} orders here, {orders} elsewhere: /today {today_ms:8.1f} ms, /report {DAYS} "
              f"{report_ms:8.1f} ms; reference (orders joined to postings by key), commission and compensation of "
              f"one day alone: {joined_ms:8.1f} ms; same figures: {'yes' if same else 'NO'}")
        return same
    finally:
        await db.dispose()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--postgres", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    campus = load_campus(ROOT / "campus" / "demo.yaml")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        ok &= await run_backend("SQLite", f"sqlite+aiosqlite:///{tmp}/report.db", campus, args.orders)
    try:
        pg_url = await fresh_postgres(args.postgres, "paotui_report_bench")
    except (OSError, asyncio.TimeoutError) as exc:
        shown = make_url(args.postgres).render_as_string(hide_password=True)
        print(f"PostgreSQL skipped: {shown} not reachable ({type(exc).__name__})")
        return 0 if ok else 1
    ok &= await run_backend("PostgreSQL", pg_url, campus, args.orders)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
