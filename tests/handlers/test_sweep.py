"""Timers: every deadline applied once, by the state machine, never racing a person's action."""
import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select, update

from core import ledger
from core.campus import CreditEvent, Gender
from core.money import format_yuan
from core.order import Actor, Event, Role
from handlers import sweep as sweep_module
from handlers.sweep import SweepReport, sweep
from locales import catalogue
from storage.models import CreditRecord, Order, OrderEvent, Outbox, RunnerProfile, User
from storage.outbox import open_payload
from storage.uow import UnitOfWork
from tests.factories import CIPHER, FREE_COUPON, act, make_order, make_runner, make_user
from tests.handlers.harness import keys
from tests.handlers.test_ordering import PARCEL_TO_MY_ROOM, answer_all, funded, orders_of
from tests.handlers.test_runner import runner


async def order_row(db, order_id):
    async with UnitOfWork(db, write=False) as uow:
        return await uow.orders.get_row(order_id)


async def outbox(db, key=None):
    async with UnitOfWork(db, write=False) as uow:
        rows = list(await uow.session.scalars(select(Outbox).order_by(Outbox.id)))
    for r in rows:  # messages to a person are sealed (storage.outbox): read them as their recipient would
        r.payload = open_payload(CIPHER, r.payload)
    return [r for r in rows if key is None or r.payload["key"] == key]


async def balance(db, account):
    async with UnitOfWork(db, write=False) as uow:
        return await uow.ledger.balance(account)


async def ledger_total(db):
    async with UnitOfWork(db, write=False) as uow:
        return await uow.ledger.total(), await uow.ledger.entries_total()


async def events(db, order_id):
    async with UnitOfWork(db, write=False) as uow:
        return [e.event for e in await uow.orders.history(order_id)]


async def grabbed_order(services, db, campus, clock):
    alice = await make_user(db, campus, clock(), name="alice")
    runner = await make_runner(db, campus, clock())
    order_id = await make_order(db, campus, alice, clock())
    assert (await services.grabs.grab(order_id, runner)).won
    return alice, runner, order_id


async def test_unpaid_order_closes_after_pay_minutes_and_not_before(services, db, campus, clock):
    alice = await make_user(db, campus, clock(), name="alice")
    order_id = await make_order(db, campus, alice, clock(), pay=False)

    clock.advance(minutes=campus.timeouts.pay_minutes - 1)
    report = await sweep(services, clock())
    assert report.total == 0 and (await order_row(db, order_id)).status == "awaiting_payment"

    clock.advance(minutes=1)
    report = await sweep(services, clock())
    assert report.closed_unpaid == 1 and report.total == 1
    row = await order_row(db, order_id)
    assert row.status == "closed" and row.pay_by is None
    assert await events(db, order_id) == ["unpaid_timeout"]
    [notice] = await outbox(db)
    assert notice.recipient == "alice" and notice.payload["key"] == "notice-closed-unpaid"
    assert f"#{order_id}" in notice.payload["text"]


async def test_unclaimed_order_is_reannounced_then_expires_with_a_full_refund(services, db, campus, clock):
    alice = await make_user(db, campus, clock(), name="alice")
    order_id = await make_order(db, campus, alice, clock())
    paid = (await order_row(db, order_id)).total
    assert await balance(db, ledger.customer(alice)) == 0 and await balance(db, ledger.escrow(order_id)) == paid

    clock.advance(minutes=campus.timeouts.reannounce_minutes - 1)
    assert (await sweep(services, clock())).total == 0
    clock.advance(minutes=1)
    report = await sweep(services, clock())
    assert report.reannounced == 1 and report.total == 1
    [reminder] = await outbox(db)
    assert reminder.recipient == f"hall:{campus.id}" and reminder.payload["key"] == "sweep-hall-reminder"
    assert reminder.payload["edit_key"] == f"hall:{order_id}"
    assert [c["data"] for row in reminder.payload["choices"] for c in row] == [f"g:{order_id}"]  # still grabbable
    row = await order_row(db, order_id)
    assert row.status == "open"
    assert row.reannounce_at == clock() + dt.timedelta(minutes=campus.timeouts.reannounce_minutes)
    # The hall sees buildings and fee, never a name.
    assert "alice" not in reminder.payload["text"]

    # Nothing more until the next reminder is due.
    clock.advance(minutes=1)
    assert (await sweep(services, clock())).total == 0

    clock.advance(minutes=campus.timeouts.accept_minutes - campus.timeouts.reannounce_minutes - 1)
    report = await sweep(services, clock())
    assert report.expired == 1 and report.reannounced == 0
    row = await order_row(db, order_id)
    assert row.status == "expired" and row.accept_by is None and row.reannounce_at is None
    assert await balance(db, ledger.customer(alice)) == paid
    assert await balance(db, ledger.escrow(order_id)) == 0
    assert await ledger_total(db) == (0, 0)
    [expired] = await outbox(db, "notice-expired")
    assert expired.recipient == "alice"
    # The hall post is replaced: the order is gone (the hall flow renders notice-hall-gone as hall-gone).
    last_hall = [n.payload for n in await outbox(db) if n.recipient.startswith("hall:")][-1]
    assert last_hall["key"] in ("notice-hall-gone", "hall-gone") and last_hall["edit_key"] == f"hall:{order_id}"
    assert not last_hall["choices"]


