"""An order's whole life through the core state machine, with the money and credit that follow each step."""
import pytest
from sqlalchemy import select, text

from core import ledger
from core.campus import CreditEvent
from core.errors import IllegalTransition, NotAllowed
from core.order import Actor, Event, Role
from storage.grab import GrabService
from storage.models import CreditRecord, User
from storage.orders_repo import StaleOrder
from storage.uow import UnitOfWork
from tests.factories import CIPHER, FREE_COUPON, act, make_order, make_runner, make_user, top_up


async def balances(db, *accounts):
    async with UnitOfWork(db, write=False) as uow:
        return [await uow.ledger.balance(a) for a in accounts]


async def test_completed_order_pays_runner_minus_commission(db, campus, clock):
    alice = await make_user(db, campus, clock(), name="alice")
    runner = await make_runner(db, campus, clock())
    order_id = await make_order(db, campus, alice, clock())
    grabs = GrabService(db, {campus.id: campus}, clock)
    assert (await grabs.grab(order_id, runner)).won
    clock.advance(minutes=5)
    await act(db, campus, order_id, Event.pickup, Actor(Role.runner, runner), clock())
    clock.advance(minutes=10)
    await act(db, campus, order_id, Event.deliver, Actor(Role.runner, runner), clock())
    await act(db, campus, order_id, Event.confirm, Actor(Role.customer, alice), clock())

    async with UnitOfWork(db, write=False) as uow:
        order = await uow.orders.get(order_id)
        history = [e.event for e in await uow.orders.history(order_id)]
        profile = await uow.runners.get(runner)
        total = await uow.ledger.total()
    assert order.status.value == "completed"
    assert history == ["pay", "accept", "pickup", "deliver", "confirm"]
    runner_bal, revenue, escrow, wallet = await balances(
        db, ledger.runner(runner), ledger.PLATFORM_REVENUE, ledger.escrow(order_id), ledger.customer(alice))
    assert runner_bal == order.service_fee - order.commission + order.tip
    assert revenue == order.commission > 0
    assert escrow == 0 and wallet == 0 and total == 0
    # Completed on time: completion and punctuality both count.
    expected = campus.credit.initial + campus.credit_change(CreditEvent.completed) + campus.credit_change(CreditEvent.on_time)
    assert profile.credit == expected
    assert profile.active_orders == 0


async def test_an_order_its_coupon_pays_in_full_is_paid_once_by_marketing_and_pays_the_runner_in_full(db, campus, clock):
    """Nothing from the student's wallet: the marketing subsidy fills the escrow once, and completion pays the runner
    and the platform from it as for any order; the books balance, by the running balances and by the entries."""
    alice = await make_user(db, campus, clock(), name="alice")
    runner = await make_runner(db, campus, clock())
    order_id = await make_order(db, campus, alice, clock(), coupon=FREE_COUPON)
    with pytest.raises(IllegalTransition):  # paid once: a repeated payment is refused and posts nothing
        await act(db, campus, order_id, Event.pay, Actor(Role.customer, alice), clock())
    async with UnitOfWork(db, write=False) as uow:
        order = await uow.orders.get(order_id)
    assert order.status.value == "open" and order.total == 0 and order.discount == order.service_fee > 0
    assert await balances(db, ledger.MARKETING, ledger.escrow(order_id), ledger.customer(alice)) == [
        -order.discount, order.discount, 0]

    assert (await GrabService(db, {campus.id: campus}, clock).grab(order_id, runner)).won
    for event in (Event.pickup, Event.deliver):
        await act(db, campus, order_id, event, Actor(Role.runner, runner), clock())
    await act(db, campus, order_id, Event.confirm, Actor(Role.customer, alice), clock())
    async with UnitOfWork(db, write=False) as uow:
        history = [e.event for e in await uow.orders.history(order_id)]
        totals = await uow.ledger.total(), await uow.ledger.entries_total()
        pay_postings = await uow.session.scalar(text("SELECT count(*) FROM ledger_postings WHERE key = :k"),
                                                {"k": f"order:{order_id}:pay"})
    assert history == ["pay", "accept", "pickup", "deliver", "confirm"] and pay_postings == 1
    assert await balances(db, ledger.runner(runner), ledger.PLATFORM_REVENUE, ledger.escrow(order_id),
                          ledger.customer(alice), ledger.MARKETING) == [
        order.runner_share, order.commission, 0, 0, -order.discount]
    assert order.runner_share + order.commission == order.discount and totals == (0, 0)


