"""Runners: applying, the service-rules quiz, the trip (picked up, delivered, release), income and withdrawals.

The grab and the hall live in handlers/hall.py. The trip's buttons are `o:<id>:<verb>`; the tracking flow owns
the "o" action and its registry handlers.tracking.ORDER_VERBS, into which this module adds its verbs.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable

from sqlalchemy import func, select, update

from core import credit as credit_rules
from core import ledger
from core.campus import QUIZ_QUESTIONS, Campus, CreditEvent, Gender, normalize_name
from core.clock import day_bounds, local_day, moment_mark
from core.errors import IllegalTransition, InvalidInput, NotAllowed
from core.money import MoneyError, format_yuan, written_yuan_to_fen
from core.numbers import ascii_digits, whole_number
from core.order import Event, Notice, Role, Status
from handlers import goods_extra
from handlers.context import Ctx, Kept, barred, caption_args, free_text
from handlers.io import Kind
from handlers.notify import NOTICE_RENDERERS, Notifier
from handlers.orders import blocked_us, move, parse_order_id, runner_order
from handlers.router import ROUTER
from handlers.tracking import chatting_about
from handlers.typed import typed_option
from storage import cards
from storage.models import LedgerEntry, LedgerPosting, RunnerProfile, User, Withdrawal
from storage.models import Order as OrderRow
from storage.orders_repo import to_domain

WITHDRAW_STEP = "runner.withdraw"  # asking how much to withdraw
SPENT_STEP = "runner.spent"  # asking what a buy task's goods cost, once picked up (bought)
PHOTO_STEP = "runner.pickup_photo"  # the optional photo of what was picked up
MAX_EXTRA_REQUESTS = 3  # differences a runner may ask of an order's student: a refusal is not asked again and again
NAME_MAX = 32
STUDENT_NO = re.compile(r"\d{5,20}")  # any decimal digits, full-width ones too (not '②'): kept as 0-9
# Gender as typed besides its buttons' labels (Male/男): its value, and the words a Chinese applicant uses.
GENDER_WORDS = {"male": "male", "female": "female", "男生": "male", "男性": "male", "女生": "female", "女性": "female"}
# The service-rules quiz: (question number, how many answers, index of the right one). Texts: runner.ftl.
QUIZ: tuple[tuple[int, int, int], ...] = ((1, 3, 1), (2, 3, 2), (3, 3, 0), (4, 3, 1))
assert len(QUIZ) == QUIZ_QUESTIONS  # the campus file's quiz_pass_mark is checked against that count


async def _profile(ctx: Ctx) -> RunnerProfile:
    profile = await ctx.runner_profile()
    if profile is None:
        raise NotAllowed("runner-not-a-runner")
    return profile


async def _approved(ctx: Ctx) -> RunnerProfile:
    """An approved runner's profile, suspended or not (what they earned stays theirs); an applicant is told where
    their application stands instead."""
    profile = await _profile(ctx)
    if profile.status != "approved":
        raise NotAllowed("runner-apply-status", status=profile.status, quiz="yes" if profile.quiz_passed else "no")
    return profile


# ------------------------------------------------------------------------------------------------ applying


@ROUTER.command("apply")
async def apply(ctx: Ctx) -> None:
    profile = await ctx.runner_profile()
    if profile is not None and profile.status != "rejected":  # a rejected applicant may try again
        if ctx.state.startswith("runner.apply."):  # an application sent meanwhile: its form is over
            ctx.reset()
        ctx.say("runner-apply-status", status=profile.status, quiz="yes" if profile.quiz_passed else "no")
        return
    ctx.go("runner.apply.name")
    ctx.say("runner-apply-intro")
    await ask_application_step(ctx)


# The application's steps: the conversation state of each and the question asked there.
APPLY_QUESTIONS = {"runner.apply.name": "runner-apply-name", "runner.apply.number": "runner-apply-number",
                   "runner.apply.gender": "runner-apply-gender", "runner.apply.photo": "runner-apply-photo"}


@ROUTER.asks_again("runner.apply.")
async def ask_application_step(ctx: Ctx) -> None:
    """The application's current question: on reaching its step, on an input that is no answer, after /language.
    The gender's buttons go once it is answered, or the form left (Ctx.ask)."""
    if ctx.state == "runner.apply.gender":
        genders = [ctx.step("runner-gender", g.value, gender=g.value) for g in Gender]
        ctx.ask(APPLY_QUESTIONS[ctx.state], choices=[genders])
    else:
        ctx.say(APPLY_QUESTIONS[ctx.state])


@ROUTER.state("runner.apply.name")
async def apply_name(ctx: Ctx) -> None:
    if ctx.input.kind is not Kind.text:
        await ask_application_step(ctx)
        return
    name = free_text(ctx.input.text, limit=NAME_MAX)
    if not name or name.startswith("/"):
        raise InvalidInput("runner-apply-name-invalid")
    ctx.go("runner.apply.number", name_enc=ctx.services.cipher.encrypt(name))  # personal data: never in clear
    await ask_application_step(ctx)


