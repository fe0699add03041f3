"""Lengths of time as people write them, in minutes: how long an operator pauses ordering for (/pause).

Pure. Number-and-unit pairs, the biggest unit first ('1h30m', '1 小时 30 分钟', '2 days 3 hours', '1 hour and 30
minutes'); numbers in digits (full width too), in common Chinese numerals ('两小时', '俩小时', '三十分钟', '一个半小时',
'半天', '一刻钟') or in a few English words ('an hour', 'two hours', 'half an hour', 'a half hour', 'two and a half
hours', 'quarter of an hour'); a leading 大约, 大概 or 约 is no part of it. A bare number is minutes, alone ('30') or
right after hours ('1h30', '1小时30'). Anything else, a part of a minute, or nothing at all, is no length.
"""
from __future__ import annotations

import re
from decimal import Decimal

from core.numbers import ascii_digits, with_arabic_numerals

MINUTES_PER = {"week": 7 * 24 * 60, "day": 24 * 60, "hour": 60, "minute": 1}
# How each unit is written after its number, longer spellings first (a regex alternation takes the first that fits).
UNIT_WORDS = {
    "week": r"个?星期|个?礼拜|周|weeks?|wks?|w",
    "day": r"天|日|days?|d",
    "hour": r"个?小时|个?钟头|hours?|hrs?|h",
    "minute": r"分钟|分|minutes?|mins?|m",
}
_ANY_UNIT = "|".join(UNIT_WORDS.values())
_PAIR = re.compile(r"(?P<gap>\s*(?:and\s+)?)(?P<n>\d{1,4}(?:\.\d{1,2})?)\s*(?:"
                   + "|".join(f"(?P<{unit}>{words})" for unit, words in UNIT_WORDS.items()) + ")?")
# English number words as digits (a/an: 'an hour'); 'half' is read as 半 below, with its unit.
_ENGLISH_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
                    "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90}
_ENGLISH_WORD = re.compile(r"(?<![a-z0-9])[a-z]+(?:-[a-z]+)?(?![a-z0-9])")  # 'two半' (and a half) too
# Quarters of an hour, as minutes: 'quarter of an hour', 'a quarter hour', 'three quarters of an hour'.
_QUARTERS = ((re.compile(r"\b(?:three|3)\s+quarters\s+(?:of\s+)?(?:an?\s+)?hour\b"), "45 minutes"),
             (re.compile(r"\b(?:(?:an?|one|1)\s+)?quarter\s+(?:of\s+)?(?:an?\s+)?hour\b"), "15 minutes"))
_ENGLISH_HALF = ((re.compile(r"\s*\band a half\b"), "半"), (re.compile(r"\ban?\s+half\s+(?=[a-z])"), "半"),
                 (re.compile(r"\bhalf\s+(?:an?\s+)?"), "半"))
_AND_A_HALF = re.compile(rf"(\d+)(\s*)({_ANY_UNIT})\s*半")  # '1小时半', '1 hour and a half' → 1.5 hours
_AND_HALF = re.compile(r"(\d+)个半")  # '一个半小时' → 1.5个小时
_NUMBER_HALF = re.compile(rf"(\d+)半(?=\s*(?:{_ANY_UNIT}))")  # 'two and a half hours' → 2.5 hours
_HALF = re.compile(rf"半(?=\s*个?(?:{_ANY_UNIT}))")  # '半小时', '半天', 'half an hour'
_KE_ZHONG = re.compile(r"(\d+)\s*刻钟")  # '一刻钟': a quarter of an hour
_ABOUT = re.compile(r"(?:大约|大概|约)\s*")  # '大约两小时': the length all the same
# What starts like a length or a time of day, so it must read as one: a digit, perhaps after a sign or a '~' ('-30m',
# '~30m', '18:00前'), or a Chinese numeral with a unit of time ('两小时', '三点').
LOOKS_LIKE_TIME = re.compile(r"[-+~～约]?\d|"
                             r"[零〇一二两俩三四五六七八九十百半]+个?(?:小时|钟头|分|天|日|周|星期|礼拜|点|刻)")


def as_digits(text: str) -> str:
    """The text casefolded, with its numbers (Chinese, English words, a half) written as digits."""
    text = with_arabic_numerals(ascii_digits(text.casefold()).replace("俩", "两个"))  # 俩: 两个, colloquially
    text = _KE_ZHONG.sub(lambda m: f"{int(m[1]) * 15}分钟", text)
    for pattern, words in (*_QUARTERS, *_ENGLISH_HALF):
        text = pattern.sub(words, text)
    text = _ENGLISH_WORD.sub(lambda m: str(_ENGLISH_NUMBERS.get(m[0], m[0])), text)
    text = _AND_HALF.sub(r"\1.5个", text)
    text = _AND_A_HALF.sub(r"\1.5\2\3", text)
    text = _NUMBER_HALF.sub(r"\1.5", text)
    return _HALF.sub("0.5", text)


def written_minutes(text: str) -> int | None:
    """'45', '45分钟', '2h', '1.5 小时', '1h30', '1 小时 30 分钟', '2d', '两小时', '半小时', 'half an hour' → minutes;
    None for anything else, for 0, and for a part of a minute. Each unit at most once, biggest first, and less than
    one of the unit before it ('1h75m' is no length)."""
    text = text.strip()
    if about := _ABOUT.match(text):
        text = text[about.end():]
    raw = as_digits(text).strip()
    total, at, before = Decimal(0), 0, None  # before: the unit of the pair before, in minutes
    while at < len(raw):
        m = _PAIR.match(raw, at)
        if m is None or m.end() == at:
            return None
        unit = next((u for u in MINUTES_PER if m[u]), None)
        if unit is None:  # a bare number: minutes, alone as typed in digits, or straight after hours ('1h30')
            alone = before is None and m.end() == len(raw) and ascii_digits(text.strip()).isdigit()
            if not (alone or (before == MINUTES_PER["hour"] and not m["gap"])):
                return None
            unit = "minute"
        minutes = Decimal(m["n"]) * MINUTES_PER[unit]
        if before is not None and (MINUTES_PER[unit] >= before or minutes >= before):
            return None
        total, at, before = total + minutes, m.end(), MINUTES_PER[unit]
    if not total or total % 1:
        return None
    return int(total)
