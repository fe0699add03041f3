"""Migration 0016 encrypts the free text of the orders already placed (description, notes, rating comment) with the
service's keys; without them it changes nothing. Going back decrypts it."""
from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from alembic import command

from storage.crypto import Cipher
from storage.migrate import alembic_config, upgrade
from storage.uow import UnitOfWork
from tests.factories import make_order, make_user
from tests.handlers.test_contact_privacy import tables_with

KEY = Cipher.new_key()
CODE, NOTE, COMMENT = "Code 4-2-1187", "call Wang Fang 13912345678", "quick, thanks"


async def clear_text(db, order_id: int) -> tuple:
    async with UnitOfWork(db, write=False) as uow:
        return tuple((await uow.session.execute(sa.text(
            f"SELECT description, notes, rating_comment FROM orders WHERE id = {order_id}"))).one())


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

    await db.dispose()
    try:
        await asyncio.to_thread(command.downgrade, alembic_config(url, [KEY]), "0015")
        await db.dispose()
        assert await clear_text(db, order_id) == (CODE, NOTE, COMMENT)
        assert await clear_text(db, other) == ("", "", "")
        await db.dispose()
    finally:
        await asyncio.to_thread(upgrade, url, "head", [KEY])
    await db.dispose()
