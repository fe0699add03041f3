"""Buy for me: the student pays the goods money with the order, the runner says what the goods cost when picking
them up, and on completion is paid that back while the student gets the rest."""
from __future__ import annotations

import pytest

from core import ledger
from core.money import format_yuan
from core.order import Actor, Event, Role
from handlers.sweep import sweep
from storage.models import User
from storage.uow import UnitOfWork
from tests.factories import act
from tests.handlers.harness import keys
from tests.handlers.test_admin import OP, operator
from tests.handlers.test_runner import order_row, paid_order, person, runner

GOODS = 5000  # 50 yuan for the goods


async def balances(db):
    async with UnitOfWork(db, write=False) as uow:
        return await uow.ledger.balances(), await uow.ledger.total()


async def grabbed(chat, services, db, campus, clock):
    """Alice's paid buy task with 50 yuan for the goods, grabbed by Rob; what the hall showed of it."""
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    order_id = await paid_order(services, alice, goods=GOODS)
    (card,) = await chat.inbox("hall:demo")
    assert keys(await chat.press("rob", f"data:g:{order_id}", chat="hall:demo")) == ["grab-won"]
    await chat.inbox("alice")
    return alice, rob, order_id, card


async def asked_the_cost(chat, services, db, campus, clock) -> int:
    """Rob grabbed Alice's buy task and pressed Picked up: he is asked what the goods cost."""
    _, _, order_id, _ = await grabbed(chat, services, db, campus, clock)
    await chat.inbox("rob")
    assert keys(await chat.press("rob", "Picked up")) == ["runner-ask-spent"]
    return order_id


async def test_the_runner_is_paid_back_what_the_goods_cost_and_the_student_gets_the_rest(
        chat, services, db, campus, clock):
    alice, rob, order_id, card = await grabbed(chat, services, db, campus, clock)
    # Whoever grabs it lays the money out at the shop: the hall says how much, the details say it again.
    assert card["text"].endswith("\n需代买商品，最多 50.00 元：由你先垫付，订单完成时报销。")  # the hall reads Chinese
    (details,) = await chat.inbox("rob")
    assert "Money for the goods: up to 50.00 yuan" in details["text"]

    replies = await chat.press("rob", "Picked up")  # the goods are bought: then what they cost is asked
    assert keys(replies) == ["runner-ask-spent"]
    assert replies[0].text == (f"What did the goods of order #{order_id} cost? Write yuan, like 32.50; the student "
                               "gave 50.00 yuan for them. You are paid back what you spent when the order completes.")
    row = await order_row(db, order_id)
    assert (row.status, row.goods_spent) == ("picked_up", None)
    assert [m["key"] for m in await chat.inbox("alice")] == ["notice-picked-up"]
    # Bought with the runner's money: the student may no longer cancel (and so leave the runner out of pocket).
    assert keys(await chat.send("alice", f"/cancel {order_id}")) == ["track-cancel-after-pickup"]
    # More than the campus lets goods cost, or no amount at all: refused, and asked still. (More than the student
    # gave asks them for the difference: test_goods_extra.py.)
    assert keys(await chat.send("rob", "600")) == ["runner-extra-over-max"]
    assert keys(await chat.send("rob", "a lot")) == ["runner-spent-format"]
    assert (await order_row(db, order_id)).goods_spent is None

    replies = await chat.send("rob", "32.5元")
    assert keys(replies) == ["runner-picked-up"]  # on as after any pickup: the optional photo
    row = await order_row(db, order_id)
    assert (row.status, row.goods_spent) == ("picked_up", 3250)
    (bought,) = await chat.inbox("alice")
    assert bought["text"] == (f"Your runner bought the goods of order #{order_id} for 32.50 yuan and is on the way. "
                              "50.00 yuan was given for them: what was not spent goes back to your wallet when the "
                              "order completes.")
    await chat.send("rob", f"/delivered {order_id}")
    await chat.inbox("alice")
    assert keys(await chat.send("alice", f"/confirm {order_id}")) == ["track-rate-ask"]

    accounts, total = await balances(db)
    assert total == 0 and accounts.get(ledger.escrow(order_id), 0) == 0
    assert accounts[ledger.customer(alice)] == GOODS - 3250  # topped up exactly the order's price
    assert accounts[ledger.runner(rob)] == row.runner_share + 3250
    assert accounts[ledger.PLATFORM_REVENUE] == row.commission  # none on the goods
    (done,) = [m for m in await chat.inbox("rob") if m["key"] == "notice-completed"]
    assert done["text"] == (f"Order #{order_id} is complete. You earned {format_yuan(row.runner_share)} yuan, and "
                            "the 32.50 yuan you spent on the goods came back to your wallet.")
    # What they were paid back is in the wallet, not in what they earned.
    (income,) = await chat.send("rob", "/income")
    assert f"Wallet: {format_yuan(row.runner_share + 3250)} yuan" in income.text
    assert f"Earned today: {format_yuan(row.runner_share)} yuan" in income.text


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_the_student_is_told_the_goods_change_on_completion(chat, services, db, campus, clock, language):
    alice, rob, order_id, _ = await grabbed(chat, services, db, campus, clock)
    await chat.send("rob", f"/picked {order_id} 45")  # the amount with the command: no question
    await chat.send("rob", f"/delivered {order_id}")
    async with UnitOfWork(db) as uow:
        (await uow.session.get(User, alice)).language = language
    await chat.inbox("alice")
    await chat.send("alice", f"/confirm {order_id}")
    (done,) = [m for m in await chat.inbox("alice") if m["key"] == "notice-completed-customer"]
    assert done["text"] == {
        "en": f"Order #{order_id} is complete. Thank you! 5.00 yuan of the money for the goods went back to your wallet.",
        "zh_CN": f"订单 #{order_id} 已完成，感谢使用！未花完的商品费 5.00 元已退回你的钱包。",
    }[language]
    # Her wallet names that money for what it is.
    (wallet,) = await chat.send("alice", "/wallet")
    assert wallet.text.splitlines()[2].endswith({
        "en": f"Goods money left over from order #{order_id} +5.00",
        "zh_CN": f"订单 #{order_id} 未花完的商品费 +5.00",
    }[language])


