"""What the outbox keeps of people's messages: sealed content that key rotation still opens, emptied once delivered,
and rows deleted after the retention unless an active order may still edit them — by the scheduler's tidy job, in
the test's clock."""
from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import shutil

from sqlalchemy import select

from bot.scheduler import build_scheduler
from core.order import Actor, Event
from handlers.context import Services
from storage.crypto import Cipher
from storage.db import Database
from storage.models import Outbox, ProcessedUpdate
from storage.outbox import SEALED, forget_delivered, open_payload, prune, seal
from storage.uow import UnitOfWork
from tests.factories import CIPHER, act, make_order, make_user

_keys = itertools.count(1)
DETAILS = {"key": "notice-you-won", "text": "You got order #7.\nRoom: F3-502\nPhone: 13800138000",
           "choices": [[{"label": "Picked up", "data": "o:7:pickup"}]], "edit_key": "details:1:7"}


def test_a_sealed_payload_shows_nothing_in_clear_and_opens_after_a_key_rotation():
    first_key = Cipher.new_key()
    old = Cipher([first_key])
    sealed = seal(old, {**DETAILS, "photo": "AgAD-file"})
    assert set(sealed) == {SEALED, "edit_key", "photo"} and sealed["photo"] is True  # a photo, not which
    assert "13800138000" not in str(sealed) and "F3-502" not in str(sealed) and "AgAD-file" not in str(sealed)
    rotated = Cipher([Cipher.new_key(), first_key])  # a new key first; the old one still decrypts
    assert open_payload(rotated, sealed) == {**DETAILS, "photo": "AgAD-file"}
    # Plain payloads (the hall, operators, menus, rows from before sealing) read as they are.
    assert open_payload(rotated, {"key": "hall-card", "text": "#7", "edit_key": "hall:7"})["text"] == "#7"
    assert open_payload(rotated, {"kind": "menu"}) == {"kind": "menu"}
    # A token no configured key opens leaves only the routing fields (logged), not an exception for the sender.
    assert open_payload(Cipher([Cipher.new_key()]), sealed) == {"edit_key": "details:1:7"}


async def add_row(db, recipient: str, payload: dict, at: dt.datetime, *, status: str = "sent",
                  sent_ref: str | None = None) -> int:
    async with UnitOfWork(db) as uow:
        row = Outbox(dedupe_key=f"tidy-test:{next(_keys)}", channel="telegram", recipient=recipient, payload=payload,
                     status=status, next_attempt_at=at, created_at=at, sent_at=at if status == "sent" else None,
                     edit_key=payload.get("edit_key"), sent_ref=sent_ref)
        uow.session.add(row)
        await uow.session.flush()
        return row.id  # type: ignore[return-value]


async def outbox_rows(db) -> dict[int, Outbox]:
    async with UnitOfWork(db, write=False) as uow:
        return {r.id: r for r in await uow.session.scalars(select(Outbox))}


async def seen_keys(db) -> set[str]:
    async with UnitOfWork(db, write=False) as uow:
        return set(await uow.session.scalars(select(ProcessedUpdate.key)))


