"""Statements for the lookups nearly every input makes, built once: building one each time (SQLAlchemy's
coercions and cache key) cost more than running it. Each takes the parameters channel and external_id, or id.
Those that select columns, not the User entity, run through storage.sql.run_core."""
from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import class_mapper, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from storage.db import DbSession
from storage.models import Conversation, RunnerProfile, User
from storage.sql import run_core

M = TypeVar("M")

_AT_ADDRESS = and_(User.channel == bindparam("channel"), User.external_id == bindparam("external_id"))

USER_BY_ADDRESS = select(User).where(_AT_ADDRESS)
# The user's columns and where they are in their conversation (both None before their first input) in one
# statement; user_and_conversation makes the User of them.
USER_AND_CONVERSATION = select(*User.__table__.c, Conversation.state, Conversation.data).outerjoin(
    Conversation, and_(Conversation.channel == User.channel, Conversation.external_id == User.external_id)
).where(_AT_ADDRESS)
_USER_ATTRIBUTES = tuple(class_mapper(User).get_property_by_column(c).key for c in User.__table__.c)
# Who is pressing Grab: enough to refuse them or name them as the runner.
# With the campus of their runner profile, if they have one: whose orders they may take.
GRABBER_BY_ADDRESS = select(User.id, User.language, User.started_bot, User.suspended, User.campus_id,
                            RunnerProfile.campus_id.label("runner_campus"),
                            RunnerProfile.status.label("runner_status")).outerjoin(
    RunnerProfile, RunnerProfile.user_id == User.id).where(_AT_ADDRESS)
# Where and in which language a notice reaches someone.
ADDRESS_AND_LANGUAGE_BY_ID = select(User.channel, User.external_id, User.language).where(User.id == bindparam("id"))
# What a refusal is answered in: their language, or in a campus's operators' chat the campus's (handlers/app.py).
LANGUAGE_AND_CAMPUS_BY_ADDRESS = select(User.language, User.campus_id).where(_AT_ADDRESS)
# Whether a person is an operator of the campus whose chat they write in, by the flag of their own campus
# (handlers/app.py, as handlers.context.is_operator judges it).
CAMPUS_AND_OPERATOR_BY_ADDRESS = select(User.campus_id, User.is_operator).where(_AT_ADDRESS)
# Whether a person whose chat shows an operators' card may still see it, and in which language (handlers/notify.py).
LANGUAGE_AND_OPERATOR_BY_ADDRESS = select(User.language, User.is_operator).where(_AT_ADDRESS)
STARTED_AND_LANGUAGE = select(User.started_bot, User.language).where(_AT_ADDRESS)


async def user_and_conversation(session: DbSession, channel: str, external_id: str
                                ) -> tuple[User, str | None, Any] | None:
    """The user at this address, in the session, with their conversation's state and data (None, None when none is
    stored); None when nobody is there yet. Read as columns (storage.sql.run_core): the ORM's loading of the
    entity cost about twice the statement, on the path of every input."""
    found = (await run_core(session, USER_AND_CONVERSATION, {"channel": channel, "external_id": external_id})).first()
    if found is None:
        return None
    *columns, state, data = tuple(found)
    return loaded(session, User, dict(zip(_USER_ATTRIBUTES, columns))), state, data


def loaded(session: DbSession, model: type[M], values: dict[str, Any]) -> M:
    """The ORM object of a row read as columns, in the session as the ORM would have loaded it: persistent, these
    its loaded values (a change to one is flushed as usual). The session must not hold that row's object already."""
    obj = _class_manager(model).new_instance()  # as the ORM's loading makes one, without __init__
    for name, value in values.items():
        set_committed_value(obj, name, value)
    make_transient_to_detached(obj)  # its primary key becomes its identity
    session.add(obj)
    return obj


@cache
def _class_manager(model: type) -> Any:
    return class_mapper(model).class_manager  # looked up once: class_mapper checks the mappers' configuration
