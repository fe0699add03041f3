"""The goods difference a buy task's runner asks for, paid through Telegram Payments: an invoice button beside the
wallet's Pay on what shows the request, the invoice, the pre-checkout check, the payment booked once."""
from __future__ import annotations

from sqlalchemy import func, select

from bot.telegram.payments import Payable
from core import ledger
from core.order import Actor, Event, Role
from handlers.io import Choice, Reply
from locales import catalogue
from storage.models import LedgerPosting
from storage.uow import UnitOfWork
from tests.bot.conftest import PAYMENT_TOKEN
from tests.bot.test_telegram_adapter import (  # noqa: F401 - dispatcher: a fixture
    dispatcher, order_row, payments, tg_runner, tg_user, until)
from tests.factories import act, make_order

EN = catalogue("en")
LI, WANG, SUN = 1001, 2002, 3003
GOODS, EXTRA = 5000, 1250  # 50 yuan given for the goods, which cost 62.50


async def asked(services, campus, clock, extra: int = EXTRA) -> tuple[int, int, int]:
    """Li's buy task, picked up by Wang, who asks her for a 12.50 yuan difference: (order, Li, Wang)."""
    li = await tg_user(services, campus, clock, LI)
    wang = await tg_runner(services, campus, clock, WANG)
    order_id = await make_order(services.db, campus, li, clock(), goods=GOODS)
    await act(services.db, campus, order_id, Event.accept, Actor(Role.runner, wang), clock())
    await act(services.db, campus, order_id, Event.pickup, Actor(Role.runner, wang), clock())
    await act(services.db, campus, order_id, Event.extra_asked, Actor(Role.runner, wang), clock(),
              goods_spent=GOODS + extra)
    return order_id, li, wang


async def test_the_difference_is_invoiceable_beside_its_wallet_button_only_while_asked_at_that_amount(
        services, campus, clock):
    order_id, _, _ = await asked(services, campus, clock)
    pay = f"extra:{order_id}:{EXTRA}"
    reply = Reply("notice-extra-asked", "…", choices=((Choice("Pay from wallet", pay),),
                                                     (Choice("Refuse", f"noextra:{order_id}:{EXTRA}"),)))
    assert await payments(services).invoiceable([reply]) == {Payable(order_id, EXTRA)}
    offered = payments(services).offer([reply], {Payable(order_id, EXTRA)}, EN)
    assert [[(c.label, c.data) for c in row] for row in offered[0].choices] == [
        [("Pay from wallet", pay)], [("Pay the 12.50 yuan difference with Telegram", f"tgextra:{order_id}:{EXTRA}")],
        [("Refuse", f"noextra:{order_id}:{EXTRA}")]]
    # Another amount than asked, or one above Telegram's largest charge: the wallet's button alone.
    stale = Reply("x", "…", choices=((Choice("Pay", f"extra:{order_id}:999"),),))
    assert await payments(services).invoiceable([stale]) == set()
    assert await payments(services, max_amount=EXTRA - 1).invoiceable([reply]) == set()
    # Below its smallest charge: that is charged, the rest going to the wallet, which the button says.
    small = payments(services, min_amount=EXTRA + 100)
    assert await small.invoiceable([reply]) == {Payable(order_id, EXTRA)}
    assert small.offer([reply], {Payable(order_id, EXTRA)}, EN)[0].choices[1][0].label == (
        "Pay 13.50 yuan with Telegram: the difference, the rest to your wallet")


