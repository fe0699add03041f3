"""Telegram Payments: an invoice button beside the wallet's pay button, the invoice, the pre-checkout check; for
an order awaiting payment, and for the goods difference a buy task's runner asks its student for.

The successful payment itself goes to the handlers as a neutral payment input (credited once, by charge id).
Amounts: Telegram counts in the currency's smallest unit, for CNY the fen, the same unit as the ledger. Telegram
refuses an invoice outside the currency's bounds (about US$1 to US$10,000), so the invoice is offered, and sent,
only for an order whose total is within the configured bounds; below them the wallet alone pays.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import LabeledPrice, PreCheckoutQuery
from aiogram.utils.backoff import Backoff, BackoffConfig
from sqlalchemy import select

from bot.telegram.convert import CHANNEL, invoice_for, invoice_payload
from bot.telegram.render import call, fitting
from bot.telegram.transient import RETRY_LATER, failure_text, retry_delay
from bot.telegram.users import guess_language, lookup
from core.money import Fen, format_yuan
from core.numbers import record_id
from core.order import Status
from handlers.context import Services, barred
from handlers.io import Choice, Reply
from handlers.wallet import coupon_refusal
from locales import Catalogue, catalogue
from storage.models import Order as OrderRow
from storage.models import User
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

CURRENCY = "CNY"
PAY_DATA = re.compile(r"^pay:(\d{1,12})$")  # the wallet's pay button (handlers)
EXTRA_DATA = re.compile(r"^extra:(\d{1,12}):(\d{1,9})$")  # the wallet's pay button for a goods difference
INVOICE_PREFIX = "tgpay"  # our invoice button: "tgpay:<order id>"
EXTRA_INVOICE_PREFIX = "tgextra"  # and for a goods difference: "tgextra:<order id>:<fen>"
PRE_CHECKOUT_BUDGET_S = 8.0  # Telegram wants the answer within 10 s: the check's share of them
ANSWER_DEADLINE_S = 9.5  # the answer's last try starts by then, its trip to Telegram within the 10 s
ANSWER_BACKOFF = BackoffConfig(min_delay=0.25, max_delay=2.0, factor=2.0, jitter=0.1)  # network and 5xx errors
COUPON_GONE = "tg-pay-coupon-gone"  # the refusal of an order priced with a coupon that can no longer be counted


class Refused(NamedTuple):
    """Why no invoice was sent: the catalogue key, and what the presser is told."""

    key: str
    text: str


class Payable(NamedTuple):
    """What a Pay button pays: an order, or with `extra` the goods difference (fen) its runner asks for."""

    order_id: int
    extra: int | None = None

    @property
    def invoice_data(self) -> str:
        """Our invoice button's data for it."""
        if self.extra is None:
            return f"{INVOICE_PREFIX}:{self.order_id}"
        return f"{EXTRA_INVOICE_PREFIX}:{self.order_id}:{self.extra}"


def wallet_payable(data: str) -> Payable | None:
    """What a wallet's Pay button (handlers) pays, or None if the data is not one."""
    if match := PAY_DATA.match(data):
        return Payable(int(match[1]))
    if match := EXTRA_DATA.match(data):
        return Payable(int(match[1]), int(match[2]))
    return None


def invoice_target(data: str | None) -> Payable | None:
    """What one of our invoice buttons asks an invoice for, or None if the data is not one (or not a valid one)."""
    prefix, _, rest = (data or "").partition(":")
    parts = rest.split(":")
    numbers = [record_id(p) for p in parts]
    if None in numbers:
        return None
    if prefix == INVOICE_PREFIX and len(numbers) == 1:
        return Payable(numbers[0])  # type: ignore[arg-type]
    if prefix == EXTRA_INVOICE_PREFIX and len(numbers) == 2:
        return Payable(numbers[0], numbers[1])  # type: ignore[arg-type]
    return None


def _wallet_payments(replies: list[Reply]) -> set[Payable]:
    """What these replies offer wallet payment for."""
    return {found for reply in replies for row in reply.choices for choice in row
            if (found := wallet_payable(choice.data)) is not None}


