"""The goods difference a buy task's runner asks for, paid through Telegram Payments: an invoice button beside the
wallet's Pay on what shows the request (a direct reply, or the asking message the outbox sender delivers), the
invoice, the pre-checkout check, the payment booked once."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import OperationalError

from bot.telegram.app import telegram_sender
from bot.telegram.payments import Payable
from bot.telegram.sender import TelegramRateLimiter, TelegramSender
from core import ledger
from core.money import format_yuan
from core.order import Actor, Event, Role
from handlers.goods_extra import answers
from handlers.io import Choice, Reply
from handlers.notify import Notifier
from locales import catalogue
from storage.models import LedgerPosting, User
from storage.uow import UnitOfWork
from tests.bot.conftest import PAYMENT_TOKEN
from tests.bot.test_sender import queue, virtual_time  # noqa: F401 - rate windows in the test's time
from tests.bot.test_telegram_adapter import (  # noqa: F401 - dispatcher: a fixture
    dispatcher, order_row, payments, tg_runner, tg_user, until)
from tests.bot.test_telegram_groups import deliver_queued
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
    assert EN("order-card-goods-extra", goods="50.00", extra="12.50", spent="62.50", reader="customer") in card["text"]
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
    queries = {fake_bot_api.pre_checkout_query(li, payload, amount)["pre_checkout_query"]["id"]: amount
               for amount in (300, 800)}  # what the invoice charges, not the difference alone
    answers = await until(lambda: len(fake_bot_api.pre_checkout_answers) == 2 and fake_bot_api.pre_checkout_answers)
    # Handled concurrently: answered in either order.
    assert {queries[a["pre_checkout_query_id"]]: a["ok"] for a in answers} == {300: False, 800: True}
    fake_bot_api.successful_payment(li, payload, 800, charge_id="tg-extra-small")
    paid = EN("extra-provider-paid", order=order_id, extra="3.00", amount="8.00", kept="5.00", rest="yes",
              balance="5.00")
    await until(lambda: fake_bot_api.messages[(LI, card.message_id)]["text"] == paid)
    assert (await order_row(services, order_id)).goods_spent == GOODS + 300
    async with UnitOfWork(services.db, write=False) as uow:
        assert await uow.ledger.balance(ledger.customer(li_id)) == 500 and await uow.ledger.total() == 0


# --- the asking message, delivered by the outbox sender ------------------------------------------------------------

async def asked_on_telegram(api, services, campus, clock, *, language: str = "en") -> int:
    """Li (in `language`; her wallet empty: she paid the order) has her buy task picked up by Wang, who says on
    Telegram that the goods cost 62.50: she is asked for the 12.50 difference in a message the outbox holds."""
    li = await tg_user(services, campus, clock, LI, language=language)
    wang = await tg_runner(services, campus, clock, WANG)
    order_id = await make_order(services.db, campus, li, clock(), goods=GOODS)
    await act(services.db, campus, order_id, Event.accept, Actor(Role.runner, wang), clock())
    await act(services.db, campus, order_id, Event.pickup, Actor(Role.runner, wang), clock())
    await say_the_cost(api, order_id, "62.5")
    return order_id


async def say_the_cost(api, order_id: int, spent: str) -> None:
    """Wang says what the goods cost (/picked), and is answered."""
    told = len(api.bot_messages(WANG))
    api.command(api.user(WANG, "Wang", language_code="en"), "picked", f"{order_id} {spent}")
    await until(lambda: len(api.bot_messages(WANG)) > told)


def sender_of(services, bot, dispatcher, **payments_) -> TelegramSender:  # noqa: F811
    """The outbox sender as app.py wires it, with the adapter's payments (or, given arguments, payments())."""
    wired = payments(services, **payments_) if payments_ else dispatcher["telegram_adapter"].payments
    return telegram_sender(services, bot, TelegramRateLimiter(), payments=wired)


