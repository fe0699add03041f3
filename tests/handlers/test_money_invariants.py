"""Money truth: random mixed actions through the chat harness; after each step the ledger, the escrows, the
withdrawal holds and every balance a person is shown must agree with each other."""
from __future__ import annotations

import datetime as dt
import os
import random
import re
from collections import defaultdict

import pytest
from sqlalchemy import select

from core import ledger
from core.clock import local_day
from core.money import format_yuan
from core.order import FINAL, Status
from core.pricing import Discount
from handlers.sweep import sweep
from storage.models import Complaint, Coupon, CouponRedemption, LedgerEntry, LedgerPosting, OrderEvent, Withdrawal
from storage.models import Order as OrderRow
from storage.uow import UnitOfWork
from tests.factories import make_order
from tests.handlers.harness import keys
from tests.handlers.test_admin import OP, operator
from tests.handlers.test_runner import complete, person, runner

HALF = Discount("HALF", percent_off_bp=5000, cap=500)
MONEY = re.compile(r"-?\d+\.\d\d")


def fen(text: str) -> int:
    y, c = text.lstrip("-").split(".")
    return (-1 if text.startswith("-") else 1) * (int(y) * 100 + int(c))


class World:
    def __init__(self, chat, services, db, campus, clock, rng):
        self.chat, self.services, self.db, self.campus, self.clock, self.rng = chat, services, db, campus, clock, rng
        self.students: dict[str, int] = {}
        self.runners: dict[str, int] = {}
        self.names: dict[int, str] = {}
        self.log: list[str] = []

    async def rows(self) -> list[OrderRow]:
        async with UnitOfWork(self.db, write=False) as uow:
            return list(await uow.session.scalars(select(OrderRow).order_by(OrderRow.id)))

    async def withdrawals(self) -> list[Withdrawal]:
        async with UnitOfWork(self.db, write=False) as uow:
            return list(await uow.session.scalars(select(Withdrawal).order_by(Withdrawal.id)))

    async def complaints(self) -> list[Complaint]:
        async with UnitOfWork(self.db, write=False) as uow:
            return list(await uow.session.scalars(select(Complaint).where(Complaint.status == "open")))

    async def balance(self, account: str) -> int:
        async with UnitOfWork(self.db, write=False) as uow:
            return await uow.ledger.balance(account)

    async def send(self, who: str, text: str):
        replies = await self.chat.send(who, text)
        self.log.append(f"{who}: {text} -> {keys(replies)}")
        return replies

    async def press(self, who: str, data: str):
        replies = await self.chat.press(who, f"data:{data}")
        self.log.append(f"{who}: [{data}] -> {keys(replies)}")
        return replies

    # ------------------------------------------------------------------------------------------------ actions

    async def act(self) -> None:
        rng = self.rng
        rows = await self.rows()
        by = defaultdict(list)
        for r in rows:
            by[r.status].append(r)
        live = [r for r in rows if Status(r.status) not in FINAL]
        choices = ["topup", "time", "withdraw"] + ["order"] * 2 * (len(live) < 6)
        choices += ["pay"] * 3 * bool(by["awaiting_payment"]) + ["provider"] * bool(by["awaiting_payment"])
        choices += ["extra"] * 4 * any(r.goods_extra for r in by["picked_up"])
        choices += ["spent"] * 2 * any(r.goods and r.goods_spent is None and not r.goods_extra for r in by["picked_up"])
        choices += ["grab"] * 4 * bool(by["open"]) + ["cancel"] * bool(by["open"])
        choices += ["cancel", "release"] * bool(by["accepted"]) + ["pickup"] * 5 * bool(by["accepted"])
        choices += ["deliver"] * 5 * bool(by["picked_up"]) + ["confirm"] * 4 * bool(by["delivered"])
        choices += ["complain"] * bool(by["accepted"] or by["picked_up"] or by["delivered"])
        choices += ["resolve"] * 3 * bool(by["exception"])
        choices += ["opcancel"] * bool(by["open"] or by["accepted"] or by["picked_up"])
        choices += ["payout"] * 2 * any(w.status == "pending" for w in await self.withdrawals())
        choices += ["uphold"] * 2 * bool(await self.complaints())
        choices += ["reassign"] * bool(by["accepted"])
        choices += ["reopen"] * any(r.picked_up_at is None and r.runner_id for r in by["exception"])
        what = rng.choice(choices)
        await getattr(self, f"do_{what}")(by)

    async def do_topup(self, by) -> None:
        name = self.rng.choice(list(self.students))
        await self.send(OP, f"/topup #{self.students[name]} {self.rng.choice([5, 12.5, 30, 60])}")

    async def do_order(self, by) -> None:
        name = self.rng.choice(list(self.students))
        kwargs = {}
        if self.rng.random() < 0.3:
            kwargs["goods"] = self.rng.choice([500, 1234, 3000])
        if self.rng.random() < 0.3:
            kwargs["coupon"] = HALF
        order_id = await make_order(self.db, self.campus, self.students[name], self.clock.now, pay=False, **kwargs)
        self.log.append(f"order #{order_id} for {name} {kwargs}")

    async def do_pay(self, by) -> None:
        row = self.rng.choice(by["awaiting_payment"])
        who = self.names[row.customer_id]
        await self.press(who, f"pay:{row.id}")
        if self.rng.random() < 0.3:  # a repeated press
            await self.press(who, f"pay:{row.id}")

    async def do_grab(self, by) -> None:
        row = self.rng.choice(by["open"])
        await self.send(self.rng.choice(list(self.runners)), f"/grab {row.id}")

    async def do_cancel(self, by) -> None:
        row = self.rng.choice(by["open"] + by["accepted"])
        who = self.names[row.customer_id]
        replies = await self.send(who, f"/cancel {row.id}")
        yes = [c.data for r in replies for c in r.flat_choices() if ":cancel_yes:" in c.data]
        if yes:
            await self.press(who, yes[0])

    async def do_release(self, by) -> None:
        row = self.rng.choice(by["accepted"])
        who = self.names[row.runner_id]
        replies = await self.send(who, f"/release {row.id}")
        yes = [c.data for r in replies for c in r.flat_choices() if ":release_yes" in c.data]
        if yes:
            await self.press(who, yes[0])

    async def do_pickup(self, by) -> None:
        row = self.rng.choice(by["accepted"])
        who = self.names[row.runner_id]
        if row.goods:
            spent = self.rng.choice([0, row.goods // 2, row.goods, row.goods + 300, row.goods + 777])
            await self.send(who, f"/picked {row.id} {format_yuan(spent)}")
        else:
            await self.send(who, f"/picked {row.id}")

    async def do_provider(self, by) -> None:
        row = self.rng.choice(by["awaiting_payment"])
        who = self.names[row.customer_id]
        self.charges = getattr(self, "charges", 0) + 1
        amount = row.total if self.rng.random() < 0.8 else row.total + 100
        replies = await self.chat.pay(who, "telegram", f"ch{self.charges}", row.id, amount)
        self.log.append(f"{who}: charge ch{self.charges} {amount} for #{row.id} -> {keys(replies)}")
        if self.rng.random() < 0.3:  # the provider says it again
            replies = await self.chat.pay(who, "telegram", f"ch{self.charges}", row.id, amount)
            self.log.append(f"{who}: replayed ch{self.charges} -> {keys(replies)}")

    async def do_extra(self, by) -> None:
        row = self.rng.choice([r for r in by["picked_up"] if r.goods_extra])
        who = self.names[row.customer_id]
        how = self.rng.choice(["pay", "refuse", "provider"])
        if how == "pay":
            await self.press(who, f"extra:{row.id}:{row.goods_extra}")
        elif how == "refuse":
            await self.press(who, f"noextra:{row.id}:{row.goods_extra}")
        else:
            self.charges = getattr(self, "charges", 0) + 1
            replies = await self.chat.pay(who, "telegram", f"ch{self.charges}", row.id, row.goods_extra + 50,
                                          extra=row.goods_extra)
            self.log.append(f"{who}: extra charge for #{row.id} -> {keys(replies)}")

    async def do_spent(self, by) -> None:
        row = self.rng.choice([r for r in by["picked_up"] if r.goods and r.goods_spent is None and not r.goods_extra])
        spent = self.rng.choice([0, row.goods, row.goods + 200])
        await self.send(self.names[row.runner_id], f"/picked {row.id} {format_yuan(spent)}")

    async def do_reassign(self, by) -> None:
        row = self.rng.choice(by["accepted"])
        other = next(uid for uid in self.runners.values() if uid != row.runner_id)
        await self.send(OP, f"/reassign {row.id} #{other}")

    async def do_reopen(self, by) -> None:
        row = self.rng.choice([r for r in by["exception"] if r.picked_up_at is None and r.runner_id])
        await self.send(OP, f"/resolve {row.id} reopen")

    async def do_deliver(self, by) -> None:
        row = self.rng.choice(by["picked_up"])
        await self.send(self.names[row.runner_id], f"/delivered {row.id}")

    async def do_confirm(self, by) -> None:
        row = self.rng.choice(by["delivered"])
        await self.press(self.names[row.customer_id], f"o:{row.id}:confirm")

    async def do_complain(self, by) -> None:
        row = self.rng.choice(by["accepted"] + by["picked_up"] + by["delivered"])
        who = self.names[row.customer_id] if self.rng.random() < 0.7 else self.names[row.runner_id]
        await self.send(who, f"/complain {row.id} something went wrong")

    async def do_resolve(self, by) -> None:
        row = self.rng.choice(by["exception"])
        outcome = self.rng.choice(["complete", "refund"]) if row.runner_id else "refund"
        spent = ""
        if row.goods and row.goods_spent is None and row.picked_up_at is not None:
            spent = f" spent ¥{format_yuan(self.rng.choice([0, row.goods]))}"
        comp = self.rng.choice(["", "", " ¥2", " ¥3.5"])
        await self.send(OP, f"/resolve {row.id} {outcome}{spent}{comp} note")

    async def do_opcancel(self, by) -> None:
        row = self.rng.choice(by["open"] + by["accepted"] + by["picked_up"])
        cost = ""
        if row.goods and row.goods_spent is None and row.status == "picked_up":
            cost = f" ¥{format_yuan(self.rng.choice([0, row.goods]))}"
        await self.send(OP, f"/cancelorder {row.id}{cost} shop closed")

    async def do_uphold(self, by) -> None:
        c = self.rng.choice(await self.complaints())
        await self.send(OP, f"/uphold {c.id}{self.rng.choice(['', ' ¥1', ' ¥4'])} fair")

    async def do_withdraw(self, by) -> None:
        name = self.rng.choice(list(self.runners))
        have = await self.balance(ledger.runner(self.runners[name]))
        if have <= 0:
            await self.send(name, "/income")
            return
        amount = self.rng.choice([have, max(have // 3, 1)])
        await self.send(name, f"/withdraw {format_yuan(amount)}")

    async def do_payout(self, by) -> None:
        w = self.rng.choice([w for w in await self.withdrawals() if w.status == "pending"])
        if self.rng.random() < 0.6:
            await self.send(OP, f"/payout {w.id}")
        else:
            await self.send(OP, f"/refusepayout {w.id} wrong account")

    async def do_time(self, by) -> None:
        minutes = self.rng.choice([1, 5, 20, 45, 90, 240, 600, 1500])
        self.clock.advance(minutes=minutes)
        report = await sweep(self.services, self.clock.now)
        self.log.append(f"time +{minutes}m -> {self.clock.now.isoformat()} sweep {report}")

    # ------------------------------------------------------------------------------------------------ checks

    async def check(self) -> None:
        where = "\n".join(self.log[-6:])
        async with UnitOfWork(self.db, write=False) as uow:
            assert await uow.ledger.total() == 0, where
            assert await uow.ledger.entries_total() == 0, where
            balances = await uow.ledger.balances()
            for account, bal in balances.items():
                if ledger.no_overdraft(account):
                    assert bal >= 0, f"{account} = {bal}\n{where}"
            orders = list(await uow.session.scalars(select(OrderRow)))
            for o in orders:
                held = balances.get(ledger.escrow(o.id), 0)
                if Status(o.status) in FINAL or o.status == "awaiting_payment":
                    assert held == 0, f"escrow of #{o.id} ({o.status}) holds {held}\n{where}"
                else:
                    assert held == o.total + o.discount, f"escrow of #{o.id} ({o.status}) {held}\n{where}"
            for w in await uow.session.scalars(select(Withdrawal)):
                held = balances.get(ledger.withdrawal_hold(w.id), 0)
                assert held == (w.amount if w.status == "pending" else 0), f"withdrawal {w.id}\n{where}"
            # A coupon counts as used by the orders whose payment it still pays for (not given back by a refund).
            subsidy = defaultdict(int)
            for key, amount in (await uow.session.execute(
                    select(LedgerPosting.key, LedgerEntry.amount)
                    .join(LedgerEntry, LedgerEntry.posting_id == LedgerPosting.id)
                    .where(LedgerEntry.account == ledger.MARKETING))).all():
                subsidy[int(key.split(":")[1])] += amount
            using = sorted(o.id for o in orders if subsidy[o.id])
            redeemed = sorted(await uow.session.scalars(select(CouponRedemption.order_id)))
            assert redeemed == using, f"redeemed {redeemed} but coupon money spent on {using}\n{where}"
            coupon = await uow.session.get(Coupon, "HALF")
            assert coupon.used == len(redeemed), where
            pending = defaultdict(int)
            for w in await uow.session.scalars(select(Withdrawal).where(Withdrawal.status == "pending")):
                pending[w.runner_id] += w.amount
        for name, uid in self.students.items():
            (shown,) = [r for r in await self.chat.send(name, "/wallet")]
            first = shown.text.splitlines()[0]
            assert first == f"Wallet balance: {format_yuan(balances.get(ledger.customer(uid), 0))} yuan", \
                f"{name}: {first}\n{where}"
        for name, uid in self.runners.items():
            (shown,) = await self.chat.send(name, "/income")
            line = shown.text.splitlines()[1]
            assert line == (f"Wallet: {format_yuan(balances.get(ledger.runner(uid), 0))} yuan "
                            f"(held for withdrawal: {format_yuan(pending[uid])} yuan)"), f"{name}: {line}\n{where}"


async def ledger_days(db, campus) -> dict[dt.date, dict[str, int]]:
    """Per campus day, from the ledger and history alone: commission, compensation, completed orders, revenue."""
    days: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    async with UnitOfWork(db, write=False) as uow:
        rows = (await uow.session.execute(
            select(LedgerPosting.key, LedgerPosting.at, LedgerEntry.amount)
            .join(LedgerEntry, LedgerEntry.posting_id == LedgerPosting.id)
            .where(LedgerEntry.account == ledger.PLATFORM_REVENUE))).all()
        for key, at, amount in rows:
            day = local_day(campus.tz, at)
            if key.endswith(":complete"):
                days[day]["commission"] += amount
            elif key.startswith("compensation:"):
                days[day]["compensation"] -= amount
        orders = {o.id: o for o in await uow.session.scalars(select(OrderRow))}
        for e in await uow.session.scalars(select(OrderEvent).where(OrderEvent.to_status == "completed")):
            day = local_day(campus.tz, e.at)
            days[day]["completed"] += 1
            days[day]["revenue"] += orders[e.order_id].service_fee + orders[e.order_id].tip
    return days


@pytest.mark.parametrize("seed", range(1, 1 + int(os.environ.get("MONEY_SEEDS", "2"))))  # more: MONEY_SEEDS=16
async def test_random_money_actions_keep_the_ledger_and_every_view_true(chat, services, db, campus, clock,
                                                                               seed):
    rng = random.Random(seed)
    clock.advance(hours=rng.choice([0, 4, 5]))  # 10:00, 14:00 or 15:00 in Shanghai: midnight comes soon
    w = World(chat, services, db, campus, clock, rng)
    await operator(chat)
    assert keys(await chat.send(OP, "/coupon create HALF 50% cap 5 0 0 0")) == ["admin-coupon-created"]
    for name in ("sam", "sue", "sid"):
        uid = await person(db, campus, clock.now, name)
        w.students[name], w.names[uid] = uid, name
    for name in ("rob", "rae"):
        uid = await runner(db, campus, clock.now, name)
        w.runners[name], w.names[uid] = uid, name
    start = local_day(campus.tz, clock.now)
    for _ in range(200):
        await w.act()
        await w.check()
    if __import__("os").environ.get("DBG"): print("\n".join(w.log))
    # The report of every day so far says what the ledger says of it.
    days = (local_day(campus.tz, clock.now) - start).days + 1
    assert days <= 31
    (report,) = await chat.send(OP, f"/report {days}")
    truth = await ledger_days(db, campus)
    assert report.args["commission"] == format_yuan(sum(d["commission"] for d in truth.values())), "\n".join(w.log)
    assert report.args["compensation"] == format_yuan(sum(d["compensation"] for d in truth.values()))
    assert report.args["completed"] == sum(d["completed"] for d in truth.values())
    assert report.args["revenue"] == format_yuan(sum(d["revenue"] for d in truth.values()))
    async with UnitOfWork(db, write=False) as uow:
        platform = await uow.ledger.balance(ledger.PLATFORM_REVENUE)
    assert platform == sum(d["commission"] - d["compensation"] for d in truth.values())


# ---------------------------------------------------------------------------------------------------- day edges

async def test_the_report_and_income_count_campus_days_not_utc_days(chat, services, db, campus, clock):
    """Monday 23 November 2026 in Shanghai (UTC+8): the campus's Monday began at 16:00 UTC on Sunday."""
    await operator(chat)
    alice = await person(db, campus, clock.now, "alice")
    rob = await runner(db, campus, clock.now, "rob")
    sunday_late = dt.datetime(2026, 11, 22, 15, 30, tzinfo=dt.UTC)  # Sunday 23:30 in Shanghai
    monday_early = dt.datetime(2026, 11, 22, 16, 30, tzinfo=dt.UTC)  # Monday 00:30, still Sunday in UTC
    monday_late = dt.datetime(2026, 11, 23, 15, 59, tzinfo=dt.UTC)  # Monday 23:59
    tuesday_early = dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)  # Tuesday 00:00
    earned = {at: await complete(db, campus, alice, rob, at)
              for at in (sunday_late, monday_early, monday_late, tuesday_early)}
    clock.now = dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)  # Tuesday 01:00 in Shanghai
    (report,) = await chat.send(OP, "/report 3")
    lines = report.text.splitlines()
    assert [line.split(":")[0] for line in lines if line[:3] in ("11-",)] == ["11-22", "11-23", "11-24"]
    assert [line.split(": ")[1].split(" · ")[1] for line in lines if line.startswith("11-")] == ["1", "2", "1"]
    (income,) = await chat.send("rob", "/income")
    assert f"Earned today: {format_yuan(earned[tuesday_early])} yuan" in income.text
    week = earned[monday_early] + earned[monday_late] + earned[tuesday_early]
    assert f"this week: {format_yuan(week)} yuan" in income.text
    (today,) = await chat.send(OP, "/today")
    assert today.args["completed"] == 1 and today.args["date"] == "2026-11-24"