async def test_later_then_delivered_asks_the_cost_first_and_all_of_it_by_button_delivers(
        chat, services, db, campus, clock):
    order_id = await asked_the_cost(chat, services, db, campus, clock)
    replies = await chat.press("rob", "Later")
    assert keys(replies) == ["runner-spent-cancelled"] and replies[0].edit
    assert [c.label for c in replies[0].flat_choices()] == ["Delivered"]  # which asks again
    assert (await order_row(db, order_id)).status == "picked_up"
    replies = await chat.press("rob", "Delivered")
    assert keys(replies) == ["runner-ask-spent"]  # not delivered before the cost is said
    assert (await order_row(db, order_id)).status == "picked_up"
    replies = await chat.press("rob", "All 50.00 yuan")
    assert keys(replies) == ["runner-delivered"]
    row = await order_row(db, order_id)
    assert (row.status, row.goods_spent) == ("delivered", GOODS)


async def test_the_cost_told_by_command_after_a_later(chat, services, db, campus, clock):
    order_id = await asked_the_cost(chat, services, db, campus, clock)
    await chat.press("rob", "Later")
    assert keys(await chat.send("rob", f"/delivered {order_id}")) == ["runner-ask-spent"]
    await chat.send("rob", "/menu")  # leaves the question
    assert keys(await chat.send("rob", f"/picked {order_id} 18")) == ["runner-picked-up"]
    assert (await order_row(db, order_id)).goods_spent == 1800
    assert keys(await chat.send("rob", f"/picked {order_id} 20")) == ["error-illegal-transition"]  # said once


async def test_a_question_about_an_order_ended_meanwhile_records_nothing(chat, services, db, campus, clock):
    order_id = await asked_the_cost(chat, services, db, campus, clock)
    await operator(chat)
    assert keys(await chat.send(OP, f"/cancelorder {order_id} ¥0")) == ["admin-order-cancelled"]  # nothing bought
    replies = await chat.send("rob", "20")
    assert keys(replies) == ["runner-spent-too-late"]
    row = await order_row(db, order_id)
    assert (row.status, row.goods_spent) == ("cancelled", 0)


async def test_an_automatic_confirmation_settles_the_goods_and_says_the_change(chat, services, db, campus, clock):
    alice, rob, order_id, _ = await grabbed(chat, services, db, campus, clock)
    await chat.send("rob", f"/picked {order_id} 12")
    await chat.send("rob", f"/delivered {order_id}")
    await chat.inbox("alice")
    clock.advance(hours=campus.timeouts.auto_confirm_hours)
    assert (await sweep(services, clock())).auto_confirmed == 1
    (done,) = [m for m in await chat.inbox("alice") if m["key"] == "notice-auto-confirmed"]
    assert done["text"] == (f"Order #{order_id} was confirmed automatically. 38.00 yuan of the money for the goods "
                            "went back to your wallet.")
    accounts, total = await balances(db)
    row = await order_row(db, order_id)
    assert total == 0 and accounts[ledger.customer(alice)] == GOODS - 1200
    assert accounts[ledger.runner(rob)] == row.runner_share + 1200


