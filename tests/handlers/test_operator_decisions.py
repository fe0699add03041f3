"""Operators' decisions on orders and people, as the people they touch see them: a runner penalised once per order
and told, offers that a decision leaves a runner unable to accept ended, money written the way a Chinese keyboard
types it never dropped, a name with a space naming its own person, and a refund of nothing saying so."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from core import ledger
from core.order import Actor, Event, Role
from storage.models import CreditRecord, RunnerProfile, User
from storage.models import Order as OrderRow
from storage.uow import UnitOfWork
from tests.factories import FREE_COUPON, act, make_order, make_runner, make_user
from tests.handlers.harness import keys
from tests.handlers.test_admin import OP, balance, complain, exception_order, get, operator
from tests.handlers.test_runner import order_row, paid_order, person, runner, won_order


async def penalties(db, runner_id: int, order_id: int) -> list[int]:
    async with UnitOfWork(db, write=False) as uow:
        return list(await uow.session.scalars(select(CreditRecord.change).where(
            CreditRecord.runner_id == runner_id, CreditRecord.order_id == order_id,
            CreditRecord.event == "complaint_upheld")))


async def test_complaints_upheld_twice_on_one_order_cost_its_runner_credit_once_and_they_are_told(
        chat, db, campus, clock):
    # Before: /uphold, then /resolve … refund upholding a second complaint, took 10 twice, and told the runner nothing.
    await operator(chat)
    customer = await make_user(db, campus, clock.now, name="carol")
    fay = await make_runner(db, campus, clock.now)
    order_id = await exception_order(db, campus, clock.now, customer, fay)
    first = await complain(db, order_id, customer, "parcel crushed", clock.now)
    async with UnitOfWork(db, write=False) as uow:
        external = (await uow.session.get(User, fay)).external_id
    await chat.inbox(external)
    assert keys(await chat.send(OP, f"/uphold {first}")) == ["admin-complaint-done"]
    await complain(db, order_id, customer, "and rude about it", clock.now)
    (resolved,) = await chat.send(OP, f"/resolve {order_id} refund")
    assert resolved.key == "admin-resolved" and "Credit taken" not in resolved.text
    assert await penalties(db, fay, order_id) == [campus.credit.changes["complaint_upheld"]]
    assert (await get(db, RunnerProfile, fay)).credit == campus.credit.initial - 10
    told = [m for m in await chat.inbox(external) if m["key"] == "runner-credit-complaint"]
    assert [m["text"] for m in told] == [  # the runner reads Chinese, the campus's language
        f"关于订单 #{order_id} 的投诉经核实成立：你的信用分变动 -10，现在为 90（良好）。"]


async def test_a_penalty_below_the_grab_floor_ends_the_order_offered_to_that_runner(chat, services, db, campus, clock):
    await operator(chat)
    alice = await person(db, campus, clock(), "alice")
    fay = await runner(db, campus, clock(), "fay", credit=65)  # the grab floor is 60
    await runner(db, campus, clock(), "otto")
    earlier = await make_order(db, campus, alice, clock.now)
    await act(db, campus, earlier, Event.accept, Actor(Role.runner, fay), clock.now)
    await act(db, campus, earlier, Event.report, Actor(Role.customer, alice), clock.now)
    complaint = await complain(db, earlier, alice, "rude", clock.now)
    offered = await paid_order(services, alice, favourite=fay)
    assert (await order_row(db, offered)).offer_runner_id == fay
    assert keys(await chat.send(OP, f"/uphold {complaint}")) == ["admin-complaint-done"]
    assert (await order_row(db, offered)).offer_runner_id is None  # before: held for her, whose Accept is refused
    assert keys(await chat.press("otto", f"data:g:{offered}", chat="hall:demo"))[0] == "grab-won"


async def test_reassigning_an_order_to_a_runner_it_fills_up_ends_the_order_offered_to_them(
        chat, services, db, campus, clock):
    await operator(chat)
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "fay")
    otto = await runner(db, campus, clock(), "otto")
    await runner(db, campus, clock(), "sam")
    await won_order(chat, services, alice, "otto")
    await won_order(chat, services, alice, "otto")
    offered = await paid_order(services, alice, favourite=otto)
    assert (await order_row(db, offered)).offer_runner_id == otto
    taken = await won_order(chat, services, alice, "fay")
    assert keys(await chat.send(OP, f"/reassign {taken} #{otto}")) == ["admin-reassigned"]
    assert (await order_row(db, offered)).offer_runner_id is None
    assert keys(await chat.press("sam", f"data:g:{offered}", chat="hall:demo"))[0] == "grab-won"


@pytest.mark.parametrize("written", ["5元，物品损坏", "¥5，物品损坏", "5元,物品损坏", "5块钱；物品损坏"])
async def test_a_compensation_joined_to_its_note_by_punctuation_is_paid(chat, db, campus, clock, written):
    # Before: "5元，物品损坏" was all note, and the order was refunded with "No compensation."
    await operator(chat)
    customer = await make_user(db, campus, clock.now)
    fay = await make_runner(db, campus, clock.now)
    order_id = await exception_order(db, campus, clock.now, customer, fay)
    total = (await get(db, OrderRow, order_id)).total
    (said,) = await chat.send(OP, f"/resolve {order_id} refund {written}")
    assert said.key == "admin-resolved" and "5.00 yuan" in said.text
    assert await balance(db, ledger.customer(customer)) == total + 500
    async with UnitOfWork(db, write=False) as uow:
        (event,) = [e for e in await uow.orders.history(order_id) if e.event == "resolve_refund"]
    assert event.note == "物品损坏"


@pytest.mark.parametrize("command", ["/suspend Carol Lee keeps spamming", "/topup Carol Lee 5",
                                     "/credit Carol Lee -5 late again"])
async def test_a_name_with_a_space_names_its_own_person_and_a_clash_is_refused(chat, db, campus, clock, command):
    # Before: /suspend Carol Lee … suspended Carol, and /topup Carol Lee 5 was refused as an amount.
    await operator(chat)
    carol_lee = await make_runner(db, campus, clock.now)
    async with UnitOfWork(db) as uow:
        (await uow.session.get(User, carol_lee)).display_name = "Carol Lee"
    assert keys(await chat.send(OP, command))[0] in ("admin-suspended", "admin-topped-up", "admin-credit-adjusted")
    carol = await make_user(db, campus, clock.now, name="Carol")
    (refused,) = await chat.send(OP, command)
    assert refused.key == "admin-user-ambiguous" and f"#{carol}" in refused.text and f"#{carol_lee}" in refused.text
    assert (await get(db, User, carol)).suspended is False
    assert await balance(db, ledger.customer(carol)) == 0


async def test_a_refund_that_gives_nothing_back_is_not_confirmed_as_refunded(chat, db, campus, clock):
    await operator(chat)
    customer = await make_user(db, campus, clock.now, name="carol")
    fay = await make_runner(db, campus, clock.now)
    order_id = await make_order(db, campus, customer, clock.now, goods=3000, coupon=FREE_COUPON)
    for event, kwargs in ((Event.accept, {}), (Event.pickup, {}), (Event.goods_bought, {"goods_spent": 3000})):
        await act(db, campus, order_id, event, Actor(Role.runner, fay), clock.now, **kwargs)
    await act(db, campus, order_id, Event.report, Actor(Role.customer, customer), clock.now)
    (said,) = await chat.send(OP, f"/resolve {order_id} refund")
    assert await balance(db, ledger.customer(customer)) == 0
    assert said.text.startswith(f"Order #{order_id} resolved: closed in the student's favour; all they paid went to "
                                "the goods the runner bought, so there was nothing to refund.")


async def test_an_order_its_runner_reported_before_pickup_goes_back_to_the_hall_at_the_cost_of_a_release(
        chat, db, campus, clock):
    # Before: a runner who took an order and no longer wanted it could /complain instead of releasing it, freezing it
    # at no cost; the operator could only pay them for nothing or refund an errand the student still wanted.
    await operator(chat)
    customer = await make_user(db, campus, clock.now, name="carol")
    fay = await make_runner(db, campus, clock.now)
    order_id = await make_order(db, campus, customer, clock.now)
    await act(db, campus, order_id, Event.accept, Actor(Role.runner, fay), clock.now)
    async with UnitOfWork(db, write=False) as uow:
        external = (await uow.session.get(User, fay)).external_id
    assert keys(await chat.send(external, f"/complain {order_id} changed my mind")) == ["track-complaint-recorded"]
    await chat.inbox("carol")
    await chat.inbox("hall:demo")
    await chat.inbox(external)
    (card,) = await chat.send(OP, f"/find {order_id}")
    assert f"adm:ev:{order_id}:ro" in [c.data for c in card.flat_choices()]

    (said,) = await chat.send(OP, f"/resolve {order_id} reopen no reason given")
    assert said.text.startswith(f"Order #{order_id} resolved: back in the task hall for another runner; the runner "
                                "who had it is charged as for a release.")
    row = await get(db, OrderRow, order_id)
    assert (row.status, row.runner_id) == ("open", None)
    assert (await get(db, RunnerProfile, fay)).credit == campus.credit.initial + campus.credit.changes["released"]
    assert (await get(db, RunnerProfile, fay)).active_orders == 0
    assert [m["key"] for m in await chat.inbox("carol")] == ["notice-reopened"]
    assert "notice-reopened-runner" in [m["key"] for m in await chat.inbox(external)]
    assert [m["key"] for m in await chat.inbox("hall:demo") if f"#{order_id}" in m["text"]] == ["hall-card"]
    assert await balance(db, ledger.escrow(order_id)) == row.total  # still paid: the errand goes on


async def test_reopening_an_errand_whose_window_is_over_ends_it_refunded_and_says_so(chat, db, campus, clock):
    await operator(chat)
    customer = await make_user(db, campus, clock.now, name="carol")
    fay = await make_runner(db, campus, clock.now)
    order_id = await make_order(db, campus, customer, clock.now)
    async with UnitOfWork(db) as uow:  # scheduled for the next ten minutes
        await uow.session.execute(update(OrderRow).where(OrderRow.id == order_id).values(
            window_start=clock.now, window_end=clock.now + dt.timedelta(minutes=10)))
    await act(db, campus, order_id, Event.accept, Actor(Role.runner, fay), clock.now)
    await act(db, campus, order_id, Event.report, Actor(Role.runner, fay), clock.now)
    await chat.inbox("carol")
    clock.advance(minutes=20)
    (said,) = await chat.send(OP, f"/resolve {order_id} reopen")
    assert said.text.startswith(f"Order #{order_id} resolved: ended and refunded to the student: its time window is "
                                "over, so no other runner may take it;")
    row = await get(db, OrderRow, order_id)
    assert (row.status, await balance(db, ledger.customer(customer))) == ("expired", row.total)
    assert [m["key"] for m in await chat.inbox("carol")] == ["notice-window-over"]
    # …and its runner is not told it went back to the task hall (before: "退回任务大厅").
    (told,) = [m for m in await chat.inbox((await get(db, User, fay)).external_id)
              if m["key"] == "notice-reopened-runner"]
    assert told["text"] == f"客服已收回订单 #{order_id}，预约时间已过，订单已结束：该订单不再由你配送，按放弃订单计。"


async def test_an_order_picked_up_cannot_go_back_to_the_hall(chat, db, campus, clock):
    await operator(chat)
    customer = await make_user(db, campus, clock.now, name="carol")
    fay = await make_runner(db, campus, clock.now)
    order_id = await exception_order(db, campus, clock.now, customer, fay)
    (refused,) = await chat.send(OP, f"/resolve {order_id} reopen")
    assert refused.key == "error-reopen-picked-up"
    assert (await get(db, OrderRow, order_id)).status == "exception"


async def test_an_order_reopened_under_auto_dispatch_is_offered_to_another_runner(db, campus, clock):
    from tests.handlers.test_hall import auto_dispatch
    services, chat = auto_dispatch(db, campus, clock)
    auto = services.default_campus
    await operator(chat)
    alice = await person(db, auto, clock(), "alice")
    near = await runner(db, auto, clock(), "near", at="jd_station")
    far = await runner(db, auto, clock(), "far", at="gym")
    order_id = await paid_order(services, alice)
    assert keys(await chat.press("near", f"data:g:{order_id}")) == ["grab-won"]
    assert keys(await chat.send("near", f"/complain {order_id} cannot make it")) == ["track-complaint-recorded"]
    await chat.inbox("far")
    assert keys(await chat.send(OP, f"/resolve {order_id} reopen")) == ["admin-resolved"]
    assert (await order_row(db, order_id)).offer_runner_id == far  # anyone but the runner who had it
    assert [m["key"] for m in await chat.inbox("far")] == ["hall-offer"]
    assert near != far


async def test_reopen_refuses_a_goods_cost_as_complete_and_refund_do(chat, db, campus, clock):
    await operator(chat)
    customer = await make_user(db, campus, clock.now, name="carol")
    fay = await make_runner(db, campus, clock.now)
    order_id = await make_order(db, campus, customer, clock.now, goods=3000)
    await act(db, campus, order_id, Event.accept, Actor(Role.runner, fay), clock.now)
    await act(db, campus, order_id, Event.report, Actor(Role.customer, customer), clock.now)
    assert keys(await chat.send(OP, f"/resolve {order_id} reopen spent ¥30")) == ["error-goods-not-bought"]
    assert (await get(db, OrderRow, order_id)).status == "exception"


async def test_a_name_of_many_words_names_its_own_person(chat, db, campus, clock):
    await operator(chat)
    anna = await make_user(db, campus, clock.now, name="Anna")
    await make_user(db, campus, clock.now, name="Anna Maria de Souza")
    (refused,) = await chat.send(OP, "/suspend Anna Maria de Souza keeps spamming")
    assert refused.key == "admin-user-ambiguous"  # before: Anna, someone else, was suspended
    assert (await get(db, User, anna)).suspended is False


async def test_a_suspended_runner_lists_what_is_still_theirs_with_where_to_look(chat, db, campus, clock):
    await operator(chat)
    customer = await make_user(db, campus, clock.now, name="carol")
    fay = await make_runner(db, campus, clock.now)
    delivered = await make_order(db, campus, customer, clock.now)
    for event in (Event.accept, Event.pickup, Event.deliver):
        await act(db, campus, delivered, event, Actor(Role.runner, fay), clock.now)
    (said,) = await chat.send(OP, f"/suspend #{fay}")
    assert f"Orders still theirs (picked up, delivered or under review): #{delivered}. See each with /find" in said.text
