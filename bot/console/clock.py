"""The console's clock: real time (or a fixed start for scripts) plus however far the person moved it on."""
from __future__ import annotations

import datetime as dt
import re

from bot.clock import system_clock

_STEP = re.compile(r"(\d+)([dhms])")
_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
# The furthest one step moves the clock: no errand's timer is further, and a step past year 9999 cannot be computed.
MAX_STEP = dt.timedelta(days=3650)


class StepTooFar(ValueError):
    """A step longer than MAX_STEP, or one that would take the clock past what a datetime holds."""


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
        """The clock `delta` on; StepTooFar, and the clock unchanged, when that time cannot be told."""
        base = self._start if self._start is not None else system_clock()
        try:
            at = base + (self._offset + delta)
        except OverflowError:
            raise StepTooFar from None
        self._offset += delta
        return at

    def set(self, at: dt.datetime) -> dt.datetime:
        if self._start is not None:
            self._start, self._offset = at, dt.timedelta()
        else:
            self._offset = at - system_clock()
        return self()


def parse_step(text: str) -> dt.timedelta | None:
    """'+31m' → 31 minutes; '+1h30m', '+2d', '+90s' work too. None if it is not a step; StepTooFar past MAX_STEP."""
    text = text.strip()
    if not text.startswith("+") or len(text) < 3:
        return None
    rest, seconds = text[1:], 0
    pos = 0
    for match in _STEP.finditer(rest):
        if match.start() != pos:
            return None
        seconds += int(match.group(1)) * _SECONDS[match.group(2)]  # an int: no step is too big to add up
        pos = match.end()
    if pos != len(rest) or seconds == 0:
        return None
    if seconds > MAX_STEP.total_seconds():
        raise StepTooFar
    return dt.timedelta(seconds=seconds)


def parse_moment(text: str, tz: dt.tzinfo) -> dt.datetime | None:
    """An ISO time; without an offset it is read in the campus's timezone."""
    try:
        at = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return at.replace(tzinfo=tz) if at.tzinfo is None else at
