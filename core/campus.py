"""The campus an operator describes in a file: buildings, hours, prices, timeouts, credit and dispatch rules.

Pure validation (pydantic): reading the file and reporting errors with its name lives in bot/campus_file.py.
Amounts are written in yuan in the file (easy for an operator) and held in fen here.
"""
from __future__ import annotations

import datetime as dt
import enum
import re
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from core.money import Fen, MoneyError, percent_to_bp, yuan_to_fen


def _yuan(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected an amount in yuan, got {value!r}")
    try:
        fen = yuan_to_fen(str(value))
    except MoneyError as exc:
        raise ValueError(str(exc)) from exc
    if fen < 0:
        raise ValueError("an amount may not be negative")
    return fen


def _percent(value: object) -> int:
    try:
        return percent_to_bp(str(value))
    except MoneyError as exc:
        raise ValueError(str(exc)) from exc


def _clock(value: object) -> dt.time:
    if isinstance(value, int) and not isinstance(value, bool):  # YAML 1.1 reads 07:00 as sexagesimal 420
        value = f"{value // 60:02d}:{value % 60:02d}"
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"expected a time of day like 07:30, got {value!r}") from exc


# 24:00, the end of a service window that runs to midnight: the last moment of the day, so that 00:00-24:00 is all of
# it (a window from a time to the same time is empty, core.pricing.in_window). /hours set and the file both take it.
END_OF_DAY = dt.time.max


def _end_clock(value: object) -> dt.time:
    if value in ("24:00", 24 * 60):  # 1440: YAML 1.1's sexagesimal reading of an unquoted 24:00
        return END_OF_DAY
    return _clock(value)


Yuan = Annotated[Fen, BeforeValidator(_yuan)]
Percent = Annotated[int, BeforeValidator(_percent)]  # basis points
Clock = Annotated[dt.time, BeforeValidator(_clock)]
EndClock = Annotated[dt.time, BeforeValidator(_end_clock)]  # a Clock that may be 24:00


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TaskType(str, enum.Enum):
    parcel = "parcel"  # pick up a parcel
    buy = "buy"  # buy food or goods
    deliver = "deliver"  # deliver an item
    queue = "queue"  # queue for someone
    custom = "custom"


class Size(str, enum.Enum):
    small = "small"
    medium = "medium"
    large = "large"


class Gender(str, enum.Enum):
    male = "male"
    female = "female"


class BuildingKind(str, enum.Enum):
    dorm = "dorm"
    canteen = "canteen"
    parcel_station = "parcel_station"
    shop = "shop"
    library = "library"
    teaching = "teaching"
    gate = "gate"
    office = "office"
    sports = "sports"
    other = "other"


