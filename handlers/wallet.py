"""The student's wallet: balance and recent movements, paying an order from it, and payments from providers.

Every movement is a ledger posting. Students do not top up here: operators do, and channel adapters turn a
provider's payment into an Input of kind payment, which lands in the wallet first and then pays the order.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from sqlalchemy import func, or_, select, update

from core import ledger
from core.errors import DomainError, InsufficientFunds, InvalidInput
from core.money import Fen, format_yuan
from core.order import FINAL, Event, Role, Status
from core.pricing import DISCOUNT_LINE
from handlers import goods_extra
from handlers.context import Ctx, barred
from handlers.io import Choice, Kind
from handlers.orders import balance, customer_order, move, parse_order_id, pay_button, quote_lines_text, status_words
from handlers.router import ROUTER
from storage.db import DbSession
from storage.models import Coupon, CouponRedemption, LedgerEntry, LedgerPosting
from storage.models import Order as OrderRow
from storage.orders_repo import to_domain

log = logging.getLogger(__name__)

RECENT = 10  # movements shown under the balance
# What a posting key says about a movement of the wallet (see the builders in core.ledger).
KINDS = (
    (re.compile(r"^charge:([a-z0-9_]+):"), "topup"),
    (re.compile(r"^order:(\d+):pay$"), "pay"),
    (re.compile(r"^order:(\d+):goods-extra$"), "extra"),
    (re.compile(r"^order:(\d+):goods$"), "goods"),  # what the goods did not cost, back
    (re.compile(r"^order:(\d+):refund$"), "refund"),
    (re.compile(r"^order:(\d+):cancel-fee$"), "cancel"),
    (re.compile(r"^compensation:(\d+)$"), "compensation"),
)


def movement_kind(key: str) -> tuple[str, str]:
    """(kind, detail) of a posting key: the provider of a top-up, the order of a payment or refund."""
    for pattern, kind in KINDS:
        m = pattern.match(key)
        if m:
            return kind, m[1]
    return "other", ""


@ROUTER.command("wallet", while_suspended=True)
async def show_wallet(ctx: Ctx) -> None:
    t = ctx.t
    rows = (await ctx.uow.session.execute(
        select(LedgerPosting.key, LedgerPosting.at, LedgerEntry.amount)
        .join(LedgerEntry, LedgerEntry.posting_id == LedgerPosting.id)
        .where(LedgerEntry.account == ledger.customer(ctx.user_id))
        .order_by(LedgerPosting.id.desc()).limit(RECENT)
    )).all()
    parts = [t("wallet-balance", balance=format_yuan(await balance(ctx)))]
    if rows:
        parts.append(t("wallet-recent"))
        for key, at, amount in rows:
            kind, detail = movement_kind(key)
            if kind == "topup":  # its provider, said in words (cash: an operator's /topup)
                detail = t("wallet-provider", provider=detail)
            parts.append(t("wallet-line", date=at.astimezone(ctx.campus.tz).strftime("%m-%d %H:%M"), kind=kind,
                           detail=detail, amount=("+" if amount > 0 else "") + format_yuan(amount)))
    else:
        parts.append(t("wallet-no-movements"))
    # Suspended: the money stays theirs, though it pays for nothing now (no order can be placed).
    parts.append(t("wallet-suspended-hint" if barred(ctx.campus, ctx.user) else "wallet-topup-hint"))
    ctx.say_text("wallet-balance", "\n".join(parts))


# --- paying an order -----------------------------------------------------------------------------------------

async def ensure_payable(ctx: Ctx, row: OrderRow) -> None:
    if row.status == Status.awaiting_payment.value:
        # Its time to pay is over, though the timers have not closed it yet (they run every few seconds): as the
        # invoice's pre-checkout refuses it.
        if row.pay_by is not None and ctx.now >= row.pay_by:
            raise InvalidInput("wallet-pay-too-late", order=row.id)
        return
    # Paid and still going on: "already paid". One that ended since (expired, refunded) is told as it is now.
    if Status(row.status) not in FINAL and await ctx.uow.ledger.posted(
            ledger.pay_order(row.id, row.customer_id, row.total, row.discount).key):
        raise InvalidInput("wallet-already-paid", order=row.id)
    raise InvalidInput("wallet-not-payable", order=row.id, status=status_words(ctx.t, row))


COUPON_REFUSALS = ("order-coupon-used-up", "order-coupon-already-used", "order-coupon-expired")


async def coupon_uses_of(session: DbSession, code: str, user_id: int) -> int:
    return await session.scalar(select(func.count()).select_from(CouponRedemption).where(
        CouponRedemption.code == code, CouponRedemption.user_id == user_id)) or 0


async def coupon_spent(session: DbSession, coupon: Coupon, user_id: int) -> InvalidInput | None:
    """Why this student cannot count the coupon now: all its uses are taken, or theirs are; None if they can. A
    read without the coupon's lock: redeem_coupon decides under it when the order is paid."""
    if coupon.max_uses is not None and coupon.used >= coupon.max_uses:
        return InvalidInput("order-coupon-used-up", code=coupon.code)
    if coupon.per_user and await coupon_uses_of(session, coupon.code, user_id) >= coupon.per_user:
        return InvalidInput("order-coupon-already-used", code=coupon.code, each=coupon.per_user)
    return None