@ROUTER.state("runner.apply.number")
async def apply_number(ctx: Ctx) -> None:
    if ctx.input.kind is not Kind.text:
        await ask_application_step(ctx)
        return
    number = "".join(ctx.input.text.split())
    if not STUDENT_NO.fullmatch(number):
        raise InvalidInput("runner-apply-number-invalid", text=ctx.input.text.strip()[:24])
    number = ascii_digits(number)
    ctx.go("runner.apply.gender", number_enc=ctx.services.cipher.encrypt(number))
    await ask_application_step(ctx)


@ROUTER.state("runner.apply.gender")
async def apply_gender(ctx: Ctx) -> None:
    if ctx.input.kind is Kind.text:  # typed: a button's label or a word for it, else asked again
        options = [*((ctx.t("runner-gender", gender=g.value), g.value) for g in Gender), *GENDER_WORDS.items()]
        value = typed_option(ctx.t, options, ctx.input.text)
    elif ctx.input.kind is Kind.choice:
        value = ctx.step_value(ctx.input.choice or "")
    else:
        value = None
    if value is None:
        await ask_application_step(ctx)
        return
    if value not in {g.value for g in Gender}:
        raise InvalidInput("error-stale-choice")
    ctx.go("runner.apply.photo", gender=value)
    await ask_application_step(ctx)


@ROUTER.state("runner.apply.photo")
async def apply_photo(ctx: Ctx) -> None:
    if ctx.input.kind is not Kind.photo or not ctx.input.photo:
        ctx.say("runner-apply-photo-needed")
        return
    earlier = await ctx.runner_profile()
    if earlier is not None and earlier.status != "rejected":  # applied meanwhile (another device)
        await apply(ctx)
        return
    data = ctx.data
    campus = ctx.campus
    # A new application is told from the one it replaces by when it was sent (handlers.admin.applied_mark), to the ms.
    applied_at = ctx.now if earlier is None else max(ctx.now, earlier.applied_at + dt.timedelta(milliseconds=1))
    # The photo shows the name and number kept encrypted: its file id is kept so too.
    photo_enc = ctx.services.cipher.encrypt(ctx.input.photo[:256])
    application = dict(status="pending", gender=data["gender"], real_name_enc=data["name_enc"],
                       student_no_enc=data["number_enc"], card_photo_enc=photo_enc, applied_at=applied_at)
    if earlier is None:
        ctx.uow.session.add(RunnerProfile(user_id=ctx.user_id, campus_id=campus.id, credit=campus.credit.initial,
                                          **application))
    else:  # applying again after a rejection: only a rejected application may be replaced
        replaced = await ctx.uow.session.execute(
            update(RunnerProfile).where(RunnerProfile.user_id == ctx.user_id, RunnerProfile.status == "rejected")
            .values(decided_by=None, decided_at=None, **application).execution_options(synchronize_session=False))
        if replaced.rowcount != 1:
            raise NotAllowed("runner-apply-already")
    await ctx.uow.session.flush()
    await ctx.notify.operators(campus, "runner-application-operators", user=ctx.user_id,
                               name=ctx.user.display_name or ctx.user.external_id, gender=data["gender"])
    ctx.reset()
    ctx.say("runner-apply-done")


# ------------------------------------------------------------------------------------------------ the quiz


def _pass_mark(ctx: Ctx) -> int:
    return ctx.campus.runners.quiz_pass_mark  # at most len(QUIZ): the campus file is refused otherwise


def _answers(index: int) -> list[tuple[str, str]]:
    """The question's answers as (label key, value): its buttons, and what a typed answer is read against."""
    number, answers, _ = QUIZ[index]
    return [(f"runner-quiz-q{number}-a{i + 1}", str(i)) for i in range(answers)]


def _ask_question(ctx: Ctx, index: int) -> None:
    """Its answers' buttons go once it is answered, or the quiz left (Ctx.ask)."""
    number, _, _ = QUIZ[index]
    ctx.ask(f"runner-quiz-q{number}", n=str(index + 1), total=str(len(QUIZ)),
            choices=[[ctx.step(key, value)] for key, value in _answers(index)])


def _typed_answer(ctx: Ctx, index: int) -> str | None:
    """The answer a typed text names: the whole label, or the start of it or of a word in it ("Nobody")."""
    return typed_option(ctx.t, [(ctx.t(key), value) for key, value in _answers(index)], ctx.input.text or "",
                        loose=True)


