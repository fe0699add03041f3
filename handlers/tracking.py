"""After paying: list and track orders, cancel by the rules, confirm delivery, rate, complain, and the relay chat
between a student and their runner (neither sees the other's phone or name).

Order buttons carry "o:<id>:<verb>[:<arg>]". ORDER_VERBS maps a verb to its handler; runner.py adds its own verbs
(ORDER_VERBS["pickup"] = ...). Every verb loads the order again, checks it belongs to whoever pressed, and lets the
core state machine decide, so a forged or old button changes nothing.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from sqlalchemy import and_, bindparam, case, or_, select, update
from sqlalchemy.exc import IntegrityError

from core.campus import Campus
from core.credit import rating_events, told_score
from core.errors import IllegalTransition, InvalidInput, NotAllowed
from core.money import format_yuan
from core.numbers import NUMBER_SIGNS, numbered, record_id, whole_number
from core.order import (
    ACTIVE_FOR_RUNNER,
    CARRYING,
    FINAL,
    Actor,
    Event,
    Notice,
    Role,
    Status,
    allowed_events,
    coupon_spent,
    fee_from_customer,
    refund_on_cancel,
)
from handlers import goods_extra
from handlers.context import Ctx, Services, barred, caption_args, free_text
from handlers.io import Choice, Kind
from handlers.notify import CARDS_REFRESHED, CREDIT_CHANGED, NOTICE_RENDERERS, Button, Notifier
from handlers.orders import (
    blocked_us,
    complaint_note,
    covered,
    customer_card,
    customer_order,
    load_order,
    move,
    nothing_back,
    order_line,
    parse_order_id,
    pay_button,
    rating_tags_text,
    runner_card,
    runner_may_see_contact,
    status_words,
)
from handlers.router import ROUTER, Handler
from handlers.start import RESUME, resume_form, step_under_way
from handlers.wallet import coupon_refusal, full_price_button
from locales import Catalogue, catalogue
from storage import cards
from storage.models import Complaint, OrderEvent, User
from storage.models import Order as OrderRow
from storage.orders_repo import to_domain
from storage.uow import UnitOfWork

ORDER_VERBS: dict[str, Handler] = {}
LIST_LIMIT = 10  # the most recent orders /orders shows
# Built once (building it per call cost about as much as running it): /orders and /track without a number.
# Those still under way first, however old (a scheduled errand paid days ahead), then the latest that ended.
RECENT_ORDERS = select(OrderRow).where(OrderRow.customer_id == bindparam("customer_id")).order_by(
    case((OrderRow.status.in_([s.value for s in FINAL]), 1), else_=0), OrderRow.id.desc()).limit(LIST_LIMIT)
# The orders a runner carries now (whose details message may be far up the chat): /orders lists them too.
CARRIED_ORDERS = select(OrderRow).where(
    OrderRow.runner_id == bindparam("runner_id"),
    OrderRow.status.in_([s.value for s in ACTIVE_FOR_RUNNER])).order_by(OrderRow.id).limit(LIST_LIMIT)
RATING_TAGS = ("on_time", "polite", "careful", "late", "rude", "damaged")
# A cancellation here is too late for the rules: the item is already on its way.
AFTER_PICKUP = frozenset({Status.picked_up, Status.delivered})
# Nothing to complain about before a runner was involved.
NOT_COMPLAINABLE = frozenset({Status.awaiting_payment, Status.closed, Status.open})
# Statuses in which a complaint also puts the order on hold for an operator.
REPORTABLE = frozenset({Status.accepted, Status.picked_up, Status.delivered})
# Statuses in which an order has no runner to write to yet, but may get one.
BEFORE_RUNNER = frozenset({Status.awaiting_payment, Status.open})
CHAT_STATE = "track.chat"  # the relay chat: what the person sends goes to the other side of data["chat_order"]
# Conversation data: the order form's step a rating or a complaint's question interrupted, whose answers stay in the
# data meanwhile: the form carries on there when they end (back_to_form).
FORM_ASIDE = "_form"
SIDE_DATA = ("rate_order", "rate_stars", "rate_tags", "complain_order")  # what a rating or a complaint's question keeps
SIDE_STEPS = ("track.rate", "track.complain")  # the steps of a rating and of a complaint's question


def verb(name: str):
    def register(fn: Handler) -> Handler:
        assert name not in ORDER_VERBS, f"order verb {name} registered twice"
        ORDER_VERBS[name] = fn
        return fn
    return register


def order_button(ctx: Ctx) -> tuple[int, str]:
    """(order id, extra argument) of a pressed "o:<id>:<verb>[:<arg>]" button; the router has checked the shape."""
    parts = (ctx.input.choice or "").split(":", 3)
    return parse_order_id(parts[1]), parts[3] if len(parts) > 3 else ""


@ROUTER.action("o")
async def order_action(ctx: Ctx) -> None:
    parts = (ctx.input.choice or "").split(":", 3)
    handler = ORDER_VERBS.get(parts[2]) if len(parts) >= 3 and whole_number(parts[1]) is not None else None
    if handler is None:
        ctx.say("error-stale-choice")
        return
    await handler(ctx)


def order_arg(ctx: Ctx, command: str) -> int:
    if not ctx.input.args:
        raise InvalidInput("track-need-number", command=command)
    return parse_order_id(ctx.input.args[0])


def rest_text(ctx: Ctx) -> str:
    """What follows the order number of '/msg 12 some text', as typed."""
    parts = ctx.input.text.strip().split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


def campus_of(ctx: Ctx, row: OrderRow) -> Campus:
    return ctx.services.campuses[row.campus_id]


def status_text(ctx: CardViewer, row: OrderRow) -> str:
    return status_words(ctx.t, row)


def not_now(ctx: Ctx, row: OrderRow) -> IllegalTransition:
    return IllegalTransition("track-not-now", order=str(row.id), status=status_text(ctx, row))


def when(campus: Campus, moment: dt.datetime) -> str:
    return moment.astimezone(campus.tz).strftime("%m-%d %H:%M")


def in_order_form(ctx: Ctx) -> bool:
    """The order form is under way, the language picker interrupting it or not."""
    return step_under_way(ctx).startswith("order.")


def form_aside(ctx: Ctx) -> dict[str, str | None]:
    """Data for the step a rating or a complaint's question starts with: an order form in progress waits (its
    answers stay in the data) and carries on when they end (back_to_form), rather than be lost without a word. A
    language picker interrupting it is left."""
    return {FORM_ASIDE: step_under_way(ctx), RESUME: None} if in_order_form(ctx) else {}


def form_waits(ctx: Ctx) -> bool:
    """Whether an order form's answers are in the conversation: the form is under way, or set aside by the rating or
    complaint's question under way (the language picker interrupting either or not)."""
    return in_order_form(ctx) or (step_under_way(ctx).startswith(SIDE_STEPS) and bool(ctx.data.get(FORM_ASIDE)))