@contextlib.contextmanager
def statements(db) -> Iterator[list[str]]:
    """The statements the database runs meanwhile: SQLAlchemy's, and on SQLite those a lookup runs on the driver
    itself (storage.uow.read_first), which SQLAlchemy's events do not see."""
    found: list[str] = []
    engine = getattr(db.engine, "sync_engine", db.engine)

    def note(conn, cursor, statement, *args) -> None:  # noqa: ANN001, ANN002
        found.append(statement)

    def trace(driver, record, proxy=None) -> None:  # noqa: ANN001
        driver.set_trace_callback(found.append if proxy is not None else None)  # checked out, or back in the pool

    listeners = [("before_cursor_execute", note)] + ([("checkout", trace), ("checkin", trace)] if db.is_sqlite else [])
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield found
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


def asking(api) -> dict:
    """Li's message asking for the difference, as her chat shows it."""
    return next(m for m in api.bot_messages(LI) if m.get("reply_markup"))


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_the_asking_message_offers_telegrams_invoice_beside_the_wallet_in_the_students_language(
        fake_bot_api, dispatcher, bot, services, campus, clock, language):  # noqa: F811
    # Before, a student who paid the order by invoice pressed the wallet's button, was told it was empty, and only
    # then saw the invoice button.
    t = catalogue(language)
    order_id = await asked_on_telegram(fake_bot_api, services, campus, clock, language=language)
    await deliver_queued(services, sender_of(services, bot, dispatcher), clock, LI)
    message = asking(fake_bot_api)
    assert fake_bot_api.buttons(message) == [
        [(t("extra-pay-wallet", extra="12.50"), f"extra:{order_id}:{EXTRA}")],
        [(t("tg-pay-extra-telegram", extra="12.50", charge="12.50", topped="no"), f"tgextra:{order_id}:{EXTRA}")],
        [(t("extra-refuse"), f"noextra:{order_id}:{EXTRA}")]]
    # Pressed: the invoice for the difference, in her language.
    fake_bot_api.callback(fake_bot_api.user(LI, "Li", language_code="en"), f"tgextra:{order_id}:{EXTRA}",
                          (LI, message["message_id"]))
    (invoice,) = await until(lambda: fake_bot_api.calls("sendInvoice", LI))
    assert [p["amount"] for p in invoice.params["prices"]] == [EXTRA]
    assert invoice.params["title"] == t("tg-invoice-extra-title", order=order_id)


async def test_without_a_payment_token_the_asking_message_offers_the_wallet_alone(
        fake_bot_api, dispatcher, bot, services, campus, clock):  # noqa: F811
    order_id = await asked_on_telegram(fake_bot_api, services, campus, clock)
    sender = sender_of(services, bot, dispatcher, token=None)
    await deliver_queued(services, sender, clock, LI)
    assert [data for row in fake_bot_api.buttons(asking(fake_bot_api)) for _, data in row] == [
        f"extra:{order_id}:{EXTRA}", f"noextra:{order_id}:{EXTRA}"]
    # The same service with a token (started again with one): the runner's next figure offers it.
    sender.payments = payments(services)
    await say_the_cost(fake_bot_api, order_id, "64")
    await deliver_queued(services, sender, clock, LI)
    (message,) = [m for m in fake_bot_api.bot_messages(LI) if m.get("reply_markup")]
    assert [data for row in fake_bot_api.buttons(message) for _, data in row] == [
        f"extra:{order_id}:1400", f"tgextra:{order_id}:1400", f"noextra:{order_id}:1400"]


