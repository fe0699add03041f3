"""The goods cost more than the goods money (补差价): the runner asks the student for the difference, who pays it
from the wallet or through a channel's payment provider, or refuses it. What it means for the order and the money
is core.order's (extra_asked, extra_paid, extra_refused); here it is asked, shown and answered.

Buttons: "extra:<order>:<fen>" pays the difference from the wallet, "noextra:<order>:<fen>" refuses it. Both name
the amount shown, so a press after the runner changed the figure is refused rather than paying another amount; a
channel with a payment provider offers its own invoice beside every "extra:" button (bot/telegram/payments.py).
"""
from __future__ import annotations

import re

from sqlalchemy import func, select

from core.campus import Campus
from core.errors import DomainError, InsufficientFunds, InvalidInput
from core.money import format_yuan
from core.order import Event, Role, Status
from handlers.context import Ctx
from handlers.io import Choice
from handlers.notify import NOTICE_RENDERERS, Button, Notifier
from handlers.orders import balance, customer_order, move, parse_order_id
from handlers.router import ROUTER
from storage.db import DbSession
from storage.models import Order as OrderRow
from storage.models import OrderEvent

PAY = "extra"
REFUSE = "noextra"
DATA = re.compile(r"^(?:extra|noextra):(\d{1,12}):(\d{1,9})$")
QUOTE_LINE = "quote-goods-extra"  # the difference paid, on the order's bill under the goods money


def pay_data(order_id: int, extra: int) -> str:
    return f"{PAY}:{order_id}:{extra}"


async def requests_made(session: DbSession, order_id: int) -> int:
    """How many times the order's runner asked its student for a difference (its history's extra_asked)."""
    return await session.scalar(select(func.count()).select_from(OrderEvent).where(
        OrderEvent.order_id == order_id, OrderEvent.event == Event.extra_asked.value)) or 0


async def message_key(notifier: Notifier, order_id: int, *, earlier: bool = False) -> str:
    """The edit key of the student's message asking for the order's latest difference (`earlier`: the one before
    it), which its end edits. Each request is a message of its own, numbered by the order's history, so one asked
    again after a refusal is not an edit of that old message far up the chat. Ends in the order id (outbox.order_of)."""
    return f"extra-{await requests_made(notifier.uow.session, order_id) - earlier}:{order_id}"


def answers(order_id: int, extra: int) -> list[list[Button]]:
    """Pay and Refuse for a difference asked, wherever the student is shown it."""
    return [[("extra-pay-wallet", pay_data(order_id, extra), {"extra": format_yuan(extra)})],
            [("extra-refuse", f"{REFUSE}:{order_id}:{extra}", {})]]


def buttons(ctx: Ctx, row: OrderRow) -> list[list[Choice]]:
    """answers() for the difference the order's runner asks for now, as this input's replies show them."""
    return [[ctx.button(label, data, **args) for label, data, args in line]
            for line in answers(row.id or 0, row.goods_extra)]


async def asked_order(ctx: Ctx) -> OrderRow | None:
    """The student's order whose difference a pressed button answers, still asked at the amount it names. Someone
    else's order is refused as everywhere; a difference no longer asked is refused, and one asked anew at another
    amount is said with its buttons (None: answered so), so nothing is paid that the runner does not ask for."""
    m = DATA.match(ctx.input.choice or "")
    if m is None:
        raise InvalidInput("error-stale-choice")
    row = await customer_order(ctx, parse_order_id(m[1]))
    if row.status == Status.picked_up.value and row.goods_extra == int(m[2]):
        return row
    if row.status == Status.picked_up.value and row.goods_extra:
        ctx.say("extra-changed", order=row.id, shown=format_yuan(int(m[2])), extra=format_yuan(row.goods_extra),
                spent=format_yuan(row.goods + row.goods_extra), choices=buttons(ctx, row))
        return None
    raise InvalidInput("extra-not-asked", order=row.id)


