"""Shared by every flow that touches an order: finding it, checking it is yours, moving it, describing it."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from core import ledger
from core.campus import Building, Campus
from core.errors import InvalidInput, NotAllowed, UnknownBuilding
from core.geo import find_building
from core.money import format_yuan
from core.order import ACTIVE_FOR_RUNNER, FINAL, Actor, Event, Role, Status, Transition, refunded, transition
from handlers.context import Ctx, parse_id
from handlers.io import Choice
from locales import Catalogue
from storage.crypto import Cipher
from storage.db import DbSession
from storage.models import Order as OrderRow
from storage.models import User
from storage.orders_repo import to_domain
from storage.transitions import apply_transition

# The note of a report a complaint made (OrderEvent.note) names the complaint: a reference, as an event's name is,
# that an operator's history words in their language ("complaint #5", "投诉 #5"), never shows as written.
COMPLAINT_NOTE = re.compile(r"complaint (\d+)")


def complaint_note(complaint_id: int) -> str:
    return f"complaint {complaint_id}"


def parse_order_id(text: str | None) -> int:
    """'12', '#12' → 12; anything else is refused with a clear message, a number no order can have as not found."""
    return parse_id(text, bad="error-order-number", missing="error-order-not-found", name="order")


async def load_order(ctx: Ctx, order_id: int) -> OrderRow:
    row = await ctx.uow.orders.get_row(order_id)
    if row is None or row.campus_id not in ctx.services.campuses:
        raise InvalidInput("error-order-not-found", order=order_id)
    return row


async def customer_order(ctx: Ctx, order_id: int) -> OrderRow:
    """The order, if the person asking placed it; someone else's order is refused."""
    row = await load_order(ctx, order_id)
    if row.customer_id != ctx.user_id:
        raise NotAllowed("error-not-your-order")
    return row


async def runner_order(ctx: Ctx, order_id: int) -> OrderRow:
    """The order, if the person asking is its runner."""
    row = await load_order(ctx, order_id)
    if row.runner_id != ctx.user_id:
        raise NotAllowed("error-not-your-order")
    return row


async def move(ctx: Ctx, row: OrderRow, event: Event, role: Role, *, runner_id: int | None = None,
               note: str = "", goods_spent: int | None = None) -> Transition:
    """One transition through the core state machine, applied with its side effects and notices."""
    campus = ctx.services.campuses[row.campus_id]
    actor = Actor(role, None if role is Role.system else ctx.user_id)
    t = transition(campus, to_domain(row), event, actor, ctx.now, runner_id=runner_id, note=note,
                   goods_spent=goods_spent)
    await apply_transition(ctx.uow, campus, t, ctx.now)
    await ctx.notify.transition(campus, t)
    return t


async def balance(ctx: Ctx) -> int:
    """The person's wallet balance."""
    return await ctx.uow.ledger.balance(ledger.customer(ctx.user_id))


def pay_button(ctx: Ctx, order_id: int) -> Choice:
    """The wallet's Pay button of an order awaiting payment, wherever it is shown: a channel with a payment
    provider offers its own (the Telegram invoice) beside every button with this data."""
    return ctx.button("order-pay-wallet", f"pay:{order_id}")


def kg_text(grams: int) -> str:
    """2500 → '2.5' (display only; weights are kept in grams)."""
    kg, rest = divmod(grams, 1000)
    return f"{kg}.{rest:03d}".rstrip("0").rstrip(".") if rest else str(kg)


def campus_name(campus: Campus, language: str) -> str:
    return campus.name if language == "zh_CN" else campus.name_en


def building_name(campus: Campus, building_id: str | None, language: str) -> str:
    """A building's name; a finished order's building taken out of the campus file since keeps its id (main.py
    refuses to start while an order under way uses one)."""
    if building_id is None:
        return "—"
    try:
        b = campus.building(building_id)
    except KeyError:
        return building_id
    return b.name if language == "zh_CN" else b.name_en


def named_building(ctx: Ctx, text: str) -> Building:
    """The building a typed name means; a name several buildings share is refused with the first few of them."""
    try:
        return find_building(ctx.campus, text)
    except UnknownBuilding as exc:
        if matches := exc.args_.get("suggestions"):
            raise UnknownBuilding("error-building-ambiguous", name=text, places=places_text(ctx, matches)) from None
        raise


def places_text(ctx: Ctx, building_ids: list[str], *, at_most: int = 4) -> str:
    """'Men's Dorm 1, Men's Dorm 2, …' ('男生宿舍1号楼、男生宿舍2号楼等'): the first few of the buildings a name could
    mean."""
    names = [building_name(ctx.campus, b, ctx.t.language) for b in building_ids[:at_most]]
    return ctx.t.join(names, more=len(building_ids) > at_most)


def route_text(t: Catalogue, campus: Campus, row: OrderRow) -> str:
    dropoff = building_name(campus, row.dropoff_building, t.language)
    if row.pickup_building is None:
        return dropoff
    return t("order-route", pickup=building_name(campus, row.pickup_building, t.language), dropoff=dropoff)


