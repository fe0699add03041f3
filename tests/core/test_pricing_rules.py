"""Pricing rules changed from chat: each name changes exactly its rule, and the quote follows."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.campus_file import load_campus
from core import pricing_rules
from core.campus import Size, TaskType
from core.errors import InvalidInput
from core.money import share
from core.pricing import QuoteRequest, quote

DEMO = load_campus(Path(__file__).resolve().parents[2] / "campus" / "demo.yaml")
QUIET = dt.datetime(2025, 3, 5, 15, 0, tzinfo=DEMO.tz)  # neither night nor peak


def test_the_rules_are_named_after_the_campus_file_with_one_per_peak_window():
    names = pricing_rules.rule_names(DEMO)
    assert names[:5] == ("base.parcel", "base.buy", "base.deliver", "base.queue", "base.custom")
    assert ("peak.1" in names and "peak.2" in names and "peak.3" not in names) and len(DEMO.pricing.peaks) == 2
    assert names[-1] == "commission"
    assert pricing_rules.value(DEMO, "base.buy") == 400 and pricing_rules.value(DEMO, "commission") == 1500
    assert pricing_rules.value(DEMO, "night") == 200 and pricing_rules.value(DEMO, "peak.2") == 100


@pytest.mark.parametrize("rule", pricing_rules.rule_names(DEMO))
def test_changing_a_rule_changes_that_rule_and_no_other(rule):
    changed = pricing_rules.with_rules(DEMO, {rule: 1234})
    for other in pricing_rules.rule_names(DEMO):
        expected = 1234 if other == rule else pricing_rules.value(DEMO, other)
        assert pricing_rules.value(changed, other) == expected, other
    assert pricing_rules.value(DEMO, rule) != 1234  # the file's campus is left as it was


def test_a_quote_follows_the_changed_rules():
    req = QuoteRequest(task_type=TaskType.buy, pickup=DEMO.building("supermarket"), dropoff=DEMO.building("library"),
                       weight_g=0, size=Size.large, at=QUIET)
    before = quote(DEMO, req)
    after = quote(pricing_rules.with_rules(DEMO, {"base.buy": 600, "size.large": 0, "commission": 1000}), req)
    assert after.service_fee == before.service_fee + 200 - DEMO.pricing.size[Size.large]
    assert after.commission == share(after.service_fee, 1000)
    assert "price-size" not in [line.key for line in after.lines]  # a rule at 0 costs nothing, so it is not listed


def test_a_change_to_a_peak_window_the_file_no_longer_has_is_left_out():
    assert pricing_rules.with_rules(DEMO, {"peak.3": 500}) == DEMO


def test_check_refuses_unknown_rules_and_amounts_out_of_range():
    with pytest.raises(InvalidInput) as unknown:
        pricing_rules.check(DEMO, "base.pizza", 100)
    assert unknown.value.key == "pricing-unknown-rule" and "base.buy" in unknown.value.args_["rules"]
    pricing_rules.check(DEMO, "urgent", 0)
    pricing_rules.check(DEMO, "urgent", pricing_rules.MAX_AMOUNT)
    with pytest.raises(InvalidInput) as too_much:
        pricing_rules.check(DEMO, "urgent", pricing_rules.MAX_AMOUNT + 1)
    assert (too_much.value.key, too_much.value.args_) == ("pricing-amount-range", {"max": "1000.00"})
    pricing_rules.check(DEMO, "commission", 10_000)
    with pytest.raises(InvalidInput) as percent:
        pricing_rules.check(DEMO, "commission", 10_001)
    assert percent.value.key == "pricing-percent-range"


def test_a_peak_change_keeps_to_its_window_when_the_file_reorders_or_removes_windows():
    key = pricing_rules.stored_key(DEMO, "peak.2")
    assert key == "peak@17:00-18:30" and pricing_rules.stored_key(DEMO, "base.buy") == "base.buy"
    assert pricing_rules.value(pricing_rules.with_rules(DEMO, {key: 250}), "peak.2") == 250
    peaks = DEMO.pricing.peaks
    reordered = DEMO.model_copy(update={"pricing": DEMO.pricing.model_copy(update={"peaks": peaks[::-1]})})
    changed = pricing_rules.with_rules(reordered, {key: 250})
    assert (pricing_rules.value(changed, "peak.1"), pricing_rules.value(changed, "peak.2")) == (250, 100)
    assert pricing_rules.rule_of(reordered, key) == "peak.1"
    removed = DEMO.model_copy(update={"pricing": DEMO.pricing.model_copy(update={"peaks": peaks[:1]})})
    assert pricing_rules.with_rules(removed, {key: 250}) == removed and pricing_rules.rule_of(removed, key) is None
