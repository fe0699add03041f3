"""Paying an order from the wallet or through a provider, and the wallet itself."""
import asyncio

import pytest
from sqlalchemy import func, select, update

from core import ledger
from core.money import format_yuan
from locales import catalogue
from storage.models import Coupon, CouponRedemption, LedgerPosting, OrderEvent, User
from storage.models import Order as OrderRow
from storage.uow import UnitOfWork
from tests.factories import top_up
from tests.handlers.harness import keys
from tests.handlers.test_admin import OP, operator
from tests.handlers.test_ordering import (
    PARCEL_TO_MY_ROOM,
    add_coupon,
    answer_all,
    balances,
    funded,
    orders_of,
)


async def ordered(chat, services, who, fen, *, coupon="No coupon"):
    """A student with `fen` in the wallet and one order awaiting payment."""
    uid = await funded(chat, services, who, fen)
    await chat.send(who, "/order")
    await answer_all(chat, who, [*PARCEL_TO_MY_ROOM[:-1], coupon, "Confirm"])
    [order] = await orders_of(services, uid)
    return uid, order


async def postings(services, key_prefix):
    async with UnitOfWork(services.db, write=False) as uow:
        return list(await uow.session.scalars(select(LedgerPosting.key).where(LedgerPosting.key.startswith(key_prefix))))


async def pay_events(services, order_id):
    async with UnitOfWork(services.db, write=False) as uow:
        return list(await uow.session.scalars(
            select(OrderEvent.event).where(OrderEvent.order_id == order_id, OrderEvent.event == "pay")))


async def status(services, order_id):
    async with UnitOfWork(services.db, write=False) as uow:
        return (await uow.session.get(OrderRow, order_id)).status


async def test_insufficient_funds_say_what_is_missing_and_change_nothing(chat, services):
    alice, order = await ordered(chat, services, "alice", 100)
    replies = await chat.press("alice", "Pay with wallet")
    assert keys(replies) == ["wallet-insufficient"]
    missing = order.total - 100
    assert replies[0].args == {"balance": "1.00", "total": f"{order.total / 100:.2f}", "missing": f"{missing / 100:.2f}"}
    assert replies[0].text == (f"Your balance is 1.00 yuan, the order costs {order.total / 100:.2f} yuan: "
                               f"{missing / 100:.2f} yuan is missing.")
    assert await status(services, order.id) == "awaiting_payment"
    assert await postings(services, f"order:{order.id}:") == []
    accounts, _ = await balances(services)
    assert accounts[ledger.customer(alice)] == 100

    await top_up(services.db, alice, missing, services.clock())  # enough now: the same button works
    assert keys(await chat.press("alice", f"data:pay:{order.id}")) == ["wallet-paid"]
    assert await status(services, order.id) == "open"


async def test_paying_twice_posts_once(chat, services):
    alice, order = await ordered(chat, services, "alice", 5000)
    pay = f"data:pay:{order.id}"
    assert keys(await chat.press("alice", pay)) == ["wallet-paid"]
    replies = await chat.press("alice", pay)
    assert keys(replies) == ["wallet-already-paid"]
    assert replies[0].text == f"Order #{order.id} is already paid."
    assert await postings(services, f"order:{order.id}:") == [f"order:{order.id}:pay"]
    accounts, grand_total = await balances(services)
    assert accounts[ledger.customer(alice)] == 5000 - order.total and grand_total == 0


async def test_the_hall_hears_of_a_paid_order(chat, services, campus):
    _, order = await ordered(chat, services, "alice", 5000)
    assert await chat.inbox(f"hall:{campus.id}") == []
    await chat.press("alice", "Pay with wallet")
    assert [m for m in await chat.inbox(f"hall:{campus.id}") if f"#{order.id}" in m["text"]]


async def test_nobody_pays_for_someone_elses_order(chat, services):
    _, order = await ordered(chat, services, "alice", 5000)
    await funded(chat, services, "mallory", 5000)
    replies = await chat.press("mallory", f"data:pay:{order.id}")
    assert keys(replies) == ["error-not-your-order"] and replies[0].text == "That order is not yours."
    assert await status(services, order.id) == "awaiting_payment"
    assert await postings(services, f"order:{order.id}:") == []