async def test_an_operator_cancelling_after_the_goods_were_bought_pays_the_runner_back(
        chat, services, db, campus, clock):
    alice, rob, order_id, _ = await grabbed(chat, services, db, campus, clock)
    await chat.send("rob", f"/picked {order_id} 30")
    row = await order_row(db, order_id)
    await operator(chat)
    replies = await chat.send(OP, f"/cancelorder {order_id} shop closed")
    assert keys(replies) == ["admin-order-cancelled"]
    assert format_yuan(row.total - 3000) in replies[0].text  # what the student gets back
    accounts, total = await balances(db)
    assert total == 0 and accounts.get(ledger.escrow(order_id), 0) == 0
    assert accounts[ledger.runner(rob)] == 3000 and accounts[ledger.customer(alice)] == row.total - 3000
    to_rob = await chat.inbox("rob")
    told = [m["text"] for m in to_rob if m["key"] == "notice-cancelled-by-service-runner"]
    assert told == [f"Order #{order_id} was cancelled by the service: you no longer deliver it, and nothing is paid "
                    "to you for it. The 30.00 yuan you spent on the goods came back to your wallet. Reason: shop "
                    "closed"]
    # Money paid back is no fee: his order's details, edited as it ended, and its card say he earned nothing.
    (ended,) = [m["text"] for m in to_rob if m["key"] == "notice-details-ended"]
    (card,) = await chat.send("rob", f"/track {order_id}")
    for shown in (ended, card.text):
        assert "You receive nothing for this order." in shown and "cancellation fee" not in shown


async def test_the_cost_said_with_the_command_ends_the_question_asked_before(chat, services, db, campus, clock):
    alice, _, order_id, _ = await grabbed(chat, services, db, campus, clock)
    await chat.inbox("rob")
    await chat.press("rob", "Picked up")  # asked what the goods cost…
    async with UnitOfWork(db) as uow:  # the student blocked the bot: no photo step follows the pickup
        (await uow.session.get(User, alice)).started_bot = False
    # …and told by the command instead: the question is over, not left to take their next words.
    assert keys(await chat.send("rob", f"/picked {order_id} 30")) == ["runner-picked-up-unreachable"]
    assert "runner-spent-too-late" not in keys(await chat.send("rob", "what now?"))


# --- an operator ends a buy task whose runner bought the goods but never said what they cost ----------------------


async def picked_unsaid(chat, services, db, campus, clock, *, reported: bool = False):
    """Rob picked up Alice's buy task (bought the goods) and has not said what they cost; `reported`: then reported
    it. The inboxes are read, and the operator is there."""
    alice, rob, order_id, _ = await grabbed(chat, services, db, campus, clock)
    await chat.inbox("rob")
    assert keys(await chat.press("rob", "Picked up")) == ["runner-ask-spent"]
    await chat.press("rob", "Later")
    if reported:
        await act(db, campus, order_id, Event.report, Actor(Role.runner, rob), clock())
    await operator(chat)
    for who in ("alice", "rob", OP):
        await chat.inbox(who)
    return alice, rob, order_id


