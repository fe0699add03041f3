"""The order state machine: random sequences of events by random actors never reach an illegal state."""
import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.campus_file import load_campus
from core import ledger
from core.campus import CreditEvent, Size, TaskType
from core.errors import IllegalTransition, InvalidInput, NotAllowed
from core.order import (
    FINAL,
    Actor,
    Event,
    Order,
    Role,
    Status,
    allowed_events,
    pay_deadline,
    refund_on_cancel,
    transition,
)
from core.pricing import Discount, QuoteRequest, quote

CAMPUS = load_campus(Path(__file__).resolve().parents[2] / "campus" / "demo.yaml")
T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)
CUSTOMER, RUNNER, OTHER_RUNNER, OPERATOR = 1, 2, 3, 9

S = Status
# The lifecycle of design.md §2, written out independently of core/order.py: event → (from, to, who).
SPEC = {
    Event.pay: ({S.awaiting_payment}, S.open, {Role.customer, Role.system}),
    Event.unpaid_timeout: ({S.awaiting_payment}, S.closed, {Role.system}),
    Event.accept: ({S.open}, S.accepted, {Role.runner}),
    Event.release: ({S.accepted}, S.open, {Role.runner}),
    Event.pickup_timeout: ({S.accepted}, S.open, {Role.system}),
    Event.pickup: ({S.accepted}, S.picked_up, {Role.runner}),
    Event.deliver: ({S.picked_up}, S.delivered, {Role.runner}),
    Event.confirm: ({S.delivered}, S.completed, {Role.customer}),
    Event.auto_confirm: ({S.delivered}, S.completed, {Role.system}),
    Event.expire: ({S.open}, S.expired, {Role.system}),
    Event.cancel: ({S.awaiting_payment, S.open, S.accepted}, S.cancelled, {Role.customer}),  # never after pickup
    Event.operator_cancel: ({S.awaiting_payment, S.open, S.accepted, S.picked_up}, S.cancelled, {Role.operator}),
    Event.reassign: ({S.accepted}, S.accepted, {Role.operator}),
    Event.take_back: ({S.accepted}, S.open, {Role.operator}),  # its runner may no longer do it (suspended)
    Event.report: ({S.accepted, S.picked_up, S.delivered}, S.exception, {Role.customer, Role.runner}),
    Event.resolve_complete: ({S.exception}, S.completed, {Role.operator}),
    Event.resolve_refund: ({S.exception}, S.refunded, {Role.operator}),
    Event.resolve_reopen: ({S.exception}, S.open, {Role.operator}),  # only reported before pickup
    Event.drop_coupon: ({S.awaiting_payment}, S.awaiting_payment, {Role.customer}),  # only an order with a coupon
    Event.goods_bought: ({S.picked_up}, S.picked_up, {Role.runner}),  # only a buy task's, once
    # Only a buy task's, whose goods cost more than its goods money; then paid or refused, once asked.
    Event.extra_asked: ({S.picked_up}, S.picked_up, {Role.runner}),
    Event.extra_paid: ({S.picked_up}, S.picked_up, {Role.customer, Role.system}),
    Event.extra_refused: ({S.picked_up}, S.picked_up, {Role.customer}),
}


def new_order(**kw) -> Order:
    base = dict(id=1, campus_id="demo", customer_id=CUSTOMER, status=Status.awaiting_payment, created_at=T0,
                service_fee=600, tip=100, discount=50, total=650, commission=90, runner_share=610, coupon_code="FIFTY")
    return Order(**(base | kw))


ACTORS = [
    Actor(Role.customer, CUSTOMER), Actor(Role.customer, 77), Actor(Role.runner, RUNNER),
    Actor(Role.runner, OTHER_RUNNER), Actor(Role.runner, CUSTOMER), Actor(Role.operator, OPERATOR), Actor.system(),
]
# Each step either takes one of the moves the machine offers to anyone (to reach deep states) or tries any event
# by any actor (to probe illegal ones); then some minutes pass.
steps = st.lists(
    st.tuples(st.booleans(), st.integers(0, 200), st.integers(0, 120)), max_size=40
)


OPERATOR_ENDS = (Event.operator_cancel, Event.resolve_refund, Event.resolve_complete)
_PATH = [(Event.pay, Actor(Role.customer, CUSTOMER)), (Event.accept, Actor(Role.runner, RUNNER)),
         (Event.pickup, Actor(Role.runner, RUNNER))]
HAPPY_PATH = [_PATH[:n] for n in range(len(_PATH) + 1)]


@settings(max_examples=500, deadline=None)
@given(steps=steps, goods=st.sampled_from([0, 3000]), spent=st.integers(0, 4500), decided=st.integers(0, 3000),
       start=st.sampled_from(HAPPY_PATH))
