"""Numbers as people type them."""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

# A sign, digits and at most one decimal point, with a digit somewhere: no exponent, no NaN, no '1_000'.
_PLAIN_DECIMAL = re.compile(r"[+-]?(?=\.?\d)\d*(?:\.\d*)?")
# A time of day as people type it ('7:30', '07：30' with a Chinese keyboard's colon): hours and minutes captured.
CLOCK = r"(\d{1,2})[:：](\d{2})"
# What stands between the two ends of a range, on any keyboard: hyphens, dashes, tildes, 至 and 到.
RANGE_DASH = r"(?:-|－|–|—|~|～|至|到)"

# The sign a record's number may be written with ('#12'): '#', or '＃' as a Chinese keyboard types it.
NUMBER_SIGNS = ("#", "＃")

# The largest id a record can have: ids are INTEGER columns, and PostgreSQL refuses a larger number even to compare
# one with them.
MAX_ID = 2**31 - 1


def whole_number(text: str | None, *, max_digits: int = 12) -> int | None:
    """'42' or full-width '４２' → 42; None for anything else. str.isdigit() is not enough: it also accepts
    '²' and '①', which int() refuses."""
    raw = text or ""
    if not 0 < len(raw) <= max_digits or not raw.isdecimal():
        return None
    return int(raw)


def ascii_digits(text: str) -> str:
    """Any decimal digits (full-width '１２' as a Chinese keyboard types them) as 0-9; other characters unchanged.
    Unlike NFKC it leaves '②' and '²' alone, which are no digits one types."""
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


def numbered(text: str) -> bool:
    """Whether the text begins with a number sign: '#12', '＃12'."""
    return text.startswith(NUMBER_SIGNS)


def without_number_sign(text: str) -> str:
    """'#12' or '＃12' → '12': the number a number sign stands before; other text unchanged."""
    return text.lstrip("".join(NUMBER_SIGNS))


def record_id(text: str | None) -> int | None:
    """A record's number as typed or carried by a button, '12' → 12; None for what is no whole number or is one no
    record can have (past MAX_ID)."""
    number = whole_number(text, max_digits=len(str(MAX_ID)))
    return number if number is not None and number <= MAX_ID else None


def plain_decimal(text: str) -> Decimal | None:
    """'2', '-2.5', '.5' → a Decimal; None for anything else, including what Decimal() takes but nobody types as
    an amount ('1e1', 'NaN', 'Infinity', '1_000')."""
    match = _PLAIN_DECIMAL.fullmatch(text.strip())
    return Decimal(match[0]) if match else None