@ROUTER.command("quiz")
async def quiz(ctx: Ctx) -> None:
    profile = await _profile(ctx)
    if profile.status == "rejected":
        ctx.say("runner-apply-status", status=profile.status, quiz="no")
        return
    if profile.quiz_passed:
        ctx.say("runner-quiz-already")
        return
    ctx.go("runner.quiz", q=0, score=0)
    ctx.say("runner-quiz-intro", total=len(QUIZ), mark=_pass_mark(ctx))
    _ask_question(ctx, 0)


@ROUTER.asks_again("runner.quiz")
async def ask_current_question(ctx: Ctx) -> None:
    _ask_question(ctx, min(max(int(ctx.data.get("q", 0)), 0), len(QUIZ) - 1))


@ROUTER.state("runner.quiz")
async def quiz_answer(ctx: Ctx) -> None:
    index, score = int(ctx.data.get("q", 0)), int(ctx.data.get("score", 0))
    if not 0 <= index < len(QUIZ):
        await ask_current_question(ctx)
        return
    if ctx.input.kind is Kind.choice:
        value = ctx.step_value(ctx.input.choice or "")
    elif ctx.input.kind is Kind.text and (typed := _typed_answer(ctx, index)) is not None:
        value = typed
    else:  # a photo, a sticker, or text that names no answer: the question again, with its buttons
        if ctx.input.kind is Kind.text:
            ctx.say("order-choose-one")
        await ask_current_question(ctx)
        return
    _, answers, right = QUIZ[index]
    answer = whole_number(value, max_digits=2)
    if answer is None or answer >= answers:
        raise InvalidInput("error-stale-choice")
    score += answer == right
    index += 1
    if index < len(QUIZ):
        ctx.go("runner.quiz", q=index, score=score)
        _ask_question(ctx, index)
        return
    ctx.reset()
    if score < _pass_mark(ctx):
        ctx.say("runner-quiz-failed", score=score, total=len(QUIZ), mark=_pass_mark(ctx))
        return
    profile = await _profile(ctx)
    profile.quiz_passed = True
    ctx.say("runner-quiz-passed", score=score, total=len(QUIZ), approved="yes" if profile.status == "approved" else "no")


# ------------------------------------------------------------------------------------------------ the trip

async def pickup(ctx: Ctx, order_id: int, spent: int | None = None) -> None:
    """Picked up. A buy task is picked up once its goods are bought (from then on its student may not cancel it),
    and what they cost is asked next, unless told (`spent`: /picked N 32.5, also after a "Later")."""
    row = await runner_order(ctx, order_id)
    if row.goods and row.goods_spent is None and spent is not None and row.status == Status.picked_up.value:
        await goods_bought(ctx, row, spent)
        return
    # Picked up and Release mean nothing more under the details message, nor under the /track cards: the transition
    # edits them through the outbox (Notifier.transition), like their other edits, so none overtakes another; but
    # the card it was pressed under, which the answer edits in place at once.
    from handlers import tracking  # a cycle at import: tracking registers these verbs

    on_card = (ctx.input.choice or "").endswith(f":pickup:{tracking.CARD}")  # pressed under a /track card
    in_place = on_card
    if on_card and ctx.input.message:  # that one is edited in place, at once: not by the outbox as well
        item = cards.runner_item(order_id, ctx.user_id)
        # Unless it was retired: no later edit reaches it (not even the part's end), so drawn in full again it would
        # keep the pickup code for good. A new card is shown instead, which retires the older ones as /track does.
        in_place = not await cards.retired(ctx.uow.session, ctx.input.channel, ctx.input.answer_chat, item,
                                           ctx.input.message)
        if in_place:
            ctx.notify.edited_here.add(cards.card_key(item, f"m{ctx.input.message}"))
    t = await move(ctx, row, Event.pickup, Role.runner)
    if on_card:
        await tracking.show_card(ctx, await ctx.uow.orders.row_after(t), edit=in_place)
    if not row.goods:
        await after_pickup(ctx, row)
    elif spent is not None:
        await goods_bought(ctx, row, spent, at_pickup=True)
    else:
        if (chatting := chatting_about(ctx)) is not None:  # the question takes over from the chat: say so
            ctx.say("runner-chat-left", order=str(chatting))
        ctx.go(SPENT_STEP, order=str(order_id))
        ask_spent(ctx, row)


def ask_spent(ctx: Ctx, row: OrderRow) -> None:
    """What the goods cost; with a difference asked of the student and not yet paid, that the delivery waits for
    it, or another figure."""
    ctx.ask("runner-ask-spent-extra" if row.goods_extra else "runner-ask-spent", order=str(row.id),
            goods=format_yuan(row.goods), extra=format_yuan(row.goods_extra),
            spent=format_yuan(row.goods + row.goods_extra),
            choices=[[ctx.step("runner-spent-within" if row.goods_extra else "runner-spent-all", "all",
                               amount=format_yuan(row.goods))],
                     [ctx.step("runner-spent-cancel", "later")]])


