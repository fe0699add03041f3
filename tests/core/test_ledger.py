"""Ledger rules: money is never created or lost, never counted twice, and protected wallets never go negative."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.campus_file import load_campus
from core import ledger as L
from core.errors import InsufficientFunds, LedgerError
from core.ledger import Entry, Ledger, Posting
from core.money import share, yuan_to_fen

CAMPUS = load_campus(Path(__file__).resolve().parents[2] / "campus" / "demo.yaml")


def assert_sound(ledger: Ledger) -> None:
    assert ledger.total() == 0
    assert sum(ledger.balances().values()) == 0
    for account, amount in ledger.balances().items():
        if L.no_overdraft(account):
            assert amount >= 0, (account, amount)


# ------------------------------------------------------------------------------------------------ random histories

ids = st.integers(min_value=1, max_value=3)  # few ids: keys repeat, orders get paid then completed, etc.
providers = st.sampled_from(["telegram", "wechat", "cash"])
# Round amounts recur so that later postings often fit earlier ones (a completion within a paid escrow, a withdrawal
# within earnings); arbitrary amounts make the rest overdraw or conflict.
fen = st.one_of(st.sampled_from([100, 200, 500]), st.integers(min_value=1, max_value=3_000))
fen0 = st.one_of(st.sampled_from([0, 100, 200, 500]), st.integers(min_value=0, max_value=3_000))


@st.composite
def paid_and_subsidy(draw: st.DrawFn) -> tuple[int, int]:
    paid = draw(fen0)
    subsidy = draw(st.sampled_from([0, 100, 200]) | st.integers(min_value=0, max_value=800))
    if paid + subsidy == 0:
        subsidy = 100
    return paid, subsidy


@st.composite
def cancel_fee(draw: st.DrawFn) -> Posting:
    paid, subsidy = draw(paid_and_subsidy())
    fee = draw(st.integers(min_value=1, max_value=paid + subsidy))
    return L.cancellation_fee(draw(ids), draw(ids), draw(ids), paid, subsidy, fee)


@st.composite
def completion(draw: st.DrawFn) -> Posting:
    share_, commission = draw(st.tuples(fen0, fen0).filter(lambda t: sum(t) > 0))
    return L.complete_order(draw(ids), draw(ids), share_, commission)


postings = st.one_of(
    st.builds(L.top_up, ids, st.integers(min_value=1, max_value=10_000), providers, st.sampled_from(["a", "b", "c"])),
    paid_and_subsidy().flatmap(lambda ps: st.builds(L.pay_order, ids, ids, st.just(ps[0]), st.just(ps[1]))),
    completion(),
    paid_and_subsidy().flatmap(
        lambda ps: st.builds(L.refund_order, ids, ids, st.just(ps[0]), st.just(ps[1]), st.sampled_from(["expired"]))
    ),
    cancel_fee(),
    st.builds(L.compensation, ids, ids, fen),
    st.builds(L.request_withdrawal, ids, ids, fen),
    st.builds(L.approve_withdrawal, ids, fen, providers),
    st.builds(L.reject_withdrawal, ids, ids, fen),
)


@st.composite
def flow(draw: st.DrawFn) -> list[Posting]:
    """One coherent story (top up, pay, complete / refund / cancel, withdraw), possibly cut short.

    Ids come from a small range, so stories collide with each other: shared wallets, reused keys, empty escrows.
    """
    student, runner_, order, wd = draw(ids), draw(ids), draw(ids), draw(ids)
    provider = draw(providers)
    paid, subsidy = draw(paid_and_subsidy())
    topped = paid + draw(st.integers(min_value=-50, max_value=500))  # sometimes a little short
    steps: list[Posting] = []
    if topped > 0:
        steps.append(L.top_up(student, topped, provider, draw(st.sampled_from(["a", "b", "c"]))))
    steps.append(L.pay_order(order, student, paid, subsidy))
    end = draw(st.sampled_from(["complete", "refund", "cancel"]))
    earned = 0
    if end == "complete":
        commission = share(paid + subsidy, draw(st.integers(min_value=0, max_value=10_000)))
        earned = paid + subsidy - commission
        if earned == 0:
            commission -= 1
            earned = 1
        steps.append(L.complete_order(order, runner_, earned, commission))
    elif end == "refund":
        steps.append(L.refund_order(order, student, paid, subsidy, "expired"))
    else:
        earned = draw(st.integers(min_value=1, max_value=paid + subsidy))
        steps.append(L.cancellation_fee(order, student, runner_, paid, subsidy, earned))
    if earned:
        amount = draw(st.integers(min_value=1, max_value=earned + 50))
        steps.append(L.request_withdrawal(wd, runner_, amount))
        if draw(st.booleans()):
            steps.append(L.approve_withdrawal(wd, amount, provider))
        else:
            steps.append(L.reject_withdrawal(wd, runner_, amount))
    return steps[: draw(st.integers(min_value=1, max_value=len(steps)))]


@st.composite
def histories(draw: st.DrawFn) -> list[Posting]:
    """Several stories interleaved, with unrelated postings and replays of earlier postings mixed in."""
    flows = draw(st.lists(flow(), max_size=6))
    history: list[Posting] = []
    while any(flows):
        move = draw(st.sampled_from(["flow", "flow", "flow", "noise", "replay"]))
        if move == "noise":
            history.append(draw(postings))
        elif move == "replay" and history:
            history.append(draw(st.sampled_from(history)))
        else:
            live = [f for f in flows if f]
            history.append(draw(st.sampled_from(live)).pop(0))
    return history


@settings(max_examples=300, deadline=None)
@given(histories())
def test_any_history_keeps_the_books_balanced(history: list[Posting]) -> None:
    ledger = Ledger()
    accepted: dict[str, Posting] = {}
    for p in history:
        before = ledger.balances()
        if p.key in accepted:
            if L.same_entries(accepted[p.key], p):
                assert ledger.post(p) is False  # a replay posts nothing
            else:
                with pytest.raises(LedgerError) as exc:
                    ledger.post(p)
                assert type(exc.value) is LedgerError  # a key conflict, not a lack of funds
            assert ledger.balances() == before
        else:
            would_overdraw = any(
                L.no_overdraft(e.account) and before.get(e.account, 0) + e.amount < 0 for e in p.entries
            )
            if would_overdraw:
                with pytest.raises(InsufficientFunds):
                    ledger.post(p)
                assert ledger.balances() == before
                assert ledger.posting(p.key) is None
            else:
                assert ledger.post(p) is True
                accepted[p.key] = p
                expected = dict(before)
                for e in p.entries:
                    expected[e.account] = expected.get(e.account, 0) + e.amount
                assert ledger.balances() == {a: x for a, x in expected.items() if x != 0}
        assert_sound(ledger)

    # Replaying every accepted posting (a restart re-sending every callback) changes nothing.
    final = ledger.balances()
    for p in accepted.values():
        assert ledger.post(p) is False
    assert ledger.balances() == final
    assert [p.key for p in ledger.postings()] == list(accepted)


@given(histories())
def test_replaying_accepted_postings_changes_nothing(history: list[Posting]) -> None:
    ledger = Ledger()
    for p in history:
        try:
            ledger.post(p)
        except LedgerError:
            pass
    final = ledger.balances()
    for p in ledger.postings():
        assert ledger.post(p) is False
        # the same key and entries in another order with another memo is still the same posting
        assert ledger.post(Posting(p.key, tuple(reversed(p.entries)), memo="retry")) is False
    assert ledger.balances() == final


# ------------------------------------------------------------------------------------------------ stories

STUDENT, RUNNER, ORDER = 7, 9, 12


def paid_order() -> tuple[Ledger, int, int, int]:
    """A student tops up 20.00 and pays an 8.00 order with a 3.00 coupon."""
    price, coupon = yuan_to_fen("8.00"), yuan_to_fen("3.00")
    ledger = Ledger()
    assert ledger.post(L.top_up(STUDENT, yuan_to_fen("20.00"), "telegram", "ch_1"))
    assert ledger.post(L.pay_order(ORDER, STUDENT, price - coupon, coupon))
    assert ledger.balance(L.customer(STUDENT)) == 2000 - 500
    assert ledger.balance(L.escrow(ORDER)) == price
    assert ledger.balance(L.MARKETING) == -coupon
    assert_sound(ledger)
    return ledger, price, coupon, price - coupon


def test_completion_pays_runner_and_platform_and_the_coupon_is_a_marketing_cost() -> None:
    ledger, price, coupon, paid = paid_order()
    commission = share(price, CAMPUS.commission)
    assert 0 < commission < price
    assert ledger.post(L.complete_order(ORDER, RUNNER, price - commission, commission))
    assert ledger.balance(L.runner(RUNNER)) == price - commission  # the coupon does not come out of the runner
    assert ledger.balance(L.PLATFORM_REVENUE) == commission
    assert ledger.balance(L.MARKETING) == -coupon
    assert ledger.balance(L.escrow(ORDER)) == 0
    assert ledger.balance(L.customer(STUDENT)) == 2000 - paid
    assert ledger.balance(L.external("telegram")) == -2000
    assert_sound(ledger)
    # an auto-confirm job that retries, or a confirm racing the job, pays nothing twice
    assert ledger.post(L.complete_order(ORDER, RUNNER, price - commission, commission)) is False
    assert ledger.balance(L.runner(RUNNER)) == price - commission
    # a refund after completion finds the escrow empty
    with pytest.raises(InsufficientFunds):
        ledger.post(L.refund_order(ORDER, STUDENT, paid, coupon, "too late"))
    assert ledger.balance(L.customer(STUDENT)) == 2000 - paid


def test_refund_returns_money_to_the_student_and_the_coupon_to_marketing() -> None:
    ledger, price, coupon, paid = paid_order()
    assert ledger.post(L.refund_order(ORDER, STUDENT, paid, coupon, "no runner accepted"))
    assert ledger.balance(L.customer(STUDENT)) == 2000
    assert ledger.balance(L.MARKETING) == 0
    assert ledger.balance(L.escrow(ORDER)) == 0
    assert ledger.posting("order:12:refund").memo.endswith("no runner accepted")
    assert_sound(ledger)
    # the runner cannot be paid from an order that was refunded
    with pytest.raises(InsufficientFunds):
        ledger.post(L.complete_order(ORDER, RUNNER, price - 100, 100))
    assert ledger.balance(L.runner(RUNNER)) == 0


def test_cancellation_fee_goes_to_the_runner_and_the_rest_is_refunded() -> None:
    ledger, price, coupon, paid = paid_order()
    fee = 200  # less than what the student paid: the student bears it, marketing gets its whole coupon back
    assert ledger.post(L.cancellation_fee(ORDER, STUDENT, RUNNER, paid, coupon, fee))
    assert ledger.balance(L.runner(RUNNER)) == fee
    assert ledger.balance(L.customer(STUDENT)) == 2000 - fee
    assert ledger.balance(L.MARKETING) == 0
    assert ledger.balance(L.escrow(ORDER)) == 0
    assert_sound(ledger)


def test_cancellation_fee_above_what_the_student_paid_comes_out_of_the_coupon() -> None:
    ledger = Ledger()
    ledger.post(L.top_up(STUDENT, 2000, "wechat", "w1"))
    ledger.post(L.pay_order(ORDER, STUDENT, 100, 700))
    ledger.post(L.cancellation_fee(ORDER, STUDENT, RUNNER, 100, 700, 300))
    assert ledger.balance(L.runner(RUNNER)) == 300
    assert ledger.balance(L.customer(STUDENT)) == 1900  # nothing of the 1.00 paid comes back
    assert ledger.balance(L.MARKETING) == -200  # 5.00 of the 7.00 coupon came back
    assert ledger.balance(L.escrow(ORDER)) == 0
    assert_sound(ledger)


def test_cancellation_fee_larger_than_the_order_is_refused() -> None:
    with pytest.raises(LedgerError):
        L.cancellation_fee(ORDER, STUDENT, RUNNER, 500, 300, 801)


def test_withdrawal_request_then_approve_or_reject() -> None:
    ledger, price, coupon, paid = paid_order()
    commission = share(price, CAMPUS.commission)
    earned = price - commission
    ledger.post(L.complete_order(ORDER, RUNNER, earned, commission))

    assert ledger.post(L.request_withdrawal(1, RUNNER, 500))
    assert ledger.balance(L.runner(RUNNER)) == earned - 500
    assert ledger.balance(L.withdrawal_hold(1)) == 500
    assert ledger.post(L.approve_withdrawal(1, 500, "wechat"))
    assert ledger.balance(L.withdrawal_hold(1)) == 0
    assert ledger.balance(L.payout("wechat")) == 500
    # an approved withdrawal cannot also be rejected: the hold is empty
    with pytest.raises(InsufficientFunds):
        ledger.post(L.reject_withdrawal(1, RUNNER, 500))

    rest = earned - 500
    assert ledger.post(L.request_withdrawal(2, RUNNER, rest))
    assert ledger.balance(L.runner(RUNNER)) == 0
    assert ledger.post(L.reject_withdrawal(2, RUNNER, rest))
    assert ledger.balance(L.runner(RUNNER)) == rest
    assert ledger.balance(L.withdrawal_hold(2)) == 0
    with pytest.raises(InsufficientFunds):
        ledger.post(L.approve_withdrawal(2, rest, "wechat"))
    # a runner cannot withdraw more than they earned
    before = ledger.balances()
    with pytest.raises(InsufficientFunds):
        ledger.post(L.request_withdrawal(3, RUNNER, rest + 1))
    assert ledger.balances() == before
    assert_sound(ledger)


def test_compensation_is_paid_by_the_platform() -> None:
    ledger = Ledger()
    assert ledger.post(L.compensation(5, STUDENT, 300))
    assert ledger.balance(L.customer(STUDENT)) == 300
    assert ledger.balance(L.PLATFORM_REVENUE) == -300
    assert ledger.post(L.compensation(5, STUDENT, 300)) is False


def test_a_runner_is_compensated_once_per_order_into_their_earnings() -> None:
    ledger = Ledger()
    assert ledger.post(L.runner_compensation(5, RUNNER, 800))
    assert ledger.post(L.runner_compensation(5, RUNNER, 800)) is False  # the same case again pays nothing
    assert ledger.post(L.runner_compensation(5, RUNNER + 1, 200))  # the order's other runner has a case of their own
    assert ledger.post(L.compensation(5, STUDENT, 300))  # and so has its student
    assert ledger.balance(L.runner(RUNNER)) == 800 and ledger.balance(L.runner(RUNNER + 1)) == 200
    assert ledger.balance(L.PLATFORM_REVENUE) == -1300
    ledger.post(L.request_withdrawal(1, RUNNER, 800))  # it is the runner's to withdraw
    assert_sound(ledger)


def test_a_replayed_payment_callback_credits_once() -> None:
    ledger = Ledger()
    assert ledger.post(L.top_up(STUDENT, 2000, "telegram", "tg_charge_abc")) is True
    assert ledger.post(L.top_up(STUDENT, 2000, "telegram", "tg_charge_abc")) is False
    assert ledger.balance(L.customer(STUDENT)) == 2000
    # the same charge id at another provider is another charge
    assert ledger.post(L.top_up(STUDENT, 2000, "wechat", "tg_charge_abc")) is True
    assert ledger.balance(L.customer(STUDENT)) == 4000


def test_same_key_with_other_entries_is_refused_and_changes_nothing() -> None:
    ledger = Ledger()
    ledger.post(L.top_up(STUDENT, 2000, "telegram", "c1"))
    before = ledger.balances()
    with pytest.raises(LedgerError):
        ledger.post(L.top_up(STUDENT, 2500, "telegram", "c1"))
    with pytest.raises(LedgerError):
        ledger.post(L.top_up(STUDENT + 1, 2000, "telegram", "c1"))
    assert ledger.balances() == before


def test_overdraft_is_refused_and_leaves_every_balance_unchanged() -> None:
    ledger = Ledger()
    ledger.post(L.top_up(STUDENT, 300, "cash", "desk-1"))
    before = ledger.balances()
    with pytest.raises(InsufficientFunds) as exc:
        ledger.post(L.pay_order(ORDER, STUDENT, 500, 200))
    assert exc.value.args_["account"] == L.customer(STUDENT)
    assert exc.value.args_["balance"] == 300
    assert ledger.balances() == before
    assert ledger.balance(L.MARKETING) == 0 and ledger.balance(L.escrow(ORDER)) == 0
    # the refused key is not burnt: after a top-up the same payment goes through
    ledger.post(L.top_up(STUDENT, 200, "cash", "desk-2"))
    assert ledger.post(L.pay_order(ORDER, STUDENT, 500, 200)) is True
    assert ledger.balance(L.customer(STUDENT)) == 0


def test_accounts_that_may_go_negative() -> None:
    ledger = Ledger()
    ledger.post(L.compensation(1, STUDENT, 100))
    ledger.post(L.pay_order(ORDER, STUDENT, 0, 800))  # a coupon covering the whole price
    assert ledger.balance(L.PLATFORM_REVENUE) == -100
    assert ledger.balance(L.MARKETING) == -800
    assert not L.no_overdraft(L.external("telegram")) and not L.no_overdraft(L.payout("cash"))
    assert all(
        L.no_overdraft(a) for a in (L.customer(1), L.runner(1), L.escrow(1), L.withdrawal_hold(1))
    )


# ------------------------------------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    "key, entries",
    [
        ("", (Entry("customer:1", 5), Entry("platform:revenue", -5))),
        ("k", (Entry("customer:1", 0), Entry("platform:revenue", 0))),
        ("k", (Entry("customer:1", 5),)),
        ("k", (Entry("customer:1", 5), Entry("platform:revenue", -4))),
        ("k", (Entry("customer:1", 5.0), Entry("platform:revenue", -5))),
        ("k", (Entry("customer:1", True), Entry("platform:revenue", -1))),
        ("k", (Entry("customer:1", 5), Entry("customer:1", -5))),
        ("k", (Entry("cutsomer:1", 5), Entry("platform:revenue", -5))),
        ("k", (Entry("customer:", 5), Entry("platform:revenue", -5))),
    ],
    ids=["no key", "zero", "one entry", "unbalanced", "float", "bool", "same account twice", "typo", "no id"],
)
def test_invalid_postings_cannot_be_built(key: str, entries: tuple[Entry, ...]) -> None:
    with pytest.raises(LedgerError):
        Posting(key, entries)


@pytest.mark.parametrize(
    "build",
    [
        lambda: L.top_up(1, 0, "telegram", "c"),
        lambda: L.top_up(1, -5, "telegram", "c"),
        lambda: L.top_up(1, 1.5, "telegram", "c"),
        lambda: L.top_up(1, 100, "tele:gram", "c"),
        lambda: L.top_up(1, 100, "telegram", ""),
        lambda: L.pay_order(1, 1, 0, 0),
        lambda: L.pay_order(1, 1, 500, -100),
        lambda: L.complete_order(1, 1, 0, 0),
        lambda: L.refund_order(1, 1, -1, 10, "x"),
        lambda: L.cancellation_fee(1, 1, 1, 500, 0, 0),
        lambda: L.request_withdrawal(1, 1, 0),
        lambda: L.settle_goods(1, 1, 2, 0, 0),
        lambda: L.settle_goods(1, 1, 2, 500, 501),
        lambda: L.settle_goods(1, 1, 2, 500, -1),
        lambda: L.customer(True),
    ],
)
def test_builders_refuse_nonsense_amounts(build) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LedgerError):
        build()


def test_builders_skip_zero_entries_and_use_stable_keys() -> None:
    p = L.pay_order(12, 7, 800, 0)
    assert p.key == "order:12:pay"
    assert {e.account for e in p.entries} == {"customer:7", "escrow:12"}
    c = L.complete_order(12, 9, 800, 0)
    assert c.key == "order:12:complete"
    assert {e.account for e in c.entries} == {"escrow:12", "runner:9"}
    assert L.top_up(7, 100, "telegram", "abc").key == "charge:telegram:abc"
    assert L.cancellation_fee(12, 7, 9, 500, 0, 500).key == "order:12:cancel-fee"
    assert L.refund_order(12, 7, 500, 0, "x").key == "order:12:refund"
    assert L.compensation(3, 7, 100).key == "compensation:3"
    assert L.runner_compensation(3, 9, 100).key == "compensation:3:runner:9"
    assert L.request_withdrawal(4, 9, 100).key == "withdrawal:4:request"
    assert L.approve_withdrawal(4, 100, "cash").key == "withdrawal:4:approve"
    assert L.reject_withdrawal(4, 9, 100).key == "withdrawal:4:reject"
    goods = L.settle_goods(12, 7, 9, 500, 500)  # all spent: nothing goes back to the student
    assert goods.key == "order:12:goods" and {e.account for e in goods.entries} == {"escrow:12", "runner:9"}
    assert {e.account: e.amount for e in L.settle_goods(12, 7, 9, 500, 0).entries} == {"escrow:12": -500,
                                                                                         "customer:7": 500}


def test_a_buy_tasks_goods_money_pays_the_runner_back_and_the_student_the_rest() -> None:
    books = Ledger()
    books.post(L.top_up(7, 6000, "cash", "seed"))
    books.post(L.pay_order(12, 7, 5600, 0))  # 6 yuan service, 50 yuan goods money
    books.post(L.complete_order(12, 9, 510, 90))
    books.post(L.settle_goods(12, 7, 9, 5000, 3250))
    assert books.balance("escrow:12") == 0 and books.total() == 0
    assert books.balance("runner:9") == 510 + 3250 and books.balance("customer:7") == 400 + 1750


@pytest.mark.parametrize(("fee", "back"), [(0, True), (500, True), (1000, True), (1001, False), (1300, False)])
def test_a_cancellation_gives_the_coupon_back_only_if_marketing_gets_all_of_it_back(fee, back):
    """Paid 10.00 + a 3.00 coupon: a fee the payment covers costs the coupon nothing; a larger one spends part of it.
    A full refund always gives it back; paying or completing never does."""
    posting = (L.refund_order(7, 1, 1000, 300, "cancel") if fee == 0
               else L.cancellation_fee(7, 1, 2, 1000, 300, fee))
    assert L.gives_subsidy_back(posting, 7, 300) is back
    assert not L.gives_subsidy_back(posting, 8, 300)  # another order's
    assert not L.gives_subsidy_back(L.pay_order(7, 1, 1000, 300), 7, 300)
    assert not L.gives_subsidy_back(L.complete_order(7, 2, 1100, 200), 7, 300)


def test_a_cancellation_fee_is_never_taken_from_the_goods_money_but_from_the_coupon() -> None:
    """Paid 0.50 for the service and 50 yuan of goods money, with a 6.50 coupon: a 1.00 fee takes the 0.50 and 0.50
    of the coupon; the goods money all goes back."""
    books = Ledger()
    books.post(L.top_up(STUDENT, 5050, "wechat", "w1"))
    books.post(L.pay_order(ORDER, STUDENT, 5050, 650))
    books.post(L.cancellation_fee(ORDER, STUDENT, RUNNER, 5050, 650, 100, goods=5000))
    assert books.balance(L.runner(RUNNER)) == 100
    assert books.balance(L.customer(STUDENT)) == 5000
    assert books.balance(L.MARKETING) == -50
    assert books.balance(L.escrow(ORDER)) == 0 and books.total() == 0
    with pytest.raises(LedgerError):  # more than the service's escrow: the goods money is not the runner's
        L.cancellation_fee(ORDER, STUDENT, RUNNER, 5050, 650, 701, goods=5000)
