"""The order state machine: the one place that decides who may move an order where, and what follows.

`transition` is pure: it takes the order as it is, the event, who asks and `now`, and returns the order as it
must become plus the side effects (ledger postings, credit events, notices) that storage writes in the same
transaction. Storage applies the new state with a conditional update on the old status, so two racing
transitions cannot both win.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

from core import ledger
from core.campus import Campus, CreditEvent
from core.errors import IllegalTransition, InvalidInput, NotAllowed
from core.money import Fen, format_yuan


class Status(str, enum.Enum):
    awaiting_payment = "awaiting_payment"
    open = "open"
    accepted = "accepted"
    picked_up = "picked_up"
    delivered = "delivered"
    completed = "completed"
    closed = "closed"  # never paid
    expired = "expired"  # paid, nobody took it: refunded
    cancelled = "cancelled"
    exception = "exception"  # reported, waits for an operator
    refunded = "refunded"  # an exception resolved with a refund


FINAL = frozenset({Status.completed, Status.closed, Status.expired, Status.cancelled, Status.refunded})
# While the order is in one of these, its runner sees the customer's phone and room.
ACTIVE_FOR_RUNNER = frozenset({Status.accepted, Status.picked_up, Status.delivered, Status.exception})
# The runner carries the order: on the way to its pickup or with the item (reassignable or under way; the runner's
# position is tracked for the student).
CARRYING = frozenset({Status.accepted, Status.picked_up})
CARRYING_VALUES = tuple(sorted(status.value for status in CARRYING))  # as stored, for queries


class Role(str, enum.Enum):
    customer = "customer"
    runner = "runner"
    operator = "operator"
    system = "system"  # timers and payment providers


@dataclass(frozen=True)
class Actor:
    role: Role
    user_id: int | None = None

    @classmethod
    def system(cls) -> "Actor":
        return cls(Role.system)


class Event(str, enum.Enum):
    pay = "pay"
    unpaid_timeout = "unpaid_timeout"
    accept = "accept"  # a grab in the hall, or an offer taken
    release = "release"  # the runner gives it back
    pickup_timeout = "pickup_timeout"
    pickup = "pickup"
    deliver = "deliver"
    confirm = "confirm"
    auto_confirm = "auto_confirm"
    expire = "expire"
    cancel = "cancel"  # by the customer
    operator_cancel = "operator_cancel"
    reassign = "reassign"
    # An operator takes it back from its runner, who can no longer do it (suspended): to the hall, at no cost to them.
    take_back = "take_back"
    report = "report"
    resolve_complete = "resolve_complete"
    resolve_refund = "resolve_refund"
    # Back to the hall for another runner (reported before pickup): the errand is still wanted, and its runner is
    # charged as for a release, so reporting an order is no free way out of one taken.
    resolve_reopen = "resolve_reopen"
    # The customer pays the full price instead: the coupon it was priced with can no longer be counted.
    drop_coupon = "drop_coupon"
    # A buy task's runner says what the goods cost, once picked up (bought): before it is delivered.
    goods_bought = "goods_bought"
    # They cost more than the goods money: the runner asks the customer for the difference (补差价), who pays it
    # (from the wallet, or through a provider: the system) or refuses it.
    extra_asked = "extra_asked"
    extra_paid = "extra_paid"
    extra_refused = "extra_refused"


@dataclass(frozen=True)
class Rule:
    sources: frozenset[Status]
    target: Status | None  # None: the status stays (reassign, drop_coupon)
    roles: frozenset[Role]


def _rule(sources: set[Status], target: Status | None, *roles: Role) -> Rule:
    return Rule(frozenset(sources), target, frozenset(roles))


S, R = Status, Role
RULES: dict[Event, Rule] = {
    Event.pay: _rule({S.awaiting_payment}, S.open, R.customer, R.system),
    Event.unpaid_timeout: _rule({S.awaiting_payment}, S.closed, R.system),
    Event.accept: _rule({S.open}, S.accepted, R.runner),
    Event.release: _rule({S.accepted}, S.open, R.runner),
    Event.pickup_timeout: _rule({S.accepted}, S.open, R.system),
    Event.pickup: _rule({S.accepted}, S.picked_up, R.runner),
    Event.deliver: _rule({S.picked_up}, S.delivered, R.runner),
    Event.confirm: _rule({S.delivered}, S.completed, R.customer),
    Event.auto_confirm: _rule({S.delivered}, S.completed, R.system),
    Event.expire: _rule({S.open}, S.expired, R.system),
    Event.cancel: _rule({S.awaiting_payment, S.open, S.accepted}, S.cancelled, R.customer),
    Event.operator_cancel: _rule({S.awaiting_payment, S.open, S.accepted, S.picked_up}, S.cancelled, R.operator),
    Event.reassign: _rule({S.accepted}, None, R.operator),
    Event.take_back: _rule({S.accepted}, S.open, R.operator),
    Event.report: _rule({S.accepted, S.picked_up, S.delivered}, S.exception, R.customer, R.runner),
    Event.resolve_complete: _rule({S.exception}, S.completed, R.operator),
    Event.resolve_refund: _rule({S.exception}, S.refunded, R.operator),
    Event.resolve_reopen: _rule({S.exception}, S.open, R.operator),
    Event.drop_coupon: _rule({S.awaiting_payment}, None, R.customer),  # before any money moved for it
    Event.goods_bought: _rule({S.picked_up}, None, R.runner),
    Event.extra_asked: _rule({S.picked_up}, None, R.runner),
    Event.extra_paid: _rule({S.picked_up}, None, R.customer, R.system),
    Event.extra_refused: _rule({S.picked_up}, None, R.customer),
}
# The events that put a taken order back in the hall: the credit event they cost its runner, what its student is told,
# and what its runner is (a runner who released it themselves is answered directly).
BACK_TO_HALL: dict[Event, tuple[CreditEvent | None, str, str | None]] = {
    Event.release: (CreditEvent.released, "notice-runner-released", None),
    Event.pickup_timeout: (CreditEvent.pickup_timeout, "notice-runner-timed-out", "notice-pickup-timeout"),
    Event.take_back: (None, "notice-taken-back", "notice-taken-back-runner"),  # not their doing: suspended
    Event.resolve_reopen: (CreditEvent.released, "notice-reopened", "notice-reopened-runner"),
}
# Events only the order's own runner may cause, and those only its own customer may cause.
RUNNER_OWN = frozenset({Event.release, Event.pickup, Event.deliver, Event.goods_bought, Event.extra_asked})
CUSTOMER_OWN = frozenset({Event.confirm, Event.cancel, Event.drop_coupon, Event.extra_paid, Event.extra_refused})
# How a difference asked for ends, as the customer's notice of it says (any other event: the order moved on).
EXTRA_ENDINGS = {Event.extra_asked: "changed", Event.extra_paid: "paid", Event.extra_refused: "refused",
                 Event.goods_bought: "withdrawn"}
# An operator ending an order that may be past its goods' purchase: one whose cost is unsaid needs theirs
# (operator_spent).
OPERATOR_ENDS = frozenset({Event.operator_cancel, Event.resolve_refund, Event.resolve_complete})


@dataclass(frozen=True)
class Order:
    """What the state machine needs to know about an order; storage maps its row to and from this."""

    id: int
    campus_id: str
    customer_id: int
    status: Status
    created_at: dt.datetime
    service_fee: Fen
    tip: Fen
    discount: Fen  # paid by the marketing subsidy
    total: Fen  # what the customer pays
    commission: Fen
    runner_share: Fen
    runner_id: int | None = None
    accepted_at: dt.datetime | None = None
    pay_by: dt.datetime | None = None
    reannounce_at: dt.datetime | None = None
    accept_by: dt.datetime | None = None
    pickup_by: dt.datetime | None = None
    deliver_by: dt.datetime | None = None
    auto_confirm_at: dt.datetime | None = None
    delivered_late: bool = False
    coupon_code: str | None = None  # the coupon `discount` counts on
    goods: Fen = 0  # buy tasks: the goods money in `total`, no part of the service fee
    goods_spent: Fen | None = None  # what the runner paid for the goods, told once picked up (goods_bought)
    # When the runner picked it up (a buy task's goods bought); kept through a report, unlike the deadlines.
    picked_up_at: dt.datetime | None = None
    # The goods cost more than the goods money: the difference the runner asks the customer for (extra_asked), until
    # paid (then part of `goods` and `total`), refused, withdrawn or the order moves on. 0: none asked.
    goods_extra: Fen = 0
    # Since when a difference has been asked: the delivery's deadline stands still until it is answered.
    extra_asked_at: dt.datetime | None = None
    # When the student wants it done: None for now, else a scheduled window, which the deadlines wait for.
    window_start: dt.datetime | None = None
    window_end: dt.datetime | None = None

    def begins(self, now: dt.datetime) -> dt.datetime:
        """When the errand may begin: now, or a scheduled window's start while it is still to come. Deadlines for
        taking it and picking it up run from here, so an evening errand paid in the morning neither expires nor
        costs its runner credit hours before its time."""
        return max(now, self.window_start) if self.window_start is not None else now

    def accept_deadline(self, now: dt.datetime, minutes: int) -> dt.datetime:
        """Until when a runner may take it: a while after it may begin, but never past a scheduled window's end (an
        errand nobody took in its time expires, refunded, rather than being taken too late)."""
        by = self.begins(now) + dt.timedelta(minutes=minutes)
        return min(by, self.window_end) if self.window_end is not None else by

    def window_over(self, now: dt.datetime) -> bool:
        """A scheduled errand whose window has ended: given back now, nobody may take it any more, so it ends."""
        return self.window_end is not None and self.window_end <= now

    def next_announcement(self, now: dt.datetime, every: dt.timedelta) -> dt.datetime:
        """When the hall is next shown it again while nobody takes it: every so often, but a scheduled errand only
        as its window nears, not all day long."""
        return max(now, self.begins(now) - 2 * every) + every

    @property
    def goods_paid_back(self) -> Fen:
        """What the end of the order pays the runner back for goods: what they said they spent, nothing if they
        never said (the goods were not bought)."""
        return self.goods_spent or 0

    @property
    def goods_unsaid(self) -> bool:
        """A buy task's goods may have been bought (it was picked up) but nobody said what they cost: whoever ends
        it must, or the runner who laid the money out would not be paid it back."""
        picked = self.status is Status.picked_up or self.picked_up_at is not None
        return bool(self.goods) and self.goods_spent is None and picked

    @property
    def goods_back(self) -> Fen:
        """What the end of the order gives the customer back of the goods money: what the runner did not spend."""
        return self.goods - self.goods_paid_back

    @property
    def refundable(self) -> Fen:
        """What a refund gives the customer back: all they paid but the goods the runner bought with it, which the
        goods money pays for whatever becomes of the errand (the runner is paid it back)."""
        return self.total - self.goods_paid_back

    @property
    def final(self) -> bool:
        return self.status in FINAL

    @property
    def covered_by_coupon(self) -> bool:
        """Its coupon pays all of it: the student pays nothing, so paying it needs no payment and ending it gives
        nothing back (its texts say so in words, never as 0.00 yuan)."""
        return self.total == 0 and self.discount > 0

    @property
    def full_price(self) -> Fen:
        """What the customer pays without a coupon: the service fee, the tip and any goods money (core.pricing's
        total before any discount)."""
        return self.service_fee + self.tip + self.goods


@dataclass(frozen=True)
class Notice:
    """A message a transition owes someone. `to` is a role relative to the order: customer, runner, hall, operators."""

    to: str
    key: str
    args: dict[str, Any] = field(default_factory=dict)
    user_id: int | None = None


@dataclass(frozen=True)
class Transition:
    before: Order
    after: Order
    event: Event
    actor: Actor
    postings: tuple[ledger.Posting, ...] = ()
    credit: tuple[tuple[int, CreditEvent], ...] = ()
    notices: tuple[Notice, ...] = ()
    note: str = ""

    @property
    def settled(self) -> Order:
        """The order as found, with the goods' cost its end settled: the one an operator gave, where the runner said
        none (operator_spent)."""
        return dataclasses.replace(self.before, goods_spent=self.after.goods_spent)


def pay_deadline(now: dt.datetime, minutes: int, window_end: dt.datetime | None) -> dt.datetime:
    """Until when an order placed now may be paid: a while, but not past its scheduled window's end (an errand for a
    time that is over is not to be paid for, by wallet or invoice)."""
    by = now + dt.timedelta(minutes=minutes)
    return min(by, window_end) if window_end is not None else by


def allowed_events(order: Order, actor: Actor) -> list[Event]:
    """Events this actor could cause now (for showing only the buttons that would work)."""
    result = []
    for event, rule in RULES.items():
        if order.status in rule.sources and actor.role in rule.roles:
            try:
                _check_actor(order, event, actor)
                _check_order(order, event)
            except (NotAllowed, IllegalTransition, InvalidInput):  # a buy task's Delivered before its goods' cost
                continue
            result.append(event)
    return result


def _check_actor(order: Order, event: Event, actor: Actor) -> None:
    if actor.role is Role.runner:
        if event in RUNNER_OWN and actor.user_id != order.runner_id:
            raise NotAllowed("error-not-your-order")
        if event is Event.report and actor.user_id != order.runner_id:
            raise NotAllowed("error-not-your-order")
        if event is Event.accept and actor.user_id == order.customer_id:
            raise NotAllowed("not-eligible-own-order")
    if actor.role is Role.customer and actor.user_id != order.customer_id:
        raise NotAllowed("error-not-your-order")
    if actor.role in (Role.runner, Role.customer, Role.operator) and actor.user_id is None:
        raise NotAllowed("error-not-allowed")


def _check_order(order: Order, event: Event) -> None:
    """What an event needs of the order beyond its status."""
    if event is Event.drop_coupon and order.coupon_code is None:
        raise IllegalTransition("error-no-coupon", order=order.id)
    if event in (Event.goods_bought, Event.extra_asked) and not order.goods:
        raise IllegalTransition("error-goods-none", order=order.id)
    if event in (Event.goods_bought, Event.extra_asked) and order.goods_spent is not None:
        raise IllegalTransition("error-goods-told", order=order.id)
    if event in (Event.extra_paid, Event.extra_refused) and not order.goods_extra:
        raise IllegalTransition("error-extra-none", order=order.id)
    if event is Event.deliver and order.goods and order.goods_spent is None:
        raise InvalidInput("error-goods-spent-needed", order=order.id)
    if event is Event.resolve_reopen and (order.picked_up_at is not None or order.runner_id is None):
        raise IllegalTransition("error-reopen-picked-up", order=order.id)  # its runner has the goods, or delivered


def transition(
    campus: Campus,
    order: Order,
    event: Event,
    actor: Actor,
    now: dt.datetime,
    *,
    runner_id: int | None = None,
    note: str = "",
    goods_spent: Fen | None = None,
) -> Transition:
    """Validate and compute one transition. Raises IllegalTransition or NotAllowed; changes nothing itself.

    `goods_spent`: what a buy task's goods cost, for goods_bought (InvalidInput past the goods money) and for
    extra_asked (more than the goods money: the difference is asked), or for an operator ending an order whose
    runner has not said it (operator_spent)."""
    rule = RULES[event]
    if order.status not in rule.sources:
        raise IllegalTransition(status=order.status.value, event=event.value)
    if actor.role not in rule.roles:
        raise NotAllowed("error-not-allowed", event=event.value)
    _check_actor(order, event, actor)
    _check_order(order, event)
    found = order
    # From here on the order settles with the cost the operator gave, exactly as if its runner had said it.
    order = operator_spent(order, event, goods_spent)

    t = campus.timeouts
    after = dataclasses.replace(order, status=rule.target or order.status)
    postings: list[ledger.Posting] = []
    credit: list[tuple[int, CreditEvent]] = []
    notices: list[Notice] = []

    def clear_deadlines(o: Order) -> Order:
        return dataclasses.replace(
            o, pay_by=None, reannounce_at=None, accept_by=None, pickup_by=None, deliver_by=None, auto_confirm_at=None
        )

    def reopen(o: Order) -> Order:
        return dataclasses.replace(
            clear_deadlines(o),
            runner_id=None,
            accepted_at=None,
            # The reopening announces it at once (its hall notice); then again as any open order.
            reannounce_at=o.next_announcement(now, t.reannounce_every),
            accept_by=o.accept_deadline(now, t.accept_minutes),
        )

    refund = ledger.refund_order(order.id, order.customer_id, order.total, order.discount, event.value)

    def settle_goods() -> ledger.Posting:
        """The goods money, as the order ends: the runner paid back what they spent, the rest to the customer."""
        assert order.runner_id is not None
        return ledger.settle_goods(order.id, order.customer_id, order.runner_id, order.goods, order.goods_paid_back)

    def refund_after_pickup() -> list[ledger.Posting]:
        """A refund once the goods may be bought: the goods money settles as at completion and the rest of what was
        paid goes back."""
        if not order.goods or order.goods_spent is None or order.runner_id is None:
            return [refund]
        service = order.total - order.goods
        postings = [settle_goods()]
        if service + order.discount:
            postings.append(ledger.refund_order(order.id, order.customer_id, service, order.discount, event.value))
        return postings

    def goods_repaid() -> dict[str, Any]:
        """A notice of the end: what the runner was paid back for goods, whether anything, and whether it was the
        service's word ("service…": the runner never said what they cost)."""
        paid, by_service = order.goods_paid_back, found.goods_spent != order.goods_spent
        return {"spent": paid, "bought": ("service" if paid else "service-none") if by_service else
                "yes" if paid else "no"}

    if event is Event.pay:
        postings.append(ledger.pay_order(order.id, order.customer_id, order.total, order.discount))
        after = dataclasses.replace(
            clear_deadlines(after),
            reannounce_at=order.next_announcement(now, t.reannounce_every),
            accept_by=order.accept_deadline(now, t.accept_minutes),
        )
        covered = "yes" if order.covered_by_coupon else "no"  # no "Paid." for what the coupon paid alone
        notices += [Notice("customer", "notice-paid", {"covered": covered}), Notice("hall", "notice-hall-new")]
    elif event is Event.unpaid_timeout:
        after = clear_deadlines(after)
        notices.append(Notice("customer", "notice-closed-unpaid"))
    elif event is Event.accept:
        if actor.user_id is None:
            raise NotAllowed("error-not-allowed")
        after = dataclasses.replace(
            clear_deadlines(after),
            runner_id=actor.user_id,
            accepted_at=now,
            pickup_by=order.begins(now) + dt.timedelta(minutes=t.pickup_minutes),
        )
        notices += [
            Notice("customer", "notice-accepted"),
            Notice("runner", "notice-you-won", user_id=actor.user_id),
            Notice("hall", "notice-hall-taken"),
        ]
    elif event in BACK_TO_HALL:
        assert order.runner_id is not None
        penalty, to_customer, to_runner = BACK_TO_HALL[event]
        if penalty is not None:
            credit.append((order.runner_id, penalty))
        after = reopen(after)
        window_over = order.window_over(now)
        if window_over:
            # A scheduled errand whose window is over: nobody may take it any more, so it ends as if nobody had
            # taken it in time (refunded), rather than going back to the hall for a time that has passed.
            after = dataclasses.replace(clear_deadlines(after), status=Status.expired)
            postings.append(refund)
            notices += [Notice("customer", "notice-window-over", {"why": event.value,
                                                                  **refunded("amount", order.total, order)}),
                        Notice("hall", "notice-hall-gone")]
        else:
            # The hall's notice names who had it: under auto-dispatch it is offered to anyone but them. The student
            # is told why: a runner who gave it back, one who never came for it, or the service's decision.
            notices += [Notice("customer", to_customer), Notice("hall", "notice-hall-new", user_id=order.runner_id)]
        if to_runner is not None:  # not told it went back to the hall when it ended
            notices.append(Notice("runner", to_runner, {**reason(note), "window_over": "yes" if window_over else "no"},
                                  user_id=order.runner_id))
    elif event is Event.pickup:
        # A buy task counts as picked up once its goods are bought: from then on the student may not cancel it,
        # so a runner who laid the money out is paid it back whatever ends the errand (refund_after_pickup).
        # Due within the scheduled window, however early it was picked up; never sooner than the usual time.
        due = now + dt.timedelta(minutes=t.deliver_minutes)
        after = dataclasses.replace(clear_deadlines(after), picked_up_at=now,
                                    deliver_by=max(due, order.window_end) if order.window_end else due)
        notices.append(Notice("customer", "notice-picked-up"))
    elif event is Event.goods_bought:
        after = dataclasses.replace(after, goods_spent=_spent(order, goods_spent), goods_extra=0)
        notices.append(Notice("customer", "notice-bought", {"spent": goods_spent, "goods": order.goods}))
    elif event is Event.extra_asked:
        extra = _extra(order, goods_spent)
        # The delivery waits for the student's answer: its deadline stands still meanwhile (resumed below).
        after = dataclasses.replace(after, goods_extra=extra, extra_asked_at=order.extra_asked_at or now)
        notices.append(Notice("customer", "notice-extra-asked",
                              {"spent": order.goods + extra, "goods": order.goods, "extra": extra}))
    elif event is Event.extra_paid:
        # The difference joins the goods money, which the runner then spent all of: the order ends as any buy task.
        extra = order.goods_extra
        postings.append(ledger.pay_goods_extra(order.id, order.customer_id, extra))
        after = dataclasses.replace(after, goods=order.goods + extra, total=order.total + extra,
                                    goods_spent=order.goods + extra, goods_extra=0)
        notices.append(Notice("runner", "notice-extra-paid", {"extra": extra, "spent": order.goods + extra},
                              user_id=order.runner_id))
    elif event is Event.extra_refused:
        after = dataclasses.replace(after, goods_extra=0)
        notices.append(Notice("runner", "notice-extra-refused", {"extra": order.goods_extra, "goods": order.goods},
                              user_id=order.runner_id))
    elif event is Event.deliver:
        late = order.deliver_by is not None and now > order.deliver_by
        after = dataclasses.replace(
            clear_deadlines(after),
            delivered_late=late,
            auto_confirm_at=now + dt.timedelta(hours=t.auto_confirm_hours),
        )
        notices.append(Notice("customer", "notice-delivered"))
    elif event in (Event.confirm, Event.auto_confirm, Event.resolve_complete):
        assert order.runner_id is not None
        postings.append(ledger.complete_order(order.id, order.runner_id, order.runner_share, order.commission))
        if order.goods:
            postings.append(settle_goods())
        credit.append((order.runner_id, CreditEvent.completed))
        if event is not Event.resolve_complete:
            credit.append((order.runner_id, CreditEvent.late_delivery if order.delivered_late else CreditEvent.on_time))
        elif order.delivered_late:  # reported after a late delivery: the lateness costs what a confirmation makes it
            credit.append((order.runner_id, CreditEvent.late_delivery))
        after = clear_deadlines(after)
        notices += [
            Notice("runner", "notice-completed", {"amount": order.runner_share, **goods_repaid()},
                   user_id=order.runner_id),
            Notice("customer", "notice-auto-confirmed" if event is Event.auto_confirm else "notice-completed-customer",
                   {"change": order.goods_back, "back": "yes" if order.goods_back else "no", **goods_repaid()}),
        ]
    elif event is Event.expire:
        postings.append(refund)
        after = clear_deadlines(after)
        notices += [Notice("customer", "notice-expired", refunded("amount", order.total, order)),
                    Notice("hall", "notice-hall-gone")]
    elif event is Event.cancel:
        after = clear_deadlines(after)
        if order.status is Status.open:
            postings.append(refund)
            notices.append(Notice("hall", "notice-hall-gone"))
        elif order.status is Status.accepted:
            assert order.runner_id is not None and order.accepted_at is not None
            fee = cancellation_fee(campus, order, now)
            if fee:
                postings.append(ledger.cancellation_fee(order.id, order.customer_id, order.runner_id, order.total,
                                                        order.discount, fee, order.goods))
            else:
                postings.append(refund)
            notices.append(Notice("runner", "notice-cancelled-runner-fee", {"fee": fee}, user_id=order.runner_id)
                           if fee else Notice("runner", "notice-cancelled-runner", user_id=order.runner_id))
        if order.status is Status.awaiting_payment:  # nothing was paid, so nothing goes back
            notices.append(Notice("customer", "notice-cancelled-unpaid"))
        elif order.total and fee_from_customer(campus, order, now) == order.total:  # the fee took all they paid
            notices.append(Notice("customer", "notice-cancelled-all-fee",
                                  {"fee": order.total, **coupon_spent(campus, order, now)}))
        else:
            refund_now = refund_on_cancel(campus, order, now)
            notices.append(Notice("customer", "notice-cancelled",
                                  {**refunded("refund", refund_now, order), **coupon_spent(campus, order, now)}))
    elif event is Event.operator_cancel:
        after = clear_deadlines(after)
        if order.status is not Status.awaiting_payment:
            postings += refund_after_pickup()
        if order.status is Status.open:
            notices.append(Notice("hall", "notice-hall-gone"))
        if order.runner_id is not None:  # the refund is the whole escrow: nothing goes to the runner
            notices.append(Notice("runner", "notice-cancelled-by-service-runner", {**reason(note), **goods_repaid()},
                                  user_id=order.runner_id))
        if order.status is Status.awaiting_payment:  # the student is told the operator's reason too
            notices.append(Notice("customer", "notice-cancelled-by-operator-unpaid", reason(note)))
        else:
            notices.append(Notice("customer", "notice-cancelled-by-operator",
                                  {**refunded("refund", refund_on_operator_cancel(order), order), **reason(note),
                                   **goods_repaid()}))
    elif event is Event.reassign:
        if runner_id is None or runner_id == order.runner_id:
            raise IllegalTransition("error-reassign-same")
        if runner_id == order.customer_id:
            raise NotAllowed("not-eligible-own-order")
        after = dataclasses.replace(
            after, runner_id=runner_id, accepted_at=now,
            pickup_by=order.begins(now) + dt.timedelta(minutes=t.pickup_minutes)
        )
        notices += [
            Notice("runner", "notice-reassigned-away", user_id=order.runner_id),
            Notice("runner", "notice-you-won", user_id=runner_id),
            Notice("customer", "notice-reassigned"),
        ]
    elif event is Event.report:
        after = clear_deadlines(after)
        notices.append(Notice("operators", "notice-exception"))
        # The other side learns it is on hold: the runner stops where they are, the student waits.
        if actor.role is Role.customer and order.runner_id is not None:
            carrying = "yes" if order.status in CARRYING else "no"  # delivered: nothing left to keep
            notices.append(Notice("runner", "notice-on-hold", {"by": "customer", "carrying": carrying},
                                  user_id=order.runner_id))
        elif actor.role is Role.runner:
            notices.append(Notice("customer", "notice-on-hold", {"by": "runner"}))
    elif event is Event.resolve_refund:
        postings += refund_after_pickup()
        after = clear_deadlines(after)
        notices.append(Notice("customer", "notice-refunded",
                              {**refunded("amount", order.refundable, order), **goods_repaid()}))
        if order.runner_id is not None:  # as for an operator's cancellation: the runner earns nothing
            notices.append(Notice("runner", "notice-refunded-runner", {**reason(note), **goods_repaid()},
                                  user_id=order.runner_id))
    elif event is Event.drop_coupon:
        # Nothing is paid yet, so nothing is posted: the payment then takes the full price from the customer and
        # nothing from the marketing subsidy. The commission and the runner's share never counted the coupon.
        # The payment deadline stays: the student answers the refusal of a payment they were making.
        after = dataclasses.replace(after, coupon_code=None, discount=0, total=order.full_price)

    if order.goods_extra and after.status is not Status.picked_up:  # reported or cancelled: no longer asked
        after = dataclasses.replace(after, goods_extra=0, extra_asked_at=None)
    if order.goods_extra and not after.goods_extra and after.status is Status.picked_up:
        # Answered or withdrawn: the delivery's deadline runs on with the time it stood still added, no more (a
        # runner late already stays late).
        waited = now - (order.extra_asked_at or now)
        after = dataclasses.replace(after, extra_asked_at=None,
                                    deliver_by=order.deliver_by and order.deliver_by + waited)
    if order.goods_extra and after.goods_extra != order.goods_extra:
        # The request the customer was shown is over: its Pay and Refuse go (a new amount is asked anew).
        notices.append(Notice("customer", "notice-extra-ended",
                              {"extra": order.goods_extra, "how": EXTRA_ENDINGS.get(event, "ended")}))
    return Transition(found, after, event, actor, tuple(postings), tuple(credit), tuple(notices), note)