async def test_an_order_that_can_no_longer_be_paid(chat, services):
    _, order = await ordered(chat, services, "alice", 5000)
    async with UnitOfWork(services.db) as uow:
        await uow.session.execute(update(OrderRow).where(OrderRow.id == order.id).values(status="closed"))
    replies = await chat.press("alice", "Pay with wallet")
    assert keys(replies) == ["wallet-not-payable"]
    assert replies[0].text == f"Order #{order.id} can no longer be paid: it is closed (unpaid)."


async def test_a_provider_payment_pays_the_order_once(chat, services):
    alice, order = await ordered(chat, services, "alice", 0)
    replies = await chat.pay("alice", "telegram", "tg-charge-1", order.id, order.total)
    assert keys(replies) == ["wallet-provider-paid"]
    assert await status(services, order.id) == "open"
    accounts, grand_total = await balances(services)
    assert accounts[ledger.external("telegram")] == -order.total
    assert accounts.get(ledger.customer(alice), 0) == 0 and accounts[ledger.escrow(order.id)] == order.total
    assert grand_total == 0

    replies = await chat.pay("alice", "telegram", "tg-charge-1", order.id, order.total)  # the provider retries
    assert keys(replies) == ["wallet-charge-seen"]
    assert await postings(services, "charge:telegram:") == ["charge:telegram:tg-charge-1"]
    assert await pay_events(services, order.id) == ["pay"]
    assert await balances(services) == (accounts, 0)


async def test_a_charge_whose_order_part_fails_on_a_fault_of_ours_is_kept_in_the_wallet(chat, services, monkeypatch):
    # Before: the fault rolled back the booking too, every try, and the charge the student was made was nowhere.
    import handlers.wallet

    alice, order = await ordered(chat, services, "alice", 0)
    await operator(chat)
    await chat.inbox(OP)

    async def broken(*_args, **_kwargs):
        raise RuntimeError("a fault of ours")

    monkeypatch.setattr(handlers.wallet, "move", broken)
    (said,) = await chat.pay("alice", "telegram", "tg-charge-1", order.id, order.total)
    assert said.key == "wallet-payment-not-applied" and "Pay with wallet" in [c.label for c in said.flat_choices()]
    assert await status(services, order.id) == "awaiting_payment"
    accounts, grand_total = await balances(services)
    assert accounts[ledger.customer(alice)] == order.total and grand_total == 0
    assert [m["key"] for m in await chat.inbox(OP)] == ["notice-payment-not-applied"]
    monkeypatch.undo()
    assert keys(await chat.press("alice", "Pay with wallet")) == ["wallet-paid"]  # from the wallet, once it works


