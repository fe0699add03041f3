"""Building users, runners and orders for tests through the same paths the product uses."""
from __future__ import annotations

import datetime as dt
import itertools

from core import ledger
from core.campus import Campus, Gender, Size, TaskType
from core.order import Actor, Event, Role, transition
from core.pricing import Discount, QuoteRequest, quote
from storage.crypto import Cipher
from storage.db import Database
from storage.models import Order as OrderRow
from storage.models import RunnerProfile, User
from storage.transitions import apply_transition
from storage.uow import UnitOfWork

CIPHER_KEY = Cipher.new_key()
CIPHER = Cipher([CIPHER_KEY])
FREE_COUPON = Discount("FREE", percent_off_bp=10_000)  # the whole service fee: the student pays nothing
_ids = itertools.count(1)


async def make_user(db: Database, campus: Campus, now: dt.datetime, *, name: str = "", phone: str | None = None,
                    room: str | None = None) -> int:
    async with UnitOfWork(db) as uow:
        user = User(channel="console", external_id=name or f"user{next(_ids)}", campus_id=campus.id,
                    display_name=name, phone_enc=CIPHER.encrypt(phone), room_enc=CIPHER.encrypt(room), created_at=now)
        uow.session.add(user)
        await uow.session.flush()
        return user.id  # type: ignore[return-value]


async def make_runner(db: Database, campus: Campus, now: dt.datetime, *, gender: Gender = Gender.male,
                      credit: int | None = None, approved: bool = True, quiz: bool = True,
                      active_orders: int = 0, campus_id: str | None = None) -> int:
    user_id = await make_user(db, campus, now)
    async with UnitOfWork(db) as uow:
        uow.session.add(RunnerProfile(
            user_id=user_id, campus_id=campus_id or campus.id, status="approved" if approved else "pending", gender=gender.value,
            real_name_enc=CIPHER.encrypt("测试"), student_no_enc=CIPHER.encrypt("2024000"), quiz_passed=quiz,
            credit=campus.credit.initial if credit is None else credit, active_orders=active_orders, applied_at=now,
        ))
    return user_id


async def top_up(db: Database, user_id: int, amount: int, now: dt.datetime) -> None:
    async with UnitOfWork(db) as uow:
        await uow.ledger.post(ledger.top_up(user_id, amount, "cash", f"test-{user_id}-{next(_ids)}"), now)


async def make_order(db: Database, campus: Campus, customer_id: int, now: dt.datetime, *, pay: bool = True,
                     pickup: str = "parcel_station", dropoff: str = "dorm_f3", weight_g: int = 1000,
                     gender_preference: Gender | None = None, door_delivery: bool = False,
                     coupon: Discount | None = None, goods: int = 0) -> int:
    """coupon: taken off the price (FREE_COUPON pays all of it, so nothing is topped up for the payment).
    goods: a buy task with this much money for its goods, at the supermarket unless `pickup` says otherwise."""
    task = TaskType.buy if goods else TaskType.parcel
    if goods and pickup == "parcel_station":
        pickup = "supermarket"
    q = quote(campus, QuoteRequest(task_type=task, pickup=campus.building(pickup),
                                   dropoff=campus.building(dropoff), weight_g=weight_g, size=Size.small, at=now,
                                   discount=coupon, goods=goods))
    async with UnitOfWork(db) as uow:
        row = await uow.orders.add(OrderRow(
            campus_id=campus.id, customer_id=customer_id, status="awaiting_payment", task_type=task.value,
            pickup_building=pickup, dropoff_building=dropoff, weight_g=weight_g, door_delivery=door_delivery,
            gender_preference=gender_preference.value if gender_preference else None,
            quote_lines=[line.__dict__ for line in q.lines], distance_m=q.distance_m, service_fee=q.service_fee,
            tip=q.tip, discount=q.discount, total=q.total, commission=q.commission, runner_share=q.runner_share,
            goods=q.goods, max_goods=campus.pricing.max_goods, coupon_code=coupon.code if coupon else None,
            created_at=now, pay_by=now + dt.timedelta(minutes=campus.timeouts.pay_minutes),
        ))
        order_id = row.id
    if pay:
        if q.total:
            await top_up(db, customer_id, q.total, now)
        await act(db, campus, order_id, Event.pay, Actor(Role.customer, customer_id), now)
    return order_id  # type: ignore[return-value]


async def act(db: Database, campus: Campus, order_id: int, event: Event, actor: Actor, now: dt.datetime,
              **kwargs: object) -> None:
    async with UnitOfWork(db) as uow:
        order = await uow.orders.get(order_id)
        assert order is not None
        t = transition(campus, order, event, actor, now, **kwargs)  # type: ignore[arg-type]
        await apply_transition(uow, campus, t, now)
