"""Operations added for operators and runners, run at the same moment in two processes on PostgreSQL: a
suspension meeting the runner's pickup, two withdrawals, a release question meeting a release and a retake."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

import handlers.admin as admin
from handlers.context import Services
from storage.db import Database
from storage.models import RunnerProfile, Withdrawal
from storage.uow import UnitOfWork
from tests.factories import CIPHER
from tests.handlers.harness import Chat, keys
from tests.handlers.test_admin import OP, get, operator

PG = pytest.mark.parametrize("db", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)


def two_processes(db, other, campus, clock) -> list[Chat]:
    return [Chat(Services(db=d, campuses={campus.id: campus}, cipher=CIPHER, clock=clock, channels=("console",)))
            for d in (db, other)]


@PG
async def test_a_suspension_at_the_moment_the_runner_picks_up_still_suspends_them(
        db, request, campus, clock, monkeypatch):
    from core.order import Event
    from storage.models import Order as OrderRow
    from storage.models import User
    from tests.handlers.test_runner import person, runner, won_order

    other = Database(request.getfixturevalue("postgres_url"))  # a second process: the runner's press
    try:
        chats = two_processes(db, other, campus, clock)
        await operator(chats[0])
        alice = await person(db, campus, clock(), "alice")
        rob = await runner(db, campus, clock(), "rob")
        order_id = await won_order(chats[0], chats[0].services, alice, "rob")
        real, selected, picked = admin.move, asyncio.Event(), asyncio.Event()

        async def move(ctx, row, event, *args, **kwargs):  # the runner's Picked up lands between the read and write
            if event is Event.take_back:
                selected.set()
                try:
                    await asyncio.wait_for(picked.wait(), 5)
                except asyncio.TimeoutError:
                    pass
            return await real(ctx, row, event, *args, **kwargs)

        monkeypatch.setattr(admin, "move", move)

        async def press_picked_up():
            await asyncio.wait_for(selected.wait(), 5)
            try:
                return await chats[1].press("rob", f"data:o:{order_id}:pickup")
            finally:
                picked.set()

        suspended, pressed = await asyncio.gather(chats[0].send(OP, f"/suspend #{rob} no-shows"), press_picked_up())
        assert keys(pressed)[0] == "runner-picked-up"
        assert (await get(db, OrderRow, order_id)).status == "picked_up"
        # The operator asked to suspend a person, named no order: they are suspended, the order carried stays theirs.
        assert keys(suspended) == ["admin-suspended"], [r.text for r in suspended]
        assert (await get(db, User, rob)).suspended is True
    finally:
        await other.dispose()


@PG
async def test_two_withdrawals_asked_at_once_in_two_processes_make_one_request(db, request, campus, clock):
    from tests.handlers.test_runner import complete, person, runner

    other = Database(request.getfixturevalue("postgres_url"))
    try:
        chats = two_processes(db, other, campus, clock)
        alice = await person(db, campus, clock(), "alice")
        rob = await runner(db, campus, clock(), "rob")
        await complete(db, campus, alice, rob, clock())
        done = await asyncio.gather(chats[0].send("rob", "/withdraw 0.01"), chats[1].send("rob", "/withdraw 0.02"))
        assert sorted(keys(d)[0] for d in done) == ["runner-withdraw-pending", "runner-withdraw-requested"]
        async with UnitOfWork(db, write=False) as uow:
            assert len(list(await uow.session.scalars(select(Withdrawal.id)))) == 1
    finally:
        await other.dispose()


@PG
async def test_a_release_question_answered_while_the_runner_releases_and_retakes_does_not_release_the_new_taking(
        db, request, campus, clock, monkeypatch):
    import handlers.runner as runner_module
    from storage.models import Order as OrderRow
    from tests.handlers.test_runner import person, runner, won_order

    other = Database(request.getfixturevalue("postgres_url"))
    try:
        chats = two_processes(db, other, campus, clock)
        alice = await person(db, campus, clock(), "alice")
        rob = await runner(db, campus, clock(), "rob")
        order_id = await won_order(chats[0], chats[0].services, alice, "rob")
        (first,) = await chats[0].press("rob", f"data:o:{order_id}:release")  # from the details message
        (second,) = await chats[0].press("rob", f"data:o:{order_id}:release")  # and from the /track card
        first_yes, second_yes = first.flat_choices()[0].data, second.flat_choices()[0].data
        real, read, retaken = runner_module._credit, asyncio.Event(), asyncio.Event()

        async def credit(ctx):  # runs between release_yes's check of the taking and its write
            if ctx.services.db is db and not read.is_set():
                read.set()
                await asyncio.wait_for(retaken.wait(), 5)
            return await real(ctx)

        monkeypatch.setattr(runner_module, "_credit", credit)

        async def release_and_retake():
            await asyncio.wait_for(read.wait(), 5)
            try:
                assert keys(await chats[1].press("rob", f"data:{first_yes}")) == ["runner-released"]
                clock.advance(minutes=5)
                assert keys(await chats[1].press("rob", f"data:g:{order_id}", chat="hall:demo"))[0] == "grab-won"
            finally:
                retaken.set()

        late, _ = await asyncio.gather(chats[0].press("rob", f"data:{second_yes}"), release_and_retake())
        row = await get(db, OrderRow, order_id)
        profile = await get(db, RunnerProfile, rob)
        assert (row.status, row.runner_id) == ("accepted", rob), keys(late)  # taken again: still his
        assert profile.credit == campus.credit.initial + campus.credit.changes["released"]  # one release, one penalty
    finally:
        await other.dispose()