async def test_a_difference_changed_while_its_message_was_on_the_way_gets_no_invoice_for_the_old_amount(
        fake_bot_api, dispatcher, bot, services, campus, clock):  # noqa: F811
    order_id = await asked_on_telegram(fake_bot_api, services, campus, clock)
    sender = sender_of(services, bot, dispatcher)
    plan = sender._plan

    async def changed_meanwhile(chat, rows):  # noqa: ANN001, ANN202
        """The runner says another figure once the sender has read the request for 12.50, before it goes."""
        jobs = await plan(chat, rows)
        if chat == LI and not fake_bot_api.bot_messages(LI):
            await say_the_cost(fake_bot_api, order_id, "64")
        return jobs

    sender._plan = changed_meanwhile  # type: ignore[method-assign]
    await sender.run_once(clock())
    (first,) = fake_bot_api.calls("sendMessage", LI)
    buttons = [b["callback_data"] for row in first.params["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == [f"extra:{order_id}:{EXTRA}", f"noextra:{order_id}:{EXTRA}"]  # its wallet's button refuses
    # Then it says the request changed, and the new one offers the invoice for the new amount.
    clock.advance(seconds=1)
    await deliver_queued(services, sender, clock, LI)
    old, new = fake_bot_api.bot_messages(LI)
    assert not fake_bot_api.buttons(old)
    assert [data for row in fake_bot_api.buttons(new) for _, data in row] == [
        f"extra:{order_id}:1400", f"tgextra:{order_id}:1400", f"noextra:{order_id}:1400"]


async def test_a_message_without_a_pay_button_costs_the_sender_no_read_of_orders_or_people(
        fake_bot_api, dispatcher, bot, services, campus, clock):  # noqa: F811
    await queue(services.db, LI, "Your runner is on the way.", at=clock())  # before the request, so sent first
    order_id = await asked_on_telegram(fake_bot_api, services, campus, clock)
    sender = sender_of(services, bot, dispatcher)
    runs = []
    for _ in range(2):  # one message a second in a chat: the plain one, then (once it is over) the request
        with statements(services.db) as run:
            assert await sender.run_once(clock()) == 1
        runs.append(run)
        clock.advance(seconds=2)
    plain, request = ([s for s in run if " orders" in s or " users" in s] for run in runs)
    assert plain == []
    assert request  # the request's pay button was checked against its order ...
    assert f"tgextra:{order_id}:{EXTRA}" in [data for row in fake_bot_api.buttons(asking(fake_bot_api))
                                             for _, data in row]  # ... and offers the invoice


async def test_an_edit_through_the_outbox_offers_the_invoice_while_its_buttons_offer_the_wallet(
        fake_bot_api, dispatcher, bot, services, campus, clock):  # noqa: F811
    order_id, li, _ = await asked(services, campus, clock)
    sender = sender_of(services, bot, dispatcher)
    shown = []
    for n, buttons in enumerate([answers(order_id, EXTRA), answers(order_id, EXTRA), None]):
        async with UnitOfWork(services.db) as uow:  # a message of hers, then two edits of it
            await Notifier(services, uow, clock(), f"test:{n}").user(li, "notice-extra-asked", text=f"Asked ({n})",
                                                                    buttons=buttons, edit_key=f"extra-1:{order_id}")
        await deliver_queued(services, sender, clock, LI)
        (message,) = fake_bot_api.bot_messages(LI)
        shown.append([data for row in fake_bot_api.buttons(message) for _, data in row])
    assert len(fake_bot_api.calls("editMessageText", LI)) == 2
    offered = [f"extra:{order_id}:{EXTRA}", f"tgextra:{order_id}:{EXTRA}", f"noextra:{order_id}:{EXTRA}"]
    assert shown == [offered, offered, []]


async def test_a_request_queued_before_messages_named_their_language_is_labelled_in_the_students(
        fake_bot_api, dispatcher, bot, services, campus, clock):  # noqa: F811
    order_id, _, _ = await asked(services, campus, clock)  # Li speaks English, her campus Chinese
    await queue(services.db, LI, "Asked", at=clock(), choices=[[("Pay", f"extra:{order_id}:{EXTRA}")]])
    await deliver_queued(services, sender_of(services, bot, dispatcher), clock, LI)
    assert fake_bot_api.buttons(asking(fake_bot_api)) == [
        [("Pay", f"extra:{order_id}:{EXTRA}")],
        [(EN("tg-pay-extra-telegram", extra="12.50", charge="12.50", topped="no"), f"tgextra:{order_id}:{EXTRA}")]]


async def test_an_invoice_paid_from_the_asking_message_keeps_its_receipt(
        fake_bot_api, dispatcher, bot, services, campus, clock):  # noqa: F811
    """The request's end edits the asking message through the outbox: the receipt, which says where the rest of a
    smallest charge went, is a message of its own rather than one that edit would overwrite."""
    order_id = await asked_on_telegram(fake_bot_api, services, campus, clock)
    await say_the_cost(fake_bot_api, order_id, "53")  # 3.00 asked: below the smallest charge
    sender = sender_of(services, bot, dispatcher)
    await deliver_queued(services, sender, clock, LI)
    message = fake_bot_api.bot_messages(LI)[-1]
    li = fake_bot_api.user(LI, "Li", language_code="en")
    fake_bot_api.callback(li, f"tgextra:{order_id}:300", (LI, message["message_id"]))
    (invoice,) = await until(lambda: fake_bot_api.calls("sendInvoice", LI))
    charge = sum(p["amount"] for p in invoice.params["prices"])
    told = len(fake_bot_api.bot_messages(LI))
    fake_bot_api.successful_payment(li, invoice.params["payload"], charge, charge_id="tg-extra-receipt")
    await until(lambda: len(fake_bot_api.bot_messages(LI)) > told)
    clock.advance(seconds=2)
    await deliver_queued(services, sender, clock, LI)  # the request's end, in the asking message's place
    shown = [m for m in fake_bot_api.bot_messages(LI) if "text" in m]  # not the invoice
    kept = format_yuan(charge - 300)
    assert [m["text"] for m in shown][-2:] == [
        f"Order #{order_id}: the 3.00 yuan goods difference is paid.",
        f"Received {format_yuan(charge)} yuan: the 3.00 yuan goods difference of order #{order_id} is paid. The "
        f"other {kept} yuan is in your wallet (balance {kept} yuan)."]
    assert not fake_bot_api.buttons(shown[-2])


async def test_a_failed_invoice_check_sends_the_message_with_the_wallets_button(
        fake_bot_api, dispatcher, bot, services, campus, clock):  # noqa: F811
    order_id = await asked_on_telegram(fake_bot_api, services, campus, clock)
    await queue(services.db, 5005, "For someone else", at=clock())
    sender = sender_of(services, bot, dispatcher)

    async def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise OperationalError("SELECT orders", {}, Exception("database is locked"))

    sender.payments.offer_queued = broken  # type: ignore[method-assign]
    assert await sender.run_once(clock()) == 2  # neither message held back
    assert [data for row in fake_bot_api.buttons(asking(fake_bot_api)) for _, data in row] == [
        f"extra:{order_id}:{EXTRA}", f"noextra:{order_id}:{EXTRA}"]
    assert [m["text"] for m in fake_bot_api.bot_messages(5005)] == ["For someone else"]


async def test_the_invoice_button_speaks_the_language_the_message_was_written_in(
        fake_bot_api, dispatcher, bot, services, campus, clock):  # noqa: F811
    """Li switches to English while her Chinese request waits to go: its invoice button is Chinese like its text."""
    order_id = await asked_on_telegram(fake_bot_api, services, campus, clock, language="zh_CN")
    async with UnitOfWork(services.db) as uow:
        await uow.session.execute(update(User).where(User.external_id == str(LI)).values(language="en"))
    await deliver_queued(services, sender_of(services, bot, dispatcher), clock, LI)
    zh = catalogue("zh_CN")
    assert fake_bot_api.buttons(asking(fake_bot_api))[1] == [
        (zh("tg-pay-extra-telegram", extra="12.50", charge="12.50", topped="no"), f"tgextra:{order_id}:{EXTRA}")]


async def test_a_forged_invoice_button_for_a_difference_of_nothing_is_refused_with_no_invoice(
        fake_bot_api, dispatcher, bot, services, campus, clock):  # noqa: F811
    # Before, "tgextra:<order>:0" on a picked-up buy task nobody asked a difference for sent a 16-yuan invoice: the
    # smallest charge as the "difference", and again as the wallet's rest.
    li_id = await tg_user(services, campus, clock, LI)
    wang = await tg_runner(services, campus, clock, WANG)
    order_id = await make_order(services.db, campus, li_id, clock(), goods=GOODS)
    await act(services.db, campus, order_id, Event.accept, Actor(Role.runner, wang), clock())
    await act(services.db, campus, order_id, Event.pickup, Actor(Role.runner, wang), clock())
    li = fake_bot_api.user(LI, "Li", language_code="en")
    card = await bot.send_message(LI, f"Order #{order_id}")
    fake_bot_api.callback(li, f"tgextra:{order_id}:0", (LI, card.message_id))
    answer = await until(lambda: next(iter(fake_bot_api.callback_answers), None))
    assert answer.get("text") == EN("tg-pay-extra-not-asked", order=order_id)
    assert fake_bot_api.calls("sendInvoice") == []
