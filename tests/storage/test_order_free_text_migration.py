"""Migration 0016 encrypts the free text of the orders already placed (description, notes, rating comment) with the
service's keys; without them it changes nothing. Going back decrypts it."""
from __future__ import annotations

import asyncio
import json

import pytest
import sqlalchemy as sa
from alembic import command

from storage.crypto import Cipher
from storage.migrate import alembic_config, upgrade
from storage.models import Conversation
from storage.uow import UnitOfWork
from tests.factories import make_order, make_user
from tests.handlers.test_contact_privacy import tables_with

KEY = Cipher.new_key()
CODE, NOTE, COMMENT = "Code 4-2-1187", "call Wang Fang 13912345678", "quick, thanks"


async def clear_text(db, order_id: int) -> tuple:
    async with UnitOfWork(db, write=False) as uow:
        return tuple((await uow.session.execute(sa.text(
            f"SELECT description, notes, rating_comment FROM orders WHERE id = {order_id}"))).one())


DRAFT = {"_token": "abc123", "task": "parcel", "description": CODE, "notes": NOTE,
         "_question": {"token": "abc123", "key": "order-quote", "args": {"text": f"Notes: {NOTE}"}, "keep": [],
                       "buttons": True, "choices": []},
         "_kept": {"12": {"key": "track-card", "args": {"text": CODE}, "keep": []}}}


async def conversation_data(db) -> dict:
    async with UnitOfWork(db, write=False) as uow:
        return (await uow.session.get(Conversation, ("console", "alice"))).data


async def test_an_orders_free_text_is_encrypted_by_the_upgrade_and_decrypted_by_the_downgrade(db, campus, clock):
    alice = await make_user(db, campus, clock(), name="alice")
    order_id = await make_order(db, campus, alice, clock())
    other = await make_order(db, campus, alice, clock())  # nothing typed: nothing to encrypt
    url = db.url.render_as_string(hide_password=False)
    await db.dispose()
    try:
        await asyncio.to_thread(command.downgrade, alembic_config(url), "0015")
        async with UnitOfWork(db) as uow:
            await uow.session.execute(sa.text("UPDATE orders SET description = :d, notes = :n, rating_comment = :c "
                                              "WHERE id = :id"), {"d": CODE, "n": NOTE, "c": COMMENT, "id": order_id})
            # A draft a student was filling in (and its question waiting), as the code before 0016 kept it.
            uow.session.add(Conversation(channel="console", external_id="alice", state="order.quote", data=DRAFT,
                                         updated_at=clock()))
        await db.dispose()
        with pytest.raises(RuntimeError, match="encryption keys"):  # no keys: nothing changes, nothing is lost
            await asyncio.to_thread(upgrade, url)
        await db.dispose()
        assert await clear_text(db, order_id) == (CODE, NOTE, COMMENT)
        await db.dispose()
    finally:
        await asyncio.to_thread(upgrade, url, "head", [KEY])  # as `main.py migrate` runs it
    await db.dispose()

    assert await tables_with(db, CODE, "13912345678", COMMENT) == []
    cipher = Cipher([KEY])
    async with UnitOfWork(db, write=False) as uow:
        row, untouched = await uow.orders.get_row(order_id), await uow.orders.get_row(other)
    assert [cipher.decrypt(v) for v in (row.description_enc, row.notes_enc, row.rating_comment_enc)] == [
        CODE, NOTE, COMMENT]
    assert (untouched.description_enc, untouched.notes_enc, untouched.rating_comment_enc) == (None, None, None)
    draft = await conversation_data(db)
    assert "description" not in draft and "notes" not in draft and "args" not in draft["_question"]
    assert (cipher.decrypt(draft["description_enc"]), cipher.decrypt(draft["notes_enc"])) == (CODE, NOTE)
    assert json.loads(cipher.decrypt(draft["_question"]["args_enc"])) == {"text": f"Notes: {NOTE}"}
    assert json.loads(cipher.decrypt(draft["_kept"]["12"]["args_enc"])) == {"text": CODE}

    await db.dispose()
    try:
        await asyncio.to_thread(command.downgrade, alembic_config(url, [KEY]), "0015")
        await db.dispose()
        assert await clear_text(db, order_id) == (CODE, NOTE, COMMENT)
        assert await clear_text(db, other) == ("", "", "")
        assert await conversation_data(db) == DRAFT
        await db.dispose()
    finally:
        await asyncio.to_thread(upgrade, url, "head", [KEY])
    await db.dispose()
