"""SQLModel tables. Personal data (phone, room, real name, student number, complaint text) is stored only as
ciphertext."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, String, Text, TypeDecorator, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite forgets the zone, so it is put back on read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def _ts(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)  # telegram, wechat, console
    external_id: str = Field(max_length=64)  # the platform's user id
    campus_id: str = Field(max_length=32, index=True)
    display_name: str = Field(default="", max_length=64)
    language: str = Field(default="zh_CN", max_length=8)
    is_operator: bool = False
    suspended: bool = False
    started_bot: bool = True  # False: the platform will refuse our private messages (Telegram 403)
    phone_enc: Optional[str] = Field(default=None, sa_column=Column(Text))
    room_enc: Optional[str] = Field(default=None, sa_column=Column(Text))
    preference_tags: list = _json(list)
    created_at: dt.datetime = _ts(nullable=False)


class RunnerProfile(SQLModel, table=True):
    __tablename__ = "runner_profiles"

    user_id: int = Field(primary_key=True, foreign_key="users.id")
    campus_id: str = Field(max_length=32, index=True)
    status: str = Field(default="pending", max_length=16)  # pending, approved, rejected
    gender: str = Field(max_length=8)
    real_name_enc: str = Field(sa_column=Column(Text, nullable=False))
    student_no_enc: str = Field(sa_column=Column(Text, nullable=False))
    # The student-card photo (the channel's file id), encrypted: it shows the name and number above. None: no photo.
    card_photo_enc: Optional[str] = Field(default=None, sa_column=Column(Text))
    quiz_passed: bool = False
    suspended: bool = False
    credit: int
    rating_sum: int = 0
    rating_count: int = 0
    active_orders: int = 0  # changed only by conditional updates, so the limit holds under races
    completed_orders: int = 0
    # Tracked while the runner carries an order (the student may see it: /where).
    last_lat: Optional[float] = None
    last_lon: Optional[float] = None
    last_seen_at: Optional[dt.datetime] = _ts()
    # An idle runner sharing a live location: for dispatch only, never shown to students, until available_until.
    available_lat: Optional[float] = None
    available_lon: Optional[float] = None
    available_until: Optional[dt.datetime] = _ts()
    applied_at: dt.datetime = _ts(nullable=False)
    decided_by: Optional[int] = None
    decided_at: Optional[dt.datetime] = _ts()


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_status_campus", "status", "campus_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    campus_id: str = Field(max_length=32)
    customer_id: int = Field(foreign_key="users.id", index=True)
    runner_id: Optional[int] = Field(default=None, foreign_key="users.id", index=True)
    status: str = Field(max_length=20)
    task_type: str = Field(max_length=16)
    pickup_building: Optional[str] = Field(default=None, max_length=64)
    dropoff_building: str = Field(max_length=64)
    dropoff_floor: int = 1
    door_delivery: bool = False
    # Free text the student typed (a pickup code, a note with a phone or a name): encrypted like the contact.
    description_enc: Optional[str] = Field(default=None, sa_column=Column(Text))
    notes_enc: Optional[str] = Field(default=None, sa_column=Column(Text))
    weight_g: int = 0
    queue_minutes: int = 0  # queue errands: how long the student expects the queueing to take (0: not said)
    size: str = Field(default="small", max_length=8)
    urgent: bool = False
    tags: list = _json(list)
    gender_preference: Optional[str] = Field(default=None, max_length=8)
    favourite_runner_id: Optional[int] = None
    coupon_code: Optional[str] = Field(default=None, max_length=32)
    window_start: Optional[dt.datetime] = _ts()
    window_end: Optional[dt.datetime] = _ts()
    quote_lines: list = _json(list)
    distance_m: int = 0
    service_fee: int
    tip: int = 0
    discount: int = 0
    total: int
    commission: int
    runner_share: int
    goods: int = 0  # buy tasks: the goods money in total (fen), no part of the service fee
    # The campus's most goods money when the order was placed: a goods difference is asked up to it, whatever an
    # operator sets later (None: placed before it was kept, so the campus's limit now).
    max_goods: Optional[int] = None
    goods_spent: Optional[int] = None  # what the runner paid for the goods, told at pickup
    picked_up_at: Optional[dt.datetime] = _ts()  # kept after pickup: a buy task's goods may have been bought
    goods_extra: int = 0  # the difference the runner asks the student for, past the goods money (fen); 0: none
    extra_asked_at: Optional[dt.datetime] = _ts()  # since when: the delivery's deadline stands still until answered
    phone_enc: Optional[str] = Field(default=None, sa_column=Column(Text))
    room_enc: Optional[str] = Field(default=None, sa_column=Column(Text))
    created_at: dt.datetime = _ts(nullable=False)
    accepted_at: Optional[dt.datetime] = _ts()
    pay_by: Optional[dt.datetime] = _ts(index=True)
    reannounce_at: Optional[dt.datetime] = _ts(index=True)
    accept_by: Optional[dt.datetime] = _ts(index=True)
    pickup_by: Optional[dt.datetime] = _ts(index=True)
    deliver_by: Optional[dt.datetime] = _ts()
    # When the sweep reminded the runner that deliver_by passed (once per order; the outbox row is pruned later).
    late_reminded_at: Optional[dt.datetime] = _ts()
    auto_confirm_at: Optional[dt.datetime] = _ts(index=True)
    delivered_late: bool = False
    # Offered to one runner first (a named favourite, or auto-dispatch); others may grab after offer_until.
    offer_runner_id: Optional[int] = Field(default=None, foreign_key="users.id")
    offer_until: Optional[dt.datetime] = _ts(index=True)
    rating: Optional[int] = None
    rating_tags: list = _json(list)
    rating_comment_enc: Optional[str] = Field(default=None, sa_column=Column(Text))


class OrderEvent(SQLModel, table=True):
    """The full history of an order: every transition, who made it and when."""

    __tablename__ = "order_events"

    id: Optional[int] = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    event: str = Field(max_length=24)
    from_status: str = Field(max_length=20)
    to_status: str = Field(max_length=20)
    actor_role: str = Field(max_length=10)
    actor_id: Optional[int] = None
    runner_id: Optional[int] = None
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    at: dt.datetime = _ts(nullable=False)


class LedgerPosting(SQLModel, table=True):
    __tablename__ = "ledger_postings"

    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(String(128), unique=True, nullable=False))  # the idempotency key
    memo: str = Field(default="", max_length=256)
    at: dt.datetime = _ts(nullable=False)


class LedgerEntry(SQLModel, table=True):
    __tablename__ = "ledger_entries"

    id: Optional[int] = Field(default=None, primary_key=True)
    posting_id: int = Field(foreign_key="ledger_postings.id", index=True)
    account: str = Field(max_length=64, index=True)
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))


class Account(SQLModel, table=True):
    """Running balance per ledger account, kept beside the entries so overdraft checks are one conditional update."""

    __tablename__ = "accounts"

    name: str = Field(primary_key=True, max_length=64)
    balance: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class CreditRecord(SQLModel, table=True):
    __tablename__ = "credit_records"

    id: Optional[int] = Field(default=None, primary_key=True)
    runner_id: int = Field(foreign_key="users.id", index=True)
    event: str = Field(max_length=24)
    change: int
    score_after: int
    order_id: Optional[int] = None
    at: dt.datetime = _ts(nullable=False)


class Conversation(SQLModel, table=True):
    """Where a user is in a conversation, so a restart or another process carries on."""

    __tablename__ = "conversations"

    channel: str = Field(primary_key=True, max_length=16)
    external_id: str = Field(primary_key=True, max_length=64)
    state: str = Field(default="idle", max_length=48)
    data: dict = _json(dict)
    updated_at: dt.datetime = _ts(nullable=False)


class Outbox(SQLModel, table=True):
    """Messages owed to users and chats, written in the transaction that caused them."""

    __tablename__ = "outbox"

    id: Optional[int] = Field(default=None, primary_key=True)
    dedupe_key: str = Field(sa_column=Column(String(160), unique=True, nullable=False))
    channel: str = Field(max_length=16)
    recipient: str = Field(max_length=64)  # chat or user id on that channel
    payload: dict = _json(dict)
    status: str = Field(default="pending", max_length=10, index=True)  # pending, sent, failed
    attempts: int = 0
    next_attempt_at: dt.datetime = _ts(nullable=False, index=True)
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = _ts(nullable=False)
    sent_at: Optional[dt.datetime] = _ts()
    edit_key: Optional[str] = Field(default=None, max_length=64, index=True)  # a later message may replace this one
    sent_ref: Optional[str] = Field(default=None, max_length=64)  # the platform's id of the sent message


class Coupon(SQLModel, table=True):
    __tablename__ = "coupons"

    code: str = Field(primary_key=True, max_length=32)
    campus_id: str = Field(max_length=32)
    amount_off: int = 0
    percent_off_bp: int = 0
    cap: Optional[int] = None
    min_spend: int = 0
    valid_from: Optional[dt.datetime] = _ts()
    valid_until: Optional[dt.datetime] = _ts()
    max_uses: Optional[int] = None
    used: int = 0  # raised by a conditional update, so max_uses holds under races
    per_user: int = 1
    created_by: Optional[int] = None


class CouponRedemption(SQLModel, table=True):
    __tablename__ = "coupon_redemptions"
    __table_args__ = (UniqueConstraint("order_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(foreign_key="coupons.code", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    order_id: int = Field(foreign_key="orders.id")
    at: dt.datetime = _ts(nullable=False)


class Withdrawal(SQLModel, table=True):
    __tablename__ = "withdrawals"

    id: Optional[int] = Field(default=None, primary_key=True)
    runner_id: int = Field(foreign_key="users.id", index=True)
    amount: int
    status: str = Field(default="pending", max_length=10)  # pending, approved, rejected
    requested_at: dt.datetime = _ts(nullable=False)
    decided_by: Optional[int] = None
    decided_at: Optional[dt.datetime] = _ts()


class OperatorAction(SQLModel, table=True):
    __tablename__ = "operator_actions"

    id: Optional[int] = Field(default=None, primary_key=True)
    operator_id: int = Field(foreign_key="users.id", index=True)
    action: str = Field(max_length=32)
    target: str = Field(default="", max_length=64)
    details: dict = _json(dict)
    at: dt.datetime = _ts(nullable=False)


class ProcessedUpdate(SQLModel, table=True):
    """Inputs already handled (a platform's update id or message id), so a repeat changes nothing."""

    __tablename__ = "processed_updates"

    key: str = Field(primary_key=True, max_length=96)
    at: dt.datetime = _ts(nullable=False, index=True)


class Complaint(SQLModel, table=True):
    """A student's or runner's complaint about an order, waiting for an operator."""

    __tablename__ = "complaints"
    # One open complaint per person and order, held by the database so two at once cannot both be recorded.
    __table_args__ = (Index("ux_complaints_open", "order_id", "user_id", unique=True,
                            sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),)

    id: Optional[int] = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    user_id: int = Field(foreign_key="users.id")
    # The order's runner when the complaint was made: the one an upheld complaint counts against, even if the
    # order has been reassigned since. None: the order had no runner then.
    runner_id: Optional[int] = None
    text_enc: str = Field(sa_column=Column(Text, nullable=False))  # free text: may hold a phone, a room, a name
    status: str = Field(default="open", max_length=10)  # open, upheld, dismissed
    # The operator's note, kept in clear like every operator reason (it is also in operator_actions.details).
    resolution: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = _ts(nullable=False)
    decided_by: Optional[int] = None
    decided_at: Optional[dt.datetime] = _ts()


class KeptUpdate(SQLModel, table=True):
    """A Telegram update that brings money in (a successful payment), kept from before Telegram counts it delivered
    until it has been handled: a process that dies meanwhile (killed, or cut off by its stop) handles it at its next
    start (bot.telegram.kept_payments). Sealed: it names the payer."""

    __tablename__ = "kept_updates"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    body_enc: str = Field(sa_column=Column(Text, nullable=False))
    kept_at: dt.datetime = _ts(nullable=False)


class ChatMove(SQLModel, table=True):
    """A chat that now has another id (a Telegram group upgraded to a supergroup). The campus file is config and
    names the old one until an operator edits it, so the move is kept here for every process (storage.chat_moves)."""

    __tablename__ = "chat_moves"

    channel: str = Field(primary_key=True, max_length=16)
    old_chat: str = Field(primary_key=True, max_length=64)
    new_chat: str = Field(max_length=64)
    moved_at: dt.datetime = _ts(nullable=False)


class ServicePause(SQLModel, table=True):
    """A campus's ordering paused by an operator (/pause): no new order until `until` (None: until /resume). One row
    per campus, replaced by the next pause; a row whose `until` has passed is no pause. Orders placed before go on."""

    __tablename__ = "service_pauses"

    campus_id: str = Field(primary_key=True, max_length=32)
    until: Optional[dt.datetime] = _ts()
    reason: str = Field(default="", max_length=200)  # shown to students, so an operator's note, never personal
    paused_by: int = Field(foreign_key="users.id")
    paused_at: dt.datetime = _ts(nullable=False)


class HoursChange(SQLModel, table=True):
    """A campus's service hours as an operator set them from chat (/hours set), in place of the campus file's: one
    row per campus, replaced by the next change, deleted by /hours reset."""

    __tablename__ = "hours_changes"

    campus_id: str = Field(primary_key=True, max_length=32)
    windows: str = Field(max_length=2000)  # core.service_hours.dumps
    changed_by: int = Field(foreign_key="users.id")
    changed_at: dt.datetime = _ts(nullable=False)


class PricingChange(SQLModel, table=True):
    """A pricing rule an operator changed from chat (/pricing set), over the campus file's value (core.pricing_rules):
    one row per campus and rule, replaced by the next change, deleted by /pricing reset."""

    __tablename__ = "pricing_changes"

    campus_id: str = Field(primary_key=True, max_length=32)
    rule: str = Field(primary_key=True, max_length=32)  # as kept: core.pricing_rules.stored_key
    amount: int  # fen; basis points for the commission
    changed_by: int = Field(foreign_key="users.id")
    changed_at: dt.datetime = _ts(nullable=False)


class SweepHeartbeat(SQLModel, table=True):
    """When the timers last ran for a campus (handlers.sweep): a sweep that finds it longer ago than
    core.outage.OUTAGE_AFTER gives back the time the outage took from people's deadlines, and moves it on in the
    same transaction, so two processes restarting together give it back once. Per campus: processes serving other
    campuses on the same database keep their own timers."""

    __tablename__ = "sweep_heartbeats"

    campus_id: str = Field(primary_key=True, max_length=32)
    at: dt.datetime = _ts(nullable=False)


class OfferDecline(SQLModel, table=True):
    """A runner who passed on an order offered to them alone (Decline, or let the offer lapse): that order is not
    offered to them again, wherever it comes back from (handlers.hall.choose_offer_runner); they may still grab it
    in the hall. Ids and a time only: nothing personal to encrypt (storage.rekey)."""

    __tablename__ = "offer_declines"

    order_id: int = Field(foreign_key="orders.id", primary_key=True)
    runner_id: int = Field(foreign_key="users.id", primary_key=True)
    lapsed: bool  # let it lapse (the sweep), else declined
    at: dt.datetime = _ts(nullable=False)
