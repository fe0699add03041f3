"""Whole numbers as people type them."""
from __future__ import annotations


def whole_number(text: str | None, *, max_digits: int = 12) -> int | None:
    """'42' or full-width '４２' → 42; None for anything else. str.isdigit() is not enough: it also accepts
    '²' and '①', which int() refuses."""
    raw = text or ""
    if not 0 < len(raw) <= max_digits or not raw.isdecimal():
        return None
    return int(raw)
