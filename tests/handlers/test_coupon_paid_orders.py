"""An order its coupon pays in full: confirming it places it and pays it at once, with nothing to pay, and no text
speaks of 0.00 yuan paid or refunded."""
import asyncio

import pytest
from sqlalchemy import func, select

from core import ledger
from core.money import format_yuan
from core.order import Actor, Event, Role
from handlers import wallet
from locales import catalogue
from storage.models import Coupon, CouponRedemption, LedgerPosting
from storage.uow import UnitOfWork
from tests.factories import FREE_COUPON, act, make_order, make_runner, make_user
from tests.handlers.harness import keys
from tests.handlers.test_admin import OP, external, operator
from tests.handlers.test_ordering import PARCEL_TO_MY_ROOM, add_coupon, answer_all, balances, funded, orders_of
from tests.handlers.test_tracking import speaks

# The whole errand with no tip and coupon FREE, which takes off the whole service fee: nothing is left to pay.
FREE_ERRAND = [*PARCEL_TO_MY_ROOM[:15], "0", "FREE"]


async def free_coupon(services, clock, **kw):
    await add_coupon(services, clock, "FREE", amount_off=0, percent_off_bp=10_000, **kw)


async def quoted(chat, services, who, language="en", fen=0):
    """A student at the quote of a free errand, speaking `language`; their user id."""
    uid = await funded(chat, services, who, fen)
    await chat.send(who, "/order")
    replies = await answer_all(chat, who, FREE_ERRAND)
    assert "Total: 0.00 yuan" in replies[-1].text
    if language == "zh_CN":  # the quote is asked again in the new language
        await chat.send(who, "/language")
        await chat.press(who, "中文")
    return uid


async def coupon_state(services):
    """(times FREE counts as used, its redemptions as (student, order))."""
    async with UnitOfWork(services.db, write=False) as uow:
        used = (await uow.session.get(Coupon, "FREE")).used
        redemptions = (await uow.session.execute(select(CouponRedemption.user_id, CouponRedemption.order_id))).all()
        return used, [tuple(r) for r in redemptions]


async def pay_postings(services):
    async with UnitOfWork(services.db, write=False) as uow:
        return await uow.session.scalar(select(func.count()).select_from(LedgerPosting)
                                        .where(LedgerPosting.key.like("order:%:pay")))


def hall_posts(messages, order_id):
    return [m for m in messages if m["key"] == "hall-card" and f"#{order_id}" in m["text"]]


@pytest.mark.parametrize(("language", "placed", "in_hall", "history"), [
    ("en", "Order #{order} is placed. Coupon FREE covers all of it, so there is nothing to pay.",
     "Your order #{order} is waiting for a runner.", "Paid in full by the coupon"),
    ("zh_CN", "订单 #{order} 已下单。优惠券 FREE 全额抵扣，无需支付。", "订单 #{order} 正在等待跑腿员接单。",
     "优惠券全额抵扣，无需支付"),
], ids=["en", "zh_CN"])
async def test_confirming_an_order_its_coupon_pays_in_full_places_it_paid_and_in_the_hall(
        chat, services, clock, campus, language, placed, in_hall, history):
    await free_coupon(services, clock)
    alice = await quoted(chat, services, "alice", language)
    t = catalogue(language)
    replies = await chat.press("alice", t("order-confirm"))
    [order] = await orders_of(services, alice)
    # No "pay within", no Pay button, no invoice: the quote is replaced by what happened.
    assert [(r.key, r.text, r.choices, r.edit) for r in replies] == [
        ("order-covered", placed.format(order=order.id), (), True)]
    assert (order.status, order.total, order.discount, order.pay_by) == ("open", 0, order.service_fee, None)
    assert await coupon_state(services) == (1, [(alice, order.id)])
    accounts, grand_total = await balances(services)
    assert accounts[ledger.MARKETING] == -order.service_fee and accounts[ledger.escrow(order.id)] == order.service_fee
    assert accounts.get(ledger.customer(alice), 0) == 0 and grand_total == 0
    assert [(m["key"], m["text"]) for m in await chat.inbox("alice")] == [("notice-paid", in_hall.format(order=order.id))]
    assert len(hall_posts(await chat.inbox(f"hall:{campus.id}"), order.id)) == 1

    [card] = await chat.send("alice", f"/track {order.id}")
    assert card.text.splitlines()[-1].split("  ", 1)[1] == history  # not "Paid"
    assert not [c for c in card.flat_choices() if c.data.startswith(("pay:", "nocoupon:"))]


