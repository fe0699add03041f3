"""A live location: its first message (live_period set) and each later position (an edit of it) go to
handlers.location, which keeps the position only while a runner carries an active order; a first position it does
not keep goes to `plain` (the app), as a one-off location."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram.types import Message

from bot.telegram.convert import location_input
from handlers.context import Services
from handlers.io import Input, Reply
from handlers.location import live_position


async def live_update(services: Services, message: Message, update_id: int | None, *, first: bool,
                      plain: Callable[[Input], Awaitable[list[Reply]]]) -> list[Reply]:
    inp = location_input(message, update_id)
    if inp is None:
        return []
    return await live_position(services, inp, first=first, plain=plain)
