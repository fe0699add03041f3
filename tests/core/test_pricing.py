"""Pricing as a student and a runner see it: what a quote charges, what it refuses, who gets what."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.campus_file import load_campus
from core.campus import Building, BuildingKind, Campus, Pricing, Size, TaskType
from core.errors import InvalidInput
from core.geo import walking_between
from core.money import format_yuan, share
from core.pricing import (
    MAX_QUEUE_MINUTES,
    Discount,
    QuoteLine,
    QuoteRequest,
    discount_for,
    in_window,
    quote,
    quote_for_distance,
)

DEMO = load_campus(Path(__file__).resolve().parents[2] / "campus" / "demo.yaml")
P = DEMO.pricing
TZ = DEMO.tz
UTC = dt.timezone.utc


def local(hour: int, minute: int = 0) -> dt.datetime:
    """A weekday on the demo campus, at a wall-clock time."""
    return dt.datetime(2025, 3, 5, hour, minute, tzinfo=TZ)


QUIET = local(15, 0)  # neither night nor peak on the demo campus


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def building(floors: int = 1, lift: bool = False, id: str = "b") -> Building:
    return Building(id=id, name=id, name_en=id, kind=BuildingKind.other, lat=30.26, lon=120.12, floors=floors, lift=lift)


def request(**kw) -> QuoteRequest:
    base = dict(
        task_type=TaskType.parcel,
        pickup=DEMO.building("parcel_station"),
        dropoff=DEMO.building("dorm_f3"),
        weight_g=0,
        size=Size.small,
        at=QUIET,
    )
    return QuoteRequest(**(base | kw))


def campus_with(**pricing: object) -> Campus:
    """The demo campus with its pricing partly replaced (values in yuan, as an operator writes them)."""
    raw = P.model_dump(mode="json")
    for k in ("base", "size"):
        raw[k] = {key: format_yuan(v) for key, v in raw[k].items()}
    for k in ("urgent", "floor_price", "max_tip", "queue_per_half_hour", "max_goods"):
        raw[k] = format_yuan(raw[k])
    raw["distance"]["per_step"] = format_yuan(raw["distance"]["per_step"])
    raw["weight"]["per_kg"] = format_yuan(raw["weight"]["per_kg"])
    raw["stairs"]["per_floor"] = format_yuan(raw["stairs"]["per_floor"])
    for s in (raw["night"], *raw["peaks"]):
        s["amount"] = format_yuan(s["amount"])
    return DEMO.model_copy(update={"pricing": Pricing.model_validate(raw | pricing)})


def keys(q) -> list[str]:
    return [line.key for line in q.lines]


def line(q, key: str):
    (found,) = [ln for ln in q.lines if ln.key == key]
    return found


# --- worked examples on the demo campus -------------------------------------------------------------------


def test_parcel_from_station_to_womens_dorm_3_at_lunch():
    station, dorm = DEMO.building("parcel_station"), DEMO.building("dorm_f3")
    coupon = Discount("NEW5", amount_off=500)
    req = request(
        pickup=station, dropoff=dorm, weight_g=4_500, size=Size.medium, at=local(12, 10),
        dropoff_floor=10, tip=200, discount=coupon,
    )
    q = quote(DEMO, req)

    metres = walking_between(DEMO, station, dorm)
    assert metres > P.distance.included_m  # the west dorms are a real walk from the parcel station
    steps = ceil_div(metres - P.distance.included_m, P.distance.step_m)
    kg = ceil_div(4_500 - int(P.weight.included_kg * 1000), 1000)
    (lunch,) = [p for p in P.peaks if p.start <= dt.time(12, 10) < p.end]
    expected = [
        ("price-base", P.base[TaskType.parcel]),
        ("price-distance", steps * P.distance.per_step),
        ("price-weight", kg * P.weight.per_kg),
        ("price-size", P.size[Size.medium]),
        # dorm_f3 has a lift: floor 10 costs nothing extra
        ("price-peak", lunch.amount),
        ("price-tip", 200),
        ("price-discount", -500),
    ]
    assert [(ln.key, ln.amount) for ln in q.lines] == expected
    fee = sum(a for k, a in expected if k not in ("price-tip", "price-discount"))
    assert q.distance_m == metres
    assert line(q, "price-distance").args == {"metres": metres}
    assert line(q, "price-weight").args == {"kg": kg}
    assert line(q, "price-discount").args == {"code": "NEW5"}
    assert (q.service_fee, q.tip, q.discount, q.total) == (fee, 200, 500, fee + 200 - 500)
    assert q.commission == share(fee, DEMO.commission)
    assert q.runner_share == fee - q.commission + 200


def test_stairs_are_charged_only_where_there_is_no_lift():
    no_lift, with_lift = DEMO.building("dorm_f2"), DEMO.building("dorm_f3")
    assert not no_lift.lift and with_lift.lift
    top = no_lift.floors
    q = quote(DEMO, request(dropoff=no_lift, dropoff_floor=top))
    assert line(q, "price-stairs").amount == (top - P.stairs.free_floors) * P.stairs.per_floor
    assert line(q, "price-stairs").args == {"floors": top - P.stairs.free_floors}
    assert "price-stairs" not in keys(quote(DEMO, request(dropoff=no_lift, dropoff_floor=P.stairs.free_floors)))
    assert "price-stairs" not in keys(quote(DEMO, request(dropoff=with_lift, dropoff_floor=with_lift.floors)))


def test_one_floor_above_the_free_floors_costs_one_floor():
    dorm = DEMO.building("dorm_f2")
    q = quote(DEMO, request(dropoff=dorm, dropoff_floor=P.stairs.free_floors + 1))
    assert line(q, "price-stairs").amount == P.stairs.per_floor


def test_queue_task_without_pickup_is_charged_per_started_half_hour_after_the_first():
    def queue(minutes: int):
        return quote(DEMO, request(task_type=TaskType.queue, pickup=None, queue_minutes=minutes))

    assert queue(0).distance_m == 0
    assert "price-queue-time" not in keys(queue(30))
    assert line(queue(31), "price-queue-time").amount == P.queue_per_half_hour
    assert line(queue(60), "price-queue-time").amount == P.queue_per_half_hour
    assert line(queue(61), "price-queue-time").amount == 2 * P.queue_per_half_hour
    assert queue(61).total == P.base[TaskType.queue] + 2 * P.queue_per_half_hour


def test_urgent_adds_the_urgent_surcharge():
    calm, rush = quote(DEMO, request()), quote(DEMO, request(urgent=True))
    assert rush.total - calm.total == P.urgent
    assert line(rush, "price-urgent").amount == P.urgent


# --- rounding: started steps ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra_m", "steps"),
    [(-1, 0), (0, 0), (1, 1), (P.distance.step_m, 1), (P.distance.step_m + 1, 2)],
)
def test_distance_is_charged_per_started_step_beyond_the_included_metres(extra_m, steps):
    q = quote_for_distance(DEMO, request(), P.distance.included_m + extra_m)
    charged = line(q, "price-distance").amount if "price-distance" in keys(q) else 0
    assert charged == steps * P.distance.per_step


@pytest.mark.parametrize(("extra_g", "kg"), [(-1, 0), (0, 0), (1, 1), (1_000, 1), (1_001, 2)])
def test_weight_is_charged_per_started_kilogram_beyond_the_included_weight(extra_g, kg):
    q = quote_for_distance(DEMO, request(weight_g=int(P.weight.included_kg * 1000) + extra_g), 0)
    charged = line(q, "price-weight").amount if "price-weight" in keys(q) else 0
    assert charged == kg * P.weight.per_kg


def test_fractional_included_weight_is_exact():
    campus = campus_with(weight={"included_kg": 2.3, "per_kg": "1", "max_kg": 10})
    assert "price-weight" not in keys(quote_for_distance(campus, request(weight_g=2_300), 0))
    assert line(quote_for_distance(campus, request(weight_g=2_301), 0), "price-weight").amount == 100


# --- time windows -----------------------------------------------------------------------------------------


def test_in_window():
    assert in_window(dt.time(12), dt.time(11, 30), dt.time(13))
    assert in_window(dt.time(11, 30), dt.time(11, 30), dt.time(13))
    assert not in_window(dt.time(13), dt.time(11, 30), dt.time(13))
    # past midnight
    assert in_window(dt.time(23), dt.time(22), dt.time(7))
    assert in_window(dt.time(0), dt.time(22), dt.time(7))
    assert not in_window(dt.time(7), dt.time(22), dt.time(7))
    assert not in_window(dt.time(21, 59), dt.time(22), dt.time(7))
    # an empty window never applies
    assert not in_window(dt.time(9), dt.time(9), dt.time(9))


def _night_start_end():
    assert P.night.end < P.night.start, "the demo night window runs past midnight"
    return P.night.start, P.night.end


def _minus_a_minute(t: dt.time) -> dt.datetime:
    return local(t.hour, t.minute) - dt.timedelta(minutes=1)


def test_night_surcharge_wraps_midnight():
    start, end = _night_start_end()

    def night(at: dt.datetime) -> bool:
        return "price-night" in keys(quote(DEMO, request(at=at)))

    assert night(local(start.hour, start.minute))
    assert night(local(0, 0))
    assert night(_minus_a_minute(end))
    assert not night(local(end.hour, end.minute))
    assert not night(_minus_a_minute(start))
    assert line(quote(DEMO, request(at=local(0))), "price-night").amount == P.night.amount


def test_windows_are_read_in_campus_time_whatever_zone_the_caller_uses():
    start, _ = _night_start_end()
    campus_night = local(start.hour, start.minute)
    assert "price-night" in keys(quote(DEMO, request(at=campus_night.astimezone(UTC))))
    assert "price-night" in keys(quote(DEMO, request(at=campus_night.astimezone(ZoneInfo("America/New_York")))))


def test_each_peak_window_applies_from_its_start_until_its_end():
    assert P.peaks
    for peak in P.peaks:
        inside = quote(DEMO, request(at=local(peak.start.hour, peak.start.minute)))
        assert [ln.amount for ln in inside.lines if ln.key == "price-peak"] == [peak.amount]
        assert line(inside, "price-peak").args == {"start": peak.start.strftime("%H:%M"), "end": peak.end.strftime("%H:%M")}
        assert "price-peak" not in keys(quote(DEMO, request(at=local(peak.end.hour, peak.end.minute))))


def test_overlapping_surcharges_all_apply():
    campus = campus_with(
        night={"start": "20:00", "end": "02:00", "amount": "2"},
        peaks=[{"start": "23:00", "end": "01:00", "amount": "1"}, {"start": "23:30", "end": "23:45", "amount": "0.5"}],
    )
    q = quote_for_distance(campus, request(at=local(23, 40)), 0)
    assert [ln.amount for ln in q.lines if ln.key in ("price-night", "price-peak")] == [200, 100, 50]


def test_naive_time_is_a_programming_error():
    with pytest.raises(ValueError):
        quote(DEMO, request(at=dt.datetime(2025, 3, 5, 12, 0)))


# --- floor price ------------------------------------------------------------------------------------------


def test_a_cheap_errand_is_raised_to_the_floor_price_on_its_own_line():
    campus = campus_with(base={t.value: "1" for t in TaskType}, floor_price="3")
    q = quote_for_distance(campus, request(), 0)
    assert [(ln.key, ln.amount) for ln in q.lines] == [("price-base", 100), ("price-floor-adjust", 200)]
    assert q.service_fee == q.total == 300


def test_no_floor_adjust_line_when_the_fee_already_reaches_the_floor():
    q = quote_for_distance(DEMO, request(), 0)
    assert P.base[TaskType.parcel] >= P.floor_price
    assert "price-floor-adjust" not in keys(q)
    assert keys(q) == ["price-base"]  # zero-amount surcharges (small size, …) are left off


# --- refusals ---------------------------------------------------------------------------------------------


def refused(campus: Campus, req: QuoteRequest) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        quote(campus, req)
    return info.value


def test_weight_limits():
    max_g = int(P.weight.max_kg * 1000)
    assert quote(DEMO, request(weight_g=max_g)).total > 0
    err = refused(DEMO, request(weight_g=max_g + 1))
    assert (err.key, err.args_) == ("error-too-heavy", {"max_kg": P.weight.max_kg})
    assert refused(DEMO, request(weight_g=-1)).key == "error-weight-negative"


def test_tip_limits():
    assert quote(DEMO, request(tip=P.max_tip)).tip == P.max_tip
    err = refused(DEMO, request(tip=P.max_tip + 1))
    assert (err.key, err.args_) == ("error-tip-range", {"max": format_yuan(P.max_tip)})
    assert refused(DEMO, request(tip=-1)).key == "error-tip-range"


def test_floor_must_exist_in_the_dropoff_building():
    dorm = DEMO.building("dorm_f2")
    for floor in (0, dorm.floors + 1):
        err = refused(DEMO, request(dropoff=dorm, dropoff_floor=floor))
        assert (err.key, err.args_) == ("error-floor-range", {"floors": dorm.floors})


def test_queue_minutes_out_of_range_refused():
    for minutes in (-1, MAX_QUEUE_MINUTES + 1):
        queued = request(task_type=TaskType.queue, pickup=None, queue_minutes=minutes)
        assert refused(DEMO, queued).key == "error-queue-minutes"


def test_the_goods_money_of_a_buy_task_is_billed_apart_from_the_service():
    """The goods money is the goods' own price: on the bill, last, but no part of the fee, the commission or what a
    coupon takes off."""
    buy = dict(task_type=TaskType.buy, pickup=DEMO.building("supermarket"),
               discount=Discount("HALF", percent_off_bp=5000))
    without, with_goods = quote(DEMO, request(**buy)), quote(DEMO, request(**buy, goods=4250))
    assert with_goods.lines[-1] == QuoteLine("price-goods", 4250, {})
    assert with_goods.lines[:-1] == without.lines
    assert with_goods.total == without.total + 4250
    assert (with_goods.service_fee, with_goods.discount, with_goods.commission, with_goods.runner_share) == (
        without.service_fee, without.discount, without.commission, without.runner_share)
    assert with_goods.goods == 4250 and without.goods == 0


def test_goods_money_limits():
    buy = dict(task_type=TaskType.buy, pickup=DEMO.building("supermarket"))
    assert P.max_goods == 30_000  # the demo campus file's 300 yuan
    assert quote(DEMO, request(**buy, goods=P.max_goods)).goods == P.max_goods
    err = refused(DEMO, request(**buy, goods=P.max_goods + 1))
    assert (err.key, err.args_) == ("error-goods-range", {"max": "300.00"})
    assert refused(DEMO, request(**buy, goods=-1)).key == "error-goods-range"
    assert refused(DEMO, request(goods=100)).key == "error-goods-not-buy"  # a parcel has no goods to buy
    assert campus_with().pricing.max_goods == 30_000  # yuan in the file, fen here
    raw = P.model_dump(mode="json")
    del raw["max_goods"]
    for k in ("base", "size"):
        raw[k] = {key: format_yuan(v) for key, v in raw[k].items()}
    assert Pricing.model_validate(raw).max_goods == 50_000  # a file without it: 500 yuan


def test_a_parcel_needs_a_pickup_building():
    assert refused(DEMO, request(pickup=None)).key == "error-pickup-required"


# --- coupons, commission, runner's share ------------------------------------------------------------------


def test_discount_for():
    assert discount_for(None, 1_000) == 0
    assert discount_for(Discount("F", amount_off=300), 1_000) == 300
    assert discount_for(Discount("F", amount_off=300), 200) == 200  # never more than the fee
    assert discount_for(Discount("M", amount_off=300, min_spend=1_000), 999) == 0
    assert discount_for(Discount("M", amount_off=300, min_spend=1_000), 1_000) == 300
    assert discount_for(Discount("P", percent_off_bp=2_000), 1_000) == 200
    assert discount_for(Discount("P", percent_off_bp=2_000, cap=150), 1_000) == 150
    assert discount_for(Discount("P", percent_off_bp=10_000), 1_000) == 1_000


@pytest.mark.parametrize(
    "kw", [{"amount_off": -1}, {"percent_off_bp": 10_001}, {"percent_off_bp": -1}, {"amount_off": 1, "percent_off_bp": 1}]
)
def test_malformed_coupon_is_a_programming_error(kw):
    with pytest.raises(ValueError):
        Discount("BAD", **kw)


def test_tips_carry_no_commission_and_coupons_do_not_come_out_of_the_runners_share():
    plain = quote(DEMO, request(weight_g=5_000))
    tipped = quote(DEMO, request(weight_g=5_000, tip=300))
    coupon = quote(DEMO, request(weight_g=5_000, tip=300, discount=Discount("HALF", percent_off_bp=5_000)))
    assert tipped.commission == plain.commission == share(plain.service_fee, DEMO.commission)
    assert tipped.runner_share == plain.runner_share + 300
    assert coupon.discount > 0
    assert coupon.total == tipped.total - coupon.discount
    assert (coupon.commission, coupon.runner_share) == (tipped.commission, tipped.runner_share)


def test_a_coupon_below_its_minimum_spend_is_not_listed():
    fee = quote(DEMO, request()).service_fee
    q = quote(DEMO, request(discount=Discount("BIG", amount_off=200, min_spend=fee + 1)))
    assert q.discount == 0 and "price-discount" not in keys(q)


def test_a_min_spend_coupon_can_make_a_bigger_order_cheaper():
    # That is how such coupons work: crossing the minimum spend unlocks the discount.
    small = quote_for_distance(DEMO, request(), 0)
    bigger = quote_for_distance(DEMO, request(size=Size.medium), 0)
    assert bigger.service_fee > small.service_fee
    coupon = Discount("SPEND", amount_off=bigger.service_fee, min_spend=bigger.service_fee)
    small_c = quote_for_distance(DEMO, request(discount=coupon), 0)
    bigger_c = quote_for_distance(DEMO, request(size=Size.medium, discount=coupon), 0)
    assert bigger_c.total < small_c.total
    assert bigger_c.service_fee > small_c.service_fee  # the fee before the coupon still grew


def test_as_dict_is_json_of_ints_and_strings():
    q = quote(DEMO, request(weight_g=5_000, at=local(12), tip=100, discount=Discount("NEW5", amount_off=500)))
    d = json.loads(json.dumps(q.as_dict()))
    assert d["total"] == q.total and d["runner_share"] == q.runner_share
    assert [(ln["key"], ln["amount"]) for ln in d["lines"]] == [(ln.key, ln.amount) for ln in q.lines]

    def simple(v) -> bool:
        if isinstance(v, dict):
            return all(isinstance(k, str) and simple(x) for k, x in v.items())
        if isinstance(v, list):
            return all(simple(x) for x in v)
        return isinstance(v, (int, str)) and not isinstance(v, bool)

    assert simple(d)


# --- properties over random campuses and requests ---------------------------------------------------------

fen = st.integers(0, 2_000)
clock = st.times().map(lambda t: t.replace(second=0, microsecond=0))
halves = st.integers(0, 20).map(lambda n: n / 2)  # 0, 0.5, 1, … kg, as an operator would write them


@st.composite
def pricings(draw) -> Pricing:
    def surcharge():
        return {"start": draw(clock), "end": draw(clock), "amount": format_yuan(draw(fen))}

    included_kg = draw(halves)
    return Pricing.model_validate(
        {
            "base": {t.value: format_yuan(draw(fen)) for t in TaskType},
            "distance": {"included_m": draw(st.integers(0, 2_000)), "step_m": draw(st.integers(1, 500)),
                         "per_step": format_yuan(draw(fen))},
            "weight": {"included_kg": included_kg, "per_kg": format_yuan(draw(fen)),
                       "max_kg": included_kg + draw(st.integers(1, 20))},
            "size": {s.value: format_yuan(draw(fen)) for s in Size},
            "stairs": {"free_floors": draw(st.integers(0, 5)), "per_floor": format_yuan(draw(fen))},
            "night": surcharge(),
            "peaks": [surcharge() for _ in range(draw(st.integers(0, 3)))],
            "urgent": format_yuan(draw(fen)),
            "floor_price": format_yuan(draw(fen.filter(bool))),  # a campus file's floor is never 0
            "max_tip": format_yuan(draw(fen)),
            "queue_per_half_hour": format_yuan(draw(fen)),
        }
    )


coupons = st.one_of(
    st.none(),
    st.builds(Discount, code=st.just("C"), amount_off=fen, min_spend=fen),
    st.builds(Discount, code=st.just("C"), percent_off_bp=st.integers(0, 10_000),
              cap=st.none() | fen, min_spend=fen),
)
no_min_spend_coupons = st.one_of(
    st.none(),
    st.builds(Discount, code=st.just("C"), amount_off=fen),
    st.builds(Discount, code=st.just("C"), percent_off_bp=st.integers(0, 10_000), cap=st.none() | fen),
)
zones = st.sampled_from([TZ, UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")])


@st.composite
def scenarios(draw, coupon=coupons):
    pricing = draw(pricings())
    campus = DEMO.model_copy(update={"pricing": pricing, "commission": draw(st.integers(0, 10_000))})
    floors = draw(st.integers(1, 30))
    task = draw(st.sampled_from(TaskType))
    req = QuoteRequest(
        task_type=task,
        pickup=DEMO.building("parcel_station"),
        dropoff=building(floors=floors, lift=draw(st.booleans())),
        weight_g=draw(st.integers(0, int(pricing.weight.max_kg * 1000))),
        size=draw(st.sampled_from(Size)),
        at=draw(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=zones)),
        dropoff_floor=draw(st.integers(1, floors)),
        urgent=draw(st.booleans()),
        tip=draw(st.integers(0, pricing.max_tip)),
        queue_minutes=draw(st.integers(0, MAX_QUEUE_MINUTES)),
        discount=draw(coupon),
        goods=draw(st.integers(0, pricing.max_goods)) if task is TaskType.buy else 0,
    )
    return campus, req, draw(st.integers(0, 10_000))


@settings(max_examples=300)
@given(scenarios())
def test_quote_invariants(scenario):
    campus, req, metres = scenario
    q = quote_for_distance(campus, req, metres)
    assert sum(ln.amount for ln in q.lines) == q.total
    assert q.service_fee >= campus.pricing.floor_price
    assert q.total >= 0 and q.discount >= 0
    assert q.total == q.service_fee + q.tip - q.discount + q.goods and q.goods == req.goods
    assert q.commission == share(q.service_fee, campus.commission)
    assert q.runner_share + q.commission == q.service_fee + q.tip
    assert q.runner_share >= q.tip  # the coupon never comes out of the runner's pocket
    assert q.lines[0].key == "price-base"
    assert all(ln.amount > 0 for ln in q.lines[1:] if ln.key != "price-discount")
    json.dumps(q.as_dict())


@settings(max_examples=300)
@given(scenarios(coupon=no_min_spend_coupons), st.integers(0, 5_000), st.integers(0, 30_000))
def test_quote_never_falls_when_the_errand_grows(scenario, more_m, more_g):
    campus, req, metres = scenario
    heavier = min(req.weight_g + more_g, int(campus.pricing.weight.max_kg * 1000))
    before = quote_for_distance(campus, req, metres)
    after = quote_for_distance(campus, QuoteRequest(**(vars(req) | {"weight_g": heavier})), metres + more_m)
    assert after.total >= before.total
    assert after.service_fee >= before.service_fee
    assert after.runner_share >= before.runner_share


@settings(max_examples=200)
@given(scenarios(), st.integers(0, 5_000), st.integers(0, 30_000))
def test_fee_before_any_coupon_never_falls_when_the_errand_grows(scenario, more_m, more_g):
    campus, req, metres = scenario
    heavier = min(req.weight_g + more_g, int(campus.pricing.weight.max_kg * 1000))
    before = quote_for_distance(campus, req, metres)
    after = quote_for_distance(campus, QuoteRequest(**(vars(req) | {"weight_g": heavier})), metres + more_m)
    assert after.service_fee + after.tip >= before.service_fee + before.tip
