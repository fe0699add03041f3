"""The student's ordering conversation: what, from where, to where, when, how; an itemised quote; the order.

One wizard serves every channel. Each step is a conversation state "order.<step>" and its answers collect in the
conversation's data, so another process or a restart carries on; phone and room are kept there only encrypted. Every
step takes its buttons or typed text (a typed button label counts as pressing it); shared locations work where a
place is asked for, and the student's own contact card (Telegram's "Share my phone number") where the phone is.
Every step after the first, the quote too, offers Back to the previous question.
Bad input raises a DomainError, so the app rolls back and nothing changes. Paying lives in handlers/wallet.py.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from sqlalchemy import bindparam, func, or_, select

from core.campus import (
    WEEKDAYS,
    Building,
    BuildingKind,
    Campus,
    Gender,
    Size,
    TaskType,
    normalize_name,
)
from core.errors import InvalidInput
from core.geo import Point, nearest_building
from core.money import Fen, MoneyError, format_yuan, written_yuan_to_fen
from core.numbers import CLOCK, RANGE_DASH, ascii_digits, plain_decimal, whole_number
from core.order import Status, pay_deadline
from core.pricing import MAX_QUEUE_MINUTES, Discount, Quote, QuoteRequest, discount_for, in_window, quote
from core.service_hours import END_OF_DAY
from handlers import wallet
from handlers.context import Ctx, free_text
from handlers.io import Input, Kind
from handlers.orders import (
    covered,
    details_lines,
    named_building,
    pay_button,
    quote_lines_text,
    route_text,
    window_text,
)
from handlers.paused import refuse_if_paused
from handlers.router import ROUTER
from handlers.start import menu, show_help
from handlers.typed import means_none, typed_option
from locales import LANGUAGES, Catalogue, catalogue
from storage.dedupe import first_time_in
from storage.models import Coupon, RunnerProfile, User
from storage.models import Order as OrderRow
from storage.sql import run_core

STEPS = ("type", "pickup", "dropoff", "room", "floor", "phone", "description", "goods", "queue", "weight", "size",
         "window", "tags", "notes", "gender", "runner", "tip", "coupon", "quote")
GOODS_OFFERS = (2000, 5000, 10000)  # the goods money's buttons, in fen, those within the campus's most
TAGS = ("no_knock", "fragile", "call_on_arrival", "leave_at_door")
OPTIONAL_PICKUP = frozenset({TaskType.queue, TaskType.custom})  # pricing.NEEDS_PICKUP covers the rest
EVENING = (dt.time(18, 0), dt.time(20, 0))  # the "this evening" window offered when it is still ahead
ROOM_LIMIT, NAME_LIMIT, CODE_LIMIT = 32, 64, 32
PHONE = re.compile(r"\+?\d{5,20}")  # after PHONE_MARKS go; any decimal digits, full-width ones too (not '②')
PHONE_MARKS = re.compile(r"[\s\-()－（）]")  # what people write between a phone number's digits
SKIP = "-"
SAVED = "saved"  # the button that reuses the remembered room or phone
BACK = "<"  # the Back button every question after the first offers (go_back)
BACK_BUTTON = ("order-back", BACK)  # its label key and value
PLACE_STEPS = frozenset({"pickup", "dropoff"})  # steps a shared location answers
PLACE_STATES = frozenset(f"order.{step}" for step in PLACE_STEPS)  # their conversation states
LOOSE_STEPS = frozenset({"type", "size", "gender"})  # answered by their options only: a start of one names it
# Where the student's last order went (the dropoff step offers it), built once: on the path of every new order.
LAST_DROPOFF = select(OrderRow.dropoff_building).where(OrderRow.customer_id == bindparam("customer_id")).order_by(
    OrderRow.id.desc()).limit(1)


@dataclass(frozen=True)
class Said:
    """One answer to a step: a button's value (or a typed label), typed text, or a shared location."""

    value: str | None = None
    text: str = ""
    point: Point | None = None


class Prompt(Protocol):
    """Asks a step's question; `edit`: in place of the message whose button was pressed (where the channel can)."""

    def __call__(self, ctx: Ctx, *, edit: bool = False) -> Awaitable[None]: ...


Answer = Callable[[Ctx, Said], Awaitable[None]]
PROMPTS: dict[str, Prompt] = {}
ANSWERS: dict[str, Answer] = {}
ANSWER_KEYS: dict[str, tuple[str, ...]] = {}  # by step: what its answer puts in the draft


def prompt(step: str) -> Callable[[Prompt], Prompt]:
    def register(fn: Prompt) -> Prompt:
        PROMPTS[step] = fn
        return fn
    return register


def answer(step: str, *keys: str) -> Callable[[Answer], Answer]:
    """`keys`: what the answer puts in the draft, forgotten when the student goes back to a step before it."""
    def register(fn: Answer) -> Answer:
        ANSWERS[step] = fn
        ANSWER_KEYS[step] = keys
        return fn
    return register


Button = tuple[str, str, dict[str, Any]]  # label key, value, label args


def ask(ctx: Ctx, step: str, key: str, rows: list[list[Button]] | None = None, *, request_location: bool = False,
        request_contact: bool = False, edit: bool = False, **args: str) -> None:
    """Move to a step and prompt for it; its buttons carry the step's fresh token, so older ones go stale, and its
    message loses them once the step is over however it ends (Ctx.ask). Every step after the first offers Back,
    below its own buttons."""
    ctx.go(f"order.{step}")
    back = [[(*BACK_BUTTON, {})]] if step != STEPS[0] else []
    choices = [[ctx.step(lk, value, **la) for lk, value, la in row] for row in [*(rows or []), *back]]
    # Remember the labels so a typed label (or a channel without buttons) answers like the button; not those
    # showing a saved room or phone, which must not sit in the conversation in plain text.
    put(ctx, _labels=[[c.label, value] for row in choices for c in row if (value := c.data.split(":", 2)[2]) != SAVED])
    ctx.ask(key, choices=choices, request_location=request_location, request_contact=request_contact, edit=edit,
            **args)


def put(ctx: Ctx, **values: Any) -> None:
    ctx.conv.data = {**ctx.conv.data, **values}


