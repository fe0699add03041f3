"""A runner the bot can no longer write to: marked once, and the operators of each order they still run are told, so
that they reassign it (its details may never have reached them) or reach them another way."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.order import Actor, Event, Role
from handlers.context import Services
from handlers.unreachable import unreachable
from locales import catalogue
from storage.models import User
from storage.uow import UnitOfWork
from tests.factories import CIPHER, act, make_runner, make_user
from tests.handlers.harness import Chat
from tests.handlers.test_admin import OP, accepted_order, external
from tests.handlers.test_hall import HALL
from tests.handlers.test_runner import order_row, paid_order


async def found_unreachable(services: Services, external_id: str) -> None:
    """As a channel does when it is refused a private message to them (a 403)."""
    async with UnitOfWork(services.db) as uow:
        await unreachable(services, uow, "console", external_id, services.clock())


async def started(db, user_id: int) -> bool:
    async with UnitOfWork(db, write=False) as uow:
        return bool(await uow.session.scalar(select(User.started_bot).where(User.id == user_id)))


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_the_operators_hear_of_each_order_an_unreachable_runner_runs_once(db, campus, clock, language):
    campus = campus.model_copy(update={"language": language})  # the operators' notices speak the campus language
    services = Services(db=db, campuses={campus.id: campus}, cipher=CIPHER, clock=clock, channels=("console",))
    chat = Chat(services)
    customer = await make_user(db, campus, clock.now)
    runner = await make_runner(db, campus, clock.now)
    waiting = await accepted_order(db, campus, clock.now, customer, runner)
    carried = await accepted_order(db, campus, clock.now, customer, runner)
    await act(db, campus, carried, Event.pickup, Actor(Role.runner, runner), clock.now)
    done = await accepted_order(db, campus, clock.now, customer, runner)
    for event in (Event.pickup, Event.deliver):  # delivered: nothing left for them to do
        await act(db, campus, done, event, Actor(Role.runner, runner), clock.now)
    name = await external(db, runner)
    await chat.inbox(OP)

    await found_unreachable(services, name)
    t = catalogue(language)
    assert [m["text"] for m in await chat.inbox(OP)] == [
        t("admin-runner-unreachable-order", order=str(order), who=f"{name} (#{runner})", status=status)
        for order, status in ((waiting, "accepted"), (carried, "picked_up"))]
    assert not await started(db, runner)

    await found_unreachable(services, name)  # another message refused: no news
    assert await chat.inbox(OP) == []


async def test_someone_unreachable_who_runs_no_order_is_only_marked(chat, services, db, campus, clock):
    customer = await make_user(db, campus, clock.now, name="carol")
    idle = await make_runner(db, campus, clock.now)
    await found_unreachable(services, "carol")
    await found_unreachable(services, await external(db, idle))
    await found_unreachable(services, "nobody")  # not known at all: nothing
    assert not await started(db, customer) and not await started(db, idle)
    assert await chat.inbox(OP) == []


async def test_an_order_offered_to_a_runner_found_unreachable_goes_to_the_hall_at_once(
        chat, services, db, campus, clock):
    # Before, it waited out the offer the runner could not see, and nobody was told.
    customer = await make_user(db, campus, clock.now)
    runner = await make_runner(db, campus, clock.now)
    order_id = await paid_order(services, customer, favourite=runner)
    assert (await order_row(db, order_id)).offer_runner_id == runner
    assert await chat.inbox(HALL) == []  # offered to the runner first: the hall has not seen it
    runner_chat = await external(db, runner)
    assert [m["key"] for m in await chat.inbox(runner_chat)] == ["hall-offer"]
    await found_unreachable(services, runner_chat)
    row = await order_row(db, order_id)
    assert (row.status, row.offer_runner_id, row.offer_until) == ("open", None, None)
    (post,) = await chat.inbox(HALL)
    assert post["key"] == "hall-card" and post["choices"][0][0]["data"] == f"g:{order_id}"  # with its Grab
    assert await chat.inbox(runner_chat) == []  # nothing more written to someone who cannot read it
