"""Migration 0005 encrypts the complaints already recorded with the service's keys: after it a complaint's text is
stored only as ciphertext, and operators read it as before."""
from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from alembic import command

from handlers.context import Services
from storage.crypto import Cipher
from storage.migrate import alembic_config, upgrade
from storage.models import UTCDateTime
from storage.uow import UnitOfWork
from tests.factories import make_order, make_user
from tests.handlers.harness import Chat, keys
from tests.handlers.test_contact_privacy import tables_with

KEY = Cipher.new_key()
PHONE, ROOM = "13912345678", "F3-512"
TEXT = f"never came, call me on {PHONE}, I am in {ROOM}"
# The complaints table as revision 0004 left it: the text in clear.
CLEAR = sa.table("complaints", sa.column("order_id"), sa.column("user_id"), sa.column("text"), sa.column("status"),
                 sa.column("resolution"), sa.column("created_at", UTCDateTime()))


async def at_revision(db) -> tuple[str, list[str]]:
    """The database's revision and the complaints table's columns."""
    async with UnitOfWork(db, write=False) as uow:
        version = await uow.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
        columns = list((await uow.session.execute(sa.text("SELECT * FROM complaints"))).keys())
    return version, columns


async def test_a_clear_complaint_is_encrypted_by_the_upgrade_and_operators_still_read_it(db, campus, clock):
    alice = await make_user(db, campus, clock(), name="alice")
    order_id = await make_order(db, campus, alice, clock())
    url = db.url.render_as_string(hide_password=False)
    await db.dispose()  # no pooled connection holds the old table while it is rebuilt
    try:
        await asyncio.to_thread(command.downgrade, alembic_config(url), "0004")
        async with UnitOfWork(db) as uow:
            await uow.session.execute(sa.insert(CLEAR).values(order_id=order_id, user_id=alice, text=TEXT,
                                                              status="open", resolution="", created_at=clock()))
        await db.dispose()
        # Without the keys the upgrade refuses before changing anything, rather than leave the text in clear.
        with pytest.raises(RuntimeError, match="encryption keys"):
            await asyncio.to_thread(upgrade, url)
        await db.dispose()
        version, columns = await at_revision(db)
        assert version == "0004" and "text" in columns and "text_enc" not in columns
        assert await tables_with(db, PHONE, ROOM) == ["complaints"]
        await db.dispose()
    finally:
        await asyncio.to_thread(upgrade, url, "head", [KEY])  # as `main.py migrate` runs it
    await db.dispose()

    _, columns = await at_revision(db)
    assert "text" not in columns and "text_enc" in columns
    assert await tables_with(db, PHONE, ROOM) == []
    chat = Chat(Services(db=db, campuses={campus.id: campus}, cipher=Cipher([KEY]), clock=clock,
                         channels=("console",)))
    listed = await chat.send("admin", "/complaints")  # campus/demo.yaml: operators: ["console:admin"]
    assert keys(listed) == ["admin-complaints-title", "admin-complaint-line"] and TEXT in listed[1].text
    assert any(TEXT in r.text for r in await chat.send("admin", f"/find {order_id}"))