@ROUTER.asks_again(SPENT_STEP)
async def ask_spent_again(ctx: Ctx) -> None:
    ask_spent(ctx, await runner_order(ctx, int(ctx.data.get("order") or 0)))


@ROUTER.ended_by_cancel(SPENT_STEP)
async def spent_later(ctx: Ctx, *, edit: bool = False) -> None:
    """Not now: the cost is asked again by Delivered, which stays, or told by /picked N amount."""
    order = str(ctx.data.get("order") or 0)
    ctx.reset()
    ctx.say("runner-spent-cancelled", order=order, edit=edit, keep=delivered_button(order))


@ROUTER.state(SPENT_STEP)
async def spent_answered(ctx: Ctx) -> None:
    """What the goods cost: all of the goods money by the button, or typed (0 up to all of it). Asked by Delivered,
    the delivery follows."""
    inp = ctx.input
    order_id = int(ctx.data.get("order") or 0)
    try:
        row = await runner_order(ctx, order_id)
    except NotAllowed:  # taken off them meanwhile: the question is over
        row = None
    if row is None or row.status != Status.picked_up.value:
        ctx.reset()
        ctx.say("runner-spent-too-late", order=str(order_id), edit=inp.kind is Kind.choice)
        return
    if row.goods_spent is not None:  # settled meanwhile (the student paid the difference asked): on with the trip
        ctx.reset()
        ctx.say("runner-spent-settled", order=str(order_id), spent=format_yuan(row.goods_spent),
                edit=inp.kind is Kind.choice, keep=delivered_button(order_id))
        return
    if inp.kind is Kind.choice:
        value = ctx.step_value(inp.choice or "")  # refuses an old button
        if value == "later":
            await spent_later(ctx, edit=True)
            return
        if value != "all":
            raise InvalidInput("error-stale-choice")
        spent = row.goods
    elif inp.kind is Kind.text:
        spent = typed_spent(inp.text)
    else:
        await ask_spent_again(ctx)
        return
    then = ctx.data.get("then")
    ctx.reset()
    await goods_bought(ctx, row, spent, then_deliver=then == "deliver", at_pickup=then != "deliver")


def written_amount(text: str) -> tuple[str, int]:
    """One amount as typed ('20', '20元', '¥20') in fen, -1 for anything else; with the text as it was read."""
    raw = text.strip()[:24]
    try:
        return raw, written_yuan_to_fen(raw)  # '1 元' is one amount; '20 30' none
    except MoneyError:
        return raw, -1


def typed_spent(text: str) -> int:
    """'32.5', '32.5元', '¥0' in fen: one amount, 0 or more."""
    raw, spent = written_amount(text)
    if spent < 0:
        raise InvalidInput("runner-spent-format", text=raw)
    return spent


async def goods_bought(ctx: Ctx, row: OrderRow, spent: int, *, then_deliver: bool = False,
                       at_pickup: bool = False) -> None:
    """The goods' cost recorded (the student is told), then on as after any pickup, or the delivery it was asked
    by. A cost past the goods money asks the student for the difference instead, and the delivery waits for it;
    the pickup's steps follow that only when told with the pickup (`at_pickup`), not for a figure told again."""
    if spent > row.goods:
        await ask_extra(ctx, row, spent)
        if at_pickup:
            await after_pickup(ctx, row)
        return
    await move(ctx, row, Event.goods_bought, Role.runner, goods_spent=spent)
    if then_deliver:
        await deliver(ctx, row.id or 0)
    else:
        await after_pickup(ctx, row)


async def ask_extra(ctx: Ctx, row: OrderRow, spent: int) -> None:
    """The goods cost more than the goods money: the student is asked for the difference (handlers.goods_extra),
    up to the most goods money in all the order was placed under (an operator's later /pricing leaves it alone)."""
    most = row.max_goods if row.max_goods is not None else (await ctx.live_campus()).pricing.max_goods
    if spent > most:
        raise InvalidInput("runner-extra-over-max", order=str(row.id), max=format_yuan(most))
    student = await ctx.uow.session.get(User, row.customer_id)
    if student is None or await blocked_us(ctx.uow.session, row.customer_id) or barred(
            ctx.services.campuses.get(student.campus_id, ctx.services.default_campus), student):
        # Nobody would answer it (they blocked the bot, or are suspended): no request that only stands still.
        raise InvalidInput("runner-extra-unanswerable", order=str(row.id), goods=format_yuan(row.goods))
    if await goods_extra.requests_made(ctx.uow.session, row.id or 0) >= MAX_EXTRA_REQUESTS:
        raise InvalidInput("runner-extra-too-many", order=str(row.id), most=MAX_EXTRA_REQUESTS,
                           goods=format_yuan(row.goods))
    goods = row.goods
    # The runner's figure stays in the order's history for an operator, whatever becomes of the request.
    await move(ctx, row, Event.extra_asked, Role.runner, goods_spent=spent, note=f"¥{format_yuan(spent)}")
    ctx.say("runner-extra-asked", order=str(row.id), spent=format_yuan(spent), goods=format_yuan(goods),
            extra=format_yuan(spent - goods))


