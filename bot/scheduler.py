"""APScheduler only calls `sweep` every few seconds (design.md §4): the deadlines live in the database.

Nothing is registered per order, so there is nothing to restore after a restart, and several processes may run a
scheduler each: the sweep's conditional updates make each timed transition happen once.

Beside it, `tidy` keeps what is kept of people's messages short (storage.outbox: the content of delivered private
messages dropped, old rows deleted) and forgets processed-update keys past their retention (storage.dedupe); each
of its statements is idempotent, so several processes tidying at once is harmless.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from handlers.context import Services
from handlers.sweep import SweepReport, sweep
from storage.dedupe import DatabaseSeenKeys
from storage.outbox import RETENTION, forget_delivered, prune

log = logging.getLogger(__name__)

SWEEP_SECONDS = 5
TIDY_SECONDS = 60


@dataclass(frozen=True)
class TidyReport:
    forgotten: int  # delivered private messages whose content was dropped
    pruned: int  # outbox rows deleted
    seen_keys: int  # processed-update keys forgotten


async def tidy(services: Services, now: dt.datetime, *, retention: dt.timedelta = RETENTION) -> TidyReport:
    # Each works in short transactions of bounded batches, up to a budget per run: a backlog (a long outage, a
    # first run on an old database) is worked off over several runs without holding up inputs.
    forgotten = await forget_delivered(services.db)
    pruned = await prune(services.db, now, retention)
    seen_keys = await DatabaseSeenKeys(services.db).forget_before(now)
    return TidyReport(forgotten, pruned, seen_keys)


def build_scheduler(services: Services, *, seconds: float = SWEEP_SECONDS,
                    after: Callable[[SweepReport], Awaitable[None]] | None = None,
                    tidy_seconds: float = TIDY_SECONDS,
                    outbox_retention: dt.timedelta = RETENTION) -> AsyncIOScheduler:
    """A scheduler (not started) that sweeps every `seconds` and tidies every `tidy_seconds` (outbox rows settled
    longer than `outbox_retention` ago are deleted), with the services' clock.

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

    async def tidy_tick() -> None:
        try:
            await tidy(services, services.clock(), retention=outbox_retention)
        except Exception:  # as for the sweep: the next run tries again
            log.exception("tidying failed")

    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(tick, IntervalTrigger(seconds=seconds), id="sweep", max_instances=1, coalesce=True,
                      replace_existing=True)
    scheduler.add_job(tidy_tick, IntervalTrigger(seconds=tidy_seconds), id="tidy", max_instances=1, coalesce=True,
                      replace_existing=True)
    return scheduler