@ROUTER.action(PAY)
async def pay_from_wallet(ctx: Ctx) -> None:
    """Pay the difference from the wallet, once; a refusal changes nothing."""
    if (row := await asked_order(ctx)) is None:
        return
    order_id, extra = row.id or 0, row.goods_extra
    ways = buttons(ctx, row)  # said with a shortfall: a channel with a payment provider offers its own beside them
    have = await balance(ctx)
    if have >= extra:
        try:
            async with ctx.uow.session.begin_nested():
                await paid(ctx, row, Role.customer)
        except InsufficientFunds:  # spent elsewhere since we looked: nothing of the payment stays
            have = await balance(ctx)
        else:
            ctx.say("extra-paid", order=order_id, extra=format_yuan(extra), balance=format_yuan(await balance(ctx)))
            return
    ctx.say("extra-insufficient", balance=format_yuan(have), extra=format_yuan(extra),
            missing=format_yuan(extra - have), choices=ways)


async def paid(ctx: Ctx, row: OrderRow, role: Role) -> None:
    """The difference paid (by the student from the wallet, or a provider's payment: the system), and shown on the
    order's bill, whose lines then add up to what the student paid."""
    extra = row.goods_extra
    await move(ctx, row, Event.extra_paid, role)
    row.quote_lines = [*row.quote_lines, {"key": QUOTE_LINE, "args": {}, "amount": extra}]


@ROUTER.action(REFUSE)
async def refuse(ctx: Ctx) -> None:
    """The student will not pay it: the runner is told, and says a cost within the goods money or reports it."""
    if (row := await asked_order(ctx)) is None:
        return
    extra = row.goods_extra
    await move(ctx, row, Event.extra_refused, Role.customer)
    ctx.say("extra-refused", order=row.id, extra=format_yuan(extra), goods=format_yuan(row.goods))


async def provider_paid(ctx: Ctx, row: OrderRow, extra: int, amount: int) -> bool:
    """A provider's payment of `amount` for the order's difference `extra`, already in the student's wallet
    (handlers.wallet): it pays the difference if that is still asked, and covered, else it all stays in the wallet
    (False). What it paid beyond (a provider's smallest charge is more than a small difference) stays there too."""
    order_id = row.id
    if row.status != Status.picked_up.value or row.goods_extra != extra or amount < extra:
        return False
    try:
        async with ctx.uow.session.begin_nested():  # the money received stays whatever happens to the order
            await paid(ctx, row, Role.system)
    except DomainError:  # moved on meanwhile (a new figure, a report): it waits in the wallet
        return False
    # In the card's place it was asked from; what it paid beyond the difference is said too.
    ctx.say("extra-provider-paid", order=order_id, extra=format_yuan(extra), amount=format_yuan(amount),
            kept=format_yuan(amount - extra), rest="yes" if amount > extra else "no",
            balance=format_yuan(await balance(ctx)), edit=True)
    return True


async def render_asked(notifier: Notifier, campus: Campus, row: OrderRow, notice) -> None:  # noqa: ANN001
    """The student is asked with Pay and Refuse, in a message of its own that the request's end edits."""
    extra = notice.args["extra"]
    await notifier.user(row.customer_id, "notice-extra-asked", order=str(row.id), **notice.args,
                        edit_key=await message_key(notifier, row.id or 0), buttons=answers(row.id or 0, extra))


async def render_ended(notifier: Notifier, campus: Campus, row: OrderRow, notice) -> None:  # noqa: ANN001
    """However the request ended, its message says so in the asking one's place, without Pay and Refuse."""
    await notifier.user(row.customer_id, "notice-extra-ended", order=str(row.id), **notice.args,
                        edit_key=await message_key(notifier, row.id or 0, earlier=notice.args["how"] == "changed"))


NOTICE_RENDERERS["notice-extra-asked"] = render_asked
NOTICE_RENDERERS["notice-extra-ended"] = render_ended
