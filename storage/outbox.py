"""What the outbox keeps of a message to a person, and for how long (design.md §2 Privacy, §5).

Sealed: a message to one person (a student, a runner) may carry a phone and room (the winner's details), chat the
bot relays between them, a photo. Its content — key, text, choices, photo — is stored as one Fernet token
(storage.crypto.Cipher: MultiFernet, so key rotation works as for the orders' phone and room). The routing fields
the sender reads without opening stay plain (ROUTING), and so does the fact that the message has a photo (not the
photo): a later edit changes a photo's caption, not its text, even after the content was forgotten. Task-hall and
operator-chat rows stay plain: they never carry a phone or room (handlers.orders.hall_card), and the sender
re-renders hall digests from sent hall rows.

Forgotten: once a sealed row is sent, or failed for good, nothing reads its content again (a private message is
edited from the new row's content; only digests, which are hall rows, are re-rendered from sent rows), so
`forget_delivered` drops the token and keeps the plain fields (and the columns: edit_key, sent_ref).

Pruned: sent and failed rows older than a retention are deleted — except rows whose edit_key belongs to an order
that is not final. A later transition of such an order edits its messages (the hall post, an offer, the runner's
details) and needs the sent row's sent_ref to find the message; a final order has no later transition. Every
order-scoped edit key ends in ":<order id>" (hall:12, offer:12, details:…:12).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from sqlalchemy import String, cast, delete, exists, func, literal, select, update

from core.order import FINAL
from storage.crypto import Cipher
from storage.db import DbSession
from storage.models import Order as OrderRow
from storage.models import Outbox

log = logging.getLogger(__name__)

SEALED = "sealed"  # the payload field holding the token
ROUTING = frozenset({"edit_key", "kind", "repost"})  # read by senders without opening: never personal
SETTLED = ("sent", "failed")
RETENTION = dt.timedelta(days=7)
FORGET_BATCH = 1000  # sealed rows emptied per run (a backlog empties over a few runs)


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


def _sealed() -> Any:
    return Outbox.payload[SEALED].as_string().is_not(None)


async def forget_delivered(session: DbSession) -> int:
    """Drop the content of sealed rows that were sent or failed for good; the number of rows emptied."""
    rows = (await session.execute(
        select(Outbox.id, Outbox.payload).where(Outbox.status.in_(SETTLED), _sealed())
        .order_by(Outbox.id).limit(FORGET_BATCH))).all()
    for row_id, payload in rows:
        await session.execute(
            update(Outbox).where(Outbox.id == row_id)
            .values(payload={k: v for k, v in payload.items() if k != SEALED})
            .execution_options(synchronize_session=False))
    return len(rows)


async def prune(session: DbSession, now: dt.datetime, retention: dt.timedelta = RETENTION) -> int:
    """Delete sent and failed rows settled before now − retention, but not those an active order may still edit;
    the number of rows deleted."""
    still_editable = exists(select(OrderRow.id).where(
        OrderRow.status.not_in([s.value for s in FINAL]),
        Outbox.edit_key.like(literal("%:", String) + cast(OrderRow.id, String))))
    result = await session.execute(
        delete(Outbox).where(Outbox.status.in_(SETTLED),
                             func.coalesce(Outbox.sent_at, Outbox.created_at) < now - retention,
                             ~still_editable)
        .execution_options(synchronize_session=False))
    return result.rowcount