async def after_pickup(ctx: Ctx, row: OrderRow) -> None:
    """What follows a pickup: the optional photo step, the chat going on, or only Delivered."""
    order_id = row.id
    assert order_id is not None
    if ctx.state == SPENT_STEP and ctx.data.get("order") == str(order_id):  # told by /picked N amount meanwhile
        ctx.reset()
    chatting = chatting_about(ctx)
    if await blocked_us(ctx.uow.session, row.customer_id):
        # Nothing reaches the student (not this news, nor a photo): no photo step, only Delivered.
        ctx.say("runner-picked-up-unreachable", order=str(order_id), keep=delivered_button(order_id))
        return
    if chatting == order_id:
        # The runner was writing to this order's student: what they send next is for the student still (a photo of
        # the item too), so the chat goes on; the optional photo step would swallow their next words. Asked as the
        # chat's question, so that its message is known: Delivered stays under it until the order is delivered.
        ctx.ask("runner-picked-up-chatting", order=str(order_id), choices=[], keep=delivered_button(order_id))
        return
    if chatting is not None:  # the photo step takes over from the chat about another order: say so
        ctx.say("runner-chat-left", order=str(chatting))
    ctx.go(PHOTO_STEP, order=str(order_id))
    ask_photo(ctx, "runner-picked-up")


def delivered_button(order_id: int | str) -> Kept:
    """The trip's Delivered: valid as long as the order is picked up, whatever step the runner is in, so the
    messages showing it keep it (Ctx.ask's and Ctx.say's `keep`) until the delivery retires it."""
    return [[("runner-btn-delivered", delivered_data(order_id))]]


def delivered_data(order_id: int | str) -> str:
    return f"o:{order_id}:deliver"


async def render_extra_paid(notifier: Notifier, campus: Campus, row: OrderRow, notice: Notice) -> None:
    """The student paid the difference: the goods' cost is settled, so the runner may deliver, from here too."""
    await notifier.user(notice.user_id or 0, notice.key, order=str(row.id), **notice.args,
                        buttons=[[("runner-btn-delivered", delivered_data(row.id or 0), {})]])


NOTICE_RENDERERS["notice-extra-paid"] = render_extra_paid


async def deliver(ctx: Ctx, order_id: int) -> None:
    row = await runner_order(ctx, order_id)
    if row.goods and row.goods_spent is None and row.status == Status.picked_up.value:  # the cost first, then this
        ctx.go(SPENT_STEP, order=str(order_id), then="deliver")
        ask_spent(ctx, row)
        return
    await move(ctx, row, Event.deliver, Role.runner)
    # Only this order's photo step ends: a runner carrying two may be asked for the photo of the other one.
    if ctx.state == PHOTO_STEP and str(ctx.data.get("order")) == str(order_id):
        ctx.reset()
    # Pressed under the picked-up message: in its place, so its No photo and Delivered buttons go.
    ctx.say("runner-delivered", order=str(order_id), edit=ctx.input.kind is Kind.choice)
    # By /delivered (or under another message): every message still showing this order's Delivered loses it.
    ctx.retire_buttons(delivered_data(order_id))


def _penalty(ctx: Ctx, score: int) -> int:
    """What releasing costs a runner at `score`: the campus penalty, less near the minimum, where the score is
    clamped, and nothing below it (core.credit.moved, as the release applies it)."""
    return score - credit_rules.moved(ctx.campus.credit, score, ctx.campus.credit_change(CreditEvent.released))


async def _credit(ctx: Ctx) -> int:
    # A column read, not the profile object: the session's copy may predate the transition's credit update.
    return await ctx.uow.session.scalar(select(RunnerProfile.credit).where(RunnerProfile.user_id == ctx.user_id))


async def _still_theirs(ctx: Ctx, order_id: int) -> OrderRow:
    """The order of a release question being answered, if still theirs. If it was theirs and no longer is (they
    released it from another message, or it was taken off them), they are told so, not that it is not theirs."""
    try:
        return await runner_order(ctx, order_id)
    except NotAllowed:
        # Every history event records the runner the order had after it: the last one to end theirs says how.
        how, had = None, None
        for e in await ctx.uow.orders.history(order_id):
            if had == ctx.user_id and e.runner_id != ctx.user_id:
                how = "released" if e.event == Event.release.value and e.actor_id == ctx.user_id else "taken"
            had = e.runner_id
        if how is None:
            raise
        raise NotAllowed("runner-release-not-yours", order=str(order_id), how=how) from None


