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

# Chinese numerals as small numbers are written ('三', '十五', '二十', '一百零五'): digits, and the tens, hundreds and
# thousands they count.
_CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
                   "九": 9}
_CHINESE_TENS = {"十": 10, "百": 100, "千": 1000}
_CHINESE_NUMBER = re.compile(f"[{''.join(_CHINESE_DIGITS)}{''.join(_CHINESE_TENS)}]+")

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


def chinese_number(text: str) -> int | None:
    """'三' → 3, '两' → 2, '十' → 10, '二十五' → 25, '一百零五' → 105; None for what is written no such way ('三三',
    '十百')."""
    total, digit, last = 0, None, 10_000  # last: the tens, hundreds… counted before, which must grow smaller
    for c in text:
        if c in _CHINESE_TENS:
            if _CHINESE_TENS[c] >= last:
                return None
            total += (1 if digit is None else digit) * _CHINESE_TENS[c]
            digit, last = None, _CHINESE_TENS[c]
        elif digit is not None:  # two digits in a row
            return None
        elif _CHINESE_DIGITS[c]:  # 零 only holds a place ('一百零五')
            digit = _CHINESE_DIGITS[c]
    return total + (digit or 0) if text else None


def with_arabic_numerals(text: str) -> str:
    """The text with each Chinese numeral written in digits ('两小时' → '2小时'); one that is no number is left."""
    def digits(m: re.Match[str]) -> str:
        number = chinese_number(m[0])
        return m[0] if number is None else str(number)
    return _CHINESE_NUMBER.sub(digits, text)


def plain_decimal(text: str) -> Decimal | None:
    """'2', '-2.5', '.5' → a Decimal; None for anything else, including what Decimal() takes but nobody types as
    an amount ('1e1', 'NaN', 'Infinity', '1_000')."""
    match = _PLAIN_DECIMAL.fullmatch(text.strip())
    return Decimal(match[0]) if match else None
