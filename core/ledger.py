"""Double-entry ledger rules: accounts, postings, and a builder for every money movement of the business.

Pure: no I/O, no clock. Every amount is integer fen. A posting moves money between accounts and sums to zero, so the
sum of all balances is always zero. Each posting carries an idempotency key: posting the same key again with the same
entries changes nothing (a replayed payment callback, a retried job), the same key with other entries is an error.

`Ledger` is the in-memory reference implementation; the database ledger in storage/ must behave exactly like it. The
two helpers it is built from, `same_entries` and `apply_posting`, are public so storage can reuse them.

Sign convention: a positive entry means the account holds more afterwards. `external:*` goes negative as money comes
in from a provider, `payout:*` goes positive as money leaves to runners, `platform:marketing` goes negative as coupons
are paid. Only customer, runner, escrow and withdrawal accounts are protected against overdraft.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from core.errors import InsufficientFunds, LedgerError
from core.money import Fen

# ---------------------------------------------------------------------------------------------------------- accounts

PLATFORM_REVENUE = "platform:revenue"
MARKETING = "platform:marketing"  # pays coupons; a cost account, may go negative
EXTRA_SUFFIX = ":goods-extra"  # the key's end of a goods difference the customer paid (pay_goods_extra)
GOODS_SUFFIX = ":goods"  # the key's end of a goods settlement (settle_goods): money paid back, not earned
GOODS_KEYS = f"order:%{GOODS_SUFFIX}"  # those keys, as a SQL LIKE pattern

_NO_OVERDRAFT_KINDS = ("customer", "runner", "escrow", "withdrawal")
ACCOUNT_KINDS = (*_NO_OVERDRAFT_KINDS, "platform", "external", "payout")
_PROVIDER = re.compile(r"^[a-z0-9_]+$")


def _id(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LedgerError(reason=f"{name} must be an integer, got {value!r}")
    return value


def _provider(value: object) -> str:
    if not isinstance(value, str) or not _PROVIDER.match(value):
        raise LedgerError(reason=f"provider must be lower-case letters, digits or _, got {value!r}")
    return value


def customer(user_id: int) -> str:
    """A student's wallet."""
    return f"customer:{_id('user_id', user_id)}"


def runner(user_id: int) -> str:
    """A runner's earnings wallet."""
    return f"runner:{_id('user_id', user_id)}"


def escrow(order_id: int) -> str:
    """Money held for one order between payment and completion, refund or cancellation."""
    return f"escrow:{_id('order_id', order_id)}"


def withdrawal_hold(withdrawal_id: int) -> str:
    """Money a runner asked to withdraw, held until an operator approves or rejects it."""
    return f"withdrawal:{_id('withdrawal_id', withdrawal_id)}"


def external(provider: str) -> str:
    """Money in from a payment provider (telegram, wechat, cash); goes negative as money comes in."""
    return f"external:{_provider(provider)}"


def payout(provider: str) -> str:
    """Money paid out to runners through a provider; goes positive as money leaves."""
    return f"payout:{_provider(provider)}"


def account_kind(account: str) -> str:
    return account.split(":", 1)[0]


def no_overdraft(account: str) -> bool:
    """True for the accounts that may never go below zero: customer, runner, escrow and withdrawal."""
    return account_kind(account) in _NO_OVERDRAFT_KINDS


def _check_account(account: object) -> str:
    if not isinstance(account, str) or ":" not in account:
        raise LedgerError(reason=f"not an account name: {account!r}")
    kind, rest = account.split(":", 1)
    if kind not in ACCOUNT_KINDS or not rest:
        raise LedgerError(reason=f"unknown account {account!r}; kinds are {', '.join(ACCOUNT_KINDS)}")
    return account


# ---------------------------------------------------------------------------------------------------------- postings


@dataclass(frozen=True)
class Entry:
    account: str
    amount: Fen  # positive: the account holds more afterwards