@pytest.mark.parametrize(("language", "told"), [
    ("en", "Nobody took order #{order} in time. Your coupon covered all of it, so you paid nothing and nothing went "
           "back to your wallet."),
    ("zh_CN", "订单 #{order} 无人接单。这笔订单由优惠券全额抵扣，你没有支付任何费用，因此没有金额退回钱包。"),
], ids=["en", "zh_CN"])
async def test_an_order_a_coupon_paid_in_full_expires_without_telling_of_0_yuan_back(services, db, campus, clock,
                                                                                     language, told):
    alice = await make_user(db, campus, clock(), name="alice")
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(User).where(User.id == alice).values(language=language))
    order_id = await make_order(db, campus, alice, clock(), coupon=FREE_COUPON)
    assert (await order_row(db, order_id)).total == 0

    clock.advance(minutes=campus.timeouts.accept_minutes)
    assert (await sweep(services, clock())).expired == 1
    assert (await order_row(db, order_id)).status == "expired"
    [expired] = await outbox(db, "notice-expired")
    assert expired.payload["text"] == told.format(order=order_id)
    assert await balance(db, ledger.customer(alice)) == 0


async def test_accepted_but_not_picked_up_goes_back_to_open_with_a_credit_penalty(services, db, campus, clock):
    alice, runner, order_id = await grabbed_order(services, db, campus, clock)

    clock.advance(minutes=campus.timeouts.pickup_minutes - 1)
    assert (await sweep(services, clock())).total == 0
    clock.advance(minutes=1)
    report = await sweep(services, clock())
    assert report.pickup_timeouts == 1
    row = await order_row(db, order_id)
    assert row.status == "open" and row.runner_id is None and row.accept_by is not None
    assert await events(db, order_id) == ["pay", "accept", "pickup_timeout"]
    async with UnitOfWork(db, write=False) as uow:
        profile = await uow.runners.get(runner)
        records = list(await uow.session.scalars(select(CreditRecord).where(CreditRecord.runner_id == runner)))
    assert [r.event for r in records] == ["pickup_timeout"]
    assert profile.credit == campus.credit.initial + campus.credit_change(CreditEvent.pickup_timeout)
    assert profile.credit < campus.credit.initial and profile.active_orders == 0
    keys = {(n.recipient, n.payload["key"]) for n in await outbox(db)}
    assert ("alice", "notice-runner-timed-out") in keys
    assert any(k == "notice-pickup-timeout" for _, k in keys)
    # Back in the hall with a grab button.
    hall_post = [n.payload for n in await outbox(db) if n.recipient == f"hall:{campus.id}"][-1]
    assert hall_post["edit_key"] == f"hall:{order_id}"
    assert [c["data"] for row in hall_post["choices"] for c in row] == [f"g:{order_id}"]

    # Re-opened "at once": the transition announced it, so the next sweep does not announce it a second time.
    hall_before = len([n for n in await outbox(db) if n.recipient.startswith("hall:")])
    clock.advance(seconds=5)
    assert (await sweep(services, clock())).reannounced == 0
    assert len([n for n in await outbox(db) if n.recipient.startswith("hall:")]) == hall_before


async def scheduled_and_grabbed(services, db, campus, clock, *, minutes_in: int, window_minutes: int = 10):
    """Alice's errand scheduled for 12:00-12:10 campus time (12:00 and `window_minutes`), paid, taken `minutes_in`
    minutes after 12:00; the order and its runner."""
    alice = await make_user(db, campus, clock(), name="alice")
    order_id = await make_order(db, campus, alice, clock())
    start = clock() + dt.timedelta(hours=2)
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(Order).where(Order.id == order_id).values(
            window_start=start, window_end=start + dt.timedelta(minutes=window_minutes),
            accept_by=start + dt.timedelta(minutes=window_minutes)))
    runner = await make_runner(db, campus, clock())
    clock.advance(hours=2, minutes=minutes_in)
    assert (await services.grabs.grab(order_id, runner)).won
    return alice, runner, order_id


async def test_a_scheduled_errand_whose_window_is_over_ends_refunded_instead_of_going_back_to_the_hall(
        services, db, campus, clock):
    """Taken at 12:05 for 12:00-12:10, never picked up: at the pickup timeout (12:35, or later after the service
    was down) nobody may take it any more. Before, it went back to the hall with a Grab button that another runner
    could win, for a time that had passed."""
    alice, runner, order_id = await scheduled_and_grabbed(services, db, campus, clock, minutes_in=5)
    paid = (await order_row(db, order_id)).total
    clock.advance(minutes=campus.timeouts.pickup_minutes + 1)
    assert (await sweep(services, clock())).pickup_timeouts == 1
    row = await order_row(db, order_id)
    assert (row.status, row.runner_id) == ("expired", None)
    assert await balance(db, ledger.customer(alice)) == paid  # all of it back
    assert await balance(db, ledger.escrow(order_id)) == 0
    told = [n.payload for n in await outbox(db) if n.recipient == "alice"]
    assert told[-1]["key"] == "notice-window-over"
    assert told[-1]["text"] == (f"跑腿员未按时取件，订单 #{order_id} 已被收回，预约时间已过，无法再由其他跑腿员接单，"
                                f"{format_yuan(paid)} 元已退回钱包。")
    hall_post = [n.payload for n in await outbox(db) if n.recipient == f"hall:{campus.id}"][-1]
    assert hall_post["choices"] == []  # no Grab
    async with UnitOfWork(db, write=False) as uow:
        profile = await uow.runners.get(runner)
    assert profile.credit == campus.credit.initial + campus.credit_change(CreditEvent.pickup_timeout)
    assert profile.active_orders == 0
    other = await make_runner(db, campus, clock())
    assert (await services.grabs.grab(order_id, other)).reason == "grab-gone"