async def coupon_refusal(session: DbSession, row: OrderRow, now: dt.datetime) -> InvalidInput | None:
    """Why the order's coupon can no longer be counted (used up, or used by this student on other orders since
    this one was priced; ended since, by its time or an operator's /coupon stop), or None. Asked before any money
    moves."""
    if not row.coupon_code:
        return None
    coupon = await session.get(Coupon, row.coupon_code, populate_existing=True)
    if coupon is None:
        return InvalidInput("order-coupon-used-up", code=row.coupon_code)
    if coupon.valid_until is not None and now >= coupon.valid_until:
        return InvalidInput("order-coupon-expired", code=coupon.code)
    return await coupon_spent(session, coupon, row.customer_id)


async def redeem_coupon(ctx: Ctx, row: OrderRow) -> None:
    """Count the order's coupon as used. The conditional update keeps max_uses under concurrent payments, and
    locks the coupon's row until commit: the student's uses are counted after it, so concurrent payments with one
    coupon take turns and each counts the redemptions committed before it (a refusal rolls the update back)."""
    if not row.coupon_code:
        return
    s = ctx.uow.session
    code = row.coupon_code
    taken = await s.execute(
        update(Coupon).where(Coupon.code == code, or_(Coupon.max_uses.is_(None), Coupon.used < Coupon.max_uses))
        .values(used=Coupon.used + 1).execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        raise InvalidInput("order-coupon-used-up", code=code)
    per_user = await s.scalar(select(Coupon.per_user).where(Coupon.code == code))  # 0: no limit per student
    if per_user and await coupon_uses_of(s, code, row.customer_id) >= per_user:
        raise InvalidInput("order-coupon-already-used", code=code, each=per_user)
    s.add(CouponRedemption(code=code, user_id=row.customer_id, order_id=row.id, at=ctx.now))
    await s.flush()


def say_coupon_gone(ctx: Ctx, order_id: int, full_price: Fen, refusal: DomainError, key: str = "wallet-coupon-gone",
                    **args: Any) -> None:
    """The order was priced with a coupon that can no longer be counted, so no payment can pay it at that price:
    say why and offer the ways on, paying its full price without the coupon or cancelling it (nothing was paid
    for it)."""
    ctx.say(key, order=order_id, reason=ctx.t(refusal.key, **refusal.args_), choices=[
        [full_price_button(ctx, order_id, full_price)],
        [ctx.button("track-cancel-unpaid-button", f"o:{order_id}:cancel")]], **args)


def full_price_button(ctx: Ctx, order_id: int, full_price: Fen) -> Choice:
    """In place of Pay, for an order whose coupon can no longer be counted: its full price without the coupon
    (pay_without_coupon)."""
    return ctx.button("wallet-full-price-button", f"nocoupon:{order_id}", total=format_yuan(full_price))


def insufficient(have: int, total: int) -> InvalidInput:
    return InvalidInput("wallet-insufficient", balance=format_yuan(have), total=format_yuan(total),
                        missing=format_yuan(total - have))


@ROUTER.action("pay")
async def pay_with_wallet(ctx: Ctx) -> None:
    """The Pay button of a new order: from the wallet, once; a refusal changes nothing."""
    row = await customer_order(ctx, parse_order_id((ctx.input.choice or "").partition(":")[2]))
    await ensure_payable(ctx, row)
    await pay_order(ctx, row)


async def pay_order(ctx: Ctx, row: OrderRow, *, placed: bool = False) -> None:
    """Pay an order awaiting payment from the wallet, its coupon counted in the same transaction. One its coupon
    pays in full takes nothing from the wallet: the coupon alone pays it (ordering.confirm pays it so at once).
    The outcome replaces the pressed message. A coupon that can no longer be counted is said with the ways on,
    and nothing of the payment stays. `placed`: this input placed the order (the quote's Confirm), which that
    refusal says too, in the quote's place."""
    order_id, total, full_price, code = row.id, row.total, to_domain(row).full_price, row.coupon_code
    edit = ctx.input.kind is Kind.choice
    gone_key, gone_edit = ("order-covered-coupon-gone", edit) if placed else ("wallet-coupon-gone", False)
    if (gone := await coupon_refusal(ctx.uow.session, row, ctx.now)) is not None:
        say_coupon_gone(ctx, order_id, full_price, gone, gone_key, edit=gone_edit)
        return
    have = await balance(ctx)
    if have < total:
        raise insufficient(have, total)
    try:
        async with ctx.uow.session.begin_nested():  # a coupon lost to a concurrent payment: nothing of this stays
            await redeem_coupon(ctx, row)
            await move(ctx, row, Event.pay, Role.customer)
    except InsufficientFunds:  # spent elsewhere since we looked; the app rolls everything back
        raise insufficient(await balance(ctx), total) from None
    except InvalidInput as refusal:
        if refusal.key not in COUPON_REFUSALS:
            raise
        say_coupon_gone(ctx, order_id, full_price, refusal, gone_key, edit=gone_edit)
        return
    # In the pressed message's place: the order card's Pay buttons (wallet, provider invoice) must not stay live.
    if not total:
        ctx.say("order-covered", order=order_id, code=code, edit=edit)
        return
    ctx.say("wallet-paid", order=order_id, amount=format_yuan(total), balance=format_yuan(await balance(ctx)),
            edit=edit)


@ROUTER.action("nocoupon")
async def pay_without_coupon(ctx: Ctx) -> None:
    """The way on from a coupon that can no longer be counted: the order at its full price (the state machine's
    drop_coupon; nothing is paid yet), its bill shown again with the payment choices, in the pressed message's
    place. A press for an order paid, closed or not this student's is refused as Pay is and changes nothing."""
    row = await customer_order(ctx, parse_order_id((ctx.input.choice or "").partition(":")[2]))
    await ensure_payable(ctx, row)
    code = row.coupon_code
    await move(ctx, row, Event.drop_coupon, Role.customer)
    row.quote_lines = [line for line in row.quote_lines if line["key"] != DISCOUNT_LINE]
    t = ctx.t
    parts = [t("wallet-full-price", order=row.id, code=code), quote_lines_text(t, row.quote_lines),
             t("order-card-total", total=format_yuan(row.total))]
    if row.pay_by is not None:
        parts.append(t("wallet-full-price-due", time=row.pay_by.astimezone(ctx.campus.tz).strftime("%H:%M")))
    parts.append(t("wallet-balance", balance=format_yuan(await balance(ctx))))
    ctx.say_text("wallet-full-price", "\n".join(parts), choices=[[pay_button(ctx, row.id or 0)]], edit=True)


async def provider_payment(ctx: Ctx) -> None:
    """A provider says the student paid: the money lands in the wallet once (keyed by the charge id), then pays
    the order if it still waits for exactly that amount. A replay, a payment naming no order of ours, an order that
    moved on, or a suspended student's payment (their invoice is refused, but a charge may arrive anyway) touches
    no order: the money stays in the wallet, and the student is told so.
    A payment that pays the order replaces the order card it was asked from (its Pay buttons are done with)."""
    p = ctx.input.payment
    assert p is not None
    fresh = await ctx.uow.ledger.post(ledger.top_up(ctx.user_id, p.amount, p.provider, p.charge_id), ctx.now)
    if not fresh:
        ctx.say("wallet-charge-seen")
        return
    received = format_yuan(p.amount)
    row = await ctx.uow.orders.get_row(p.order_id) if p.order_id is not None else None
    if row is None or row.campus_id not in ctx.services.campuses:  # an unknown or forged invoice: money all the same
        ctx.say("wallet-payment-unmatched", amount=received, balance=format_yuan(await balance(ctx)))
        return
    if barred(ctx.campus, ctx.user):  # paid after the suspension, or despite it: kept, but it pays for nothing
        ctx.say("wallet-payment-kept-suspended", order=row.id, amount=received, balance=format_yuan(await balance(ctx)))
        return
    if row.customer_id != ctx.user_id:  # pre-checkout refuses this: nothing of another's order is touched or told
        ctx.say("wallet-payment-not-yours", order=row.id, amount=received, balance=format_yuan(await balance(ctx)))
        return
    if p.extra is not None:  # for the goods' difference: it pays that if still asked, else stays in the wallet
        order_id = row.id  # read now: a rolled-back move leaves the row to be read again
        if not await goods_extra.provider_paid(ctx, row, p.extra, p.amount):
            ctx.say("extra-payment-kept", order=order_id, amount=received, balance=format_yuan(await balance(ctx)))
        return
    waiting = row.status == Status.awaiting_payment.value
    if waiting and row.total == p.amount:
        full_price = to_domain(row).full_price
        try:
            # The money received must stay whatever happens to the order: only this part may roll back.
            async with ctx.uow.session.begin_nested():
                # Ended since the invoice (its time, or /coupon stop) as a used-up one: not at the coupon's price.
                if (gone := await coupon_refusal(ctx.uow.session, row, ctx.now)) is not None:
                    raise gone
                await redeem_coupon(ctx, row)
                await move(ctx, row, Event.pay, Role.system)
        except DomainError as refusal:
            if refusal.key in COUPON_REFUSALS:  # the order still waits, but no payment can pay it at this price
                say_coupon_gone(ctx, row.id, full_price, refusal, "wallet-payment-kept-coupon",
                                amount=received, balance=format_yuan(await balance(ctx)))
                return
        except Exception:  # noqa: BLE001 - a fault of ours must not lose a charge the student was made
            # The charge is booked into the wallet all the same (the order's part rolled back alone), and the
            # operators hear of it, rather than the whole booking failing on every try (UNBOOKED).
            log.exception("charge %s: booked into the wallet, but paying order %s with it failed", p.charge_id, row.id)
            await ctx.notify.operators(ctx.campus, "notice-payment-not-applied", order=row.id, amount=received)
            ctx.say("wallet-payment-not-applied", order=row.id, amount=received,
                    balance=format_yuan(await balance(ctx)), choices=[[pay_button(ctx, row.id or 0)]])
            return
        else:
            ctx.say("wallet-provider-paid", order=row.id, amount=received, edit=True)
            return
    # A message of its own: the card may say the order was paid (by another charge, or the wallet), and an order
    # still waiting at another price keeps its Pay buttons, which the wallet can now pay with.
    if waiting and row.total != p.amount:  # repriced since the invoice (its coupon dropped): it still waits
        ctx.say("wallet-payment-wrong-amount", order=row.id, amount=received, total=format_yuan(row.total),
                balance=format_yuan(await balance(ctx)), choices=[[pay_button(ctx, row.id or 0)]])
        return
    ctx.say("wallet-payment-kept", order=row.id, amount=received, balance=format_yuan(await balance(ctx)))


ROUTER.payment = provider_payment
