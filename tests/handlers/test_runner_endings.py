"""A runner whose order ends other than by their delivery is told who ended it and what it pays them, as the ledger
has it; their details message, edited without the student's contact, never keeps a share or a status that is no
longer true for them."""
from __future__ import annotations

import pytest

from core import ledger
from core.money import format_yuan
from core.order import Actor, Event, Role
from locales import catalogue
from storage.uow import UnitOfWork
from tests.handlers.harness import keys
from tests.handlers.test_admin import OP, operator
from tests.handlers.test_runner import act_notified, order_row, paid_order, person, runner

HALL = "hall:demo"
LANGUAGES = ["en", "zh_CN"]


async def grabbed(chat, services, db, campus, clock, language: str) -> tuple[int, int, int, str]:
    """alice's paid order grabbed by rob, who reads `language`: (alice, rob, order, the edit key of rob's details)."""
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob", language=language)
    order_id = await paid_order(services, alice)
    assert keys(await chat.press("rob", f"data:g:{order_id}", chat=HALL)) == ["grab-won"]
    (details,) = await chat.inbox("rob")
    assert catalogue(language)("order-card-share", share=format_yuan((await order_row(db, order_id)).runner_share)
                               ) in details["text"].split("\n")
    await chat.inbox("alice")
    return alice, rob, order_id, details["edit_key"]


def card_says(ended: dict, edit_key: str) -> tuple[str, str]:
    """What the runner's edited details message says about the order: (its status, what it pays them)."""
    assert ended["edit_key"] == edit_key  # the details message itself, edited in place
    lines = ended["text"].split("\n")
    return lines[1].rsplit(" · ", 1)[1], lines[-1]


async def books(db, *accounts: str) -> list[int]:
    async with UnitOfWork(db, write=False) as uow:
        assert await uow.ledger.total() == 0
        return [await uow.ledger.balance(a) for a in accounts]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("how", ["command with a reason", "card button"])
async def test_an_operators_cancellation_tells_the_runner_the_service_cancelled_it_and_pays_them_nothing(
        chat, services, db, campus, clock, language, how):
    t = catalogue(language)
    alice, rob, order_id, edit_key = await grabbed(chat, services, db, campus, clock, language)
    await act_notified(services, order_id, Event.pickup, Actor(Role.runner, rob))
    await chat.inbox("rob")
    await operator(chat)
    if how == "card button":
        await chat.send(OP, f"/find {order_id}")
        await chat.press(OP, "Cancel and refund")
        assert keys(await chat.press(OP, "Yes, cancel and refund")) == ["admin-order-cancelled"]
    else:
        assert keys(await chat.send(OP, f"/cancelorder {order_id} shop closed")) == ["admin-order-cancelled"]

    ended, told = await chat.inbox("rob")
    assert card_says(ended, edit_key) == (t("status", status="cancelled"), t("order-card-unpaid"))
    reason = {"en": " Reason: shop closed", "zh_CN": "原因：shop closed"}[language] if how != "card button" else ""
    assert (told["key"], told["text"]) == ("notice-cancelled-by-service-runner", {
        "en": f"Order #{order_id} was cancelled by the service: you no longer deliver it, and nothing is paid to you "
              f"for it.{reason}",
        "zh_CN": f"订单 #{order_id} 已被客服取消，你无需继续配送，这单不会给你报酬。{reason}"}[language])
    total = (await order_row(db, order_id)).total
    assert await books(db, ledger.runner(rob), ledger.customer(alice), ledger.escrow(order_id)) == [0, total, 0]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_refund_resolution_tells_the_runner_they_are_paid_nothing(chat, services, db, campus, clock,
                                                                          language):
    t = catalogue(language)
    alice, rob, order_id, edit_key = await grabbed(chat, services, db, campus, clock, language)
    await act_notified(services, order_id, Event.report, Actor(Role.customer, alice))
    await chat.inbox("rob")
    await operator(chat)
    assert keys(await chat.send(OP, f"/resolve {order_id} refund item damaged")) == ["admin-resolved"]

    ended, told = await chat.inbox("rob")
    assert card_says(ended, edit_key) == (t("status", status="refunded"), t("order-card-unpaid"))
    assert (told["key"], told["text"]) == ("notice-refunded-runner", {
        "en": f"Order #{order_id} was closed by the service with a refund to the student: nothing is paid to you for "
              f"it. Note: item damaged",
        "zh_CN": f"订单 #{order_id} 经客服处理已退款给学生，这单不会给你报酬。备注：item damaged"}[language])
    total = (await order_row(db, order_id)).total
    assert await books(db, ledger.runner(rob), ledger.customer(alice), ledger.escrow(order_id)) == [0, total, 0]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_runner_the_order_was_taken_from_reads_that_it_is_no_longer_theirs(chat, services, db, campus, clock,
                                                                                   language):
    t = catalogue(language)
    _alice, rob, order_id, edit_key = await grabbed(chat, services, db, campus, clock, language)
    sam = await runner(db, campus, clock(), "sam")
    await operator(chat)
    assert keys(await chat.send(OP, f"/reassign {order_id} #{sam}")) == ["admin-reassigned"]
    ended, told = await chat.inbox("rob")
    assert card_says(ended, edit_key) == (t("order-status-not-yours"), t("order-card-unpaid"))
    assert t("status", status="accepted") not in ended["text"]  # "runner on the way": sam is, not rob
    assert told["key"] == "notice-reassigned-away"
    assert await books(db, ledger.runner(rob)) == [0]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("ending", ["released", "completed"])