async def test_a_late_provider_payment_never_touches_an_order_that_moved_on(chat, services):
    _, order = await ordered(chat, services, "alice", 5000)
    await chat.press("alice", "Pay with wallet")
    replies = await chat.pay("alice", "wechat", "wx-1", order.id, order.total)
    assert keys(replies) == ["wallet-payment-kept"]
    assert replies[0].text == (f"Received {order.total / 100:.2f} yuan. Order #{order.id} no longer waits for this "
                               f"payment, so the money is in your wallet (balance 50.00 yuan).")
    assert await pay_events(services, order.id) == ["pay"]
    assert await postings(services, f"order:{order.id}:") == [f"order:{order.id}:pay"]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_a_provider_payment_of_the_wrong_amount_stays_in_the_wallet_and_says_the_order_still_waits(
        chat, services, language):
    alice, order = await ordered(chat, services, "alice", 0)
    t = await speaking(chat, "alice", language)
    [reply] = await chat.pay("alice", "wechat", "wx-2", order.id, order.total - 1)
    paid, total = format_yuan(order.total - 1), format_yuan(order.total)
    assert reply.text == {
        "en": f"Received {paid} yuan, but order #{order.id} costs {total} yuan, so this payment did not pay it: the "
              f"money is in your wallet (balance {paid} yuan). The order still waits for its {total} yuan.",
        "zh_CN": f"已收到 {paid} 元，但订单 #{order.id} 的金额是 {total} 元，所以这笔付款没有支付它：钱已存入你的钱包"
                 f"（余额 {paid} 元）。这个订单仍在等待支付 {total} 元。"}[language]
    assert [c.data for c in reply.flat_choices()] == [f"pay:{order.id}"]  # the wallet, or another invoice, pays it
    assert await status(services, order.id) == "awaiting_payment"
    accounts, grand_total = await balances(services)
    assert accounts[ledger.customer(alice)] == order.total - 1 and grand_total == 0

    await top_up(services.db, alice, 1, services.clock())
    assert keys(await chat.press("alice", t("order-pay-wallet"))) == ["wallet-paid"]
    assert await status(services, order.id) == "open"


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_a_provider_payment_for_someone_elses_order_stays_in_the_payers_wallet(chat, services, language):
    _, order = await ordered(chat, services, "alice", 0)
    mallory = await funded(chat, services, "mallory", 0)
    t = await speaking(chat, "mallory", language)
    [reply] = await chat.pay("mallory", "telegram", "tg-m1", order.id, order.total)
    total = format_yuan(order.total)
    assert reply.text == t("wallet-payment-not-yours", order=order.id, amount=total, balance=total)
    assert reply.text == {
        "en": f"Received {total} yuan, but order #{order.id} is not yours, so this payment did not pay it: the money "
              f"is in your wallet (balance {total} yuan).",
        "zh_CN": f"已收到 {total} 元，但订单 #{order.id} 不是你的，所以这笔付款没有支付它：钱已存入你的钱包（余额 {total} 元）。",
    }[language]
    assert await status(services, order.id) == "awaiting_payment" and await pay_events(services, order.id) == []
    accounts, grand_total = await balances(services)
    assert accounts[ledger.customer(mallory)] == order.total and grand_total == 0


async def test_a_provider_payment_naming_no_order_is_kept_in_the_wallet_once(chat, services):
    alice = await funded(chat, services, "alice", 0)
    for charge, order_id in (("tg-n1", None), ("tg-n2", 999999)):  # an invoice we cannot read, an order never made
        replies = await chat.pay("alice", "telegram", charge, order_id, 700)
        assert keys(replies) == ["wallet-payment-unmatched"]
    assert replies[0].text == ("Received 7.00 yuan, but the payment names none of our orders, so it paid for nothing: "
                               "the money is in your wallet (balance 14.00 yuan), where it can pay your orders.")
    assert keys(await chat.pay("alice", "telegram", "tg-n1", None, 700)) == ["wallet-charge-seen"]
    accounts, grand_total = await balances(services)
    assert accounts[ledger.customer(alice)] == 1400 and accounts[ledger.external("telegram")] == -1400
    assert grand_total == 0


async def test_a_provider_payment_whose_coupon_ran_out_keeps_the_money(chat, services, clock):
    await add_coupon(services, clock, "LAST", max_uses=1)
    alice, order = await ordered(chat, services, "alice", 0, coupon="LAST")
    async with UnitOfWork(services.db) as uow:  # someone else took the last one meanwhile
        await uow.session.execute(update(Coupon).where(Coupon.code == "LAST").values(used=1))
    replies = await chat.pay("alice", "telegram", "tg-9", order.id, order.total)
    # True about the order (it still waits, but cannot be paid at its price), where the money is and what to do.
    assert keys(replies) == ["wallet-payment-kept-coupon"]
    total = f"{order.total / 100:.2f}"
    assert replies[0].text == (
        f"Received {total} yuan: it is in your wallet (balance {total} yuan) and did not pay order #{order.id}: "
        "Coupon LAST has been used up. Its price counts on that coupon: pay the full price without it (your wallet "
        "can), or cancel the order.")
    assert ways_on_offered(replies[0], order.id)
    assert await status(services, order.id) == "awaiting_payment"
    accounts, grand_total = await balances(services)
    assert accounts[ledger.customer(alice)] == order.total and grand_total == 0
    assert await pay_events(services, order.id) == []
    # By wallet the same order is refused with the reason and the same way out.
    replies = await chat.press("alice", f"data:pay:{order.id}")
    assert keys(replies) == ["wallet-coupon-gone"] and ways_on_offered(replies[0], order.id)