async def test_a_runner_who_timed_out_after_the_window_is_told_the_errand_ended_not_that_it_went_back_to_the_hall(
        services, db, campus, clock):
    # Before, they read "已退回任务大厅" of an order that was refunded and closed: nobody could take it any more.
    alice, runner, order_id = await scheduled_and_grabbed(services, db, campus, clock, minutes_in=5)
    clock.advance(minutes=campus.timeouts.pickup_minutes + 1)
    assert (await sweep(services, clock())).pickup_timeouts == 1
    async with UnitOfWork(db, write=False) as uow:
        me = (await uow.session.get(User, runner)).external_id
    told = [n.payload for n in await outbox(db, "notice-pickup-timeout") if n.recipient == me]
    assert [t["text"] for t in told] == [f"订单 #{order_id} 超时未取件，预约时间已过，订单已结束，信用分已扣除。"]
    assert catalogue("en")("notice-pickup-timeout", order=str(order_id), window_over="yes") == (
        f"Order #{order_id} was not picked up in time and its time window is over, so it has ended. "
        "Your credit score went down.")


async def test_an_order_past_its_time_to_be_taken_cannot_be_grabbed_before_the_sweep_expires_it(
        services, db, campus, clock):
    """A press that comes after the order's accept_by, before the next sweep (or queued while the service was
    down) is refused: the order is about to expire, refunded."""
    alice = await make_user(db, campus, clock(), name="alice")
    order_id = await make_order(db, campus, alice, clock())
    runner = await make_runner(db, campus, clock())
    clock.now = (await order_row(db, order_id)).accept_by
    assert (await services.grabs.grab(order_id, runner)).reason == "grab-gone"
    assert (await order_row(db, order_id)).status == "open"
    assert (await sweep(services, clock())).expired == 1


async def test_an_errand_scheduled_for_the_evening_waits_for_its_window(chat, services, db, campus, clock):
    # Before, its deadlines ran from the payment and the grab as for "now": it expired at 10:30, or its runner lost
    # credit at 11:10 for not picking up an errand due at 18:00.
    alice = await funded(chat, services, "alice", 5000)
    rob = await runner(db, campus, clock(), "rob", gender=Gender.female)  # to a room in a women's dorm
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", [*PARCEL_TO_MY_ROOM[:9], "18:00-20:00", *PARCEL_TO_MY_ROOM[10:], "Confirm"])
    assert keys(await chat.press("alice", "Pay with wallet")) == ["wallet-paid"]
    [order] = await orders_of(services, alice)
    clock.advance(minutes=campus.timeouts.accept_minutes + 10)  # 10:40
    assert (await sweep(services, clock())).expired == 0
    assert keys(await chat.press("rob", f"data:g:{order.id}", chat=f"hall:{campus.id}"))[0] == "grab-won"
    # The hall post that showed its time is gone: the winner's details say it, and so does the student's card.
    (details,) = [m["text"] for m in await chat.inbox("rob") if m["key"] == "notice-you-won"]
    (card,) = await chat.send("alice", f"/track {order.id}")
    for shown in (details, card.text):
        assert "When: between 18:00 and 20:00" in shown.splitlines()
    clock.advance(hours=7, minutes=20 + campus.timeouts.pickup_minutes - 1)  # 18:00 and a pickup's time but a minute
    assert (await sweep(services, clock())).pickup_timeouts == 0
    async with UnitOfWork(db, write=False) as uow:
        assert (await uow.runners.get(rob)).credit == campus.credit.initial
    clock.advance(minutes=1)
    assert (await sweep(services, clock())).pickup_timeouts == 1


async def test_delivered_order_completes_automatically_and_pays_like_a_confirmation(services, db, campus, clock):
    alice, runner, order_id = await grabbed_order(services, db, campus, clock)
    clock.advance(minutes=5)
    await act(db, campus, order_id, Event.pickup, Actor(Role.runner, runner), clock())
    clock.advance(minutes=10)
    await act(db, campus, order_id, Event.deliver, Actor(Role.runner, runner), clock())

    clock.advance(hours=campus.timeouts.auto_confirm_hours, minutes=-1)
    assert (await sweep(services, clock())).total == 0
    clock.advance(minutes=1)
    report = await sweep(services, clock())
    assert report.auto_confirmed == 1
    row = await order_row(db, order_id)
    assert row.status == "completed"
    assert await events(db, order_id) == ["pay", "accept", "pickup", "deliver", "auto_confirm"]
    assert await balance(db, ledger.runner(runner)) == row.runner_share > 0
    assert await balance(db, ledger.PLATFORM_REVENUE) == row.commission > 0
    assert await balance(db, ledger.escrow(order_id)) == 0
    assert await ledger_total(db) == (0, 0)
    keys = {(n.recipient, n.payload["key"]) for n in await outbox(db)}
    assert ("alice", "notice-auto-confirmed") in keys
    assert any(k == "notice-completed" for _, k in keys)
    async with UnitOfWork(db, write=False) as uow:
        profile = await uow.runners.get(runner)
    # Credited like a confirmed order: completed, and on time (delivered before deliver_by).
    assert profile.credit == (campus.credit.initial + campus.credit_change(CreditEvent.completed)
                              + campus.credit_change(CreditEvent.on_time))
    assert profile.active_orders == 0