def operator_spent(order: Order, event: Event, spent: Fen | None) -> Order:
    """The order as an operator's end of it settles it. One whose goods may be bought but whose cost is unsaid takes
    the cost from the operator, who must give it (0 if nothing was bought): ending it without would silently leave
    the runner out of pocket. Any other order takes none from them: its goods were not bought or their cost is
    known."""
    if event not in OPERATOR_ENDS:
        if spent is not None and event is Event.resolve_reopen:  # before pickup: nothing was bought
            raise InvalidInput("error-goods-not-bought", order=order.id)
        return order
    if order.goods_unsaid:
        if spent is None:
            raise InvalidInput("error-goods-unsaid-operator", order=order.id, event=event.value,
                               max=format_yuan(order.goods))
        return dataclasses.replace(order, goods_spent=_spent(order, spent, over="error-goods-operator-range"))
    if spent is not None:
        if not order.goods:
            raise IllegalTransition("error-goods-none", order=order.id)
        if order.goods_spent is not None:
            raise IllegalTransition("error-goods-told", order=order.id)
        raise InvalidInput("error-goods-not-bought", order=order.id)
    return order


def _spent(order: Order, spent: Fen | None, *, over: str = "error-goods-spent-range") -> Fen:
    """What the goods cost, as goods_bought says it: at most all of the goods money. `over`: the refusal of more,
    worded for whoever says it."""
    if spent is None:
        raise InvalidInput("error-goods-spent-needed", order=order.id)
    if not 0 <= spent <= order.goods:
        raise InvalidInput(over, order=order.id, max=format_yuan(order.goods))
    return spent


