"""Runner profiles: credit and the busy-order count change only through conditional updates."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, select, update

from core.campus import Campus, CreditEvent, Gender
from core.dispatch import RunnerCandidate
from core.errors import NotEligible
from storage.db import DbSession
from storage.models import CreditRecord, RunnerProfile, User

# A runner who may work, and so has the runners' commands: approved, and suspended neither as a runner nor as a
# user. The one rule for menus, in SQL (bot/telegram/commands.py) and for a loaded profile (is_active_runner).
ACTIVE_RUNNER = and_(RunnerProfile.status == "approved", RunnerProfile.suspended.is_(False), User.suspended.is_(False))


def is_active_runner(profile: RunnerProfile | None, user_suspended: bool) -> bool:
    return profile is not None and profile.status == "approved" and not profile.suspended and not user_suspended


class RunnerRepository:
    def __init__(self, session: DbSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> RunnerProfile | None:
        return await self.session.get(RunnerProfile, user_id, populate_existing=True)

    async def candidate(self, user_id: int, now: dt.datetime) -> RunnerCandidate | None:
        """The runner as dispatch sees them at `now`; None if they never applied."""
        row = await self.session.execute(
            select(RunnerProfile, User.suspended).join(User, User.id == RunnerProfile.user_id)
            .where(RunnerProfile.user_id == user_id)
        )
        found = row.first()
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
        result = await self.session.execute(
            update(RunnerProfile)
            .where(RunnerProfile.user_id == user_id, RunnerProfile.active_orders < limit)
            .values(active_orders=RunnerProfile.active_orders + 1)
        )
        if result.rowcount != 1:
            raise NotEligible("not-eligible-too-many", limit=limit)

    async def change_load(self, user_id: int, delta: int) -> None:
        await self.session.execute(
            update(RunnerProfile)
            .where(RunnerProfile.user_id == user_id)
            .values(active_orders=case((RunnerProfile.active_orders + delta < 0, 0), else_=RunnerProfile.active_orders + delta))
        )

    async def apply_credit(
        self, campus: Campus, user_id: int, event: CreditEvent, now: dt.datetime, order_id: int | None = None,
        change: int | None = None,
    ) -> int:
        """Apply a credit event in one clamped update and record it; returns the new score."""
        delta = campus.credit_change(event) if change is None else change
        rules = campus.credit
        new = RunnerProfile.credit + delta
        result = await self.session.execute(
            update(RunnerProfile)
            .where(RunnerProfile.user_id == user_id)
            .values(credit=case((new > rules.maximum, rules.maximum), (new < rules.minimum, rules.minimum), else_=new))
            .returning(RunnerProfile.credit)
        )
        score = result.scalar_one()
        self.session.add(
            CreditRecord(runner_id=user_id, event=event.value, change=delta, score_after=score, order_id=order_id, at=now)
        )
        return score

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
        suspended=p.suspended or user_suspended,
        quiz_passed=p.quiz_passed,
    )