async def _releasable(ctx: Ctx, order_id: int) -> OrderRow:
    row = await _still_theirs(ctx, order_id)
    if row.status in (Status.picked_up.value, Status.delivered.value):
        raise NotAllowed("runner-release-too-late", order=str(order_id))
    if row.status != Status.accepted.value:
        raise IllegalTransition(status=row.status, event=Event.release.value)
    return row


async def release(ctx: Ctx, order_id: int) -> None:
    """Asks first, stating the credit penalty."""
    row = await _releasable(ctx, order_id)
    profile = await _profile(ctx)
    taken = taken_mark(row)
    # A scheduled errand whose window is over does not go back to the hall: it ends (see core transition).
    window_over = "yes" if to_domain(row).window_over(ctx.now) else "no"
    ctx.say("runner-release-confirm", order=str(order_id), penalty=_penalty(ctx, profile.credit), credit=profile.credit,
            window_over=window_over, choices=[[
        ctx.button("runner-release-yes", f"o:{order_id}:release_yes:{taken}"),
        ctx.button("runner-release-no", f"o:{order_id}:release_no"),
    ]])


def taken_mark(row: OrderRow) -> str:
    """Which taking of the order a release question is about (when it was accepted): a question left over from an
    earlier taking must not release the order its runner took again since."""
    return moment_mark(row.accepted_at) if row.accepted_at is not None else "0"


async def release_yes(ctx: Ctx, order_id: int) -> None:
    row = await _releasable(ctx, order_id)
    parts = (ctx.input.choice or "").split(":")
    if len(parts) > 3 and parts[3] != taken_mark(row):
        raise InvalidInput("error-stale-choice")
    before = await _credit(ctx)
    await move(ctx, row, Event.release, Role.runner)
    after = await _credit(ctx)
    ctx.say("runner-released", order=str(order_id), penalty=before - after, credit=after, edit=True)


async def release_no(ctx: Ctx, order_id: int) -> None:
    row = await _still_theirs(ctx, order_id)
    if row.status not in (Status.accepted.value, Status.picked_up.value):  # ended meanwhile: nothing to keep
        raise IllegalTransition(status=row.status, event=Event.release.value)
    ctx.say("runner-release-kept", order=str(order_id), edit=True)


def _button_order(ctx: Ctx) -> int:
    """The order of a pressed "o:<id>:<verb>" button (the tracking flow has checked its shape)."""
    return parse_order_id((ctx.input.choice or "").split(":")[1])


def _verb(use: Callable[[Ctx, int], Awaitable[None]]) -> Callable[[Ctx], Awaitable[None]]:
    async def handler(ctx: Ctx) -> None:
        await use(ctx, _button_order(ctx))
    return handler


VERBS: dict[str, Callable[[Ctx], Awaitable[None]]] = {
    "pickup": _verb(pickup), "deliver": _verb(deliver), "release": _verb(release),
    "release_yes": _verb(release_yes), "release_no": _verb(release_no),
}


def _register_verbs() -> None:
    """Into the tracking flow's registry of "o:<id>:<verb>" buttons."""
    from handlers import tracking

    for name, handler in VERBS.items():
        assert name not in tracking.ORDER_VERBS, f"order verb {name} registered twice"
        tracking.ORDER_VERBS[name] = handler


_register_verbs()


def _order_arg(ctx: Ctx, command: str) -> int:
    if not ctx.input.args:
        raise InvalidInput("runner-order-needed", command=command)
    return parse_order_id(ctx.input.args[0])


@ROUTER.command("picked")
async def picked_command(ctx: Ctx) -> None:
    """/picked 12, or for a buy task /picked 12 32.5 with what the goods cost."""
    args = ctx.input.args
    await pickup(ctx, _order_arg(ctx, "picked"), typed_spent(args[1]) if len(args) > 1 else None)


@ROUTER.command("delivered")
async def delivered_command(ctx: Ctx) -> None:
    await deliver(ctx, _order_arg(ctx, "delivered"))


@ROUTER.command("release")
async def release_command(ctx: Ctx) -> None:
    await release(ctx, _order_arg(ctx, "release"))


def ask_photo(ctx: Ctx, key: str) -> None:
    """The photo step's question: its No photo ends the step; Delivered under it stays once the step is over (the
    photo sent, another command), until the order is delivered."""
    order = str(ctx.data.get("order") or 0)
    ctx.ask(key, order=order, choices=[[ctx.step("runner-photo-skip", "skip")]], keep=delivered_button(order))


@ROUTER.asks_again(PHOTO_STEP)
async def ask_photo_again(ctx: Ctx) -> None:
    ask_photo(ctx, "runner-photo-ask")