async def speaking(chat, who, language):
    if language == "zh_CN":
        await chat.send(who, "/language")
        await chat.press(who, "中文")
    return catalogue(language)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_a_suspended_students_provider_payment_lands_in_the_wallet_and_pays_nothing(
        chat, services, campus, language):
    """Wallet and invoice refuse a suspended student; a charge that arrives anyway is money received: it is kept in
    the wallet, and the order stays unpaid and out of the hall."""
    alice, order = await ordered(chat, services, "alice", 0)
    t = await speaking(chat, "alice", language)
    async with UnitOfWork(services.db) as uow:
        await uow.session.execute(update(User).where(User.id == alice).values(suspended=True))
    assert keys(await chat.press("alice", f"data:pay:{order.id}")) == ["error-suspended"]

    replies = await chat.pay("alice", "telegram", "tg-s1", order.id, order.total)
    assert [r.text for r in replies] == [t("wallet-payment-kept-suspended", order=order.id,
                                           amount=format_yuan(order.total), balance=format_yuan(order.total))]
    assert replies[0].text == {
        "en": f"Received {format_yuan(order.total)} yuan: it is in your wallet (balance {format_yuan(order.total)} "
              f"yuan). Your account is suspended, so it did not pay order #{order.id}. Contact the service desk.",
        "zh_CN": f"已收到 {format_yuan(order.total)} 元：钱已存入你的钱包（余额 {format_yuan(order.total)} 元）。"
                 f"你的账号已被暂停，所以没有用它支付订单 #{order.id}。请联系客服。"}[language]
    assert await status(services, order.id) == "awaiting_payment" and await pay_events(services, order.id) == []
    assert not [m for m in await chat.inbox(f"hall:{campus.id}") if f"#{order.id}" in m["text"]]
    accounts, grand_total = await balances(services)
    assert accounts[ledger.customer(alice)] == order.total and grand_total == 0
    assert accounts[ledger.external("telegram")] == -order.total
    assert keys(await chat.pay("alice", "telegram", "tg-s1", order.id, order.total)) == ["wallet-charge-seen"]
    assert await balances(services) == (accounts, 0)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_a_suspended_student_still_sees_their_wallet_and_is_told_the_money_stays_theirs(
        chat, services, language):
    """Before, /wallet said only "Your account is suspended": the money in it was out of sight."""
    await operator(chat)
    alice = await funded(chat, services, "alice", 1234)
    t = await speaking(chat, "alice", language)
    await chat.inbox("alice")
    assert keys(await chat.send(OP, f"/suspend #{alice} abuse")) == ["admin-suspended"]
    assert [m["text"] for m in await chat.inbox("alice")] == [
        t("admin-you-suspended", runner="no", given="yes", reason="abuse", carried=0, carrying="", first="")]
    (wallet,) = await chat.send("alice", "/wallet")
    assert wallet.key == "wallet-balance"
    assert wallet.text.startswith(t("wallet-balance", balance="12.34"))
    assert wallet.text.endswith(t("wallet-suspended-hint")) and t("wallet-topup-hint") not in wallet.text
    assert keys(await chat.send("alice", "/income")) == ["runner-not-a-runner"]  # no runner: nothing earned
    assert keys(await chat.send("alice", "/order")) == ["error-suspended"]