async def back_to_form(ctx: Ctx) -> None:
    """A rating or a complaint's question ends: the order form it interrupted carries on, asking its question again;
    with none, the conversation ends."""
    form = ctx.data.get(FORM_ASIDE) or ""
    ctx.conv.data = {key: value for key, value in ctx.data.items() if key not in SIDE_DATA}
    if not await resume_form(ctx, form, **{FORM_ASIDE: None}):
        ctx.reset()


# --- list and track ----------------------------------------------------------------------------------------------
async def list_orders(ctx: Ctx) -> None:
    """The orders this person carries as a runner now, then their own recent orders, newest first, each with a
    button to open it. A suspended runner sees only the orders they may still finish."""
    carried = await _listed(ctx, CARRIED_ORDERS, runner_id=ctx.user_id)
    suspended = barred(ctx.campus, ctx.user)
    if suspended:  # only what they may still finish (handlers.app.trip_left_to_suspended): no button refused
        carried = [r for r in carried if Status(r.status) in AFTER_PICKUP]
    if carried:
        _say_list(ctx, "track-carried-list", "track-carried-title", carried, runner=True)
    rows = [] if suspended else await _listed(ctx, RECENT_ORDERS, customer_id=ctx.user_id)
    if rows:
        _say_list(ctx, "track-list", "track-list-title", rows)
    elif not carried:
        ctx.say("track-no-orders")


async def _listed(ctx: Ctx, query, **params: int) -> list[OrderRow]:  # noqa: ANN001 - a select
    rows = await ctx.uow.session.scalars(query, params)
    return [r for r in rows if r.campus_id in ctx.services.campuses]


def _say_list(ctx: Ctx, key: str, title: str, rows: list[OrderRow], *, runner: bool = False) -> None:
    """runner: the orders they carry, where what the student paid is not theirs to see (order_line)."""
    lines = [ctx.t(title)] + [order_line(ctx.t, campus_of(ctx, r), r, runner=runner) for r in rows]
    ctx.say_text(key, "\n".join(lines),
                 choices=[[ctx.button("track-view-button", f"o:{r.id}:view", order=str(r.id))] for r in rows])


@ROUTER.command("orders")
async def orders_command(ctx: Ctx) -> None:
    await list_orders(ctx)


def history_text(ctx: CardViewer, campus: Campus, row: OrderRow, history: list[OrderEvent]) -> str:
    t = ctx.t
    lines = [t("track-history-title"), t("track-history-line", time=when(campus, row.created_at), event="created")]
    # Paid, expired, refunded: by the coupon, nothing back; or refunded with nothing back, all spent on the goods.
    paid_by_coupon = "yes" if covered(row) else "goods" if nothing_back(row) == "goods" else "no"
    viewer = "customer" if ctx.user_id == row.customer_id else "runner"  # whose side the lines are told from
    for ev in history:
        lines.append(t("track-history-line", time=when(campus, ev.at), event=ev.event, covered=paid_by_coupon,
                       viewer=viewer))
    return "\n".join(lines)