async def test_illegal_transitions_are_errors_and_change_nothing(db, campus, clock):
    alice = await make_user(db, campus, clock())
    order_id = await make_order(db, campus, alice, clock())
    with pytest.raises(IllegalTransition):
        await act(db, campus, order_id, Event.deliver, Actor(Role.customer, alice), clock())
    with pytest.raises(IllegalTransition):
        await act(db, campus, order_id, Event.confirm, Actor(Role.customer, alice), clock())
    async with UnitOfWork(db, write=False) as uow:
        assert (await uow.orders.get(order_id)).status.value == "open"
        assert [e.event for e in await uow.orders.history(order_id)] == ["pay"]


async def test_someone_elses_order_is_refused(db, campus, clock):
    alice, bob = await make_user(db, campus, clock()), await make_user(db, campus, clock())
    order_id = await make_order(db, campus, alice, clock())
    with pytest.raises(NotAllowed):
        await act(db, campus, order_id, Event.cancel, Actor(Role.customer, bob), clock())
    r1, r2 = await make_runner(db, campus, clock()), await make_runner(db, campus, clock())
    assert (await GrabService(db, {campus.id: campus}, clock).grab(order_id, r1)).won
    with pytest.raises(NotAllowed):
        await act(db, campus, order_id, Event.pickup, Actor(Role.runner, r2), clock())


async def test_customer_cancel_refunds_in_full_before_accept(db, campus, clock):
    alice = await make_user(db, campus, clock())
    order_id = await make_order(db, campus, alice, clock())
    async with UnitOfWork(db, write=False) as uow:
        paid = (await uow.orders.get(order_id)).total
    await act(db, campus, order_id, Event.cancel, Actor(Role.customer, alice), clock())
    assert await balances(db, ledger.customer(alice), ledger.escrow(order_id)) == [paid, 0]


async def test_cancel_after_grace_pays_the_runner_the_fee(db, campus, clock):
    alice = await make_user(db, campus, clock())
    runner = await make_runner(db, campus, clock())
    order_id = await make_order(db, campus, alice, clock())
    assert (await GrabService(db, {campus.id: campus}, clock).grab(order_id, runner)).won
    clock.advance(minutes=campus.cancellation.free_minutes_after_accept + 1)
    await act(db, campus, order_id, Event.cancel, Actor(Role.customer, alice), clock())
    async with UnitOfWork(db, write=False) as uow:
        order = await uow.orders.get(order_id)
        assert (await uow.runners.get(runner)).active_orders == 0
    fee = campus.cancellation.fee_after_accept
    assert await balances(db, ledger.customer(alice), ledger.runner(runner), ledger.escrow(order_id)) == [
        order.total - fee, fee, 0]


async def test_no_cancel_after_pickup(db, campus, clock):
    alice = await make_user(db, campus, clock())
    runner = await make_runner(db, campus, clock())
    order_id = await make_order(db, campus, alice, clock())
    await GrabService(db, {campus.id: campus}, clock).grab(order_id, runner)
    await act(db, campus, order_id, Event.pickup, Actor(Role.runner, runner), clock())
    with pytest.raises(IllegalTransition):
        await act(db, campus, order_id, Event.cancel, Actor(Role.customer, alice), clock())


async def test_release_reopens_with_penalty(db, campus, clock):
    alice = await make_user(db, campus, clock())
    runner = await make_runner(db, campus, clock())
    order_id = await make_order(db, campus, alice, clock())
    await GrabService(db, {campus.id: campus}, clock).grab(order_id, runner)
    await act(db, campus, order_id, Event.release, Actor(Role.runner, runner), clock())
    async with UnitOfWork(db, write=False) as uow:
        order = await uow.orders.get(order_id)
        profile = await uow.runners.get(runner)
        records = (await uow.session.scalars(select(CreditRecord).where(CreditRecord.runner_id == runner))).all()
    assert order.status.value == "open" and order.runner_id is None
    assert profile.credit == campus.credit.initial + campus.credit_change(CreditEvent.released)
    assert [(r.event, r.order_id) for r in records] == [("released", order_id)]
    assert profile.active_orders == 0


