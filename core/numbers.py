"""Numbers as people type them."""
from __future__ import annotations

import re
from decimal import Decimal

# A sign, digits and at most one decimal point, with a digit somewhere: no exponent, no NaN, no '1_000'.
_PLAIN_DECIMAL = re.compile(r"[+-]?(?=\.?\d)\d*(?:\.\d*)?")


def whole_number(text: str | None, *, max_digits: int = 12) -> int | None:
    """'42' or full-width '４２' → 42; None for anything else. str.isdigit() is not enough: it also accepts
    '²' and '①', which int() refuses."""
    raw = text or ""
    if not 0 < len(raw) <= max_digits or not raw.isdecimal():
        return None
    return int(raw)


def plain_decimal(text: str) -> Decimal | None:
    """'2', '-2.5', '.5' → a Decimal; None for anything else, including what Decimal() takes but nobody types as
    an amount ('1e1', 'NaN', 'Infinity', '1_000')."""
    match = _PLAIN_DECIMAL.fullmatch(text.strip())
    return Decimal(match[0]) if match else None
