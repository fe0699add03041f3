"""A runner the bot can no longer write to: marked once, and the operators of each order they still run are told, so
that they reassign it (its details may never have reached them) or reach them another way."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from core.order import Actor, Event, Role
from handlers.context import Services
from handlers.unreachable import unreachable
from locales import catalogue
from storage.models import User
from storage.uow import UnitOfWork
from tests.factories import CIPHER, act, make_order, make_runner, make_user
from tests.handlers.harness import Chat, keys
from tests.handlers.test_admin import OP, accepted_order, completed_order, external
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


async def speaks(db, language: str, *user_ids: int) -> None:
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(User).where(User.id.in_(user_ids)).values(language=language))


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_the_runners_and_operators_hear_once_that_a_student_with_active_orders_cannot_be_reached(
        db, campus, clock, language):
    # Before, nobody was told: the runner kept writing to the student through the bot and believed it arrived.
    campus = campus.model_copy(update={"language": language})  # the operators' notices speak the campus language
    services = Services(db=db, campuses={campus.id: campus}, cipher=CIPHER, clock=clock, channels=("console",))
    chat = Chat(services)
    student = await make_user(db, campus, clock.now, name="alice")
    zhao, qian = await make_runner(db, campus, clock.now), await make_runner(db, campus, clock.now)
    await speaks(db, language, zhao, qian)  # each runner is told in their own language
    waiting = await make_order(db, campus, student, clock.now)  # paid, no runner yet
    accepted = await accepted_order(db, campus, clock.now, student, zhao)
    carried = await accepted_order(db, campus, clock.now, student, qian)
    await act(db, campus, carried, Event.pickup, Actor(Role.runner, qian), clock.now)
    delivered = await accepted_order(db, campus, clock.now, student, zhao)
    for event in (Event.pickup, Event.deliver):
        await act(db, campus, delivered, event, Actor(Role.runner, zhao), clock.now)
    done = await completed_order(db, campus, clock.now, student, qian)  # over: nothing to tell about it
    zhao_chat, qian_chat = await external(db, zhao), await external(db, qian)
    for box in (OP, zhao_chat, qian_chat, "alice"):
        await chat.inbox(box)

    await found_unreachable(services, "alice")
    t = catalogue(language)
    assert [m["text"] for m in await chat.inbox(zhao_chat)] == [
        t("track-customer-unreachable", order=str(accepted), status="accepted", told="yes"),
        t("track-customer-unreachable", order=str(delivered), status="delivered", told="yes")]
    assert [m["text"] for m in await chat.inbox(qian_chat)] == [
        t("track-customer-unreachable", order=str(carried), status="picked_up", told="yes")]
    runner_of = {waiting: "—", accepted: f"{zhao_chat} (#{zhao})", carried: f"{qian_chat} (#{qian})",
                 delivered: f"{zhao_chat} (#{zhao})"}
    assert [m["text"] for m in await chat.inbox(OP)] == [
        t("admin-student-unreachable-order", order=str(order), who=f"alice (#{student})", status=status,
          runner=runner_of[order])
        for order, status in ((waiting, "open"), (accepted, "accepted"), (carried, "picked_up"),
                              (delivered, "delivered"))]
    assert str(done) not in str(await chat.inbox(OP))
    assert await chat.inbox("alice") == []  # nothing written to someone who cannot read it

    await found_unreachable(services, "alice")  # another message refused (the sender and the adapter at once): no news
    assert (await chat.inbox(OP), await chat.inbox(zhao_chat), await chat.inbox(qian_chat)) == ([], [], [])


async def test_a_runner_is_not_told_the_operators_know_when_the_campus_has_none_to_tell(db, campus, clock):
    # Before, the notice said "The operators were told" on a campus with no operator and no admin chat.
    campus = campus.model_copy(update={"operators": ()})
    services = Services(db=db, campuses={campus.id: campus}, cipher=CIPHER, clock=clock, channels=("console",))
    chat = Chat(services)
    student = await make_user(db, campus, clock.now, name="alice")
    runner = await make_runner(db, campus, clock.now)
    await speaks(db, "en", runner)
    order_id = await accepted_order(db, campus, clock.now, student, runner)
    runner_chat = await external(db, runner)
    await chat.inbox(runner_chat)

    await found_unreachable(services, "alice")
    [notice] = [m["text"] for m in await chat.inbox(runner_chat)]
    assert notice == catalogue("en")("track-customer-unreachable", order=str(order_id), status="accepted", told="no")
    assert "student can no longer get messages" in notice and "operators were told" not in notice
    assert "goes. Carry on as agreed" in notice  # one space where the sentence was


async def blocked_student_with_an_accepted_order(chat, services, db, campus, clock) -> tuple[int, int, str]:
    """Alice, whose accepted order an English-speaking runner carries, found to have blocked the bot; the runner's
    news of it read. (her id, the order, the runner's chat)"""
    student = await make_user(db, campus, clock.now, name="alice")
    runner = await make_runner(db, campus, clock.now)
    await speaks(db, "en", student, runner)
    order_id = await accepted_order(db, campus, clock.now, student, runner)
    runner_chat = await external(db, runner)
    await found_unreachable(services, "alice")
    await chat.inbox(runner_chat)
    return student, order_id, runner_chat


async def test_a_student_found_unreachable_is_refused_relays_until_they_start_the_bot_again(chat, services, db, campus,
                                                                                            clock):
    student, order_id, runner_chat = await blocked_student_with_an_accepted_order(chat, services, db, campus, clock)

    replies = await chat.send(runner_chat, f"/msg {order_id} I am downstairs")
    assert keys(replies) == ["track-relay-unreachable"] and replies[0].args["other"] == "customer"
    assert "not passed on" in replies[0].text
    assert await chat.inbox("alice") == []  # nothing queued for them

    # A press on an old button is no sign they unblocked the bot (a message is: Telegram asks to unblock first):
    # still unreachable, and the runner is not told back and forth.
    await chat.press("alice", f"data:o:{order_id}:view")
    assert not await started(db, student)
    assert await chat.inbox(runner_chat) == []

    await chat.send("alice", "/start")  # they unblocked the bot and wrote to it: reachable again
    assert await started(db, student)
    assert [m["text"] for m in await chat.inbox(runner_chat)] == [
        catalogue("en")("track-customer-reachable", order=str(order_id))]
    await chat.send("alice", "/help")  # no news
    assert await chat.inbox(runner_chat) == []
    await chat.inbox("alice")
    replies = await chat.send(runner_chat, f"/msg {order_id} I am downstairs")
    assert keys(replies) == ["track-relay-sent"]
    assert [m["key"] for m in await chat.inbox("alice")] == ["track-relay"]

    # Blocked again later: that is news again, and the runner hears it again.
    await found_unreachable(services, "alice")
    assert [m["key"] for m in await chat.inbox(runner_chat)] == ["track-customer-unreachable"]


async def test_a_student_whose_first_words_after_unblocking_are_refused_is_reachable_again_all_the_same(
        chat, services, db, campus, clock):
    """A refusal changes nothing it was asked to change, but it was written to the bot privately: they can be written
    to again (else their runner's relays stay refused until they say something the bot accepts)."""
    student, order_id, runner_chat = await blocked_student_with_an_accepted_order(chat, services, db, campus, clock)

    replies = await chat.send("alice", "/track 999999")  # no such order: refused
    assert keys(replies) == ["error-order-not-found"]
    assert await started(db, student)
    assert [m["text"] for m in await chat.inbox(runner_chat)] == [
        catalogue("en")("track-customer-reachable", order=str(order_id))]
    assert keys(await chat.send(runner_chat, f"/msg {order_id} I am downstairs")) == ["track-relay-sent"]
