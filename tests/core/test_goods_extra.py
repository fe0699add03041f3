"""A buy task's goods cost more than its goods money: the runner asks the student for the difference (补差价)."""
import datetime as dt
from pathlib import Path

import pytest

from bot.campus_file import load_campus
from core import ledger
from core.errors import IllegalTransition, InvalidInput, LedgerError, NotAllowed
from core.order import Actor, Event, Order, Role, Status, transition

CAMPUS = load_campus(Path(__file__).resolve().parents[2] / "campus" / "demo.yaml")
T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)
STUDENT, RUNNER = 1, 2
SEED = 10_000
CUSTOMER, RUNS, SYSTEM = Actor(Role.customer, STUDENT), Actor(Role.runner, RUNNER), Actor.system()


def picked_up() -> tuple[Order, ledger.Ledger]:
    """A buy task with 20 yuan of goods money on a 6 yuan fee, paid from a 100 yuan wallet, picked up."""
    order = Order(id=7, campus_id="demo", customer_id=STUDENT, status=Status.awaiting_payment, created_at=T0,
                  service_fee=600, tip=0, discount=0, total=2600, commission=90, runner_share=510, goods=2000)
    books = ledger.Ledger()
    books.post(ledger.top_up(STUDENT, SEED, "cash", "seed"))
    for event, actor in ((Event.pay, CUSTOMER), (Event.accept, RUNS), (Event.pickup, RUNS)):
        order = run(order, books, event, actor)
    return order, books


def run(order: Order, books: ledger.Ledger, event: Event, actor: Actor, **kw) -> Order:
    t = transition(CAMPUS, order, event, actor, T0, **kw)
    for posting in t.postings:
        books.post(posting)
    assert books.total() == 0
    return t.after


def test_a_difference_paid_joins_the_goods_money_and_the_runner_is_paid_back_all_they_spent():
    order, books = picked_up()
    t = transition(CAMPUS, order, Event.extra_asked, RUNS, T0, goods_spent=2350)
    assert t.after.goods_extra == 350 and t.after.goods_spent is None and t.after.status is Status.picked_up
    assert [(n.to, n.key, n.args) for n in t.notices] == [
        ("customer", "notice-extra-asked", {"spent": 2350, "goods": 2000, "extra": 350})]
    asked = t.after
    with pytest.raises(InvalidInput) as refused:  # the goods' cost must be said (here: paid) before the delivery
        transition(CAMPUS, asked, Event.deliver, RUNS, T0)
    assert refused.value.key == "error-goods-spent-needed"

    paid = transition(CAMPUS, asked, Event.extra_paid, CUSTOMER, T0)
    assert (paid.after.goods, paid.after.total, paid.after.goods_spent, paid.after.goods_extra) == (2350, 2950, 2350, 0)
    assert [p.key for p in paid.postings] == ["order:7:goods-extra"]
    assert [(n.to, n.key, n.args.get("how")) for n in paid.notices] == [
        ("runner", "notice-extra-paid", None), ("customer", "notice-extra-ended", "paid")]
    order = run(asked, books, Event.extra_paid, CUSTOMER)
    order = run(order, books, Event.deliver, RUNS)
    order = run(order, books, Event.confirm, CUSTOMER)
    assert books.balance(ledger.customer(STUDENT)) == SEED - 2950
    assert books.balance(ledger.runner(RUNNER)) == 510 + 2350
    assert books.balance(ledger.escrow(7)) == 0 and books.balance(ledger.PLATFORM_REVENUE) == 90


def test_a_refund_after_the_difference_gives_back_all_but_the_goods_bought():
    order, books = picked_up()
    order = run(order, books, Event.extra_asked, RUNS, goods_spent=2350)
    order = run(order, books, Event.extra_paid, SYSTEM)  # a provider's payment
    order = run(order, books, Event.report, CUSTOMER)
    run(order, books, Event.resolve_refund, Actor(Role.operator, 9))
    assert books.balance(ledger.customer(STUDENT)) == SEED - 2350
    assert books.balance(ledger.runner(RUNNER)) == 2350 and books.balance(ledger.escrow(7)) == 0


@pytest.mark.parametrize("event, actor, how, runner_told", [
    (Event.extra_refused, CUSTOMER, "refused", "notice-extra-refused"),
    (Event.goods_bought, RUNS, "withdrawn", None),  # bought only what the goods money pays for
    (Event.report, CUSTOMER, "ended", None),
    (Event.operator_cancel, Actor(Role.operator, 9), "ended", "notice-cancelled-by-service-runner"),
])
def test_a_difference_not_paid_ends_and_the_student_is_told_how(event, actor, how, runner_told):
    order, books = picked_up()
    asked = run(order, books, Event.extra_asked, RUNS, goods_spent=2350)
    t = transition(CAMPUS, asked, event, actor, T0, goods_spent=1800 if event is not Event.report else None)
    assert t.after.goods_extra == 0
    assert ("customer", "notice-extra-ended", how) in [(n.to, n.key, n.args.get("how")) for n in t.notices]
    assert runner_told is None or runner_told in [n.key for n in t.notices if n.to == "runner"]
    assert not any(p.key.endswith(ledger.EXTRA_SUFFIX) for p in t.postings)  # the difference was never paid
    with pytest.raises(IllegalTransition):  # nothing is asked any more
        transition(CAMPUS, t.after, Event.extra_paid, CUSTOMER, T0)