async def test_a_repeated_confirm_places_one_order_and_counts_the_coupon_once(chat, services, clock, campus):
    await free_coupon(services, clock, per_user=5)
    alice = await quoted(chat, services, "alice")
    [confirm] = [c.data for r in chat.last["alice"] for c in r.flat_choices() if c.label == "Confirm"]
    # Pressed twice at once (a double tap), then once more later, and typed.
    results = await asyncio.gather(chat.press("alice", f"data:{confirm}"), chat.press("alice", f"data:{confirm}"))
    assert sorted(k for replies in results for k in keys(replies)) == ["error-stale-choice", "order-covered"]
    assert keys(await chat.press("alice", f"data:{confirm}")) == ["error-stale-choice"]
    assert "order-covered" not in keys(await chat.send("alice", "Confirm"))
    [order] = await orders_of(services, alice)
    assert order.status == "open"
    assert await coupon_state(services) == (1, [(alice, order.id)])
    assert await pay_postings(services) == 1
    assert len(hall_posts(await chat.inbox(f"hall:{campus.id}"), order.id)) == 1


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_a_coupon_used_up_as_the_order_is_confirmed_leaves_it_unpaid_and_payable_at_its_full_price(
        chat, services, clock, campus, monkeypatch, language):
    await free_coupon(services, clock, max_uses=1)
    alice = await quoted(chat, services, "alice", language, fen=20000)
    t = catalogue(language)
    async with UnitOfWork(services.db) as uow:  # someone else takes the last one, after this confirm read it
        (await uow.session.get(Coupon, "FREE")).used = 1

    async def still_there(*_):
        return None

    with monkeypatch.context() as m:
        m.setattr(wallet, "coupon_spent", still_there)
        replies = await chat.press("alice", t("order-confirm"))
    [order] = await orders_of(services, alice)
    full = order.service_fee
    assert [(r.key, r.text) for r in replies] == [("order-covered-coupon-gone", {
        "en": f"Order #{order.id} is placed, but its coupon can no longer be counted: Coupon FREE has been used up. "
              "Its price counts on that coupon: pay the full price without it, or cancel the order. Nothing has been "
              "charged.",
        "zh_CN": f"订单 #{order.id} 已生成，但它的优惠券已无法使用：优惠券 FREE 已被领完。它的价格算上了这张优惠券："
                 "你可以不用优惠券按原价支付，或取消这个订单。没有扣任何钱。"}[language])]
    assert [c.data for c in replies[0].flat_choices()] == [f"nocoupon:{order.id}", f"o:{order.id}:cancel"]
    assert (order.status, order.total) == ("awaiting_payment", 0)
    assert await coupon_state(services) == (1, []) and await pay_postings(services) == 0
    assert hall_posts(await chat.inbox(f"hall:{campus.id}"), order.id) == []

    # The way on: its full price without the coupon, then the wallet pays it.
    [bill] = await chat.press("alice", t("wallet-full-price-button", total=format_yuan(full)))
    assert bill.key == "wallet-full-price" and [c.data for c in bill.flat_choices()] == [f"pay:{order.id}"]
    assert keys(await chat.press("alice", t("order-pay-wallet"))) == ["wallet-paid"]
    [order] = await orders_of(services, alice)
    assert (order.status, order.coupon_code, order.total) == ("open", None, full)
    accounts, grand_total = await balances(services)
    assert accounts[ledger.customer(alice)] == 20000 - full and accounts.get(ledger.MARKETING, 0) == 0
    assert grand_total == 0
    assert len(hall_posts(await chat.inbox(f"hall:{campus.id}"), order.id)) == 1


@pytest.mark.parametrize(("language", "says", "button"), [
    ("en", "Coupon FREE covers all of it: there is nothing to pay. Place the order to send it to the task hall.",
     "Place order (nothing to pay)"),
    ("zh_CN", "优惠券 FREE 全额抵扣，无需支付。下单后订单会发布到任务大厅。", "下单（无需支付）"),
], ids=["en", "zh_CN"])
async def test_an_unpaid_order_its_coupon_pays_in_full_is_placed_from_its_card_without_paying(
        chat, services, clock, campus, language, says, button):
    """An order left waiting at 0.00 (placed before orders like it were paid at once): its card offers to place it,
    not to pay with the wallet, and placing it says nothing of 0.00 yuan paid."""
    await free_coupon(services, clock)
    alice = await funded(chat, services, "alice", 0)
    await speaks(services.db, language, alice)
    t = catalogue(language)
    order_id = await make_order(services.db, campus, alice, clock(), coupon=FREE_COUPON, pay=False)
    [card] = await chat.send("alice", f"/track {order_id}")
    assert says in card.text
    labels = [c.label for c in card.flat_choices()]
    assert button in labels and t("order-pay-wallet") not in labels
    assert [c.data for c in card.flat_choices() if c.label == button] == [f"pay:{order_id}"]
    replies = await chat.press("alice", button)
    assert [(r.key, r.text) for r in replies] == [("order-covered", t("order-covered", order=order_id, code="FREE"))]
    [order] = await orders_of(services, alice)
    assert order.status == "open" and await coupon_state(services) == (1, [(alice, order_id)])
    accounts, grand_total = await balances(services)
    assert accounts.get(ledger.customer(alice), 0) == 0 and grand_total == 0