async def test_an_operator_cancelling_a_buy_task_picked_up_with_its_cost_unsaid_gives_the_cost_the_runner_is_paid(
        chat, services, db, campus, clock):
    alice, rob, order_id = await picked_unsaid(chat, services, db, campus, clock)
    row, before = await order_row(db, order_id), await balances(db)

    refused = await chat.send(OP, f"/cancelorder {order_id} shop closed")
    assert [(r.key, r.text) for r in refused] == [("error-goods-unsaid-operator", (
        f"The runner of order #{order_id} picked up (bought) the goods but has not said what they cost, so ending "
        "the order now would not pay them back. Give the cost yourself, from 0 to 50.00 yuan (the money the student "
        f"gave for them; ¥0 if nothing was bought), like /cancelorder {order_id} ¥32.5 shop closed. Nothing was "
        "done."))]
    for written, key in [("30 shop closed", "admin-cost-unmarked"), ("¥60 shop closed", "error-goods-operator-range"),
                         ("¥3,5 shop closed", "admin-cost-invalid"), ("¥-5 shop closed", "error-goods-operator-range")]:
        assert keys(await chat.send(OP, f"/cancelorder {order_id} {written}")) == [key], written
    # Refused, each: nothing moved, nobody was told.
    assert (await order_row(db, order_id)).status == "picked_up" and await balances(db) == before
    assert await chat.inbox("alice") == [] and await chat.inbox("rob") == []

    replies = await chat.send(OP, f"/cancelorder {order_id} ¥30 shop closed")
    assert [r.text for r in replies] == [f"Order #{order_id} is cancelled. Refunded to the student's wallet: "
                                         f"{format_yuan(row.total - 3000)} yuan. The runner was paid back 30.00 yuan "
                                         "for the goods."]
    assert (await order_row(db, order_id)).goods_spent == 3000
    accounts, total = await balances(db)
    assert total == 0 and accounts.get(ledger.escrow(order_id), 0) == 0
    assert accounts[ledger.runner(rob)] == 3000 and accounts[ledger.customer(alice)] == row.total - 3000
    assert [m["text"] for m in await chat.inbox("rob") if m["key"] == "notice-cancelled-by-service-runner"] == [
        f"Order #{order_id} was cancelled by the service: you no longer deliver it, and nothing is paid to you for "
        "it. You had not said what the goods cost, so the service put them at 30.00 yuan: that came back to your "
        "wallet. Reason: shop closed"]
    assert [m["text"] for m in await chat.inbox("alice")] == [
        f"Order #{order_id} was cancelled by the service. {format_yuan(row.total - 3000)} yuan went back to your "
        "wallet. Your runner had not said what the goods cost, so the service put them at 30.00 yuan, which paid "
        "the runner back. Reason: shop closed"]


@pytest.mark.parametrize("outcome", ["refund", "complete"])
async def test_an_operator_resolving_a_buy_task_reported_after_pickup_gives_the_cost_the_runner_is_paid(
        chat, services, db, campus, clock, outcome):
    alice, rob, order_id = await picked_unsaid(chat, services, db, campus, clock, reported=True)
    row, before = await order_row(db, order_id), await balances(db)
    assert row.status == "exception"
    refused = await chat.send(OP, f"/resolve {order_id} {outcome} ¥5 item damaged")  # a compensation is no cost
    assert keys(refused) == ["error-goods-unsaid-operator"]
    assert f"like /resolve {order_id} {outcome} spent ¥32.5." in refused[0].text
    for written, key in [("spent lots", "admin-cost-invalid"), ("spent", "admin-usage-resolve"),
                         ("spent 2 hours waiting", "admin-spent-unmarked"), ("spent30", "admin-spent-unmarked"),
                         ("spent ¥50.01", "error-goods-operator-range")]:
        assert keys(await chat.send(OP, f"/resolve {order_id} {outcome} {written}")) == [key], written
    assert (await order_row(db, order_id)).status == "exception" and await balances(db) == before

    replies = await chat.send(OP, f"/resolve {order_id} {outcome} spent ¥30 ¥5 item damaged")
    assert keys(replies) == ["admin-resolved"]
    assert "The runner was paid back 30.00 yuan for the goods." in replies[0].text
    assert "Compensation paid to the student" in replies[0].text
    accounts, total = await balances(db)
    assert total == 0 and accounts.get(ledger.escrow(order_id), 0) == 0
    earned = row.runner_share if outcome == "complete" else 0
    assert accounts[ledger.runner(rob)] == earned + 3000
    kept = row.total - GOODS if outcome == "complete" else 0  # what the service cost the student
    assert accounts[ledger.customer(alice)] == row.total - kept - 3000 + 500
    key = "notice-completed" if outcome == "complete" else "notice-refunded-runner"
    (told,) = [m["text"] for m in await chat.inbox("rob") if m["key"] == key]
    assert ("You had not said what the goods cost, so the service put them at 30.00 yuan: that came back to your "
            "wallet.") in told


@pytest.mark.parametrize("written", ["spent ¥30", "spent 30 元", "SPENT 30元", "spent ¥ 30",
                                     "花了 ¥30", "花了¥30", "花了30块"])
async def test_the_goods_cost_is_read_after_its_word_in_the_usual_ways_of_writing_money(
        chat, services, db, campus, clock, written):
    _, rob, order_id = await picked_unsaid(chat, services, db, campus, clock, reported=True)
    replies = await chat.send(OP, f"/resolve {order_id} refund {written} 物品损坏")
    assert keys(replies) == ["admin-resolved"]
    assert (await order_row(db, order_id)).goods_spent == 3000
    accounts, _ = await balances(db)
    assert accounts[ledger.runner(rob)] == 3000


