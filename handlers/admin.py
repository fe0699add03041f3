"""Operators: runner applications, orders (find, reassign, cancel, resolve), complaints, suspending users,
withdrawals, wallet top-ups and coupons (figures: handlers/reports.py).

Every command is registered operator_only, so the router refuses everyone else; the buttons ("adm:…") and the
conversation steps ("admin.…") check again, because a button can be forwarded to anyone. An operator works on their
own campus only: orders, users, applications and withdrawals of another campus are "not found".

Every change is recorded as an OperatorAction (who, what, on what, when) in the same transaction as the change, so a
refused action leaves no record and a recorded one really happened.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Awaitable
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import aliased

from core import credit as credit_rules
from core import ledger
from core.campus import Campus, CreditEvent
from core.clock import moment_mark
from core.dispatch import RunnerCandidate, ineligibility, pair_cost
from core.errors import DomainError, IllegalTransition, InvalidInput, NotAllowed
from core.money import CURRENCY_MARK, YUAN_UNIT, MoneyError, format_yuan, percent_to_bp, written_yuan_to_fen
from core.numbers import numbered, record_id, whole_number, without_number_sign
from core.order import (
    FINAL,
    Actor,
    Event,
    Order,
    Role,
    Status,
    Transition,
    allowed_events,
    operator_spent,
    refund_on_operator_cancel,
    refunded,
)
from core.order import reason as with_reason  # told without a "Reason:" line when none was given
from handlers.context import Ctx, free_text, is_operator, parse_id, quoted
from handlers.hall import end_offers, end_offers_past_limit
from handlers.io import Choice, Kind
from handlers.notify import Worded, money_args, plain_args
from handlers.ordering import typed_as_coupon_button
from handlers.orders import (
    COMPLAINT_NOTE,
    customer_card,
    load_order,
    move,
    order_line,
    parse_order_id,
    rating_tags_text,
    status_words,
)
from handlers.router import ROUTER
from storage import cards
from storage.grab import order_candidate
from storage.models import (
    Complaint,
    Coupon,
    CreditRecord,
    OperatorAction,
    RunnerProfile,
    User,
    Withdrawal,
)
from storage.models import Order as OrderRow
from storage.orders_repo import StaleOrder, to_domain
from storage.sql import insert_ignore

MAX_TOP_UP = 2000_00  # fen: a cash desk never takes more at once
MAX_COMPENSATION = 500_00
MAX_COUPON_OFF = 100_00
MAX_MIN_SPEND = 1000_00
MAX_COUPON_USES = 100_000
MAX_COUPON_DAYS = 366
MAX_REASON = 200  # characters of a reason or note
LIST_LIMIT = 10  # items shown by one list command
USER_ORDERS = 5  # a person's latest orders /find shows, as student and as runner
REASSIGN_SHOWN = 5  # runners the reassign question suggests
# '/find user #12' ('用户'): a person by their id, which alone, '/find #12', is an order's number.
USER_WORDS = frozenset({"user", "用户"})
TIME_FORMAT = "%m-%d %H:%M"

# Buttons on an order card: short codes keep the data well under Telegram's 64 bytes.
EVENT_CODES = {Event.operator_cancel: "oc", Event.resolve_complete: "rc", Event.resolve_refund: "rr",
               Event.resolve_reopen: "ro"}
# /resolve N <outcome>: the event each ends an order under review with.
RESOLUTIONS = {"complete": Event.resolve_complete, "refund": Event.resolve_refund, "reopen": Event.resolve_reopen}
CODE_EVENTS = {code: event for event, code in EVENT_CODES.items()}
# The events whose confirmation names what the student gets back: its Yes carries that figure (confirm_event).
REFUND_SHOWN = {Event.operator_cancel, Event.resolve_refund}
# A compensation or a goods' cost must be written as money: a bare number may as well begin the note ("40 minutes
# late").
_BARE_NUMBER = re.compile(r"^\d+([.,]\d*)?$")
# What is meant as money, right or wrong: a currency mark first (¥-5, RMB5, $5), a sign (-5), or a number in figures
# or words before a unit (5,5元, 1e3块, 五元). Taken as the compensation, so a wrong one is refused, not left in the note.
_LOOKS_LIKE_MONEY = re.compile(
    rf"^[-+−－]?(?:{CURRENCY_MARK}|[$＄])|^[-+−－][\d.]|^[\d.,，eE+\-−－〇零一二三四五六七八九十百千万两]+(?:{YUAN_UNIT})$",
    re.IGNORECASE)
# '5元，物品损坏', '¥5，note', '5元,note': an amount with the note joined to it by punctuation, as a Chinese keyboard
# types it (a comma after a bare figure only full-width: '¥5,5' is a wrong amount, refused, not ¥5 and a note).
_PUNCT = "，。、；：！？"
_JOINED_NOTE = re.compile(
    rf"(?P<money>[^{_PUNCT},;:]*?(?:(?:{YUAN_UNIT})(?=[{_PUNCT},;:])|\d(?=[{_PUNCT}])))[{_PUNCT},;:]+(?P<rest>.+)",
    re.IGNORECASE)
# '¥ 5', '5 元': a currency mark or unit written apart from its number.
_APART = re.compile(rf"(?:{CURRENCY_MARK}) [-+−－\d.]\S*|\d+([.,]\d*)? (?:{YUAN_UNIT})", re.IGNORECASE)
# /resolve's word for what a buy task's goods cost, alone ('spent ¥30', '花了 30元') or joined to money ('花了¥30',
# '花了30块'; a bare number after it is refused, split_spent); only money may follow it joined, so a note such as
# '花了很久' stays a note.
_SPENT = re.compile(rf"(?:spent|花了)(?P<amount>(?:{CURRENCY_MARK}|[-+−－\d.]).*)?", re.IGNORECASE)
_COUPON_CODE = re.compile(r"^[A-Z0-9_-]{3,32}$")
# A percentage coupon's cap, as an operator says it ("cap 5", "最高减5元", "封顶5"): led by a word, so it is never
# taken for the numbers read by position (min spend, uses, days), wherever it is written after the discount.
# (最多, "at most", may be of uses too: it is a cap only as 最多减 or before money written as such, 最多5元, 最多¥5.)
_COUPON_CAP = re.compile(r"^(?:cap|最高减?|最多减|封顶|最多(?=[¥￥]|[\d.]+(?:元|块)))[:：=]?(.*)$", re.IGNORECASE)
# A coupon's uses per student ("each 3", "每人3次", "每人限 3 次"), led by a word like the cap. Without it: once.
_COUPON_EACH = re.compile(r"^(?:each|每人限?)[:：=]?(\S*?)(?:次|张)?$", re.IGNORECASE)
_TIMES = re.compile(r"^(?:次|张|times?)$", re.IGNORECASE)  # the unit written apart: "each 3 times", "每人 3 次"
_JOINED_TIMES = re.compile(r"(?<=\S)(?:次|张)$")  # the unit joined to a number written apart: "each 3次", "每人 3张"
# The refusals of a decision taken already (perhaps by another operator a moment ago).
DECIDED = frozenset({"admin-application-decided", "admin-application-replaced", "admin-withdrawal-decided",
                     "admin-complaint-decided"})


# ---------------------------------------------------------------------------------------------------- helpers


async def record(ctx: Ctx, action: str, target: str, **details: Any) -> OperatorAction:
    """Write down who did what to what, and when, in the transaction that does it."""
    row = OperatorAction(operator_id=ctx.user_id, action=action, target=target[:64], details=details, at=ctx.now)
    ctx.uow.session.add(row)
    await ctx.uow.session.flush()
    return row


async def tell_other_operators(ctx: Ctx, key: str, **args: str | Worded) -> None:
    """A change an operator made (typed privately, perhaps) is news to the other operators: their chat is told who
    did it, in its own language; the chat it was typed in has its answer already."""
    await ctx.notify.operators(ctx.campus, key, besides=(ctx.input.channel, ctx.input.answer_chat),
                               who=who(ctx.user), **args)


def who(user: User | None) -> str:
    """How operators see a person: their name and the id commands take."""
    if user is None:
        return "—"
    return f"{user.display_name or user.external_id} (#{user.id})"


def local_time(campus: Campus, at: dt.datetime | None) -> str:
    return "—" if at is None else at.astimezone(campus.tz).strftime(TIME_FORMAT)


def mask(text: str | None) -> str:
    """A student number with its middle hidden: 2024001234 → 20******34."""
    text = text or ""
    if len(text) <= 4:
        return "*" * len(text)
    return text[:2] + "*" * (len(text) - 4) + text[-2:]


def applicant_id(text: str | None) -> int:
    return parse_id(text, bad="admin-bad-number", missing="admin-application-not-found", name="user")


def written_as_number(word: str) -> bool:
    """'12', '#12', '＃12', and '12x': a mistyped number, refused as such rather than looked up as a name."""
    return re.match(r"\d", without_number_sign(word)) is not None


async def applicant(ctx: Ctx, words: tuple[str, ...]) -> tuple[int, list[str]]:
    """Whose application a command is about, and the words after: a number ('12', '#12') as ever, an application no
    one has "not found", else the person as other commands name people (leading_user: a name, @name, channel:id,
    the real name they applied with)."""
    if written_as_number(words[0]):
        return applicant_id(words[0]), list(words[1:])
    user, rest = await leading_user(ctx, words, runners=True)
    return user.id, rest  # type: ignore[return-value]


def complaint_id(text: str | None) -> int:
    return parse_id(text, bad="admin-bad-number", missing="admin-complaint-not-found", name="complaint")


def withdrawal_id(text: str | None) -> int:
    return parse_id(text, bad="admin-bad-number", missing="admin-withdrawal-not-found", name="id")


def written_fen(text: str, invalid: str, what: str = "amount") -> int:
    """Yuan as an operator types it ('5', '5.5', '¥5', 'RMB5', '5元', '5块') → fen, whatever their sign.
    invalid: the refusal of what is no amount, whose example fits where it was written; what: parse_amount's."""
    try:
        return written_yuan_to_fen(text)
    except MoneyError:
        raise InvalidInput(invalid, text=quoted(text), what=what) from None


def parse_amount(text: str, *, maximum: int, invalid: str = "admin-amount-invalid", what: str = "amount",
                 zero: bool = False) -> int:
    """Yuan as an operator types it → positive fen, at most `maximum` (written_fen). what: which of a command's
    amounts it is (discount, min_spend, cap), named by both refusals so the operator sees which one to correct.
    zero: 0 is allowed too (it means none)."""
    fen = written_fen(text, invalid, what)
    if not (0 if zero else 1) <= fen <= maximum:
        raise InvalidInput("admin-amount-range", max=format_yuan(maximum), what=what)
    return fen


