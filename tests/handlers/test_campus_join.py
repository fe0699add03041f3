"""Which campus someone belongs to: a newcomer who came by a campus's start link (its task hall's "open the bot"
button) joins it; someone with orders or a runner application stays where they are."""
from __future__ import annotations

import pytest

from handlers.context import Services
from storage.models import User
from storage.uow import UnitOfWork
from tests.factories import CIPHER, make_order, make_runner
from tests.handlers.harness import Chat, keys
from tests.handlers.test_admin import user_id


@pytest.fixture
def north(campus):
    return campus.model_copy(update={"id": "north", "name": "北校区", "name_en": "North campus"})


@pytest.fixture
def chat(db, campus, north, clock):
    return Chat(Services(db=db, campuses={campus.id: campus, north.id: north}, cipher=CIPHER, clock=clock,
                         channels=("console",)))


async def campus_of(chat, who: str) -> str:
    async with UnitOfWork(chat.services.db, write=False) as uow:
        return (await uow.session.get(User, await user_id(chat.services.db, who))).campus_id


async def test_a_newcomer_by_a_campus_link_joins_that_campus(chat):
    replies = await chat.send("li", "/start c-north")
    assert keys(replies) == ["start-welcome"] and "北校区" in replies[0].text  # welcomed to it, in the default zh_CN
    assert await campus_of(chat, "li") == "north"


async def test_without_a_link_or_with_an_unknown_one_the_default_campus(chat):
    await chat.send("li", "/start")
    await chat.send("wang", "/start c-nowhere")
    assert [await campus_of(chat, who) for who in ("li", "wang")] == ["demo", "demo"]


async def test_someone_with_orders_or_an_application_stays_and_is_told(chat, db, campus, clock):
    await chat.send("li", "/start")
    await make_order(db, campus, await user_id(db, "li"), clock())
    runner = await make_runner(db, campus, clock())
    assert keys(await chat.send("li", "/start c-north")) == ["start-campus-kept", "start-welcome"]
    assert await campus_of(chat, "li") == "demo"

    async with UnitOfWork(db, write=False) as uow:
        runner_name = (await uow.session.get(User, runner)).external_id
    assert keys(await chat.send(runner_name, "/start c-north")) == ["start-campus-kept", "start-welcome"]
