"""What a campus's operators changed from chat over its campus file: pricing rules (storage.pricing_changes) and
service hours (storage.hours_changes), read together in one statement wherever an input needs either."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import String, bindparam, literal, select, union_all

from storage.db import DbSession
from storage.models import HoursChange, PricingChange
from storage.sql import run_core

_RULES, _HOURS = PricingChange.__table__, HoursChange.__table__
_CAMPUS = bindparam("campus_id")
# A Core statement built once: read at most ordering steps, on the path of half the updates a busy bot handles. The
# hours come as a row of their own, told apart by a rule name no pricing rule has.
_HOURS_ROW = "@hours"
_OF_CAMPUS = union_all(
    select(_RULES.c.rule, _RULES.c.amount, literal(None, String).label("windows")).where(_RULES.c.campus_id == _CAMPUS),
    select(literal(_HOURS_ROW, String), literal(0), _HOURS.c.windows).where(_HOURS.c.campus_id == _CAMPUS),
)


@dataclass(frozen=True)
class CampusChanges:
    rules: dict[str, int] = field(default_factory=dict)  # pricing rule as kept → amount
    hours: str | None = None  # core.service_hours.dumps, or None: the file's hours


async def of_campus(session: DbSession, campus_id: str) -> CampusChanges:
    rules: dict[str, int] = {}
    hours = None
    for rule, amount, windows in (await run_core(session, _OF_CAMPUS, {"campus_id": campus_id})).all():
        if rule == _HOURS_ROW:
            hours = windows
        else:
            rules[rule] = amount
    return CampusChanges(rules, hours)
