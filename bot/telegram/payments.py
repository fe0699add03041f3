"""Telegram Payments: an invoice button beside the wallet's pay button, the invoice, the pre-checkout check.

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

from bot.telegram.convert import CHANNEL, invoice_payload, order_from_payload
from bot.telegram.render import call
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
INVOICE_PREFIX = "tgpay"  # our invoice button: "tgpay:<order id>"
PRE_CHECKOUT_BUDGET_S = 8.0  # Telegram wants the answer within 10 s: the check's share of them
ANSWER_DEADLINE_S = 9.5  # the answer's last try starts by then, its trip to Telegram within the 10 s
ANSWER_BACKOFF = BackoffConfig(min_delay=0.25, max_delay=2.0, factor=2.0, jitter=0.1)  # network and 5xx errors
COUPON_GONE = "tg-pay-coupon-gone"  # the refusal of an order priced with a coupon that can no longer be counted


class Refused(NamedTuple):
    """Why no invoice was sent: the catalogue key, and what the presser is told."""

    key: str
    text: str


def invoice_order(data: str | None) -> int | None:
    """The order id of an invoice button's data, or None if it is not one."""
    if not data or not data.startswith(INVOICE_PREFIX + ":"):
        return None
    return record_id(data[len(INVOICE_PREFIX) + 1:])


def _wallet_payments(replies: list[Reply]) -> set[int]:
    """The orders these replies offer wallet payment for."""
    return {int(match.group(1)) for reply in replies for row in reply.choices for choice in row
            if (match := PAY_DATA.match(choice.data))}


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
    async def invoiceable(self, replies: list[Reply]) -> set[int]:
        """The orders these replies offer wallet payment for that a Telegram invoice can pay too: payments are on,
        the total is within Telegram's bounds, and the coupon it was priced with can still be counted (_check).
        Reads the database only when a reply carries a pay button."""
        offered = _wallet_payments(replies) if self.enabled else set()
        if not offered:
            return set()
        async with UnitOfWork(self.services.db, write=False) as uow:
            rows = (await uow.session.scalars(select(OrderRow).where(
                OrderRow.id.in_(offered), OrderRow.total.between(self.min_amount, self.max_amount)))).all()
            return {row.id for row in rows if await coupon_refusal(uow.session, row) is None}

    def offer(self, replies: list[Reply], orders: set[int], t: Catalogue) -> list[Reply]:
        """Beside the wallet's pay button for each of these orders (invoiceable()), a Telegram invoice button.
        Any other order keeps its wallet button alone: a student is not shown a button that could only fail."""
        if not self.enabled or not orders:
            return replies
        out = []
        for reply in replies:
            rows: list[tuple[Choice, ...]] = []
            for row in reply.choices:
                rows.append(row)
                for choice in row:
                    match = PAY_DATA.match(choice.data)
                    if match and int(match.group(1)) in orders:
                        rows.append((Choice(t("tg-pay-telegram"), f"{INVOICE_PREFIX}:{match.group(1)}"),))
            out.append(dataclasses.replace(reply, choices=tuple(rows)) if len(rows) != len(reply.choices) else reply)
        return out

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
                      currency: str = CURRENCY) -> str | None:
        """None if the order awaits this person's payment (at this amount); else the catalogue key saying why."""
        return (await self._check(telegram_user, order_id, amount, currency))[0]

    async def _check(self, telegram_user: int | str, order_id: int, amount: int | None,
                     currency: str) -> tuple[str | None, OrderRow | None]:
        now = self.services.clock()
        async with UnitOfWork(self.services.db, write=False) as uow:
            row = await uow.orders.get_row(order_id)
            user = await uow.session.get(User, row.customer_id) if row is not None else None
            coupon_gone = await coupon_refusal(uow.session, row) if row is not None else None
        if row is None or row.campus_id not in self.services.campuses:
            return "error-order-not-found", None  # as every other place refuses an order that is not there
        if user is None or user.channel != CHANNEL or user.external_id != str(telegram_user):
            return "tg-pay-not-yours", None
        if barred(self.services.campuses.get(user.campus_id, self.services.default_campus), user):
            return "error-suspended", None  # as their wallet's Pay button says
        if row.status != Status.awaiting_payment.value or (row.pay_by is not None and row.pay_by <= now):
            return "tg-pay-not-payable", None
        if amount is not None and (amount != row.total or currency != CURRENCY):
            return "tg-pay-price-changed", None
        if coupon_gone is not None:  # a charge could never pay the order: refuse before Telegram takes the money
            return COUPON_GONE, None
        return None, row

    # --- the invoice ---------------------------------------------------------------------------------------
    async def send_invoice(self, telegram_user: int, order_id: int, t: Catalogue,
                           card_message_id: int | None = None) -> Refused | None:
        """Send the invoice for the order to the person privately; returns why not, or None. The card the
        invoice was asked for from is named in the payload, so its Pay buttons go once the payment arrives."""
        key, row = await self._check(telegram_user, order_id, None, CURRENCY)
        if key is not None or row is None:
            key = key or "tg-pay-not-payable"
            return Refused(key, t(key, order=order_id))
        too_small_or_large = self._out_of_bounds(row.total, t, order_id)  # a stale or forged button
        if too_small_or_large is not None:
            return too_small_or_large
        try:
            await call(self.bot.send_invoice, chat_id=telegram_user,
                       title=t("tg-invoice-title", order=order_id)[:32],
                       description=t("tg-invoice-description", order=order_id)[:255],
                       payload=invoice_payload(order_id, card_message_id), provider_token=self.provider_token, currency=CURRENCY,
                       prices=[LabeledPrice(label=t("tg-invoice-label", order=order_id), amount=row.total)])
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
                                  error_message=t(key, order=order_from_payload(query.invoice_payload) or 0))

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
        order_id = order_from_payload(query.invoice_payload)
        if order_id is None:  # not a payload our invoices carry (an old format, a forgery): it pays nothing we know
            return "tg-pay-unknown-invoice", known.t
        return await self.refusal(query.from_user.id, order_id, query.total_amount, query.currency), known.t