async def test_the_order_cards_buttons_ask_for_the_goods_cost_too(chat, services, db, campus, clock):
    _, _, order_id = await picked_unsaid(chat, services, db, campus, clock)
    before = await balances(db)
    (card,) = await chat.send(OP, f"/find {order_id}")
    assert ("⚠️ The runner picked up (bought) the goods but has not said what they cost, of the 50.00 yuan given: "
            "whoever ends this order gives the cost (/cancelorder, /resolve … spent ¥X), or the runner says it "
            "(/picked).") in card.text.split("\n")
    refused = await chat.press(OP, "Cancel and refund")
    assert keys(refused) == ["error-goods-unsaid-operator"]  # said at once, not after a confirmation
    assert f"like /cancelorder {order_id} ¥32.5 shop closed" in refused[0].text
    assert keys(await chat.press(OP, f"data:adm:do:{order_id}:oc")) == ["error-goods-unsaid-operator"]
    assert (await order_row(db, order_id)).status == "picked_up" and await balances(db) == before
    await chat.send("rob", f"/picked {order_id} 30")  # said at last: the card says what, and warns no more
    (card,) = await chat.send(OP, f"/find {order_id}")
    assert "Goods bought for 30.00 yuan of the 50.00 yuan given for them." in card.text and "⚠️" not in card.text


async def test_yes_refunds_what_the_confirmation_said_or_asks_again(chat, services, db, campus, clock):
    """Before, the operator was asked to cancel and refund the whole 50 yuan and more; the runner then bought the
    goods for 28 yuan, and Yes, carrying no figure, cancelled with 28 yuan less given back than it said."""
    alice, rob, order_id, _ = await grabbed(chat, services, db, campus, clock)
    await operator(chat)
    row = await order_row(db, order_id)
    (asked,) = await chat.press(OP, f"data:adm:ev:{order_id}:oc")
    assert f"refund {format_yuan(row.total)} yuan to the student?" in asked.text
    await chat.send("rob", f"/picked {order_id} 28")
    before = await balances(db)

    changed = await chat.press(OP, f"data:{asked.flat_choices()[0].data}", message="41")
    assert keys(changed) == ["admin-confirm-event", "admin-confirm-changed"]
    again = changed[0]
    assert again.edit  # the question it was pressed under, with the new figures: its old Yes is gone
    assert (f"refund {format_yuan(row.total - 2800)} yuan to the student? 28.00 yuan of it went on the goods"
            in again.text)
    assert (await order_row(db, order_id)).status == "picked_up" and await balances(db) == before  # nothing done
    # A Yes older than the figure it carries asks again too.
    assert keys(await chat.press(OP, f"data:adm:do:{order_id}:oc")) == ["admin-confirm-event", "admin-confirm-changed"]

    await chat.press(OP, f"data:{again.flat_choices()[0].data}")
    assert (await order_row(db, order_id)).status == "cancelled"
    accounts, total = await balances(db)
    assert total == 0 and accounts[ledger.customer(alice)] - before[0].get(ledger.customer(alice), 0) == (
        row.total - 2800)
    assert accounts[ledger.runner(rob)] == 2800


async def test_a_buy_task_reported_before_pickup_is_resolved_without_a_cost(chat, services, db, campus, clock):
    alice, rob, order_id, _ = await grabbed(chat, services, db, campus, clock)
    await act(db, campus, order_id, Event.report, Actor(Role.runner, rob), clock())
    await operator(chat)
    row = await order_row(db, order_id)
    # Nothing was bought: no cost is asked, and one given is refused.
    assert keys(await chat.send(OP, f"/resolve {order_id} refund spent ¥30")) == ["error-goods-not-bought"]
    assert keys(await chat.send(OP, f"/resolve {order_id} refund")) == ["admin-resolved"]
    accounts, total = await balances(db)
    assert total == 0 and accounts[ledger.customer(alice)] == row.total and accounts.get(ledger.runner(rob), 0) == 0


async def test_a_cost_written_for_a_buy_task_whose_runner_said_it_is_only_a_reason(chat, services, db, campus, clock):
    alice, rob, order_id, _ = await grabbed(chat, services, db, campus, clock)
    await chat.send("rob", f"/picked {order_id} 12")
    await operator(chat)
    # No cost is asked of it: what looks like one is the reason, and the runner's word stands.
    assert keys(await chat.send(OP, f"/cancelorder {order_id} ¥30 was too dear")) == ["admin-order-cancelled"]
    accounts, _ = await balances(db)
    assert accounts[ledger.runner(rob)] == 1200
