"""Statements for the lookups nearly every input makes, built once: building one each time (SQLAlchemy's
coercions and cache key) cost more than running it. Each takes the parameters channel and external_id, or id.
Those that select columns, not the User entity, run through storage.sql.run_core."""
from __future__ import annotations

from sqlalchemy import and_, bindparam, select

from storage.models import Conversation, User

_AT_ADDRESS = and_(User.channel == bindparam("channel"), User.external_id == bindparam("external_id"))

USER_BY_ADDRESS = select(User).where(_AT_ADDRESS)
# The user and where they are in their conversation (both None before their first input) in one statement.
USER_AND_CONVERSATION = select(User, Conversation.state, Conversation.data).outerjoin(
    Conversation, and_(Conversation.channel == User.channel, Conversation.external_id == User.external_id)
).where(_AT_ADDRESS)
# Who is pressing Grab: enough to refuse them or name them as the runner.
GRABBER_BY_ADDRESS = select(User.id, User.language, User.started_bot, User.suspended, User.campus_id).where(_AT_ADDRESS)
# Where and in which language a notice reaches someone.
ADDRESS_AND_LANGUAGE_BY_ID = select(User.channel, User.external_id, User.language).where(User.id == bindparam("id"))
# What a refusal is answered in: their language, or in a campus's operators' chat the campus's (handlers/app.py).
LANGUAGE_AND_CAMPUS_BY_ADDRESS = select(User.language, User.campus_id).where(_AT_ADDRESS)
STARTED_AND_LANGUAGE = select(User.started_bot, User.language).where(_AT_ADDRESS)
