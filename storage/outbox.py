"""What the outbox keeps of a message to a person, and for how long (design.md §2 Privacy, §5).

Sealed: a message to one person (a student, a runner) may carry a phone and room (the winner's details), chat the
bot relays between them, a photo. Its content — key, text, choices, photo, language — is stored as one Fernet token
(storage.crypto.Cipher: MultiFernet, so key rotation works as for the orders' phone and room). The routing fields
the sender reads without opening stay plain (ROUTING), and so does the fact that the message has a photo (not the
photo): a later edit changes a photo's caption, not its text, even after the content was forgotten. Operator-chat
rows are sealed too: a student's complaint is free text (it may hold a phone or room), an unbookable payment names
the payer. Task-hall rows stay plain: they never carry a phone or room (handlers.orders.hall_card), and the sender
re-renders hall digests from sent hall rows.

Forgotten: once a sealed row is sent, or failed for good, nothing reads its content again (a private message is
edited from the new row's content; only digests, which are hall rows, are re-rendered from sent rows), so
`forget_delivered` drops the token and keeps the plain fields (and the columns: edit_key, sent_ref).

Pruned: sent and failed rows older than a retention are deleted — except rows whose edit_key belongs to an order
that is not final. A later transition of such an order edits its messages (the hall post, an offer, the runner's
details and order cards) and needs the sent row's sent_ref to find the message; a final order has no later
transition. Every order-scoped edit key ends in ":<order id>" (hall:12, offer:12, details:…:12,
card:track/12/…:12). A fact that must outlive the retention is not read from the outbox (the sweep's late
reminder is recorded on the order: late_reminded_at).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update

from core.order import FINAL
from storage.crypto import Cipher
from storage.db import Database, DbSession
from storage.models import Order as OrderRow
from storage.models import Outbox
from storage.sql import insert_ignore
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

SEALED = "sealed"  # the payload field holding the token
ROUTING = frozenset({"edit_key", "kind", "repost"})  # read by senders without opening: never personal
SETTLED = ("sent", "failed")
RETENTION = dt.timedelta(days=7)
FORGET_BATCH = 1000  # sealed rows emptied per transaction
PRUNE_BATCH = 2000  # old rows looked at (and deleted, unless kept) per transaction
RUN_BUDGET = 20_000  # rows emptied (deleted) per run, then it ends; a backlog goes over a few runs


async def queue(session: DbSession, *, dedupe_key: str, channel: str, recipient: str, payload: dict[str, Any],
                now: dt.datetime, due: dt.datetime | None = None, edit_key: str | None = None) -> None:
    """A pending row for the channel's sender, due at `due` (now if None), in the caller's transaction; once per
    dedupe_key (a repeat is ignored)."""
    await insert_ignore(session, Outbox, {
        "dedupe_key": dedupe_key, "channel": channel, "recipient": recipient, "payload": payload, "status": "pending",
        "next_attempt_at": due or now, "created_at": now, "attempts": 0, "last_error": "", "edit_key": edit_key,
    }, ["dedupe_key"])


def seal(cipher: Cipher, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with everything but the routing fields in one token (nothing to seal: as it is)."""
    content = {k: v for k, v in payload.items() if k not in ROUTING}
    if not content:
        return payload
    plain = {k: v for k, v in payload.items() if k in ROUTING}
    if content.get("photo"):
        plain["photo"] = True  # opened, the file id replaces it
    return {**plain, SEALED: cipher.encrypt(json.dumps(content, ensure_ascii=False))}


def open_payload(cipher: Cipher | None, payload: dict[str, Any] | None) -> dict[str, Any]:
    """The payload as the notifier wrote it. A plain one (hall, operators, menus, rows from before sealing) is
    returned as it is; a forgotten one has its plain fields only. A token no configured key opens (or no cipher) is
    logged and leaves the plain fields only: that message cannot be shown (Telegram refuses it: it fails), and the
    other rows still go out."""
    payload = payload or {}
    token = payload.get(SEALED)
    plain = {k: v for k, v in payload.items() if k != SEALED}
    if token is None:
        return plain
    try:
        if cipher is None:
            raise ValueError("no cipher given to open sealed outbox payloads")
        content = json.loads(cipher.decrypt(token) or "{}")
    except ValueError as exc:
        log.error("an outbox payload could not be opened: %s", exc)
        return {k: v for k, v in plain.items() if k in ROUTING}
    return {**plain, **content}


_TABLE = Outbox.__table__


def _sealed() -> Any:
    return Outbox.payload[SEALED].as_string().is_not(None)


