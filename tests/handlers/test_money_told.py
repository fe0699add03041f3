"""Money as people are told it and charged it: what went to the goods, a coupon ended before the charge, a queue's
price."""
from __future__ import annotations

import pytest

from core import ledger
from core.pricing import Discount
from storage.uow import UnitOfWork
from tests.handlers.harness import keys
from tests.handlers.test_admin import OP, operator
from tests.handlers.test_ordering import add_coupon, answer_all, funded, orders_of, quote_of
from tests.handlers.test_runner import order_row, paid_order, person, runner
from tests.handlers.test_wallet import ordered, pay_events, status

GOODS = 3000


async def bought(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    # A 10-yuan coupon on a 4.20 yuan errand: it pays the whole service fee; alice pays the 30 yuan of goods money.
    order_id = await paid_order(services, alice, goods=GOODS, coupon=Discount("TEN", amount_off=1000))
    row = await order_row(db, order_id)
    assert (row.total, row.discount) == (GOODS, row.service_fee)
    assert keys(await chat.press("rob", f"data:g:{order_id}", chat="hall:demo")) == ["grab-won"]
    await chat.send("rob", f"/picked {order_id} 30")  # all the goods money spent
    await chat.inbox("alice")
    return alice, rob, order_id


@pytest.mark.parametrize("how", ["cancelorder", "resolve"])
async def test_the_student_who_paid_the_goods_is_never_told_they_paid_nothing(chat, services, db, campus, clock, how):
    alice, rob, order_id = await bought(chat, services, db, campus, clock)
    await operator(chat)
    if how == "resolve":
        await chat.send("alice", f"/complain {order_id} never arrived")
        replies = await chat.send(OP, f"/resolve {order_id} refund")
    else:
        replies = await chat.send(OP, f"/cancelorder {order_id} shop closed")
    async with UnitOfWork(db, write=False) as uow:  # alice paid 30 yuan, all of it spent on her goods
        assert await uow.ledger.balance(ledger.customer(alice)) == 0
        assert await uow.ledger.balance(ledger.runner(rob)) == GOODS
    told = [m["text"] for m in await chat.inbox("alice")
            if m["key"] in ("notice-cancelled-by-operator", "notice-refunded")]
    assert told and not any("you paid nothing" in t for t in told), told
    assert not any("paid nothing" in r.text for r in replies), [r.text for r in replies]


async def test_a_charge_arriving_after_the_coupon_was_stopped_does_not_pay_at_the_coupon_price(chat, services, clock):
    await add_coupon(services, clock, "LEAKED")
    await operator(chat)
    alice, order = await ordered(chat, services, "alice", 0, coupon="LEAKED")
    assert order.discount == 300
    # The student was sent an invoice and Telegram's pre-checkout passed; the operator stops the coupon before the
    # charge is booked (seconds later, or hours later when the bot was down and Telegram kept the update).
    assert keys(await chat.send(OP, "/coupon stop LEAKED")) == ["admin-coupon-stopped"]
    replies = await chat.pay("alice", "telegram", "tg-late", order.id, order.total)
    # As for a coupon used up meanwhile: the money stays in the wallet and the order waits for its full price.
    assert keys(replies) == ["wallet-payment-kept-coupon"], [r.text for r in replies]
    assert await status(services, order.id) == "awaiting_payment"
    assert await pay_events(services, order.id) == []
    assert (await order_row(services.db, order.id)).discount == 300


async def test_a_queue_errand_pays_no_size_surcharge(chat, services):
    await operator(chat)
    assert keys(await chat.send(OP, "/pricing set size.small 1")) != []
    dave = await funded(chat, services, "dave", 0)
    await chat.send("dave", "/order")
    await chat.send("dave", "Queue for me")
    await chat.press("dave", "No particular place")
    replies = await answer_all(chat, "dave", ["Canteen 1", "Skip", "Lunch at window 3", "30", "now", "Done", "Skip",
                                              "Anyone", "Skip", "0", "No coupon"])
    quote = quote_of(replies).text
    assert "Queue for me: 5.00" in quote or "5.00" in quote
    await chat.send("dave", "Confirm")
    [order] = await orders_of(services, dave)
    assert order.task_type == "queue"
    # Never asked a size, nothing carried: the errand costs its base price, as before the change.
    assert "price-size" not in [line["key"] for line in order.quote_lines], (quote, order.quote_lines)
    assert order.service_fee == 500


async def test_a_refund_that_gave_nothing_back_is_not_called_refunded_on_the_card(chat, services, db, campus, clock):
    # A coupon paid the whole fee; alice paid only the goods money, all of it spent on her goods.
    from tests.handlers.test_admin import OP, operator
    _alice, _rob, order_id = await bought(chat, services, db, campus, clock)
    await operator(chat)
    await chat.send("alice", f"/complain {order_id} never arrived")
    await chat.send(OP, f"/resolve {order_id} refund")
    (card,) = await chat.send("alice", f"/track {order_id}")
    (listed,) = await chat.send("alice", "/orders")
    assert "· closed (all of it went to the goods bought, nothing to refund)" in listed.text
    assert "Resolved by an operator in your favour: nothing to refund, all you paid went to the goods" in card.text
    assert "· refunded" not in card.text + listed.text