def test_random_event_sequences_keep_the_order_legal_and_the_money_balanced(steps, goods, spent, decided, start):
    """`goods`: a buy task's goods money on top of the service, of which the runner spends `spent` at pickup (more
    than all of it: the difference is asked); an operator ending it once picked up with the cost unsaid says it
    cost `decided`. `start`: the first events, down the happy path, so that the random steps begin in deep states
    often too."""
    order, now, books = new_order(goods=goods, total=650 + goods), T0, ledger.Ledger()
    seed = order.full_price + 4500  # enough for the order with its coupon dropped, and any difference, too
    books.post(ledger.top_up(CUSTOMER, seed, "cash", "seed"))
    for event, actor in start:
        t = transition(CAMPUS, order, event, actor, now)
        for posting in t.postings:
            books.post(posting)
        order = t.after
    picked = Event.pickup in dict(start)  # the goods may have been bought: once picked up, whatever came after
    said: int | None = None  # what the goods cost, as the runner or else the operator ending the order said it
    asked: int | None = None  # what the goods cost, as a difference the student has not yet paid or refused says it
    ended_by = None
    for guided, pick, minutes in steps:
        now += dt.timedelta(minutes=minutes)
        offered = [(a, e) for a in ACTORS for e in allowed_events(order, a)]
        if guided and offered:
            actor, event = offered[pick % len(offered)]
        else:
            actor, event = ACTORS[pick % len(ACTORS)], list(Event)[pick % len(Event)]
        sources, target, roles = SPEC[event]
        unsaid = bool(goods) and picked and said is None  # an operator ending it must say what the goods cost
        runners_word = event in (Event.goods_bought, Event.extra_asked)
        cost = spent if runners_word else decided if event in OPERATOR_ENDS and unsaid else None
        try:
            t = transition(CAMPUS, order, event, actor, now,
                           runner_id=OTHER_RUNNER if order.runner_id != OTHER_RUNNER else RUNNER, goods_spent=cost)
        except (IllegalTransition, NotAllowed, InvalidInput) as refusal:  # InvalidInput: a delivery before the cost
            # A cost the runner's word does not fit is refused even where the machine offers the event: more than
            # the goods money said as bought, no more than it asked as a difference, or the difference asked now.
            misfit = {"error-goods-spent-range", "error-extra-within", "error-extra-same"}
            assert (actor, event) not in offered or runners_word and refusal.key in misfit, refusal.key
            continue
        assert order.status in sources and t.after.status is target and actor.role in roles, (event, order.status)
        for posting in t.postings:
            books.post(posting)
        order = t.after
        assert books.total() == 0
        picked |= event is Event.pickup
        if event is Event.extra_asked:
            asked = cost
        else:
            said = asked if event is Event.extra_paid else cost if cost is not None else said
            asked = None if cost is not None or event is not Event.pickup and order.status is not S.picked_up or \
                event in (Event.extra_paid, Event.extra_refused) else asked
        ended_by = event if order.final else None
        # A difference is asked only while the goods' cost is unsaid, and is then exactly what it says they cost.
        assert order.goods_extra == (asked - order.goods if asked is not None else 0)
    assert order.goods_spent == said
    # Once an order is final, escrow is empty and the money is where the outcome says.
    if order.final:
        assert books.balance(ledger.escrow(order.id)) == 0
    if order.status is Status.completed:
        # The runner's share and the goods they bought; the student gets back what of the goods money was left.
        bought = order.goods - order.goods_back
        assert order.goods_back == order.goods - (said or 0) and order.goods - goods == max(0, (said or 0) - goods)
        assert books.balance(ledger.runner(order.runner_id)) == order.runner_share + bought
        assert books.balance(ledger.PLATFORM_REVENUE) == order.commission
        assert books.balance(ledger.customer(CUSTOMER)) == seed - order.total + order.goods_back
    if order.status in (Status.expired, Status.refunded) or ended_by is Event.operator_cancel:
        # All back but goods the runner bought, which the goods money paid them back for.
        assert books.balance(ledger.customer(CUSTOMER)) == seed - (said or 0)
        if said:
            assert books.balance(ledger.runner(order.runner_id)) == said
    if goods and picked and ended_by in OPERATOR_ENDS:
        # Bought with the runner's money: never ended without the cost said, by the runner or else the operator.
        assert said is not None and books.balance(ledger.escrow(order.id)) == 0


def legal_by_spec(order: Order, event: Event, actor: Actor) -> bool:
    sources, _, roles = SPEC[event]
    if order.status not in sources or actor.role not in roles:
        return False
    if event is Event.drop_coupon and order.coupon_code is None:
        return False
    if event is Event.goods_bought and (not order.goods or order.goods_spent is not None):
        return False
    if event in (Event.extra_paid, Event.extra_refused) and not order.goods_extra:
        return False
    if event is Event.extra_asked:  # its cost is missing here (InvalidInput), so it is never made
        return False
    if actor.role is Role.customer:
        return actor.user_id == CUSTOMER
    if actor.role is Role.runner:
        if event is Event.accept:
            return actor.user_id != CUSTOMER
        return actor.user_id == order.runner_id
    return True


def test_every_status_event_and_actor_against_the_spec():
    for status in Status:
        holder = RUNNER if status in (S.accepted, S.picked_up, S.delivered, S.exception) else None
        order = new_order(status=status, runner_id=holder, accepted_at=T0 if holder else None)
        for event in Event:
            for actor in ACTORS:
                try:
                    t = transition(CAMPUS, order, event, actor, T0, runner_id=OTHER_RUNNER)
                    legal = True
                except (IllegalTransition, NotAllowed):
                    legal = False
                assert legal == legal_by_spec(order, event, actor), (status, event, actor)
                if legal:
                    assert t.after.status is SPEC[event][1]


def test_a_final_order_accepts_no_event():
    for status in FINAL:
        order = new_order(status=status, runner_id=RUNNER)
        for event in Event:
            for actor in (Actor(Role.customer, CUSTOMER), Actor(Role.runner, RUNNER), Actor(Role.operator, 9), Actor.system()):
                with pytest.raises((IllegalTransition, NotAllowed)):
                    transition(CAMPUS, order, event, actor, T0)


def test_only_the_own_runner_picks_up_and_only_the_own_customer_confirms():
    accepted = new_order(status=Status.accepted, runner_id=RUNNER, accepted_at=T0)
    with pytest.raises(NotAllowed):
        transition(CAMPUS, accepted, Event.pickup, Actor(Role.runner, OTHER_RUNNER), T0)
    delivered = new_order(status=Status.delivered, runner_id=RUNNER)
    with pytest.raises(NotAllowed):
        transition(CAMPUS, delivered, Event.confirm, Actor(Role.customer, 77), T0)
    with pytest.raises(NotAllowed):  # a timer cannot confirm for the customer before the deadline logic says so
        transition(CAMPUS, delivered, Event.confirm, Actor.system(), T0)


def test_pickup_is_remembered_through_a_report():
    accepted = new_order(status=Status.accepted, runner_id=RUNNER, accepted_at=T0)
    picked = transition(CAMPUS, accepted, Event.pickup, Actor(Role.runner, RUNNER), T0).after
    reported = transition(CAMPUS, picked, Event.report, Actor(Role.customer, CUSTOMER), T0).after
    assert (picked.picked_up_at, reported.picked_up_at) == (T0, T0)
    assert transition(CAMPUS, accepted, Event.report, Actor(Role.customer, CUSTOMER), T0).after.picked_up_at is None


