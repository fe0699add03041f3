"""APScheduler only calls `sweep` every few seconds (design.md §4): the deadlines live in the database.

Nothing is registered per order, so there is nothing to restore after a restart, and several processes may run a
scheduler each: the sweep's conditional updates make each timed transition happen once.

Beside it, `tidy` keeps what is kept of people's messages short (storage.outbox: the content of delivered private
messages dropped, old rows deleted) and forgets processed-update keys past their retention (storage.dedupe); each
of its statements is idempotent, so several processes tidying at once is harmless.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from handlers.context import Services
from handlers.sweep import SweepReport, give_back_lost_time, sweep
from storage.dedupe import DatabaseSeenKeys
from storage.outbox import RETENTION, forget_delivered, prune

log = logging.getLogger(__name__)

SWEEP_SECONDS = 5
TIDY_SECONDS = 60
STOP_SECONDS = 10.0  # how long a stop waits for a sweep or tidy under way before cutting it off


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


class Timers(AsyncIOScheduler):
    """The scheduler of the sweep and the tidying, which a stop lets finish what they are doing (`stop`).

    APScheduler's own shutdown cancels the jobs still running, whatever its `wait` says (its asyncio executor cannot
    wait in a synchronous method), and the database is closed right after it: a sweep caught halfway would be cut
    off in the middle of its transaction."""

    def __init__(self, services: Services | None = None, *, outages: bool = True) -> None:
        super().__init__(timezone="UTC")
        self._running: set[asyncio.Task[object]] = set()
        self._services, self._outages = services, outages

    async def begin(self) -> None:
        """Start, once the time an outage took from people's deadlines has been given back (the first sweep's
        heartbeat, run now): the service calls it before it takes any update, so a press Telegram held through the
        outage (a payment, a Picked up) meets the moved deadline, not the one the outage made pass. A database that
        fails here is logged: the first sweep tries again, before it applies any deadline."""
        if self._services is not None and self._outages:
            try:
                await give_back_lost_time(self._services, self._services.clock())
            except Exception:  # noqa: BLE001 - the timers start all the same; their first sweep begins with it
                log.exception("giving back the time of an outage failed")
        self.start()

    def job(self, work: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        """`work` as a job whose runs `stop` waits for."""

        async def run() -> None:
            task = asyncio.current_task()
            assert task is not None
            self._running.add(task)
            try:
                await work()
            finally:
                self._running.discard(task)

        return run

    async def stop(self, timeout: float = STOP_SECONDS) -> None:
        """No run starts any more; the runs under way finish, for up to `timeout` seconds (then they are cancelled,
        which rolls back what they had not committed); then the scheduler shuts down. Before the database closes."""
        if not self.running:
            return
        self.pause()
        running = [task for task in self._running if not task.done()]
        late: set[asyncio.Task[object]] = set()
        if running:
            _, late = await asyncio.wait(running, timeout=timeout)
        self.shutdown(wait=False)  # cancels what is still running
        if late:
            log.warning("%d timer job(s) still running after %g s were cut off", len(late), timeout)
            await asyncio.wait(late, timeout=1.0)  # their cancellation, before what they use closes


def build_scheduler(services: Services, *, seconds: float = SWEEP_SECONDS,
                    after: Callable[[SweepReport], Awaitable[None]] | None = None,
                    tidy_seconds: float = TIDY_SECONDS,
                    outbox_retention: dt.timedelta = RETENTION, outages: bool = True) -> Timers:
    """A scheduler (not started) that sweeps every `seconds` and tidies every `tidy_seconds` (outbox rows settled
    longer than `outbox_retention` ago are deleted), with the services' clock. Start it with `await .begin()`, stop
    it with `await .stop()`.

    `outages`: a gap since the last sweep longer than core.outage.OUTAGE_AFTER is an outage, whose lost time the
    sweep gives back (handlers.sweep); False where a clock moved on by hand is time lived through (the console).

    `after` runs after each sweep (a channel may deliver the outbox the sweep filled).
    max_instances=1 and coalesce=True: a slow sweep is never overlapped by the next one, and missed runs collapse
    into one.
    """

    async def tick() -> None:
        try:
            report = await sweep(services, services.clock(), outages=outages)
            if after is not None:
                await after(report)
        except Exception:  # noqa: BLE001 - the next tick tries again; a dead scheduler would stop every timer
            log.exception("sweep failed")

    async def tidy_tick() -> None:
        try:
            await tidy(services, services.clock(), retention=outbox_retention)
        except Exception:  # as for the sweep: the next run tries again
            log.exception("tidying failed")

    scheduler = Timers(services, outages=outages)
    scheduler.add_job(scheduler.job(tick), IntervalTrigger(seconds=seconds), id="sweep", max_instances=1,
                      coalesce=True, replace_existing=True)
    scheduler.add_job(scheduler.job(tidy_tick), IntervalTrigger(seconds=tidy_seconds), id="tidy", max_instances=1,
                      coalesce=True, replace_existing=True)
    return scheduler