async def show_card(ctx: Ctx, row: OrderRow, *, edit: bool = False) -> None:
    """The order with its history and the buttons for what the viewer may do now."""
    campus = campus_of(ctx, row)
    status = Status(row.status)
    rows: list[list[Choice]] = []
    card: str | None = None  # the item of a card that must be edited later (storage.cards)
    if row.customer_id == ctx.user_id:
        parts = [customer_card(ctx.t, campus, row, ctx.services.cipher)]
        if status is Status.delivered and row.auto_confirm_at is not None:
            parts.append(ctx.t("track-auto-confirm-at", time=when(campus, row.auto_confirm_at)))
        if row.rating is not None:
            parts.append(ctx.t("track-card-rating", stars=row.rating))
        events = allowed_events(to_domain(row), Actor(Role.customer, ctx.user_id))
        if Event.confirm in events:
            rows.append([ctx.button("track-confirm-button", f"o:{row.id}:confirm")])
        if status is Status.completed and row.rating is None and row.runner_id is not None:
            rows.append([ctx.button("track-rate-button", f"o:{row.id}:rate")])
        if Event.pay in events and (gone := await coupon_refusal(ctx.uow.session, row, ctx.now)) is not None:
            # No payment can pay it at its price: Pay (and a channel's invoice beside it) could only be refused.
            parts.append(ctx.t("track-coupon-gone", reason=ctx.t(gone.key, **gone.args_)))
            rows.append([full_price_button(ctx, row.id or 0, to_domain(row).full_price)])
        elif Event.pay in events and covered(row):
            # Waiting at 0.00 (placed before such orders were paid at once): nothing to pay, so no "Pay with wallet".
            # Its press is Pay's, which places an order its coupon covers without touching the wallet; no channel
            # offers an invoice for 0.00.
            parts.append(ctx.t("track-covered-unpaid", code=row.coupon_code))
            rows.append([ctx.button("track-place-covered-button", f"pay:{row.id}")])
        elif Event.pay in events:  # the same Pay as the order's first card (a channel adds its invoice beside it)
            rows.append([pay_button(ctx, row.id or 0)])
        if Event.extra_paid in events:  # the difference the runner asks for the goods (a channel adds its invoice)
            rows += goods_extra.buttons(ctx, row)
        if Event.cancel in events and status is Status.awaiting_payment:
            rows.append([ctx.button("track-cancel-unpaid-button", f"o:{row.id}:cancel")])
        elif Event.cancel in events:
            refund = refund_on_cancel(campus, to_domain(row), ctx.now)
            rows.append([ctx.button("track-cancel-button", f"o:{row.id}:cancel", refund=format_yuan(refund),
                                    refunded="yes" if refund else "no")])
        tail, history = await card_tail(ctx, campus, row)
        text = "\n\n".join([*parts, history])
    else:
        text, tail = await runner_track_card(ctx, campus, row)
        if runner_may_see_contact(row, ctx.user_id):
            # It shows what the student wrote (a parcel's pickup code, wanted at the pickup point): the message is
            # recorded, so that the end of the runner's part edits it without it (handlers.hall._details_ended), and
            # the order's moves while it is theirs bring it up to date (_cards_refreshed).
            card = cards.runner_item(row.id or 0, ctx.user_id)
            if not edit:  # a new message: the older ones past the newest few retire (storage.cards.RUNNER_LIVE)
                await retire_older_cards(ctx, row, card)
    if row.customer_id == ctx.user_id and status in CARRYING and row.runner_id is not None:
        rows.append([ctx.button("track-where-button", f"o:{row.id}:where")])
    rows += [[ctx.button(label, data, **args) for label, data, args in line] for line in tail]
    ctx.say_text("track-card", text, choices=rows, edit=edit, card=card)


class CardViewer(Protocol):
    """Whom an order card is drawn for, and with what: the person's own input (Ctx), or a notice that brings a
    runner's cards up to date (RunnerViewer)."""

    @property
    def t(self) -> Catalogue: ...
    @property
    def user_id(self) -> int: ...
    @property
    def user(self) -> User: ...
    @property
    def uow(self) -> UnitOfWork: ...
    @property
    def services(self) -> Services: ...
    @property
    def now(self) -> dt.datetime: ...


@dataclass(frozen=True)
class RunnerViewer:
    """A runner whose cards a notice draws, in their language."""

    t: Catalogue
    user_id: int
    user: User
    uow: UnitOfWork
    services: Services
    now: dt.datetime


async def runner_track_card(viewer: CardViewer, campus: Campus, row: OrderRow) -> tuple[str, list[list[Button]]]:
    """The order's card as a runner who has (or had) it sees it, and its buttons: /track, and the edits that keep
    the cards they asked for up to date (_cards_refreshed), which must draw it alike."""
    status = Status(row.status)
    parts = [await runner_card(viewer, viewer.t, campus, row, viewer.user_id, contact=False)]  # type: ignore[arg-type]
    rows: list[list[Button]] = []
    # The trip's buttons, as under the details message, which may be far up the chat by now.
    if row.runner_id == viewer.user_id and status is Status.accepted:  # "card": Picked up refreshes this card
        rows.append([("runner-btn-picked", f"o:{row.id}:pickup:{CARD}", {}),
                     ("runner-btn-release", f"o:{row.id}:release", {})])
    elif row.runner_id == viewer.user_id and status is Status.picked_up:
        rows.append([("runner-btn-delivered", f"o:{row.id}:deliver", {})])
    tail, history = await card_tail(viewer, campus, row)
    return "\n\n".join([*parts, history]), rows + tail


async def card_tail(viewer: CardViewer, campus: Campus, row: OrderRow) -> tuple[list[list[Button]], str]:
    """What every order card ends with, the student's and the runner's: the chat and report buttons where they
    apply, and the history."""
    rows: list[list[Button]] = []
    if Status(row.status) in ACTIVE_FOR_RUNNER and row.runner_id is not None:
        other = "runner" if row.customer_id == viewer.user_id else "customer"
        rows.append([("track-chat-button", f"o:{row.id}:chat", {"other": other})])
    history = await viewer.uow.orders.history(row.id)  # type: ignore[arg-type]
    # A suspended runner sees the orders they carry (handlers.app.trip_left_to_suspended), but may not report one.
    if not barred(campus, viewer.user) and await complaint_refusal(viewer, row, history) is None:
        rows.append([("track-report-button", f"o:{row.id}:report", {})])
    return rows, history_text(viewer, campus, row, history)


async def retire_older_cards(ctx: Ctx, row: OrderRow, item: str) -> None:
    """A new card of the order is about to be shown to its runner: those shown before in their part, but the newest
    RUNNER_LIVE - 1, are edited to say a newer one is below, with nothing of the order (no pickup code), and are
    neither brought up to date nor edited again when the part ends (storage.cards.retire). However often /track is
    pressed, few cards are left to edit at each move of the order."""
    live = await cards.everywhere(ctx.uow.session, item, row.accepted_at)
    old = live[:max(0, len(live) - (cards.RUNNER_LIVE - 1))]
    text = ctx.t("track-card-retired", order=str(row.id))
    for copy in old:
        await ctx.notify.edit_card(copy, "track-card-retired", text=text, language=ctx.t.language)
    await cards.retire(ctx.uow.session, old, ctx.now)