def test_deadlines_follow_the_campus_timeouts():
    t = CAMPUS.timeouts
    paid = transition(CAMPUS, new_order(), Event.pay, Actor(Role.customer, CUSTOMER), T0).after
    assert paid.accept_by == T0 + dt.timedelta(minutes=t.accept_minutes)
    assert paid.reannounce_at == T0 + dt.timedelta(minutes=t.reannounce_minutes)
    accepted = transition(CAMPUS, paid, Event.accept, Actor(Role.runner, RUNNER), T0).after
    assert accepted.pickup_by == T0 + dt.timedelta(minutes=t.pickup_minutes) and accepted.accept_by is None
    picked = transition(CAMPUS, accepted, Event.pickup, Actor(Role.runner, RUNNER), T0).after
    assert picked.deliver_by == T0 + dt.timedelta(minutes=t.deliver_minutes)
    delivered = transition(CAMPUS, picked, Event.deliver, Actor(Role.runner, RUNNER), T0).after
    assert delivered.auto_confirm_at == T0 + dt.timedelta(hours=t.auto_confirm_hours)


def test_a_scheduled_errands_deadlines_wait_for_its_window():
    # Paid at T0 for a window eight hours on: before, it expired (or cost its runner credit) half an hour later.
    t, start = CAMPUS.timeouts, T0 + dt.timedelta(hours=8)
    end = start + dt.timedelta(hours=2)
    runner, later = Actor(Role.runner, RUNNER), T0 + dt.timedelta(hours=1)
    paid = transition(CAMPUS, new_order(window_start=start, window_end=end), Event.pay,
                      Actor(Role.customer, CUSTOMER), T0).after
    assert paid.accept_by == start + dt.timedelta(minutes=t.accept_minutes)
    assert paid.reannounce_at == start - dt.timedelta(minutes=t.reannounce_minutes)  # not all day long
    accepted = transition(CAMPUS, paid, Event.accept, runner, later).after
    assert accepted.pickup_by == start + dt.timedelta(minutes=t.pickup_minutes)
    reassigned = transition(CAMPUS, accepted, Event.reassign, Actor(Role.operator, OPERATOR), later,
                            runner_id=OTHER_RUNNER).after
    assert reassigned.pickup_by == start + dt.timedelta(minutes=t.pickup_minutes)
    released = transition(CAMPUS, accepted, Event.release, runner, later).after
    assert released.accept_by == start + dt.timedelta(minutes=t.accept_minutes)
    assert released.reannounce_at == start - t.reannounce_every  # given back in the morning: not reposted all day
    assert paid.next_announcement(start - t.reannounce_every, t.reannounce_every) == start  # then as it nears
    # Picked up early, it is due by the window's end; picked up late in it, in the usual time.
    early = transition(CAMPUS, accepted, Event.pickup, runner, start).after
    assert early.deliver_by == end
    late_pickup = end - dt.timedelta(minutes=10)
    assert transition(CAMPUS, accepted, Event.pickup, runner, late_pickup).after.deliver_by == (
        late_pickup + dt.timedelta(minutes=t.deliver_minutes))
    # Once its window has begun, it runs on the usual timeouts.
    paid_within = transition(CAMPUS, new_order(window_start=start, window_end=end), Event.pay,
                             Actor(Role.customer, CUSTOMER), start + dt.timedelta(minutes=5)).after
    assert paid_within.accept_by == start + dt.timedelta(minutes=5 + t.accept_minutes)
    assert paid_within.reannounce_at == start + dt.timedelta(minutes=5 + t.reannounce_minutes)


def test_a_scheduled_errand_is_cancelled_free_until_its_window_begins():
    grace = dt.timedelta(minutes=CAMPUS.cancellation.free_minutes_after_accept)
    start = T0 + dt.timedelta(hours=8)
    accepted = new_order(status=Status.accepted, runner_id=RUNNER, accepted_at=T0, window_start=start,
                         window_end=start + dt.timedelta(hours=2))
    customer = Actor(Role.customer, CUSTOMER)
    noon = transition(CAMPUS, accepted, Event.cancel, customer, T0 + dt.timedelta(hours=4))
    late = transition(CAMPUS, accepted, Event.cancel, customer, start + grace + dt.timedelta(seconds=1))
    assert [p.key for p in noon.postings] == ["order:1:refund"]
    assert [p.key for p in late.postings] == ["order:1:cancel-fee"]


def test_auto_confirm_pays_exactly_like_a_confirmation():
    delivered = new_order(status=Status.delivered, runner_id=RUNNER)
    by_customer = transition(CAMPUS, delivered, Event.confirm, Actor(Role.customer, CUSTOMER), T0)
    by_timer = transition(CAMPUS, delivered, Event.auto_confirm, Actor.system(), T0)
    assert by_customer.postings == by_timer.postings
    assert by_customer.credit == by_timer.credit


def test_cancellation_fee_only_after_the_grace_and_before_pickup():
    grace = dt.timedelta(minutes=CAMPUS.cancellation.free_minutes_after_accept)
    accepted = new_order(status=Status.accepted, runner_id=RUNNER, accepted_at=T0)
    early = transition(CAMPUS, accepted, Event.cancel, Actor(Role.customer, CUSTOMER), T0 + grace)
    late = transition(CAMPUS, accepted, Event.cancel, Actor(Role.customer, CUSTOMER), T0 + grace + dt.timedelta(seconds=1))
    assert [p.key for p in early.postings] == ["order:1:refund"]
    assert [p.key for p in late.postings] == ["order:1:cancel-fee"]
    fee_to_runner = {e.account: e.amount for e in late.postings[0].entries}[ledger.runner(RUNNER)]
    assert fee_to_runner == CAMPUS.cancellation.fee_after_accept