def status_words(t: Catalogue, row: OrderRow, status: str | None = None) -> str:
    """The order's status (or `status`, one it had) in words. An order its coupon paid in full that expired or was
    refunded got nothing back, since nothing was paid, and one refunded whose money all went to the goods bought
    neither: its words say so rather than "refunded"."""
    status = status or row.status
    if status in (Status.expired.value, Status.refunded.value) and covered(row):
        return t("status-covered", status=status)
    if status == Status.refunded.value and nothing_back(row) == "goods":
        return t("status-goods")
    return t("status", status=status)


def nothing_back(row: OrderRow) -> str | None:
    """Why a refund of the order gives nothing back, as core.order.refunded says it ("no": a coupon paid it all,
    "goods": all of it went to the goods bought), or None when it gives something back."""
    order = to_domain(row)
    why = refunded("refund", order.refundable, order)["refunded"]
    return None if why == "yes" else why


def covered(row: OrderRow) -> bool:
    """Its coupon pays all of it (core.order.Order.covered_by_coupon)."""
    return to_domain(row).covered_by_coupon


def order_line(t: Catalogue, campus: Campus, row: OrderRow, *, status: str | None = None,
               runner: bool = False) -> str:
    """One line per order, for lists. `status`: words said instead of the order's own status (a runner it is no
    longer with). `runner`: a runner's view, without what the student paid (after a coupon, less than their share:
    their card says what they get)."""
    return t("order-line-runner" if runner else "order-line", order=row.id, task=row.task_type,
             route=route_text(t, campus, row), total=format_yuan(row.total), status=status or status_words(t, row))


def quote_lines_text(t: Catalogue, lines: list[dict]) -> str:
    return "\n".join(t("order-quote-line", label=t(line["key"], **line["args"]), amount=format_yuan(line["amount"]))
                     for line in lines)


def window_text(t: Catalogue, campus: Campus, start: dt.datetime | None, end: dt.datetime | None) -> str:
    """When the errand is to be done: as soon as possible, or between two times of the campus's day."""
    if start is None:
        return t("order-window-now")
    return t("order-window", start=start.astimezone(campus.tz).strftime("%H:%M"),
             end=(end or start).astimezone(campus.tz).strftime("%H:%M"))


def when_lines(t: Catalogue, campus: Campus, row: OrderRow) -> list[str]:
    """The time of a scheduled or urgent errand, for its cards (nothing for one wanted now, as most are)."""
    if row.window_start is None and not row.urgent:
        return []
    return [t("order-card-when", window=window_text(t, campus, row.window_start, row.window_end),
              urgent="yes" if row.urgent else "no")]


def customer_card(t: Catalogue, campus: Campus, row: OrderRow, cipher: Cipher, *, reader: str = "customer") -> str:
    """What the student sees about their own order (reader "operator": an operator sees the same card)."""
    parts = [order_line(t, campus, row), *when_lines(t, campus, row)]
    if description := cipher.decrypt(row.description_enc):
        parts.append(t("order-card-description", task=row.task_type, text=description))
    if row.goods_spent is not None or row.goods_extra:
        parts.append(goods_line(t, row, reader))
    parts.append(quote_lines_text(t, row.quote_lines))
    parts.append(t("order-card-total", total=format_yuan(row.total)))
    return "\n".join(parts)


def hall_card(t: Catalogue, campus: Campus, row: OrderRow) -> str:
    """What the task hall sees: buildings, fee, size, time — never names, phones or rooms."""
    window = window_text(t, campus, row.window_start, row.window_end)
    card = t("hall-card", order=row.id, task=row.task_type, route=route_text(t, campus, row),
             share=format_yuan(row.runner_share), size=row.size, weight=kg_text(row.weight_g),
             window=window, urgent="yes" if row.urgent else "no")
    # The runner lays the goods money out at the shop: who grabs it must know how much to have with them. And how
    # long a queue will take them.
    goods = [t("hall-card-goods", goods=format_yuan(row.goods))] if row.goods else []
    # Who may take it, when not everyone may (the student's choice, or the door of a single-gender dorm): said in
    # the hall, so that no runner presses Grab only to be refused.
    dropoff = campus.building(row.dropoff_building)
    only = row.gender_preference or (dropoff.gender.value if row.door_delivery and dropoff.gender else None)
    gender = [t("order-summary-gender", gender=only)] if only else []
    return "\n".join([card, *queue_lines(t, row), *goods, *gender])


def queue_lines(t: Catalogue, row: OrderRow) -> list[str]:
    """How long a queue errand's queueing is expected to take: what a runner weighs before taking it."""
    return [t("order-card-queue", minutes=row.queue_minutes)] if row.queue_minutes else []


def details_lines(t: Catalogue, row: OrderRow, cipher: Cipher, *, written: bool = True) -> list[str]:
    """What the errand is about: the item, the expected queueing, the student's notes and their preference tags.
    written=False: without what the student wrote (the item, a parcel's pickup code; notes, a name or a phone), for
    a runner whose part is over, who no longer needs it."""
    parts = []
    if written and (description := cipher.decrypt(row.description_enc)):
        parts.append(t("order-card-description", task=row.task_type, text=description))
    parts += queue_lines(t, row)
    if written and (notes := cipher.decrypt(row.notes_enc)):
        parts.append(t("order-card-notes", text=notes))
    if row.tags:
        parts.append(t("order-card-tags", tags=t.join(t("tag", tag=tag) for tag in row.tags)))
    return parts


