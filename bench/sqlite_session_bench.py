"""SQLite unit of work: CPU time of the transaction every chat input makes, by the way the session reaches SQLite.

The transaction: BEGIN IMMEDIATE, the processed-update key inserted, the user and their conversation read (the User
entity), the conversation upserted, COMMIT; over the same file, one after another. Three ways:

- paotui: storage.db.Database's units of work (the plain pysqlite Session run inline, storage/sqlite_inline.py;
  Core statements compiled once and run on the driver, storage.sql.run_core);
- AsyncSession over aiosqlite: SQLAlchemy's asyncio extension (a greenlet switch per driver call), with aiosqlite's
  worker thread, as a stock setup runs it;
- the sqlite3 module alone, the same SQL by hand: the floor for any Python code.

    python -m bench.sqlite_session_bench [--transactions 3000] [--rounds 3]

Prints µs of CPU per transaction (median of the rounds) for each, and their ratios.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine  # noqa: E402

from storage.conversations import ConversationState, save  # noqa: E402
from storage.db import Database, _sqlite_pragmas  # noqa: E402
from storage.dedupe import first_time_in  # noqa: E402
from storage.lookups import user_and_conversation  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import User  # noqa: E402
from storage.uow import UnitOfWork  # noqa: E402

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)
USERS = 50


def address(i: int) -> dict[str, str]:
    return {"channel": "telegram", "external_id": str(i % USERS)}


async def one_input(session, i: int) -> None:  # noqa: ANN001 - either session kind
    """What App._in_transaction does around the handler."""
    await first_time_in(session, f"bench:{i}", NOW)
    assert await user_and_conversation(session, **address(i)) is not None
    await save(session, "telegram", str(i % USERS), ConversationState("order.what", {"step": i}), NOW)


async def paotui(db: Database, i: int) -> None:
    async with UnitOfWork(db) as uow:
        await one_input(uow.session, i)


def stock_async(url: str) -> tuple[Callable[[int], Awaitable[None]], Callable[[], Awaitable[None]]]:
    engine = create_async_engine(url, pool_size=5)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    sessions = async_sessionmaker(engine, expire_on_commit=False, class_=AsyncSession)

    async def run(i: int) -> None:
        async with sessions() as session, session.begin():
            await one_input(session, i)
    return run, engine.dispose


def by_hand(path: str) -> Callable[[int], None]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=NORMAL")

    def run(i: int) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO processed_updates (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                     (f"hand:{i}", NOW.isoformat()))
        conn.execute("SELECT users.*, conversations.state, conversations.data FROM users LEFT OUTER JOIN "
                     "conversations ON conversations.channel = users.channel AND conversations.external_id = "
                     "users.external_id WHERE users.channel = ? AND users.external_id = ?",
                     ("telegram", str(i % USERS))).fetchone()
        conn.execute("INSERT INTO conversations (channel, external_id, state, data, updated_at) VALUES (?, ?, ?, ?, ?) "
                     "ON CONFLICT (channel, external_id) DO UPDATE SET state = excluded.state, data = excluded.data, "
                     "updated_at = excluded.updated_at",
                     ("telegram", str(i % USERS), "order.what", json.dumps({"step": i}), NOW.isoformat()))
        conn.execute("COMMIT")
    return run


async def cpu_per_call(work: Callable[[int], Awaitable[None] | None], n: int, offset: int) -> float:
    for i in range(offset, offset + 100):  # warm-up: pools filled, statements compiled
        result = work(i)
        if result is not None:
            await result
    start = time.process_time()
    for i in range(offset + 100, offset + 100 + n):
        result = work(i)
        if result is not None:
            await result
    return (time.process_time() - start) / n * 1e6


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/bench.db"
        url = f"sqlite+aiosqlite:///{path}"
        await asyncio.to_thread(upgrade, url)
        db = Database(url)
        async with UnitOfWork(db) as uow:
            for i in range(USERS):
                uow.session.add(User(channel="telegram", external_id=str(i), campus_id="demo", display_name=f"u{i}",
                                     language="en", created_at=NOW, preference_tags=[]))
        stock, dispose = stock_async(url)
        hand = by_hand(path)
        figures: dict[str, list[float]] = {"paotui": [], "stock": [], "hand": []}
        step = args.transactions + 100
        for r in range(args.rounds):  # alternating, so a noisy neighbour hits all alike
            base = 3 * r * step
            figures["paotui"].append(await cpu_per_call(lambda i: paotui(db, i), args.transactions, base))
            figures["stock"].append(await cpu_per_call(stock, args.transactions, base + step))
            figures["hand"].append(await cpu_per_call(hand, args.transactions, base + 2 * step))
        await dispose()
        await db.dispose()
    ours, stock_us, floor = (statistics.median(figures[k]) for k in ("paotui", "stock", "hand"))
    print(f"SQLite unit of work (update key, user + conversation, conversation upsert), {args.transactions} "
          f"transactions x {args.rounds} rounds, CPU per transaction (median):")
    print(f"  paotui (pysqlite Session inline)     {ours:7.1f} us")
    print(f"  AsyncSession over aiosqlite          {stock_us:7.1f} us   ({stock_us / ours:.1f}x paotui)")
    print(f"  sqlite3 by hand, same SQL            {floor:7.1f} us   (paotui is {ours / floor:.1f}x this floor)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(run(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