def test_the_students_cancellation_notice_says_when_the_fee_took_all_they_paid():
    late = T0 + dt.timedelta(minutes=CAMPUS.cancellation.free_minutes_after_accept, seconds=1)
    fee = CAMPUS.cancellation.fee_after_accept
    customer = Actor(Role.customer, CUSTOMER)

    def told(total: int) -> list[tuple[str, dict]]:
        order = new_order(status=Status.accepted, runner_id=RUNNER, accepted_at=T0, total=total)
        return [(n.key, n.args) for n in transition(CAMPUS, order, Event.cancel, customer, late).notices
                if n.to == "customer"]

    kept = {"coupon": "none", "coupon_fee": 0, "code": "FIFTY"}  # the coupon paid nothing of the fee: given back
    assert told(fee + 1) == [("notice-cancelled", {"refund": 1, "refunded": "yes", **kept})]
    assert told(fee) == [("notice-cancelled-all-fee", {"fee": fee, **kept})]  # not "0.00 yuan went back to your wallet"
    # The student's part never exceeds what they paid: their coupon pays the rest of the runner's fee, and is spent.
    assert told(fee - 1) == [("notice-cancelled-all-fee", {"fee": fee - 1, "coupon": "part", "coupon_fee": 1,
                                                           "code": "FIFTY"})]
    # Paid by the coupon alone (50 fen of it here): the fee is all the coupon's, which the notice says.
    assert told(0) == [("notice-cancelled", {"refund": 0, "refunded": "no", "coupon": "all", "coupon_fee": 50,
                                             "code": "FIFTY"})]


NOTHING_BOUGHT = {"spent": 0, "bought": "no"}  # a runner's notice of an order with no goods bought


def runner_told(t) -> list[tuple[str, dict]]:
    return [(n.key, n.args) for n in t.notices if n.to == "runner" and n.user_id == RUNNER]


def paid_to_runner(t) -> int:
    return sum(e.amount for p in t.postings for e in p.entries if e.account == ledger.runner(RUNNER))


def test_the_runner_of_a_students_late_cancellation_is_told_the_fee_the_ledger_pays_them():
    grace = dt.timedelta(minutes=CAMPUS.cancellation.free_minutes_after_accept)
    accepted = new_order(status=Status.accepted, runner_id=RUNNER, accepted_at=T0)
    customer = Actor(Role.customer, CUSTOMER)
    early = transition(CAMPUS, accepted, Event.cancel, customer, T0 + grace)
    late = transition(CAMPUS, accepted, Event.cancel, customer, T0 + grace + dt.timedelta(seconds=1))
    assert runner_told(early) == [("notice-cancelled-runner", {})] and paid_to_runner(early) == 0
    assert runner_told(late) == [("notice-cancelled-runner-fee", {"fee": paid_to_runner(late)})]
    assert paid_to_runner(late) == CAMPUS.cancellation.fee_after_accept


@pytest.mark.parametrize("status", [Status.accepted, Status.picked_up])
def test_an_operators_cancellation_tells_the_runner_it_was_the_service_with_the_reason_and_pays_them_nothing(status):
    order = new_order(status=status, runner_id=RUNNER, accepted_at=T0)
    operator = Actor(Role.operator, OPERATOR)
    late = T0 + dt.timedelta(hours=1)  # long past the free minutes: still no fee, the service cancelled it
    with_reason = transition(CAMPUS, order, Event.operator_cancel, operator, late, note="shop closed")
    assert runner_told(with_reason) == [("notice-cancelled-by-service-runner", {"reason": "shop closed",
                                                                                "given": "yes", **NOTHING_BOUGHT})]
    assert [p.key for p in with_reason.postings] == ["order:1:refund"] and paid_to_runner(with_reason) == 0
    without = transition(CAMPUS, order, Event.operator_cancel, operator, late)
    assert runner_told(without) == [("notice-cancelled-by-service-runner", {"reason": "", "given": "no",
                                                                            **NOTHING_BOUGHT})]
    assert "notice-cancelled-runner" not in [n.key for n in without.notices]  # not "cancelled by the student"


def test_a_refund_resolution_tells_the_runner_they_are_paid_nothing():
    order = new_order(status=Status.exception, runner_id=RUNNER, accepted_at=T0)
    t = transition(CAMPUS, order, Event.resolve_refund, Actor(Role.operator, OPERATOR), T0, note="item damaged")
    assert runner_told(t) == [("notice-refunded-runner", {"reason": "item damaged", "given": "yes", **NOTHING_BOUGHT})]
    assert paid_to_runner(t) == 0


def test_late_delivery_costs_credit_instead_of_earning_it():
    picked = new_order(status=Status.picked_up, runner_id=RUNNER, deliver_by=T0)
    late = transition(CAMPUS, picked, Event.deliver, Actor(Role.runner, RUNNER), T0 + dt.timedelta(minutes=1)).after
    done = transition(CAMPUS, late, Event.confirm, Actor(Role.customer, CUSTOMER), T0 + dt.timedelta(minutes=2))
    assert [e.value for _, e in done.credit] == ["completed", "late_delivery"]


def test_allowed_events_lists_only_what_would_succeed():
    accepted = new_order(status=Status.accepted, runner_id=RUNNER, accepted_at=T0)
    for actor in (Actor(Role.customer, CUSTOMER), Actor(Role.runner, RUNNER), Actor(Role.runner, OTHER_RUNNER)):
        for event in Event:
            works = True
            try:
                transition(CAMPUS, accepted, event, actor, T0, runner_id=OTHER_RUNNER if actor.user_id != OTHER_RUNNER else 5)
            except (IllegalTransition, NotAllowed):
                works = False
            assert (event in allowed_events(accepted, actor)) == works, (actor, event)


