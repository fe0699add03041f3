"""The real clock; tests inject their own."""
from __future__ import annotations

import datetime as dt


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
