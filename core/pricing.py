"""What an errand costs: an itemised quote from the campus's pricing rules.

Pure: the time of the errand and (for `quote_for_distance`) the walking distance come in as arguments.
Every amount is integer fen. Each line carries a catalogue key and simple args so any channel can label it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from core.campus import Building, Campus, Size, TaskType, TimedSurcharge
from core.errors import InvalidInput
from core.geo import walking_between
from core.money import BASIS_POINTS, Fen, format_yuan, share

QUEUE_FREE_MINUTES = 30  # the first half hour of queueing is in the base price
QUEUE_STEP_MINUTES = 30
# These tasks start somewhere definite; only queue and custom errands may lack a pickup building.
NEEDS_PICKUP = frozenset({TaskType.parcel, TaskType.buy, TaskType.deliver})
DISCOUNT_LINE = "price-discount"  # the coupon's line, the one negative amount on the bill
GOODS_LINE = "price-goods"  # the money for a buy task's goods, last on the bill: no part of the service fee
MAX_QUEUE_MINUTES = 240  # a longer wait is not an errand anyone should take on by chat


@dataclass(frozen=True)
class Discount:
    """A coupon. It reduces what the customer pays; the marketing subsidy covers it, never the runner."""

    code: str
    amount_off: Fen = 0  # fixed fen off, or
    percent_off_bp: int = 0  # basis points off the service fee, capped by cap
    cap: Fen | None = None
    min_spend: Fen = 0  # the service fee must reach this

    def __post_init__(self) -> None:
        # A malformed coupon is a bug in whoever built it (operator tooling validates first), not user input.
        if self.amount_off < 0 or self.min_spend < 0 or (self.cap is not None and self.cap < 0):
            raise ValueError(f"coupon {self.code}: amounts may not be negative")
        if not 0 <= self.percent_off_bp <= BASIS_POINTS:
            raise ValueError(f"coupon {self.code}: percent_off_bp must be 0..{BASIS_POINTS}")
        if self.amount_off and self.percent_off_bp:
            raise ValueError(f"coupon {self.code}: either a fixed amount or a percentage, not both")


@dataclass(frozen=True)
class QuoteRequest:
    task_type: TaskType
    pickup: Building | None  # None for queue/custom tasks without a pickup building
    dropoff: Building
    weight_g: int  # grams, >= 0
    size: Size
    at: dt.datetime  # timezone-aware; when the errand is done (now, or a scheduled window start)
    dropoff_floor: int = 1  # floor the runner must climb to at drop-off (1 = ground)
    urgent: bool = False
    tip: Fen = 0
    queue_minutes: int = 0  # queue tasks: expected queueing time
    discount: Discount | None = None
    # Buy tasks: what the student hands over for the goods themselves, at most what they may cost. It is no part of
    # the service fee (no commission, no coupon); what the runner does not spend goes back to the student.
    goods: Fen = 0


@dataclass(frozen=True)
class QuoteLine:
    key: str  # catalogue key of the label, e.g. "price-distance"
    amount: Fen  # negative for the discount line
    args: dict = field(default_factory=dict)  # simple JSON values that fill in the label


@dataclass(frozen=True)
class Quote:
    lines: tuple[QuoteLine, ...]
    distance_m: int
    service_fee: Fen  # charge lines, raised to the floor price
    tip: Fen
    discount: Fen  # paid by the marketing subsidy
    total: Fen  # what the customer pays: service_fee + tip - discount + goods
    commission: Fen  # the platform's share of the service fee; tips carry none
    runner_share: Fen  # service_fee - commission + tip
    goods: Fen = 0  # the goods money in total; the runner is paid back what they spend of it

    def as_dict(self) -> dict:
        return asdict(self) | {"lines": [asdict(line) for line in self.lines]}


def in_window(t: dt.time, start: dt.time, end: dt.time) -> bool:
    """Is t in [start, end)? A window whose end is before its start runs past midnight; start == end is empty."""
    if start <= end:
        return start <= t < end
    return t >= start or t < end


def _started(amount: int, step: int) -> int:
    """How many steps an amount starts: 0 → 0, 1 → 1, step → 1, step + 1 → 2."""
    return -(-max(amount, 0) // step)


def _grams(kg: float) -> int:
    # Weights in the campus file are decimal kilograms (3, 2.5); via str() so 2.3 is 2300 g, not 2299.
    return int(Decimal(str(kg)) * 1000)


def _kg_arg(kg: float) -> int | float:
    return int(kg) if float(kg).is_integer() else kg


def _surcharge_args(s: TimedSurcharge) -> dict:
    return {"start": s.start.strftime("%H:%M"), "end": s.end.strftime("%H:%M")}


def discount_for(d: Discount | None, service_fee: Fen) -> Fen:
    """What a coupon takes off a service fee: nothing below its minimum spend, never more than the fee."""
    if d is None or service_fee < d.min_spend:
        return 0
    off = d.amount_off
    if d.percent_off_bp:
        off = share(service_fee, d.percent_off_bp)
        if d.cap is not None:
            off = min(off, d.cap)
    return min(off, service_fee)


def _validate(campus: Campus, req: QuoteRequest) -> None:
    p = campus.pricing
    if req.at.tzinfo is None or req.at.utcoffset() is None:
        raise ValueError("QuoteRequest.at must be timezone-aware")
    if req.pickup is None and req.task_type in NEEDS_PICKUP:
        raise InvalidInput("error-pickup-required", task=req.task_type.value)
    if req.weight_g < 0:
        raise InvalidInput("error-weight-negative")
    if req.weight_g > _grams(p.weight.max_kg):
        raise InvalidInput("error-too-heavy", max_kg=_kg_arg(p.weight.max_kg))
    if not 1 <= req.dropoff_floor <= req.dropoff.floors:
        raise InvalidInput("error-floor-range", floors=req.dropoff.floors)
    if not 0 <= req.tip <= p.max_tip:
        raise InvalidInput("error-tip-range", max=format_yuan(p.max_tip))
    if not 0 <= req.queue_minutes <= MAX_QUEUE_MINUTES:
        raise InvalidInput("error-queue-minutes", max=MAX_QUEUE_MINUTES)
    if req.goods and req.task_type is not TaskType.buy:
        raise InvalidInput("error-goods-not-buy")
    if not 0 <= req.goods <= p.max_goods:
        raise InvalidInput("error-goods-range", max=format_yuan(p.max_goods))


def quote(campus: Campus, req: QuoteRequest) -> Quote:
    """Quote an errand, measuring the walk from pickup to drop-off (none without a pickup building)."""
    distance = 0 if req.pickup is None else walking_between(campus, req.pickup, req.dropoff)
    return quote_for_distance(campus, req, distance)


def quote_for_distance(campus: Campus, req: QuoteRequest, distance_m: int) -> Quote:
    """Quote an errand over a walking distance already known (a routed path, or a test's choice)."""
    if distance_m < 0:
        raise ValueError("distance_m may not be negative")
    _validate(campus, req)
    p = campus.pricing
    lines = [QuoteLine("price-base", p.base[req.task_type], {"task": req.task_type.value})]

    def charge(key: str, amount: Fen, **args: object) -> None:
        if amount:  # a rule that does not apply is not worth a line on the bill
            lines.append(QuoteLine(key, amount, args))

    steps = _started(distance_m - p.distance.included_m, p.distance.step_m)
    charge("price-distance", steps * p.distance.per_step, metres=distance_m)

    extra_kg = _started(req.weight_g - _grams(p.weight.included_kg), 1000)
    charge("price-weight", extra_kg * p.weight.per_kg, kg=extra_kg)

    if req.task_type is not TaskType.queue:  # a queue carries nothing: no size is asked, none is charged
        charge("price-size", p.size[req.size], size=req.size.value)

    if not req.dropoff.lift:
        floors = max(req.dropoff_floor - p.stairs.free_floors, 0)
        charge("price-stairs", floors * p.stairs.per_floor, floors=floors)

    # Windows are campus wall-clock times, whatever zone the caller's datetime is in.
    local = req.at.astimezone(campus.tz).time()
    if in_window(local, p.night.start, p.night.end):
        charge("price-night", p.night.amount, **_surcharge_args(p.night))
    for peak in p.peaks:
        if in_window(local, peak.start, peak.end):
            charge("price-peak", peak.amount, **_surcharge_args(peak))

    if req.urgent:
        charge("price-urgent", p.urgent)

    if req.task_type is TaskType.queue:
        half_hours = _started(req.queue_minutes - QUEUE_FREE_MINUTES, QUEUE_STEP_MINUTES)
        charge("price-queue-time", half_hours * p.queue_per_half_hour, minutes=req.queue_minutes)

    # A short, light errand still costs a runner a trip: raise it to the floor price, visibly.
    subtotal = sum(line.amount for line in lines)
    charge("price-floor-adjust", max(p.floor_price - subtotal, 0))
    service_fee = max(subtotal, p.floor_price)

    charge("price-tip", req.tip)
    off = discount_for(req.discount, service_fee)
    if off:
        lines.append(QuoteLine(DISCOUNT_LINE, -off, {"code": req.discount.code}))
    charge(GOODS_LINE, req.goods)

    commission = share(service_fee, campus.commission)
    return Quote(
        lines=tuple(lines),
        distance_m=distance_m,
        service_fee=service_fee,
        tip=req.tip,
        discount=off,
        total=service_fee + req.tip - off + req.goods,  # ≥ 0: a coupon never exceeds the service fee
        commission=commission,
        runner_share=service_fee - commission + req.tip,
        goods=req.goods,
    )