def test_an_order_whose_coupon_is_dropped_costs_what_pricing_quotes_without_it_and_pays_out_as_before():
    """drop_coupon: the student pays what the same errand costs without the coupon; the runner and the platform
    get what they would have, and the marketing subsidy pays nothing."""
    req = QuoteRequest(task_type=TaskType.parcel, pickup=CAMPUS.building("parcel_station"),
                       dropoff=CAMPUS.building("dorm_f3"), weight_g=4500, size=Size.medium, at=T0, tip=200,
                       discount=Discount("HALF", percent_off_bp=5000, cap=300))
    with_coupon, full = quote(CAMPUS, req), quote(CAMPUS, dataclasses.replace(req, discount=None))
    assert with_coupon.discount == 300
    order = new_order(service_fee=with_coupon.service_fee, tip=with_coupon.tip, discount=with_coupon.discount,
                      total=with_coupon.total, commission=with_coupon.commission,
                      runner_share=with_coupon.runner_share, coupon_code="HALF",
                      pay_by=T0 + dt.timedelta(minutes=15))
    t = transition(CAMPUS, order, Event.drop_coupon, Actor(Role.customer, CUSTOMER), T0 + dt.timedelta(minutes=3))
    after = t.after
    assert (after.status, after.coupon_code, after.discount, after.total) == (
        Status.awaiting_payment, None, 0, full.total)
    assert (after.commission, after.runner_share) == (full.commission, full.runner_share)
    assert after.pay_by == order.pay_by  # the deadline the student was told stays
    assert t.postings == () and t.notices == ()  # nothing was paid yet, and it is the student's own doing

    books = ledger.Ledger()
    books.post(ledger.top_up(CUSTOMER, full.total, "cash", "seed"))
    paid = transition(CAMPUS, after, Event.pay, Actor(Role.customer, CUSTOMER), T0)
    for p in paid.postings:
        books.post(p)
    assert books.balance(ledger.customer(CUSTOMER)) == 0 and books.balance(ledger.MARKETING) == 0
    assert books.balance(ledger.escrow(order.id)) == full.total
    accepted = transition(CAMPUS, paid.after, Event.accept, Actor(Role.runner, RUNNER), T0).after
    picked = transition(CAMPUS, accepted, Event.pickup, Actor(Role.runner, RUNNER), T0).after
    delivered = transition(CAMPUS, picked, Event.deliver, Actor(Role.runner, RUNNER), T0).after
    for p in transition(CAMPUS, delivered, Event.confirm, Actor(Role.customer, CUSTOMER), T0).postings:
        books.post(p)
    assert books.balance(ledger.runner(RUNNER)) == full.runner_share
    assert books.balance(ledger.PLATFORM_REVENUE) == full.commission
    assert books.balance(ledger.escrow(order.id)) == 0 and books.total() == 0


def test_only_its_own_customer_drops_the_coupon_of_an_order_awaiting_payment_that_has_one():
    order = new_order()
    for actor in (Actor(Role.customer, 77), Actor(Role.runner, RUNNER), Actor(Role.operator, OPERATOR),
                  Actor.system()):
        with pytest.raises(NotAllowed):
            transition(CAMPUS, order, Event.drop_coupon, actor, T0)
    paid = transition(CAMPUS, order, Event.pay, Actor(Role.customer, CUSTOMER), T0).after
    with pytest.raises(IllegalTransition):  # the price was paid: it stays
        transition(CAMPUS, paid, Event.drop_coupon, Actor(Role.customer, CUSTOMER), T0)
    dropped = transition(CAMPUS, order, Event.drop_coupon, Actor(Role.customer, CUSTOMER), T0).after
    with pytest.raises(IllegalTransition) as refused:  # no coupon left to drop: a second press changes nothing
        transition(CAMPUS, dropped, Event.drop_coupon, Actor(Role.customer, CUSTOMER), T0)
    assert refused.value.key == "error-no-coupon" and refused.value.args_ == {"order": order.id}
    customer = Actor(Role.customer, CUSTOMER)
    assert Event.drop_coupon in allowed_events(order, customer)
    assert Event.drop_coupon not in allowed_events(dropped, customer)


def test_an_order_its_coupon_pays_in_full_is_paid_by_the_coupon_alone_and_pays_the_runner_as_without_it():
    """A coupon covering the whole fee: paying takes nothing from the student, the marketing subsidy puts the whole
    price in escrow, and completion pays the runner and the platform what the errand pays without a coupon."""
    req = QuoteRequest(task_type=TaskType.parcel, pickup=CAMPUS.building("parcel_station"),
                       dropoff=CAMPUS.building("dorm_f3"), weight_g=1000, size=Size.small, at=T0,
                       discount=Discount("FREE", percent_off_bp=10_000))
    free, full = quote(CAMPUS, req), quote(CAMPUS, dataclasses.replace(req, discount=None))
    assert free.total == 0 and free.discount == full.total
    order = new_order(service_fee=free.service_fee, tip=0, discount=free.discount, total=0,
                      commission=free.commission, runner_share=free.runner_share, coupon_code="FREE",
                      pay_by=T0 + dt.timedelta(minutes=15))
    assert order.covered_by_coupon and not new_order().covered_by_coupon
    customer = Actor(Role.customer, CUSTOMER)

    paid = transition(CAMPUS, order, Event.pay, customer, T0)
    assert paid.after.status is Status.open and paid.after.pay_by is None
    assert [(n.to, n.key, n.args) for n in paid.notices] == [
        ("customer", "notice-paid", {"covered": "yes"}), ("hall", "notice-hall-new", {})]
    [posting] = paid.postings
    assert {e.account: e.amount for e in posting.entries} == {
        ledger.MARKETING: -full.total, ledger.escrow(order.id): full.total}  # nothing from the student's wallet
    books = ledger.Ledger()
    books.post(posting)
    with pytest.raises(IllegalTransition):  # paid once: a repeated payment is refused
        transition(CAMPUS, paid.after, Event.pay, customer, T0)

    accepted = transition(CAMPUS, paid.after, Event.accept, Actor(Role.runner, RUNNER), T0).after
    picked = transition(CAMPUS, accepted, Event.pickup, Actor(Role.runner, RUNNER), T0).after
    delivered = transition(CAMPUS, picked, Event.deliver, Actor(Role.runner, RUNNER), T0).after
    for p in transition(CAMPUS, delivered, Event.confirm, customer, T0).postings:
        books.post(p)
    assert books.balance(ledger.runner(RUNNER)) == full.runner_share
    assert books.balance(ledger.PLATFORM_REVENUE) == full.commission
    assert books.balance(ledger.MARKETING) == -full.total and books.balance(ledger.customer(CUSTOMER)) == 0
    assert books.balance(ledger.escrow(order.id)) == 0 and books.total() == 0

    # A paid order's notice says "Paid." as before.
    assert transition(CAMPUS, new_order(), Event.pay, customer, T0).notices[0].args == {"covered": "no"}


# --- buy for me: the goods money ---------------------------------------------------------------------------------

def buy_order(**kw) -> Order:
    """A buy task whose student gave 50 yuan for the goods besides the 6.50 service (after its coupon)."""
    return new_order(goods=5000, total=650 + 5000, **kw)