async def test_a_late_delivery_reminds_the_runner_once(services, db, campus, clock):
    alice, runner, order_id = await grabbed_order(services, db, campus, clock)
    await act(db, campus, order_id, Event.pickup, Actor(Role.runner, runner), clock())
    clock.advance(minutes=campus.timeouts.deliver_minutes)
    report = await sweep(services, clock())
    assert report.late_reminders == 1
    [reminder] = await outbox(db, "sweep-late-reminder")
    assert reminder.dedupe_key == f"sweep:late:{order_id}:1"
    assert (await order_row(db, order_id)).status == "picked_up"
    for _ in range(3):
        clock.advance(minutes=7)
        assert (await sweep(services, clock())).total == 0
    assert len(await outbox(db, "sweep-late-reminder")) == 1


async def test_a_late_runner_is_not_reminded_again_once_the_reminder_was_pruned(services, db, campus, clock):
    from bot.scheduler import tidy

    alice, runner, order_id = await grabbed_order(services, db, campus, clock)
    await act(db, campus, order_id, Event.pickup, Actor(Role.runner, runner), clock())
    clock.advance(minutes=campus.timeouts.deliver_minutes)
    assert (await sweep(services, clock())).late_reminders == 1
    async with UnitOfWork(db) as uow:  # delivered, as a sender would mark it
        await uow.session.execute(update(Outbox).where(Outbox.status == "pending").values(status="sent",
                                                                                            sent_at=clock()))
    clock.advance(days=8)  # still not delivered; the reminder's outbox row is past the retention
    assert (await tidy(services, clock())).pruned >= 1
    assert await outbox(db, "sweep-late-reminder") == []
    report = await sweep(services, clock())
    assert report.late_reminders == 0
    assert await outbox(db, "sweep-late-reminder") == []
    assert (await order_row(db, order_id)).status == "picked_up"


async def offered_order(db, campus, clock):
    """A paid order offered to one runner (as a named runner or auto-dispatch would) until offer_seconds from now:
    (the runner, the order)."""
    alice = await make_user(db, campus, clock(), name="alice")
    runner = await make_runner(db, campus, clock())
    order_id = await make_order(db, campus, alice, clock())
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(Order).where(Order.id == order_id).values(
            offer_runner_id=runner, offer_until=clock() + dt.timedelta(seconds=campus.timeouts.offer_seconds)))
    return runner, order_id


async def test_a_lapsed_offer_is_cleared_and_the_order_goes_to_the_hall(services, db, campus, clock):
    _, order_id = await offered_order(db, campus, clock)
    clock.advance(seconds=campus.timeouts.offer_seconds - 1)
    assert (await sweep(services, clock())).offers_ended == 0
    clock.advance(seconds=1)
    assert (await sweep(services, clock())).offers_ended == 1
    row = await order_row(db, order_id)
    assert row.offer_runner_id is None and row.offer_until is None and row.status == "open"
    assert any(n.recipient.startswith("hall:") for n in await outbox(db))
    assert (await sweep(services, clock())).offers_ended == 0


async def test_an_offer_taken_meanwhile_is_not_ended_by_the_sweep(services, db, campus, clock, monkeypatch):
    # The offer's columns still match what the sweep listed (act() writes no notices, so nothing cleared them):
    # only the claim's status condition keeps the sweep from handing a taken order to the hall.
    runner, order_id = await offered_order(db, campus, clock)
    clock.advance(seconds=campus.timeouts.offer_seconds)
    listed = sweep_module._due_offers

    async def taken_right_after_listing(services_, now, limit):
        due = await listed(services_, now, limit)
        await act(db, campus, order_id, Event.accept, Actor(Role.runner, runner), clock())
        return due

    monkeypatch.setattr(sweep_module, "_due_offers", taken_right_after_listing)
    report = await sweep(services, clock())
    assert report.offers_ended == 0 and report.skipped == 1
    row = await order_row(db, order_id)
    assert row.status == "accepted" and row.offer_runner_id == runner
    assert await outbox(db) == []  # neither the hall nor the runner hears of an offer ending


async def _everything_due(services, db, campus, clock):
    """One order of each timed kind, all due at the returned time."""
    alice = await make_user(db, campus, clock(), name="alice")
    unpaid = await make_order(db, campus, alice, clock(), pay=False)
    unclaimed = await make_order(db, campus, alice, clock())
    r1, r2 = await make_runner(db, campus, clock()), await make_runner(db, campus, clock())
    stalled = await make_order(db, campus, alice, clock())
    assert (await services.grabs.grab(stalled, r1)).won
    done = await make_order(db, campus, alice, clock())
    assert (await services.grabs.grab(done, r2)).won
    await act(db, campus, done, Event.pickup, Actor(Role.runner, r2), clock())
    await act(db, campus, done, Event.deliver, Actor(Role.runner, r2), clock())
    clock.advance(hours=campus.timeouts.auto_confirm_hours)
    return {"unpaid": unpaid, "unclaimed": unclaimed, "stalled": stalled, "done": done}


