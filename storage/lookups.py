"""Statements for the lookups nearly every input makes, built once: building one each time (SQLAlchemy's
coercions and cache key) cost more than running it. Execute them with their parameters."""
from __future__ import annotations

from sqlalchemy import and_, bindparam, select

from storage.models import Conversation, User

# parameters: channel, external_id
USER_BY_ADDRESS = select(User).where(User.channel == bindparam("channel"), User.external_id == bindparam("external_id"))
# The user and where they are in their conversation (both None before their first input) in one statement.
USER_AND_CONVERSATION = select(User, Conversation.state, Conversation.data).outerjoin(
    Conversation, and_(Conversation.channel == User.channel, Conversation.external_id == User.external_id)
).where(User.channel == bindparam("channel"), User.external_id == bindparam("external_id"))
LANGUAGE_BY_ADDRESS = select(User.language).where(
    User.channel == bindparam("channel"), User.external_id == bindparam("external_id"))
# parameters: channel, external_id
STARTED_AND_LANGUAGE = select(User.started_bot, User.language).where(
    User.channel == bindparam("channel"), User.external_id == bindparam("external_id"))