def ways_on_offered(reply, order_id):
    """The refusal of an order whose coupon is gone offers its full price without the coupon, and cancelling it."""
    return [c.data for c in reply.flat_choices()] == [f"nocoupon:{order_id}", f"o:{order_id}:cancel"]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_the_card_of_an_order_whose_coupon_was_used_up_offers_its_full_price_instead_of_pay(
        chat, services, clock, language):
    await add_coupon(services, clock, "LAST", max_uses=1)
    _, order = await ordered(chat, services, "alice", 20000, coupon="LAST")
    t = await speaking(chat, "alice", language)
    [card] = await chat.send("alice", f"/track {order.id}")
    assert [c.data for c in card.flat_choices()] == [f"pay:{order.id}", f"o:{order.id}:cancel"]
    async with UnitOfWork(services.db) as uow:  # someone else took the last one meanwhile
        await uow.session.execute(update(Coupon).where(Coupon.code == "LAST").values(used=1))

    # Pay could only be refused now: the card says why and offers the way on at once, and cancelling.
    [card] = await chat.send("alice", f"/track {order.id}")
    assert ways_on_offered(card, order.id)
    full = format_yuan(order.total + 300)
    assert card.flat_choices()[0].label == {"en": f"Pay {full} yuan without the coupon",
                                            "zh_CN": f"不用优惠券，按原价 {full} 元支付"}[language]
    assert {"en": "This order cannot be paid at its price: Coupon LAST has been used up. Pay the full price without "
                  "the coupon, or cancel the order.",
            "zh_CN": "这个订单无法按现价支付：优惠券 LAST 已被领完。你可以不用优惠券按原价支付，或取消这个订单。"}[language] in card.text
    [bill] = await chat.press("alice", card.flat_choices()[0].label)
    assert bill.key == "wallet-full-price" and [c.data for c in bill.flat_choices()] == [f"pay:{order.id}"]
    assert keys(await chat.press("alice", t("order-pay-wallet"))) == ["wallet-paid"]
    assert await status(services, order.id) == "open"


async def coupon_state(services, code):
    """(times the coupon counts as used, its redemptions)."""
    async with UnitOfWork(services.db, write=False) as uow:
        coupon = await uow.session.get(Coupon, code)
        return coupon.used, await uow.session.scalar(
            select(func.count()).select_from(CouponRedemption).where(CouponRedemption.code == code))


async def test_an_order_whose_coupon_was_used_since_it_was_priced_offers_cancelling_it(chat, services, clock):
    await add_coupon(services, clock, "ONE", per_user=1)
    alice = await funded(chat, services, "alice", 20000)
    for _ in range(2):  # both drafted with the coupon before either is paid
        await chat.send("alice", "/order")
        await answer_all(chat, "alice", [*PARCEL_TO_MY_ROOM[:-1], "ONE", "Confirm"])
    first, second = await orders_of(services, alice)
    assert keys(await chat.press("alice", f"data:pay:{first.id}")) == ["wallet-paid"]
    replies = await chat.press("alice", f"data:pay:{second.id}")
    assert keys(replies) == ["wallet-coupon-gone"]
    assert replies[0].text == (
        f"Order #{second.id} cannot be paid: You have already used coupon ONE. Its price counts on that coupon: pay "
        "the full price without it, or cancel the order. Nothing has been charged.")
    assert ways_on_offered(replies[0], second.id)
    assert await status(services, second.id) == "awaiting_payment"
    assert await coupon_state(services, "ONE") == (1, 1)
    # The way out works: the order is cancelled and nothing of the student's money moved for it.
    await chat.press("alice", "Cancel order")
    await chat.press("alice", "Yes, cancel it")
    assert await status(services, second.id) == "cancelled"
    accounts, grand_total = await balances(services)
    assert accounts[ledger.customer(alice)] == 20000 - first.total and grand_total == 0
    assert await postings(services, f"order:{second.id}:") == []


async def order_row(services, order_id):
    async with UnitOfWork(services.db, write=False) as uow:
        return await uow.session.get(OrderRow, order_id)


