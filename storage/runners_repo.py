"""Runner profiles: credit and the busy-order count change only through conditional updates."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, bindparam, case, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from core import credit
from core.campus import Campus, CreditEvent, Gender
from core.dispatch import RunnerCandidate
from core.errors import NotEligible
from storage.db import DbSession
from storage.models import CreditRecord, RunnerProfile, User
from storage.sql import run_core

# A runner who may work, and so has the runners' commands: approved, and suspended neither as a runner nor as a
# user. The one rule for menus, in SQL (bot/telegram/commands.py) and for a loaded profile (is_active_runner).
ACTIVE_RUNNER = and_(RunnerProfile.status == "approved", RunnerProfile.suspended.is_(False), User.suspended.is_(False))
# An approved runner suspended (as a runner or as a user): what they earned, and the orders they picked up, stay
# theirs (handlers.app.left_to_suspended, trip_left_to_suspended), so their menu keeps the commands for those.
SUSPENDED_RUNNER = and_(RunnerProfile.status == "approved",
                        or_(RunnerProfile.suspended.is_(True), User.suspended.is_(True)))


# The statements of every grab and order action, built once: building them per call (coercions, cache key) cost
# more than running them. The busy count's updates are Core ones, which skip the ORM's bulk-update machinery (it
# cost several times the statement); they return the new count for the session's copy of the profile.
_PROFILE_BY_ID = select(RunnerProfile).where(RunnerProfile.user_id == bindparam("user_id")).execution_options(
    populate_existing=True)
_CANDIDATE = select(RunnerProfile, User.suspended).join(User, User.id == RunnerProfile.user_id).where(
    RunnerProfile.user_id == bindparam("user_id"))
_PROFILES = RunnerProfile.__table__
_BUSY = _PROFILES.c.active_orders
# Not while suspended: a suspension committed after the grab read the runner (its take_back found nothing to take
# back yet) must not leave them the order.
_TAKE_SLOT = update(_PROFILES).where(_PROFILES.c.user_id == bindparam("runner"), _BUSY < bindparam("limit"),
                                     _PROFILES.c.suspended.is_(False)).values(active_orders=_BUSY + 1).returning(_BUSY)
_CHANGE_LOAD = update(_PROFILES).where(_PROFILES.c.user_id == bindparam("runner")).values(
    active_orders=case((_BUSY + bindparam("delta") < 0, 0), else_=_BUSY + bindparam("delta"))).returning(_BUSY)


def is_active_runner(profile: RunnerProfile | None, user_suspended: bool) -> bool:
    return profile is not None and profile.status == "approved" and not profile.suspended and not user_suspended


class RunnerRepository:
    def __init__(self, session: DbSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> RunnerProfile | None:
        return (await self.session.execute(_PROFILE_BY_ID, {"user_id": user_id})).scalar_one_or_none()

    async def candidate(self, user_id: int, now: dt.datetime) -> RunnerCandidate | None:
        """The runner as dispatch sees them at `now`; None if they never applied."""
        found = (await self.session.execute(_CANDIDATE, {"user_id": user_id})).first()
        if found is None:
            return None
        p, user_suspended = found
        return to_candidate(p, user_suspended, now)

    async def candidates(self, campus_id: str, now: dt.datetime) -> list[RunnerCandidate]:
        rows = await self.session.execute(
            select(RunnerProfile, User.suspended).join(User, User.id == RunnerProfile.user_id)
            .where(RunnerProfile.campus_id == campus_id, RunnerProfile.status == "approved")
        )
        return [to_candidate(p, s, now) for p, s in rows]

    async def take_slot(self, user_id: int, limit: int) -> None:
        """One more busy order, only while under the limit (two simultaneous grabs cannot both pass)."""
        busy = (await run_core(self.session, _TAKE_SLOT, {"runner": user_id, "limit": limit})).scalar_one_or_none()
        if busy is None:
            suspended = await self.session.scalar(
                select(RunnerProfile.suspended).where(RunnerProfile.user_id == user_id))
            if suspended:
                raise NotEligible("not-eligible-suspended")
            raise NotEligible("not-eligible-too-many", limit=limit)
        self._loaded_busy(user_id, busy)

    async def change_load(self, user_id: int, delta: int) -> None:
        busy = (await run_core(self.session, _CHANGE_LOAD, {"runner": user_id, "delta": delta})).scalar_one_or_none()
        if busy is not None:
            self._loaded_busy(user_id, busy)

    def _loaded_busy(self, user_id: int, busy: int) -> None:
        """The session's copy of the profile (if it holds one) takes the count the update left, as a loaded value,
        as the ORM's update would have brought it up to date."""
        profile = self.session.sync_session.identity_map.get(identity_key(RunnerProfile, user_id))
        if profile is not None:
            set_committed_value(profile, "active_orders", busy)

    async def apply_credit(
        self, campus: Campus, user_id: int, event: CreditEvent, now: dt.datetime, order_id: int | None = None,
        change: int | None = None,
    ) -> CreditRecord:
        """Apply a credit event in one clamped update and record it with the change it made (what the bounds left of
        the event's: a runner at 2 who releases an order loses 2, not 5); returns that record (its change, the new
        score)."""
        delta = campus.credit_change(event) if change is None else change
        # The score before, read under the update's lock (FOR UPDATE; SQLite runs one writer at a time).
        before = (await self.session.execute(
            select(RunnerProfile.credit).where(RunnerProfile.user_id == user_id).with_for_update())).scalar_one()
        score = credit.moved(campus.credit, before, delta)
        await self.session.execute(update(RunnerProfile).where(RunnerProfile.user_id == user_id).values(credit=score))
        record = CreditRecord(runner_id=user_id, event=event.value, change=score - before, score_after=score,
                              order_id=order_id, at=now)
        self.session.add(record)
        return record

    async def add_rating(self, user_id: int, stars: int) -> None:
        await self.session.execute(
            update(RunnerProfile)
            .where(RunnerProfile.user_id == user_id)
            .values(rating_sum=RunnerProfile.rating_sum + stars, rating_count=RunnerProfile.rating_count + 1)
        )


# A tracked position older than this says little about where the runner is now (they stopped sharing): unknown.
TRACKED_FRESH_FOR = dt.timedelta(minutes=10)


def position(p: RunnerProfile, now: dt.datetime) -> tuple[float, float] | None:
    """Where dispatch may place the runner at `now`: the position tracked while they carry an order, while fresh,
    else the availability point of the live location they share while idle, until it lapses; None: unknown."""
    if (p.last_lat is not None and p.last_lon is not None and p.last_seen_at is not None
            and now - p.last_seen_at <= TRACKED_FRESH_FOR):
        return p.last_lat, p.last_lon
    if (p.available_lat is not None and p.available_lon is not None and p.available_until is not None
            and p.available_until > now):
        return p.available_lat, p.available_lon
    return None


def to_candidate(p: RunnerProfile, user_suspended: bool, now: dt.datetime) -> RunnerCandidate:
    lat, lon = position(p, now) or (None, None)
    return RunnerCandidate(
        user_id=p.user_id,
        gender=Gender(p.gender),
        lat=lat,
        lon=lon,
        active_orders=p.active_orders,
        credit=p.credit,
        rating=(p.rating_sum / p.rating_count) if p.rating_count else None,
        campus_id=p.campus_id,
        approved=p.status == "approved",
        rejected=p.status == "rejected",
        suspended=p.suspended or user_suspended,
        quiz_passed=p.quiz_passed,
    )
