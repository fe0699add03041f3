"""The shape of a clock. core/ never reads the time itself: callers pass `now`, taken from one of these."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]
