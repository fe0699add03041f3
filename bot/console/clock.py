"""The console's clock: real time (or a fixed start for scripts) plus however far the person moved it on."""
from __future__ import annotations

import datetime as dt
import re

from bot.clock import system_clock

_STEP = re.compile(r"(\d+)([dhms])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


class ConsoleClock:
    """Callable like every clock. Frozen at `start` (scripts: deterministic) or running with the system clock."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("the console clock needs an aware start time")
        self._start = start
        self._offset = dt.timedelta()

    @property
    def frozen(self) -> bool:
        return self._start is not None

    def __call__(self) -> dt.datetime:
        base = self._start if self._start is not None else system_clock()
        return base + self._offset

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        self._offset += delta
        return self()

    def set(self, at: dt.datetime) -> dt.datetime:
        if self._start is not None:
            self._start, self._offset = at, dt.timedelta()
        else:
            self._offset = at - system_clock()
        return self()


def parse_step(text: str) -> dt.timedelta | None:
    """'+31m' → 31 minutes; '+1h30m', '+2d', '+90s' work too. None if it is not a step."""
    text = text.strip()
    if not text.startswith("+") or len(text) < 3:
        return None
    rest, delta = text[1:], dt.timedelta()
    pos = 0
    for match in _STEP.finditer(rest):
        if match.start() != pos:
            return None
        delta += dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        pos = match.end()
    return delta if pos == len(rest) and delta > dt.timedelta() else None


def parse_moment(text: str, tz: dt.tzinfo) -> dt.datetime | None:
    """An ISO time; without an offset it is read in the campus's timezone."""
    try:
        at = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return at.replace(tzinfo=tz) if at.tzinfo is None else at
