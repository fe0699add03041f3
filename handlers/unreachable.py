"""Someone the bot can no longer write to privately (a channel's 403: they blocked the bot).

They are marked so (User.started_bot), which keeps new orders from them (the hall, offers, /reassign refuse such a
runner). An order they already run is another matter: its details, or the reassignment that gave it to them, may
never have reached them, and what the order still has to tell them will not. So the first time they are found
unreachable, the operators of each order they run are told, in the same transaction, to reassign it or to reach
them another way. Both the outbox sender (a queued message refused) and the adapter (a direct answer refused, or
the check before a hall action) come here. A student's orders under way are handlers.unreachable_student's part.
"""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select, update

from core.order import CARRYING_VALUES
from handlers.admin import who
from handlers.context import Services
from handlers.hall import end_offers
from handlers.notify import Notifier
from handlers.unreachable_student import tell_about_student
from storage.db import DbSession
from storage.models import Order as OrderRow
from storage.models import User
from storage.uow import UnitOfWork

# The orders whose runner still has something to do: reassignable (accepted), or on its way (picked up).
RUNNING = CARRYING_VALUES


async def stop_reaching(session: DbSession, channel: str, external_id: str) -> int | None:
    """Marks them unreachable; their user id if this is news (they were reachable), else None. One conditional
    update, so of two refusals at once (the sender and the adapter) only one tells the operators."""
    user_id = await session.scalar(select(User.id).where(User.channel == channel, User.external_id == external_id))
    if user_id is None:
        return None
    marked = await session.execute(
        update(User).where(User.id == user_id, User.started_bot.is_(True)).values(started_bot=False)
        .execution_options(synchronize_session=False))
    return user_id if marked.rowcount == 1 else None


async def reach_again(session: DbSession, user_id: int) -> bool:
    """Marks them reachable (they wrote to us privately); whether this is news. One conditional update, so of two
    inputs at once only one tells the runners waiting on them (handlers.unreachable_student)."""
    marked = await session.execute(
        update(User).where(User.id == user_id, User.started_bot.is_(False)).values(started_bot=True)
        .execution_options(synchronize_session=False))
    return marked.rowcount == 1


async def tell_operators(services: Services, uow: UnitOfWork, user_id: int, now: dt.datetime) -> None:
    """The operators of each order this runner runs hear that it needs them (admin-runner-unreachable-order)."""
    user = await uow.session.get(User, user_id)
    rows = await uow.session.scalars(
        select(OrderRow).where(OrderRow.runner_id == user_id, OrderRow.status.in_(RUNNING)).order_by(OrderRow.id))
    for row in rows:
        campus = services.campuses.get(row.campus_id)
        if campus is None:  # the campus file changed: no operators to tell
            continue
        # A random tail: they may start the bot again and block it again, which is news again.
        notifier = Notifier(services, uow, now, origin=f"unreachable:{row.id}:{user_id}:{secrets.token_hex(4)}")
        await notifier.operators(campus, "admin-runner-unreachable-order", order=str(row.id), who=who(user),
                                 status=row.status)


async def unreachable(services: Services, uow: UnitOfWork, channel: str, external_id: str, now: dt.datetime) -> None:
    """The channel refused a private message to them: marked, and if that is news, the operators of the orders they
    run told and the offers waiting for them ended; the runners and operators of the orders they placed told."""
    user_id = await stop_reaching(uow.session, channel, external_id)
    if user_id is not None:
        await tell_operators(services, uow, user_id, now)
        await end_offers(services, uow, user_id, now)
        await tell_about_student(services, uow, user_id, now)