def test_a_buy_tasks_goods_cost_is_said_once_picked_up_at_most_the_goods_money_and_before_delivery():
    accepted, runner = buy_order(status=Status.accepted, runner_id=RUNNER, accepted_at=T0), Actor(Role.runner, RUNNER)
    picked = transition(CAMPUS, accepted, Event.pickup, runner, T0).after  # bought: the student can no longer cancel
    assert picked.goods_spent is None and Event.cancel not in allowed_events(picked, Actor(Role.customer, CUSTOMER))
    assert Event.deliver not in allowed_events(picked, runner)  # not before the cost is said
    with pytest.raises(InvalidInput) as needed:
        transition(CAMPUS, picked, Event.deliver, runner, T0)
    assert needed.value.key == "error-goods-spent-needed"
    with pytest.raises(InvalidInput) as over:
        transition(CAMPUS, picked, Event.goods_bought, runner, T0, goods_spent=5001)
    assert (over.value.key, over.value.args_["max"]) == ("error-goods-spent-range", "50.00")
    with pytest.raises(NotAllowed):
        transition(CAMPUS, picked, Event.goods_bought, Actor(Role.runner, OTHER_RUNNER), T0, goods_spent=100)
    t = transition(CAMPUS, picked, Event.goods_bought, runner, T0, goods_spent=3250)
    assert (t.after.status, t.after.goods_spent, t.postings) == (Status.picked_up, 3250, ())  # paid on completion
    assert [(n.key, n.args) for n in t.notices] == [("notice-bought", {"spent": 3250, "goods": 5000})]
    assert Event.deliver in allowed_events(t.after, runner)
    with pytest.raises(IllegalTransition):  # said once
        transition(CAMPUS, t.after, Event.goods_bought, runner, T0, goods_spent=100)
    # An errand without goods money has no goods to pay for.
    with pytest.raises(IllegalTransition):
        transition(CAMPUS, new_order(status=Status.picked_up, runner_id=RUNNER), Event.goods_bought, runner, T0,
                   goods_spent=100)


@pytest.mark.parametrize("event,actor", [(Event.confirm, Actor(Role.customer, CUSTOMER)),
                                         (Event.auto_confirm, Actor.system())])
def test_completing_a_buy_task_pays_the_runner_back_the_goods_apart_from_earnings_and_the_student_the_rest(
        event, actor):
    books = ledger.Ledger()
    books.post(ledger.top_up(CUSTOMER, 10_000, "cash", "seed"))
    paid = transition(CAMPUS, buy_order(), Event.pay, Actor(Role.customer, CUSTOMER), T0)
    for p in paid.postings:
        books.post(p)
    order = dataclasses.replace(paid.after, status=Status.delivered, runner_id=RUNNER, goods_spent=3250)
    t = transition(CAMPUS, order, event, actor, T0)
    assert [p.key for p in t.postings] == ["order:1:complete", "order:1:goods"]
    for p in t.postings:
        books.post(p)
    assert books.balance(ledger.escrow(1)) == 0 and books.total() == 0
    assert books.balance(ledger.runner(RUNNER)) == order.runner_share + 3250
    assert books.balance(ledger.customer(CUSTOMER)) == 10_000 - 5650 + 1750
    assert books.balance(ledger.PLATFORM_REVENUE) == order.commission  # no commission on the goods
    told = {n.to: (n.key, n.args) for n in t.notices}
    assert told["runner"][1] == {"amount": order.runner_share, "spent": 3250, "bought": "yes"}
    assert told["customer"][1] == {"change": 1750, "back": "yes", "spent": 3250, "bought": "yes"}


def test_a_buy_task_an_operator_completes_unpicked_gives_all_its_goods_money_back():
    """Reported before the goods were bought (no cost was ever said): none of the goods money was spent."""
    order = buy_order(status=Status.exception, runner_id=RUNNER)
    t = transition(CAMPUS, order, Event.resolve_complete, Actor(Role.operator, OPERATOR), T0)
    goods = {e.account: e.amount for e in t.postings[1].entries}
    assert goods == {ledger.escrow(1): -5000, ledger.customer(CUSTOMER): 5000}
    assert runner_told(t)[0][1] | {"amount": 0} == {"amount": 0, "spent": 0, "bought": "no"}


@pytest.mark.parametrize("event,status", [(Event.operator_cancel, Status.picked_up),
                                          (Event.resolve_refund, Status.exception)])
def test_a_refund_after_the_goods_were_bought_pays_the_runner_back_and_the_student_all_the_rest(event, status):
    books = ledger.Ledger()
    books.post(ledger.top_up(CUSTOMER, 10_000, "cash", "seed"))
    paid = transition(CAMPUS, buy_order(), Event.pay, Actor(Role.customer, CUSTOMER), T0)
    for p in paid.postings:
        books.post(p)
    order = dataclasses.replace(paid.after, status=status, runner_id=RUNNER, accepted_at=T0, goods_spent=3250)
    t = transition(CAMPUS, order, event, Actor(Role.operator, OPERATOR), T0, note="shop closed")
    for p in t.postings:
        books.post(p)
    assert books.balance(ledger.escrow(1)) == 0 and books.total() == 0
    assert books.balance(ledger.runner(RUNNER)) == 3250  # their outlay, no earnings
    assert books.balance(ledger.customer(CUSTOMER)) == 10_000 - 3250
    assert books.balance(ledger.MARKETING) == 0  # the coupon is given back whole
    told = {n.to: n.args for n in t.notices}
    assert told["customer"]["refund" if event is Event.operator_cancel else "amount"] == 5650 - 3250
    assert (told["runner"]["spent"], told["runner"]["bought"]) == (3250, "yes")


def picked_unsaid(status: Status = Status.picked_up) -> Order:
    """A buy task its runner picked up (bought the goods) without saying what they cost; `exception`: then reported."""
    runner, student = Actor(Role.runner, RUNNER), Actor(Role.customer, CUSTOMER)
    order = transition(CAMPUS, buy_order(status=Status.accepted, runner_id=RUNNER, accepted_at=T0), Event.pickup,
                       runner, T0).after
    return transition(CAMPUS, order, Event.report, student, T0).after if status is Status.exception else order


ENDS_AFTER_PICKUP = [(Event.operator_cancel, Status.picked_up), (Event.resolve_refund, Status.exception),
                     (Event.resolve_complete, Status.exception)]


