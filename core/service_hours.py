"""Service hours an operator sets from chat (/hours set), over the campus file's: reading what they typed, and the
form the database keeps them in.

Pure. What is typed: time ranges, each for every day unless days come before it, which then hold for the ranges
after them until other days are named: '07:00-23:30', 'mon-fri 07:00-23:30 sat,sun 08:00-24:00',
'周一至周五 7:00-13:00 16:00-23:00'. A range may run past midnight (22:00-02:00); one ending at 24:00 runs to it.
"""
from __future__ import annotations

import datetime as dt
import json
import re

from pydantic import ValidationError

from core.campus import END_OF_DAY, WEEKDAYS, Campus, ServiceWindow, overlapping_day
from core.errors import InvalidInput
from core.numbers import CLOCK, RANGE_DASH

MAX_WINDOWS = 14  # two a day: past what any campus runs, so a pasted paragraph is refused, not kept
_DAY_NAMES = {**{d: d for d in WEEKDAYS},
              **{name: WEEKDAYS[i] for i, name in enumerate(("一", "二", "三", "四", "五", "六", "日"))},
              "天": "sun", "七": "sun"}
_DAY = r"(?:周|星期)?([a-z]{3}|[一二三四五六日天七])"
_DAY_SPAN = re.compile(rf"{_DAY}(?:{RANGE_DASH}{_DAY})?")
_RANGE = re.compile(rf"{CLOCK}{RANGE_DASH}{CLOCK}")
# Words are apart by spaces or semicolons, and by commas between time ranges ('7:00-13:00,16:00-23:00'); a comma
# between days lists them ('sat,sun'), spaces around it or not.
_SEPARATORS = re.compile(r"[\s;；]+|(?<=\d)[,，、]")
_TIGHT = re.compile(rf"\s*({RANGE_DASH}|[,，、])\s*")  # '07:00 - 23:30' is one range, 'sat, sun' one list
_LIST = re.compile(r"[,，、]")


def parse(text: str) -> tuple[ServiceWindow, ...]:
    """The windows an operator typed; InvalidInput naming what could not be read."""
    windows: list[ServiceWindow] = []
    days: tuple[str, ...] = WEEKDAYS
    days_unused = False  # days named with no range after them yet
    for word in (w for w in _SEPARATORS.split(_TIGHT.sub(r"\1", text.strip().lower())) if w):
        if m := _RANGE.fullmatch(word):
            start, end = _clock(m[1], m[2], word), _clock(m[3], m[4], word, end=True)
            if start == end:
                raise InvalidInput("hours-set-empty", text=word)
            windows.append(ServiceWindow(days=days, start=start, end=end))
            days_unused = False
        elif (named := _days(word)) is not None:  # 'sat sun' is 'sat,sun'
            days = tuple(d for d in WEEKDAYS if d in named or (days_unused and d in days))
            days_unused = True
        else:
            raise InvalidInput("hours-set-invalid", text=word[:20])
    if days_unused or not windows:
        raise InvalidInput("hours-set-no-range")
    if len(windows) > MAX_WINDOWS:
        raise InvalidInput("hours-set-too-many", max=MAX_WINDOWS)
    _refuse_overlaps(windows)
    return tuple(windows)


def _refuse_overlaps(windows: list[ServiceWindow]) -> None:
    """Two ranges that overlap on a day ('07:00-23:30 sat 09:00-18:00': Saturday twice) would be shown as two hours
    that read as different and open as their union: refused, naming the day, so what students read is what holds.
    Ranges apart from each other on one day (a lunch break) are kept. The campus file is held to the same rule."""
    if (day := overlapping_day(windows)) is not None:
        raise InvalidInput("hours-set-overlap", day=day)


def _clock(hours: str, minutes: str, word: str, *, end: bool = False) -> dt.time:
    h, m = int(hours), int(minutes)
    if (h, m) == (24, 0) and end:
        return END_OF_DAY
    if h > 23 or m > 59:
        raise InvalidInput("hours-set-invalid", text=word[:20])
    return dt.time(h, m)


def _days(word: str) -> tuple[str, ...] | None:
    """'mon-fri', 'sat,sun', '周一至周五', '周六、周日' → the weekdays, in week order; None if it is not days."""
    found: set[str] = set()
    for part in _LIST.split(word):
        m = _DAY_SPAN.fullmatch(part)
        if m is None or m[1] not in _DAY_NAMES or (m[2] is not None and m[2] not in _DAY_NAMES):
            return None
        first = WEEKDAYS.index(_DAY_NAMES[m[1]])
        last = WEEKDAYS.index(_DAY_NAMES[m[2]]) if m[2] else first
        span = range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)]  # fri-mon
        found.update(WEEKDAYS[i] for i in span)
    return tuple(d for d in WEEKDAYS if d in found)


def plain(windows: tuple[ServiceWindow, ...]) -> list[dict]:
    """As JSON holds them: days, and start and end as 'HH:MM:SS'."""
    return [w.model_dump(mode="json") for w in windows]


def dumps(windows: tuple[ServiceWindow, ...]) -> str:
    """As the database keeps them."""
    return json.dumps(plain(windows))


def loads(kept: str) -> tuple[ServiceWindow, ...] | None:
    """What dumps kept; None for what cannot be read (the campus file's hours then hold)."""
    try:
        windows = tuple(ServiceWindow.model_validate(w) for w in json.loads(kept))
    except (ValueError, TypeError, ValidationError):
        return None
    return windows or None


def with_hours(campus: Campus, windows: tuple[ServiceWindow, ...]) -> Campus:
    return campus.model_copy(update={"service_hours": windows})