@ROUTER.state(PHOTO_STEP)
async def pickup_photo(ctx: Ctx) -> None:
    """An optional photo of the picked-up item, relayed to the student with its caption. Once it is sent, the
    question's message keeps only Delivered (Ctx.settle_question)."""
    order_id = int(ctx.data.get("order") or 0)
    inp = ctx.input
    if inp.kind is Kind.choice:
        ctx.step_value(inp.choice or "")  # refuses an old button
    try:
        row: OrderRow | None = await runner_order(ctx, order_id)
    except NotAllowed:  # taken off them meanwhile
        row = None
    if row is None or row.status != Status.picked_up.value:
        # The trip ended or is on hold (cancelled, reported): the step ends, Delivered is no longer theirs to press.
        ctx.reset()
        ctx.retire_buttons(delivered_data(order_id))
        ctx.say("runner-trip-over", order=str(order_id), edit=inp.kind is Kind.choice)
        return
    if inp.kind is Kind.choice:
        ctx.reset()
        # In the pressed message's place: the No photo button goes, Delivered stays.
        ctx.say("runner-photo-skipped", order=str(order_id), edit=True, keep=delivered_button(order_id))
        return
    if inp.kind is not Kind.photo or not inp.photo:
        await ask_photo_again(ctx)
        return
    caption = caption_args(inp.text)  # an overlong one is refused before anything is sent
    ctx.reset()
    if await blocked_us(ctx.uow.session, row.customer_id):  # as a relay to them (tracking.relay): it would not arrive
        ctx.say("runner-photo-unreachable", order=str(row.id))
        return
    await ctx.notify.user(row.customer_id, "runner-pickup-photo-notice", order=str(row.id),
                          **await ctx.photo_args(row.customer_id, inp.photo), **caption)
    ctx.say("runner-photo-sent", order=str(row.id))


# ------------------------------------------------------------------------------------------------ money


def _day_start(ctx: Ctx, days_back: int = 0) -> dt.datetime:
    """Midnight, campus time, `days_back` days before today."""
    start, _ = day_bounds(ctx.campus.tz, local_day(ctx.campus.tz, ctx.now) - dt.timedelta(days=days_back))
    return start


async def _earned_since(ctx: Ctx, since: dt.datetime) -> int:
    """Money that came into the runner's wallet from orders (completions, cancellation fees) since `since`; goods
    they were paid back for are not earnings."""
    total = await ctx.uow.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0))
        .join(LedgerPosting, LedgerPosting.id == LedgerEntry.posting_id)
        .where(LedgerEntry.account == ledger.runner(ctx.user_id), LedgerEntry.amount > 0,
               LedgerPosting.key.like("order:%"), LedgerPosting.key.not_like(ledger.GOODS_KEYS),
               LedgerPosting.at >= since))
    return int(total or 0)


@ROUTER.command("income", while_suspended=True)
async def income(ctx: Ctx) -> None:
    profile = await _approved(ctx)
    s = ctx.uow.session
    balance = await ctx.uow.ledger.balance(ledger.runner(ctx.user_id))
    held = int(await s.scalar(select(func.coalesce(func.sum(Withdrawal.amount), 0)).where(
        Withdrawal.runner_id == ctx.user_id, Withdrawal.status == "pending")) or 0)
    completed = int(await s.scalar(select(func.count()).select_from(OrderRow).where(
        OrderRow.runner_id == ctx.user_id, OrderRow.status == Status.completed.value)) or 0)
    today = await _earned_since(ctx, _day_start(ctx))
    week = await _earned_since(ctx, _day_start(ctx, local_day(ctx.campus.tz, ctx.now).weekday()))
    rating = (f"{profile.rating_sum / profile.rating_count:.1f}" if profile.rating_count
              else ctx.t("runner-no-rating"))
    ctx.say("runner-income", balance=format_yuan(balance), held=format_yuan(held), today=format_yuan(today),
            week=format_yuan(week), completed=completed, rating=rating, ratings=profile.rating_count,
            **credit_rules.told_score(ctx.campus.credit, profile.credit))


@ROUTER.command("withdraw", while_suspended=True)
async def withdraw(ctx: Ctx) -> None:
    """/withdraw 20 asks for 20 yuan at once; a bare /withdraw (the menu's) asks how much."""
    await _approved(ctx)
    balance = await ctx.uow.ledger.balance(ledger.runner(ctx.user_id))
    if ctx.input.args:
        await request_withdrawal(ctx, typed_amount(ctx.input.text), balance)
        if ctx.state == WITHDRAW_STEP:  # the question asked before is answered by this
            ctx.reset()
        return
    await refuse_while_pending(ctx)
    if balance <= 0:
        ctx.say("runner-withdraw-nothing", balance=format_yuan(balance))
        return
    ctx.go(WITHDRAW_STEP)
    ask_amount(ctx, balance)


def ask_amount(ctx: Ctx, balance: int) -> None:
    """How much to withdraw: typed, or all of it by a button (which carries the amount it shows, so a balance that
    changed meanwhile is never withdrawn unseen)."""
    ctx.ask("runner-withdraw-ask", balance=format_yuan(balance),
            choices=[[ctx.step("runner-withdraw-all", f"all:{balance}", amount=format_yuan(balance))],
                     [ctx.step("runner-withdraw-cancel", "cancel")]])


