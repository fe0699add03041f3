"""Service hours typed by an operator (/hours set): what they wrote is what is kept, and anything else is refused
with what could not be read."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.campus_file import load_campus
from core import service_hours
from core.campus import WEEKDAYS
from core.errors import InvalidInput
from core.pricing import in_window

DEMO = load_campus(Path(__file__).resolve().parents[2] / "campus" / "demo.yaml")
WEEKDAYS_ONLY = ("mon", "tue", "wed", "thu", "fri")


def windows(text: str) -> list[tuple[tuple[str, ...], str, str]]:
    return [(w.days, w.start.strftime("%H:%M"), w.end.strftime("%H:%M")) for w in service_hours.parse(text)]


@pytest.mark.parametrize("typed, kept", [
    ("07:00-23:30", [(WEEKDAYS, "07:00", "23:30")]),
    ("mon-fri 07:00-23:30 sat,sun 08:00-22:00",
     [(WEEKDAYS_ONLY, "07:00", "23:30"), (("sat", "sun"), "08:00", "22:00")]),
    ("sat sun 9:00 - 18:00", [(("sat", "sun"), "09:00", "18:00")]),
    ("周一至周五 7:00-13:00 16:00-23:00；周六、周日 8：00～22：00",
     [(WEEKDAYS_ONLY, "07:00", "13:00"), (WEEKDAYS_ONLY, "16:00", "23:00"), (("sat", "sun"), "08:00", "22:00")]),
    ("星期六 09:00到18:00 周日 10:00-17:00", [(("sat",), "09:00", "18:00"), (("sun",), "10:00", "17:00")]),
    ("fri-mon 22:00-02:00", [(("mon", "fri", "sat", "sun"), "22:00", "02:00")]),  # over the weekend, past midnight
    ("MON-FRI 07:00-23:30", [(WEEKDAYS_ONLY, "07:00", "23:30")]),
    ("mon—fri 07:00－23:30", [(WEEKDAYS_ONLY, "07:00", "23:30")]),  # an em dash, a full-width hyphen
    ("mon, tue 9:00-10:00 周六 ， 周日 10:00-11:00", [(("mon", "tue"), "09:00", "10:00"), (("sat", "sun"), "10:00", "11:00")]),
    ("7:00-13:00,16:00-23:00", [(WEEKDAYS, "07:00", "13:00"), (WEEKDAYS, "16:00", "23:00")]),
    ("mon-sat 07:00-23:30 sun 22:00-02:00", [(WEEKDAYS[:6], "07:00", "23:30"), (("sun",), "22:00", "02:00")]),
])
def test_what_is_typed_is_what_is_kept(typed, kept):
    assert windows(typed) == kept


def test_24_00_is_the_end_of_the_day_so_00_00_to_24_00_is_all_of_it():
    [all_day] = service_hours.parse("00:00-24:00")
    assert all(in_window(dt.time(h, m), all_day.start, all_day.end) for h in range(24) for m in (0, 59))
    [evening] = service_hours.parse("18:00-24:00")
    assert in_window(dt.time(23, 59, 59), evening.start, evening.end)
    assert not in_window(dt.time(0, 0), evening.start, evening.end)


@pytest.mark.parametrize("typed, key", [
    ("25:00-26:00", "hours-set-invalid"),
    ("07:60-08:00", "hours-set-invalid"),
    ("24:00-02:00", "hours-set-invalid"),  # 24:00 ends a day, it starts none
    ("open all day", "hours-set-invalid"),
    ("mon-fry 07:00-23:30", "hours-set-invalid"),
    ("08:00-08:00", "hours-set-empty"),
    ("mon-fri", "hours-set-no-range"),
    ("07:00-23:30 sat,sun", "hours-set-no-range"),  # days with no times after them
    (" ".join(f"{h:02d}:00-{h:02d}:30" for h in range(15)), "hours-set-too-many"),
    ("7:00-23:30 sat 9:00-18:00", "hours-set-overlap"),  # Saturday twice: shown as two hours, open as one
    ("mon-fri 22:00-02:00 sat 01:00-05:00", "hours-set-overlap"),  # Friday's night runs into Saturday
    ("sun 22:00-02:00 mon 01:00-05:00", "hours-set-overlap"),  # Sunday's night runs into Monday
    ("07:00-12:00 11:00-13:00", "hours-set-overlap"),
])
def test_what_cannot_be_read_is_refused_naming_it(typed, key):
    with pytest.raises(InvalidInput) as refused:
        service_hours.parse(typed)
    assert refused.value.key == key


def test_an_overlap_names_its_day_and_ranges_that_only_touch_do_not_overlap():
    with pytest.raises(InvalidInput) as refused:
        service_hours.parse("mon-fri 22:00-02:00 sat 01:00-05:00")
    assert refused.value.args_ == {"day": "sat"}
    assert len(service_hours.parse("07:00-12:00 12:00-13:00 sun 22:00-24:00")) == 3


def test_what_is_kept_reads_back_as_it_was_and_unreadable_keeps_the_files_hours():
    typed = service_hours.parse("mon-fri 07:00-24:00 sat 10:00-16:00")
    assert service_hours.loads(service_hours.dumps(typed)) == typed
    assert service_hours.loads("not json") is None and service_hours.loads("[]") is None
    assert service_hours.loads('[{"days": ["someday"], "start": "07:00", "end": "08:00"}]') is None


def test_the_campus_with_the_hours_set_changes_nothing_else():
    typed = service_hours.parse("10:00-16:00")
    changed = service_hours.with_hours(DEMO, typed)
    assert changed.service_hours == typed
    assert changed.model_copy(update={"service_hours": DEMO.service_hours}) == DEMO
