"""A student the bot can no longer write to (they blocked it) while orders of theirs are under way.

Their runner would otherwise keep writing to them through the bot (the relay chat) and believe it arrives, and the
student no longer hears how the order goes. So the first time they are found unreachable (handlers.unreachable,
which marks them once), the runner of each such order is told, in the runner's language, and the operators of its
campus too. From then on a relay to them is refused (handlers.tracking.relay, and the pickup photo) until they
write to the bot again: then handlers.app marks them reachable, and those runners hear that it works again.
"""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select

from core.order import Status
from handlers.admin import who
from handlers.context import Services
from handlers.notify import Notifier, operator_chats
from storage.models import Order as OrderRow
from storage.models import User
from storage.uow import UnitOfWork

# Paid and not over: waiting for a runner, on its way, or delivered and waiting for their confirmation. (An order
# on hold for a complaint is already in the operators' hands.)
UNDER_WAY = (Status.open.value, Status.accepted.value, Status.picked_up.value, Status.delivered.value)


async def orders_under_way(uow: UnitOfWork, user_id: int) -> list[OrderRow]:
    return list(await uow.session.scalars(
        select(OrderRow).where(OrderRow.customer_id == user_id, OrderRow.status.in_(UNDER_WAY)).order_by(OrderRow.id)))


async def tell_about_student(services: Services, uow: UnitOfWork, user_id: int, now: dt.datetime) -> None:
    """The runner (track-customer-unreachable) and the operators (admin-student-unreachable-order) of each order
    of this student that is under way hear that the student cannot be reached."""
    student = await uow.session.get(User, user_id)
    for row in await orders_under_way(uow, user_id):
        # A random tail: they may start the bot again and block it again, which is news again.
        notifier = Notifier(services, uow, now, origin=f"unreachable-student:{row.id}:{user_id}:{secrets.token_hex(4)}")
        runner = await uow.session.get(User, row.runner_id) if row.runner_id is not None else None
        campus = services.campuses.get(row.campus_id)  # None: the campus file changed, no operators to tell
        told = campus is not None and bool(operator_chats(campus, services))
        if runner is not None:
            await notifier.user(runner.id, "track-customer-unreachable", order=str(row.id), status=row.status,
                                told="yes" if told else "no")
        if told:
            await notifier.operators(campus, "admin-student-unreachable-order", order=str(row.id), who=who(student),
                                     status=row.status, runner=who(runner))


async def student_back(services: Services, uow: UnitOfWork, user_id: int, now: dt.datetime) -> None:
    """They can be written to again: the runner of each of their orders under way hears that relays arrive again
    (track-customer-reachable). The operators were told of a problem that solved itself; they are not bothered."""
    for row in await orders_under_way(uow, user_id):
        if row.runner_id is not None:
            notifier = Notifier(services, uow, now, origin=f"reachable-student:{row.id}:{secrets.token_hex(4)}")
            await notifier.user(row.runner_id, "track-customer-reachable", order=str(row.id))