def priced_as(row):
    """What a refused press must leave as it was: the order's state, price and bill."""
    return row.status, row.coupon_code, row.discount, row.total, row.quote_lines


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_an_order_whose_coupon_was_used_up_can_be_paid_at_its_full_price_without_it(
        chat, services, clock, language):
    await add_coupon(services, clock, "LAST", max_uses=1)
    alice, order = await ordered(chat, services, "alice", 20000, coupon="LAST")
    async with UnitOfWork(services.db) as uow:  # someone else took the last one meanwhile
        await uow.session.execute(update(Coupon).where(Coupon.code == "LAST").values(used=1))
    full = order.total + 300
    assert full == 560
    if language == "zh_CN":
        await chat.send("alice", "/language")
        await chat.press("alice", "中文")
    t = catalogue(language)
    gone = await chat.press("alice", f"data:pay:{order.id}")
    assert keys(gone) == ["wallet-coupon-gone"] and ways_on_offered(gone[0], order.id)
    assert gone[0].flat_choices()[0].label == t("wallet-full-price-button", total=format_yuan(full))

    [reply] = await chat.press("alice", t("wallet-full-price-button", total=format_yuan(full)))
    assert reply.text == {  # the bill again, transparent: the coupon's line is gone, the total is the full price
        "en": f"Order #{order.id} at its full price, without coupon LAST:\nParcel pickup: 3.00\nDistance 824 m: 0.60\n"
              "Tip for the runner: 2.00\nTotal: 5.60 yuan\nPlease pay by 10:15.\nWallet balance: 200.00 yuan",
        "zh_CN": f"订单 #{order.id} 不用优惠券 LAST，按原价计算：\n代取快递：3.00\n距离 824 米：0.60\n小费（全部归跑腿员）：2.00\n"
                 "合计：5.60 元\n请在 10:15 前支付。\n钱包余额：200.00 元",
    }[language]
    assert reply.key == "wallet-full-price" and reply.edit  # in the refusal's place: its buttons are done with
    assert [c.data for c in reply.flat_choices()] == [f"pay:{order.id}"]
    row = await order_row(services, order.id)
    assert (row.status, row.coupon_code, row.discount, row.total) == ("awaiting_payment", None, 0, full)
    assert [line["key"] for line in row.quote_lines] == [
        line["key"] for line in order.quote_lines if line["key"] != "price-discount"]
    assert await pay_events(services, order.id) == [] and await postings(services, f"order:{order.id}:") == []

    paid = await chat.press("alice", t("order-pay-wallet"))
    assert keys(paid) == ["wallet-paid"] and paid[0].args["amount"] == format_yuan(full)
    accounts, grand_total = await balances(services)
    assert accounts[ledger.customer(alice)] == 20000 - full and accounts[ledger.escrow(order.id)] == full
    assert accounts.get(ledger.MARKETING, 0) == 0 and grand_total == 0
    assert await coupon_state(services, "LAST") == (1, 0)  # the other student's use; none for this order
    card = (await chat.send("alice", f"/track {order.id}"))[0].text
    assert t("track-history-line", time="", event="drop_coupon").strip() in card


async def test_an_order_whose_coupon_an_operator_stopped_before_it_was_paid_pays_its_full_price(
        chat, services, clock):
    # Before, the stopped coupon ("it can no longer be used") still took 3.00 off an order placed with it.
    await add_coupon(services, clock, "LEAKED")
    await operator(chat)
    alice, order = await ordered(chat, services, "alice", 20000, coupon="LEAKED")
    assert keys(await chat.send(OP, "/coupon stop LEAKED")) == ["admin-coupon-stopped"]
    gone = await chat.press("alice", f"data:pay:{order.id}")
    assert keys(gone) == ["wallet-coupon-gone"] and ways_on_offered(gone[0], order.id)
    assert "Coupon LEAKED is not valid now." in gone[0].text
    assert await pay_events(services, order.id) == [] and await coupon_state(services, "LEAKED") == (0, 0)
    await chat.press("alice", f"Pay {format_yuan(order.total + 300)} yuan without the coupon")
    assert keys(await chat.press("alice", "Pay with wallet")) == ["wallet-paid"]
    assert (await order_row(services, order.id)).discount == 0


