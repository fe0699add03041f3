"""Time lost to an outage, given back.

While the service is down (a crash, a deploy, a host outage) nobody can act through it: the bot does not answer,
so a student cannot pay, a runner cannot press Accept, Picked up or Delivered, a student cannot confirm or report a
problem. The timers do not run either, and the first sweep after the restart would apply every deadline that passed
meanwhile by the wall clock, to people who could not have met it. So the sweep keeps a heartbeat, the time it last
ran; finding it older than OUTAGE_AFTER, it takes the gap for an outage and first moves each deadline that asks a
person to act and fell due during it on by the outage's length: from the restart, that person has the time they had
left when it began. Deadlines still ahead at the restart stay: their time is still to come.

A scheduled errand's window (18:00-20:00) is the student's real time and never moves: a deadline it bounds moves at
most to the window's end, so an errand whose window ended during the outage ends as it would have (an unpaid one
closed, one never picked up refunded).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# The sweep runs every 5 s: no sweep for 2 minutes (24 ticks) is the service or its database down, not a slow sweep
# or a quick restart. A constant rather than a campus setting: it is about the service's own timers, not a campus's
# rules, and several campuses share one process's timers.
OUTAGE_AFTER = dt.timedelta(minutes=2)

# The deadlines that ask a person to act, which an outage moves on; True: one a scheduled window bounds, moved at most
# to the window's end.
MOVED: dict[str, bool] = {
    "pay_by": True,  # the student could not pay; not past the window: no paying for a time that is over
    "offer_until": True,  # the runner offered it could not Accept, and its lapse counts against them
    "pickup_by": True,  # the runner could not say Picked up: a timeout costs credit and the order; not past the window
    # The runner could not say Delivered: late, they would be reminded and lose credit. Not bounded: it is already
    # at or past the window's end, and the goods are on their way; only the runner's lateness is judged by it.
    "deliver_by": False,
    "auto_confirm_at": False,  # the student could not confirm or report a problem before it completes and pays out
}
# Deadlines that stay: accept_by asks nobody (it ends the student's wait for a runner, which the outage made longer
# already: they are refunded rather than kept waiting); reannounce_at is the hall's reminder, welcome at once.


@dataclass(frozen=True)
class Outage:
    """The timers did not run from `since` (the last sweep before) to `until` (the first one after)."""

    since: dt.datetime
    until: dt.datetime

    @property
    def length(self) -> dt.timedelta:
        return self.until - self.since


def outage(last_sweep: dt.datetime | None, now: dt.datetime, after: dt.timedelta = OUTAGE_AFTER) -> Outage | None:
    """The outage a sweep at `now` ends, if the last sweep was longer than `after` ago. None: no outage, or no sweep
    ever (the service's first start gives nothing back: there was nothing to miss)."""
    if last_sweep is None or now - last_sweep <= after:
        return None
    return Outage(last_sweep, now)


def given_back(deadline: str, due: dt.datetime, lost: Outage, window_end: dt.datetime | None = None
               ) -> dt.datetime | None:
    """When a deadline (a column name: "pickup_by"), due at `due`, falls after the outage `lost`: moved on by the
    outage's length if it asks a person to act and fell due during it, at most to a scheduled window's end if it is
    one the window bounds (MOVED) and it was due within the window. None: it stays as it is (still ahead, passed
    before the outage, one that asks no one, or bounded by a window that ended by the restart: it applies now, as
    it would have)."""
    if deadline not in MOVED or not lost.since < due <= lost.until:
        return None
    moved = due + lost.length
    # Bounded only if it fell within the window: one the rules set past its end (a pickup allowed after a short
    # window) was never the window's to end, and keeps all its time.
    if MOVED[deadline] and window_end is not None and due <= window_end:
        moved = min(moved, window_end)
    return moved if moved > lost.until else None
