"""Operators' figures: /today (the campus's day so far) and /report (the last days, day by day, with a chart).

Both count a day the same way (day_figures), so a day's line in /report says what /today said of it at its end. A day
is the campus's own (its timezone), from midnight to midnight.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import ledger
from core.campus import Campus
from core.clock import day_bounds, local_day
from core.errors import InvalidInput
from core.money import format_yuan
from core.numbers import whole_number
from core.order import Event
from handlers.admin import begin
from handlers.context import Ctx
from handlers.io import Bars, Chart
from handlers.router import ROUTER
from storage.models import LedgerEntry, LedgerPosting, OrderEvent
from storage.models import Order as OrderRow

REPORT_DAYS = 7  # /report without a number
MAX_REPORT_DAYS = 31
ENDED = ("completed", "cancelled", "closed", "expired", "refunded")  # the final states an order reaches
# The events of a runner's work on an order (a completion counts too, whoever confirmed it).
RUNNERS_AT_WORK = tuple(e.value for e in (Event.accept, Event.reassign, Event.pickup, Event.deliver))


@dataclass(frozen=True)
class DayFigures:
    created: int  # orders placed
    ended: dict[str, int]  # orders that reached each final state (ENDED)
    revenue: int  # fen: what the errands completed that day were worth (fee and tip, a coupon's part too)
    commission: int  # fen: the platform's share of them
    compensation: int  # fen: paid by the platform to students and runners
    runners: int  # runners at work: who took, were given, picked up, delivered or completed an order
    # From the ledger too, fen, so the day's money can be followed account by account:
    coupons: int = 0  # paid by the marketing account into orders, less the coupons refunds gave back (net)
    fees: int = 0  # late-cancellation fees paid to runners (a coupon's part included)
    refunds: int = 0  # back to students' wallets from orders refunded or cancelled (goods money included)

    @property
    def not_completed(self) -> int:
        """Orders that ended without being done: cancelled, closed unpaid, expired, refunded."""
        return sum(count for status, count in self.ended.items() if status != "completed")


async def day_figures(s: AsyncSession, campus: Campus, day: dt.date) -> DayFigures:
    start, end = day_bounds(campus.tz, day)
    here = OrderRow.campus_id == campus.id
    created = await s.scalar(select(func.count()).select_from(OrderRow)
                             .where(here, OrderRow.created_at >= start, OrderRow.created_at < end))
    that_day = (OrderEvent.at >= start, OrderEvent.at < end)
    ended = dict.fromkeys(ENDED, 0)
    rows = await s.execute(
        select(OrderEvent.to_status, func.count(func.distinct(OrderEvent.order_id)))
        .join(OrderRow, OrderRow.id == OrderEvent.order_id)
        .where(here, *that_day, OrderEvent.to_status.in_(ENDED), OrderEvent.from_status != OrderEvent.to_status)
        .group_by(OrderEvent.to_status))
    ended.update({status: count for status, count in rows})
    completed = (select(OrderEvent.order_id)
                 .where(*that_day, OrderEvent.to_status == "completed", OrderEvent.from_status != "completed"))
    # What the errands were worth: their fee and tip, whether the student or a coupon paid it (the commission is a
    # share of the fee, so never more than this). Goods money was the goods' own price (or went back).
    revenue = await s.scalar(select(func.coalesce(func.sum(OrderRow.service_fee + OrderRow.tip), 0))
                             .where(here, OrderRow.id.in_(completed)))

    # A runner worked that day who took or was given an order, picked one up or delivered it, or saw one of theirs
    # completed (an event's runner is the order's after it): not only the day they took it. Read from the same
    # events of the day as the rest.
    worked = or_(OrderEvent.event.in_(RUNNERS_AT_WORK),
                 and_(OrderEvent.to_status == "completed", OrderEvent.from_status != "completed"))
    runners = await s.scalar(
        select(func.count(func.distinct(OrderEvent.runner_id))).join(OrderRow, OrderRow.id == OrderEvent.order_id)
        .where(here, *that_day, worked, OrderEvent.runner_id.is_not(None)))
    return DayFigures(created=created or 0, ended=ended, revenue=int(revenue or 0),
                      **await ledger_figures(s, campus, start, end), runners=runners or 0)


# The order (or the case, an order's id too) a posting's key is of (core.ledger's builders).
_ORDER_OF_KEY = re.compile(r"^(?:order|compensation):(\d+)(?::|$)")


def _figure(key: str, account: str) -> str | None:
    """Which of the day's figures an entry counts in, by its posting's key and its account (core.ledger): the
    platform's commission on an order or a compensation it paid; a coupon the marketing account paid or got back;
    a runner's late-cancellation fee; what went back to a student's wallet from an order refunded or cancelled
    ("goods": the goods money a buy task's end gave the student back, a refund unless the order completed)."""
    if account == ledger.PLATFORM_REVENUE:
        return "commission" if key.endswith(":complete") else "compensation" if key.startswith("compensation:") \
            else None
    if account == ledger.MARKETING:
        return "coupons"
    kind = ledger.account_kind(account)
    if key.endswith(":cancel-fee"):
        return {"runner": "fees", "customer": "refunds"}.get(kind)
    if kind != "customer":
        return None
    return "refunds" if key.endswith(":refund") else "goods" if key.endswith(ledger.GOODS_SUFFIX) else None


async def ledger_figures(s: AsyncSession, campus: Campus, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """The day's money of the campus's orders, from the ledger (fen; a cost as a positive amount): commission,
    compensation paid, coupons paid by marketing (net of those given back), cancellation fees to runners, refunds to
    students (the goods money a refund or cancellation after pickup gave back included: it settles apart, as
    `order:N:goods`, which at a completion is the change of goods bought, no refund). That day's few postings are
    read first, then which of their orders are the campus's: a join on a key built from each order's id would
    compare every order with every posting."""
    rows = (await s.execute(
        select(LedgerPosting.key, LedgerEntry.account, LedgerEntry.amount)
        .join(LedgerEntry, LedgerEntry.posting_id == LedgerPosting.id)
        .where(LedgerPosting.at >= start, LedgerPosting.at < end, or_(
            LedgerEntry.account.in_([ledger.PLATFORM_REVENUE, ledger.MARKETING]),
            LedgerPosting.key.like("order:%:cancel-fee"), LedgerPosting.key.like("order:%:refund"),
            LedgerPosting.key.like(ledger.GOODS_KEYS))))).all()
    found = [(name, int(m[1]), amount) for key, account, amount in rows
             if (name := _figure(key, account)) is not None and (m := _ORDER_OF_KEY.match(key))]
    ours = dict((await s.execute(select(OrderRow.id, OrderRow.status).where(
        OrderRow.campus_id == campus.id, OrderRow.id.in_({order for _, order, _ in found})))).all()) if found else {}
    figures = dict.fromkeys(("commission", "compensation", "coupons", "fees", "refunds"), 0)
    costs = ("compensation", "coupons")  # out of the platform's accounts: negative entries
    for name, order, amount in found:
        if order not in ours:
            continue
        if name == "goods":  # the goods settle in the order's last transition: its status now is how it ended
            if ours[order] == "completed":
                continue
            name = "refunds"
        figures[name] += -amount if name in costs else amount
    return figures


# ---------------------------------------------------------------------------------------------------- today


@ROUTER.command("today", operator_only=True)
async def today(ctx: Ctx) -> None:
    begin(ctx)
    campus = ctx.campus
    day = local_day(campus.tz, ctx.now)
    f = await day_figures(ctx.uow.session, campus, day)
    waiting = dict((await ctx.uow.session.execute(
        select(OrderRow.status, func.count())
        .where(OrderRow.campus_id == campus.id, OrderRow.status.in_(["open", "exception"]))
        .group_by(OrderRow.status))).all())
    ctx.say("admin-today", date=day.isoformat(), created=f.created, completed=f.ended["completed"],
            cancelled=f.ended["cancelled"], closed=f.ended["closed"], expired=f.ended["expired"],
            refunded=f.ended["refunded"], revenue=format_yuan(f.revenue), commission=format_yuan(f.commission),
            compensation=format_yuan(f.compensation), runners=f.runners, open=waiting.get("open", 0),
            exceptions=waiting.get("exception", 0), **ledger_args([f]))


def ledger_args(figures: list[DayFigures]) -> dict[str, str]:
    """The ledger's figures beside revenue, of a day or summed over days: coupons paid by the platform,
    cancellation fees, refunds."""
    return {name: format_yuan(sum(getattr(f, name) for f in figures)) for name in ("coupons", "fees", "refunds")}


# ---------------------------------------------------------------------------------------------------- report


def report_days(args: tuple[str, ...]) -> int:
    if not args:
        return REPORT_DAYS
    days = whole_number(args[0]) if len(args) == 1 else None
    if days is None:
        raise InvalidInput("admin-usage-report", max=MAX_REPORT_DAYS)
    if not 1 <= days <= MAX_REPORT_DAYS:
        raise InvalidInput("admin-report-days-range", text=args[0][:20], max=MAX_REPORT_DAYS)
    return days


def report_chart(days: list[dt.date], figures: list[DayFigures]) -> Chart:
    """Orders ended each day (completed on the not completed), and revenue (the commission at its foot)."""
    return Chart(tuple(d.strftime("%m-%d") for d in days), (
        Bars((("green", tuple(f.ended["completed"] for f in figures)),
              ("red", tuple(f.not_completed for f in figures)))),
        Bars((("orange", tuple(f.commission for f in figures)),
              ("blue", tuple(max(f.revenue - f.commission, 0) for f in figures))), money=True),
    ))


@ROUTER.command("report", operator_only=True)
async def report(ctx: Ctx) -> None:
    """The last days up to today, day by day: orders placed and ended, revenue, commission, compensation, and the
    ledger's coupons, cancellation fees and refunds."""
    begin(ctx)
    count = report_days(ctx.input.args)
    last = local_day(ctx.campus.tz, ctx.now)
    days = [last - dt.timedelta(days=n) for n in reversed(range(count))]
    figures = [await day_figures(ctx.uow.session, ctx.campus, day) for day in days]
    lines = "\n".join(
        ctx.t("admin-report-line", date=day.strftime("%m-%d"), created=f.created, completed=f.ended["completed"],
              not_completed=f.not_completed, revenue=format_yuan(f.revenue), **ledger_args([f]))
        for day, f in zip(days, figures, strict=True))
    ctx.say("admin-report", days=count, first=days[0].isoformat(), last=last.isoformat(),
            created=sum(f.created for f in figures), completed=sum(f.ended["completed"] for f in figures),
            not_completed=sum(f.not_completed for f in figures),
            revenue=format_yuan(sum(f.revenue for f in figures)),
            commission=format_yuan(sum(f.commission for f in figures)),
            compensation=format_yuan(sum(f.compensation for f in figures)), lines=lines,
            chart=report_chart(days, figures), **ledger_args(figures))