class TelegramPayments:
    def __init__(self, services: Services, bot: Bot, provider_token: str | None, *, min_amount: Fen,
                 max_amount: Fen) -> None:
        """min_amount, max_amount: the order totals Telegram accepts an invoice for (settings)."""
        self.services = services
        self.bot = bot
        self.provider_token = provider_token
        self.min_amount = min_amount
        self.max_amount = max_amount
        # How the pre-checkout answer's retries wait and read the time: tests give virtual ones.
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self.monotonic: Callable[[], float] = time.monotonic

    @property
    def enabled(self) -> bool:
        return bool(self.provider_token)

    # --- the button ----------------------------------------------------------------------------------------
    async def invoiceable(self, replies: list[Reply]) -> set[Payable]:
        """What these replies offer wallet payment for that a Telegram invoice can pay too: payments are on, the
        amount is within Telegram's bounds, and it is still payable at it: an order whose coupon can still be
        counted (_check), a goods difference still asked. Reads the database only when a reply carries a pay
        button."""
        offered = _wallet_payments(replies) if self.enabled else set()
        if not offered:
            return set()
        async with UnitOfWork(self.services.db, write=False) as uow:
            rows = {row.id: row for row in (await uow.session.scalars(select(OrderRow).where(
                OrderRow.id.in_({p.order_id for p in offered})))).all()}
            found = set()
            for payable in offered:
                row = rows.get(payable.order_id)
                if row is None or not self.min_amount <= self.charge(payable, row) <= self.max_amount:
                    continue
                if payable.extra is None and await coupon_refusal(uow.session, row, self.services.clock()) is None or \
                        payable.extra is not None and _extra_asked(row, payable.extra):
                    found.add(payable)
            return found

    def offer(self, replies: list[Reply], payables: set[Payable], t: Catalogue) -> list[Reply]:
        """Beside the wallet's pay button for each of these (invoiceable()), a Telegram invoice button. Anything
        else keeps its wallet button alone: a student is not shown a button that could only fail."""
        if not self.enabled or not payables:
            return replies
        out = []
        for reply in replies:
            rows: list[tuple[Choice, ...]] = []
            for row in reply.choices:
                rows.append(row)
                for choice in row:
                    payable = wallet_payable(choice.data)
                    if payable in payables:
                        label = t("tg-pay-telegram") if payable.extra is None else t(
                            "tg-pay-extra-telegram", extra=format_yuan(payable.extra),
                            charge=format_yuan(self.extra_charge(payable.extra)),
                            topped="yes" if self.extra_charge(payable.extra) > payable.extra else "no")
                        rows.append((Choice(label, payable.invoice_data),))
            out.append(dataclasses.replace(reply, choices=tuple(rows)) if len(rows) != len(reply.choices) else reply)
        return out

    async def offer_queued(self, chat: int, replies: list[Reply], language: str | None) -> list[Reply]:
        """invoiceable() then offer(), for what the outbox sender delivers to a person's chat: labelled in `language`,
        the one its text is in (Notifier.user records it; a row queued before it did: the person's now). Reads
        nothing for a message without a pay button."""
        payables = await self.invoiceable(replies)
        if not payables:
            return replies
        if language is None:
            language = (await lookup(self.services.db, chat,
                                     default_language=self.services.default_campus.language)).language
        return self.offer(replies, payables, catalogue(language))

    def extra_charge(self, extra: Fen) -> Fen:
        """What an invoice for a goods difference charges: the difference, or Telegram's smallest charge (our
        lower bound) when that is more, the rest going to the student's wallet. A difference is a few yuan as a
        rule, and a student who paid the order by invoice has nothing in the wallet to pay it from."""
        return max(extra, self.min_amount)

    def charge(self, payable: Payable, row: OrderRow) -> Fen:
        """What an invoice for this charges."""
        return row.total if payable.extra is None else self.extra_charge(payable.extra)

    def _out_of_bounds(self, total: Fen, t: Catalogue, order_id: int) -> Refused | None:
        """Why Telegram would refuse an invoice for this total, or None."""
        if total < self.min_amount:
            key = "tg-pay-below-minimum"
            return Refused(key, t(key, order=order_id, min=format_yuan(self.min_amount)))
        if total > self.max_amount:
            key = "tg-pay-above-maximum"
            return Refused(key, t(key, order=order_id, max=format_yuan(self.max_amount)))
        return None

    # --- is this order payable by this person at this price ----------------------------------------------
    async def refusal(self, telegram_user: int | str, order_id: int, amount: int | None = None,
                      currency: str = CURRENCY, *, extra: int | None = None) -> str | None:
        """None if the order (with `extra`, that goods difference of it) awaits this person's payment (at this
        amount); else the catalogue key saying why."""
        return (await self._check(telegram_user, Payable(order_id, extra), amount, currency))[0]

    async def _check(self, telegram_user: int | str, payable: Payable, amount: int | None,
                     currency: str) -> tuple[str | None, OrderRow | None]:
        order_id = payable.order_id
        now = self.services.clock()
        async with UnitOfWork(self.services.db, write=False) as uow:
            row = await uow.orders.get_row(order_id)
            user = await uow.session.get(User, row.customer_id) if row is not None else None
            coupon_gone = await coupon_refusal(uow.session, row, now) if row is not None else None
        if row is None or row.campus_id not in self.services.campuses:
            return "error-order-not-found", None  # as every other place refuses an order that is not there
        if user is None or user.channel != CHANNEL or user.external_id != str(telegram_user):
            return "tg-pay-not-yours", None
        if barred(self.services.campuses.get(user.campus_id, self.services.default_campus), user):
            return "error-suspended", None  # as their wallet's Pay button says
        if payable.extra is not None:  # a goods difference: still asked, at this amount
            if not _extra_asked(row, payable.extra):
                return "tg-pay-extra-not-asked", None
            if amount is not None and (amount != self.extra_charge(payable.extra) or currency != CURRENCY):
                return "tg-pay-price-changed", None
            return None, row
        if row.status != Status.awaiting_payment.value or (row.pay_by is not None and row.pay_by <= now):
            return "tg-pay-not-payable", None
        if amount is not None and (amount != row.total or currency != CURRENCY):
            return "tg-pay-price-changed", None
        if coupon_gone is not None:  # a charge could never pay the order: refuse before Telegram takes the money
            return COUPON_GONE, None
        return None, row

    # --- the invoice ---------------------------------------------------------------------------------------
    async def send_invoice(self, telegram_user: int, payable: Payable, t: Catalogue,
                           card_message_id: int | None = None) -> Refused | None:
        """Send the invoice for the order, or its goods difference, to the person privately; returns why not, or
        None. The card the invoice was asked for from is named in the payload, so its Pay buttons go once the
        payment arrives."""
        order_id = payable.order_id
        key, row = await self._check(telegram_user, payable, None, CURRENCY)
        if key is not None or row is None:
            key = key or "tg-pay-not-payable"
            return Refused(key, t(key, order=order_id))
        amount = self.charge(payable, row)
        too_small_or_large = self._out_of_bounds(amount, t, order_id)  # a stale or forged button
        if too_small_or_large is not None:
            return too_small_or_large
        texts = "tg-invoice" if payable.extra is None else "tg-invoice-extra"
        prices = [LabeledPrice(label=t(f"{texts}-label", order=order_id), amount=payable.extra or amount)]
        if payable.extra is not None and amount > payable.extra:  # the rest of the smallest charge: to the wallet
            prices.append(LabeledPrice(label=t("tg-invoice-to-wallet"), amount=amount - payable.extra))
        title, description = t(f"{texts}-title", order=order_id), t(f"{texts}-description", order=order_id)
        try:
            await call(self.bot.send_invoice, chat_id=telegram_user, title=title[:fitting(title, 32)],
                       description=description[:fitting(description, 255)],
                       payload=invoice_payload(order_id, card_message_id, extra=payable.extra),
                       provider_token=self.provider_token, currency=CURRENCY, prices=prices)
        except TelegramBadRequest as exc:  # e.g. Telegram's minimum moved above ours with the exchange rate
            log.warning("sendInvoice for order %s refused: %s", order_id, exc.message)
            return Refused("tg-pay-invoice-failed", t("tg-pay-invoice-failed"))
        return None

    # --- pre-checkout --------------------------------------------------------------------------------------
    async def answer_pre_checkout(self, query: PreCheckoutQuery) -> None:
        """Check again, just before Telegram charges, that the order still awaits this payment. Whatever fails
        (the database, the budget), Telegram gets an answer: a refusal charges nothing, silence fails the payment
        only after 10 s, without a word of why. The answer itself is tried again while the 10 s last."""
        deadline = self.monotonic() + ANSWER_DEADLINE_S
        try:
            key, t = await asyncio.wait_for(self._pre_checkout_refusal(query), PRE_CHECKOUT_BUDGET_S)
        except Exception:
            log.exception("pre-checkout check for %r failed", query.invoice_payload)
            key = "tg-pay-try-again"
            t = catalogue(guess_language(query.from_user.language_code, self.services.default_campus.language))
        if key is None:
            await self._answer_by(deadline, pre_checkout_query_id=query.id, ok=True)
        else:
            await self._answer_by(deadline, pre_checkout_query_id=query.id, ok=False,
                                  error_message=t(key, order=_payload_order(query.invoice_payload)))

    async def _answer_by(self, deadline: float, **answer: Any) -> None:
        """answerPreCheckoutQuery, tried again after a 429's retry_after or, on a network or server error, with
        backoff, as long as the retry starts before the deadline. Past it Telegram has failed the payment itself
        (charging nothing): the answer is logged as lost rather than sent late."""
        backoff = Backoff(ANSWER_BACKOFF)
        while True:
            try:
                await self.bot.answer_pre_checkout_query(**answer)
                return
            except RETRY_LATER as exc:
                wait, failure = retry_delay(exc, backoff), failure_text(exc)
            if self.monotonic() + wait > deadline:
                log.warning("pre-checkout answer %s (ok=%s) not delivered within Telegram's 10 s: %s",
                            answer["pre_checkout_query_id"], answer["ok"], failure)
                return
            await self.sleep(wait)

    async def _pre_checkout_refusal(self, query: PreCheckoutQuery) -> tuple[str | None, Catalogue]:
        """The catalogue key refusing this charge (None: charge it), and the payer's language."""
        known = await lookup(self.services.db, query.from_user.id, language_code=query.from_user.language_code,
                             default_language=self.services.default_campus.language)
        found = invoice_for(query.invoice_payload)
        if found is None:  # not a payload our invoices carry (an old format, a forgery): it pays nothing we know
            return "tg-pay-unknown-invoice", known.t
        return await self.refusal(query.from_user.id, found.order_id, query.total_amount, query.currency,
                                  extra=found.extra), known.t


def _payload_order(payload: str | None) -> int:
    found = invoice_for(payload)
    return found.order_id if found else 0


def _extra_asked(row: OrderRow, extra: int) -> bool:
    """The order's runner asks its student for exactly this goods difference now."""
    return extra > 0 and row.status == Status.picked_up.value and row.goods_extra == extra  # 0: none was asked