class Building(Strict):
    # At most 40: it rides in button data ("s:<token>:b:<id>"), which Telegram caps at 64 bytes.
    id: str = Field(pattern=r"^[a-z0-9_]+$", max_length=40)
    name: str = Field(min_length=1, description="Chinese name")
    name_en: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    kind: BuildingKind
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    floors: int = Field(default=1, ge=1, le=60)
    lift: bool = False
    # Only runners of this gender may enter; the others hand over at transfer_point.
    gender: Gender | None = None
    transfer_point: str | None = None

    @model_validator(mode="after")
    def _gendered_dorm_has_transfer_point(self) -> "Building":
        if self.gender is not None and not self.transfer_point:
            raise ValueError(f"building {self.id} admits only {self.gender.value} runners, so it needs a transfer_point")
        return self

    def all_names(self) -> tuple[str, ...]:
        return (self.id, self.name, self.name_en, *self.aliases)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ServiceWindow(Strict):
    """Held to the rules of /hours set (core.service_hours), so the file cannot close the campus by a slip."""

    days: tuple[str, ...] = WEEKDAYS
    start: Clock
    end: EndClock  # may be earlier than start: the window runs past midnight; 24:00 runs to midnight

    @field_validator("days")
    @classmethod
    def _known_days(cls, days: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [d for d in days if d not in WEEKDAYS]
        if unknown:
            raise ValueError(f"unknown day(s) {unknown}; use {', '.join(WEEKDAYS)}")
        if not days:  # a window of no day opens nothing
            raise ValueError(f"needs at least one day; leave days out for every day ({', '.join(WEEKDAYS)})")
        return days

    @model_validator(mode="after")
    def _not_empty(self) -> "ServiceWindow":
        if self.start == self.end:
            raise ValueError(f"start and end are both {self.start:%H:%M}, so the window is empty; "
                             "00:00 to 24:00 is the whole day")
        return self


def overlapping_day(windows: tuple[ServiceWindow, ...] | list[ServiceWindow]) -> str | None:
    """The day on which two of the windows overlap ('07:00-23:30' and 'sat 09:00-18:00': Saturday twice), or None.
    Such hours would be shown as two that read as different and open as their union. Windows apart from each other
    on one day (a lunch break) are fine. Named by the day of the window that starts inside the other."""
    week = 7 * 24 * 60
    spans = []  # minutes of the week, from Monday 00:00; a window past midnight ends on the next day
    for w in windows:
        start = w.start.hour * 60 + w.start.minute
        end = 24 * 60 if w.end == END_OF_DAY else w.end.hour * 60 + w.end.minute
        if end <= start:
            end += 24 * 60
        for day in w.days:
            at = WEEKDAYS.index(day) * 24 * 60
            spans += [(at + start, at + end, day)] if at + end <= week else [
                (at + start, week, day), (0, at + end - week, day)]  # Sunday night into Monday
    spans.sort()
    for (_, end, _), (start, _, day) in zip(spans, spans[1:]):
        if start < end:
            return day
    return None


class TimedSurcharge(Strict):
    start: Clock
    end: Clock
    amount: Yuan


class DistanceRule(Strict):
    included_m: int = Field(ge=0)
    step_m: int = Field(gt=0)
    per_step: Yuan


class WeightRule(Strict):
    included_kg: float = Field(ge=0)
    per_kg: Yuan  # each started kilogram above the included weight
    max_kg: float = Field(gt=0)


class StairsRule(Strict):
    free_floors: int = Field(ge=0)  # floors climbed for free in a building without a lift
    per_floor: Yuan


class Pricing(Strict):
    base: dict[TaskType, Yuan]
    distance: DistanceRule
    weight: WeightRule
    size: dict[Size, Yuan]
    stairs: StairsRule
    night: TimedSurcharge
    peaks: tuple[TimedSurcharge, ...] = ()
    urgent: Yuan
    floor_price: Yuan  # not 0 (core.pricing_rules.NOT_ZERO): an errand that costs nothing cannot be paid
    max_tip: Yuan
    # Queueing is paid by the started half hour beyond the first.
    queue_per_half_hour: Yuan = 0
    # Buy-for-me: the most a student may hand over for the goods (paid with the order, the rest given back).
    max_goods: Yuan = 50_000  # fen when the file leaves it out (500 yuan)

    # /pricing's refusals (core.pricing_rules.NOT_ZERO, locales' pricing-not-zero) in its words.
    @field_validator("floor_price")
    @classmethod
    def _floor_not_zero(cls, fen: int) -> int:
        if fen == 0:
            raise ValueError("floor cannot be 0: every errand must cost something.")
        return fen

    @field_validator("max_goods")
    @classmethod
    def _goods_not_zero(cls, fen: int) -> int:
        if fen == 0:
            raise ValueError("max_goods cannot be 0: a buy-for-me errand must be able to carry some money for the "
                             "goods.")
        return fen

    @field_validator("base")
    @classmethod
    def _every_task_type(cls, base: dict[TaskType, int]) -> dict[TaskType, int]:
        missing = [t.value for t in TaskType if t not in base]
        if missing:
            raise ValueError(f"missing base price for {missing}")
        return base

    @field_validator("size")
    @classmethod
    def _every_size(cls, size: dict[Size, int]) -> dict[Size, int]:
        missing = [s.value for s in Size if s not in size]
        if missing:
            raise ValueError(f"missing size surcharge for {missing}")
        return size


class Cancellation(Strict):
    # A student may cancel an accepted order for free within this grace; later the runner gets the fee.
    free_minutes_after_accept: int = Field(ge=0)
    fee_after_accept: Yuan


class Timeouts(Strict):
    pay_minutes: int = Field(gt=0)  # awaiting_payment → closed
    reannounce_minutes: int = Field(gt=0)  # open with no runner → announce again
    accept_minutes: int = Field(gt=0)  # open with no runner → expired, full refund
    offer_seconds: int = Field(gt=0)  # a named or auto-dispatched runner's exclusive offer
    pickup_minutes: int = Field(gt=0)  # accepted → back to open with a penalty
    deliver_minutes: int = Field(gt=0)  # picked up → should be delivered (reminder, exception)
    auto_confirm_hours: int = Field(gt=0)  # delivered → completed, runner paid

    @property
    def reannounce_every(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.reannounce_minutes)

    @model_validator(mode="after")
    def _reannounce_before_expiry(self) -> "Timeouts":
        if self.reannounce_minutes >= self.accept_minutes:
            raise ValueError("reannounce_minutes must be shorter than accept_minutes")
        return self


class CreditEvent(str, enum.Enum):
    completed = "completed"
    on_time = "on_time"
    five_star = "five_star"
    low_rating = "low_rating"  # 1 or 2 stars
    released = "released"  # runner gave an accepted order back
    pickup_timeout = "pickup_timeout"
    late_delivery = "late_delivery"
    complaint_upheld = "complaint_upheld"
    operator_adjustment = "operator_adjustment"


class CreditThresholds(Strict):
    priority: int  # at or above: auto-dispatch offers them orders before other runners (core.dispatch.preferred)
    warning: int  # below: warned
    restricted: int  # below: fewer concurrent orders
    suspended: int  # below: may not grab at all

    @model_validator(mode="after")
    def _ordered(self) -> "CreditThresholds":
        if not self.priority > self.warning > self.restricted > self.suspended:
            raise ValueError("thresholds must satisfy priority > warning > restricted > suspended")
        return self


class CreditRules(Strict):
    initial: int
    minimum: int = 0
    maximum: int
    changes: dict[CreditEvent, int]
    thresholds: CreditThresholds
    grab_floor: int  # below this a runner may not grab (the credit floor)

    @model_validator(mode="after")
    def _consistent(self) -> "CreditRules":
        # minimum <= grab_floor <= initial <= maximum: else a new runner starts unable to grab, or nobody ever can.
        if not self.minimum <= self.maximum:
            raise ValueError(f"minimum ({self.minimum}) is above maximum ({self.maximum})")
        if not self.minimum <= self.initial <= self.maximum:
            raise ValueError(f"initial ({self.initial}) must lie between minimum ({self.minimum}) and maximum "
                             f"({self.maximum})")
        if self.grab_floor > self.maximum:
            raise ValueError(f"grab_floor ({self.grab_floor}) is above maximum ({self.maximum}): no runner could "
                             "ever grab an order")
        if self.grab_floor > self.initial:
            raise ValueError(f"initial ({self.initial}) is below grab_floor ({self.grab_floor}): a new runner could "
                             "not grab an order")
        if self.grab_floor < self.minimum:
            raise ValueError(f"grab_floor ({self.grab_floor}) is below minimum ({self.minimum}), which no credit "
                             "goes below")
        if self.grab_floor < self.thresholds.suspended:
            raise ValueError("grab_floor may not be below the suspended threshold")
        return self


# The runner quiz's questions (handlers/runner.py QUIZ): a pass mark above it could never be reached.
QUIZ_QUESTIONS = 4


class RunnerRules(Strict):
    max_active_orders: int = Field(gt=0)
    restricted_max_active_orders: int = Field(gt=0)  # a runner of restricted credit: at most max_active_orders
    quiz_pass_mark: int = Field(ge=1)  # correct answers needed before a first grab

    @field_validator("quiz_pass_mark")
    @classmethod
    def _reachable_mark(cls, mark: int) -> int:
        if mark > QUIZ_QUESTIONS:
            raise ValueError(f"{mark} is more than the quiz's {QUIZ_QUESTIONS} questions: nobody could pass it")
        return mark

    @model_validator(mode="after")
    def _restricted_fewer(self) -> "RunnerRules":
        if self.restricted_max_active_orders > self.max_active_orders:
            raise ValueError(f"restricted_max_active_orders ({self.restricted_max_active_orders}) is more than "
                             f"max_active_orders ({self.max_active_orders}): restricted credit would allow more")
        return self


class DispatchMode(str, enum.Enum):
    hall = "hall"  # every order to the task hall, runners grab
    auto = "auto"  # offered to the best runner first, then to the hall


class DispatchWeights(Strict):
    # Cost of a (runner, order) pair, in "metres-equivalent": lower is better.
    per_active_order_m: float = Field(ge=0)
    per_credit_point_below_max_m: float = Field(ge=0)
    per_rating_star_below_5_m: float = Field(ge=0)
    max_pickup_distance_m: float = Field(gt=0)


class DispatchRules(Strict):
    mode: DispatchMode = DispatchMode.hall
    weights: DispatchWeights


class Channels(Strict):
    telegram_hall_chat_id: int | None = None
    telegram_admin_chat_id: int | None = None

    @model_validator(mode="after")
    def _hall_apart_from_admin_chat(self) -> "Channels":
        # One group as both: what a runner's grab answers privately went into it, and /grab there was refused.
        if self.telegram_hall_chat_id is not None and self.telegram_hall_chat_id == self.telegram_admin_chat_id:
            raise ValueError(f"telegram_hall_chat_id and telegram_admin_chat_id are both {self.telegram_hall_chat_id}: "
                             "the task hall and the operators' chat must be two groups")
        return self

    def groups(self) -> dict[int, str]:
        """The Telegram groups named, each with the field that names it."""
        return {chat: name for name in ("telegram_hall_chat_id", "telegram_admin_chat_id")
                if (chat := getattr(self, name)) is not None}


# "telegram:<numeric user id>" or "console:<persona>" (bot/console/lines.py PERSONA): anything else names nobody.
OPERATOR = re.compile(r"^(telegram:[1-9][0-9]{0,19}|console:[A-Za-z0-9_]{1,32})$")


def _operator(value: str) -> str:
    if not OPERATOR.match(value):
        raise ValueError(f"{value!r} is not an operator: write telegram:<numeric user id> (like telegram:123456789; "
                         "a @username is no id) or console:<name>")
    return value


Operator = Annotated[str, AfterValidator(_operator)]


class Campus(Strict):
    # At most 32: every campus_id column is VARCHAR(32) (storage/models.py).
    id: str = Field(pattern=r"^[a-z0-9_]+$", max_length=32)
    name: str
    name_en: str
    timezone: str
    walking_detour: float = Field(ge=1.0, le=3.0)  # walking distance = geodesic × detour
    nearby_radius_m: float = Field(gt=0)  # a shared location within this of a building picks it
    service_hours: tuple[ServiceWindow, ...] = Field(min_length=1)
    buildings: tuple[Building, ...] = Field(min_length=1)
    pricing: Pricing
    commission: Percent
    cancellation: Cancellation
    timeouts: Timeouts
    credit: CreditRules
    runners: RunnerRules
    dispatch: DispatchRules
    operators: tuple[Operator, ...] = ()  # "telegram:<user id>" or "console:<name>" of this campus's operators
    language: str = Field(default="zh_CN", pattern=r"^(zh_CN|en)$")  # for the task hall and operators' chat
    channels: Channels = Channels()

    @field_validator("service_hours")
    @classmethod
    def _hours_apart(cls, windows: tuple[ServiceWindow, ...]) -> tuple[ServiceWindow, ...]:
        if (day := overlapping_day(windows)) is not None:
            raise ValueError(f"two windows overlap on {day}: give each day's hours once (windows apart, like a "
                             "lunch break, are fine)")
        return windows

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {name!r}") from exc
        return name

    @model_validator(mode="after")
    def _buildings_consistent(self) -> "Campus":
        ids = [b.id for b in self.buildings]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate building id(s): {dup}")
        known = set(ids)
        for b in self.buildings:
            if b.transfer_point is not None:
                if b.transfer_point not in known:
                    raise ValueError(f"building {b.id}: transfer_point {b.transfer_point!r} is not a building id")
                if self.building(b.transfer_point).gender is not None:
                    raise ValueError(f"building {b.id}: transfer_point {b.transfer_point} must be open to everyone")
        seen: dict[str, str] = {}
        for b in self.buildings:
            for name in b.all_names():
                key = normalize_name(name)
                if key in seen and seen[key] != b.id:
                    raise ValueError(f"name {name!r} is used by both {seen[key]} and {b.id}")
                seen[key] = b.id
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def building(self, building_id: str) -> Building:
        for b in self.buildings:
            if b.id == building_id:
                return b
        raise KeyError(building_id)

    def credit_change(self, event: CreditEvent) -> int:
        return self.credit.changes.get(event, 0)


def normalize_name(name: str) -> str:
    """Case, width and spacing do not matter when a student types a building name."""
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", name).casefold().split())
