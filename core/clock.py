"""The shape of a clock. core/ never reads the time itself: callers pass `now`, taken from one of these."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def local_day(tz: dt.tzinfo, at: dt.datetime) -> dt.date:
    """The date it is at `at` in the timezone (a campus's)."""
    return at.astimezone(tz).date()


def day_bounds(tz: dt.tzinfo, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """A day in the timezone, midnight to midnight, as a UTC [start, end)."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def moment_mark(at: dt.datetime) -> str:
    """A moment to the millisecond, for a button or a question to name which of several (a taking of an order, an
    application) it is about: two can fall within one second."""
    return str(int(at.timestamp() * 1000))
