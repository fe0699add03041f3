"""What operators are told is kept like a person's messages (storage.outbox): sealed at rest, emptied once delivered.
A student's complaint is free text and may well hold a phone number or a room: its row keeps it encrypted too."""
from __future__ import annotations

from sqlalchemy import select, text

from bot.scheduler import tidy
from core.order import Actor, Event, Role
from storage.models import Complaint, Outbox
from storage.outbox import SEALED
from storage.uow import UnitOfWork
from tests.factories import act, make_order, make_runner, make_user
from tests.handlers.harness import keys
from tests.handlers.test_contact_privacy import tables_with

PHONE, ROOM = "13912345678", "F3-512"


async def stored_payloads(db) -> list[str]:
    async with UnitOfWork(db, write=False) as uow:
        return [dumped for (dumped,) in (await uow.session.execute(text("SELECT CAST(payload AS TEXT) FROM outbox")))]


async def test_a_complaint_reaches_the_operators_but_its_text_is_never_stored_in_clear(
        db, campus, clock, chat, services):
    alice = await make_user(db, campus, clock(), name="alice")
    runner = await make_runner(db, campus, clock())
    order_id = await make_order(db, campus, alice, clock())
    await act(db, campus, order_id, Event.accept, Actor(Role.runner, runner), clock())
    await act(db, campus, order_id, Event.pickup, Actor(Role.runner, runner), clock())
    complaint = f"never came, call me on {PHONE}, I am in {ROOM}"

    assert keys(await chat.send("alice", f"/complain {order_id} {complaint}")) == ["track-complaint-recorded"]
    dumped = await stored_payloads(db)
    assert dumped and not any(PHONE in d or ROOM in d for d in dumped)

    told = await chat.inbox("admin")  # the operators' console chat opens it
    assert complaint in next(m["text"] for m in told if m["key"] == "track-complaint-operators")

    # The complaint itself is kept as ciphertext (complaints.text_enc), yet an operator reads it in the list and on
    # the order, and deciding it stores none of it either.
    assert await tables_with(db, PHONE, ROOM) == []
    listed = await chat.send("admin", "/complaints")
    assert keys(listed) == ["admin-complaints-title", "admin-complaint-line"] and complaint in listed[1].text
    assert any(complaint in r.text for r in await chat.send("admin", f"/find {order_id}"))
    async with UnitOfWork(db, write=False) as uow:
        complaint_id = await uow.session.scalar(select(Complaint.id))
    assert keys(await chat.press("admin", f"data:adm:dis:{complaint_id}")) == ["admin-complaint-done"]
    assert await tables_with(db, PHONE, ROOM) == []

    await tidy(services, clock())  # delivered: nothing reads the content again
    async with UnitOfWork(db, write=False) as uow:
        to_operators = list(await uow.session.scalars(select(Outbox).where(Outbox.recipient == "admin")))
    assert to_operators and all(SEALED not in r.payload and r.status == "sent" for r in to_operators)