def test_a_new_figure_replaces_the_one_asked_and_the_same_one_is_refused():
    order, books = picked_up()
    asked = run(order, books, Event.extra_asked, RUNS, goods_spent=2350)
    t = transition(CAMPUS, asked, Event.extra_asked, RUNS, T0, goods_spent=2200)
    assert t.after.goods_extra == 200
    assert [(n.key, n.args.get("extra"), n.args.get("how")) for n in t.notices] == [
        ("notice-extra-asked", 200, None), ("notice-extra-ended", 350, "changed")]
    with pytest.raises(IllegalTransition) as same:
        transition(CAMPUS, asked, Event.extra_asked, RUNS, T0, goods_spent=2350)
    assert same.value.key == "error-extra-same"


@pytest.mark.parametrize("how", [Event.extra_paid, Event.extra_refused, Event.goods_bought])
def test_the_delivery_deadline_stands_still_while_asked_and_a_late_runner_stays_late(how):
    order, books = picked_up()  # deliver_by: T0 + the campus's delivery minutes
    due, minutes = order.deliver_by, dt.timedelta(minutes=1)
    late = T0 + CAMPUS.timeouts.deliver_minutes * minutes + 10 * minutes  # already 10 minutes late when asking
    asked = transition(CAMPUS, order, Event.extra_asked, RUNS, late, goods_spent=2001).after
    again = transition(CAMPUS, asked, Event.extra_asked, RUNS, late + 5 * minutes, goods_spent=2002).after
    assert (again.deliver_by, again.extra_asked_at) == (due, late)  # a new figure: still standing since the first
    actor, spent = (RUNS, 2000) if how is Event.goods_bought else (CUSTOMER, None)
    answered = transition(CAMPUS, again, how, actor, late + 30 * minutes, goods_spent=spent).after
    assert (answered.deliver_by, answered.extra_asked_at) == (due + 30 * minutes, None)
    if how is not Event.extra_refused:  # refused: the cost is still to be said
        delivered = transition(CAMPUS, answered, Event.deliver, RUNS, late + 30 * minutes).after
        assert delivered.delivered_late  # the 10 minutes it was late before asking still count


@pytest.mark.parametrize("spent", [2000, 1500, 0, None])
def test_no_difference_is_asked_within_the_goods_money(spent):
    order, _ = picked_up()
    with pytest.raises(InvalidInput) as refused:
        transition(CAMPUS, order, Event.extra_asked, RUNS, T0, goods_spent=spent)
    assert refused.value.key == ("error-goods-spent-needed" if spent is None else "error-extra-within")


def test_only_its_student_pays_or_refuses_and_only_its_runner_asks():
    order, books = picked_up()
    with pytest.raises(NotAllowed):
        transition(CAMPUS, order, Event.extra_asked, Actor(Role.runner, 3), T0, goods_spent=2350)
    asked = run(order, books, Event.extra_asked, RUNS, goods_spent=2350)
    for event in (Event.extra_paid, Event.extra_refused):
        with pytest.raises(NotAllowed):
            transition(CAMPUS, asked, event, Actor(Role.customer, 77), T0)
        with pytest.raises(NotAllowed):
            transition(CAMPUS, asked, event, RUNS, T0)
    with pytest.raises(NotAllowed):  # a refusal is the student's own word, never a timer's or a provider's
        transition(CAMPUS, asked, Event.extra_refused, SYSTEM, T0)


def test_no_difference_once_the_cost_is_said_or_on_an_order_without_goods_money():
    order, books = picked_up()
    bought = run(order, books, Event.goods_bought, RUNS, goods_spent=2000)
    with pytest.raises(IllegalTransition) as told:
        transition(CAMPUS, bought, Event.extra_asked, RUNS, T0, goods_spent=2350)
    assert told.value.key == "error-goods-told"
    with pytest.raises(IllegalTransition) as none:
        transition(CAMPUS, bought.__class__(**{**bought.__dict__, "goods": 0, "goods_spent": None}),
                   Event.extra_asked, RUNS, T0, goods_spent=2350)
    assert none.value.key == "error-goods-none"


def test_the_difference_posting_moves_wallet_money_into_escrow():
    p = ledger.pay_goods_extra(7, 1, 350)
    assert p.key == "order:7:goods-extra"
    assert {e.account: e.amount for e in p.entries} == {"customer:1": -350, "escrow:7": 350}
    with pytest.raises(LedgerError):
        ledger.pay_goods_extra(7, 1, 0)