async def test_a_difference_paid_by_invoice_is_checked_before_the_charge_and_booked_once(
        fake_bot_api, dispatcher, bot, services, campus, clock):  # noqa: F811
    order_id, li_id, wang_id = await asked(services, campus, clock)
    li = fake_bot_api.user(LI, "Li", language_code="en")
    card = await bot.send_message(LI, f"Order #{order_id}")  # the message its invoice button was under
    fake_bot_api.callback(li, f"tgextra:{order_id}:{EXTRA}", (LI, card.message_id))
    (invoice,) = await until(lambda: fake_bot_api.calls("sendInvoice", LI))
    payload = f"extra:{order_id}:{EXTRA}:{card.message_id}"
    assert invoice.params["payload"] == payload and invoice.params["provider_token"] == PAYMENT_TOKEN
    assert [p["amount"] for p in invoice.params["prices"]] == [EXTRA]
    assert invoice.params["title"] == f"Goods difference #{order_id}"

    # The pre-checkout check: this difference, by her, at its amount; nothing else.
    sun = fake_bot_api.user(SUN, "Sun", language_code="en")
    await tg_user(services, campus, clock, SUN)
    cases = [(li, payload, EXTRA, None), (li, payload, EXTRA - 1, "tg-pay-price-changed"),
             (li, f"extra:{order_id}:900", 900, "tg-pay-extra-not-asked"), (sun, payload, EXTRA, "tg-pay-not-yours")]
    ids = [fake_bot_api.pre_checkout_query(user, p, amount)["pre_checkout_query"]["id"] for user, p, amount, _ in cases]
    answers = await until(lambda: len(fake_bot_api.pre_checkout_answers) == len(cases)
                          and {a["pre_checkout_query_id"]: a for a in fake_bot_api.pre_checkout_answers})
    for query_id, (_, _, _, refusal) in zip(ids, cases):
        if refusal is None:
            assert answers[query_id]["ok"] is True
        else:
            assert (answers[query_id]["ok"], answers[query_id]["error_message"]) == (False, EN(refusal, order=order_id))

    # Charged: the difference is paid, in the card's place; the same charge again books nothing.
    fake_bot_api.successful_payment(li, payload, EXTRA, charge_id="tg-extra-1")
    paid = f"Received 12.50 yuan: the 12.50 yuan goods difference of order #{order_id} is paid."
    await until(lambda: fake_bot_api.messages[(LI, card.message_id)]["text"] == paid)
    fake_bot_api.successful_payment(li, payload, EXTRA, charge_id="tg-extra-1")
    await until(lambda: any(m.get("text") == EN("wallet-charge-seen") for m in fake_bot_api.bot_messages(LI)))
    row = await order_row(services, order_id)
    assert (row.goods, row.goods_spent, row.goods_extra) == (GOODS + EXTRA, GOODS + EXTRA, 0)
    async with UnitOfWork(services.db, write=False) as uow:
        assert await uow.session.scalar(select(func.count()).select_from(LedgerPosting).where(
            LedgerPosting.key.like("%tg-extra-1%"))) == 1
        assert await uow.ledger.balance(ledger.customer(li_id)) == 0  # it went on to pay the difference
        assert await uow.ledger.balance(ledger.escrow(order_id)) == row.total and await uow.ledger.total() == 0
    # Asked for again after it was paid: no invoice, an alert saying nothing is asked.
    fake_bot_api.callback(li, f"tgextra:{order_id}:{EXTRA}", (LI, card.message_id))
    answer = await until(lambda: next((a for a in fake_bot_api.callback_answers if a.get("text")), None))
    assert answer["text"] == EN("tg-pay-extra-not-asked", order=order_id) and answer["show_alert"] is True
    assert len(fake_bot_api.calls("sendInvoice")) == 1


async def test_the_order_card_offers_the_difference_by_wallet_and_by_telegram(
        fake_bot_api, dispatcher, services, campus, clock):  # noqa: F811
    order_id, _, _ = await asked(services, campus, clock)
    li = fake_bot_api.user(LI, "Li", language_code="en")
    fake_bot_api.command(li, "track", str(order_id))
    card = await until(lambda: next((m for m in fake_bot_api.bot_messages(LI) if m.get("reply_markup")), None))
    assert EN("order-card-goods-extra", goods="50.00", extra="12.50", spent="62.50") in card["text"]
    assert [row[0] for row in fake_bot_api.buttons(card)][:3] == [
        (EN("extra-pay-wallet", extra="12.50"), f"extra:{order_id}:{EXTRA}"),
        ("Pay the 12.50 yuan difference with Telegram", f"tgextra:{order_id}:{EXTRA}"),
        (EN("extra-refuse"), f"noextra:{order_id}:{EXTRA}")]


async def test_a_difference_below_telegrams_smallest_charge_is_invoiced_at_it_and_the_rest_kept_in_the_wallet(
        fake_bot_api, dispatcher, bot, services, campus, clock):  # noqa: F811
    order_id, li_id, _ = await asked(services, campus, clock, extra=300)
    li = fake_bot_api.user(LI, "Li", language_code="en")
    card = await bot.send_message(LI, f"Order #{order_id}")
    fake_bot_api.callback(li, f"tgextra:{order_id}:300", (LI, card.message_id))
    (invoice,) = await until(lambda: fake_bot_api.calls("sendInvoice", LI))
    assert [(p["label"], p["amount"]) for p in invoice.params["prices"]] == [
        (f"Goods difference #{order_id}", 300), ("To your paotui wallet", 500)]
    payload = invoice.params["payload"]
    for amount, ok in ((300, False), (800, True)):  # what the invoice charges, not the difference alone
        fake_bot_api.pre_checkout_query(li, payload, amount)
    answers = await until(lambda: len(fake_bot_api.pre_checkout_answers) == 2 and fake_bot_api.pre_checkout_answers)
    assert [a["ok"] for a in answers] == [False, True]
    fake_bot_api.successful_payment(li, payload, 800, charge_id="tg-extra-small")
    paid = EN("extra-provider-paid", order=order_id, extra="3.00", amount="8.00", kept="5.00", rest="yes",
              balance="5.00")
    await until(lambda: fake_bot_api.messages[(LI, card.message_id)]["text"] == paid)
    assert (await order_row(services, order_id)).goods_spent == GOODS + 300
    async with UnitOfWork(services.db, write=False) as uow:
        assert await uow.ledger.balance(ledger.customer(li_id)) == 500 and await uow.ledger.total() == 0