@pytest.mark.parametrize(("language", "listed", "lines"), [
    ("en", "expired (paid by the coupon, nothing to refund)",
     ["Paid in full by the coupon", "Nobody took it: nothing to refund, the coupon had paid"]),
    ("zh_CN", "已过期（优惠券全额抵扣，无需退款）", ["优惠券全额抵扣，无需支付", "无人接单；优惠券全额抵扣，无需退款"]),
], ids=["en", "zh_CN"])
async def test_an_expired_order_its_coupon_paid_is_never_called_refunded(chat, services, clock, campus, language,
                                                                         listed, lines):
    alice = await make_user(services.db, campus, clock(), name="alice")
    await speaks(services.db, language, alice)
    order_id = await make_order(services.db, campus, alice, clock(), coupon=FREE_COUPON)
    await act(services.db, campus, order_id, Event.expire, Actor.system(), clock())
    t = catalogue(language)
    [listing] = await chat.send("alice", "/orders")
    assert listed in listing.text and t("status", status="expired") not in listing.text
    [card] = await chat.send("alice", f"/track {order_id}")
    assert all(line in card.text for line in lines) and t("status", status="expired") not in card.text
    # An order its student paid for still says it was refunded.
    bob = await make_user(services.db, campus, clock(), name="bob")
    await speaks(services.db, language, bob)
    paid_id = await make_order(services.db, campus, bob, clock())
    await act(services.db, campus, paid_id, Event.expire, Actor.system(), clock())
    [listing] = await chat.send("bob", "/orders")
    assert t("status", status="expired") in listing.text and listed not in listing.text


@pytest.mark.parametrize(("coupon", "paid", "used"), [
    ({"amount_off": 0, "percent_off_bp": 10_000}, "nothing", 1),  # marketing pays all the fee
    ({"amount_off": 0, "percent_off_bp": 9000}, "less", 1),  # the student paid less than the fee: marketing the rest
    ({"amount_off": 100}, "more", 0),  # the student's payment bears all the fee: the coupon cost nothing, goes back
], ids=["free", "most", "some"])
async def test_a_coupon_never_takes_the_runners_late_cancellation_fee_away(chat, services, clock, campus, coupon,
                                                                           paid, used):
    """Coupons are paid by marketing, never by the runner: a late cancellation pays the runner the campus's fee
    whatever the coupon, the student's payment first and the marketing subsidy the rest. A coupon that paid part of
    the fee counts as used; one that cost nothing is given back."""
    await add_coupon(services, clock, "FREE", **coupon)  # FREE_ERRAND types its code
    alice = await funded(chat, services, "alice", 5000)
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", FREE_ERRAND)
    replies = await chat.press("alice", "Confirm")
    if "order-created" in keys(replies):
        assert keys(await chat.press("alice", "Pay with wallet")) == ["wallet-paid"]
    [order] = await orders_of(services, alice)
    fee = campus.cancellation.fee_after_accept
    assert order.status == "open" and order.discount
    assert paid == ("nothing" if not order.total else "less" if order.total < fee else "more")
    runner = await make_runner(services.db, campus, clock())
    await act(services.db, campus, order.id, Event.accept, Actor(Role.runner, runner), clock())
    clock.advance(minutes=campus.cancellation.free_minutes_after_accept + 1)

    await chat.send("alice", f"/cancel {order.id}")
    await chat.press("alice", "Yes, cancel it")
    [order] = await orders_of(services, alice)
    assert order.status == "cancelled"
    from_student = min(fee, order.total)
    accounts, grand_total = await balances(services)
    assert accounts[ledger.runner(runner)] == fee
    assert accounts.get(ledger.customer(alice), 0) == 5000 - from_student  # the rest went back to the student
    assert accounts.get(ledger.MARKETING, 0) == -(fee - from_student)
    assert accounts.get(ledger.escrow(order.id), 0) == 0 and grand_total == 0
    assert (await coupon_state(services))[0] == used
    told = await chat.inbox(await external(services.db, runner))
    assert told[-1]["key"] == "notice-cancelled-runner-fee" and f"{format_yuan(fee)} 元" in told[-1]["text"]
    await operator(chat)
    assert f"used {used}/100" in (await chat.send(OP, "/coupons"))[0].text