async def _cards_refreshed(notifier: Notifier, campus: Campus, row: OrderRow, notice: Notice) -> None:
    """The order moved on and stays its runner's (Notifier.transition): the cards they asked for in this part of it
    are edited to the order as it is now, its status, deadline, goods and buttons (no Picked up or Release once it
    is picked up), as /track would draw it."""
    if notice.user_id is None or row.accepted_at is None:
        return
    item = cards.runner_item(row.id or 0, notice.user_id)
    shown = await cards.everywhere(notifier.uow.session, item, row.accepted_at)
    user = await notifier.uow.session.get(User, notice.user_id)
    if not shown or user is None:
        return
    viewer = RunnerViewer(catalogue(user.language), notice.user_id, user, notifier.uow, notifier.services, notifier.now)
    text, buttons = await runner_track_card(viewer, campus, row)
    for copy in shown:
        if copy.edit_key not in notifier.edited_here:
            await notifier.edit_card(copy, "track-card", text=text, language=user.language, buttons=buttons)


async def viewable_order(ctx: Ctx, order_id: int) -> OrderRow:
    """The student's own order, or the order its runner carries; anyone else is refused."""
    row = await load_order(ctx, order_id)
    if ctx.user_id not in (row.customer_id, row.runner_id):
        raise NotAllowed("error-not-your-order")
    return row


@ROUTER.command("track")
async def track_command(ctx: Ctx) -> None:
    if not ctx.input.args:
        await list_orders(ctx)
        return
    await show_card(ctx, await viewable_order(ctx, parse_order_id(ctx.input.args[0])))


KEPT = "kept"  # "o:<id>:view:kept": the cancel question's No, whose card takes the question's place
CARD = "card"  # "o:<id>:pickup:card": pressed under a runner's /track card, which is brought up to date in place


@verb("view")
async def view_verb(ctx: Ctx) -> None:
    order_id, arg = order_button(ctx)
    # From the cancel question, in its place so its Yes goes; from a list, below it so the list stays.
    await show_card(ctx, await viewable_order(ctx, order_id), edit=arg == KEPT)


# --- cancel ------------------------------------------------------------------------------------------------------
class CancelTerms(NamedTuple):
    """What cancelling now does, as its question says it (fen): the refund, the part of the runner's fee the
    student's payment bears, and the part their coupon pays (which then counts as used). The question's Yes
    carries them all, so that a change in any of them is asked again rather than applied unseen."""
    refund: int
    fee: int
    coupon: int

    def data(self) -> str:
        return "-".join(str(n) for n in self)

    @classmethod
    def read(cls, text: str) -> CancelTerms | None:
        """The terms a Yes carries; None for what no question of this release wrote (asked again)."""
        parts = [whole_number(p) for p in text.split("-")]
        if len(parts) != len(cls._fields) or None in parts:
            return None
        return cls(*parts)  # type: ignore[arg-type]


async def cancellable(ctx: Ctx, order_id: int) -> tuple[OrderRow, CancelTerms, dict[str, Any]]:
    """The order with the terms a cancellation now would have (and how its coupon pays the runner's fee,
    core.order.coupon_spent), or a clear refusal."""
    row = await customer_order(ctx, order_id)
    order = to_domain(row)
    if order.status in AFTER_PICKUP:
        raise IllegalTransition("track-cancel-after-pickup", order=str(order_id))
    if order.status is Status.exception:  # reported, maybe before any pickup: an operator decides its end now
        raise IllegalTransition("track-cancel-under-review", order=str(order_id))
    if Event.cancel not in allowed_events(order, Actor(Role.customer, ctx.user_id)):
        raise not_now(ctx, row)
    campus = campus_of(ctx, row)
    spent = coupon_spent(campus, order, ctx.now)
    terms = CancelTerms(refund_on_cancel(campus, order, ctx.now), fee_from_customer(campus, order, ctx.now),
                        spent["coupon_fee"])
    return row, terms, spent


async def ask_cancel(ctx: Ctx, order_id: int, *, changed: bool = False, shown: CancelTerms | None = None) -> None:
    """Ask to confirm the cancellation's terms. `changed`: since they were shown (`shown`: the terms then, if
    known), which is said first, and why where it is the free time that ran out (a runner's fee appeared)."""
    row, terms, spent = await cancellable(ctx, order_id)
    buttons = [[ctx.button("track-cancel-yes", f"o:{order_id}:cancel_yes:{terms.data()}"),
                ctx.button("track-cancel-no", f"o:{order_id}:view:{KEPT}")]]
    if changed:
        grace = shown is not None and not shown.fee + shown.coupon and terms.fee + terms.coupon
        ctx.say("track-cancel-terms-changed", why="grace" if grace else "other")
    if row.status == Status.awaiting_payment.value:
        ctx.say("track-cancel-confirm-unpaid", order=str(order_id), choices=buttons)
    else:
        ctx.say("track-cancel-confirm", order=str(order_id), refund=format_yuan(terms.refund),
                fee=format_yuan(terms.fee), charged=cancel_terms(terms), coupon=spent["coupon"],
                coupon_fee=format_yuan(terms.coupon), code=spent["code"], choices=buttons)


def cancel_terms(terms: CancelTerms) -> str:
    """How the confirmation words a paid order's cancellation: the runner's fee out of it (all of it, or some), or
    out of the coupon alone (with what the student paid, the goods money, going back or nothing), or a full refund
    — of nothing, for an order a coupon paid in full ("free"), which no text calls 0.00 yuan."""
    if terms.fee:
        return "yes" if terms.refund else "all"
    if terms.coupon:
        return "coupon-back" if terms.refund else "coupon"
    return "no" if terms.refund else "free"


@ROUTER.command("cancel")
async def cancel_command(ctx: Ctx) -> None:
    """/cancel N: cancel order N. A bare /cancel leaves the form or question in progress, where one offers a way
    out (ROUTER.ended_by_cancel); with none in progress it asks which order."""
    if not ctx.input.args and (leave := ROUTER.bare_cancel(ctx.state)) is not None:
        await leave(ctx)
        return
    await ask_cancel(ctx, order_arg(ctx, "cancel"))