# Both jobs below work in batches, each its own short transaction, walking the ids upwards, and stop once a run's
# budget is spent (the rest waits for the next run): one long transaction held SQLite's write lock — every input
# waiting — for as long as a backlog took. On SQLite each statement also holds the event loop
# (storage/sqlite_inline.py), so the scans are bounded by a LIMIT and the loop gets a turn between batches. The
# budget counts rows changed, not rows looked at: a run that only met rows it keeps has not finished.

async def forget_delivered(db: Database, *, batch: int = FORGET_BATCH, budget: int = RUN_BUDGET) -> int:
    """Drop the content of sealed rows that were sent or failed for good; the number of rows emptied (0: none
    left)."""
    emptied, after = 0, 0
    while emptied < budget:
        async with UnitOfWork(db, write=False) as uow:
            rows = (await uow.session.execute(
                select(Outbox.id, Outbox.payload).where(Outbox.id > after, Outbox.status.in_(SETTLED), _sealed())
                .order_by(Outbox.id).limit(batch))).all()
        if not rows:
            break
        async with UnitOfWork(db) as uow:
            # A settled row's payload no longer changes: what was read is what is there.
            await uow.session.execute(  # the Core table: one executemany, not the ORM's bulk-by-key form
                update(_TABLE).where(_TABLE.c.id == bindparam("row_id"), _TABLE.c.status != "pending")  # settled
                .values(payload=bindparam("forgotten")),
                [{"row_id": i, "forgotten": {k: v for k, v in p.items() if k != SEALED}} for i, p in rows])
        emptied += len(rows)
        after = rows[-1][0]
        if len(rows) < batch:
            break
        await asyncio.sleep(0)
    return emptied


async def edited_later(session: DbSession, channel: str, sent_ref: str) -> bool:
    """Whether the outbox sent this message (its `sent_ref`) under an edit key: a row written later may still
    replace what it shows, whatever else edits it meanwhile."""
    return await session.scalar(select(Outbox.id).where(
        Outbox.channel == channel, Outbox.sent_ref == sent_ref, Outbox.edit_key.is_not(None)).limit(1)) is not None


async def rename_edit_key(session: DbSession, old: str, new: str) -> None:
    """Every row under edit key `old` now goes by `new`: a later row under `new` edits the message they showed (a key
    that names a deadline someone moved on)."""
    await session.execute(update(Outbox).where(Outbox.edit_key == old).values(edit_key=new)
                          .execution_options(synchronize_session=False))


def order_of(edit_key: str | None) -> int | None:
    """The order an edit key belongs to: every order-scoped key ends in ":<order id>"."""
    if not edit_key:
        return None
    head, _, tail = edit_key.rpartition(":")
    if not head or not tail.isascii() or not tail.isdigit() or int(tail) >= 2 ** 31:  # no such id (an INTEGER)
        return None
    return int(tail)


async def prune(db: Database, now: dt.datetime, retention: dt.timedelta = RETENTION, *,
                batch: int = PRUNE_BATCH, budget: int = RUN_BUDGET) -> int:
    """Delete sent and failed rows settled before now − retention, but not those an active order may still edit;
    the number of rows deleted (0: none left). Per batch: the old rows' order ids are read from their edit keys, the
    active ones among them found by id in one query (equality, not a LIKE of every row against every active order)."""
    deleted, after = 0, 0
    while deleted < budget:
        async with UnitOfWork(db, write=False) as uow:
            old = (await uow.session.execute(
                select(Outbox.id, Outbox.edit_key)
                .where(Outbox.id > after, Outbox.status.in_(SETTLED),
                       func.coalesce(Outbox.sent_at, Outbox.created_at) < now - retention)
                .order_by(Outbox.id).limit(batch))).all()
            orders = {o for o in (order_of(key) for _, key in old) if o is not None}
            active = set(await uow.session.scalars(
                select(OrderRow.id).where(OrderRow.id.in_(orders), OrderRow.status.not_in([s.value for s in FINAL]))
            )) if orders else set()
        if not old:
            break
        # A final order stays final, a settled row stays settled: the rows read above may go as they were read.
        doomed = [row_id for row_id, key in old if order_of(key) not in active]
        if doomed:
            async with UnitOfWork(db) as uow:
                result = await uow.session.execute(
                    delete(Outbox).where(Outbox.id.in_(doomed), Outbox.status.in_(SETTLED))
                    .execution_options(synchronize_session=False))
            deleted += result.rowcount
        after = old[-1][0]
        if len(old) < batch:
            break
        await asyncio.sleep(0)
    return deleted
