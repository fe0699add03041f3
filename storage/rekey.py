"""Personal data under the service's keys: whether they open what is stored (checked at start), and re-encrypting
all of it with the first key (`python main.py rekey`), so that an old key can be dropped after a rotation.

Ciphertext lives in the *_enc columns, in conversations (a draft's room and phone, an application's name and student
number: values under keys ending in "_enc") and in outbox rows not yet sent (a sealed payload: storage.outbox).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect, select, tuple_, update

from storage.crypto import Cipher
from storage.db import Database
from storage.models import Complaint, Conversation, KeptUpdate, Outbox, RunnerProfile, User
from storage.models import Order as OrderRow
from storage.outbox import SEALED
from storage.uow import UnitOfWork

# Each encrypted column, with its table's primary key (one column) to walk it in batches.
ENCRYPTED_COLUMNS: tuple[tuple[Any, str], ...] = (
    (User, "phone_enc"), (User, "room_enc"),
    (RunnerProfile, "real_name_enc"), (RunnerProfile, "student_no_enc"), (RunnerProfile, "card_photo_enc"),
    (OrderRow, "phone_enc"), (OrderRow, "room_enc"), (OrderRow, "description_enc"), (OrderRow, "notes_enc"),
    (OrderRow, "rating_comment_enc"),
    (Complaint, "text_enc"),
    (KeptUpdate, "body_enc"),
)
BATCH = 500  # rows re-encrypted per transaction


def column_name(model: Any, column: str) -> str:
    return f"{model.__tablename__}.{column}"


def _key(model: Any) -> Any:
    (key,) = model.__table__.primary_key.columns
    return getattr(model, key.name)


async def _present(db: Database) -> list[tuple[Any, str]]:
    """The encrypted columns this database has at its revision (reflected): before migrating, a later one's are not
    there yet."""
    def reflect(conn: Any) -> set[tuple[str, str]]:
        inspector = inspect(conn)
        tables = set(inspector.get_table_names()) & {model.__tablename__ for model, _ in ENCRYPTED_COLUMNS}
        return {(table, c["name"]) for table in tables for c in inspector.get_columns(table)}

    present = await db.run_sync(reflect)
    return [(model, column) for model, column in ENCRYPTED_COLUMNS if (model.__tablename__, column) in present]


async def stored_samples(db: Database) -> dict[str, list[str]]:
    """The oldest and newest value of each encrypted column that holds any, at whatever revision the database is:
    what the keys must open, checked before migrating (a migration that encrypts clear text would otherwise seal it
    under keys that are not the database's)."""
    found: dict[str, list[str]] = {}
    columns = await _present(db)
    async with UnitOfWork(db, write=False) as uow:
        for model, column in columns:
            value, key = getattr(model, column), _key(model)
            for order in (key.asc(), key.desc()):
                token = await uow.session.scalar(select(value).where(value.is_not(None)).order_by(order).limit(1))
                if token is not None:
                    found.setdefault(column_name(model, column), []).append(token)
    return found


async def unreadable(db: Database, cipher: Cipher) -> list[str]:
    """The encrypted columns whose oldest or newest value these keys cannot open: data written under a key that is
    no longer configured (a key dropped before `rekey`, another host's generated key). Empty: all is well."""
    return [place for place, tokens in (await stored_samples(db)).items()
            if not all(cipher.opens(token) for token in tokens)]


@dataclass
class RekeyReport:
    rewritten: dict[str, int] = field(default_factory=dict)  # values re-encrypted with the first key, per place
    unreadable: dict[str, int] = field(default_factory=dict)  # values no configured key opens, left as they were


def _rotated(cipher: Cipher, token: str, place: str, report: RekeyReport) -> str:
    try:
        new = cipher.rotate(token)
    except ValueError:
        report.unreadable[place] = report.unreadable.get(place, 0) + 1
        return token
    report.rewritten[place] = report.rewritten.get(place, 0) + 1
    return new


async def rekey(db: Database, cipher: Cipher) -> RekeyReport:
    """Re-encrypt every stored value with the first key. Batch by batch, each its own transaction, so it can run
    beside the service (a value written meanwhile is under the first key already) and be run again."""
    report = RekeyReport()
    for model, column in ENCRYPTED_COLUMNS:
        place, value, key = column_name(model, column), getattr(model, column), _key(model)
        last = None
        while True:
            async with UnitOfWork(db) as uow:
                query = select(key, value).where(value.is_not(None)).order_by(key).limit(BATCH)
                rows = (await uow.session.execute(query if last is None else query.where(key > last))).all()
                for ident, token in rows:
                    new = _rotated(cipher, token, place, report)
                    if new != token:  # unless it changed meanwhile (written under the first key already)
                        await uow.session.execute(
                            update(model).where(key == ident, value == token).values({column: new})
                            .execution_options(synchronize_session=False))
            if len(rows) < BATCH:
                break
            last = rows[-1][0]
    await _rekey_json(db, report, "conversations", Conversation, Conversation.data,
                      lambda data: _walk(data, lambda t: _rotated(cipher, t, "conversations", report)))
    await _rekey_json(db, report, "outbox", Outbox, Outbox.payload,
                      lambda payload: _sealed(payload, lambda t: _rotated(cipher, t, "outbox", report)))
    return report


async def _rekey_json(db: Database, report: RekeyReport, place: str, model: Any, column: Any,
                      change: Callable[[Any], Any]) -> None:
    """The JSON column's values, each through `change`, written back where it changed anything."""
    key_columns = list(model.__table__.primary_key.columns)
    keys = [getattr(model, c.name) for c in key_columns]
    last: tuple | None = None
    while True:
        async with UnitOfWork(db) as uow:
            # Locked until written back (FOR UPDATE; SQLite runs one writer at a time): a service process changing
            # a row meanwhile waits, rather than have its change overwritten by the rotated old one.
            query = select(*keys, column).order_by(*keys).limit(BATCH).with_for_update()
            if last is not None:
                query = query.where(tuple_(*keys) > tuple_(*last))
            rows = (await uow.session.execute(query)).all()
            for row in rows:
                ident, data = tuple(row[:-1]), row[-1]
                new = change(data)
                if new != data:
                    where = [k == v for k, v in zip(keys, ident, strict=True)]
                    await uow.session.execute(update(model).where(*where).values({column.key: new})
                                              .execution_options(synchronize_session=False))
        if len(rows) < BATCH:
            return
        last = tuple(rows[-1][:-1])


def _walk(data: Any, rotate: Callable[[str], str]) -> Any:
    """A conversation's data with every string under a key ending in "_enc" rotated, however deep."""
    if isinstance(data, dict):
        return {k: (rotate(v) if k.endswith("_enc") and isinstance(v, str) else _walk(v, rotate))
                for k, v in data.items()}
    if isinstance(data, list):
        return [_walk(v, rotate) for v in data]
    return data


def _sealed(payload: Any, rotate: Callable[[str], str]) -> Any:
    if isinstance(payload, dict) and isinstance(payload.get(SEALED), str):
        return {**payload, SEALED: rotate(payload[SEALED])}
    return payload