def _extra(order: Order, spent: Fen | None) -> Fen:
    """The difference a runner asks for, whose goods cost `spent`: more than the goods money, and not what is
    asked already."""
    if spent is None:
        raise InvalidInput("error-goods-spent-needed", order=order.id)
    extra = spent - order.goods
    if extra <= 0:
        raise InvalidInput("error-extra-within", order=order.id, max=format_yuan(order.goods))
    if extra == order.goods_extra:
        raise IllegalTransition("error-extra-same", order=order.id, extra=format_yuan(extra))
    return extra


def refunded(name: str, fen: Fen, order: Order) -> dict[str, Any]:
    """A refund notice's amount, and whether anything went back at all ("yes"), and if not, why, said in words
    rather than as 0.00 yuan: a coupon paid all of it ("no"), or all the student paid went to the goods ("goods")."""
    return {name: fen, "refunded": "yes" if fen else "no" if order.covered_by_coupon else "goods"}


def reason(note: str) -> dict[str, Any]:
    """An operator's reason or note for a notice, and whether they gave one at all ("yes"/"no")."""
    return {"reason": note, "given": "yes" if note else "no"}


def cancellation_fee(campus: Campus, order: Order, now: dt.datetime) -> Fen:
    """What a customer's cancellation pays the runner: nothing before accept or within the grace, the fee until
    pickup. The grace of a scheduled errand runs from its window's start: until then the runner has not set out.
    A coupon changes nothing of it (coupons are marketing's, never the runner's): what the student's payment does
    not cover the marketing subsidy pays (fee_from_customer)."""
    if order.status is not Status.accepted or order.accepted_at is None:
        return 0
    grace = dt.timedelta(minutes=campus.cancellation.free_minutes_after_accept)
    if now - order.begins(order.accepted_at) <= grace:
        return 0
    # At most what the service was worth (its escrow, a coupon's part included): the goods money all goes back.
    return min(campus.cancellation.fee_after_accept, order.total + order.discount - order.goods)