def ask(ctx: Ctx, usage_key: str, count: int) -> tuple[str, ...]:
    """The command's arguments, or its usage when there are fewer than `count`."""
    args = ctx.input.args
    if len(args) < count:
        raise InvalidInput(usage_key)
    return args


def begin(ctx: Ctx) -> None:
    """A new operator command ends any operator step in progress in its chat (so the next text is not taken as its
    answer). A question asked in the operators' chat waits in the operator's conversation there (Input.conversation),
    not in their private one."""
    if ctx.state.startswith("admin."):
        ctx.reset()


def answering(ctx: Ctx) -> bool:
    """The input replies to the step's question (in the operators' chat): what comes of it takes the question's
    place, so the question's Cancel button goes once the step is over."""
    return ctx.input.answers is not None


async def attempt(ctx: Ctx, work: Awaitable[None]) -> None:
    """Run a step answered by free text. If it is refused, nothing of it stays, the step ends and the reason is
    said; the step ending is kept (a savepoint, not the whole transaction, is rolled back)."""
    said = len(ctx.replies)
    try:
        async with ctx.uow.session.begin_nested():
            await work
    except DomainError as exc:
        del ctx.replies[said:]
        ctx.reset()
        args = {k: v for k, v in exc.args_.items() if isinstance(v, (str, int))}
        ctx.say(exc.key, edit=answering(ctx), **money_args(args))


async def load_user(ctx: Ctx, user_id: int) -> User:
    user = await ctx.uow.session.get(User, user_id)
    if user is None or user.campus_id != ctx.campus.id:
        raise InvalidInput("admin-user-not-found", text=f"#{user_id}")
    return user


async def resolve_user(ctx: Ctx, text: str, *, runners: bool = False) -> User:
    """A person on this campus by '#12', '＃12' or '12' (user id), 'channel:id' (the platform's id), their platform id,
    or their name; with runners=True also a runner's real name. Several matches are refused, listing them."""
    raw = text.strip()
    if not raw:
        raise InvalidInput("admin-user-not-found", text="")
    s = ctx.uow.session
    here = User.campus_id == ctx.campus.id
    ident = without_number_sign(raw)
    if (number := record_id(ident)) is not None:  # past any id, a number can still be a platform id
        user = await s.get(User, number)
        if user is not None and user.campus_id == ctx.campus.id:
            return user
        if numbered(raw):
            raise InvalidInput("admin-user-not-found", text=raw[:40])
    if ":" in raw:
        channel, external = raw.split(":", 1)
        found = list(await s.scalars(select(User).where(here, User.channel == channel, User.external_id == external)))
    else:
        named = sorted({raw, raw.removeprefix("@")} - {""})  # '@alice' as a chat mentions people, or a name with '@'
        found = list(await s.scalars(select(User).where(here, or_(
            User.external_id.in_(named), func.lower(User.display_name).in_([n.lower() for n in named])))))
        if runners:
            rows = await s.execute(select(RunnerProfile, User).join(User, User.id == RunnerProfile.user_id)
                                   .where(RunnerProfile.campus_id == ctx.campus.id))
            found += [u for p, u in rows if (ctx.services.cipher.decrypt(p.real_name_enc) or "") == raw]
    unique = {u.id: u for u in found}
    if not unique:
        raise InvalidInput("admin-user-not-found", text=raw[:40])
    if len(unique) > 1:
        raise InvalidInput("admin-user-ambiguous", text=raw[:40],
                           matches=ctx.t.join(who(u) for u in sorted(unique.values(), key=lambda u: u.id or 0)))
    return next(iter(unique.values()))


async def leading_user(ctx: Ctx, words: list[str] | tuple[str, ...], *, runners: bool = False
                       ) -> tuple[User, list[str]]:
    """The person a command's first words name (a name may have spaces: 'Carol Lee keeps spamming'), and the words
    after. A shorter and a longer name both matching, different people, is refused as ambiguous, not guessed at:
    before, /suspend Carol Lee … suspended Carol."""
    first = words[0]
    if numbered(first) or ":" in first or record_id(without_number_sign(first)) is not None:
        return await resolve_user(ctx, first, runners=runners), list(words[1:])
    found: dict[int, tuple[User, int]] = {}
    for n in range(len(words), 0, -1):  # a command's few words: each prefix, longest first
        try:
            user = await resolve_user(ctx, " ".join(words[:n]), runners=runners)
        except InvalidInput as refusal:
            if refusal.key != "admin-user-not-found":
                raise
            continue
        found.setdefault(user.id, (user, n))  # type: ignore[arg-type]
    if not found:
        raise InvalidInput("admin-user-not-found", text=first[:40])
    if len(found) > 1:
        raise InvalidInput("admin-user-ambiguous", text=" ".join(words)[:40],
                           matches=ctx.t.join(who(u) for u, _ in sorted(found.values(), key=lambda f: f[0].id or 0)))
    user, n = next(iter(found.values()))
    return user, list(words[n:])


async def status_now(ctx: Ctx, column: Any, where: Any) -> str:
    """An item's status as committed now: what its conditional update found it decided as, perhaps by another
    operator since it was read (on PostgreSQL that read may be older than the decision)."""
    return str(await ctx.uow.session.scalar(select(column).where(where)))


async def is_approved_runner(ctx: Ctx, user_id: int) -> bool:
    """Approved, suspended or not: whose menu a suspension or its end changes (storage.runners_repo.ACTIVE_RUNNER)."""
    profile = await ctx.uow.runners.get(user_id)
    return profile is not None and profile.status == "approved"


async def campus_order(ctx: Ctx, text: str | None) -> OrderRow:
    row = await load_order(ctx, parse_order_id(text))
    if row.campus_id != ctx.campus.id:
        raise InvalidInput("error-order-not-found", order=str(row.id))
    return row


def listed(total: int) -> dict[str, Any]:
    """A list title's arguments: how many wait, how many are shown, and whether that is only some of them (the
    title says how many it shows then only)."""
    shown = min(total, LIST_LIMIT)
    return {"count": total, "shown": shown, "more": "yes" if shown < total else "no"}


def item(kind: str, number: int) -> str:
    """What a list card shows, as the card names it (Reply.card): "application/12", "withdrawal/3", "complaint/7"."""
    return f"{kind}/{number}"


async def show_decided(ctx: Ctx, shown: str, key: str, args: dict[str, Any], *also: str | None) -> None:
    """The item was decided: every message of this chat known to show its card (storage.cards), and `also` (the
    card a question was asked from), says what became of it (`key`), without its buttons, unless a reply takes its
    place already (the card whose button decided it); so does every copy of it in other chats (another operator's,
    the admin chat), through the outbox."""
    known = await cards.showing(ctx.uow.session, ctx.input.channel, ctx.input.answer_chat, shown)
    for message in dict.fromkeys([*known, *(m for m in also if m is not None)]):
        if not ctx.replaced(message):
            ctx.say(key, replaces=message, **args)
    await ctx.notify.card_decided(shown, key, args, besides=(ctx.input.channel, ctx.input.answer_chat))


# ---------------------------------------------------------------------------------------------------- help


@ROUTER.command("admin", operator_only=True)
async def admin_help(ctx: Ctx) -> None:
    begin(ctx)
    ctx.say("admin-help")


# ---------------------------------------------------------------------------------------------------- applications


@ROUTER.command("applications", operator_only=True)
async def applications(ctx: Ctx) -> None:
    begin(ctx)
    pending = (RunnerProfile.campus_id == ctx.campus.id, RunnerProfile.status == "pending")
    total = await ctx.uow.session.scalar(select(func.count()).select_from(RunnerProfile).where(*pending))
    if not total:
        ctx.say("admin-applications-none")
        return
    rows = await ctx.uow.session.execute(
        select(RunnerProfile, User).join(User, User.id == RunnerProfile.user_id).where(*pending)
        .order_by(RunnerProfile.applied_at, RunnerProfile.user_id).limit(LIST_LIMIT))
    ctx.say("admin-applications-title", **listed(total))
    cipher = ctx.services.cipher
    for p, u in rows:
        # The card goes with the student-card photo; a file id is the applicant's channel's, useless on another.
        card_photo = cipher.decrypt(p.card_photo_enc)
        photo = card_photo if card_photo and u.channel == ctx.input.channel else None
        ctx.say("admin-application", user=str(p.user_id), who=who(u),
                name=cipher.decrypt(p.real_name_enc) or "—", student_no=mask(cipher.decrypt(p.student_no_enc)),
                gender=p.gender, card_photo="attached" if photo else "elsewhere" if card_photo else "none",
                applied=local_time(ctx.campus, p.applied_at), photo=photo, card=item("application", p.user_id),
                choices=[[ctx.button("admin-button-approve", f"adm:approve:{p.user_id}:{applied_mark(p.applied_at)}"),
                          ctx.button("admin-button-reject", f"adm:reject:{p.user_id}:{applied_mark(p.applied_at)}")]])


def applied_mark(applied_at: dt.datetime) -> str:
    """Which application of a person a card or a reason question is about (when it was sent): one left over from
    an application decided since must not decide the one they sent again after it (see handlers.runner.apply_photo)."""
    return moment_mark(applied_at)


async def load_application(ctx: Ctx, user_id: int) -> RunnerProfile:
    """An application (a runner profile) of this campus."""
    profile = await ctx.uow.runners.get(user_id)
    if profile is None or profile.campus_id != ctx.campus.id:
        raise InvalidInput("admin-application-not-found", user=str(user_id))
    return profile


def replaced_application(user_id: int) -> InvalidInput:
    """The application a card or a question was about was decided, and its applicant has applied again since."""
    return InvalidInput("admin-application-replaced", user=str(user_id))


async def pending_application(ctx: Ctx, user_id: int, applied: str | None = None) -> RunnerProfile:
    """The application, still waiting for a decision: else refused before anything is asked about it.
    applied: the mark of the application asked about (applied_mark), if known."""
    profile = await load_application(ctx, user_id)
    if applied is not None and applied != applied_mark(profile.applied_at):
        raise replaced_application(user_id)
    if profile.status != "pending":
        raise InvalidInput("admin-application-decided", user=str(user_id), status=profile.status)
    return profile