@pytest.mark.parametrize("event,status", ENDS_AFTER_PICKUP)
def test_an_operator_ending_a_buy_task_picked_up_with_its_cost_unsaid_must_say_what_the_goods_cost(event, status):
    order, operator = picked_unsaid(status), Actor(Role.operator, OPERATOR)
    assert order.status is status and order.goods_spent is None
    assert event in allowed_events(order, operator)  # offered: pressing it says what it needs
    with pytest.raises(InvalidInput) as unsaid:
        transition(CAMPUS, order, event, operator, T0)
    assert (unsaid.value.key, unsaid.value.args_) == (
        "error-goods-unsaid-operator", {"order": 1, "event": event.value, "max": "50.00"})
    with pytest.raises(InvalidInput) as over:  # bounded by the goods money, as the runner's word is
        transition(CAMPUS, order, event, operator, T0, goods_spent=5001)
    assert over.value.key == "error-goods-operator-range"
    with pytest.raises(InvalidInput):
        transition(CAMPUS, order, event, operator, T0, goods_spent=-1)


@pytest.mark.parametrize("event,status", ENDS_AFTER_PICKUP)
@pytest.mark.parametrize("cost", [3000, 0])
def test_the_cost_an_operator_gives_settles_the_goods_as_if_the_runner_had_said_it(event, status, cost):
    books = ledger.Ledger()
    books.post(ledger.top_up(CUSTOMER, 10_000, "cash", "seed"))
    order = picked_unsaid(status)
    books.post(ledger.pay_order(1, CUSTOMER, order.total, order.discount))
    t = transition(CAMPUS, order, event, Actor(Role.operator, OPERATOR), T0, note="shop closed", goods_spent=cost)
    for p in t.postings:
        books.post(p)
    assert t.before.goods_spent is None and t.after.goods_spent == cost  # recorded: the order card shows it
    assert books.balance(ledger.escrow(1)) == 0 and books.total() == 0
    earned = order.runner_share if event is Event.resolve_complete else 0
    assert books.balance(ledger.runner(RUNNER)) == earned + cost
    service_back = 0 if event is Event.resolve_complete else 650
    assert books.balance(ledger.customer(CUSTOMER)) == 10_000 - 5650 + service_back + 5000 - cost
    told = {n.to: n.args for n in t.notices}
    decided = "service" if cost else "service-none"  # the runner learns it was the service's word, not theirs
    assert (told["runner"]["spent"], told["runner"]["bought"]) == (cost, decided)
    assert (told["customer"]["spent"], told["customer"]["bought"]) == (cost, decided)
    if event is Event.operator_cancel:
        assert told["customer"]["refund"] == 5650 - cost
    elif event is Event.resolve_refund:
        assert told["customer"]["amount"] == 5650 - cost
    else:
        assert told["customer"]["change"] == 5000 - cost


def test_an_operator_gives_no_goods_cost_for_an_order_reported_before_pickup_nor_one_its_runner_said():
    picked, operator = picked_unsaid(), Actor(Role.operator, OPERATOR)
    # Reported before pickup: nothing was bought, so it ends as before, and a cost given is refused.
    reported = transition(CAMPUS, buy_order(status=Status.accepted, runner_id=RUNNER, accepted_at=T0), Event.report,
                          Actor(Role.customer, CUSTOMER), T0).after
    t = transition(CAMPUS, reported, Event.resolve_refund, operator, T0)
    assert t.after.goods_spent is None and paid_to_runner(t) == 0
    with pytest.raises(InvalidInput) as unasked:
        transition(CAMPUS, reported, Event.resolve_refund, operator, T0, goods_spent=100)
    assert unasked.value.key == "error-goods-not-bought"
    # Nor does an operator give the cost the runner said already, or of an errand without goods.
    told = transition(CAMPUS, picked, Event.goods_bought, Actor(Role.runner, RUNNER), T0, goods_spent=3000).after
    with pytest.raises(IllegalTransition) as again:
        transition(CAMPUS, told, Event.operator_cancel, operator, T0, goods_spent=100)
    assert again.value.key == "error-goods-told"
    with pytest.raises(IllegalTransition) as none:
        transition(CAMPUS, new_order(status=Status.picked_up, runner_id=RUNNER), Event.operator_cancel, operator, T0,
                   goods_spent=100)
    assert none.value.key == "error-goods-none"


def test_a_late_cancellation_fee_never_takes_the_goods_money():
    late = T0 + dt.timedelta(minutes=CAMPUS.cancellation.free_minutes_after_accept, seconds=1)
    # The coupon paid all but 0.10 yuan of the service: the student's fee is those 0.10, the coupon pays the rest of
    # the runner's, and the 50 yuan all go back.
    order = new_order(status=Status.accepted, runner_id=RUNNER, accepted_at=T0, discount=690, total=10 + 5000,
                      goods=5000)
    t = transition(CAMPUS, order, Event.cancel, Actor(Role.customer, CUSTOMER), late)
    assert paid_to_runner(t) == CAMPUS.cancellation.fee_after_accept
    [entries] = [{e.account: e.amount for e in p.entries} for p in t.postings]
    assert entries[ledger.MARKETING] == 690 - (CAMPUS.cancellation.fee_after_accept - 10)
    assert [(n.key, n.args) for n in t.notices if n.to == "customer"] == [
        ("notice-cancelled", {"refund": 5000, "refunded": "yes", "coupon": "part",
                              "coupon_fee": CAMPUS.cancellation.fee_after_accept - 10, "code": "FIFTY"})]


@pytest.mark.parametrize(("discount", "from_student"), [(700, 0), (650, 50), (100, 100)], ids=["free", "most", "some"])
def test_a_coupon_never_takes_the_runners_late_cancellation_fee(discount, from_student):
    """Coupons are marketing's, never the runner's: the runner of a late cancellation gets the rule's fee whatever
    the coupon. The student's payment bears it first; the marketing subsidy pays the rest out of its coupon."""
    late = T0 + dt.timedelta(minutes=CAMPUS.cancellation.free_minutes_after_accept, seconds=1)
    fee = CAMPUS.cancellation.fee_after_accept
    order = new_order(status=Status.accepted, runner_id=RUNNER, accepted_at=T0, discount=discount,
                      total=700 - discount)
    t = transition(CAMPUS, order, Event.cancel, Actor(Role.customer, CUSTOMER), late)
    [entries] = [{e.account: e.amount for e in p.entries} for p in t.postings]
    assert entries[ledger.runner(RUNNER)] == fee
    assert entries.get(ledger.customer(CUSTOMER), 0) == order.total - from_student
    assert entries.get(ledger.MARKETING, 0) == discount - (fee - from_student)
    assert runner_told(t) == [("notice-cancelled-runner-fee", {"fee": fee})]
    assert refund_on_cancel(CAMPUS, order, late) == order.total - from_student