async def test_sweeping_twice_changes_nothing_the_second_time(services, db, campus, clock):
    orders = await _everything_due(services, db, campus, clock)
    first = await sweep(services, clock())
    assert (first.closed_unpaid, first.expired, first.pickup_timeouts, first.auto_confirmed) == (1, 1, 1, 1)
    async with UnitOfWork(db, write=False) as uow:
        counts = (await uow.session.scalar(select(func.count(OrderEvent.id))),
                  await uow.session.scalar(select(func.count(Outbox.id))))
    second = await sweep(services, clock())
    # The order back in the hall was announced by its transition just now: nothing else is due yet.
    assert second.total == 0, second
    async with UnitOfWork(db, write=False) as uow:
        assert (await uow.session.scalar(select(func.count(OrderEvent.id))),
                await uow.session.scalar(select(func.count(Outbox.id)))) == counts
    assert (await order_row(db, orders["done"])).status == "completed"
    assert await ledger_total(db) == (0, 0)


async def test_two_sweeps_at_once_apply_each_transition_once(services, db, campus, clock):
    orders = await _everything_due(services, db, campus, clock)
    reports = await asyncio.gather(sweep(services, clock()), sweep(services, clock()), sweep(services, clock()))
    for kind in ("closed_unpaid", "expired", "pickup_timeouts", "auto_confirmed"):
        assert sum(getattr(r, kind) for r in reports) == 1, (kind, reports)
    assert [await events(db, orders[k]) for k in ("unpaid", "unclaimed", "stalled", "done")] == [
        ["unpaid_timeout"], ["pay", "expire"], ["pay", "accept", "pickup_timeout"],
        ["pay", "accept", "pickup", "deliver", "auto_confirm"]]
    notices = await outbox(db)
    assert len({n.dedupe_key for n in notices}) == len(notices)
    assert len([n for n in notices if n.payload["key"] == "notice-expired"]) == 1
    assert len([n for n in notices if n.payload["key"] == "notice-auto-confirmed"]) == 1
    assert await ledger_total(db) == (0, 0)


async def test_a_cancel_that_lands_first_means_the_sweep_sends_nothing(services, db, campus, clock, monkeypatch):
    alice = await make_user(db, campus, clock(), name="alice")
    order_id = await make_order(db, campus, alice, clock())
    paid = (await order_row(db, order_id)).total
    clock.advance(minutes=campus.timeouts.accept_minutes)

    listed = sweep_module._due

    async def cancel_right_after_listing(services_, field, status, now, limit):
        due = await listed(services_, field, status, now, limit)
        if field == "accept_by" and due:
            # The student's cancel commits between the sweep's listing and its claim.
            await act(db, campus, order_id, Event.cancel, Actor(Role.customer, alice), clock())
        return due

    monkeypatch.setattr(sweep_module, "_due", cancel_right_after_listing)
    report = await sweep(services, clock())
    assert report.expired == 0 and report.skipped == 1
    assert (await order_row(db, order_id)).status == "cancelled"
    assert await events(db, order_id) == ["pay", "cancel"]
    assert await outbox(db) == []  # act() writes no notices; the sweep must not have written any either
    assert await balance(db, ledger.customer(alice)) == paid  # refunded once, by the cancel
    assert await ledger_total(db) == (0, 0)


async def test_a_pickup_just_before_the_timeout_wins(services, db, campus, clock, monkeypatch):
    alice, runner, order_id = await grabbed_order(services, db, campus, clock)
    clock.advance(minutes=campus.timeouts.pickup_minutes)
    listed = sweep_module._due

    async def pickup_right_after_listing(services_, field, status, now, limit):
        due = await listed(services_, field, status, now, limit)
        if field == "pickup_by" and due:
            await act(db, campus, order_id, Event.pickup, Actor(Role.runner, runner), clock())
        return due

    monkeypatch.setattr(sweep_module, "_due", pickup_right_after_listing)
    report = await sweep(services, clock())
    assert report.pickup_timeouts == 0 and report.skipped == 1
    assert (await order_row(db, order_id)).status == "picked_up"
    assert await outbox(db) == []
    async with UnitOfWork(db, write=False) as uow:
        assert (await uow.runners.get(runner)).credit == campus.credit.initial


async def test_the_scheduler_only_calls_the_sweep(services, db, campus, clock):
    from bot.scheduler import build_scheduler

    alice = await make_user(db, campus, clock(), name="alice")
    order_id = await make_order(db, campus, alice, clock(), pay=False)
    clock.advance(minutes=campus.timeouts.pay_minutes)
    reports = []

    async def after(report):
        reports.append(report)

    scheduler = build_scheduler(services, after=after)
    job = scheduler.get_job("sweep")
    assert job.max_instances == 1 and job.coalesce is True
    assert job.trigger.interval == dt.timedelta(seconds=5)
    await job.func()  # one tick, with the services' clock
    await job.func()
    assert [r.closed_unpaid for r in reports] == [1, 0]
    assert (await order_row(db, order_id)).status == "closed"


async def test_stopping_the_scheduler_lets_a_sweep_under_way_finish_before_anything_closes(services, db, campus,
                                                                                          clock):
    """main.py stops the timers, then closes the database: a sweep running at that moment is not cut off."""
    from bot.scheduler import build_scheduler

    alice = await make_user(db, campus, clock(), name="alice")
    order_id = await make_order(db, campus, alice, clock(), pay=False)
    clock.advance(minutes=campus.timeouts.pay_minutes)
    in_sweep, go_on, finished = asyncio.Event(), asyncio.Event(), []

    async def after(report):  # the sweep has done its work; what follows it (delivering the outbox) is slow
        in_sweep.set()
        await go_on.wait()
        finished.append(report.closed_unpaid)

    scheduler = build_scheduler(services, seconds=0.01, after=after)
    scheduler.start()
    await asyncio.wait_for(in_sweep.wait(), 5)
    stopping = asyncio.create_task(scheduler.stop(timeout=5))
    await asyncio.sleep(0)  # the stop begins: no new run, and it waits for this one
    assert not stopping.done() and finished == []
    go_on.set()
    await asyncio.wait_for(stopping, 5)
    assert finished == [1]  # the run finished, rather than being cancelled halfway
    assert not scheduler.running
    assert (await order_row(db, order_id)).status == "closed"