async def decide_application(ctx: Ctx, user_id: int, approve: bool, reason: str = "", *, edit: bool = False,
                             card: str | None = None, applied: str | None = None) -> None:
    """card: the application card the decision was asked from (Input.message), which then says it too, as do the
    other cards of it shown in this chat. applied: the mark of the application decided (applied_mark), if known:
    another one sent since is not decided in its place."""
    profile = await load_application(ctx, user_id)  # of this campus, else "not found"
    status = "approved" if approve else "rejected"
    which = [RunnerProfile.user_id == user_id, RunnerProfile.status == "pending"]
    if applied is not None:
        if applied != applied_mark(profile.applied_at):
            raise replaced_application(user_id)
        which.append(RunnerProfile.applied_at == profile.applied_at)  # not one sent again since it was read
    decided = await ctx.uow.session.execute(
        update(RunnerProfile).where(*which).values(status=status, decided_by=ctx.user_id, decided_at=ctx.now)
        .execution_options(synchronize_session=False))
    if decided.rowcount != 1:  # decided already, perhaps by another operator a moment ago: say what they decided
        if applied is not None:  # sent again since it was read?
            now_applied = await ctx.uow.session.scalar(
                select(RunnerProfile.applied_at).where(RunnerProfile.user_id == user_id))
            if applied_mark(now_applied) != applied:
                raise replaced_application(user_id)
        raise InvalidInput("admin-application-decided", user=str(user_id),
                           status=await status_now(ctx, RunnerProfile.status, RunnerProfile.user_id == user_id))
    applicant = await load_user(ctx, user_id)
    if approve:
        await record(ctx, "approve_runner", f"user:{user_id}")
        quiz = "passed" if profile.quiz_passed else "ahead"  # taken already while the application waited?
        await ctx.notify.user(user_id, "admin-runner-approved", quiz=quiz)
        await ctx.notify.menu(user_id)  # the runner commands appear in their menu
        said = ctx.say("admin-application-approved", who=who(applicant), quiz=quiz, edit=edit)
    else:
        await record(ctx, "reject_runner", f"user:{user_id}", reason=reason)
        await ctx.notify.user(user_id, "admin-runner-rejected", reason=reason)
        said = ctx.say("admin-application-rejected", who=who(applicant), reason=reason, edit=edit)
    await show_decided(ctx, item("application", user_id), said.key, said.args, card)


async def ask_reject_reason(ctx: Ctx, profile: RunnerProfile, card: str | None = None) -> None:
    """card: the application card whose Reject was pressed (Input.message), to be edited once decided. The
    question is about this application: the reason rejects no other one sent after it (applied_mark)."""
    ctx.go("admin.reject", reject_user=profile.user_id, reject_applied=applied_mark(profile.applied_at), card=card)
    await ask_current_step(ctx)


async def ask_refuse_reason(ctx: Ctx, withdrawal_id: int, card: str | None = None) -> None:
    """card: the withdrawal card whose Refuse was pressed (Input.message), to be edited once decided."""
    ctx.go("admin.refusepayout", refuse_withdrawal=withdrawal_id, card=card)
    await ask_current_step(ctx)


@ROUTER.asks_again("admin.")  # after /language in the private chat (the operators' chat has no /language)
async def ask_current_step(ctx: Ctx) -> None:
    """The question of the operator's step: the reason of a rejection or of a refused withdrawal, or the runner to
    reassign an order to."""
    if ctx.state == "admin.reject":
        ask_step(ctx, "admin-ask-reject-reason", user=str(ctx.data.get("reject_user", 0)))
    elif ctx.state == "admin.refusepayout":
        ask_step(ctx, "admin-ask-refuse-reason", id=str(ctx.data.get("refuse_withdrawal", 0)))
    else:
        order_id = int(ctx.data.get("reassign_order", 0))
        ask_step(ctx, "admin-ask-runner-list", order=str(order_id), runners=await reassign_choices(ctx, order_id))


def ask_step(ctx: Ctx, key: str, **args: str) -> None:
    """A question whose answer is typed. Its Cancel button ends the step; in the operators' chat, where the answer
    is a reply to the question, the button's step token also tells which question a reply answers, and the outcome
    takes the question's place; in a private chat the question loses the button once the step ends (Ctx.ask)."""
    ctx.ask(key, choices=[[ctx.step("admin-button-cancel-step", "cancel")]], **args)


def cancelled_step(ctx: Ctx) -> bool:
    """The question's Cancel was pressed (or a stale button of it: refused)."""
    if ctx.input.kind is not Kind.choice:
        return False
    if ctx.step_value(ctx.input.choice or "") != "cancel":
        return False
    end_step(ctx, edit=True)
    return True


@ROUTER.ended_by_cancel("admin.")
async def cancel_step(ctx: Ctx) -> None:
    """A bare /cancel does what the question's Cancel button does."""
    end_step(ctx)


def end_step(ctx: Ctx, *, edit: bool = False) -> None:
    ctx.reset()
    ctx.say("admin-step-cancelled", edit=edit)


@ROUTER.command("approve", operator_only=True)
async def approve_cmd(ctx: Ctx) -> None:
    begin(ctx)
    args = ask(ctx, "admin-usage-approve", 1)
    await decide_application(ctx, (await applicant(ctx, args))[0], True)


@ROUTER.command("reject", operator_only=True)
async def reject_cmd(ctx: Ctx) -> None:
    begin(ctx)
    args = ask(ctx, "admin-usage-reject", 1)
    user_id, words = await applicant(ctx, args)
    reason = free_text(" ".join(words), limit=MAX_REASON)
    if not reason:
        await ask_reject_reason(ctx, await pending_application(ctx, user_id))  # none about what is decided
        return
    await decide_application(ctx, user_id, False, reason)


@ROUTER.state("admin.reject", "admin.refusepayout")
async def reason_step(ctx: Ctx) -> None:
    """The reason of a rejected application or a refused withdrawal, which the person is told."""
    ctx.require_operator()
    if cancelled_step(ctx):
        return
    reason = free_text(ctx.input.text, limit=MAX_REASON) if ctx.input.kind is Kind.text else ""
    if not reason:
        await ask_current_step(ctx)
        return
    state, card = ctx.state, ctx.data.get("card")
    user_id, withdrawal_id = int(ctx.data.get("reject_user", 0)), int(ctx.data.get("refuse_withdrawal", 0))
    applied = ctx.data.get("reject_applied")
    ctx.reset()
    if state == "admin.reject":
        await attempt(ctx, decide_application(ctx, user_id, False, reason, edit=answering(ctx), card=card,
                                              applied=applied))
    else:
        await attempt(ctx, decide_withdrawal(ctx, withdrawal_id, False, reason, edit=answering(ctx), card=card))


# ---------------------------------------------------------------------------------------------------- orders


def complained_about(complaint: Complaint, runner: User | None) -> str:
    """The runner a complaint is about (the order's when it was made, whom upholding it counts against), unless
    that is who wrote it: "none" then, for the locales."""
    return who(runner) if runner is not None and runner.id != complaint.user_id else "none"


