"""The pricing rules an operator may change from chat (/pricing), by name, over what the campus file says.

Pure: the changes come in as a mapping of rule name to amount (fen; basis points for the commission) and a new
Campus comes out. The campus file stays the default; a change applies to quotes from then on, never to an order
already priced (its price is stored on it).
"""
from __future__ import annotations

from collections.abc import Mapping

from core.campus import Campus, Pricing, Size, TaskType
from core.errors import InvalidInput
from core.money import BASIS_POINTS, Fen, format_yuan

COMMISSION = "commission"  # the one rule in percent (basis points); every other one is an amount in fen
# An errand must cost something (its runner is paid, the ledger posts no empty completion), and a buy task must be
# able to carry some goods money.
NOT_ZERO = frozenset({"floor", "max_goods"})
MAX_AMOUNT: Fen = 100_000  # 1000 yuan: past any sensible price of an errand, so a slip of the keyboard is refused
# Rule name → the Pricing field it sets, for the amounts held directly on Pricing.
_PLAIN = {"urgent": "urgent", "floor": "floor_price", "queue": "queue_per_half_hour", "max_tip": "max_tip",
          "max_goods": "max_goods"}
# Rule name → (Pricing field, field of that part) for the amounts one level down.
_NESTED = {"distance": ("distance", "per_step"), "weight": ("weight", "per_kg"), "stairs": ("stairs", "per_floor"),
           "night": ("night", "amount")}


def rule_names(campus: Campus) -> tuple[str, ...]:
    """Every rule of this campus, in the order /pricing lists them (one per peak window the file has)."""
    return (*(f"base.{t.value}" for t in TaskType), "distance", "weight", *(f"size.{s.value}" for s in Size),
            "stairs", "night", *(f"peak.{i}" for i in range(1, len(campus.pricing.peaks) + 1)), "urgent", "queue",
            "floor", "max_tip", "max_goods", COMMISSION)


def value(campus: Campus, name: str) -> int:
    """The rule's amount on this campus: fen, or basis points for the commission."""
    p = campus.pricing
    kind, _, which = name.partition(".")
    if name == COMMISSION:
        return campus.commission
    if kind == "base":
        return p.base[TaskType(which)]
    if kind == "size":
        return p.size[Size(which)]
    if kind == "peak":
        return p.peaks[int(which) - 1].amount
    if name in _NESTED:
        part, field = _NESTED[name]
        return getattr(getattr(p, part), field)
    return getattr(p, _PLAIN[name])


def check(campus: Campus, name: str, amount: int) -> None:
    """Refuses a rule this campus does not have, or an amount out of its range."""
    if name not in rule_names(campus):
        raise InvalidInput("pricing-unknown-rule", rule=name, rules=", ".join(rule_names(campus)))
    if name == COMMISSION:
        if not 0 <= amount <= BASIS_POINTS:
            raise InvalidInput("pricing-percent-range")
    elif not 0 <= amount <= MAX_AMOUNT:
        raise InvalidInput("pricing-amount-range", max=format_yuan(MAX_AMOUNT))
    elif amount == 0 and name in NOT_ZERO:
        raise InvalidInput("pricing-not-zero", rule=name)


def stored_key(campus: Campus, name: str) -> str:
    """How a change to the rule is kept: a peak window by its hours ('peak@11:30-13:00'), not by its place in the
    file, so a change keeps to its window when the file's windows are reordered, and lapses when it is removed."""
    kind, _, which = name.partition(".")
    if kind != "peak":
        return name
    window = campus.pricing.peaks[int(which) - 1]
    return f"peak@{window.start.strftime('%H:%M')}-{window.end.strftime('%H:%M')}"


def rule_of(campus: Campus, key: str) -> str | None:
    """The rule a kept change is to (stored_key's inverse); None when the file no longer has it."""
    names = rule_names(campus)
    if key.startswith("peak@"):
        return next((name for name in names if name.startswith("peak.") and stored_key(campus, name) == key), None)
    return key if key in names else None


def with_rules(campus: Campus, changes: Mapping[str, int]) -> Campus:
    """The campus with these rules changed, named as they are kept (stored_key) or as /pricing names them. A change
    to a rule the file no longer has (a peak window removed since) is left out."""
    pricing: Pricing = campus.pricing
    commission = campus.commission
    for key, amount in changes.items():
        name = rule_of(campus, key)
        if name is None:
            continue
        kind, _, which = name.partition(".")
        if name == COMMISSION:
            commission = amount
        elif kind == "base":
            pricing = pricing.model_copy(update={"base": {**pricing.base, TaskType(which): amount}})
        elif kind == "size":
            pricing = pricing.model_copy(update={"size": {**pricing.size, Size(which): amount}})
        elif kind == "peak":
            peaks = list(pricing.peaks)
            peaks[int(which) - 1] = peaks[int(which) - 1].model_copy(update={"amount": amount})
            pricing = pricing.model_copy(update={"peaks": tuple(peaks)})
        elif name in _NESTED:
            part, field = _NESTED[name]
            pricing = pricing.model_copy(update={part: getattr(pricing, part).model_copy(update={field: amount})})
        else:
            pricing = pricing.model_copy(update={_PLAIN[name]: amount})
    return campus.model_copy(update={"pricing": pricing, "commission": commission})