async def test_a_stale_or_forged_press_to_pay_without_the_coupon_is_refused_and_changes_nothing(chat, services, clock):
    await add_coupon(services, clock, "THREE", per_user=3)
    alice = await funded(chat, services, "alice", 20000)
    await funded(chat, services, "mallory", 20000)
    for coupon in ("THREE", "THREE", "THREE", "No coupon"):
        await chat.send("alice", "/order")
        await answer_all(chat, "alice", [*PARCEL_TO_MY_ROOM[:-1], coupon, "Confirm"])
    paid, cancelled, dropped, plain = await orders_of(services, alice)
    assert keys(await chat.press("alice", f"data:pay:{paid.id}")) == ["wallet-paid"]
    await chat.send("alice", f"/cancel {cancelled.id}")
    await chat.press("alice", "Yes, cancel it")
    assert keys(await chat.press("alice", f"data:nocoupon:{dropped.id}")) == ["wallet-full-price"]
    rows = {o.id: priced_as(await order_row(services, o.id)) for o in (paid, cancelled, dropped, plain)}
    accounts = await balances(services)
    cases = [
        ("mallory", dropped.id, "error-not-your-order", "That order is not yours."),
        ("alice", paid.id, "wallet-already-paid", f"Order #{paid.id} is already paid."),
        ("alice", cancelled.id, "wallet-not-payable", f"Order #{cancelled.id} can no longer be paid: it is cancelled."),
        ("alice", dropped.id, "error-no-coupon", f"Order #{dropped.id} has no coupon: it costs its full price."),
        ("alice", plain.id, "error-no-coupon", f"Order #{plain.id} has no coupon: it costs its full price."),
        ("alice", 999, "error-order-not-found", None),
    ]
    for who, order_id, key, text in cases:
        replies = await chat.press(who, f"data:nocoupon:{order_id}")
        assert keys(replies) == [key], (who, order_id)
        assert text is None or replies[0].text == text
    assert {o: priced_as(await order_row(services, o)) for o in rows} == rows
    assert await balances(services) == accounts
    assert keys(await chat.press("alice", "data:nocoupon:x")) == ["error-order-number"]


async def test_an_order_cancelled_with_a_full_refund_gives_its_coupon_back(chat, services, clock):
    await add_coupon(services, clock, "ONE", per_user=1, max_uses=1)
    alice, order = await ordered(chat, services, "alice", 20000, coupon="ONE")
    assert keys(await chat.press("alice", "Pay with wallet")) == ["wallet-paid"]
    assert await coupon_state(services, "ONE") == (1, 1)
    await chat.send("alice", f"/cancel {order.id}")
    await chat.press("alice", "Yes, cancel it")
    assert await status(services, order.id) == "cancelled"
    assert await coupon_state(services, "ONE") == (0, 0)
    accounts, grand_total = await balances(services)
    assert accounts[ledger.customer(alice)] == 20000 and accounts[ledger.MARKETING] == 0 and grand_total == 0
    # The next order gets the coupon again, and pays with it.
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", [*PARCEL_TO_MY_ROOM[:-1], "ONE", "Confirm"])
    _, again = await orders_of(services, alice)
    assert again.discount == 300
    assert keys(await chat.press("alice", f"data:pay:{again.id}")) == ["wallet-paid"]
    assert await coupon_state(services, "ONE") == (1, 1)
    accounts, grand_total = await balances(services)
    assert accounts[ledger.MARKETING] == -300 and grand_total == 0