async def show_order(ctx: Ctx, row: OrderRow, *, replaces: str | None = None) -> None:
    """The order as its customer sees it, who is on it, its whole history and the operator events that apply.
    replaces: the card shown earlier (Input.message), brought up to date in its place."""
    t = ctx.t
    campus = ctx.services.campuses[row.campus_id]
    s = ctx.uow.session
    history = await ctx.uow.orders.history(row.id)  # type: ignore[arg-type]
    complaints = list(await s.scalars(select(Complaint).where(Complaint.order_id == row.id).order_by(Complaint.id)))
    ids = {row.customer_id, row.runner_id, *(e.actor_id for e in history), *(e.runner_id for e in history),
           *(u for c in complaints for u in (c.user_id, c.runner_id))}
    ids.discard(None)
    users = {u.id: u for u in await s.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    parts = [customer_card(t, campus, row, ctx.services.cipher, reader="operator"),
             t("admin-order-people", customer=who(users.get(row.customer_id)),
               runner=who(users.get(row.runner_id)) if row.runner_id else "—",
               created=local_time(campus, row.created_at))]
    if row.rating is not None:  # what the student told the runner, for a complaint or a dispute about them
        comment = ctx.services.cipher.decrypt(row.rating_comment_enc) or ""
        tags = row.rating_tags or []
        parts.append(t("admin-order-rating", stars=row.rating, tags=rating_tags_text(t, tags),
                       tagged="yes" if tags else "no", comment=comment, commented="yes" if comment else "no"))
    order = to_domain(row)
    if order.goods_unsaid:  # what ending it will ask for (operator_spent), said before the operator tries
        parts.append(t("admin-order-goods-unsaid", goods=format_yuan(row.goods)))
    parts.append(t("admin-history-title"))
    for e in history:
        actor = t("admin-actor", role=e.actor_role,
                  who=who(users.get(e.actor_id)) if e.actor_id is not None else "")
        line = t("admin-history-line", time=local_time(campus, e.at), event=e.event,
                 before=status_words(t, row, e.from_status), after=status_words(t, row, e.to_status), actor=actor,
                 refunded=cancel_refunds(dataclasses.replace(order, status=Status(e.from_status))),
                 covered="yes" if order.covered_by_coupon else "no")
        if e.event == Event.reassign.value:  # whom it went to: the order's runner may have changed since
            line = t("admin-history-to", line=line, runner=who(users.get(e.runner_id)))
        if e.event == Event.report.value and (ref := COMPLAINT_NOTE.fullmatch(e.note)):
            line = t("admin-history-complaint", line=line, complaint=ref[1])
        elif e.note:
            line = t("admin-history-note", line=line, note=e.note)
        parts.append(line)
    if not history:
        parts.append(t("admin-history-none"))
    for c in complaints:
        parts.append(t("admin-complaint-line", complaint=str(c.id), order=str(c.order_id),
                       who=who(users.get(c.user_id)), runner=complained_about(c, users.get(c.runner_id)),
                       time=local_time(campus, c.created_at), status=c.status,
                       text=ctx.services.cipher.decrypt(c.text_enc)))
    buttons: list[Choice] = []
    for event in allowed_events(order, Actor(Role.operator, ctx.user_id)):
        if event is Event.reassign:
            buttons.append(ctx.button("admin-button-event", f"adm:ra:{row.id}", event=event.value))
        elif event in EVENT_CODES:
            buttons.append(ctx.button("admin-button-event", f"adm:ev:{row.id}:{EVENT_CODES[event]}", event=event.value,
                                      refunded=cancel_refunds(order)))
    ctx.say_text("admin-order", "\n".join(parts), choices=[buttons] if buttons else None, replaces=replaces)


def cancel_refunds(order: Order) -> str:
    """Whether an operator's cancellation of the order (as it is, or was when cancelled) gives anything back: not
    for an order never paid, nor one a coupon paid in full; its button and history then say "cancel", no refund."""
    return "yes" if refund_on_operator_cancel(order) else "no"


async def refresh_card(ctx: Ctx, order_id: int, card: str | None) -> None:
    """The order card an action was taken from through another message (a confirmation, a question) is brought up
    to date: its history shows the action and it offers only what the order still allows."""
    row = await ctx.uow.orders.get_row(order_id) if card is not None else None
    if row is not None:
        await show_order(ctx, row, replaces=card)


@ROUTER.command("find", operator_only=True)
async def find(ctx: Ctx) -> None:
    """/find 12 (or #12): an order. /find alice, @alice, console:alice, a runner's real name, /find user #12: a
    person."""
    begin(ctx)
    args = ask(ctx, "admin-usage-find", 1)
    if args[0].lower() in USER_WORDS and len(args) > 1:
        await show_user(ctx, await resolve_user(ctx, " ".join(args[1:]), runners=True))
    elif written_as_number(args[0]):  # an order's number
        await show_order(ctx, await campus_order(ctx, args[0]))
    else:
        await show_user(ctx, await resolve_user(ctx, " ".join(args), runners=True))


async def show_user(ctx: Ctx, user: User) -> None:
    """A person as an operator needs them: their role, whether suspended, their wallet; as a runner their
    application or standing (credit, orders carried, rating) and earnings; their latest orders as student and as
    runner, newest first, each with a button to its card. Never their phone or room."""
    t, s, uid = ctx.t, ctx.uow.session, user.id
    profile = await ctx.uow.runners.get(uid)  # type: ignore[arg-type]
    role = "operator" if is_operator(ctx.campus, user) else \
        "runner" if profile is not None and profile.status == "approved" else "student"
    parts = [t("admin-user", who=who(user), role=role, suspended="yes" if user.suspended else "no",
               wallet=format_yuan(await ctx.uow.ledger.balance(ledger.customer(uid))))]  # type: ignore[arg-type]
    if profile is not None:
        rated = profile.rating_count > 0
        parts.append(t("admin-user-runner", status=profile.status, applied=local_time(ctx.campus, profile.applied_at),
                       suspended="yes" if profile.suspended or user.suspended else "no",
                       active=profile.active_orders, completed=profile.completed_orders,
                       rating=f"{profile.rating_sum / profile.rating_count:.1f}" if rated else "none",
                       balance=format_yuan(await ctx.uow.ledger.balance(ledger.runner(uid))),  # type: ignore[arg-type]
                       **credit_rules.told_score(ctx.campus.credit, profile.credit)))
    listed: list[int] = []
    for side, column in (("student", OrderRow.customer_id), ("runner", OrderRow.runner_id)):
        if side == "runner" and profile is None:
            continue
        mine = (column == uid, OrderRow.campus_id == ctx.campus.id)
        count = await s.scalar(select(func.count()).select_from(OrderRow).where(*mine)) or 0
        rows = list(await s.scalars(select(OrderRow).where(*mine)
                                    .order_by(OrderRow.created_at.desc(), OrderRow.id.desc()).limit(USER_ORDERS)))
        lines = [t("admin-user-order", line=order_line(t, ctx.campus, row),
                   created=local_time(ctx.campus, row.created_at)) for row in rows]
        parts += [t("admin-user-orders", side=side, count=count, shown=len(rows), hidden=count - len(rows)), *lines]
        listed += [row.id for row in rows if row.id not in listed]  # type: ignore[misc]
    buttons = [ctx.button("admin-button-order", f"adm:find:{n}", order=str(n)) for n in listed]
    ctx.say_text("admin-user", "\n".join(parts), choices=[buttons[i:i + 4] for i in range(0, len(buttons), 4)])


async def reassign_choices(ctx: Ctx, order_id: int) -> str:
    """The runners the order may be reassigned to (as reassign_order checks them, past the busy limit too), under
    the question: the most suitable few as dispatch weighs them (core.dispatch.pair_cost: the walk to the pickup,
    orders carried, credit, rating), then those whose position is unknown, the least busy first."""
    row = await ctx.uow.orders.get_row(order_id)
    if row is None:
        return ctx.t("admin-reassign-none")
    campus = ctx.services.campuses[row.campus_id]
    order = order_candidate(campus, row)
    eligible = {c.user_id: c for c in await ctx.uow.runners.candidates(campus.id, ctx.now)
                if c.user_id != row.runner_id
                and ineligibility(campus, dataclasses.replace(c, active_orders=0), order) is None}
    users = {u.id: u for u in await ctx.uow.session.scalars(select(User).where(
        User.id.in_(list(eligible)), User.started_bot.is_(True)))} if eligible else {}
    busy_m = campus.dispatch.weights.per_active_order_m

    def rank(c: RunnerCandidate) -> tuple[bool, float, int, int]:
        cost = pair_cost(campus, dataclasses.replace(c, active_orders=0), order)
        return cost is None, c.active_orders if cost is None else cost + busy_m * c.active_orders, -c.credit, c.user_id

    ranked = sorted((eligible[uid] for uid in users), key=rank)
    if not ranked:
        return ctx.t("admin-reassign-none")
    lines = [ctx.t("admin-reassign-runner", who=who(users[c.user_id]), active=c.active_orders)
             for c in ranked[:REASSIGN_SHOWN]]
    return ctx.t("admin-reassign-runners", count=len(ranked), shown=len(lines), hidden=len(ranked) - len(lines),
                 lines="\n".join(lines))


async def reassign_order(ctx: Ctx, row: OrderRow, runner_text: str, *, edit: bool = False) -> None:
    if Event.reassign not in allowed_events(to_domain(row), Actor(Role.operator, ctx.user_id)):
        raise IllegalTransition(status=row.status, event=Event.reassign.value)
    target = await resolve_user(ctx, runner_text, runners=True)
    candidate = await ctx.uow.runners.candidate(target.id, ctx.now)  # type: ignore[arg-type]
    if candidate is None:
        raise InvalidInput("admin-not-a-runner", who=who(target))
    campus = ctx.services.campuses[row.campus_id]
    # Every rule of the grab holds, except the busy limit: an operator may load a runner past it.
    reason = ineligibility(campus, dataclasses.replace(candidate, active_orders=0), order_candidate(campus, row))
    if reason is not None:
        raise NotAllowed("admin-runner-ineligible", who=who(target), reason=reason)
    if not target.started_bot:  # as the hall and the offers: the order's details could not reach them
        raise NotAllowed("admin-runner-unreachable", who=who(target))
    before = row.runner_id
    await move(ctx, row, Event.reassign, Role.operator, runner_id=target.id)
    # Offers their Accept would now refuse go to the hall, as after a grab.
    await end_offers_past_limit(ctx.services, ctx.uow, campus, target.id, ctx.now)  # type: ignore[arg-type]
    await record(ctx, "reassign", f"order:{row.id}", runner_from=before, runner_to=target.id)
    ctx.say("admin-reassigned", order=str(row.id), who=who(target), edit=edit)


@ROUTER.command("reassign", operator_only=True)
async def reassign(ctx: Ctx) -> None:
    begin(ctx)
    args = ask(ctx, "admin-usage-reassign", 2)
    await reassign_order(ctx, await campus_order(ctx, args[0]), " ".join(args[1:]))


@ROUTER.state("admin.reassign")
async def reassign_step(ctx: Ctx) -> None:
    ctx.require_operator()
    if cancelled_step(ctx):
        return
    order_id = int(ctx.data.get("reassign_order", 0))
    if ctx.input.kind is not Kind.text or not ctx.input.text.strip():
        await ask_current_step(ctx)
        return
    card = ctx.data.get("card")
    ctx.reset()

    async def work() -> None:
        await reassign_order(ctx, await campus_order(ctx, str(order_id)), ctx.input.text, edit=answering(ctx))
        await refresh_card(ctx, order_id, card)

    await attempt(ctx, work())


async def cancel_order(ctx: Ctx, row: OrderRow, reason: str, *, goods_spent: int | None = None,
                       edit: bool = False) -> None:
    """goods_spent: what the goods cost, which the operator gives for a buy task whose runner did not say it."""
    if row.status == Status.exception.value:
        # Under review the order is closed by /resolve, which decides its complaints too: name it, not "impossible".
        raise IllegalTransition("admin-cancel-under-review", order=str(row.id))
    t = await move(ctx, row, Event.operator_cancel, Role.operator, note=reason, goods_spent=goods_spent)
    refund = refund_on_operator_cancel(t.settled)
    await record(ctx, "cancel_order", f"order:{row.id}", reason=reason, refund=refund, goods_spent=goods_spent)
    # Not paid: nothing was charged. Else as the student's notice says it (core.order.refunded).
    paid = "unpaid" if t.before.status is Status.awaiting_payment else refunded("refund", refund, t.before)["refunded"]
    ctx.say("admin-order-cancelled", order=str(row.id), refund=format_yuan(refund), paid=paid, **operator_goods_args(t),
            edit=edit)


def operator_goods_args(t: Transition) -> dict[str, str]:
    """What the end of the order paid its runner back for goods, for the operator's confirmation."""
    return {"spent": format_yuan(t.after.goods_paid_back), "repaid": "yes" if t.after.goods_paid_back else "no"}


@ROUTER.command("cancelorder", operator_only=True)
async def cancel_order_cmd(ctx: Ctx) -> None:
    """/cancelorder N [¥cost] [reason]: the cost of a buy task's goods, written as money, when its runner did not
    say it."""
    begin(ctx)
    args = ask(ctx, "admin-usage-cancelorder", 1)
    row = await campus_order(ctx, args[0])
    words = args[1:]
    # A cost is read only where one is asked (goods bought, their cost unsaid); anywhere else all the words are the
    # reason ('5元 too dear', '40 minutes late').
    if not to_domain(row).goods_unsaid:
        written, rest = None, list(words)
    else:
        written, rest = split_money(words, unmarked="admin-cost-unmarked")
    spent = None if written is None else written_fen(written, "admin-cost-invalid")
    await cancel_order(ctx, row, free_text(" ".join(rest), limit=MAX_REASON), goods_spent=spent)


# ---------------------------------------------------------------------------------------------------- complaints


async def compensate(ctx: Ctx, row: OrderRow, amount: int, user_id: int | None = None) -> str:
    """Platform revenue → the order's student, or one of its runners (`user_id`: whose complaint it answers; the
    student when None), into their wallet or earnings. One compensation per order and person, so a repeat is
    refused rather than paid twice. Returns who received it, for the operator's confirmation; nothing when
    `amount` is 0."""
    if not amount:
        return ""
    to = row.customer_id if user_id is None else user_id
    posting = ledger.compensation(row.id, to, amount) if to == row.customer_id \
        else ledger.runner_compensation(row.id, to, amount)  # type: ignore[arg-type]
    # Posted already, or by a racing command now (post() is False): paid once, and the operator is told so.
    if await ctx.uow.ledger.posted(posting.key) or not await ctx.uow.ledger.post(posting, ctx.now):
        raise InvalidInput("admin-already-compensated", order=str(row.id), to=recipient(row, to))
    await ctx.notify.user(to, "admin-compensated", order=str(row.id), amount=amount, to=recipient(row, to))
    return who(await ctx.uow.session.get(User, to))


def recipient(row: OrderRow, user_id: int) -> str:
    """Whom a compensation of this order goes to, as its texts say it: the student, or a runner."""
    return "student" if user_id == row.customer_id else "runner"


async def decide_complaint(ctx: Ctx, complaint: Complaint, row: OrderRow, upheld: bool, note: str,
                           *, told: str | None = None) -> int | None:
    """Uphold or dismiss one open complaint; tells the person who made it (`told`: in other words than the plain
    decision's). Returns the runner it counts against (a customer's complaint upheld), so the caller applies the
    credit event once per order and runner: the runner the order had when the complaint was made, not whoever has
    it now (it may have been reassigned since)."""
    status = "upheld" if upheld else "dismissed"
    done = await ctx.uow.session.execute(
        update(Complaint).where(Complaint.id == complaint.id, Complaint.status == "open")
        .values(status=status, resolution=note, decided_by=ctx.user_id, decided_at=ctx.now)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise InvalidInput("admin-complaint-decided", complaint=str(complaint.id),
                           status=await status_now(ctx, Complaint.status, Complaint.id == complaint.id))
    await ctx.notify.user(complaint.user_id, told or f"admin-complaint-{status}", complaint=str(complaint.id),
                          order=str(row.id), note=note, given=with_reason(note)["given"])
    return complaint.runner_id if upheld and complaint.user_id == row.customer_id else None


async def penalise_runners(ctx: Ctx, row: OrderRow, runners: set[int]) -> str:
    """The upheld-complaint credit event for each runner, once per order however many complaints /uphold and
    /resolve uphold; each is told, and loses the offers their new score no longer allows. Returns who they are,
    for the operator's confirmation (empty: nobody)."""
    campus = ctx.services.campuses[row.campus_id]
    named = []
    for runner_id in sorted(runners):
        penalised = await ctx.uow.session.scalar(select(CreditRecord.id).where(
            CreditRecord.runner_id == runner_id, CreditRecord.order_id == row.id,
            CreditRecord.event == CreditEvent.complaint_upheld.value).limit(1))
        if penalised is not None:
            continue
        made = await ctx.uow.runners.apply_credit(campus, runner_id, CreditEvent.complaint_upheld, ctx.now,
                                                  order_id=row.id)
        await ctx.notify.user(runner_id, "runner-credit-complaint", order=str(row.id), change=f"{made.change:+d}",
                              **credit_rules.told_score(campus.credit, made.score_after))
        await end_offers_past_limit(ctx.services, ctx.uow, campus, runner_id, ctx.now)
        named.append(who(await ctx.uow.session.get(User, runner_id)))
    return ctx.t.join(named)


async def resolve_order(ctx: Ctx, row: OrderRow, outcome: str, compensation: int, note: str,
                        *, goods_spent: int | None = None, edit: bool = False) -> None:
    """Close an exception: the runner is paid (complete) or the customer refunded (refund), perhaps with a
    compensation on top. The student's open complaints on the order are decided with it: upheld when the outcome
    answers them (a refund, a reopen or a compensation), else dismissed. A runner's is decided only by a completion
    that pays that runner, which upholds it (they are paid); a refund or a reopen says nothing of it (a wasted trip,
    goods dearer than the student gave), nor does a completion paying another runner (it had the order before a
    reopen), so it stays open for its own /uphold, with the runner's compensation, or /dismiss. An operator
    who sees it otherwise decides the complaint first with /uphold or /dismiss.
    goods_spent: what the goods cost, which the operator gives for a buy task whose runner did not say it."""
    event = RESOLUTIONS[outcome]
    t = await move(ctx, row, event, Role.operator, note=note, goods_spent=goods_spent)
    row = await ctx.uow.orders.get_row(row.id) or row  # type: ignore[arg-type]
    student = await compensate(ctx, row, compensation)
    complaints = list(await ctx.uow.session.scalars(
        select(Complaint).where(Complaint.order_id == row.id, Complaint.status == "open").order_by(Complaint.id)))
    against: set[int] = set()
    upheld = 0
    left: list[int] = []  # runners' complaints the outcome does not decide
    for c in complaints:
        by_customer = c.user_id == row.customer_id
        # A completion answers only the complaint of the runner it pays: one who had the order before a reopen
        # (or a reassignment) is paid nothing by it, so theirs stays open as on a refund.
        if not by_customer and (outcome != "complete" or c.user_id != row.runner_id):
            left.append(c.id)  # type: ignore[arg-type]
            continue
        # Back to the hall: the student's complaint is answered (their runner is replaced).
        favoured = (outcome != "complete" or compensation > 0) if by_customer else True
        told = None if by_customer else "admin-complaint-upheld-completed"
        if (runner_id := await decide_complaint(ctx, c, row, favoured, note, told=told)) is not None:
            against.add(runner_id)
        upheld += favoured
        # The card says what became of it, an outcome (not the refusal of a second decision).
        await show_decided(ctx, item("complaint", c.id), "admin-complaint-resolved",  # type: ignore[arg-type]
                           {"complaint": str(c.id), "order": str(row.id),
                            "status": "upheld" if favoured else "dismissed"})
    decided = len(complaints) - len(left)
    penalised = await penalise_runners(ctx, row, against)
    await record(ctx, "resolve", f"order:{row.id}", outcome=outcome, compensation=compensation, note=note,
                 complaints_upheld=upheld, complaints_dismissed=decided - upheld, complaints_open=left or None,
                 goods_spent=goods_spent)
    # A refund that gives nothing back (a coupon paid it all, or all of it went to the goods) says so, as the
    # student's notice does (core.order.refunded), not "refunded".
    worded = outcome
    if outcome == "reopen" and t.after.status is Status.expired:  # its window is over (core.order.BACK_TO_HALL)
        worded = "expired"
    if outcome == "refund":
        worded = {"yes": "refund", "no": "covered", "goods": "goods"}[
            refunded("refund", t.settled.refundable, t.settled)["refunded"]]
    ctx.say("admin-resolved", order=str(row.id), outcome=worded, compensation=format_yuan(compensation),
            compensated="yes" if compensation else "no", student=student, upheld=upheld,
            dismissed=decided - upheld, penalised=penalised or "none", **operator_goods_args(t),
            left=", ".join(f"#{c}" for c in left) or "none", first=str(left[0]) if left else "", edit=edit)


def joined(args: tuple[str, ...] | list[str]) -> list[str]:
    """The words, with a currency mark or unit written apart from its number joined to it ('¥ 5' → '¥5')."""
    rest = list(args)
    if len(rest) > 1 and _APART.fullmatch(" ".join(rest[:2])):
        rest[:2] = ["".join(rest[:2])]
    return rest


def split_money(args: tuple[str, ...], *, unmarked: str) -> tuple[str | None, list[str]]:
    """'[amount] [words…]': an optional leading amount written as money (¥5, 5元), as written, and the words after
    it. A bare number first is refused (`unmarked`), not guessed at: paying '40 minutes late' as 40 yuan cannot be
    taken back; what is written as money but is no amount (¥-5, 5,5元) is taken as the amount, so that reading it
    refuses it rather than the words keep it while the order's end, irreversible, went ahead without it."""
    rest = joined(args)
    if rest and (m := _JOINED_NOTE.fullmatch(rest[0])) and _LOOKS_LIKE_MONEY.search(m["money"]):
        rest[:1] = [m["money"], m["rest"]]
    if rest and _BARE_NUMBER.match(rest[0]):
        raise InvalidInput(unmarked, text=quoted(rest[0]))
    return (rest.pop(0) if rest and _LOOKS_LIKE_MONEY.search(rest[0]) else None), rest


def split_amount(args: tuple[str, ...], maximum: int) -> tuple[int, str]:
    """'[compensation] [note…]': an optional compensation written as money (split_money), then a free note."""
    written, rest = split_money(args, unmarked="admin-compensation-unmarked")
    # Its refusal's example is money too: a bare "5", as admin-amount-invalid suggests, is refused here.
    amount = 0 if written is None else parse_amount(written, maximum=maximum, invalid="admin-compensation-invalid")
    return amount, free_text(" ".join(rest), limit=MAX_REASON)


def split_spent(args: tuple[str, ...]) -> tuple[int | None, tuple[str, ...]]:
    """'[spent ¥X] rest…' ('花了 ¥X'): what a buy task's goods cost, which an operator resolving it gives for a runner
    who did not say it. Written as money like a compensation: after its word a bare number may as well begin the
    note ('spent 2 hours waiting'), and a cost taken wrongly cannot be undone."""
    said = _SPENT.fullmatch(args[0]) if args else None
    if said is None:
        return None, args
    rest = joined(args[1:]) if said["amount"] is None else [said["amount"], *args[1:]]
    if not rest:
        raise InvalidInput("admin-usage-resolve")
    if _BARE_NUMBER.match(rest[0]):
        raise InvalidInput("admin-spent-unmarked", text=quoted(rest[0]))
    return written_fen(rest[0], "admin-cost-invalid"), tuple(rest[1:])


@ROUTER.command("resolve", operator_only=True)
async def resolve(ctx: Ctx) -> None:
    """/resolve N complete|refund [spent ¥cost] [¥compensation] [note]."""
    begin(ctx)
    args = ask(ctx, "admin-usage-resolve", 2)
    outcome = args[1].lower()
    if outcome not in RESOLUTIONS:
        raise InvalidInput("admin-usage-resolve")
    row = await campus_order(ctx, args[0])
    # An errand with no goods has no cost to give: 'spent 2 hours waiting' begins its note (which, a bare number
    # first, split_amount refuses as it would any).
    spent, rest = split_spent(args[2:]) if row.goods else (None, args[2:])
    compensation, note = split_amount(rest, MAX_COMPENSATION)
    await resolve_order(ctx, row, outcome, compensation, note, goods_spent=spent)


@ROUTER.command("complaints", operator_only=True)
async def complaints(ctx: Ctx) -> None:
    begin(ctx)
    where = (Complaint.status == "open", OrderRow.campus_id == ctx.campus.id)
    total = await ctx.uow.session.scalar(
        select(func.count()).select_from(Complaint).join(OrderRow, OrderRow.id == Complaint.order_id).where(*where))
    if not total:
        ctx.say("admin-complaints-none")
        return
    runner = aliased(User)
    rows = await ctx.uow.session.execute(
        select(Complaint, User, runner).join(OrderRow, OrderRow.id == Complaint.order_id)
        .join(User, User.id == Complaint.user_id).outerjoin(runner, runner.id == Complaint.runner_id)
        .where(*where).order_by(Complaint.created_at, Complaint.id).limit(LIST_LIMIT))
    ctx.say("admin-complaints-title", **listed(total))
    for c, u, r in rows:
        ctx.say("admin-complaint-line", complaint=str(c.id), order=str(c.order_id), who=who(u),
                runner=complained_about(c, r),
                time=local_time(ctx.campus, c.created_at), status=c.status,
                text=ctx.services.cipher.decrypt(c.text_enc), card=item("complaint", c.id),  # type: ignore[arg-type]
                choices=[[ctx.button("admin-button-uphold", f"adm:up:{c.id}"),
                          ctx.button("admin-button-dismiss", f"adm:dis:{c.id}"),
                          ctx.button("admin-button-order", f"adm:find:{c.order_id}", order=str(c.order_id))]])


async def decide_complaint_alone(ctx: Ctx, complaint_id: int, upheld: bool, compensation: int, note: str,
                                 *, edit: bool = False) -> None:
    complaint = await ctx.uow.session.get(Complaint, complaint_id, populate_existing=True)
    row = await ctx.uow.orders.get_row(complaint.order_id) if complaint else None
    if complaint is None or row is None or row.campus_id != ctx.campus.id:
        raise InvalidInput("admin-complaint-not-found", complaint=str(complaint_id))
    if upheld and compensation and complaint.status == "upheld":
        # Upheld already, unpaid: /resolve upholds a runner's complaint with the order, and pays only the student.
        await compensate_later(ctx, complaint, row, compensation, note)
        return
    against = await decide_complaint(ctx, complaint, row, upheld, note)
    # Whoever made the complaint: a runner's, upheld, may be paid what it cost them (goods dearer than the student
    # would pay, a trip for nothing).
    paid_to = await compensate(ctx, row, compensation, complaint.user_id)
    penalised = await penalise_runners(ctx, row, {against} if against is not None else set())
    await record(ctx, "uphold_complaint" if upheld else "dismiss_complaint", f"complaint:{complaint_id}",
                 order=row.id, compensation=compensation, to=complaint.user_id if compensation else None, note=note)
    said = ctx.say("admin-complaint-done", complaint=str(complaint_id), status="upheld" if upheld else "dismissed",
                   compensation=format_yuan(compensation), compensated="yes" if compensation else "no",
                   student=paid_to, to=recipient(row, complaint.user_id), penalised=penalised or "none", edit=edit)
    await show_decided(ctx, item("complaint", complaint_id), said.key, said.args)


async def compensate_later(ctx: Ctx, complaint: Complaint, row: OrderRow, amount: int, note: str) -> None:
    """The compensation of a complaint upheld without one: paid once (compensate), the decision left as it was."""
    paid_to = await compensate(ctx, row, amount, complaint.user_id)
    await record(ctx, "compensate_complaint", f"complaint:{complaint.id}", order=row.id, compensation=amount,
                 to=complaint.user_id, note=note)
    ctx.say("admin-complaint-compensated", complaint=str(complaint.id), order=str(row.id),
            compensation=format_yuan(amount), student=paid_to, to=recipient(row, complaint.user_id))


@ROUTER.command("uphold", operator_only=True)
async def uphold(ctx: Ctx) -> None:
    begin(ctx)
    args = ask(ctx, "admin-usage-uphold", 1)
    # A refused goods difference may be up to the campus's goods limit, above the usual cap: so may its compensation.
    most = max(MAX_COMPENSATION, (await ctx.live_campus()).pricing.max_goods)
    compensation, note = split_amount(args[1:], most)
    await decide_complaint_alone(ctx, complaint_id(args[0]), True, compensation, note)


@ROUTER.command("dismiss", operator_only=True)
async def dismiss(ctx: Ctx) -> None:
    begin(ctx)
    args = ask(ctx, "admin-usage-dismiss", 1)
    await decide_complaint_alone(ctx, complaint_id(args[0]), False, 0, free_text(" ".join(args[1:]), limit=MAX_REASON))


# ---------------------------------------------------------------------------------------------------- users


async def set_suspended(ctx: Ctx, suspended: bool) -> None:
    args = ask(ctx, "admin-usage-suspend" if suspended else "admin-usage-restore", 1)
    target, words = await leading_user(ctx, args)
    reason = free_text(" ".join(words), limit=MAX_REASON)
    if suspended and is_operator(ctx.campus, target):
        raise NotAllowed("admin-cannot-suspend-operator", who=who(target))
    changed = await ctx.uow.session.execute(
        update(User).where(User.id == target.id, User.suspended == (not suspended)).values(suspended=suspended)
        .execution_options(synchronize_session=False))
    if changed.rowcount != 1:
        raise InvalidInput("admin-already-suspended" if suspended else "admin-not-suspended", who=who(target))
    await ctx.uow.session.execute(
        update(RunnerProfile).where(RunnerProfile.user_id == target.id).values(suspended=suspended)
        .execution_options(synchronize_session=False))
    await record(ctx, "suspend" if suspended else "restore", f"user:{target.id}", reason=reason)
    runner = await is_approved_runner(ctx, target.id)  # type: ignore[arg-type]
    if runner:  # their runner commands go (or come back) with the suspension
        await ctx.notify.menu(target.id)  # type: ignore[arg-type]
    if suspended:
        # Told what is left to them (handlers.app.left_to_suspended): their wallet, a runner's earnings, and the
        # orders they picked up, which stay theirs to deliver (handlers.app.trip_left_to_suspended).
        carried = list(await ctx.uow.session.scalars(select(OrderRow.id).where(
            OrderRow.runner_id == target.id, OrderRow.status == Status.picked_up.value).order_by(OrderRow.id)))
        await ctx.notify.user(target.id, "admin-you-suspended",  # type: ignore[arg-type]
                              runner="yes" if runner else "no",
                              carrying=lambda t: t.join(f"#{o}" for o in carried),  # in the runner's language
                              carried=len(carried), first=str(carried[0]) if carried else "", **with_reason(reason))
        # An order offered to them alone goes to the hall now: they may not take it, and nobody else could.
        await end_offers(ctx.services, ctx.uow, target.id, ctx.now, tell=True)  # type: ignore[arg-type]
        # What they took but have not picked up goes back to the hall at once, at no cost to their credit: they may
        # not fetch it, and its student should not wait for a pickup timeout. What they carry stays, to settle.
        returned: list[int] = []
        ended: list[int] = []  # scheduled errands whose window is over: refunded, not back in the hall
        accepted = list(await ctx.uow.session.scalars(select(OrderRow).where(
            OrderRow.runner_id == target.id, OrderRow.status == Status.accepted.value).order_by(OrderRow.id)))
        for row in accepted:
            try:
                async with ctx.uow.session.begin_nested():
                    taken = await move(ctx, row, Event.take_back, Role.operator, note=reason)
            except StaleOrder:  # picked up (or ended) this moment: it stays theirs, listed below; they are suspended
                continue
            (ended if taken.after.status is Status.expired else returned).append(row.id)  # type: ignore[arg-type]
        active = await ctx.uow.orders.active_for_runner(target.id)  # type: ignore[arg-type]
        # What they ordered goes on without them (they can neither confirm nor write about it): named, to look at.
        placed = list(await ctx.uow.session.scalars(
            select(OrderRow.id).where(OrderRow.customer_id == target.id,
                                      OrderRow.status.not_in([s.value for s in (*FINAL, Status.awaiting_payment)]))
            .order_by(OrderRow.id)))
        ctx.say("admin-suspended", who=who(target), orders=ctx.t.join(f"#{o.id}" for o in active) or "—",
                count=len(active), placed=ctx.t.join(f"#{o}" for o in placed) or "none",
                returned=ctx.t.join(f"#{o}" for o in returned) or "none",
                ended=ctx.t.join(f"#{o}" for o in ended) or "none",
                busy="yes" if returned or ended or active or placed else "no")
    else:
        await ctx.notify.user(target.id, "admin-you-restored")  # type: ignore[arg-type]
        ctx.say("admin-restored", who=who(target))


@ROUTER.command("suspend", operator_only=True)
async def suspend(ctx: Ctx) -> None:
    begin(ctx)
    await set_suspended(ctx, True)


@ROUTER.command("restore", operator_only=True)
async def restore(ctx: Ctx) -> None:
    begin(ctx)
    await set_suspended(ctx, False)


# ---------------------------------------------------------------------------------------------------- withdrawals


@ROUTER.command("withdrawals", operator_only=True)
async def withdrawals(ctx: Ctx) -> None:
    begin(ctx)
    where = (Withdrawal.status == "pending", User.campus_id == ctx.campus.id)
    total = await ctx.uow.session.scalar(
        select(func.count()).select_from(Withdrawal).join(User, User.id == Withdrawal.runner_id).where(*where))
    if not total:
        ctx.say("admin-withdrawals-none")
        return
    rows = await ctx.uow.session.execute(
        select(Withdrawal, User).join(User, User.id == Withdrawal.runner_id).where(*where)
        .order_by(Withdrawal.requested_at, Withdrawal.id).limit(LIST_LIMIT))
    ctx.say("admin-withdrawals-title", **listed(total))
    for w, u in rows:
        balance = await ctx.uow.ledger.balance(ledger.runner(u.id))  # type: ignore[arg-type]
        ctx.say("admin-withdrawal", id=str(w.id), who=who(u), amount=format_yuan(w.amount),
                balance=format_yuan(balance), time=local_time(ctx.campus, w.requested_at),
                card=item("withdrawal", w.id),  # type: ignore[arg-type]
                choices=[[ctx.button("admin-button-pay", f"adm:wok:{w.id}"),
                          ctx.button("admin-button-refuse", f"adm:wno:{w.id}")]])


async def load_withdrawal(ctx: Ctx, withdrawal_id: int) -> tuple[Withdrawal, User]:
    """A withdrawal of this campus, and its runner."""
    w = await ctx.uow.session.get(Withdrawal, withdrawal_id, populate_existing=True)
    runner = await ctx.uow.session.get(User, w.runner_id) if w else None
    if w is None or runner is None or runner.campus_id != ctx.campus.id:
        raise InvalidInput("admin-withdrawal-not-found", id=str(withdrawal_id))
    return w, runner


async def pending_withdrawal(ctx: Ctx, withdrawal_id: int) -> None:
    """Refused unless the withdrawal still waits for a decision: before anything is asked about it."""
    w, _ = await load_withdrawal(ctx, withdrawal_id)
    if w.status != "pending":
        raise InvalidInput("admin-withdrawal-decided", id=str(withdrawal_id), status=w.status)


async def decide_withdrawal(ctx: Ctx, withdrawal_id: int, approve: bool, reason: str = "", *,
                            edit: bool = False, card: str | None = None) -> None:
    """card: the withdrawal card a refusal's reason was asked from (Input.message), which then says it too, as do
    the other cards of it shown in this chat."""
    w, runner = await load_withdrawal(ctx, withdrawal_id)
    status = "approved" if approve else "rejected"
    decided = await ctx.uow.session.execute(
        update(Withdrawal).where(Withdrawal.id == withdrawal_id, Withdrawal.status == "pending")
        .values(status=status, decided_by=ctx.user_id, decided_at=ctx.now)
        .execution_options(synchronize_session=False))
    if decided.rowcount != 1:
        raise InvalidInput("admin-withdrawal-decided", id=str(withdrawal_id),
                           status=await status_now(ctx, Withdrawal.status, Withdrawal.id == withdrawal_id))
    if approve:
        posting = ledger.approve_withdrawal(withdrawal_id, w.amount, provider="manual")
    else:
        posting = ledger.reject_withdrawal(withdrawal_id, w.runner_id, w.amount)
    await ctx.uow.ledger.post(posting, ctx.now)
    await record(ctx, f"{'approve' if approve else 'reject'}_withdrawal", f"withdrawal:{withdrawal_id}",
                 runner=w.runner_id, amount=w.amount, reason=reason)
    await ctx.notify.user(w.runner_id, f"admin-withdrawal-{status}", id=str(withdrawal_id), amount=w.amount,
                          reason=reason or "—")
    said = ctx.say(f"admin-withdrawal-{status}-done", id=str(withdrawal_id), who=who(runner),
                   amount=format_yuan(w.amount), edit=edit)
    await show_decided(ctx, item("withdrawal", withdrawal_id), said.key, said.args, card)


@ROUTER.command("payout", operator_only=True)
async def payout(ctx: Ctx) -> None:
    begin(ctx)
    args = ask(ctx, "admin-usage-payout", 1)
    await decide_withdrawal(ctx, withdrawal_id(args[0]), True)


@ROUTER.command("refusepayout", operator_only=True)
async def refuse_payout(ctx: Ctx) -> None:
    begin(ctx)
    args = ask(ctx, "admin-usage-refusepayout", 1)
    target = withdrawal_id(args[0])
    reason = free_text(" ".join(args[1:]), limit=MAX_REASON)
    if not reason:  # the runner is told why: asked for, as a rejection's
        await pending_withdrawal(ctx, target)
        await ask_refuse_reason(ctx, target)
        return
    await decide_withdrawal(ctx, target, False, reason)


# ---------------------------------------------------------------------------------------------------- wallets


@ROUTER.command("topup", operator_only=True)
async def top_up(ctx: Ctx) -> None:
    begin(ctx)
    args = ask(ctx, "admin-usage-topup", 2)
    target, words = await leading_user(ctx, args)
    if len(words) != 1:
        raise InvalidInput("admin-usage-topup")
    amount = parse_amount(words[0], maximum=MAX_TOP_UP)
    action = await record(ctx, "top_up", f"user:{target.id}", amount=amount)
    posting = ledger.top_up(target.id, amount, "cash", f"op{action.id}")  # type: ignore[arg-type]
    await ctx.uow.ledger.post(posting, ctx.now)
    balance = await ctx.uow.ledger.balance(ledger.customer(target.id))  # type: ignore[arg-type]
    await ctx.notify.user(target.id, "admin-wallet-topped-up", amount=amount, balance=balance)  # type: ignore[arg-type]
    ctx.say("admin-topped-up", who=who(target), amount=format_yuan(amount), balance=format_yuan(balance))


# ---------------------------------------------------------------------------------------------------- coupons


def coupon_value_text(ctx: Ctx, c: Coupon) -> str:
    if c.percent_off_bp:
        return ctx.t("admin-coupon-percent", percent=format_yuan(c.percent_off_bp).rstrip("0").rstrip("."),
                     cap=format_yuan(c.cap) if c.cap is not None else "none")
    return ctx.t("admin-coupon-amount", amount=format_yuan(c.amount_off))


def coupon_line(ctx: Ctx, c: Coupon) -> str:
    return ctx.t("admin-coupon-line", code=c.code, value=coupon_value_text(ctx, c),
                 min_spend=format_yuan(c.min_spend) if c.min_spend else "none", used=c.used,
                 max_uses=str(c.max_uses) if c.max_uses is not None else "none",
                 used_up="yes" if c.max_uses is not None and c.used >= c.max_uses else "no", each=c.per_user,
                 until=dated_time(ctx.campus, c.valid_until, ctx.now) if c.valid_until else "none")


def dated_time(campus: Campus, at: dt.datetime, now: dt.datetime) -> str:
    """local_time, with the year when it is not this year's: a coupon for a year does not seem to end today."""
    local, today = at.astimezone(campus.tz), now.astimezone(campus.tz)
    return local.strftime("%Y-%m-%d %H:%M") if local.year != today.year else local_time(campus, at)


def optional_int(text: str | None, *, maximum: int, key: str) -> int:
    if text is None:
        return 0
    number = whole_number(text)
    if number is None or number > maximum:
        raise InvalidInput(key, text=text[:20], max=maximum)
    return number


def take_cap(args: tuple[str, ...]) -> tuple[str | None, tuple[str, ...]]:
    """A percentage coupon's cap among the arguments after its discount ('cap 5', 'cap5', '最高5元'): the cap's amount
    as written (None: no cap) and the other arguments, read by position."""
    at = [i for i, word in enumerate(args) if _COUPON_CAP.match(word)]
    if not at:
        return None, args
    rest = list(args)
    amount = _COUPON_CAP.match(rest.pop(at[0]))[1]  # type: ignore[index]
    if not amount and at[0] < len(rest):  # "cap 5", "cap ¥ 5", "cap 5 元": the amount is the next word(s)
        tail = joined(rest[at[0]:])
        amount = tail.pop(0)
        rest[at[0]:] = tail
    if len(at) > 1 or not amount:
        raise InvalidInput("admin-usage-coupon")
    return amount, tuple(rest)


def take_each(args: tuple[str, ...]) -> tuple[str | None, tuple[str, ...]]:
    """A coupon's uses per student among the arguments after its discount ('each 3', 'each3', '每人3次', 'each 3次'):
    the number as written (None: not said) and the other arguments, read by position."""
    at = [i for i, word in enumerate(args) if _COUPON_EACH.match(word)]
    if not at:
        return None, args
    if len(at) > 1:
        raise InvalidInput("admin-usage-coupon")
    rest = list(args)
    number = _COUPON_EACH.match(rest.pop(at[0]))[1]  # type: ignore[index]
    if not number and at[0] < len(rest):  # "each 3": the number is the next word, its unit perhaps joined ("3次")
        number = _JOINED_TIMES.sub("", rest.pop(at[0]))
    if number and at[0] < len(rest) and _TIMES.match(rest[at[0]]):
        rest.pop(at[0])
    if not number:
        raise InvalidInput("admin-usage-coupon")
    return number, tuple(rest)


async def create_coupon(ctx: Ctx, args: tuple[str, ...]) -> None:
    each_text, rest = take_each(args[2:])
    cap_text, rest = take_cap(rest)
    if len(args) < 2 or len(rest) > 3:
        raise InvalidInput("admin-usage-coupon")
    code = args[0].upper()
    if not _COUPON_CODE.match(code):
        raise InvalidInput("admin-coupon-code-invalid", text=args[0][:40])
    if typed_as_coupon_button(code):
        raise InvalidInput("admin-coupon-code-reserved", code=code)
    value = args[1]
    amount_off = percent_off = 0
    if value.endswith(("%", "％")):  # ％: a Chinese keyboard's
        try:
            percent_off = percent_to_bp(value[:-1])
        except MoneyError:
            raise InvalidInput("admin-coupon-percent-invalid", text=value[:20]) from None
        if percent_off == 0:
            raise InvalidInput("admin-coupon-percent-invalid", text=value[:20])
    else:
        amount_off = parse_amount(value, maximum=MAX_COUPON_OFF, what="discount")
        if cap_text is not None:  # a fixed amount takes off exactly itself: a cap would be a mistake
            raise InvalidInput("admin-coupon-cap-fixed", amount=format_yuan(amount_off))
    cap = parse_amount(cap_text, maximum=MAX_COUPON_OFF, what="cap") if cap_text is not None else None
    min_spend = parse_amount(rest[0], maximum=MAX_MIN_SPEND, what="min_spend", zero=True) if rest else 0
    max_uses = optional_int(rest[1] if len(rest) > 1 else None, maximum=MAX_COUPON_USES,
                            key="admin-coupon-uses-invalid")
    days = optional_int(rest[2] if len(rest) > 2 else None, maximum=MAX_COUPON_DAYS, key="admin-coupon-days-invalid")
    # Once per student unless said; 0: as often as the coupon's uses last.
    each = 1 if each_text is None else optional_int(each_text, maximum=MAX_COUPON_USES, key="admin-coupon-each-invalid")
    s = ctx.uow.session
    added = await insert_ignore(s, Coupon, {
        "code": code, "campus_id": ctx.campus.id, "amount_off": amount_off, "percent_off_bp": percent_off,
        "cap": cap, "min_spend": min_spend, "valid_from": ctx.now,
        "valid_until": ctx.now + dt.timedelta(days=days) if days else None,
        "max_uses": max_uses or None, "used": 0, "per_user": each, "created_by": ctx.user_id,
    }, ["code"])
    if added.rowcount != 1:
        raise InvalidInput("admin-coupon-exists", code=code)
    coupon = await s.get(Coupon, code, populate_existing=True)
    assert coupon is not None
    await record(ctx, "coupon_create", f"coupon:{code}", amount_off=amount_off, percent_off_bp=percent_off, cap=cap,
                 min_spend=min_spend, max_uses=max_uses or None, days=days or None, per_student=each or None)
    ctx.say("admin-coupon-created", line=coupon_line(ctx, coupon))


async def stop_coupon(ctx: Ctx, args: tuple[str, ...]) -> None:
    if len(args) != 1:
        raise InvalidInput("admin-usage-coupon")
    code = args[0].upper()
    coupon = await ctx.uow.session.get(Coupon, code, populate_existing=True)
    if coupon is None or coupon.campus_id != ctx.campus.id:
        raise InvalidInput("admin-coupon-not-found", code=code[:40])
    # Conditional, so two operators stopping it at once are not both told (and recorded) that they did.
    stopped = await ctx.uow.session.execute(
        update(Coupon).where(Coupon.code == code, or_(Coupon.valid_until.is_(None), Coupon.valid_until > ctx.now))
        .values(valid_until=ctx.now).execution_options(synchronize_session=False))
    if stopped.rowcount != 1:
        raise InvalidInput("admin-coupon-ended", code=code)
    await record(ctx, "coupon_stop", f"coupon:{code}")
    ctx.say("admin-coupon-stopped", code=code)


@ROUTER.command("coupon", operator_only=True)
async def coupon(ctx: Ctx) -> None:
    begin(ctx)
    args = ask(ctx, "admin-usage-coupon", 1)
    sub = args[0].lower()
    if sub == "create":
        await create_coupon(ctx, args[1:])
    elif sub == "stop":
        await stop_coupon(ctx, args[1:])
    else:
        raise InvalidInput("admin-usage-coupon")


@ROUTER.command("coupons", operator_only=True)
async def coupons(ctx: Ctx) -> None:
    begin(ctx)
    active = (Coupon.campus_id == ctx.campus.id, or_(Coupon.valid_until.is_(None), Coupon.valid_until > ctx.now))
    total = await ctx.uow.session.scalar(select(func.count()).select_from(Coupon).where(*active))
    rows = list(await ctx.uow.session.scalars(
        select(Coupon).where(*active).order_by(Coupon.valid_from.desc(), Coupon.code).limit(LIST_LIMIT * 2)))
    if not rows:
        ctx.say("admin-coupons-none")
        return
    ctx.say("admin-coupons", lines="\n".join(coupon_line(ctx, c) for c in rows), count=total, shown=len(rows),
            hidden=total - len(rows))


# ---------------------------------------------------------------------------------------------------- buttons


def button_parts(data: str) -> tuple[str, str, list[str]]:
    """'adm:verb:1:rc' → the verb, the number (as written: each verb reads it as what it numbers, so one no record
    can have is "not found" as an unused one), the other parts; anything malformed is a stale button."""
    parts = data.split(":")
    if len(parts) < 3 or not parts[2].isdecimal():
        raise InvalidInput("error-stale-choice")
    return parts[1], parts[2], parts[3:]


# The items a list card shows, by kind (handlers.admin.item): the row that says when one was decided, and its key.
DECIDED_ITEMS = {"application": (RunnerProfile, RunnerProfile.user_id), "withdrawal": (Withdrawal, Withdrawal.id),
                 "complaint": (Complaint, Complaint.id)}
# The buttons of a list card, which decide what it shows, and the kind of item (handlers.admin.item) each decides.
CARD_VERBS = {"approve": "application", "reject": "application", "wok": "withdrawal", "wno": "withdrawal",
              "up": "complaint", "dis": "complaint"}


@ROUTER.action("adm")
async def on_button(ctx: Ctx) -> None:
    ctx.require_operator()  # a forwarded button reaches anyone
    begin(ctx)
    data = ctx.input.choice or ""
    verb, number, rest = button_parts(data)
    if verb in CARD_VERBS:
        await on_card(ctx, verb, number, rest)
    else:
        await on_order_button(ctx, verb, number, rest)


async def on_card(ctx: Ctx, verb: str, number: str, rest: list[str]) -> None:
    """A list card's button. On a card decided meanwhile (by another operator, a command, another copy of it) the
    press is refused, and the card says what became of it instead of offering what can no longer be done: the
    decision's own edit, or this press's (edited_by_decision). The savepoint undoes whatever the decision did before
    finding it taken (nothing, but for a race)."""
    said = len(ctx.replies)
    try:
        async with ctx.uow.session.begin_nested():
            await decide_card(ctx, verb, number, rest)
    except InvalidInput as exc:
        if exc.key not in DECIDED:
            raise
        del ctx.replies[said:]
        ctx.say("error-decided-already")
        if not await edited_by_decision(ctx, CARD_VERBS[verb], int(number)):
            ctx.say(exc.key, edit=True, **plain_args(exc))


async def edited_by_decision(ctx: Ctx, kind: str, number: int) -> bool:
    """The pressed copy of a card was known to show it when the item was decided, so the decision edited it itself
    (show_decided: at once in its chat, through the outbox in others) to say all of it, who and why, which the shorter
    "already decided" must not replace. A copy recorded only after (shown while it was being decided), or never,
    is edited by the press."""
    if ctx.input.message is None:
        return False
    since = await cards.known_since(ctx.uow.session, ctx.input.channel, ctx.input.answer_chat, item(kind, number),
                                    ctx.input.message)
    model, key = DECIDED_ITEMS[kind]
    decided_at = await ctx.uow.session.scalar(select(model.decided_at).where(key == number))
    return since is not None and decided_at is not None and since <= decided_at


async def decide_card(ctx: Ctx, verb: str, number: str, rest: list[str]) -> None:
    applied = rest[0] if rest else None  # an application card's mark (applied_mark); none on an older card
    if verb == "approve":
        await decide_application(ctx, applicant_id(number), True, edit=True, applied=applied)
    elif verb == "reject":
        profile = await pending_application(ctx, applicant_id(number), applied)
        await ask_reject_reason(ctx, profile, card=ctx.input.message)
    elif verb == "wok":
        await decide_withdrawal(ctx, withdrawal_id(number), True, edit=True)
    elif verb == "wno":
        target = withdrawal_id(number)
        await pending_withdrawal(ctx, target)
        await ask_refuse_reason(ctx, target, card=ctx.input.message)
    else:
        await decide_complaint_alone(ctx, complaint_id(number), verb == "up", 0, "", edit=True)


async def on_order_button(ctx: Ctx, verb: str, number: str, rest: list[str]) -> None:
    """A button of an order (its card, a complaint's Order button, a confirmation)."""
    if verb == "find":
        await show_order(ctx, await campus_order(ctx, number))
    elif verb == "ra":
        row = await campus_order(ctx, number)
        if Event.reassign not in allowed_events(to_domain(row), Actor(Role.operator, ctx.user_id)):
            raise IllegalTransition(status=row.status, event=Event.reassign.value)
        ctx.go("admin.reassign", reassign_order=row.id, card=ctx.input.message)
        await ask_current_step(ctx)
    elif verb in ("ev", "do") and rest and rest[0] in CODE_EVENTS:
        row = await campus_order(ctx, number)
        target = row.id
        event = CODE_EVENTS[rest[0]]
        card = rest[1] if len(rest) > 1 and rest[1] else None
        if verb == "ev":  # money moves: ask once more; the confirmation names the card, to bring it up to date
            confirm_event(ctx, row, rest[0], str(ctx.input.message) if ctx.input.message else None)
            return
        if event in REFUND_SHOWN and (len(rest) < 3 or rest[2] != str(refund_on_operator_cancel(to_domain(row)))):
            # The order moved since the question (the runner said what the goods cost, the student paid), or the
            # button is older than the figure it carries: Yes would give back another sum than the one it said.
            confirm_event(ctx, row, rest[0], card, edit=True)
            ctx.say("admin-confirm-changed", order=str(target))
            return
        if event is Event.operator_cancel:
            await cancel_order(ctx, row, "", edit=True)
        else:
            outcome = next(name for name, resolution in RESOLUTIONS.items() if resolution is event)
            await resolve_order(ctx, row, outcome, 0, "", edit=True)
        await refresh_card(ctx, target, card)
    else:
        raise InvalidInput("error-stale-choice")


def confirm_event(ctx: Ctx, row: OrderRow, code: str, card: str | None, *, edit: bool = False) -> None:
    """Ask once more before money moves. Yes carries the card to bring up to date, and the refund the question
    names (adm:do:<order>:<code>:<card>:<fen>), which it applies only while it still holds."""
    event = CODE_EVENTS[code]
    order = to_domain(row)
    if event not in allowed_events(order, Actor(Role.operator, ctx.user_id)):
        raise IllegalTransition(status=row.status, event=event.value)
    # Goods bought but their cost unsaid: a button cannot say it, so the refusal says how, at once.
    operator_spent(order, event, None)
    refunded = cancel_refunds(order)
    # What the student gets back, as the cancellation or refund computes it (not the total, part of which
    # may have gone on goods the runner bought and is paid back).
    refund, spent = refund_on_operator_cancel(order), order.goods_paid_back
    data = f"adm:do:{row.id}:{code}" + (f":{card}" if card else "")
    if event in REFUND_SHOWN:
        data = f"adm:do:{row.id}:{code}:{card or ''}:{refund}"
    ctx.say("admin-confirm-event", order=str(row.id), event=event.value, total=format_yuan(row.total),
            refunded=refunded, refund=format_yuan(refund), spent=format_yuan(spent), repaid="yes" if spent else "no",
            choices=[[ctx.button("admin-button-confirm", data, event=event.value, refunded=refunded)]], edit=edit)