async def test_a_sweep_that_will_not_finish_is_cut_off_after_the_stops_bound(services):
    from bot.scheduler import build_scheduler

    in_sweep, cut_off = asyncio.Event(), []

    async def after(report):
        in_sweep.set()
        try:
            await asyncio.Event().wait()  # never finishes on its own
        except asyncio.CancelledError:
            cut_off.append(True)
            raise

    scheduler = build_scheduler(services, seconds=0.01, after=after)
    scheduler.start()
    await asyncio.wait_for(in_sweep.wait(), 5)
    await asyncio.wait_for(scheduler.stop(timeout=0.05), 5)  # the bound, not a wait for something to happen
    assert cut_off == [True] and not scheduler.running


async def test_a_runners_position_is_forgotten_once_they_carry_no_order(services, campus, clock):
    """Live positions are kept only while an order is under way (privacy)."""
    busy_free = await make_runner(services.db, campus, clock())
    async with UnitOfWork(services.db) as uow:
        await uow.session.execute(update(RunnerProfile).where(RunnerProfile.user_id == busy_free)
                                  .values(last_lat=30.26, last_lon=120.12, last_seen_at=clock()))
    report = await sweep(services, clock())
    assert report.positions_forgotten == 1
    async with UnitOfWork(services.db, write=False) as uow:
        profile = await uow.runners.get(busy_free)
    assert (profile.last_lat, profile.last_lon, profile.last_seen_at) == (None, None, None)


async def test_due_orders_of_a_campus_no_longer_served_do_not_hold_up_the_others(services, db, campus, clock):
    # Before, they had the oldest deadlines and filled every batch: the served campus's orders were never closed.
    alice = await make_user(db, campus, clock(), name="alice")
    stale = [await make_order(db, campus, alice, clock(), pay=False) for _ in range(2)]
    clock.advance(minutes=1)
    mine = await make_order(db, campus, alice, clock(), pay=False)
    async with UnitOfWork(db) as uow:  # a campus whose file was taken out of CAMPUS_FILES
        await uow.session.execute(update(Order).where(Order.id.in_(stale)).values(campus_id="gone"))
    clock.advance(minutes=campus.timeouts.pay_minutes + 5)
    assert (await sweep(services, clock(), batch=2)).closed_unpaid == 1
    assert (await order_row(db, mine)).status == "closed"


async def test_the_sweeps_reminder_is_a_new_hall_post_not_an_edit_far_up_the_chat(services, db, campus, clock):
    alice = await make_user(db, campus, clock(), name="alice")
    await make_order(db, campus, alice, clock())
    clock.advance(minutes=campus.timeouts.reannounce_minutes)
    assert (await sweep(services, clock())).reannounced == 1
    [reminder] = await outbox(db, "sweep-hall-reminder")
    assert reminder.payload.get("repost") is True


# --- after an outage ----------------------------------------------------------------------------------------------

def timers(services, reports=None):
    """The service's sweep, as APScheduler calls it every few seconds: a long gap before one is an outage. Each
    sweep's report is added to `reports`."""
    from bot.scheduler import build_scheduler

    async def after(report):
        if reports is not None:
            reports.append(report)

    return build_scheduler(services, after=after).get_job("sweep").func


async def credit(db, runner):
    async with UnitOfWork(db, write=False) as uow:
        return (await uow.runners.get(runner)).credit


async def test_a_pickup_deadline_that_passed_while_the_service_was_down_is_given_back(services, db, campus, clock):
    """Down for 40 minutes from 10 minutes before the runner's pickup deadline. Before, the first sweep after the
    restart took the order from them, with a credit penalty, for not pressing a button the bot did not answer."""
    tick = timers(services)
    alice, runner, order_id = await grabbed_order(services, db, campus, clock)
    due = (await order_row(db, order_id)).pickup_by
    clock.now = due - dt.timedelta(minutes=10)
    await tick()  # the last sweep before the service went down
    told = len(await outbox(db))
    clock.advance(minutes=40)
    await tick()  # the first one after the restart
    row = await order_row(db, order_id)
    assert (row.status, row.runner_id) == ("accepted", runner)
    assert row.pickup_by == due + dt.timedelta(minutes=40)  # the 10 minutes left, from the restart
    assert await events(db, order_id) == ["pay", "accept"]
    assert await credit(db, runner) == campus.credit.initial
    assert len(await outbox(db)) == told  # nobody told: a deadline only moves later
    clock.advance(minutes=9)  # the service up since
    assert (await sweep(services, clock())).pickup_timeouts == 0
    await act(db, campus, order_id, Event.pickup, Actor(Role.runner, runner), clock())
    assert (await order_row(db, order_id)).status == "picked_up"


async def test_the_moved_deadline_applies_once_the_time_given_back_is_over(services, db, campus, clock):
    tick = timers(services)
    alice, runner, order_id = await grabbed_order(services, db, campus, clock)
    due = (await order_row(db, order_id)).pickup_by
    clock.now = due - dt.timedelta(minutes=10)
    await tick()
    clock.advance(minutes=40)
    await tick()
    clock.advance(minutes=10)  # the service up since: the 10 minutes given back are over
    assert (await sweep(services, clock())).pickup_timeouts == 1
    assert (await order_row(db, order_id)).status == "open"
    assert await credit(db, runner) == campus.credit.initial + campus.credit_change(CreditEvent.pickup_timeout)