@verb("cancel")
async def cancel_verb(ctx: Ctx) -> None:
    order_id, _ = order_button(ctx)
    await ask_cancel(ctx, order_id)


@verb("cancel_yes")
async def cancel_yes_verb(ctx: Ctx) -> None:
    order_id, data = order_button(ctx)
    row, terms, _ = await cancellable(ctx, order_id)
    shown = CancelTerms.read(data)
    if shown != terms:
        # The grace ran out (or the order moved) since the student saw the terms: never apply a fee, or spend a
        # coupon, they did not see. Terms no question of this release wrote (a Yes sent before it) are asked again
        # without saying they changed: they may not have.
        await ask_cancel(ctx, order_id, changed=shown is not None, shown=shown)
        return
    await move(ctx, row, Event.cancel, Role.customer)
    await show_card(ctx, await customer_order(ctx, order_id), edit=True)


# --- confirm and rate --------------------------------------------------------------------------------------------
async def confirm(ctx: Ctx, order_id: int) -> None:
    row = await customer_order(ctx, order_id)
    if row.status == Status.completed.value:
        # A second press (or the notice's button after an auto-confirm): nothing to do, say so.
        buttons = [[ctx.button("track-rate-button", f"o:{order_id}:rate")]] if row.rating is None else []
        ctx.say("track-already-confirmed", order=str(order_id), choices=buttons)
        return
    if Event.confirm not in allowed_events(to_domain(row), Actor(Role.customer, ctx.user_id)):
        raise not_now(ctx, row)
    await move(ctx, row, Event.confirm, Role.customer)
    await start_rating(ctx, order_id)


@ROUTER.command("confirm")
async def confirm_command(ctx: Ctx) -> None:
    await confirm(ctx, order_arg(ctx, "confirm"))


@verb("confirm")
async def confirm_verb(ctx: Ctx) -> None:
    order_id, _ = order_button(ctx)
    await confirm(ctx, order_id)


async def rateable(ctx: Ctx, order_id: int) -> OrderRow | None:
    """The completed, unrated order; None (after saying so) if it was rated already."""
    row = await customer_order(ctx, order_id)
    if row.status != Status.completed.value or row.runner_id is None:
        raise not_now(ctx, row)
    if row.rating is not None:
        ctx.say("track-already-rated", order=str(order_id))
        if ctx.state.startswith("track.rate") and ctx.data.get("rate_order") == order_id:
            await back_to_form(ctx)  # its rating under way ends; any other conversation (a form half filled) goes on
        return None
    return row


async def start_rating(ctx: Ctx, order_id: int) -> None:
    if await rateable(ctx, order_id) is None:
        return
    ctx.go("track.rate", rate_order=order_id, rate_stars=0, rate_tags=[], **form_aside(ctx))
    ask_stars(ctx)


def ask_stars(ctx: Ctx) -> None:
    """The stars' (and then the tags') buttons go once the rating is left (Ctx.ask)."""
    ctx.ask("track-rate-ask", order=str(ctx.data["rate_order"]),
            choices=[[ctx.step("track-stars", f"star:{n}", stars=n) for n in range(1, 6)]])


@ROUTER.command("rate")
async def rate_command(ctx: Ctx) -> None:
    await start_rating(ctx, order_arg(ctx, "rate"))


@verb("rate")
async def rate_verb(ctx: Ctx) -> None:
    order_id, _ = order_button(ctx)
    await start_rating(ctx, order_id)


def ask_tags(ctx: Ctx, *, edit: bool) -> None:
    chosen = set(ctx.data.get("rate_tags", []))
    tags = [ctx.step("track-rate-tag", f"tag:{tag}", tag=tag, selected="yes" if tag in chosen else "no")
            for tag in RATING_TAGS]
    ctx.ask("track-rate-tags-ask", stars=str(ctx.data["rate_stars"]), edit=edit,
            choices=[tags[:3], tags[3:], [ctx.step("track-rate-done", "done")]])


@ROUTER.state("track.rate")
async def rate_step(ctx: Ctx) -> None:
    """Stars first, then tags toggled on and off until Done."""
    if ctx.input.kind is not Kind.choice:
        ctx.say("track-rate-use-buttons")
        return
    value = ctx.step_value(ctx.input.choice or "")
    kind, _, arg = value.partition(":")
    if kind == "star" and arg in {"1", "2", "3", "4", "5"}:
        ctx.go("track.rate", rate_stars=int(arg), rate_tags=[])
        ask_tags(ctx, edit=True)
    elif kind == "tag" and arg in RATING_TAGS and ctx.data.get("rate_stars"):
        chosen = set(ctx.data.get("rate_tags", [])) ^ {arg}  # a second tap removes it
        ctx.go("track.rate", rate_tags=[t for t in RATING_TAGS if t in chosen])  # a stable order for storage
        ask_tags(ctx, edit=True)
    elif kind == "done" and ctx.data.get("rate_stars"):
        say_chosen(ctx)
        ctx.go("track.rate.comment")
        ask_comment(ctx)
    else:
        ctx.say("error-stale-choice")


def say_chosen(ctx: Ctx) -> None:
    """Done: in the tags message's place, the stars and tags chosen, with no star or tag button left to press."""
    tags = ctx.data.get("rate_tags", [])
    ctx.say("track-rate-chosen", edit=True, order=str(ctx.data["rate_order"]), stars=ctx.data["rate_stars"],
            tags=rating_tags_text(ctx.t, tags), tagged="yes" if tags else "no")


def ask_comment(ctx: Ctx) -> None:
    ctx.ask("track-rate-comment-ask", choices=[[ctx.step("track-rate-skip", "skip")]])