@pytest.mark.parametrize("per_user", [1, 2])
async def test_paying_orders_with_the_same_coupon_at_once_keeps_the_per_student_limit(chat, services, clock, per_user):
    """A coupon is checked when the order is drafted but counted when it is paid: orders drafted with it before
    any is paid, then paid at once, get its discount at most per_user times."""
    await add_coupon(services, clock, "TWICE", per_user=per_user)
    alice = await funded(chat, services, "alice", 20000)
    for _ in range(per_user + 1):
        await chat.send("alice", "/order")
        await answer_all(chat, "alice", [*PARCEL_TO_MY_ROOM[:-1], "TWICE", "Confirm"])
    orders = await orders_of(services, alice)
    assert [o.discount for o in orders] == [300] * (per_user + 1)
    results = await asyncio.gather(*(chat.press("alice", f"data:pay:{o.id}") for o in orders))
    assert sorted(k for replies in results for k in keys(replies)) == (
        ["wallet-coupon-gone"] + ["wallet-paid"] * per_user)
    accounts, grand_total = await balances(services)
    assert accounts[ledger.MARKETING] == -300 * per_user and grand_total == 0
    async with UnitOfWork(services.db, write=False) as uow:
        assert (await uow.session.get(Coupon, "TWICE")).used == per_user
        assert await uow.session.scalar(select(func.count()).select_from(CouponRedemption)) == per_user


async def test_the_wallet_shows_balance_and_movements(chat, services):
    _, order = await ordered(chat, services, "alice", 5000)
    await chat.press("alice", "Pay with wallet")
    replies = await chat.send("alice", "/wallet")
    assert keys(replies) == ["wallet-balance"]
    lines = replies[0].text.splitlines()
    left = 5000 - order.total
    assert lines[0] == f"Wallet balance: {left // 100}.{left % 100:02d} yuan"
    assert lines[2] == f"11-23 10:00 Paid order #{order.id} -{order.total / 100:.2f}"
    assert lines[3] == "11-23 10:00 Top-up (cash) +50.00"
    # The main menu's Wallet button shows the same.
    await chat.send("alice", "/menu")
    assert (await chat.press("alice", "Wallet"))[0].text == replies[0].text


@pytest.mark.parametrize(("language", "lines"), [
    ("en", ["11-23 10:00 Top-up (Telegram payment) +3.00", "11-23 10:00 Top-up (cash) +5.00"]),
    ("zh_CN", ["11-23 10:00 充值（Telegram 支付） +3.00", "11-23 10:00 充值（现金） +5.00"]),
])
async def test_the_wallet_says_in_the_students_language_how_money_came_in(chat, services, language, lines):
    await operator(chat)
    await chat.send("alice", "/start")
    await chat.press("alice", {"en": "English", "zh_CN": "中文"}[language])
    await chat.send(OP, "/topup alice 5")  # cash handed to the service desk
    await chat.pay("alice", "telegram", "charge-1", None, 300)  # a payment naming no order: kept in the wallet
    replies = await chat.send("alice", "/wallet")
    assert replies[0].text.splitlines()[2:4] == lines


async def test_an_empty_wallet(chat, services):
    await funded(chat, services, "zoe", 0)
    replies = await chat.send("zoe", "/wallet")
    assert replies[0].text.splitlines()[:2] == ["Wallet balance: 0.00 yuan", "No movements yet."]



async def test_a_wallet_payment_after_the_time_to_pay_is_refused_though_the_timers_have_not_closed_it(
        chat, services, clock):
    # Before, the wallet paid an order between its deadline and the next timer run, which the invoice refused.
    alice, order = await ordered(chat, services, "alice", 5000)
    clock.advance(minutes=services.default_campus.timeouts.pay_minutes)
    replies = await chat.press("alice", "Pay with wallet")
    assert keys(replies) == ["wallet-pay-too-late"]
    assert await status(services, order.id) == "awaiting_payment" and await pay_events(services, order.id) == []


async def test_an_old_pay_button_of_an_order_refunded_since_says_what_became_of_it(chat, services, clock, campus):
    from handlers.sweep import sweep
    _, order = await ordered(chat, services, "alice", 5000)
    assert keys(await chat.press("alice", f"data:pay:{order.id}")) == ["wallet-paid"]
    clock.advance(minutes=campus.timeouts.accept_minutes + 1)
    await sweep(services, clock())  # nobody took it: expired, its money back in the wallet
    (said,) = await chat.press("alice", f"data:pay:{order.id}")
    assert (said.key, said.text) == ("wallet-not-payable",
                                     f"Order #{order.id} can no longer be paid: it is expired (refunded).")