async def test_a_gap_no_longer_than_the_outage_threshold_moves_nothing(services, db, campus, clock):
    from core.outage import OUTAGE_AFTER

    tick = timers(services)
    alice, runner, order_id = await grabbed_order(services, db, campus, clock)
    due = (await order_row(db, order_id)).pickup_by
    clock.now = due - dt.timedelta(minutes=1)
    await tick()
    clock.advance(seconds=OUTAGE_AFTER.total_seconds())  # the timers late, not down
    await tick()
    row = await order_row(db, order_id)
    assert (row.status, row.runner_id) == ("open", None)
    assert await events(db, order_id) == ["pay", "accept", "pickup_timeout"]
    assert await credit(db, runner) == campus.credit.initial + campus.credit_change(CreditEvent.pickup_timeout)


async def test_the_first_start_ever_gives_nothing_back(services, db, campus, clock):
    # No heartbeat yet (a new database, or the first start after this release): no outage is known.
    tick = timers(services)
    alice, runner, order_id = await grabbed_order(services, db, campus, clock)
    clock.advance(minutes=campus.timeouts.pickup_minutes + 40)
    await tick()
    assert await events(db, order_id) == ["pay", "accept", "pickup_timeout"]


async def test_every_deadline_that_asks_someone_to_act_is_given_back_and_the_wait_for_a_runner_is_not(
        services, db, campus, clock):
    """One order at each such deadline, all due 20 minutes into a 40-minute outage. Before, the first sweep after
    it closed the unpaid order, lapsed the offer, took the order from its runner, reminded the runner who could not
    say Delivered that they were late and completed the order its student could not report."""
    reports = []
    tick = timers(services, reports)
    alice = await make_user(db, campus, clock(), name="alice")
    r1, r2, r3, r4 = [await make_runner(db, campus, clock()) for _ in range(4)]
    unpaid = await make_order(db, campus, alice, clock(), pay=False)
    offered = await make_order(db, campus, alice, clock())
    stalled = await make_order(db, campus, alice, clock())
    assert (await services.grabs.grab(stalled, r2)).won
    carried = await make_order(db, campus, alice, clock())
    assert (await services.grabs.grab(carried, r3)).won
    await act(db, campus, carried, Event.pickup, Actor(Role.runner, r3), clock())
    done = await make_order(db, campus, alice, clock())
    assert (await services.grabs.grab(done, r4)).won
    await act(db, campus, done, Event.pickup, Actor(Role.runner, r4), clock())
    await act(db, campus, done, Event.deliver, Actor(Role.runner, r4), clock())
    waiting = await make_order(db, campus, alice, clock())
    due, later = clock() + dt.timedelta(minutes=21), clock() + dt.timedelta(hours=3)
    deadlines = {unpaid: "pay_by", offered: "offer_until", stalled: "pickup_by", carried: "deliver_by",
                 done: "auto_confirm_at", waiting: "accept_by"}
    async with UnitOfWork(db) as uow:
        for order_id, column in deadlines.items():
            await uow.session.execute(update(Order).where(Order.id == order_id).values({column: due}))
        await uow.session.execute(update(Order).where(Order.id == offered).values(
            offer_runner_id=r1, accept_by=later, reannounce_at=later))
        await uow.session.execute(update(Order).where(Order.id == waiting).values(reannounce_at=later))
    clock.advance(minutes=1)
    await tick()
    clock.advance(minutes=40)
    await tick()
    moved = due + dt.timedelta(minutes=40)
    rows = {order_id: await order_row(db, order_id) for order_id in deadlines}
    assert {order_id: (row.status, getattr(row, deadlines[order_id])) for order_id, row in rows.items()} == {
        unpaid: ("awaiting_payment", moved), offered: ("open", moved), stalled: ("accepted", moved),
        carried: ("picked_up", moved), done: ("delivered", moved),
        waiting: ("expired", None)}  # nobody's to act: refunded, as before
    assert rows[offered].offer_runner_id == r1
    assert await outbox(db, "sweep-late-reminder") == []
    assert reports[-1].given_back == 5
    assert reports[-1].as_dict() == SweepReport(given_back=5, expired=1).as_dict()


async def test_a_scheduled_errand_whose_window_ended_during_the_outage_still_ends_refunded(
        services, db, campus, clock):
    # Taken at 12:00 for 12:00-13:00, due to be picked up by 12:30 (within the window); the service down from 12:20
    # to 13:20. The window is the student's time: it does not move, so the errand ends as it would have.
    tick = timers(services)
    alice, runner, order_id = await scheduled_and_grabbed(services, db, campus, clock, minutes_in=0,
                                                          window_minutes=60)
    row = await order_row(db, order_id)
    paid = row.total
    assert row.pickup_by < row.window_end
    clock.advance(minutes=20)
    await tick()
    clock.advance(minutes=60)
    await tick()
    row = await order_row(db, order_id)
    assert (row.status, row.runner_id) == ("expired", None)
    assert await balance(db, ledger.customer(alice)) == paid
    told = [n.payload["key"] for n in await outbox(db) if n.recipient == "alice"]
    assert told[-1] == "notice-window-over"


