"""Runner credit: score changes per event, standing from thresholds, what a standing allows. Pure.

Every number comes from the campus file (CreditRules, RunnerRules); nothing here is a literal policy.
"""
from __future__ import annotations

from enum import Enum

from core.campus import Campus, CreditEvent, CreditRules
from core.errors import InvalidInput


class Standing(str, Enum):
    priority = "priority"  # at or above thresholds.priority: auto-dispatch offers them orders first (core.dispatch)
    normal = "normal"
    warning = "warning"  # below thresholds.warning
    restricted = "restricted"  # below thresholds.restricted: fewer concurrent orders
    suspended = "suspended"  # below thresholds.suspended: may not grab at all


def _clamp(rules: CreditRules, score: int) -> int:
    return max(rules.minimum, min(rules.maximum, score))


def moved(rules: CreditRules, score: int, delta: int) -> int:
    """The score after an event's change: clamped to [minimum, maximum], but never moved against the change's sign.
    A score a narrowed campus file left out of bounds is not pulled back by a completed order (recorded as a loss)
    or pushed up by a penalty: the next change that goes that way brings it in."""
    after = _clamp(rules, score + delta)
    return score if delta == 0 else max(score, after) if delta > 0 else min(score, after)


def adjust(rules: CreditRules, score: int, delta: int) -> int:
    """Add an arbitrary delta (an operator adjustment), clamped to [minimum, maximum]."""
    return _clamp(rules, score + delta)


def apply(rules: CreditRules, score: int, event: CreditEvent, times: int = 1) -> int:
    """The score after `event` happened `times` times: each adds rules.changes[event] (0 if the campus sets none),
    clamped to [minimum, maximum] after each step, so apply(s, e, a + b) == apply(apply(s, e, a), e, b)."""
    if isinstance(times, bool) or not isinstance(times, int) or times < 0:
        raise ValueError(f"times must be a non-negative integer, got {times!r}")
    if times == 0:
        return score
    delta = rules.changes.get(event, 0)
    # All steps have the same sign, so once the first step has brought the score into range, clamping after each
    # further step equals clamping once at the end.
    return _clamp(rules, _clamp(rules, score + delta) + delta * (times - 1))


def standing(rules: CreditRules, score: int) -> Standing:
    t = rules.thresholds
    if score >= t.priority:
        return Standing.priority
    if score < t.suspended:
        return Standing.suspended
    if score < t.restricted:
        return Standing.restricted
    if score < t.warning:
        return Standing.warning
    return Standing.normal


def told_score(rules: CreditRules, score: int) -> dict[str, int | str]:
    """A score as runners and operators are told it (a message's credit, standing and floor): the standing
    "below_floor" under the grab floor (where a runner takes no order at all, whatever the thresholds call the score,
    e.g. "restricted"), else standing()'s."""
    s = standing(rules, score)
    told = "below_floor" if s is not Standing.suspended and score < rules.grab_floor else s.value
    return {"credit": score, "standing": told, "floor": rules.grab_floor}


def may_grab(rules: CreditRules, score: int) -> bool:
    """A runner may grab (or be offered) new orders only at or above the credit floor and when not suspended."""
    return score >= rules.grab_floor and standing(rules, score) is not Standing.suspended


def max_active_orders(campus: Campus, score: int) -> int:
    """How many orders a runner may carry at once. Suspended: 0; restricted: the restricted limit; else the normal.

    This is about carrying, not grabbing: a restricted runner below grab_floor keeps this limit but may_grab is
    False, so callers that hand out new orders must check both.
    """
    s = standing(campus.credit, score)
    if s is Standing.suspended:
        return 0
    if s is Standing.restricted:
        return restricted_limit(campus)
    return campus.runners.max_active_orders


def restricted_limit(campus: Campus) -> int:
    """How many orders a restricted runner may carry: never more than a runner in good standing, even if the file
    says otherwise."""
    return min(campus.runners.restricted_max_active_orders, campus.runners.max_active_orders)


def rating_events(stars: int) -> list[CreditEvent]:
    """Credit events a customer's rating causes: 5 stars → five_star, 1–2 → low_rating, 3–4 → none."""
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise InvalidInput(stars=stars)
    if stars == 5:
        return [CreditEvent.five_star]
    if stars <= 2:
        return [CreditEvent.low_rating]
    return []
