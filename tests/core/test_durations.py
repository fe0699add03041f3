"""Lengths of time as operators write them (/pause): digits, Chinese numerals, English words, every pair joined."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.durations import LOOKS_LIKE_TIME, written_minutes
from core.numbers import chinese_number, with_arabic_numerals


@pytest.mark.parametrize(("text", "number"), [
    ("三", 3), ("两", 2), ("十", 10), ("十五", 15), ("二十", 20), ("二十五", 25), ("一百二十", 120), ("一百零五", 105),
    ("三三", None), ("十百", None), ("", None),
])
def test_chinese_numerals(text, number):
    assert chinese_number(text) == number


def test_chinese_numerals_in_a_text_are_written_in_digits_and_anything_else_is_left():
    assert with_arabic_numerals("两小时 下雨") == "2小时 下雨"
    assert with_arabic_numerals("三三两两") == "三三两两"  # no number


@pytest.mark.parametrize(("text", "minutes"), [
    ("45", 45), ("４５", 45), ("45分钟", 45), ("90 min", 90), ("2h", 120), ("1.5 小时", 90), ("1h30", 90),
    ("1h30m", 90), ("1小时30分钟", 90), ("1 小时 30 分钟", 90), ("1 hour and 30 minutes", 90), ("2d", 2880),
    ("2 days 3 hours", 3060), ("1 week", 7 * 24 * 60),
    # Chinese numerals, 半 and English words
    ("两小时", 120), ("一小时", 60), ("十分钟", 10), ("三十分钟", 30), ("半小时", 30), ("半个小时", 30),
    ("一个半小时", 90), ("1小时半", 90), ("两个半小时", 150), ("半天", 720), ("half an hour", 30), ("an hour", 60),
    ("one hour", 60), ("two hours", 120), ("an hour and a half", 90), ("half a day", 720),
    # Before, these were no length (and /pause paused until /resume, showing them as the reason).
    ("a half hour", 30), ("quarter of an hour", 15), ("a quarter hour", 15), ("three quarters of an hour", 45),
    ("two and a half hours", 150), ("one and a half hours", 90), ("2 and a half hours", 150), ("一刻钟", 15),
    ("三刻钟", 45), ("俩小时", 120), ("俩钟头", 120), ("大约两小时", 120), ("约30分钟", 30), ("大概半小时", 30),
])
def test_a_length_of_time_is_read(text, minutes):
    assert written_minutes(text) == minutes


@pytest.mark.parametrize("text", [
    "0", "0d", "-30m", "~30m", "1h75m", "1.333d", "99999", "1e3", "18点", "6pm", "18:00", "1h 30", "30 2",
    "30 2nd", "2h1d", "小时", "半", "一", "an", "a storm", "half", "30 months", "a half", "quarter", "一刻", "约",
    "5 runners", "2 more hours",
])
def test_what_is_no_length_of_time(text):
    assert written_minutes(text) is None


@given(st.integers(min_value=1, max_value=9999))
def test_any_number_of_minutes_in_digits_reads_as_itself(minutes):
    assert written_minutes(str(minutes)) == minutes
    assert written_minutes(f"{minutes}分钟") == minutes


@pytest.mark.parametrize(("word", "looks"), [
    ("30m", True), ("-30m", True), ("~30m", True), ("18:00前", True), ("两小时", True), ("三点", True), ("半天", True),
    ("俩小时", True), ("一刻钟", True),
    ("下雨", False), ("rain", False), ("B2栋停电", False), ("两个跑腿员请假", False), ("an", False),
])
def test_what_starts_like_a_time(word, looks):
    assert bool(LOOKS_LIKE_TIME.match(word)) is looks