async def test_a_pickup_the_rules_allow_after_a_short_window_keeps_its_time_through_an_outage(
        services, db, campus, clock):
    """Taken at 12:05 for 12:00-12:10: the runner may pick up until 12:35, past the window's end. Down from 12:30
    to 12:40: they keep the 5 minutes they had left. Before, the window's end (long past) bounded the moved
    deadline, so the errand expired at the restart and the runner lost credit for the outage alone."""
    tick = timers(services)
    alice, runner, order_id = await scheduled_and_grabbed(services, db, campus, clock, minutes_in=5)
    due = (await order_row(db, order_id)).pickup_by
    clock.now = due - dt.timedelta(minutes=5)
    await tick()
    clock.advance(minutes=10)
    await tick()
    row = await order_row(db, order_id)
    assert (row.status, row.runner_id, row.pickup_by) == ("accepted", runner, due + dt.timedelta(minutes=10))
    assert await credit(db, runner) == campus.credit.initial
    await act(db, campus, order_id, Event.pickup, Actor(Role.runner, runner), clock() + dt.timedelta(minutes=4))
    assert (await order_row(db, order_id)).status == "picked_up"


async def test_processes_whose_clocks_differ_still_apply_the_deadlines(services, db, campus, clock):
    """Two processes share the database, one's clock 3 minutes ahead of the other's, both sweeping every 10 s.
    Before, each sweep of the one ahead found the heartbeat the other had just set 3 minutes back, took that for
    an outage and moved the deadline on again: the runner who never picked up kept the order for ever."""
    from handlers.context import Services
    from tests.conftest import FakeClock

    alice, runner, order_id = await grabbed_order(services, db, campus, clock)
    due = (await order_row(db, order_id)).pickup_by
    ahead = FakeClock(clock() + dt.timedelta(minutes=3))
    other = Services(db=db, campuses=services.campuses, cipher=CIPHER, clock=ahead, channels=("console",))
    behind_tick, ahead_tick = timers(services), timers(other)
    clock.now, ahead.now = due - dt.timedelta(minutes=5), due - dt.timedelta(minutes=2)
    for _ in range(90):  # 15 minutes of both running
        await behind_tick()
        await ahead_tick()
        clock.advance(seconds=10)
        ahead.advance(seconds=10)
    assert await events(db, order_id) == ["pay", "accept", "pickup_timeout"]


async def test_an_offer_given_back_after_an_outage_still_ends_on_its_own_message(db, campus, clock):
    """The offer's message is named by the offer's end; an outage moves the end on. Before, the lapse that followed
    sent "offer ended" as a new message and left the offer's Accept and Decline buttons live above it."""
    from tests.handlers.test_hall import auto_dispatch
    from tests.handlers.test_runner import paid_order, person

    services, chat = auto_dispatch(db, campus, clock)
    auto = services.default_campus
    tick = timers(services)
    alice = await person(db, auto, clock(), "alice")
    near = await runner(db, auto, clock(), "near", at="jd_station")
    order_id = await paid_order(services, alice)
    offered = await order_row(db, order_id)
    assert offered.offer_runner_id == near
    clock.now = offered.offer_until - dt.timedelta(seconds=20)
    await tick()  # the last sweep before the service went down
    clock.advance(minutes=10)
    await tick()
    moved = await order_row(db, order_id)
    assert moved.offer_until == offered.offer_until + dt.timedelta(minutes=10)
    clock.now = moved.offer_until + dt.timedelta(seconds=1)
    await tick()  # now it lapses
    sent = [(n.payload["key"], n.edit_key) for n in await outbox(db) if n.recipient == "near"]
    [(_, offer_message)] = [row for row in sent if row[0] == "hall-offer"]
    assert ("hall-offer-ended", offer_message) in sent


async def test_two_sweeps_after_one_outage_give_the_time_back_once(services, db, campus, clock):
    # On PostgreSQL each runs on a connection of its own, as two processes restarting together would.
    reports = []
    tick = timers(services, reports)
    alice, runner, order_id = await grabbed_order(services, db, campus, clock)
    due = (await order_row(db, order_id)).pickup_by
    clock.now = due - dt.timedelta(minutes=10)
    await tick()
    clock.advance(minutes=40)
    await asyncio.gather(tick(), tick(), tick())
    clock.advance(seconds=5)
    await tick()
    row = await order_row(db, order_id)
    assert (row.status, row.pickup_by) == ("accepted", due + dt.timedelta(minutes=40))  # not 80
    assert [r.given_back for r in reports[1:]] in ([1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0])


async def test_a_service_starting_after_an_outage_gives_the_time_back_before_it_takes_any_update(
        chat, services, db, campus, clock):
    """Telegram keeps the presses sent while the service was down and hands them over at once at the restart,
    before the timers' first sweep: a Pay pressed then must meet the moved deadline, not the one that passed."""
    from bot.scheduler import build_scheduler

    alice = await funded(chat, services, "alice", 5000)
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", [*PARCEL_TO_MY_ROOM, "Confirm"])
    [order] = await orders_of(services, alice)
    clock.now = order.pay_by - dt.timedelta(minutes=5)
    await timers(services)()
    clock.advance(minutes=40)
    scheduler = build_scheduler(services)
    await scheduler.begin()  # as the service starts, before it takes any update
    try:
        assert keys(await chat.press("alice", "Pay with wallet")) == ["wallet-paid"]
    finally:
        await scheduler.stop()
    assert (await order_row(db, order.id)).status == "open"