@dataclass(frozen=True)
class Posting:
    """One balanced movement of money. Invalid postings cannot be built (LedgerError).

    Rules: a non-empty key; at least two entries; each account at most once and of a known kind; every amount a
    non-zero int (never bool or float); the amounts sum to zero.
    """

    key: str
    entries: tuple[Entry, ...]
    memo: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not self.key.strip():
            raise LedgerError(reason="a posting needs an idempotency key")
        entries = tuple(self.entries)
        object.__setattr__(self, "entries", entries)
        if len(entries) < 2:
            raise LedgerError(posting_key=self.key, reason="a posting needs at least two entries")
        seen: set[str] = set()
        for e in entries:
            if not isinstance(e, Entry):
                raise LedgerError(posting_key=self.key, reason=f"not an entry: {e!r}")
            _check_account(e.account)
            if e.account in seen:
                raise LedgerError(posting_key=self.key, reason=f"account {e.account} appears twice")
            seen.add(e.account)
            if isinstance(e.amount, bool) or not isinstance(e.amount, int):
                raise LedgerError(posting_key=self.key, reason=f"amount must be integer fen, got {e.amount!r}")
            if e.amount == 0:
                raise LedgerError(posting_key=self.key, reason=f"zero entry for {e.account}")
        total = sum(e.amount for e in entries)
        if total != 0:
            raise LedgerError(posting_key=self.key, reason=f"entries sum to {total}, not 0")

    def canonical(self) -> tuple[Entry, ...]:
        """The entries in account order: what 'the same entries' is compared on (order and memo do not matter)."""
        return tuple(sorted(self.entries, key=lambda e: e.account))

    @property
    def accounts(self) -> tuple[str, ...]:
        return tuple(e.account for e in self.entries)


def same_entries(a: Posting, b: Posting) -> bool:
    return a.canonical() == b.canonical()


def apply_posting(current: Mapping[str, Fen], posting: Posting) -> dict[str, Fen]:
    """New balances of the accounts `posting` touches, given their current balances (missing = 0).

    Raises InsufficientFunds (args: account, balance, needed) if a no-overdraft account would go below zero.
    """
    after: dict[str, Fen] = {}
    for e in posting.entries:
        before = current.get(e.account, 0)
        new = before + e.amount
        if new < 0 and no_overdraft(e.account):
            raise InsufficientFunds(account=e.account, balance=before, needed=-e.amount, posting_key=posting.key)
        after[e.account] = new
    return after


class Ledger:
    """In-memory reference ledger: the model the database implementation must match."""

    def __init__(self) -> None:
        self._balances: dict[str, Fen] = {}
        self._postings: dict[str, Posting] = {}

    def post(self, p: Posting) -> bool:
        """Record `p`. True if posted; False if this key was already posted with the same entries (nothing changes).

        LedgerError if the key was posted with other entries; InsufficientFunds if a no-overdraft account would go
        below zero. Either way nothing changes.
        """
        if not isinstance(p, Posting):
            raise LedgerError(reason=f"not a posting: {p!r}")
        previous = self._postings.get(p.key)
        if previous is not None:
            if same_entries(previous, p):
                return False
            raise LedgerError(posting_key=p.key, reason="this key was already posted with other entries")
        after = apply_posting(self._balances, p)  # raises before anything changes
        self._balances.update(after)
        self._postings[p.key] = p
        return True

    def balance(self, account: str) -> Fen:
        return self._balances.get(account, 0)

    def balances(self) -> dict[str, Fen]:
        """Every account with a non-zero balance."""
        return {a: b for a, b in self._balances.items() if b != 0}

    def total(self) -> Fen:
        """Sum of all balances: always 0."""
        return sum(self._balances.values())

    def posting(self, key: str) -> Posting | None:
        return self._postings.get(key)

    def postings(self) -> list[Posting]:
        """All postings, in the order they were posted."""
        return list(self._postings.values())


# ---------------------------------------------------------------------------------------------------------- builders


def _fen(name: str, value: object, *, zero_ok: bool = False) -> Fen:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LedgerError(reason=f"{name} must be integer fen, got {value!r}")
    if value < 0 or (value == 0 and not zero_ok):
        raise LedgerError(reason=f"{name} must be {'zero or more' if zero_ok else 'positive'}, got {value}")
    return value


