"""APScheduler only calls `sweep` every few seconds (design.md §4): the deadlines live in the database.

Nothing is registered per order, so there is nothing to restore after a restart, and several processes may run a
scheduler each: the sweep's conditional updates make each timed transition happen once.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from handlers.context import Services
from handlers.sweep import SweepReport, sweep

log = logging.getLogger(__name__)

SWEEP_SECONDS = 5


def build_scheduler(services: Services, *, seconds: float = SWEEP_SECONDS,
                    after: Callable[[SweepReport], Awaitable[None]] | None = None) -> AsyncIOScheduler:
    """A scheduler (not started) that sweeps every `seconds` with the services' clock.

    `after` runs after each sweep (a channel may deliver the outbox the sweep filled).
    max_instances=1 and coalesce=True: a slow sweep is never overlapped by the next one, and missed runs collapse
    into one.
    """

    async def tick() -> None:
        try:
            report = await sweep(services, services.clock())
            if after is not None:
                await after(report)
        except Exception:  # noqa: BLE001 - the next tick tries again; a dead scheduler would stop every timer
            log.exception("sweep failed")

    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(tick, IntervalTrigger(seconds=seconds), id="sweep", max_instances=1, coalesce=True,
                      replace_existing=True)
    return scheduler
