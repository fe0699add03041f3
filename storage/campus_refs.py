"""What orders under way need of the campus files: their campus and their buildings. An order keeps only a
building's id; the file says where it is, whose dorm it is and what it is called, for every timer, grab and card
of the order until it ends."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from core.campus import Campus
from core.order import FINAL
from storage.db import Database
from storage.models import Order as OrderRow
from storage.uow import UnitOfWork


async def missing_references(db: Database, campuses: Iterable[Campus]) -> dict[str, list[int]]:
    """What the campus files no longer have that orders under way use: 'campus' or 'campus: building' → order ids."""
    known = {c.id: {b.id for b in c.buildings} for c in campuses}
    missing: dict[str, list[int]] = {}
    async with UnitOfWork(db, write=False) as uow:
        rows = await uow.session.execute(
            select(OrderRow.id, OrderRow.campus_id, OrderRow.pickup_building, OrderRow.dropoff_building)
            .where(OrderRow.status.not_in([s.value for s in FINAL])).order_by(OrderRow.id))
        for order_id, campus_id, pickup, dropoff in rows:
            if campus_id not in known:
                missing.setdefault(campus_id, []).append(order_id)
                continue
            for building in dict.fromkeys(b for b in (pickup, dropoff) if b is not None):
                if building not in known[campus_id]:
                    missing.setdefault(f"{campus_id}: {building}", []).append(order_id)
    return missing