@ROUTER.asks_again("track.rate")  # and track.rate.comment
async def ask_rating_again(ctx: Ctx) -> None:
    """The rating's current question (after /language): the stars, the tags chosen so far, or the comment."""
    if ctx.state == "track.rate.comment":
        ask_comment(ctx)
    elif ctx.data.get("rate_stars"):
        ask_tags(ctx, edit=False)
    else:
        ask_stars(ctx)


@ROUTER.state("track.rate.comment")
async def rate_comment_step(ctx: Ctx) -> None:
    if ctx.input.kind is Kind.text:
        comment = free_text(ctx.input.text)
    elif ctx.input.kind is Kind.choice and ctx.step_value(ctx.input.choice or "") == "skip":
        comment = ""
    else:
        ask_comment(ctx)
        return
    await save_rating(ctx, int(ctx.data["rate_order"]), int(ctx.data["rate_stars"]),
                      list(ctx.data.get("rate_tags", [])), comment)


async def save_rating(ctx: Ctx, order_id: int, stars: int, tags: list[str], comment: str) -> None:
    row = await rateable(ctx, order_id)
    if row is None:
        return
    assert row.runner_id is not None
    # Conditional on "not rated yet", so two racing ratings cannot both count.
    result = await ctx.uow.session.execute(
        update(OrderRow)
        .where(OrderRow.id == order_id, OrderRow.customer_id == ctx.user_id, OrderRow.rating.is_(None),
               OrderRow.status == Status.completed.value)
        .values(rating=stars, rating_tags=tags, rating_comment_enc=ctx.services.cipher.encrypt(comment or None))
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        ctx.say("track-already-rated", order=str(order_id))
        await back_to_form(ctx)
        return
    campus = campus_of(ctx, row)
    await ctx.uow.runners.add_rating(row.runner_id, stars)
    change, credit = 0, None
    for event in rating_events(stars):
        made = await ctx.uow.runners.apply_credit(campus, row.runner_id, event, ctx.now, order_id=order_id)
        change, credit = change + made.change, made.score_after
    if (changed := NOTICE_RENDERERS.get(CREDIT_CHANGED)) is not None:  # a low rating lowers it: offers go too
        await changed(ctx.notify, campus, row, Notice("runner", CREDIT_CHANGED, user_id=row.runner_id))
    # The tags and the comment are for the runner: what they did well or not, named in their own language.
    runner = await ctx.uow.session.get(User, row.runner_id)
    tags_text = rating_tags_text(catalogue(runner.language), tags) if runner is not None else ""
    credited: dict[str, object] = {"credited": "no"}
    if change and credit is not None:  # told as a complaint's or an operator's change is: by how much, and where to
        credited = {"credited": "yes", "change": f"{change:+d}", **told_score(campus.credit, credit)}
    await ctx.notify.user(row.runner_id, "track-rated-runner", order=str(order_id), stars=stars, tags=tags_text,
                          tagged="yes" if tags else "no", comment=comment, commented="yes" if comment else "no",
                          **credited)
    ctx.say("track-rate-thanks", order=str(order_id), stars=stars)
    await back_to_form(ctx)


# --- relay chat --------------------------------------------------------------------------------------------------
async def counterpart(ctx: Ctx, order_id: int) -> tuple[OrderRow, int, str]:
    """(order, the other side's user id, the sender's role) while the two may talk about this order."""
    row = await viewable_order(ctx, order_id)
    role = "customer" if row.customer_id == ctx.user_id else "runner"
    other = row.runner_id if role == "customer" else row.customer_id
    if Status(row.status) in BEFORE_RUNNER:  # not "no longer": the chat opens once a runner takes it
        raise IllegalTransition("track-chat-no-runner-yet", order=str(order_id))
    if Status(row.status) not in ACTIVE_FOR_RUNNER or other is None:
        raise IllegalTransition("track-chat-closed", order=str(order_id), status=status_text(ctx, row))
    return row, other, role


async def relay(ctx: Ctx, order_id: int, *, text: str | None = None, photo: str | None = None) -> None:
    """Pass a message on through the bot: the other side sees the order and the sender's role, never who it is.
    With a photo, `text` is its caption (optional), passed on with it."""
    _, other, role = await counterpart(ctx, order_id)
    if await blocked_us(ctx.uow.session, other):
        raise IllegalTransition("track-relay-unreachable", order=str(order_id),
                                other="runner" if role == "customer" else "customer")
    body = free_text(text or "")
    if photo is None and not body:
        raise InvalidInput("track-msg-usage")
    throttle, sender = ctx.services.throttle, f"{ctx.input.channel}:{ctx.input.user}"
    if throttle is not None and not await throttle.allow("relay", sender):
        # Held to a human pace: a flood would bury the other side's chat, their offers and notices behind it.
        raise InvalidInput("track-relay-too-fast", other="runner" if role == "customer" else "customer")
    reply = [[("track-reply-button", f"o:{order_id}:chat", {})]]
    if photo is not None:
        await ctx.notify.user(other, "track-relay-photo", buttons=reply, order=str(order_id), sender_role=role,
                              **await ctx.photo_args(other, photo), **caption_args(text or ""))
    else:
        # `message`, not `text`: Notifier.user's `text` replaces the whole rendered message.
        await ctx.notify.user(other, "track-relay", buttons=reply, order=str(order_id), sender_role=role, message=body)
    ctx.say("track-relay-sent", other="runner" if role == "customer" else "customer")


@ROUTER.command("msg", relays_text=True)
async def msg_command(ctx: Ctx) -> None:
    """/msg N text; or /msg text when there is only one order the sender can write about (nothing to choose): then
    a text that begins with a number none of their orders has ('/msg 5 minutes away') is all message."""
    args = ctx.input.args
    only = await sole_conversation(ctx) if args else None
    if only is not None and not (ORDER_NUMBER.match(args[0]) and (
            numbered(args[0]) or len(args) == 1 or await one_of_theirs(ctx, args[0]))):
        await relay(ctx, only, text=ctx.input.text.strip())
        return
    if args and not ORDER_NUMBER.match(args[0]):  # a message with no order to send it to: how /msg is written
        if (waiting := await sole_order_awaiting_runner(ctx)) is not None:  # unless the only order is that one
            raise IllegalTransition("track-chat-no-runner-yet", order=str(waiting))
        raise InvalidInput("track-msg-usage")
    order_id = order_arg(ctx, "msg")
    text = rest_text(ctx)
    if not text.strip():
        raise InvalidInput("track-msg-usage")
    await relay(ctx, order_id, text=text)


ORDER_NUMBER = re.compile(rf"^[{''.join(NUMBER_SIGNS)}]?\d+$")


async def one_of_theirs(ctx: Ctx, number: str) -> bool:
    """An order this person placed or carried has this number."""
    order_id = record_id(number)
    if order_id is None:
        return False
    found = await ctx.uow.session.scalar(select(OrderRow.id).where(
        OrderRow.id == order_id, or_(OrderRow.customer_id == ctx.user_id, OrderRow.runner_id == ctx.user_id)))
    return found is not None


async def sole_conversation(ctx: Ctx) -> int | None:
    """The one order this person can write to the other side of now (theirs, with a runner on it, or one they
    carry), or None when there is none or more than one."""
    ids = list(await ctx.uow.session.scalars(
        select(OrderRow.id).where(
            or_(and_(OrderRow.customer_id == ctx.user_id, OrderRow.runner_id.is_not(None)),
                OrderRow.runner_id == ctx.user_id),
            OrderRow.status.in_([s.value for s in ACTIVE_FOR_RUNNER])).limit(2)))
    return ids[0] if len(ids) == 1 else None


async def sole_order_awaiting_runner(ctx: Ctx) -> int | None:
    """The order a message would be about when this person's only order under way has nobody to write to yet (no
    runner took it), else None."""
    rows = (await ctx.uow.session.execute(
        select(OrderRow.id, OrderRow.status).where(or_(
            and_(OrderRow.customer_id == ctx.user_id,
                 OrderRow.status.in_([s.value for s in BEFORE_RUNNER | ACTIVE_FOR_RUNNER])),
            and_(OrderRow.runner_id == ctx.user_id, OrderRow.status.in_([s.value for s in ACTIVE_FOR_RUNNER]))))
        .limit(2))).all()
    return rows[0].id if len(rows) == 1 and Status(rows[0].status) in BEFORE_RUNNER else None


def chatting_about(ctx: Ctx) -> int | None:
    """The order whose chat this person is in (everything they send goes to the other side), if any."""
    return int(ctx.data["chat_order"]) if ctx.state == CHAT_STATE else None


@verb("chat")
async def chat_verb(ctx: Ctx) -> None:
    order_id, _ = order_button(ctx)
    _, _, role = await counterpart(ctx, order_id)
    if form_waits(ctx):  # everything typed goes to the other side now, until /menu: the form cannot wait
        ctx.reset()
        ctx.say("order-form-closed-for-chat")
    ctx.go(CHAT_STATE, chat_order=order_id)
    ctx.say("track-chat-enter", order=str(order_id), other="runner" if role == "customer" else "customer")


async def chat_goes_on(ctx: Ctx, order_id: int) -> str | None:
    """The sender's role while the chat about the order goes on; None once it cannot (the order finished, or this
    person is no longer on it: reassigned), and the chat is left, saying so, rather than refuse every later message."""
    try:
        return (await counterpart(ctx, order_id))[2]
    except (IllegalTransition, NotAllowed):
        ctx.reset()
        ctx.say("track-chat-ended", order=str(order_id))
        return None


@ROUTER.asks_again(CHAT_STATE)
async def chat_still_open(ctx: Ctx) -> None:
    """After /language: what the person sends still goes to the other side, which they are told in their language."""
    order_id = int(ctx.data["chat_order"])
    if (role := await chat_goes_on(ctx, order_id)) is not None:
        ctx.say("track-chat-still-open", order=str(order_id), other="runner" if role == "customer" else "customer")


@ROUTER.state(CHAT_STATE)
async def chat_step(ctx: Ctx) -> None:
    """Everything the person sends goes to the other side until /menu."""
    order_id = int(ctx.data["chat_order"])
    if await chat_goes_on(ctx, order_id) is None:
        return
    if ctx.input.kind is Kind.text:
        await relay(ctx, order_id, text=ctx.input.text)
    elif ctx.input.kind is Kind.photo and ctx.input.photo:
        await relay(ctx, order_id, photo=ctx.input.photo, text=ctx.input.text)
    elif ctx.input.kind is Kind.choice:
        ctx.say("error-stale-choice")
    else:
        ctx.say("track-chat-text-only")


# --- complaints --------------------------------------------------------------------------------------------------
async def complaint_refusal(ctx: CardViewer, row: OrderRow, history: list[OrderEvent] | None = None
                            ) -> IllegalTransition | None:
    """Why no complaint can be made about this order now, or None. `history`: its events, if already read."""
    status = Status(row.status)
    if status in NOT_COMPLAINABLE:
        return IllegalTransition("track-complain-not-now", order=str(row.id), status=status_text(ctx, row))
    if status is Status.cancelled and row.runner_id is None:
        # Cancelled before anyone took it: no runner to complain about, unless one took it and gave it back. Every
        # event records the runner the order had after it.
        if history is not None:
            had_runner = any(ev.runner_id is not None for ev in history)
        else:
            had_runner = await ctx.uow.session.scalar(select(OrderEvent.id).where(
                OrderEvent.order_id == row.id, OrderEvent.runner_id.is_not(None)  # type: ignore[union-attr]
            ).limit(1)) is not None
        if not had_runner:
            return IllegalTransition("track-complain-never-taken", order=str(row.id))
    return None


async def complain(ctx: Ctx, order_id: int, text: str, *, photo: bool = False) -> None:
    """Record a complaint for an operator; while the order is under way it also goes on hold (an exception).
    photo: `text` is the caption of a photo, which operators do not get (their chats may be on another channel)."""
    row = await viewable_order(ctx, order_id)
    body = free_text(text)
    if not body:
        raise InvalidInput("track-complain-usage")
    status = Status(row.status)
    if (refusal := await complaint_refusal(ctx, row)) is not None:
        raise refusal
    complaint = Complaint(order_id=order_id, user_id=ctx.user_id, runner_id=row.runner_id,
                          text_enc=ctx.services.cipher.encrypt(body), created_at=ctx.now)
    try:
        # The unique index on open complaints decides, so two sent at once record one; a savepoint keeps the
        # transaction usable to name the one already there.
        async with ctx.uow.session.begin_nested():
            ctx.uow.session.add(complaint)
    except IntegrityError:
        existing = await ctx.uow.session.scalar(select(Complaint.id).where(
            Complaint.order_id == order_id, Complaint.user_id == ctx.user_id, Complaint.status == "open").limit(1))
        if existing is None:
            raise
        raise NotAllowed("track-complaint-exists", order=str(order_id), complaint=str(existing)) from None
    role = Role.customer if row.customer_id == ctx.user_id else Role.runner
    reported = status in REPORTABLE
    if reported:
        await move(ctx, row, Event.report, role, note=complaint_note(complaint.id))  # type: ignore[arg-type]
    await ctx.notify.operators(campus_of(ctx, row), "track-complaint-operators", order=str(order_id),
                               complaint=str(complaint.id), role=role.value, message=body)
    ctx.say("track-complaint-recorded", order=str(order_id), complaint=str(complaint.id),
            reported="yes" if reported else "no", with_photo="yes" if photo else "no")
    if ctx.state == "track.complain":  # the question it answers ends; a form typed beside it goes on
        await back_to_form(ctx)


@ROUTER.command("complain", relays_text=True)
async def complain_command(ctx: Ctx) -> None:
    order_id = order_arg(ctx, "complain")
    text = rest_text(ctx)
    if text.strip():
        await complain(ctx, order_id, text)
    else:
        await ask_complaint(ctx, order_id)


@ROUTER.asks_again("track.complain")
async def ask_complaint_text(ctx: Ctx) -> None:
    ctx.say("track-complain-ask", order=str(ctx.data["complain_order"]))


async def ask_complaint(ctx: Ctx, order_id: int) -> None:
    row = await viewable_order(ctx, order_id)
    if (refusal := await complaint_refusal(ctx, row)) is not None:
        raise refusal
    ctx.go("track.complain", complain_order=order_id, **form_aside(ctx))
    await ask_complaint_text(ctx)


@verb("report")
async def report_verb(ctx: Ctx) -> None:
    order_id, _ = order_button(ctx)
    await ask_complaint(ctx, order_id)


@ROUTER.state("track.complain")
async def complain_step(ctx: Ctx) -> None:
    """The complaint's text; a photo's caption is taken as it (a damaged item is reported by its photo)."""
    photo = ctx.input.kind is Kind.photo
    if photo and not ctx.input.text.strip():
        ctx.say("track-complain-in-words", order=str(ctx.data["complain_order"]))
        return
    if not photo and ctx.input.kind is not Kind.text:
        await ask_complaint_text(ctx)
        return
    try:
        await complain(ctx, int(ctx.data["complain_order"]), ctx.input.text, photo=photo)
    except (IllegalTransition, NotAllowed) as ended:
        # The order moved on while the question waited (back in the hall, or complained about from elsewhere): the
        # question ends, saying why, rather than refuse every later message as the complaint's text. Nothing of
        # the complaint was kept (its savepoint rolled back).
        ctx.say(ended.key, **ended.args_)
        await back_to_form(ctx)


# --- notices with buttons ----------------------------------------------------------------------------------------
def delivered_key(order_id: int | None) -> str:
    """The edit key of the student's delivery notice: the completion takes its place, so its Confirm and Report
    buttons go and the completion comes above the rating question (which is the confirming press's answer)."""
    return f"delivered:{order_id}"


async def render_delivered(notifier: Notifier, campus: Campus, row: OrderRow, notice) -> None:
    """The student is told of the delivery with the buttons to confirm it or report a problem."""
    await notifier.user(row.customer_id, "notice-delivered", order=str(row.id), edit_key=delivered_key(row.id),
                        buttons=[[("track-confirm-button", f"o:{row.id}:confirm", {})],
                                 [("track-report-button", f"o:{row.id}:report", {})]])


async def render_completed(notifier: Notifier, campus: Campus, row: OrderRow, notice) -> None:
    """Confirmed by the student (or completed by an operator's resolution): in the delivery notice's place."""
    await notifier.user(row.customer_id, "notice-completed-customer", order=str(row.id),
                        edit_key=delivered_key(row.id), **notice.args)


async def render_auto_confirmed(notifier: Notifier, campus: Campus, row: OrderRow, notice) -> None:
    """An automatic confirmation still lets the student rate the runner."""
    await notifier.user(row.customer_id, "notice-auto-confirmed", order=str(row.id), edit_key=delivered_key(row.id),
                        buttons=[[("track-rate-button", f"o:{row.id}:rate", {})]], **notice.args)


NOTICE_RENDERERS["notice-delivered"] = render_delivered
NOTICE_RENDERERS["notice-completed-customer"] = render_completed
NOTICE_RENDERERS[CARDS_REFRESHED] = _cards_refreshed
NOTICE_RENDERERS.setdefault("notice-auto-confirmed", render_auto_confirmed)
