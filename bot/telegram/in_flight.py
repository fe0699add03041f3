"""The updates being handled, so a stop can wait for them before the database is closed.

Telegram counts an update as delivered once polling asked for the next ones, or once the webhook answered 200 —
which aiogram's SimpleRequestHandler does before handling it. An update cut off by a stop is therefore lost, but
for a successful payment, which is kept until booked (bot.telegram.kept_payments). aiogram keeps the tasks it
handles updates in to itself (Dispatcher polling and the webhook handler's background tasks alike), but every update
passes through the dispatcher's outer middlewares in the task that handles it: registered first, this one sees each
such task for as long as the update is being handled, whether polled or posted to the webhook.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

CUT_UNWIND_S = 5.0  # how long cut-off tasks get to roll back after their cancellation


class UpdatesInFlight(BaseMiddleware):
    def __init__(self) -> None:
        self._tasks: dict[asyncio.Task[Any], int] = {}  # the task handling an update → its update_id

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        task = asyncio.current_task()
        if task is None:
            return await handler(event, data)
        self._tasks[task] = event.update_id if isinstance(event, Update) else 0
        try:
            return await handler(event, data)
        finally:
            self._tasks.pop(task, None)

    async def wait(self, timeout: float) -> list[int]:
        """Wait up to `timeout` seconds for the updates being handled to be done; the ids of those still running.
        Call it once no more updates come in."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        # A handling task created just before the intake stopped has not run yet: one turn of the loop lets it
        # take its first step, which enters this middleware.
        await asyncio.sleep(0)
        while self._tasks and (left := deadline - loop.time()) > 0:
            await asyncio.wait(list(self._tasks), timeout=left)
        return sorted(self._tasks.values())

    async def cut(self) -> None:
        """Cancel the updates still being handled (each rolls its unit of work back) and let them unwind."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=CUT_UNWIND_S)