async def test_the_tidy_job_empties_delivered_messages_then_prunes_old_rows_but_not_an_active_orders(
        db, campus, clock):
    services = Services(db=db, campuses={campus.id: campus}, cipher=CIPHER, clock=clock, channels=("telegram",))
    start = clock()
    customer = await make_user(db, campus, start)
    active = await make_order(db, campus, customer, start)  # paid, open: its hall post will be edited again
    done = await make_order(db, campus, customer, start)
    await act(db, campus, done, Event.expire, Actor.system(), start)  # final: nothing edits its messages again

    sent_private = await add_row(db, "3003", seal(CIPHER, DETAILS), start, sent_ref="3003:10")
    failed_private = await add_row(db, "3004", seal(CIPHER, {**DETAILS, "edit_key": None}), start, status="failed")
    pending_private = await add_row(db, "3005", seal(CIPHER, {**DETAILS, "edit_key": None}), start, status="pending")
    active_post = await add_row(db, "-1001", {"key": "hall-card", "text": "#a", "edit_key": f"hall:{active}"}, start,
                                sent_ref="-1001:1")
    await add_row(db, "-1001", {"key": "hall-card", "text": "#d", "edit_key": f"hall:{done}"}, start,
                              sent_ref="-1001:2")
    # An edit key that only ends in the active order's digits belongs to another order.
    await add_row(db, "-1001", {"key": "hall-card", "text": "#o", "edit_key": f"hall:9{active}"}, start)
    async with UnitOfWork(db) as uow:
        uow.session.add(ProcessedUpdate(key="tg:old", at=start))

    job = build_scheduler(services).get_job("tidy")  # what APScheduler calls, with the services' clock
    clock.advance(minutes=1)
    await job.func()
    rows = await outbox_rows(db)
    assert len(rows) == 6  # nothing is old enough to go yet
    # Delivered (or failed for good): the content is gone; what routes edits stays.
    assert rows[sent_private].payload == {"edit_key": "details:1:7"}
    assert (rows[sent_private].edit_key, rows[sent_private].sent_ref) == ("details:1:7", "3003:10")
    assert SEALED not in rows[failed_private].payload
    assert open_payload(CIPHER, rows[pending_private].payload)["text"] == DETAILS["text"]  # still to be sent
    assert rows[active_post].payload["text"] == "#a"  # hall rows stay as they are: digests are re-rendered from them

    clock.advance(days=3)
    async with UnitOfWork(db) as uow:
        uow.session.add(ProcessedUpdate(key="tg:recent", at=clock()))
    await job.func()
    assert len(await outbox_rows(db)) == 6  # within the week
    assert await seen_keys(db) == {"tg:recent"}  # processed-update keys go after their two days

    clock.advance(days=5)  # eight days after they were sent
    await job.func()
    assert set(await outbox_rows(db)) == {active_post, pending_private}  # the final order's post went, and hall:9…


async def test_a_backlog_is_pruned_a_bounded_batch_at_a_time_until_only_what_an_active_order_edits_is_left(
        db, campus, clock):
    start = clock()
    customer = await make_user(db, campus, start)
    active = await make_order(db, campus, customer, start)
    done = await make_order(db, campus, customer, start)
    await act(db, campus, done, Event.expire, Actor.system(), start)
    keys = [f"hall:{active}", f"hall:{done}", None, f"details:5:{active}", f"details:5:{done}"]
    old = {await add_row(db, "-1001", {"text": "#", "edit_key": keys[i % len(keys)]}, start) for i in range(25)}
    kept = {row_id for row_id in old if (await outbox_rows(db))[row_id].edit_key in keys[::3]}  # the active order's
    old_pending = await add_row(db, "3005", {"text": "retrying"}, start, status="pending")
    clock.advance(days=8)
    recent = await add_row(db, "-1001", {"text": "#", "edit_key": f"hall:{done}"}, clock())

    # Batches of four old rows (each its own short transaction); a run ends once it deleted eight.
    runs = []
    while not runs or runs[-1]:
        runs.append(await prune(db, clock(), batch=4, budget=8))
        assert len(runs) < 10
    assert 8 <= runs[0] < 8 + 4 and sum(runs) == len(old) - len(kept) == 15
    assert set(await outbox_rows(db)) == kept | {old_pending, recent}


async def test_delivered_content_is_forgotten_a_bounded_batch_at_a_time(db, clock):
    sealed = [await add_row(db, "3003", seal(CIPHER, {**DETAILS, "edit_key": None}), clock()) for _ in range(5)]
    assert [await forget_delivered(db, batch=2, budget=3) for _ in range(3)] == [4, 1, 0]  # 2 + 2, then 1
    rows = await outbox_rows(db)
    assert all(rows[i].payload == {"edit_key": None} for i in sealed)


async def test_a_write_that_arrives_while_a_backlog_is_pruned_does_not_wait_for_all_of_it(
        sqlite_template, tmp_path, clock):
    """SQLite has one writer at a time: a prune in one transaction held every input until it ended."""
    path = tmp_path / "backlog.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        for _ in range(40):
            await add_row(db, "-1001", {"text": "#"}, clock())
        clock.advance(days=8)
        left_when_served = []

        async def an_input():
            async with UnitOfWork(db) as uow:
                uow.session.add(ProcessedUpdate(key="tg:1", at=clock()))
            left_when_served.append(len(await outbox_rows(db)))

        pruned, _ = await asyncio.gather(prune(db, clock(), batch=5), an_input())
        assert pruned == 40 and await outbox_rows(db) == {}
        assert 0 < left_when_served[0] < 40  # served between two batches
    finally:
        await db.dispose()