def fee_from_customer(campus: Campus, order: Order, now: dt.datetime) -> Fen:
    """The part of the cancellation fee the student's payment bears: all of it, up to what they paid for the
    service (their goods money all goes back); the coupon pays the rest (core.ledger.cancellation_fee)."""
    return min(cancellation_fee(campus, order, now), order.total - order.goods)


def fee_from_coupon(campus: Campus, order: Order, now: dt.datetime) -> Fen:
    """The part of the cancellation fee the student's coupon pays, what their payment for the service does not
    bear. A coupon that pays any of it counts as used: the cancellation does not give it back
    (core.ledger.gives_subsidy_back), else cancelling late would be a way to use it again and again."""
    return cancellation_fee(campus, order, now) - fee_from_customer(campus, order, now)


def coupon_spent(campus: Campus, order: Order, now: dt.datetime) -> dict[str, Any]:
    """How a cancellation's question and notice say what the student's coupon pays of the runner's fee, so that
    it counts as used: all of the fee ("all"), the rest of what their payment bore ("part"), or nothing ("none")."""
    part = fee_from_coupon(campus, order, now)
    how = "none" if not part else "part" if fee_from_customer(campus, order, now) else "all"
    return {"coupon": how, "coupon_fee": part, "code": order.coupon_code or ""}


def refund_on_cancel(campus: Campus, order: Order, now: dt.datetime) -> Fen:
    if order.status is Status.awaiting_payment:
        return 0
    return order.total - fee_from_customer(campus, order, now)


def refund_on_operator_cancel(order: Order) -> Fen:
    """What an operator's cancellation gives back to the student's wallet: all they paid but goods bought with it,
    nothing before payment."""
    return 0 if order.status is Status.awaiting_payment else order.refundable
