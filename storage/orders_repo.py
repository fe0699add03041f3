"""Orders in the database, mapped to the core's Order, and transitions applied atomically."""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from core import order as core_order
from core.errors import DomainError
from core.order import ACTIVE_FOR_RUNNER, Status, Transition
from storage.db import DbSession
from storage.models import Order as OrderRow
from storage.models import OrderEvent
from storage.sql import run_core

# Fields the state machine may change (the price only by dropping the coupon or paying a goods difference);
# everything else on the row is the order's description.
_MUTABLE = [
    f.name
    for f in dataclasses.fields(core_order.Order)
    if f.name not in {"id", "campus_id", "customer_id", "created_at", "service_fee", "tip", "commission",
                      "runner_share"}
]
# Built once (on the path of every order action); the SET columns come from the parameters (_MUTABLE).
_ORDERS = OrderRow.__table__
# The price too: a payment computed at the price before the coupon was dropped must not apply after it. And the
# goods' cost, which changes no status: an operator's figure for an unsaid cost must not apply over the runner's;
# nor a payment of the difference the runner asked for over the one they ask for now.
_COMPARE_AND_SET = update(_ORDERS).where(
    _ORDERS.c.id == bindparam("was_id"),
    _ORDERS.c.status == bindparam("was_status"),
    _ORDERS.c.runner_id.is_not_distinct_from(bindparam("was_runner")),
    _ORDERS.c.total == bindparam("was_total"),
    _ORDERS.c.goods_spent.is_not_distinct_from(bindparam("was_goods_spent")),
    _ORDERS.c.goods_extra == bindparam("was_goods_extra"),
    # Which taking: a runner who released the order and took it again meanwhile holds another one.
    _ORDERS.c.accepted_at.is_not_distinct_from(bindparam("was_accepted_at")),
)
_RECORD = insert(OrderEvent.__table__).returning(OrderEvent.__table__.c.id)
# Built once too: Session.get builds its SELECT (and that statement's cache key) on every call, which cost a third of
# reading the order; with populate_existing it skips the identity map anyway, so the two read alike.
_ROW_BY_ID = select(OrderRow).where(OrderRow.id == bindparam("id")).execution_options(populate_existing=True)
_HISTORY = select(OrderEvent).where(OrderEvent.order_id == bindparam("order_id")).order_by(OrderEvent.id)
# A runner is busy with an order in these states (the concurrent-order limit counts them).
RUNNER_BUSY = frozenset({Status.accepted, Status.picked_up})


class StaleOrder(DomainError):
    """Someone else moved the order first."""

    key = "error-order-changed"


def to_domain(row: OrderRow) -> core_order.Order:
    values = {f.name: getattr(row, f.name) for f in dataclasses.fields(core_order.Order)}
    values["status"] = Status(row.status)
    return core_order.Order(**values)


class OrderRepository:
    def __init__(self, session: DbSession) -> None:
        self.session = session
        # Rows compare_and_set brought up to date, by order id, with the transition that moved them.
        self._moved: dict[int, tuple[Transition, OrderRow]] = {}

    async def add(self, row: OrderRow) -> OrderRow:
        self.session.add(row)
        await self.session.flush()
        return row

    async def get_row(self, order_id: int) -> OrderRow | None:
        return (await self.session.execute(_ROW_BY_ID, {"id": order_id})).scalar_one_or_none()

    async def get(self, order_id: int) -> core_order.Order | None:
        row = await self.get_row(order_id)
        return to_domain(row) if row else None

    async def history(self, order_id: int) -> list[OrderEvent]:
        return list(await self.session.scalars(_HISTORY, {"order_id": order_id}))

    async def row_after(self, t: Transition) -> OrderRow | None:
        """The order as transition t left it: the session's row, which compare_and_set brought up to date, without
        reading it again; read when this session did not hold it."""
        moved = self._moved.get(t.after.id)
        if moved is not None and moved[0] is t:
            return moved[1]
        return await self.get_row(t.after.id)

    async def record(self, t: Transition, now: dt.datetime) -> int:
        """The transition in the order's history; returns the event's id. A Core insert: the ORM's unit of work
        for one new row cost several times the statement, on the path of every order action."""
        result = await run_core(self.session, _RECORD, {
            "order_id": t.before.id, "event": t.event.value, "from_status": t.before.status.value,
            "to_status": t.after.status.value, "actor_role": t.actor.role.value, "actor_id": t.actor.user_id,
            "runner_id": t.after.runner_id, "note": t.note, "at": now})
        return result.scalar_one()

    async def compare_and_set(self, t: Transition) -> None:
        """Write the new state only if the order is still as the transition found it; else StaleOrder."""
        values = {name: getattr(t.after, name) for name in _MUTABLE}
        values["status"] = t.after.status.value
        result = await run_core(self.session, _COMPARE_AND_SET, {
            **values, "was_id": t.before.id, "was_status": t.before.status.value, "was_runner": t.before.runner_id,
            "was_total": t.before.total, "was_goods_spent": t.before.goods_spent,
            "was_goods_extra": t.before.goods_extra, "was_accepted_at": t.before.accepted_at})
        if result.rowcount != 1:
            raise StaleOrder(order_id=t.before.id)
        # The UPDATE bypassed the ORM: the session's copy of the row (if it holds one) takes the new values as
        # loaded ones, so what is shown next is the order as it now is, without a second read.
        row = self.session.sync_session.identity_map.get(identity_key(OrderRow, t.before.id))
        if row is not None:
            for name, value in values.items():
                set_committed_value(row, name, value)
            self._moved[t.before.id] = (t, row)

    async def due(self, field: str, status: Status, now: dt.datetime, limit: int = 100, *,
                  campuses: list[str]) -> list[core_order.Order]:
        column = getattr(OrderRow, field)
        rows = await self.session.scalars(
            select(OrderRow)
            .where(OrderRow.status == status.value, column.is_not(None), column <= now,
                   OrderRow.campus_id.in_(campuses))
            .order_by(column)
            .limit(limit)
        )
        return [to_domain(r) for r in rows]

    async def active_for_runner(self, runner_id: int) -> list[core_order.Order]:
        rows = await self.session.scalars(
            select(OrderRow).where(
                OrderRow.runner_id == runner_id, OrderRow.status.in_([s.value for s in ACTIVE_FOR_RUNNER])
            )
        )
        return [to_domain(r) for r in rows]


def runner_load_changes(t: Transition) -> dict[int, int]:
    """How each runner's count of busy orders changes with this transition."""
    changes: dict[int, int] = {}
    if t.before.runner_id is not None and t.before.status in RUNNER_BUSY:
        changes[t.before.runner_id] = changes.get(t.before.runner_id, 0) - 1
    if t.after.runner_id is not None and t.after.status in RUNNER_BUSY:
        changes[t.after.runner_id] = changes.get(t.after.runner_id, 0) + 1
    return {k: v for k, v in changes.items() if v}