def _text(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LedgerError(reason=f"{name} must be a non-empty text, got {value!r}")
    return value


def _posting(key: str, entries: Iterable[tuple[str, Fen]], memo: str) -> Posting:
    """Build a posting, skipping zero entries (e.g. no coupon)."""
    return Posting(key=key, entries=tuple(Entry(a, x) for a, x in entries if x != 0), memo=memo)


def top_up(user_id: int, amount: Fen, provider: str, charge_id: str) -> Posting:
    """A student tops up the wallet: external:{provider} → customer. Keyed by the provider's charge id."""
    _fen("amount", amount)
    return _posting(
        f"charge:{_provider(provider)}:{_text('charge_id', charge_id)}",
        [(external(provider), -amount), (customer(user_id), amount)],
        f"top-up via {provider}",
    )


def pay_order(order_id: int, customer_id: int, paid: Fen, subsidy: Fen) -> Posting:
    """An order is paid: the wallet pays `paid`, the marketing subsidy pays the coupon, escrow holds both."""
    _fen("paid", paid, zero_ok=True)
    _fen("subsidy", subsidy, zero_ok=True)
    if paid + subsidy == 0:
        raise LedgerError(reason="an order payment needs a positive amount")
    return _posting(
        f"order:{_id('order_id', order_id)}:pay",
        [(customer(customer_id), -paid), (MARKETING, -subsidy), (escrow(order_id), paid + subsidy)],
        f"order {order_id} paid",
    )


def pay_goods_extra(order_id: int, customer_id: int, extra: Fen) -> Posting:
    """A buy task's goods cost more than its goods money: the customer's wallet pays the difference into escrow,
    where it joins the goods money (settle_goods pays the runner back from there). An order has one at most."""
    _fen("extra", extra)
    return _posting(
        f"order:{_id('order_id', order_id)}{EXTRA_SUFFIX}",
        [(customer(customer_id), -extra), (escrow(order_id), extra)],
        f"order {order_id} goods difference paid",
    )


def complete_order(order_id: int, runner_id: int, runner_share: Fen, commission: Fen) -> Posting:
    """An order completes (confirmed or auto-confirmed): escrow pays the runner and the platform's commission."""
    _fen("runner_share", runner_share, zero_ok=True)
    _fen("commission", commission, zero_ok=True)
    if runner_share + commission == 0:
        raise LedgerError(reason="a completion needs a positive amount")
    return _posting(
        f"order:{_id('order_id', order_id)}:complete",
        [
            (escrow(order_id), -(runner_share + commission)),
            (runner(runner_id), runner_share),
            (PLATFORM_REVENUE, commission),
        ],
        f"order {order_id} completed",
    )


def settle_goods(order_id: int, customer_id: int, runner_id: int, goods: Fen, spent: Fen) -> Posting:
    """A buy task completes: escrow pays the runner back what they spent on the goods and gives the customer the
    rest of the goods money. Its own posting, apart from the runner's earnings (complete_order)."""
    _fen("goods", goods)
    _fen("spent", spent, zero_ok=True)
    if spent > goods:
        raise LedgerError(reason=f"goods spent {spent} exceed the goods money {goods}")
    return _posting(
        f"order:{_id('order_id', order_id)}{GOODS_SUFFIX}",
        [(escrow(order_id), -goods), (runner(runner_id), spent), (customer(customer_id), goods - spent)],
        f"order {order_id} goods: {spent} spent of {goods}",
    )


def refund_order(order_id: int, customer_id: int, paid: Fen, subsidy: Fen, reason: str) -> Posting:
    """Full refund: escrow gives the customer back what they paid and the marketing subsidy its coupon."""
    _fen("paid", paid, zero_ok=True)
    _fen("subsidy", subsidy, zero_ok=True)
    if paid + subsidy == 0:
        raise LedgerError(reason="a refund needs a positive amount")
    return _posting(
        f"order:{_id('order_id', order_id)}:refund",
        [(escrow(order_id), -(paid + subsidy)), (customer(customer_id), paid), (MARKETING, subsidy)],
        f"order {order_id} refunded: {reason}",
    )


def cancellation_fee(order_id: int, customer_id: int, runner_id: int, paid: Fen, subsidy: Fen, fee: Fen,
                     goods: Fen = 0) -> Posting:
    """The customer cancels after a runner accepted: the runner gets `fee` from escrow, the rest is refunded.

    The fee is borne by what the customer paid for the service first (`paid` less the goods money in it, which all
    goes back: nothing was bought yet); only if it exceeds that does it eat into the coupon, so a coupon never
    takes the runner's fee away. So the customer gets back paid − fee (at least the goods money) and marketing
    gets back the rest of its coupon.
    """
    _fen("paid", paid, zero_ok=True)
    _fen("subsidy", subsidy, zero_ok=True)
    _fen("fee", fee)
    _fen("goods", goods, zero_ok=True)
    if goods > paid:
        raise LedgerError(reason=f"goods money {goods} exceeds what was paid {paid}")
    service = paid - goods  # what the customer paid for the service itself
    if fee > service + subsidy:
        raise LedgerError(reason=f"cancellation fee {fee} exceeds the service's escrow {service + subsidy}")
    to_customer = goods + max(service - fee, 0)
    to_marketing = subsidy - max(fee - service, 0)
    return _posting(
        f"order:{_id('order_id', order_id)}:cancel-fee",
        [
            (escrow(order_id), -(paid + subsidy)),
            (runner(runner_id), fee),
            (customer(customer_id), to_customer),
            (MARKETING, to_marketing),
        ],
        f"order {order_id} cancelled after accept, fee {fee}",
    )


def gives_subsidy_back(p: Posting, order_id: int, subsidy: Fen) -> bool:
    """This posting ends the order (a refund, or a cancellation fee the customer's payment covered) and gives the
    marketing subsidy all of its coupon back: the coupon cost nothing, so its use may be counted as never made."""
    if p.key not in (f"order:{order_id}:refund", f"order:{order_id}:cancel-fee"):
        return False
    return sum(e.amount for e in p.entries if e.account == MARKETING) == subsidy


def compensation(case_id: int, customer_id: int, amount: Fen) -> Posting:
    """The platform compensates a customer (an upheld complaint): platform revenue → customer."""
    _fen("amount", amount)
    return _posting(
        compensation_key(case_id),
        [(PLATFORM_REVENUE, -amount), (customer(customer_id), amount)],
        f"compensation for case {case_id}",
    )


def runner_compensation(order_id: int, runner_id: int, amount: Fen) -> Posting:
    """The platform compensates a runner (their upheld complaint, say goods that cost more than the student would
    pay): platform revenue → the runner's earnings wallet. One per order and runner: a reassigned order's runners
    may each have a case."""
    _fen("amount", amount)
    return _posting(
        f"{compensation_key(order_id)}:runner:{_id('runner_id', runner_id)}",
        [(PLATFORM_REVENUE, -amount), (runner(runner_id), amount)],
        f"compensation to runner {runner_id} for order {order_id}",
    )


def compensation_key(case_id: int) -> str:
    """A student's compensation for an order's case; a runner's key begins with it."""
    return f"compensation:{_id('case_id', case_id)}"


def request_withdrawal(withdrawal_id: int, runner_id: int, amount: Fen) -> Posting:
    """A runner asks to withdraw earnings: runner → withdrawal hold."""
    _fen("amount", amount)
    return _posting(
        f"withdrawal:{_id('withdrawal_id', withdrawal_id)}:request",
        [(runner(runner_id), -amount), (withdrawal_hold(withdrawal_id), amount)],
        f"withdrawal {withdrawal_id} requested",
    )


def approve_withdrawal(withdrawal_id: int, amount: Fen, provider: str) -> Posting:
    """An operator pays the withdrawal out: hold → payout:{provider}."""
    _fen("amount", amount)
    return _posting(
        f"withdrawal:{_id('withdrawal_id', withdrawal_id)}:approve",
        [(withdrawal_hold(withdrawal_id), -amount), (payout(provider), amount)],
        f"withdrawal {withdrawal_id} paid out via {provider}",
    )


def reject_withdrawal(withdrawal_id: int, runner_id: int, amount: Fen) -> Posting:
    """An operator rejects the withdrawal: hold → back to the runner's wallet."""
    _fen("amount", amount)
    return _posting(
        f"withdrawal:{_id('withdrawal_id', withdrawal_id)}:reject",
        [(withdrawal_hold(withdrawal_id), -amount), (runner(runner_id), amount)],
        f"withdrawal {withdrawal_id} rejected",
    )