@ROUTER.asks_again(WITHDRAW_STEP)
async def ask_amount_again(ctx: Ctx) -> None:
    ask_amount(ctx, await ctx.uow.ledger.balance(ledger.runner(ctx.user_id)))


@ROUTER.ended_by_cancel(WITHDRAW_STEP)
async def cancel_withdrawal(ctx: Ctx, *, edit: bool = False) -> None:
    ctx.reset()
    ctx.say("runner-withdraw-cancelled", edit=edit)


@ROUTER.state(WITHDRAW_STEP, while_suspended=True)
async def amount_answered(ctx: Ctx) -> None:
    await _profile(ctx)
    inp = ctx.input
    balance = await ctx.uow.ledger.balance(ledger.runner(ctx.user_id))
    if inp.kind is Kind.choice:
        value = ctx.step_value(inp.choice or "")  # refuses an old button
        if value == "cancel":
            await cancel_withdrawal(ctx, edit=True)
            return
        shown = whole_number(value.removeprefix("all:")) if value.startswith("all:") else None
        if not shown:  # none, or 0: never offered (the button is shown only for money there is)
            raise InvalidInput("error-stale-choice")
        if shown > balance:  # less is left than the button showed (another withdrawal meanwhile): asked anew
            ctx.say("runner-withdraw-too-much", amount=format_yuan(shown), balance=format_yuan(balance), edit=True)
            ctx.go(WITHDRAW_STEP)  # the old button is stale from now on
            if balance > 0:
                ask_amount(ctx, balance)
            else:
                ctx.reset()
            return
        await request_withdrawal(ctx, shown, balance, edit=True)
    elif inp.kind is Kind.text and typed_label(ctx, inp.text, "runner-withdraw-cancel"):  # a label typed: its button
        await cancel_withdrawal(ctx)
        return
    elif inp.kind is Kind.text and balance > 0 and typed_label(ctx, inp.text, "runner-withdraw-all",
                                                                amount=format_yuan(balance)):
        await request_withdrawal(ctx, balance, balance)
    elif inp.kind is Kind.text:
        await request_withdrawal(ctx, typed_amount(inp.text), balance)
    else:
        await ask_amount_again(ctx)
        return
    ctx.reset()


def typed_label(ctx: Ctx, text: str, key: str, **args: str) -> bool:
    """The text is that button's label, as typed (case, width and spacing aside)."""
    return normalize_name(text) == normalize_name(ctx.t(key, **args))


def typed_amount(text: str) -> int:
    """'20', '20元', '¥20' in fen; refused unless it is one amount above 0."""
    raw, amount = written_amount(text)
    if amount <= 0:
        raise InvalidInput("runner-withdraw-amount", text=raw)
    return amount


async def refuse_while_pending(ctx: Ctx) -> None:
    """One withdrawal waits for the operators at a time: each is paid out by hand, so a runner asking again and
    again (0.01 yuan a hundred times) would bury the operators' chat. Read under a lock on the runner, so two
    requests at once do not both pass."""
    await ctx.uow.session.execute(
        select(RunnerProfile.user_id).where(RunnerProfile.user_id == ctx.user_id).with_for_update())
    pending = (await ctx.uow.session.execute(
        select(Withdrawal.id, Withdrawal.amount).where(Withdrawal.runner_id == ctx.user_id,
                                                       Withdrawal.status == "pending").limit(1))).first()
    if pending is not None:
        raise InvalidInput("runner-withdraw-pending", withdrawal=pending.id, amount=format_yuan(pending.amount))


async def request_withdrawal(ctx: Ctx, amount: int, balance: int, *, edit: bool = False) -> None:
    """The amount is held from the wallet until an operator pays it out or refuses it."""
    await refuse_while_pending(ctx)
    if amount > balance:
        raise InvalidInput("runner-withdraw-too-much", amount=amount, balance=balance)
    w = Withdrawal(runner_id=ctx.user_id, amount=amount, status="pending", requested_at=ctx.now)
    ctx.uow.session.add(w)
    await ctx.uow.session.flush()
    assert w.id is not None
    await ctx.uow.ledger.post(ledger.request_withdrawal(w.id, ctx.user_id, amount), ctx.now)
    await ctx.notify.operators(ctx.campus, "runner-withdrawal-operators", withdrawal=w.id, user=ctx.user_id,
                               name=ctx.user.display_name or ctx.user.external_id, amount=amount,
                               suspended="yes" if ctx.user.suspended else "no")
    ctx.say("runner-withdraw-requested", withdrawal=w.id, amount=format_yuan(amount),
            balance=format_yuan(balance - amount), edit=edit)
