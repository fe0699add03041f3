"""Operators' figures: /today and /report count a campus day alike; /report lists the last days and charts them."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from core import ledger
from core.order import Actor, Event, Role
from core.pricing import Discount
from handlers.io import CHART_COLOURS, Chart
from locales import catalogue
from storage.models import LedgerEntry, LedgerPosting
from storage.models import Order as OrderRow
from storage.uow import UnitOfWork
from tests.factories import FREE_COUPON, act, make_order, make_runner, make_user
from tests.handlers.harness import keys
from tests.handlers.test_admin import OP, complain, completed_order, exception_order, operator, operator_speaking


async def orders(db) -> dict[int, OrderRow]:
    async with UnitOfWork(db, write=False) as uow:
        return {o.id: o for o in await uow.session.scalars(select(OrderRow))}


# ---------------------------------------------------------------------------------------------------- today


async def test_today_counts_this_campus_day(chat, db, campus, clock):
    await operator(chat)
    now = clock.now  # 2026-11-23 10:00 in Shanghai
    customer = await make_user(db, campus, now)
    runner = await make_runner(db, campus, now)
    other = await make_runner(db, campus, now)
    late_last_night = now - dt.timedelta(hours=11)  # 23:00 Shanghai, the day before
    early_today = now - dt.timedelta(hours=9)  # 01:00 Shanghai today, though still the 22nd in UTC
    await completed_order(db, campus, late_last_night, customer, runner)  # yesterday: not counted
    done = await completed_order(db, campus, early_today, customer, runner)
    done_too = await completed_order(db, campus, now, customer, other)
    cancelled = await make_order(db, campus, customer, now)
    await act(db, campus, cancelled, Event.cancel, Actor(Role.customer, customer), now)
    await make_order(db, campus, customer, now)  # open
    await make_order(db, campus, customer, now, pay=False)  # awaiting payment
    refunded = await exception_order(db, campus, now, customer, runner)
    rows = await orders(db)
    await chat.send(OP, f"/resolve {refunded} refund 2元")
    # A runner's complaint upheld with a compensation is the platform's cost too.
    runners_case = await complain(db, refunded, runner, "waited an hour for nothing", now)
    assert keys(await chat.send(OP, f"/uphold {runners_case} ¥3.5")) == ["admin-complaint-done"]

    replies = await chat.send(OP, "/today")
    assert keys(replies) == ["admin-today"]
    args = replies[0].args
    revenue = rows[done].total + rows[done_too].total
    commission = rows[done].commission + rows[done_too].commission
    assert (args["created"], args["completed"], args["cancelled"], args["refunded"]) == (6, 2, 1, 1)
    assert (args["closed"], args["expired"], args["runners"], args["open"], args["exceptions"]) == (0, 0, 2, 1, 0)
    assert (args["revenue"], args["commission"], args["compensation"]) == (
        f"{revenue / 100:.2f}", f"{commission / 100:.2f}", "5.50")
    text = replies[0].text
    assert text.startswith("Today, 2026-11-23:") and "Orders created: 6" in text and "Active runners: 2" in text

    clock.advance(days=1)
    args = (await chat.send(OP, "/today"))[0].args
    assert (args["created"], args["completed"], args["runners"], args["commission"]) == (0, 0, 0, "0.00")


async def test_a_runner_who_delivers_an_order_taken_the_day_before_is_active_that_day(chat, db, campus, clock):
    """Before, only a day's accepts counted: a runner who delivered, and was paid for, an order taken yesterday
    made "Active runners: 0"."""
    await operator(chat)
    now = clock.now  # 2026-11-23 10:00 in Shanghai
    customer = await make_user(db, campus, now)
    runner, idle = await make_runner(db, campus, now), await make_runner(db, campus, now)
    yesterday = now - dt.timedelta(days=1)
    taken = await make_order(db, campus, customer, yesterday)
    await act(db, campus, taken, Event.accept, Actor(Role.runner, runner), yesterday)
    await act(db, campus, taken, Event.pickup, Actor(Role.runner, runner), yesterday)
    await act(db, campus, taken, Event.deliver, Actor(Role.runner, runner), now)
    await act(db, campus, taken, Event.confirm, Actor(Role.customer, customer), now)
    given_back = await make_order(db, campus, customer, yesterday)  # taken by the other, released today: not at work
    await act(db, campus, given_back, Event.accept, Actor(Role.runner, idle), yesterday)
    await act(db, campus, given_back, Event.release, Actor(Role.runner, idle), now)

    (today,) = await chat.send(OP, "/today")
    assert today.args["runners"] == 1 and "Active runners: 1" in today.text


# ---------------------------------------------------------------------------------------------------- report


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


async def test_report_lists_the_last_seven_days_and_charts_them(chat, db, campus, clock):
    """Each campus day of the last seven (today the last) gets a line and a bar in each panel; an order of the day
    before them is left out, as is one placed before midnight Shanghai time though it was already that day in UTC."""
    await operator(chat)
    now = clock.now  # Monday 2026-11-23 10:00 in Shanghai
    customer = await make_user(db, campus, now)
    runner = await make_runner(db, campus, now)
    week_ago = now - dt.timedelta(days=7)  # 11-16: one day too early
    await completed_order(db, campus, week_ago, customer, runner)
    six_days_ago = await completed_order(db, campus, now - dt.timedelta(days=6), customer, runner)  # 11-17
    # 11-21 23:30 Shanghai is 15:30 UTC the same day; 11-22 00:30 Shanghai is still 11-21 in UTC.
    late = await completed_order(db, campus, dt.datetime(2026, 11, 21, 15, 30, tzinfo=dt.UTC), customer, runner)
    early = await completed_order(db, campus, dt.datetime(2026, 11, 21, 16, 30, tzinfo=dt.UTC), customer, runner)
    done_today = await completed_order(db, campus, now, customer, runner)
    cancelled = await make_order(db, campus, customer, now)
    await act(db, campus, cancelled, Event.cancel, Actor(Role.customer, customer), now)
    await make_order(db, campus, customer, now)  # open: placed today, not ended
    rows = await orders(db)

    (reply,) = await chat.send(OP, "/report")
    assert reply.key == "admin-report"
    days = ["11-17", "11-18", "11-19", "11-20", "11-21", "11-22", "11-23"]
    completed = [1, 0, 0, 0, 1, 1, 1]
    revenue = [rows[six_days_ago].total, 0, 0, 0, rows[late].total, rows[early].total, rows[done_today].total]
    commission = [rows[six_days_ago].commission, 0, 0, 0, rows[late].commission, rows[early].commission,
                  rows[done_today].commission]
    assert reply.chart == Chart(tuple(days), reply.chart.panels)
    counts, money = reply.chart.panels
    assert counts.series == (("green", tuple(completed)), ("red", (0, 0, 0, 0, 0, 0, 1)))
    assert money.money and money.series == (
        ("orange", tuple(commission)), ("blue", tuple(r - c for r, c in zip(revenue, commission, strict=True))))
    args = reply.args
    assert (args["days"], args["first"], args["last"]) == (7, "2026-11-17", "2026-11-23")
    assert (args["created"], args["completed"], args["not_completed"]) == (6, 4, 1)
    assert (args["revenue"], args["commission"]) == (yuan(sum(revenue)), yuan(sum(commission)))
    assert reply.text.startswith("The last 7 days, 2026-11-17 to 2026-11-23:")
    lines = [line for line in reply.text.splitlines() if line[:5] in days]
    none = "0.00 · 0.00 · 0.00"  # no coupon, cancellation fee or refund: the cancellation was free
    assert lines == [f"{day}: {c} · {c} · 0 · {yuan(r)} · {none}" for day, c, r in zip(days, completed, revenue,
                                                                                       strict=True)][:6] + [
        f"11-23: 3 · 1 · 1 · {yuan(revenue[-1])} · 0.00 · 0.00 · {yuan(rows[cancelled].total)}"]
    assert all(square in reply.text for square in CHART_COLOURS.values())

    # Today's line says what /today says.
    today = (await chat.send(OP, "/today"))[0].args
    assert (today["created"], today["completed"], today["revenue"]) == (3, 1, yuan(revenue[-1]))


async def test_a_report_of_a_day_or_of_a_month(chat, db, campus, clock):
    await operator(chat)
    (one,) = await chat.send(OP, "/report 1")
    # One day is today's: its date said once (before: "The last day, 2026-11-23 to 2026-11-23").
    assert one.chart.labels == ("11-23",) and one.text.startswith("Today, 2026-11-23:")
    assert catalogue("zh_CN")("admin-report", **one.args).startswith("今天（2026-11-23）：")
    (month,) = await chat.send(OP, "/report 31")
    assert len(month.chart.labels) == 31 and month.chart.labels[0] == "10-24"
    assert month.args["revenue"] == "0.00" and month.chart.panels[1].series[1][1] == (0,) * 31


@pytest.mark.parametrize(("text", "key"), [
    ("/report seven", "admin-usage-report"), ("/report 7 days", "admin-usage-report"),
    ("/report -3", "admin-usage-report"),
    ("/report 0", "admin-report-days-range"), ("/report 32", "admin-report-days-range"),
    ("/report 365", "admin-report-days-range"),
])
async def test_a_report_of_no_sensible_number_of_days_is_refused_with_how_to_ask(chat, db, campus, clock, text, key):
    await operator(chat)
    (reply,) = await chat.send(OP, text)
    assert reply.key == key and reply.chart is None and "31" in reply.text


async def test_the_report_is_for_operators_only_and_speaks_their_language(chat, db, campus, clock):
    await make_user(db, campus, clock.now, name="erin")
    assert keys(await chat.send("erin", "/report")) == ["error-operators-only"]
    await operator_speaking(db, campus, clock.now, "zh_CN")
    (reply,) = await chat.send("dora", "/report 3")
    assert reply.text.startswith("最近 3 天（2026-11-21 至 2026-11-23）：")
    assert "11-23：0 · 0 · 0 · 0.00 · 0.00 · 0.00 · 0.00" in reply.text and "🟩 完成 🟥 未完成" in reply.text


async def test_revenue_leaves_out_the_money_students_gave_for_goods(chat, db, campus, clock):
    """A buy task's goods money paid for the goods (or went back): it is nobody's revenue."""
    await operator(chat)
    now = clock.now
    customer, runner = await make_user(db, campus, now), await make_runner(db, campus, now)
    order_id = await make_order(db, campus, customer, now, goods=5000)
    await act(db, campus, order_id, Event.accept, Actor(Role.runner, runner), now)
    await act(db, campus, order_id, Event.pickup, Actor(Role.runner, runner), now)
    await act(db, campus, order_id, Event.goods_bought, Actor(Role.runner, runner), now, goods_spent=3000)
    await act(db, campus, order_id, Event.deliver, Actor(Role.runner, runner), now)
    await act(db, campus, order_id, Event.confirm, Actor(Role.customer, customer), now)
    row = (await orders(db))[order_id]
    args = (await chat.send(OP, "/today"))[0].args
    assert row.total == row.service_fee + row.tip + 5000
    assert (args["completed"], args["revenue"], args["commission"]) == (
        1, yuan(row.total - 5000), yuan(row.commission))


async def test_refunds_count_the_goods_money_a_refund_or_cancellation_after_pickup_gave_back(chat, db, campus, clock):
    """Ended after pickup, a buy task's goods money goes back apart from the rest (`order:N:goods`, as at a
    completion): a refund counts it, as the operator was told; the change of a completed buy task it does not."""
    await operator(chat)
    now = clock.now
    customer, runner = await make_user(db, campus, now), await make_runner(db, campus, now)
    done, cancelled, refunded = [await make_order(db, campus, customer, now, goods=5000) for _ in range(3)]
    for order_id in (done, cancelled, refunded):
        await act(db, campus, order_id, Event.accept, Actor(Role.runner, runner), now)
        await act(db, campus, order_id, Event.pickup, Actor(Role.runner, runner), now)
    await act(db, campus, done, Event.goods_bought, Actor(Role.runner, runner), now, goods_spent=3000)
    await act(db, campus, done, Event.deliver, Actor(Role.runner, runner), now)
    await act(db, campus, done, Event.confirm, Actor(Role.customer, customer), now)
    told = await chat.send(OP, f"/cancelorder {cancelled} ¥0 shop closed")
    rows = await orders(db)
    assert keys(told) == ["admin-order-cancelled"] and told[0].args["refund"] == yuan(rows[cancelled].total)
    await act(db, campus, refunded, Event.report, Actor(Role.customer, customer), now)
    assert keys(await chat.send(OP, f"/resolve {refunded} refund spent ¥20 wrong goods")) == ["admin-resolved"]

    back = rows[cancelled].total + rows[refunded].total - 2000  # all of the one, all but what was spent of the other
    goods_back = await ledger_sums(db, f"order:{cancelled}:goods", "customer") + await ledger_sums(
        db, f"order:{refunded}:goods", "customer")
    assert goods_back == 5000 + 3000
    assert await ledger_sums(db, "order:%:refund", "customer") + goods_back == back
    assert await ledger_sums(db, f"order:{done}:goods", "customer") == 2000  # change, not a refund
    (today,) = await chat.send(OP, "/today")
    assert today.args["refunds"] == yuan(back)
    (report,) = await chat.send(OP, "/report 1")
    assert report.args["refunds"] == yuan(back)
    revenue = rows[done].service_fee + rows[done].tip
    assert f"11-23: 3 · 1 · 2 · {yuan(revenue)} · 0.00 · 0.00 · {yuan(back)}" in report.text


async def test_revenue_counts_what_a_coupon_paid_so_the_commission_is_never_more_than_it(chat, db, campus, clock):
    # Before, an errand a coupon paid in full was 0.00 revenue beside its commission, and the chart's revenue bar
    # showed the commission alone.
    await operator(chat)
    now = clock.now
    customer, runner = await make_user(db, campus, now), await make_runner(db, campus, now)
    order_id = await make_order(db, campus, customer, now, coupon=FREE_COUPON)
    await act(db, campus, order_id, Event.accept, Actor(Role.runner, runner), now)
    for event in (Event.pickup, Event.deliver):
        await act(db, campus, order_id, event, Actor(Role.runner, runner), now)
    await act(db, campus, order_id, Event.confirm, Actor(Role.customer, customer), now)
    row = (await orders(db))[order_id]
    assert row.total == 0 and row.commission > 0
    (reply,) = await chat.send(OP, "/report 1")
    worth = row.service_fee + row.tip
    assert (reply.args["revenue"], reply.args["commission"]) == (yuan(worth), yuan(row.commission))
    assert reply.chart.panels[1].series == (("orange", (row.commission,)), ("blue", (worth - row.commission,)))


async def test_commission_and_compensation_count_only_this_campus_orders(chat, db, campus, clock):
    """A compensation of any of an order's people counts once; another campus's order counts nowhere here."""
    await operator(chat)
    customer = await make_user(db, campus, clock.now)
    runner = await make_runner(db, campus, clock.now)
    ours = await completed_order(db, campus, clock.now, customer, runner)
    theirs = await completed_order(db, campus, clock.now, customer, runner)
    async with UnitOfWork(db) as uow:
        await uow.ledger.post(ledger.runner_compensation(ours, runner, 300), clock.now)
        await uow.ledger.post(ledger.compensation(ours, customer, 150), clock.now)
        await uow.ledger.post(ledger.compensation(theirs, customer, 700), clock.now)
        await uow.ledger.post(ledger.runner_compensation(theirs, runner, 900), clock.now)
        await uow.session.execute(update(OrderRow).where(OrderRow.id == theirs).values(campus_id="elsewhere"))
    rows = await orders(db)
    args = (await chat.send(OP, "/today"))[0].args
    assert (args["commission"], args["compensation"]) == (yuan(rows[ours].commission), "4.50")


async def ledger_sums(db, pattern: str, kind: str) -> int:
    """The sum of the entries on accounts of this kind in the postings whose key is like `pattern`."""
    async with UnitOfWork(db, write=False) as uow:
        rows = (await uow.session.execute(
            select(LedgerEntry.account, LedgerEntry.amount)
            .join(LedgerPosting, LedgerPosting.id == LedgerEntry.posting_id)
            .where(LedgerPosting.key.like(pattern)))).all()
    return sum(amount for account, amount in rows if ledger.account_kind(account) == kind)


async def test_coupons_cancellation_fees_and_refunds_are_counted_from_the_ledger(chat, db, campus, clock):
    """A day with an errand a coupon paid part of, a late cancellation of one a coupon paid in full, and a refund:
    /today and /report say what the marketing account paid, what runners got as cancellation fees and what went back
    to students' wallets, as the ledger has them; another campus's order counts nowhere here."""
    await operator(chat)
    now = clock.now
    customer, runner = await make_user(db, campus, now), await make_runner(db, campus, now)
    done = await make_order(db, campus, customer, now, coupon=Discount("TWO", amount_off=200))
    await act(db, campus, done, Event.accept, Actor(Role.runner, runner), now)
    for event in (Event.pickup, Event.deliver):
        await act(db, campus, done, event, Actor(Role.runner, runner), now)
    await act(db, campus, done, Event.confirm, Actor(Role.customer, customer), now)
    cancelled = await make_order(db, campus, customer, now, coupon=FREE_COUPON)
    await act(db, campus, cancelled, Event.accept, Actor(Role.runner, runner), now)
    refunded = await make_order(db, campus, customer, now)
    theirs = await make_order(db, campus, customer, now, coupon=FREE_COUPON)
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(OrderRow).where(OrderRow.id == theirs).values(campus_id="elsewhere"))
    clock.advance(minutes=campus.cancellation.free_minutes_after_accept + 1)
    await act(db, campus, cancelled, Event.cancel, Actor(Role.customer, customer), clock.now)
    await act(db, campus, refunded, Event.cancel, Actor(Role.customer, customer), clock.now)
    rows = await orders(db)

    fee = campus.cancellation.fee_after_accept
    coupons = 200 + fee  # the completed errand's coupon, and the part of the cancelled one's that paid the fee
    refunds = rows[refunded].total  # the coupon paid all of the cancelled one: nothing of the student's went back
    async with UnitOfWork(db, write=False) as uow:
        marketing = await uow.ledger.balance(ledger.MARKETING)
    assert -marketing == coupons + rows[theirs].service_fee + rows[theirs].tip  # theirs: not this campus's
    assert await ledger_sums(db, "order:%:cancel-fee", "runner") == fee
    assert await ledger_sums(db, "order:%:refund", "customer") + await ledger_sums(
        db, "order:%:cancel-fee", "customer") == refunds

    (today,) = await chat.send(OP, "/today")
    assert (today.args["coupons"], today.args["fees"], today.args["refunds"]) == (
        yuan(coupons), yuan(fee), yuan(refunds))
    assert (f"Coupons paid by the platform: {yuan(coupons)} yuan · cancellation fees to runners: {yuan(fee)} yuan · "
            f"refunds to students: {yuan(refunds)} yuan") in today.text
    (report,) = await chat.send(OP, "/report 2")
    assert (report.args["coupons"], report.args["fees"], report.args["refunds"]) == (
        yuan(coupons), yuan(fee), yuan(refunds))
    revenue = rows[done].service_fee + rows[done].tip
    assert f"11-23: 3 · 1 · 2 · {yuan(revenue)} · {yuan(coupons)} · {yuan(fee)} · {yuan(refunds)}" in report.text
    assert "11-22: 0 · 0 · 0 · 0.00 · 0.00 · 0.00 · 0.00" in report.text