async def test_a_released_order_pays_nothing_and_a_completed_one_its_share(chat, services, db, campus, clock,
                                                                           language, ending):
    t = catalogue(language)
    alice, rob, order_id, edit_key = await grabbed(chat, services, db, campus, clock, language)
    carrier = Actor(Role.runner, rob)
    events = {"released": [(Event.release, carrier)],
              "completed": [(Event.pickup, carrier), (Event.deliver, carrier), (Event.confirm,
                                                                               Actor(Role.customer, alice))]}[ending]
    for event, actor in events:
        await act_notified(services, order_id, event, actor)
    # The details message is brought up to date on its way (picked up, delivered); the last edit is the end.
    *_, ended = [m for m in await chat.inbox("rob") if m["edit_key"] == edit_key]
    share = (await order_row(db, order_id)).runner_share
    assert card_says(ended, edit_key) == {
        "released": (t("order-status-not-yours"), t("order-card-unpaid")),
        "completed": (t("status", status="completed"), t("order-card-share", share=format_yuan(share)))}[ending]
    assert await books(db, ledger.runner(rob)) == [share if ending == "completed" else 0]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_students_late_cancellation_tells_the_runner_the_fee_they_got(chat, services, db, campus, clock,
                                                                              language):
    t = catalogue(language)
    alice, rob, order_id, edit_key = await grabbed(chat, services, db, campus, clock, language)
    clock.advance(minutes=campus.cancellation.free_minutes_after_accept + 1)
    await act_notified(services, order_id, Event.cancel, Actor(Role.customer, alice))
    (fee,) = await books(db, ledger.runner(rob))
    assert fee == campus.cancellation.fee_after_accept

    ended, told = await chat.inbox("rob")
    assert card_says(ended, edit_key) == (t("status", status="cancelled"), t("order-card-fee", fee=format_yuan(fee)))
    assert (told["key"], told["text"]) == ("notice-cancelled-runner-fee", {
        "en": f"Order #{order_id} was cancelled by the student after the free minutes: the cancellation fee, "
              f"{format_yuan(fee)} yuan, went to your wallet.",
        "zh_CN": f"订单 #{order_id} 已被下单同学取消。因已超过免费取消时间，{format_yuan(fee)} 元跑腿补偿已转入你的钱包。"}[language])
    # Their own look at the order later says the same.
    await chat.send("rob", f"/track {order_id}")
    (card,) = chat.last["rob"]
    assert t("order-card-fee", fee=format_yuan(fee)) in card.text.split("\n")
    assert t("order-card-share", share=format_yuan((await order_row(db, order_id)).runner_share)) not in card.text


async def test_the_runner_looking_at_an_order_the_service_cancelled_reads_that_it_pays_nothing(
        chat, services, db, campus, clock):
    _alice, rob, order_id, _ = await grabbed(chat, services, db, campus, clock, "en")
    await operator(chat)
    await chat.send(OP, f"/cancelorder {order_id}")
    [card] = await chat.send("rob", f"/track {order_id}")
    assert card.text.split("\n\n")[0].split("\n")[-1] == "You receive nothing for this order."