async def test_stale_transition_loses_to_the_first(db, campus, clock):
    """Two transitions computed from the same state: the second to write is refused, not applied twice."""
    from core.order import transition
    from storage.transitions import apply_transition

    alice = await make_user(db, campus, clock())
    order_id = await make_order(db, campus, alice, clock())
    async with UnitOfWork(db, write=False) as uow:
        order = await uow.orders.get(order_id)
    cancel = transition(campus, order, Event.cancel, Actor(Role.customer, alice), clock())
    expire = transition(campus, order, Event.expire, Actor.system(), clock())
    async with UnitOfWork(db) as uow:
        await apply_transition(uow, campus, cancel, clock())
    with pytest.raises(StaleOrder):
        async with UnitOfWork(db) as uow:
            await apply_transition(uow, campus, expire, clock())
    assert await balances(db, ledger.customer(alice)) == [order.total]  # refunded once, not twice


async def test_a_payment_computed_before_the_coupon_was_dropped_is_not_applied(db, campus, clock):
    """The student dropped the coupon after a payment read the order: that payment, at the coupon's price and
    with the marketing subsidy, is refused, and the order waits at its full price."""
    from core.order import transition
    from storage.transitions import apply_transition

    alice = await make_user(db, campus, clock())
    order_id = await make_order(db, campus, alice, clock(), pay=False)
    async with UnitOfWork(db) as uow:
        row = await uow.orders.get_row(order_id)
        row.coupon_code, row.discount, row.total = "ONE", 100, row.total - 100
    async with UnitOfWork(db, write=False) as uow:
        order = await uow.orders.get(order_id)
    await top_up(db, alice, order.full_price, clock())
    pay = transition(campus, order, Event.pay, Actor(Role.customer, alice), clock())
    await act(db, campus, order_id, Event.drop_coupon, Actor(Role.customer, alice), clock())
    with pytest.raises(StaleOrder):
        async with UnitOfWork(db) as uow:
            await apply_transition(uow, campus, pay, clock())
    async with UnitOfWork(db, write=False) as uow:
        after = await uow.orders.get(order_id)
        history = [e.event for e in await uow.orders.history(order_id)]
    assert (after.status.value, after.coupon_code, after.discount, after.total) == (
        "awaiting_payment", None, 0, order.full_price)
    assert history == ["drop_coupon"]
    assert await balances(db, ledger.customer(alice), ledger.MARKETING) == [order.full_price, 0]


async def test_phone_and_room_are_encrypted_at_rest(db, campus, clock):
    alice = await make_user(db, campus, clock(), phone="13800138000", room="女3-502")
    async with UnitOfWork(db, write=False) as uow:
        raw = (await uow.session.execute(text("SELECT phone_enc, room_enc FROM users WHERE id = :id"),
                                         {"id": alice})).one()
    assert "13800138000" not in raw[0] and "502" not in raw[1]
    async with UnitOfWork(db, write=False) as uow:
        user = await uow.session.get(User, alice)
    assert CIPHER.decrypt(user.phone_enc) == "13800138000" and CIPHER.decrypt(user.room_enc) == "女3-502"


async def test_an_operators_goods_cost_read_before_the_runner_said_theirs_is_not_applied(db, campus, clock):
    """An operator cancelling a buy task whose cost was unsaid when they looked gives their figure; the runner says
    theirs first: the operator's cancellation is refused (the order changed), not applied over the runner's word."""
    from core.order import transition
    from storage.transitions import apply_transition

    alice = await make_user(db, campus, clock())
    runner = await make_runner(db, campus, clock())
    order_id = await make_order(db, campus, alice, clock(), goods=5000)
    await act(db, campus, order_id, Event.accept, Actor(Role.runner, runner), clock())
    await act(db, campus, order_id, Event.pickup, Actor(Role.runner, runner), clock())
    async with UnitOfWork(db, write=False) as uow:
        unsaid = await uow.orders.get(order_id)
    operator = await make_user(db, campus, clock(), name="op")
    cancel = transition(campus, unsaid, Event.operator_cancel, Actor(Role.operator, operator), clock(),
                        goods_spent=1000)
    await act(db, campus, order_id, Event.goods_bought, Actor(Role.runner, runner), clock(), goods_spent=3000)
    with pytest.raises(StaleOrder):
        async with UnitOfWork(db) as uow:
            await apply_transition(uow, campus, cancel, clock())
    async with UnitOfWork(db, write=False) as uow:
        after = await uow.orders.get(order_id)
    assert (after.status.value, after.goods_spent) == ("picked_up", 3000)
    assert await balances(db, ledger.runner(runner)) == [0]