def chunks(items: list[Button], size: int) -> list[list[Button]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def building_of(campus: Campus, building_id: str) -> Building:
    try:
        return campus.building(building_id)
    except KeyError:  # the campus file changed while the draft waited
        raise InvalidInput("order-place-gone", place=building_id) from None


# --- service hours -------------------------------------------------------------------------------------------

def in_service_hours(campus: Campus, at: dt.datetime) -> bool:
    """Is `at` inside the campus's service hours? A window past midnight belongs to the day it started."""
    local = at.astimezone(campus.tz)
    today, yesterday = WEEKDAYS[local.weekday()], WEEKDAYS[(local.weekday() - 1) % 7]
    t = local.time()
    for w in campus.service_hours:
        if in_window(t, w.start, w.end):
            day = yesterday if w.start > w.end and t < w.end else today
            if day in w.days:
                return True
    return False


def hours_text(t: Catalogue, campus: Campus) -> str:
    """'Mon–Fri 07:00–12:00, 13:00–23:30; Sat–Sun 08:00–24:00', in t's language: the hours `campus`
    (Ctx.live_campus) has, the ranges of the same days together."""
    by_days: dict[tuple[int, ...], list[str]] = {}
    for w in campus.service_hours:
        end = "24:00" if w.end == END_OF_DAY else w.end.strftime("%H:%M")
        days = tuple(sorted(WEEKDAYS.index(d) for d in set(w.days)))
        by_days.setdefault(days, []).append(t("order-hours-range", start=w.start.strftime("%H:%M"), end=end))
    return t("order-hours-sep").join(t("order-hours-window", days=days_text(t, days), times=t("order-day-sep").join(r))
                                     for days, r in by_days.items())


def days_text(t: Catalogue, days: tuple[int, ...]) -> str:
    """(0, 1, 2, 3, 4, 6) → 'Mon–Fri, Sun'; all seven → 'every day'."""
    if len(days) == 7:
        return t("order-every-day")
    runs: list[list[int]] = []
    for i in days:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return t("order-day-sep").join(
        t("order-day", day=WEEKDAYS[r[0]]) if len(r) == 1 else
        t("order-day-range", first=t("order-day", day=WEEKDAYS[r[0]]), last=t("order-day", day=WEEKDAYS[r[-1]]))
        for r in runs)


def closed(ctx: Ctx, campus: Campus) -> InvalidInput:
    return InvalidInput("order-closed", hours=hours_text(ctx.t, campus))


def refuse_outside_hours(ctx: Ctx, campus: Campus, start: dt.datetime | None, *, at_confirm: bool = False) -> None:
    """An errand now (start None) only while open; one for later only at a time within the hours. at_confirm: the
    time was chosen before (the hours changed since), so the refusal says how to choose again."""
    if start is None:
        if not in_service_hours(campus, ctx.now):
            raise closed(ctx, campus)
    elif not in_service_hours(campus, start):
        raise InvalidInput("order-window-outside-hours", start=start.astimezone(campus.tz).strftime("%H:%M"),
                           hours=hours_text(ctx.t, campus), again="order" if at_confirm else "step")


# --- time windows --------------------------------------------------------------------------------------------

def _ceil5(at: dt.datetime) -> dt.datetime:
    at = at.replace(second=0, microsecond=0)
    return at + dt.timedelta(minutes=-at.minute % 5)


def window_offers(ctx: Ctx, campus: Campus) -> dict[str, tuple[str | None, str | None]]:
    """The windows we can offer now in `campus`'s hours (Ctx.live_campus): value → (start, end) as ISO texts; "now"
    is (None, None), and "urgent" too where there is an `urgent` surcharge."""
    now, urgent = ctx.now, campus.pricing.urgent
    offers: dict[str, tuple[str | None, str | None]] = {}
    if in_service_hours(campus, now):
        offers["now"] = (None, None)
        if urgent:
            offers["urgent"] = (None, None)  # now, ahead of everything else, for the urgent surcharge
    for hours in (1, 2):
        begin = _ceil5(now + dt.timedelta(hours=hours))
        offers[f"+{hours}"] = (begin.isoformat(), (begin + dt.timedelta(hours=1)).isoformat())
    local = now.astimezone(campus.tz)
    begin = dt.datetime.combine(local.date(), EVENING[0], campus.tz)
    if begin > now:
        offers["eve"] = (begin.isoformat(), dt.datetime.combine(local.date(), EVENING[1], campus.tz).isoformat())
    return {k: v for k, v in offers.items() if v[0] is None or in_service_hours(campus, dt.datetime.fromisoformat(v[0]))}


def window_of(d: dict) -> tuple[dt.datetime | None, dt.datetime | None]:
    start, end = d.get("window_start"), d.get("window_end")
    return (dt.datetime.fromisoformat(start) if start else None, dt.datetime.fromisoformat(end) if end else None)


# How far ahead a clock time already past today is read as tomorrow's: at 23:00, '00:30' is in an hour and a half
# (hours may run past midnight), while at 10:05 '10:00' is a slip, not an errand for tomorrow.
ROLL_OVER = dt.timedelta(hours=12)


def parse_window(ctx: Ctx, text: str) -> tuple[dt.datetime, dt.datetime]:
    """'19:30' (an hour from then) or '19:00-20:30', in campus time: the next time the clock shows it, today or,
    within ROLL_OVER, after midnight; a window may end after midnight ('23:30-00:30')."""
    m = re.fullmatch(rf"{CLOCK}(?:\s*{RANGE_DASH}\s*{CLOCK})?", text.strip())
    if not m:
        raise InvalidInput("order-window-format", text=text[:20])
    local = ctx.now.astimezone(ctx.campus.tz)
    day = dt.timedelta(days=1)
    try:
        start = dt.datetime.combine(local.date(), dt.time(int(m[1]), int(m[2])), ctx.campus.tz)
        if start <= ctx.now and start + day - ctx.now <= ROLL_OVER:
            start += day
        end = (dt.datetime.combine(start.date(), dt.time(int(m[3]), int(m[4])), ctx.campus.tz) if m[3]
               else start + dt.timedelta(hours=1))
    except ValueError:  # 25:00
        raise InvalidInput("order-window-format", text=text[:20]) from None
    if start <= ctx.now:
        raise InvalidInput("order-window-past")
    if end <= start and end + day - start <= ROLL_OVER:
        end += day
    if end <= start:
        raise InvalidInput("order-window-format", text=text[:20])
    return start, end


# --- coupons -------------------------------------------------------------------------------------------------

async def usable_coupon(ctx: Ctx, text: str) -> Coupon:
    """A coupon this student may use now, or a clear refusal. Its use is counted when the order is paid."""
    code = unicodedata.normalize("NFKC", text).strip()  # a full-width keyboard's ＡＢＣ３ is ABC3
    s = ctx.uow.session
    coupon = await s.get(Coupon, code) or await s.get(Coupon, code.upper())
    if coupon is None or coupon.campus_id != ctx.campus.id:
        raise InvalidInput("order-coupon-unknown", code=code[:CODE_LIMIT])
    if (coupon.valid_from is not None and ctx.now < coupon.valid_from) or (
            coupon.valid_until is not None and ctx.now >= coupon.valid_until):
        raise InvalidInput("order-coupon-expired", code=coupon.code)
    if (spent := await wallet.coupon_spent(s, coupon, ctx.user_id)) is not None:
        raise spent
    return coupon


def discount(coupon: Coupon | None) -> Discount | None:
    if coupon is None:
        return None
    return Discount(code=coupon.code, amount_off=coupon.amount_off, percent_off_bp=coupon.percent_off_bp,
                    cap=coupon.cap, min_spend=coupon.min_spend)


# --- the draft -----------------------------------------------------------------------------------------------

async def draft_quote(ctx: Ctx, coupon: Coupon | None = None) -> Quote:
    """Price the draft as it stands: at the window's start, or now, by the campus's pricing as its operators set it
    (Ctx.live_campus). Pricing validates tip, floor and weight."""
    d, campus = ctx.data, await ctx.live_campus()
    start, _ = window_of(d)
    return quote(campus, QuoteRequest(
        task_type=TaskType(d["task"]), pickup=building_of(campus, d["pickup"]) if d.get("pickup") else None,
        dropoff=building_of(campus, d["dropoff"]), weight_g=d.get("weight_g", 0), size=Size(d.get("size", "small")),
        at=start or ctx.now, dropoff_floor=d.get("floor", 1), tip=d.get("tip", 0),
        queue_minutes=d.get("queue_minutes", 0), urgent=d.get("urgent", False), discount=discount(coupon),
        goods=d.get("goods", 0)))


def draft_text(ctx: Ctx, name: str) -> str | None:
    """A free-text answer of the draft, encrypted (a draft begun before 0016 holds it in clear: encrypted now)."""
    if f"{name}_enc" in ctx.data:  # answered since (None: skipped)
        return ctx.data[f"{name}_enc"]
    return ctx.services.cipher.encrypt(ctx.data.get(name) or None)


def draft_row(ctx: Ctx, q: Quote, *, max_goods: int) -> OrderRow:
    """The order as the draft describes it (not yet added): shown on the quote, stored on confirmation; with the
    most goods money the campus allows now, which the order keeps whatever an operator sets later."""
    d, campus = ctx.data, ctx.campus
    start, end = window_of(d)
    room = d.get("room_enc")
    return OrderRow(
        campus_id=campus.id, customer_id=ctx.user_id, status=Status.awaiting_payment.value, task_type=d["task"],
        pickup_building=d.get("pickup"), dropoff_building=d["dropoff"], dropoff_floor=d.get("floor", 1),
        door_delivery=room is not None, description_enc=draft_text(ctx, "description"),
        notes_enc=draft_text(ctx, "notes"),
        weight_g=d.get("weight_g", 0), queue_minutes=d.get("queue_minutes", 0), size=d.get("size", "small"),
        urgent=d.get("urgent", False),
        tags=list(d.get("tags", [])),
        gender_preference=d.get("gender"), favourite_runner_id=d.get("runner_id"),
        # A coupon the price no longer reaches (its minimum spend, since it was typed) takes nothing off: paying
        # then would use it up for nothing.
        coupon_code=d.get("coupon") if q.discount else None,
        window_start=start, window_end=end,
        quote_lines=[{"key": line.key, "amount": line.amount, "args": dict(line.args)} for line in q.lines],
        distance_m=q.distance_m, service_fee=q.service_fee, tip=q.tip, discount=q.discount, total=q.total,
        commission=q.commission, runner_share=q.runner_share, goods=q.goods, max_goods=max_goods,
        phone_enc=d.get("phone_enc"),
        room_enc=room, created_at=ctx.now, pay_by=pay_deadline(ctx.now, campus.timeouts.pay_minutes, end),
    )


def applies(ctx: Ctx, step: str) -> bool:
    d = ctx.data
    if step == "room":
        return building_of(ctx.campus, d["dropoff"]).kind is BuildingKind.dorm
    if step == "floor":
        return d.get("room_enc") is not None
    if step == "queue":
        return d["task"] == TaskType.queue.value
    if step == "goods":
        return d["task"] == TaskType.buy.value
    if step in ("weight", "size"):
        return d["task"] != TaskType.queue.value  # nothing is carried
    return True


async def advance(ctx: Ctx, done: str) -> None:
    """Prompt for the next step that applies to this draft."""
    for step in STEPS[STEPS.index(done) + 1:]:
        if applies(ctx, step):
            await PROMPTS[step](ctx)
            return


# --- entering the wizard -------------------------------------------------------------------------------------

@ROUTER.command("order")
async def start_order(ctx: Ctx, *, edit: bool = False) -> None:
    """A new draft. `edit`: its first message replaces the pressed one (the quote's Edit button)."""
    campus = await ctx.live_campus()
    if not window_offers(ctx, campus):
        raise closed(ctx, campus)
    await refuse_if_paused(ctx)
    ctx.reset()
    if not in_service_hours(campus, ctx.now):
        ctx.say("order-closed-now", hours=hours_text(ctx.t, campus), edit=edit)
        edit = False  # the note took the pressed message's place; the question follows it
    await ask_type(ctx, edit=edit)


@ROUTER.action("m")
async def menu_choice(ctx: Ctx) -> None:
    """The main menu's buttons (start.menu)."""
    choice = (ctx.input.choice or "").partition(":")[2]
    if choice == "order":
        await start_order(ctx)
    elif choice == "wallet":
        await wallet.show_wallet(ctx)
    elif choice == "orders":
        from handlers import tracking

        list_orders = getattr(tracking, "list_orders", None)
        await (list_orders or show_help)(ctx)
    elif choice == "help":
        await show_help(ctx)
    elif choice in ("nearby", "income"):  # an active runner's row; each command refuses anyone else
        from handlers import hall, runner

        await (hall.nearby if choice == "nearby" else runner.income)(ctx)
    else:
        ctx.say("error-stale-choice")


@ROUTER.ended_by_cancel("order.")
async def abandon_form(ctx: Ctx) -> None:
    """A bare /cancel during the form: the draft goes, and with this answer any location button it left up
    (Ctx.settle_location)."""
    ctx.reset()
    ctx.say("order-form-abandoned")


@ROUTER.state(*(f"order.{step}" for step in STEPS))
async def on_step(ctx: Ctx) -> None:
    step = ctx.state.removeprefix("order.")
    inp = ctx.input
    if inp.kind is Kind.choice:
        said = Said(value=ctx.step_value(inp.choice or ""))
    elif inp.kind is Kind.text or (inp.kind is Kind.photo and inp.text.strip()):
        # A photo's caption is its typed answer: a screenshot of the pickup code's SMS comes with the code as caption.
        said = Said(value=typed_value(ctx, step, inp.text), text=inp.text)
    elif inp.kind is Kind.location and inp.lat is not None and inp.lon is not None and step in PLACE_STEPS:
        said = Said(point=Point(inp.lat, inp.lon))
    elif inp.kind is Kind.contact and step == "phone":
        said = Said(text=own_number(inp))  # read as a typed number is
    else:  # a photo with no caption (nothing reads it), a location or contact where none is asked for: ask again
        if inp.kind is Kind.photo:
            ctx.say("order-photo-not-read")
        await PROMPTS[step](ctx)
        return
    if said.value == BACK:
        await go_back(ctx, step)
        return
    await ANSWERS[step](ctx, said)  # moving past a place step takes its location button away (Ctx.say)


async def go_back(ctx: Ctx, step: str) -> None:
    """Back: the question before this one that applies to the draft, in place of the pressed one. The answers to the
    questions after it are forgotten: each is asked again on the way forward anyway, and one to a question that may
    no longer apply (a parcel's weight, once the errand is a queue) must not stay in the draft to be priced. Its own
    answer stays until it is answered again (the tags keep showing as chosen)."""
    earlier = [s for s in STEPS[:STEPS.index(step)] if applies(ctx, s)]
    if not earlier:
        raise stale()  # the first question offers no Back: a forged button
    previous = earlier[-1]
    forgotten = {key for later in STEPS[STEPS.index(previous) + 1:] for key in ANSWER_KEYS.get(later, ())}
    ctx.conv.data = {key: value for key, value in ctx.data.items() if key not in forgotten}
    await PROMPTS[previous](ctx, edit=pressed(ctx))


@ROUTER.asks_again("order.")
async def ask_current_step(ctx: Ctx) -> None:
    step = ctx.state.removeprefix("order.")
    if step == "quote" and await coupon_gone_since(ctx):
        return
    await PROMPTS[step](ctx)


async def coupon_gone_since(ctx: Ctx) -> bool:
    """For the quote asked again (after /language) or confirmed: if its coupon can no longer be used (used up by
    others since it was priced, stopped or expired), the student is told why and asked for a coupon again; a quote
    that cannot be priced would refuse every answer. True when so."""
    code = ctx.data.get("coupon")
    if not code:
        return False
    try:
        await usable_coupon(ctx, code)
    except InvalidInput as refusal:
        ctx.conv.data.pop("coupon")
        ctx.say(refusal.key, **refusal.args_)
        await ask_coupon(ctx)
        return True
    return False


def typed_value(ctx: Ctx, step: str, text: str) -> str | None:
    """The button a typed answer names (handlers/typed.py), if any. A place is named by its building's name as
    place() reads it, never by a part of a button's. "-", "无", "none" and the like at a question offering Skip
    skip it: the student has nothing to add, which is no note, room or runner called "-"."""
    labels = ctx.data.get("_labels", [])
    options = [(label, value) for label, value in (labels.items() if isinstance(labels, dict) else labels)]
    exact = {normalize_name(label): value for label, value in options}.get(normalize_name(text))
    if exact is not None:
        return exact
    if means_none(text) and any(value == SKIP for _, value in options):
        return SKIP
    return typed_option(ctx.t, [(label, value) for label, value in options if not value.startswith("b:")], text,
                        loose=step in LOOSE_STEPS, strict={BACK})


def stale() -> InvalidInput:
    """A button value this step never offered: forged, or from an older message."""
    return InvalidInput("error-stale-choice")


def one_of(said: Said, allowed: Iterable[str]) -> str:
    """The option pressed, or typed by its name; a value never offered is stale, other text is asked again."""
    value = said.value or normalize_name(said.text)
    if value not in allowed:
        if said.value is not None or not said.text:
            raise stale()
        raise InvalidInput("order-choose-one")
    return value


# --- the steps -----------------------------------------------------------------------------------------------

@prompt("type")
async def ask_type(ctx: Ctx, *, edit: bool = False) -> None:
    ask(ctx, "type", "order-ask-type", chunks([("price-base", t.value, {"task": t.value}) for t in TaskType], 2),
        edit=edit)


@answer("type", "task")
async def got_type(ctx: Ctx, said: Said) -> None:
    put(ctx, task=one_of(said, {t.value for t in TaskType}))
    await advance(ctx, "type")


QUICK_PICKUPS = {  # places worth a button for each kind of errand
    TaskType.parcel: (BuildingKind.parcel_station,),
    TaskType.buy: (BuildingKind.shop, BuildingKind.canteen),
    TaskType.deliver: (),
    TaskType.queue: (BuildingKind.canteen, BuildingKind.other, BuildingKind.office),
    TaskType.custom: (),
}


def place_button(ctx: Ctx, b: Building) -> Button:
    return ("order-place", f"b:{b.id}", {"name": b.name if ctx.t.language == "zh_CN" else b.name_en})


def place(ctx: Ctx, said: Said) -> Building:
    """A building from a button, its name or alias, or a shared location."""
    if said.point is not None:
        return nearest_building(ctx.campus, said.point)
    if said.value is not None:
        if not said.value.startswith("b:"):
            raise stale()
        return building_of(ctx.campus, said.value[2:])
    return named_building(ctx, free_text(said.text, limit=NAME_LIMIT))


@prompt("pickup")
async def ask_pickup(ctx: Ctx, *, edit: bool = False) -> None:
    task = TaskType(ctx.data["task"])
    quick = [place_button(ctx, b) for b in ctx.campus.buildings if b.kind in QUICK_PICKUPS[task]][:6]
    rows = chunks(quick, 2)
    if task in OPTIONAL_PICKUP:
        rows.append([("order-no-pickup", SKIP, {})])
    ask(ctx, "pickup", "order-ask-pickup", rows, request_location=True, task=task.value, edit=edit)


@answer("pickup", "pickup")
async def got_pickup(ctx: Ctx, said: Said) -> None:
    if said.value == SKIP:
        if TaskType(ctx.data["task"]) not in OPTIONAL_PICKUP:
            raise stale()
        put(ctx, pickup=None)
    else:
        put(ctx, pickup=place(ctx, said).id)
    await advance(ctx, "pickup")


@prompt("dropoff")
async def ask_dropoff(ctx: Ctx, *, edit: bool = False) -> None:
    # The place of the student's last order is the likeliest answer.
    last = (await run_core(ctx.uow.session, LAST_DROPOFF, {"customer_id": ctx.user_id})).scalar()
    rows = []
    if last is not None and any(b.id == last for b in ctx.campus.buildings):
        rows.append([place_button(ctx, ctx.campus.building(last))])
    ask(ctx, "dropoff", "order-ask-dropoff", rows, request_location=True, edit=edit)


@answer("dropoff", "dropoff")
async def got_dropoff(ctx: Ctx, said: Said) -> None:
    put(ctx, dropoff=place(ctx, said).id, room_enc=None, floor=1)
    await advance(ctx, "dropoff")


@prompt("room")
async def ask_room(ctx: Ctx, *, edit: bool = False) -> None:
    rows = []
    saved = ctx.services.cipher.decrypt(ctx.user.room_enc)
    if saved:
        rows.append([("order-use-saved", SAVED, {"saved": saved})])
    rows.append([("order-no-room", SKIP, {})])
    b = building_of(ctx.campus, ctx.data["dropoff"])
    ask(ctx, "room", "order-ask-room", rows, place=b.name if ctx.t.language == "zh_CN" else b.name_en, edit=edit)


@answer("room", "room_enc")
async def got_room(ctx: Ctx, said: Said) -> None:
    if said.value == SKIP:
        room_enc = None  # handed over at the entrance
    elif said.value == SAVED and ctx.user.room_enc:
        room_enc = ctx.user.room_enc
    elif said.value is not None:
        raise stale()
    else:
        room = free_text(said.text, limit=ROOM_LIMIT)
        if not room:
            raise InvalidInput("order-room-empty")
        room_enc = ctx.services.cipher.encrypt(room)
        ctx.user.room_enc = room_enc  # remembered, encrypted, for the next order
    put(ctx, room_enc=room_enc, floor=1)
    await advance(ctx, "room")


@prompt("floor")
async def ask_floor(ctx: Ctx, *, edit: bool = False) -> None:
    floors = building_of(ctx.campus, ctx.data["dropoff"]).floors
    buttons = [("order-floor", str(n), {"floor": n}) for n in range(1, floors + 1)]
    ask(ctx, "floor", "order-ask-floor", chunks(buttons, 6), floors=str(floors), edit=edit)


@answer("floor", "floor")
async def got_floor(ctx: Ctx, said: Said) -> None:
    raw = (said.value or said.text).strip()
    m = FLOOR.fullmatch(_compact(raw))
    floor = int(m["n"]) if m else None
    if floor is None:
        if said.value is not None:
            raise stale()
        raise InvalidInput("order-floor-format", text=raw[:20])
    floors = building_of(ctx.campus, ctx.data["dropoff"]).floors
    if not 1 <= floor <= floors:
        raise InvalidInput("error-floor-range", floors=floors)
    put(ctx, floor=floor)
    await advance(ctx, "floor")


def masked(phone: str) -> str:
    return "•" * max(len(phone) - 4, 0) + phone[-4:]


@prompt("phone")
async def ask_phone(ctx: Ctx, *, edit: bool = False) -> None:
    """With a button that shares the student's own number where the channel has one (Telegram's contact button),
    which goes once the step is over, as a place step's location button does (Ctx.settle_location)."""
    rows = []
    saved = ctx.services.cipher.decrypt(ctx.user.phone_enc)
    if saved:
        rows.append([("order-use-saved", SAVED, {"saved": masked(saved)})])
    rows.append([("order-skip", SKIP, {})])
    ask(ctx, "phone", "order-ask-phone", rows, request_contact=True, edit=edit)


def own_number(inp: Input) -> str:
    """The number of a contact card shared at the phone step, only the sender's own: someone else's number is not
    theirs to hand to a runner (and the runner would call the wrong person). Refused otherwise, changing nothing."""
    contact = inp.contact
    if contact is None or contact.user is None or contact.user != inp.user:
        raise InvalidInput("order-contact-not-yours")
    return contact.phone


@ROUTER.idle_input(Kind.contact)
async def contact_not_asked(ctx: Ctx) -> None:
    """A contact card shared while no step asks for one: where a phone number is used, rather than not
    understanding it. Nothing is kept."""
    ctx.say("order-contact-not-asked")
    await menu(ctx)


@answer("phone", "phone_enc")
async def got_phone(ctx: Ctx, said: Said) -> None:
    if said.value == SKIP:
        phone_enc = None
    elif said.value == SAVED and ctx.user.phone_enc:
        phone_enc = ctx.user.phone_enc
    elif said.value is not None:
        raise stale()
    else:
        phone = PHONE_MARKS.sub("", said.text).replace("＋", "+")
        if not PHONE.fullmatch(phone):
            raise InvalidInput("order-phone-format", text=said.text.strip()[:24])
        phone = ascii_digits(phone)
        phone_enc = ctx.services.cipher.encrypt(phone)
        ctx.user.phone_enc = phone_enc  # remembered, encrypted
    put(ctx, phone_enc=phone_enc)
    await advance(ctx, "phone")


@prompt("description")
async def ask_description(ctx: Ctx, *, edit: bool = False) -> None:
    ask(ctx, "description", "order-ask-description", task=ctx.data["task"], edit=edit)


@answer("description", "description_enc", "description")  # and a draft's from before 0016, in clear
async def got_description(ctx: Ctx, said: Said) -> None:
    if said.value is not None:
        raise stale()
    text = free_text(said.text)
    if not text or means_none(text):  # required: "-" describes nothing
        raise InvalidInput("order-description-empty")
    ctx.conv.data.pop("description", None)  # a draft's from before 0016, in clear
    put(ctx, description_enc=ctx.services.cipher.encrypt(text))  # a pickup code: personal, never in clear
    await advance(ctx, "description")


def said_amount(said: Said, refusal: str) -> Fen:
    """An amount answer: a button's (its value, in fen) or yuan as typed; `refusal` for a text that is no amount."""
    if said.value is not None:
        fen = whole_number(said.value)
        if fen is None:
            raise stale()
        return fen
    try:
        return written_yuan_to_fen(free_text(said.text, limit=24))
    except MoneyError:
        raise InvalidInput(refusal, text=said.text.strip()[:20]) from None


@prompt("goods")
async def ask_goods(ctx: Ctx, *, edit: bool = False) -> None:
    most = (await ctx.live_campus()).pricing.max_goods
    offers = [("order-yuan", str(fen), {"amount": format_yuan(fen)}) for fen in GOODS_OFFERS if fen <= most]
    ask(ctx, "goods", "order-ask-goods", [offers], max=format_yuan(most), edit=edit)


@answer("goods", "goods")
async def got_goods(ctx: Ctx, said: Said) -> None:
    """The money for the goods: what they may cost at most, handed over with the order (pricing refuses more than
    the campus allows). Required: a runner buying for the student should not pay for it out of their own pocket."""
    goods = said_amount(said, "order-goods-format")
    if goods <= 0:
        raise InvalidInput("order-goods-format", text=said.text.strip()[:20])
    put(ctx, goods=goods)
    await draft_quote(ctx)  # error-goods-range past the campus's most
    await advance(ctx, "goods")


@prompt("queue")
async def ask_queue(ctx: Ctx, *, edit: bool = False) -> None:
    ask(ctx, "queue", "order-ask-queue", [[("order-minutes", str(m), {"minutes": m}) for m in (30, 60, 90, 120)]],
        edit=edit)


# A number with its unit as people type it ('45分钟', '1.5 h', '2楼', '2nd floor'); \d is any decimal digit, full-width
# ones too, but not '²' or '③'. Matched against the text casefolded, without spaces.
MINUTES = re.compile(r"(?P<n>\d{1,4})(?:分钟|分|mins?|minutes?|m)?")
HOURS = re.compile(r"(?P<n>\d{1,2}(?:\.\d{1,2})?)(?:个?小时|h|hrs?|hours?)")
HOURS_AND_MINUTES = re.compile(r"(?P<h>\d{1,2})(?:个?小时|h|hrs?|hours?)(?:and)?(?P<m>\d{1,2})(?:分钟|分|mins?|minutes?|m)?")
FLOOR = re.compile(r"(?:第|floor|fl\.?)?(?P<n>\d{1,3})(?:楼|层|f|fl|floors?|(?:st|nd|rd|th)(?:floor)?)?")


def _compact(text: str) -> str:
    return "".join(text.casefold().split())


def parse_minutes(text: str) -> int | None:
    """'45', '45分钟', '90 min', '1小时', '1.5 h', '1h30', '1小时30分钟' → minutes; None for anything else or a part
    of a minute."""
    raw = _compact(text)
    if m := MINUTES.fullmatch(raw):
        return int(m["n"])
    if (m := HOURS_AND_MINUTES.fullmatch(raw)) and int(m["m"]) < 60:
        return int(m["h"]) * 60 + int(m["m"])
    if (m := HOURS.fullmatch(raw)) and (hours := plain_decimal(m["n"])) is not None and (hours * 60) % 1 == 0:
        return int(hours * 60)
    return None


@answer("queue", "queue_minutes")
async def got_queue(ctx: Ctx, said: Said) -> None:
    minutes = parse_minutes(said.value or said.text)
    if minutes is None:
        raise InvalidInput("error-queue-format", text=said.text.strip()[:20])
    if minutes > MAX_QUEUE_MINUTES:
        raise InvalidInput("error-queue-minutes", max=MAX_QUEUE_MINUTES)
    put(ctx, queue_minutes=minutes)
    await advance(ctx, "queue")


# Weight units as written after the number, as kilograms: 斤 is the half-kilo market weight.
KG_PER = {"kg": Decimal(1), "公斤": Decimal(1), "千克": Decimal(1), "斤": Decimal("0.5"), "g": Decimal("0.001"),
          "克": Decimal("0.001")}
WEIGHT = re.compile(rf"(?P<n>.*?)\s*(?P<unit>{'|'.join(KG_PER)})?")
THOUSANDS_COMMA = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
WEIGHT_OFFERS = (1, 3, 5, 10)  # kg
TIP_OFFERS = (100, 200, 500)  # fen


def parse_kg(campus: Campus, text: str) -> int:
    """'2.5', '2,5 kg', '3公斤', '3斤', '500g', '4,500 g' → grams; refused when negative, not a number, or over the campus
    limit."""
    # '4,500 g' is four and a half thousand grams (a comma before exactly three digits groups thousands), '2,5' two
    # and a half.
    m = WEIGHT.fullmatch(THOUSANDS_COMMA.sub("", free_text(text, limit=24).lower()).replace(",", "."))
    number = plain_decimal(m["n"]) if m else None
    kg = number * KG_PER[m["unit"] or "kg"] if m and number is not None else None
    if kg is None:
        raise InvalidInput("error-weight-format", text=text.strip()[:20])
    if kg < 0:
        raise InvalidInput("error-weight-negative")
    limit = Decimal(str(campus.pricing.weight.max_kg))
    if kg > limit:
        raise InvalidInput("error-too-heavy", max_kg=format(limit.normalize(), "f"))
    return int((kg * 1000).to_integral_value(ROUND_HALF_UP))


@prompt("weight")
async def ask_weight(ctx: Ctx, *, edit: bool = False) -> None:
    # Only weights the campus carries are offered, as the goods question offers only what it allows.
    offers = [("order-kg", str(kg), {"kg": kg}) for kg in WEIGHT_OFFERS if kg <= ctx.campus.pricing.weight.max_kg]
    ask(ctx, "weight", "order-ask-weight", [offers] if offers else [], edit=edit)


@answer("weight", "weight_g")
async def got_weight(ctx: Ctx, said: Said) -> None:
    put(ctx, weight_g=parse_kg(ctx.campus, said.value or said.text))
    await advance(ctx, "weight")


@prompt("size")
async def ask_size(ctx: Ctx, *, edit: bool = False) -> None:
    ask(ctx, "size", "order-ask-size", [[("order-size", s.value, {"size": s.value}) for s in Size]], edit=edit)


@answer("size", "size")
async def got_size(ctx: Ctx, said: Said) -> None:
    put(ctx, size=one_of(said, {s.value for s in Size}))
    await advance(ctx, "size")


@prompt("window")
async def ask_window(ctx: Ctx, *, edit: bool = False) -> None:
    campus = await ctx.live_campus()
    urgent = campus.pricing.urgent
    offers = window_offers(ctx, campus)
    if not offers:
        raise closed(ctx, campus)
    tz = ctx.campus.tz
    rows: list[Button] = []
    for value, (start, end) in offers.items():
        if value == "urgent":
            rows.append(("order-window-choice-urgent", value, {"amount": format_yuan(urgent)}))
            continue
        if start is None:
            rows.append(("order-window-choice-now", value, {}))
            continue
        args = {"start": dt.datetime.fromisoformat(start).astimezone(tz).strftime("%H:%M"),
                "end": dt.datetime.fromisoformat(end or start).astimezone(tz).strftime("%H:%M")}
        if value == "eve":
            rows.append(("order-window-evening", value, args))
        else:
            rows.append(("order-window-in", value, {"hours": int(value[1:]), **args}))
    ask(ctx, "window", "order-ask-window", chunks(rows, 2), edit=edit)
    put(ctx, _windows=offers)  # pressing a button gets exactly the window its label showed


@answer("window", "window_start", "window_end", "urgent")
async def got_window(ctx: Ctx, said: Said) -> None:
    offers = ctx.data.get("_windows", {})
    campus = await ctx.live_campus()
    urgent = said.value == "urgent" or normalize_name(said.text) in ("urgent", "加急")
    if urgent and "urgent" not in offers:  # no urgent surcharge here (or not now): nothing to be urgent for
        raise stale() if said.value is not None else InvalidInput("order-window-format", text=said.text[:20])
    if urgent or (said.value is None and normalize_name(said.text) in ("now", "现在", "立即", "马上")):
        start = end = None
    elif said.value is not None:
        if said.value not in offers:
            raise stale()
        start, end = offers[said.value]
        if start is not None and dt.datetime.fromisoformat(start) <= ctx.now:
            # Offered a while ago ("in 1 h" pressed two hours later): said at once, with the windows there are now,
            # rather than at Confirm after every other question.
            ctx.say("order-window-past")
            await ask_window(ctx)
            return
    else:
        begin, finish = parse_window(ctx, said.text)
        start, end = begin.isoformat(), finish.isoformat()
    # A button offered before the hours changed (/hours set) is checked against them too, as a typed time is.
    refuse_outside_hours(ctx, campus, dt.datetime.fromisoformat(start) if start else None)
    put(ctx, window_start=start, window_end=end, urgent=urgent)
    await advance(ctx, "window")


@prompt("tags")
async def ask_tags(ctx: Ctx, *, edit: bool = False) -> None:
    if "tags" not in ctx.data:  # first time round: what the student chose last time
        put(ctx, tags=[tag for tag in ctx.user.preference_tags or [] if tag in TAGS])
    chosen = set(ctx.data["tags"])
    buttons = [("order-tag-toggle", f"t:{tag}", {"on": "yes" if tag in chosen else "no", "tag": tag}) for tag in TAGS]
    ask(ctx, "tags", "order-ask-tags", [*chunks(buttons, 2), [("order-done", "done", {})]], edit=edit)


@answer("tags", "tags")
async def got_tags(ctx: Ctx, said: Said) -> None:
    value = said.value
    if value is None:  # a typed tag name toggles it, like its button
        typed = normalize_name(said.text)
        value = next((f"t:{tag}" for tag in TAGS if normalize_name(ctx.t("tag", tag=tag)) == typed), None)
        if value is None:
            raise InvalidInput("order-choose-one")
    if value == "done":
        ctx.user.preference_tags = list(ctx.data.get("tags", []))  # remembered for the next order
        await advance(ctx, "tags")
        return
    tag = value.removeprefix("t:")
    if not value.startswith("t:") or tag not in TAGS:
        raise stale()
    tags = list(ctx.data.get("tags", []))
    put(ctx, tags=[x for x in tags if x != tag] if tag in tags else [*tags, tag])
    await ask_tags(ctx, edit=True)


@prompt("notes")
async def ask_notes(ctx: Ctx, *, edit: bool = False) -> None:
    ask(ctx, "notes", "order-ask-notes", [[("order-skip", SKIP, {})]], edit=edit)


@answer("notes", "notes_enc", "notes")
async def got_notes(ctx: Ctx, said: Said) -> None:
    if said.value not in (None, SKIP):
        raise stale()
    notes = "" if said.value == SKIP else free_text(said.text)
    ctx.conv.data.pop("notes", None)
    put(ctx, notes_enc=ctx.services.cipher.encrypt(notes) if notes else None)  # may name a phone: never in clear
    await advance(ctx, "notes")


@prompt("gender")
async def ask_gender(ctx: Ctx, *, edit: bool = False) -> None:
    ask(ctx, "gender", "order-ask-gender", [[("order-gender", g, {"gender": g}) for g in ("any", "female", "male")]],
        edit=edit)


@answer("gender", "gender")
async def got_gender(ctx: Ctx, said: Said) -> None:
    value = one_of(said, ("any", *(g.value for g in Gender)))
    put(ctx, gender=None if value == "any" else value)
    await advance(ctx, "gender")


@prompt("runner")
async def ask_runner(ctx: Ctx, *, edit: bool = False) -> None:
    ask(ctx, "runner", "order-ask-runner", [[("order-skip", SKIP, {})]], edit=edit)


async def find_runner(ctx: Ctx, text: str) -> tuple[int, str]:
    """An approved, active runner of this campus by display name or handle: (user id, name to show)."""
    name = free_text(text, limit=NAME_LIMIT).lstrip("@")
    if not name:
        raise InvalidInput("order-runner-unknown", name=text.strip()[:NAME_LIMIT])
    rows = (await ctx.uow.session.execute(
        select(User.id, User.display_name, User.external_id)
        .join(RunnerProfile, RunnerProfile.user_id == User.id)
        .where(RunnerProfile.campus_id == ctx.campus.id, RunnerProfile.status == "approved",
               RunnerProfile.suspended.is_(False), User.suspended.is_(False),
               or_(func.lower(User.display_name) == name.lower(), User.external_id == name))
    )).all()
    exact = [r for r in rows if r.external_id == name]  # a handle is unique; names may not be
    rows = exact or rows
    if not rows:
        raise InvalidInput("order-runner-unknown", name=name)
    if len(rows) > 1:
        raise InvalidInput("order-runner-ambiguous", name=name)
    runner = rows[0]
    if runner.id == ctx.user_id:
        raise InvalidInput("order-runner-self")
    # Whatever runner gender was chosen: a refusal of a runner of the other one would tell the student that runner's
    # gender (named again under "Anyone", accepted). The gender preference is part of who may take the order
    # (core.dispatch), so at payment such a runner is passed over like any favourite who cannot take it, and the
    # student is told only that (hall-favourite-passed-over).
    return runner.id, runner.display_name or runner.external_id


@answer("runner", "runner_id", "runner_name")
async def got_runner(ctx: Ctx, said: Said) -> None:
    if said.value == SKIP:
        put(ctx, runner_id=None, runner_name=None)
    elif said.value is not None:
        raise stale()
    else:
        runner_id, name = await find_runner(ctx, said.text)
        put(ctx, runner_id=runner_id, runner_name=name)
    await advance(ctx, "runner")


@prompt("tip")
async def ask_tip(ctx: Ctx, *, edit: bool = False) -> None:
    most = (await ctx.live_campus()).pricing.max_tip
    buttons = [("order-tip-none", "0", {})] + [("order-yuan", str(fen), {"amount": format_yuan(fen)})
                                                for fen in TIP_OFFERS if fen <= most]
    ask(ctx, "tip", "order-ask-tip", [buttons], max=format_yuan(most), edit=edit)


@answer("tip", "tip")
async def got_tip(ctx: Ctx, said: Said) -> None:
    if said.value is None and means_none(said.text):  # "-", "无": no tip, as the No tip button
        tip = 0
    else:
        tip = said_amount(said, "order-tip-format")
    put(ctx, tip=tip)
    await draft_quote(ctx)  # pricing refuses a tip out of range (error-tip-range)
    await advance(ctx, "tip")


NO_COUPON = ("order-no-coupon", SKIP)  # the coupon question's button
# The question says "or skip": that word typed skips it too, as on the questions whose button is Skip.
SKIP_WORD = ("order-skip", SKIP)
# What the coupon question's typed answers are read as before a code: its button, its "or skip", and Back (ask).
COUPON_QUESTION_WORDS = (NO_COUPON, SKIP_WORD, BACK_BUTTON)


@prompt("coupon")
async def ask_coupon(ctx: Ctx, *, edit: bool = False) -> None:
    ask(ctx, "coupon", "order-ask-coupon", [[(*NO_COUPON, {})]], edit=edit)
    put(ctx, _labels=[*ctx.data["_labels"], [ctx.t(SKIP_WORD[0]), SKIP_WORD[1]]])


def typed_as_coupon_button(code: str) -> bool:
    """Would the coupon question, in any language, take this code typed as one of its buttons or as "none"? Then
    no student could ever use it, so /coupon create refuses it."""
    if means_none(code):
        return True
    for language in LANGUAGES:
        t = catalogue(language)
        if typed_option(t, [(t(key), value) for key, value in COUPON_QUESTION_WORDS], code) is not None:
            return True
    return False


@answer("coupon", "coupon")
async def got_coupon(ctx: Ctx, said: Said) -> None:
    if said.value == SKIP:
        put(ctx, coupon=None)
    elif said.value is not None:
        raise stale()
    else:
        coupon = await usable_coupon(ctx, free_text(said.text, limit=CODE_LIMIT))
        if (unreached := minimum_unreached(coupon, (await draft_quote(ctx)).service_fee)) is not None:
            raise unreached
        put(ctx, coupon=coupon.code)
    await advance(ctx, "coupon")


def minimum_unreached(coupon: Coupon | None, service_fee: int) -> InvalidInput | None:
    """Why the coupon takes nothing off this service fee, if so: its minimum spend is not reached."""
    if coupon is None or discount_for(discount(coupon), service_fee) or service_fee >= coupon.min_spend:
        return None
    return InvalidInput("order-coupon-min-spend", code=coupon.code, min=format_yuan(coupon.min_spend))


async def priced(ctx: Ctx) -> tuple[OrderRow, Quote, Coupon | None]:
    """The draft priced now, its coupon checked again."""
    code = ctx.data.get("coupon")
    coupon = await usable_coupon(ctx, code) if code else None
    q = await draft_quote(ctx, coupon)
    return draft_row(ctx, q, max_goods=(await ctx.live_campus()).pricing.max_goods), q, coupon


@prompt("quote")
async def ask_quote(ctx: Ctx, *, changed: bool = False, edit: bool = False) -> None:
    row, q, coupon = await priced(ctx)
    t = ctx.t
    start, end = window_of(ctx.data)
    parts = [t("order-quote-changed") if changed else t("order-quote-title", task=row.task_type),
             route_text(t, ctx.campus, row), window_text(t, ctx.campus, start, end),
             *details_lines(t, row, ctx.services.cipher)]
    if row.door_delivery:
        parts.append(t("order-summary-door"))
    if row.gender_preference:
        parts.append(t("order-summary-gender", gender=row.gender_preference))
    if ctx.data.get("runner_name"):
        parts.append(t("order-summary-runner", name=ctx.data["runner_name"]))
    parts += [quote_lines_text(t, row.quote_lines), t("order-card-total", total=format_yuan(row.total))]
    if (unreached := minimum_unreached(coupon, q.service_fee)) is not None:
        # The fee fell under the coupon's minimum spend since it was typed (an operator's /pricing): the bill says
        # why the coupon is gone from it, and the draft goes on without it.
        parts.append(t(unreached.key, **unreached.args_))
        put(ctx, coupon=None)
    ask(ctx, "quote", "order-quote", [[("order-confirm", "ok", {}), ("order-edit", "edit", {}),
                                        ("order-cancel", "no", {})]], edit=edit, text="\n".join(parts))
    put(ctx, quoted_total=q.total)


def pressed(ctx: Ctx) -> bool:
    """The input was a button press, so the answer may replace the pressed message (where the channel can)."""
    return ctx.input.kind is Kind.choice


@answer("quote")
async def got_quote(ctx: Ctx, said: Said) -> None:
    # Every answer to the quote replaces it where it was pressed, so its Confirm/Edit/Cancel buttons go with it.
    if said.value == "edit":
        await start_order(ctx, edit=pressed(ctx))
    elif said.value == "no":
        ctx.reset()
        ctx.say("order-draft-cancelled", edit=pressed(ctx))
        await menu(ctx)  # a message of its own below: the menu is where the student goes on from
    elif said.value == "ok":
        await confirm(ctx)
    elif said.value is None:
        raise InvalidInput("order-choose-one")
    else:
        raise stale()


async def confirm(ctx: Ctx) -> None:
    start_at, end_at = window_of(ctx.data)
    refuse_outside_hours(ctx, await ctx.live_campus(), start_at, at_confirm=True)  # the hours changed since?
    if end_at is not None and end_at <= ctx.now:
        raise InvalidInput("order-window-passed")
    await refuse_if_paused(ctx)  # paused since the draft began: its answers are kept for later
    if await coupon_gone_since(ctx):  # used up or stopped since the quote: said why, and the coupon asked again
        return
    # The quote's Confirm places one order, however often it is pressed: a second press handled at the same time
    # (by another process) waits for the first here, then finds it done.
    if not await first_time_in(ctx.uow.session, f"confirm:{ctx.input.channel}:{ctx.input.user}:{ctx.data['_token']}",
                               ctx.now):
        raise stale()
    row, q, coupon = await priced(ctx)
    # Time moved into another price band, or the coupon's minimum spend is no longer reached (even at the same
    # total): shown, with why, and asked again.
    if q.total != ctx.data.get("quoted_total") or minimum_unreached(coupon, q.service_fee) is not None:
        await ask_quote(ctx, changed=True, edit=pressed(ctx))  # in the old quote's place: only one can be confirmed
        return
    await ctx.uow.orders.add(row)
    ctx.reset()
    if covered(row):  # the coupon pays all of it: there is nothing to pay, so it is paid now
        await wallet.pay_order(ctx, row, placed=True)
        return
    balance = await wallet.balance(ctx)
    ctx.say("order-created", order=row.id, total=format_yuan(row.total), balance=format_yuan(balance),
            # What is left to pay in: less than the usual time when a scheduled window ends sooner (pay_deadline).
            minutes=max(1, int((row.pay_by - ctx.now).total_seconds() // 60)) if row.pay_by else 0,
            choices=[[pay_button(ctx, row.id or 0)]],
            edit=pressed(ctx))