def rating_tags_text(t: Catalogue, tags: list[str]) -> str:
    """A rating's tags as the rating buttons name them, in t's language ("Late, Rude")."""
    return t("track-rate-tag-sep").join(t("track-rate-tag", tag=tag, selected="no") for tag in tags)


def goods_line(t: Catalogue, row: OrderRow, reader: str) -> str:
    """A buy task's goods money: how much there is to spend, what the runner asks past it, then what they spent.
    reader: whose card it is (customer, runner, operator), whom the request for the difference is said of."""
    if row.goods_extra:
        return t("order-card-goods-extra", goods=format_yuan(row.goods), extra=format_yuan(row.goods_extra),
                 spent=format_yuan(row.goods + row.goods_extra), reader=reader)
    if row.goods_spent is None:
        return t("order-card-goods", goods=format_yuan(row.goods))
    return t("order-card-goods-spent", goods=format_yuan(row.goods), spent=format_yuan(row.goods_spent))


def runner_may_see_contact(row: OrderRow, viewer_id: int) -> bool:
    """Phone and room reach only the order's runner, and only while the order is active."""
    return row.runner_id == viewer_id and Status(row.status) in ACTIVE_FOR_RUNNER


async def runner_card(ctx: Ctx, t: Catalogue, campus: Campus, row: OrderRow, viewer_id: int, *,
                      contact: bool = True) -> str:
    """The winner's view: full details, what the order pays them; contact and what the student wrote only while they
    hold the active order.
    An order given back or given to another runner says it is no longer theirs, not the status it has for others.
    contact=False: where the contact would be, a pointer to the details message, the one message that carries it (a
    card the runner asks for again, /track, shows what the student wrote, wanted at the pickup point, and is edited
    without it when their part ends: handlers.hall._details_ended)."""
    theirs, active = row.runner_id == viewer_id, runner_may_see_contact(row, viewer_id)
    parts = [order_line(t, campus, row, status=None if theirs else t("order-status-not-yours"), runner=True),
             *when_lines(t, campus, row), *(deadline_lines(t, campus, row, ctx.now) if active else []),
             *details_lines(t, row, ctx.services.cipher, written=active),
             *([goods_line(t, row, "runner")] if row.goods else []),
             await runner_pay_line(ctx, t, row, viewer_id)]
    if active and not contact:
        if row.room_enc or row.phone_enc:
            parts.append(t("order-card-contact-in-details", order=str(row.id)))
    elif active:
        room = ctx.services.cipher.decrypt(row.room_enc)
        phone = ctx.services.cipher.decrypt(row.phone_enc)
        if room:
            parts.append(t("order-card-room", room=room))
        if phone:
            parts.append(t("order-card-phone", phone=phone))
    return "\n".join(parts)


def deadline_lines(t: Catalogue, campus: Campus, row: OrderRow, now: dt.datetime) -> list[str]:
    """By when the runner must pick it up, or deliver it once picked up: missing the first costs them the order and
    credit, and a scheduled errand's window alone does not say it."""
    if row.status == Status.accepted.value and row.pickup_by is not None:
        return [t("order-card-pickup-by", time=campus_time(campus, row.pickup_by, now))]
    if row.status == Status.picked_up.value and row.deliver_by is not None:
        return [t("order-card-deliver-by", time=campus_time(campus, row.deliver_by, now))]
    return []


def campus_time(campus: Campus, at: dt.datetime, now: dt.datetime) -> str:
    """'18:30' today, '11-24 08:30' on another day, in campus time."""
    local = at.astimezone(campus.tz)
    return local.strftime("%H:%M" if local.date() == now.astimezone(campus.tz).date() else "%m-%d %H:%M")


async def runner_pay_line(ctx: Ctx, t: Catalogue, row: OrderRow, viewer_id: int) -> str:
    """The share while the runner carries the order and once it is completed; after any other end, what the ledger
    paid them: the fee of a student's late cancellation, or nothing (cancelled by the service, refunded, given back
    or given to another runner)."""
    status = Status(row.status)
    if row.runner_id != viewer_id:
        return t("order-card-unpaid")
    if status is Status.completed or status not in FINAL:
        return t("order-card-share", share=format_yuan(row.runner_share))
    fee = await ctx.uow.ledger.order_paid_to(row.id, ledger.runner(viewer_id))  # type: ignore[arg-type]
    return t("order-card-fee", fee=format_yuan(fee)) if fee else t("order-card-unpaid")


async def blocked_us(session: DbSession, user_id: int) -> bool:
    """A private message to them was refused (they blocked the bot, handlers.unreachable): what the bot passes on to
    them would not arrive, until they write to it again."""
    return await session.scalar(select(User.started_bot).where(User.id == user_id)) is False
