"""A runner's live location: its first message (live_period set) and each later position (an edit of it) go to
handlers.location, which keeps the position only while the runner carries an active order."""
from __future__ import annotations

from aiogram.types import Message

from bot.telegram.convert import location_input
from handlers.context import Services
from handlers.io import Reply
from handlers.location import live_position


async def live_update(services: Services, message: Message, update_id: int | None, *, first: bool) -> list[Reply]:
    inp = location_input(message, update_id)
    if inp is None:
        return []
    return await live_position(services, inp, first=first)