def test_dropping_the_coupon_of_a_buy_task_keeps_its_goods_money():
    order = buy_order()
    t = transition(CAMPUS, order, Event.drop_coupon, Actor(Role.customer, CUSTOMER), T0)
    assert (t.after.discount, t.after.total) == (0, 700 + 5000)


def test_an_order_taken_back_from_its_runner_reopens_without_touching_their_credit():
    # A release costs the runner credit, a pickup timeout too; an operator taking it back (they were suspended) does
    # not: it was not their doing. The hall's notice names them, so an auto-dispatch offer skips them.
    accepted = new_order(status=Status.accepted, runner_id=RUNNER, accepted_at=T0,
                         pickup_by=T0 + dt.timedelta(minutes=30))
    t = transition(CAMPUS, accepted, Event.take_back, Actor(Role.operator, OPERATOR), T0)
    assert (t.after.status, t.after.runner_id, t.after.pickup_by) == (S.open, None, None)
    assert t.after.accept_by == T0 + dt.timedelta(minutes=CAMPUS.timeouts.accept_minutes)
    assert t.credit == () and t.postings == ()
    assert {(n.to, n.key, n.user_id) for n in t.notices} == {
        ("customer", "notice-taken-back", None), ("hall", "notice-hall-new", RUNNER),
        ("runner", "notice-taken-back-runner", RUNNER)}
    released = transition(CAMPUS, accepted, Event.release, Actor(Role.runner, RUNNER), T0)
    assert released.credit != ()


def test_an_errand_whose_window_is_over_is_neither_paid_for_nor_taken():
    # Before, a 10:05–10:12 errand placed at 10:00 could be paid at 10:14, and taken until 10:44.
    start, end = T0 + dt.timedelta(minutes=5), T0 + dt.timedelta(minutes=12)
    assert pay_deadline(T0, CAMPUS.timeouts.pay_minutes, end) == end
    assert pay_deadline(T0, CAMPUS.timeouts.pay_minutes, None) == T0 + dt.timedelta(minutes=CAMPUS.timeouts.pay_minutes)
    paid = transition(CAMPUS, new_order(window_start=start, window_end=end), Event.pay,
                      Actor(Role.customer, CUSTOMER), T0).after
    assert paid.accept_by == end
    accepted = transition(CAMPUS, paid, Event.accept, Actor(Role.runner, RUNNER), T0).after
    released = transition(CAMPUS, accepted, Event.release, Actor(Role.runner, RUNNER), end - dt.timedelta(minutes=1))
    assert (released.after.status, released.after.accept_by) == (S.open, end)  # for another runner, until its end
    # Given back at its end, nobody may take it: it ends, refunded, at the cost of a release (before, it went back
    # to the hall, and a pickup timeout after a restart let another runner take it for a time that had passed).
    ended = transition(CAMPUS, accepted, Event.release, Actor(Role.runner, RUNNER), end)
    assert (ended.after.status, ended.after.runner_id, ended.after.accept_by) == (S.expired, None, None)
    assert ended.credit == ((RUNNER, CreditEvent.released),)
    assert [p.key for p in ended.postings] == [f"order:{paid.id}:refund"]  # all of it back
    assert {(n.to, n.key) for n in ended.notices} == {("customer", "notice-window-over"), ("hall", "notice-hall-gone")}


def test_an_order_reported_before_pickup_may_go_back_to_the_hall_at_the_cost_of_a_release():
    accepted = new_order(status=Status.accepted, runner_id=RUNNER, accepted_at=T0)
    reported = transition(CAMPUS, accepted, Event.report, Actor(Role.runner, RUNNER), T0).after
    t = transition(CAMPUS, reported, Event.resolve_reopen, Actor(Role.operator, OPERATOR), T0, note="changed mind")
    assert (t.after.status, t.after.runner_id, t.postings) == (S.open, None, ())
    assert t.credit == ((RUNNER, CreditEvent.released),)  # reporting it is no free way out of a release
    assert {(n.to, n.key) for n in t.notices} == {
        ("customer", "notice-reopened"), ("hall", "notice-hall-new"), ("runner", "notice-reopened-runner")}
    picked = transition(CAMPUS, accepted, Event.pickup, Actor(Role.runner, RUNNER), T0).after
    reported_late = transition(CAMPUS, picked, Event.report, Actor(Role.runner, RUNNER), T0).after
    with pytest.raises(IllegalTransition) as refused:
        transition(CAMPUS, reported_late, Event.resolve_reopen, Actor(Role.operator, OPERATOR), T0)
    assert refused.value.key == "error-reopen-picked-up"
    assert Event.resolve_reopen not in allowed_events(reported_late, Actor(Role.operator, OPERATOR))


def test_a_late_delivery_reported_then_completed_by_an_operator_still_costs_the_late_penalty():
    # Before: the student's complaint about the lateness left the late runner better off than a confirmation.
    delivered = new_order(status=Status.delivered, runner_id=RUNNER, accepted_at=T0, delivered_late=True,
                          picked_up_at=T0)
    reported = transition(CAMPUS, delivered, Event.report, Actor(Role.customer, CUSTOMER), T0).after
    t = transition(CAMPUS, reported, Event.resolve_complete, Actor(Role.operator, OPERATOR), T0)
    assert t.credit == ((RUNNER, CreditEvent.completed), (RUNNER, CreditEvent.late_delivery))
    on_time = transition(CAMPUS, dataclasses.replace(reported, delivered_late=False), Event.resolve_complete,
                         Actor(Role.operator, OPERATOR), T0)
    assert on_time.credit == ((RUNNER, CreditEvent.completed),)
