"""Operators: everyone else is refused; applications, orders, complaints, users, withdrawals, top-ups, figures and
coupons; every change is recorded with who and when."""
from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from core import ledger
from core.errors import InvalidInput
from core.money import format_yuan
from core.numbers import MAX_ID
from core.order import Actor, Event, Role
from handlers.admin import who
from handlers.context import Ctx
from handlers.notify import is_menu
from handlers.router import ROUTER
from locales import catalogue
from storage import cards
from storage.models import (
    Complaint,
    Coupon,
    CreditRecord,
    OperatorAction,
    OrderEvent,
    Outbox,
    RunnerProfile,
    User,
    Withdrawal,
)
from storage.models import Order as OrderRow
from storage.outbox import open_payload, queue
from storage.uow import UnitOfWork
from tests.factories import CIPHER, FREE_COUPON, act, make_order, make_runner, make_user
from tests.handlers.harness import keys
from tests.handlers.test_ordering import PARCEL_TO_MY_ROOM, answer_all, funded, orders_of, quote_of

EN, ZH = catalogue("en"), catalogue("zh_CN")
OP = "admin"  # campus/demo.yaml: operators: ["console:admin"]


# ---------------------------------------------------------------------------------------------------- helpers


async def operator(chat) -> int:
    """The campus operator, speaking English; returns their user id."""
    await chat.send(OP, "/start")
    await chat.press(OP, "English")
    return await user_id(chat.services.db, OP)


async def operator_speaking(db, campus, now: dt.datetime, language: str) -> int:
    """Another operator, dora, who reads the given language (the campus operator reads English)."""
    op = await make_user(db, campus, now, name="dora")
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(User).where(User.id == op).values(is_operator=True, language=language))
    return op


async def user_id(db, external_id: str) -> int:
    async with UnitOfWork(db, write=False) as uow:
        return (await uow.session.scalars(select(User.id).where(User.external_id == external_id))).one()


async def external(db, uid: int) -> str:
    async with UnitOfWork(db, write=False) as uow:
        return (await uow.session.get(User, uid)).external_id


async def get(db, model, key):
    async with UnitOfWork(db, write=False) as uow:
        return await uow.session.get(model, key)


async def balance(db, account: str) -> int:
    async with UnitOfWork(db, write=False) as uow:
        return await uow.ledger.balance(account)


async def actions(db) -> list[OperatorAction]:
    async with UnitOfWork(db, write=False) as uow:
        return list(await uow.session.scalars(select(OperatorAction).order_by(OperatorAction.id)))


async def inbox_keys(chat, uid: int) -> list[str]:
    return [p["key"] for p in await chat.inbox(await external(chat.services.db, uid))]


async def menu_rows(db, uid: int) -> list[Outbox]:
    """The command-menu refreshes written for this person so far."""
    recipient = await external(db, uid)
    async with UnitOfWork(db, write=False) as uow:
        rows = await uow.session.scalars(select(Outbox).where(Outbox.recipient == recipient).order_by(Outbox.id))
        return [r for r in rows if is_menu(r.payload)]


def assert_recorded(rows: list[OperatorAction], op_id: int, now: dt.datetime, *expected: tuple[str, str]) -> None:
    assert [(a.action, a.target) for a in rows] == list(expected)
    assert all(a.operator_id == op_id and a.at == now for a in rows)


async def accepted_order(db, campus, now, customer: int, runner: int) -> int:
    order_id = await make_order(db, campus, customer, now)
    await act(db, campus, order_id, Event.accept, Actor(Role.runner, runner), now)
    return order_id


async def completed_order(db, campus, now, customer: int, runner: int) -> int:
    order_id = await accepted_order(db, campus, now, customer, runner)
    for event in (Event.pickup, Event.deliver):
        await act(db, campus, order_id, event, Actor(Role.runner, runner), now)
    await act(db, campus, order_id, Event.confirm, Actor(Role.customer, customer), now)
    return order_id


async def request_withdrawal(db, runner: int, amount: int, now: dt.datetime) -> int:
    async with UnitOfWork(db) as uow:
        w = Withdrawal(runner_id=runner, amount=amount, status="pending", requested_at=now)
        uow.session.add(w)
        await uow.session.flush()
        await uow.ledger.post(ledger.request_withdrawal(w.id, runner, amount), now)
        return w.id


async def complain(db, order_id: int, user: int, text: str, now: dt.datetime) -> int:
    """A complaint as handlers.tracking records it: about the order's runner at the time."""
    async with UnitOfWork(db) as uow:
        runner = (await uow.orders.get_row(order_id)).runner_id
        c = Complaint(order_id=order_id, user_id=user, runner_id=runner, text_enc=CIPHER.encrypt(text),
                      created_at=now)
        uow.session.add(c)
        await uow.session.flush()
        return c.id


# ---------------------------------------------------------------------------------------------------- who may


ADMIN_COMMANDS = {"admin", "applications", "approve", "reject", "find", "reassign", "cancelorder", "resolve",
                  "complaints", "uphold", "dismiss", "suspend", "restore", "withdrawals", "payout", "refusepayout",
                  "topup", "today", "report", "coupon", "coupons", "pricing", "credit"}


def test_every_operator_command_is_operator_only():
    mine = {name: c for name, c in ROUTER.commands.items()
            if c.handler.__module__ in ("handlers.admin", "handlers.reports", "handlers.pricing_rules",
                                         "handlers.runner_credit")}
    assert set(mine) == ADMIN_COMMANDS
    assert all(c.operator_only for c in mine.values())


async def test_everyone_else_is_refused_and_nothing_changes(chat, db, campus, clock):
    now = clock.now
    applicant = await make_runner(db, campus, now, approved=False)
    runner = await make_runner(db, campus, now)
    other = await make_runner(db, campus, now)
    customer = await make_user(db, campus, now, name="carol")
    order_id = await accepted_order(db, campus, now, customer, runner)
    exception_id = await accepted_order(db, campus, now, customer, other)
    await act(db, campus, exception_id, Event.report, Actor(Role.customer, customer), now)
    complaint = await complain(db, exception_id, customer, "late", now)
    async with UnitOfWork(db) as uow:  # give the runner some earnings to withdraw
        await uow.ledger.post(ledger.top_up(runner, 1000, "cash", "seed"), now)
        await uow.ledger.post(ledger.Posting("seed-runner", (ledger.Entry(ledger.customer(runner), -1000),
                                                             ledger.Entry(ledger.runner(runner), 1000))), now)
    withdrawal = await request_withdrawal(db, runner, 500, now)
    await chat.send("bob", "/start")

    attempts = [
        "/admin", "/applications", f"/approve {applicant}", f"/reject {applicant} no", f"/find {order_id}",
        f"/reassign {order_id} #{other}", f"/cancelorder {order_id}", f"/resolve {exception_id} refund 5",
        "/complaints", f"/uphold {complaint} 3", f"/dismiss {complaint}", f"/suspend #{runner}",
        f"/restore #{runner}", "/withdrawals", f"/payout {withdrawal}", f"/refusepayout {withdrawal}",
        "/topup bob 50", "/today", "/report", "/coupon create FREE 5", "/coupons", "/pricing set base.buy 0.01",
        f"/credit #{runner} -50 x",
    ]
    assert {a.split()[0][1:] for a in attempts} == ADMIN_COMMANDS
    for text in attempts:
        assert keys(await chat.send("bob", text)) == ["error-operators-only"], text
    # A button forwarded to someone who is not an operator does nothing either.
    for data in (f"adm:approve:{applicant}", f"adm:wok:{withdrawal}", f"adm:do:{order_id}:oc",
                 f"adm:up:{complaint}", f"adm:ra:{order_id}"):
        replies = await chat.press("bob", f"data:{data}")
        assert keys(replies) == ["error-operators-only"], data
    assert replies[0].text == "只有客服可以这样做。"  # bob never picked a language

    assert await actions(db) == []
    assert (await get(db, RunnerProfile, applicant)).status == "pending"
    assert (await get(db, RunnerProfile, runner)).suspended is False
    assert (await get(db, RunnerProfile, runner)).credit == campus.credit.initial
    assert (await get(db, OrderRow, order_id)).status == "accepted"
    assert (await get(db, OrderRow, order_id)).runner_id == runner
    assert (await get(db, OrderRow, exception_id)).status == "exception"
    assert (await get(db, Complaint, complaint)).status == "open"
    assert (await get(db, Withdrawal, withdrawal)).status == "pending"
    assert await balance(db, ledger.customer(await user_id(db, "bob"))) == 0
    async with UnitOfWork(db, write=False) as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Coupon)) == 0


async def test_an_operator_flag_on_the_user_row_works_too(chat, db, campus, clock):
    uid = await make_user(db, campus, clock.now, name="dora")
    assert keys(await chat.send("dora", "/today")) == ["error-operators-only"]
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(User).where(User.id == uid).values(is_operator=True))
    assert keys(await chat.send("dora", "/today")) == ["admin-today"]


# ---------------------------------------------------------------------------------------------------- applications


async def test_a_list_says_how_many_it_shows_only_when_it_shows_some(chat, db, campus, clock):
    """"有 1 份申请待审核（显示 1 份）" read oddly: all are shown. And no spaces around the campus's name in Chinese."""
    await operator_speaking(db, campus, clock.now, "zh_CN")
    for _ in range(2):
        await make_runner(db, campus, clock.now, approved=False)
    assert (await chat.send("dora", "/applications"))[0].text == "有 2 份申请待审核："
    for _ in range(10):
        await make_runner(db, campus, clock.now, approved=False)
    assert (await chat.send("dora", "/applications"))[0].text == "有 12 份申请待审核（显示 10 份）："
    assert (await chat.send("dora", "/pricing"))[0].text.split("\n")[0] == "示范大学的计价规则："


async def test_approve_an_application_with_its_button(chat, db, campus, clock):
    op = await operator(chat)
    applicant = await make_runner(db, campus, clock.now, approved=False, quiz=False)
    replies = await chat.send(OP, "/applications")
    assert keys(replies) == ["admin-applications-title", "admin-application"]
    card = replies[1].text
    assert "Real name: 测试" in card and "Student number: 20***00" in card and "2024000" not in card
    assert "Gender: male" in card

    replies = await chat.press(OP, "Approve")
    assert keys(replies) == ["admin-application-approved"]
    profile = await get(db, RunnerProfile, applicant)
    assert (profile.status, profile.decided_by, profile.decided_at) == ("approved", op, clock.now)
    told = await chat.inbox(await external(db, applicant))
    assert [p["key"] for p in told] == ["admin-runner-approved"] and "/quiz" in told[0]["text"]

    # Deciding again, by button or command, is refused clearly and changes nothing.
    again = await chat.press(OP, f"data:adm:approve:{applicant}")
    assert keys(again) == ["error-decided-already", "admin-application-decided"]  # the card shows it is decided
    assert again[1].edit and not again[1].choices
    assert again[1].text == f"The application of #{applicant} is already approved."
    assert keys(await chat.send(OP, f"/reject {applicant} too late")) == ["admin-application-decided"]
    assert (await get(db, RunnerProfile, applicant)).status == "approved"
    assert await inbox_keys(chat, applicant) == []
    assert_recorded(await actions(db), op, clock.now, ("approve_runner", f"user:{applicant}"))
    assert keys(await chat.send(OP, "/applications")) == ["admin-applications-none"]


@pytest.mark.parametrize("kind", ["application", "withdrawal", "complaint"])
async def test_a_card_another_operator_decided_a_moment_ago_is_refused_with_what_they_decided(
        chat, db, campus, clock, monkeypatch, kind):
    """Two operators press at once: the second read the item while it still waited, and its update found it
    decided. Before, the refusal (and the card) said what it had read: "already pending", "already open"."""
    import handlers.admin as admin

    await operator(chat)
    customer = await make_user(db, campus, clock.now)
    runner = await make_runner(db, campus, clock.now, approved=kind != "application")
    if kind == "application":
        number, data, model, decided = runner, f"adm:approve:{runner}", RunnerProfile, "approved"
        expected = f"The application of #{runner} is already approved."
    elif kind == "withdrawal":
        await completed_order(db, campus, clock.now, customer, runner)
        number = await request_withdrawal(db, runner, 100, clock.now)
        data, model, decided = f"adm:wok:{number}", Withdrawal, "rejected"
        expected = f"Withdrawal #{number} is already refused."
    else:
        order_id = await accepted_order(db, campus, clock.now, customer, runner)
        number = await complain(db, order_id, customer, "late", clock.now)
        data, model, decided = f"adm:up:{number}", Complaint, "dismissed"
        expected = f"Complaint #{number} is already dismissed."
    async with UnitOfWork(db) as uow:  # the other operator's decision, committed after this press read the item
        (await uow.session.get(model, number)).status = decided

    def read_before(loaded):  # noqa: ANN001, ANN202 - the item as this press read it: still waiting
        set_committed_value(loaded, "status", "open" if kind == "complaint" else "pending")
        return loaded

    load_application, load_withdrawal, decide_complaint = (admin.load_application, admin.load_withdrawal,
                                                           admin.decide_complaint)

    async def stale_application(ctx, user_id):  # noqa: ANN001, ANN202
        return read_before(await load_application(ctx, user_id))

    async def stale_withdrawal(ctx, withdrawal_id):  # noqa: ANN001, ANN202
        w, who_ = await load_withdrawal(ctx, withdrawal_id)
        return read_before(w), who_

    async def stale_complaint(ctx, complaint, *args):  # noqa: ANN001, ANN202
        return await decide_complaint(ctx, read_before(complaint), *args)

    monkeypatch.setattr(admin, "load_application", stale_application)
    monkeypatch.setattr(admin, "load_withdrawal", stale_withdrawal)
    monkeypatch.setattr(admin, "decide_complaint", stale_complaint)
    replies = await chat.press(OP, f"data:{data}")
    assert keys(replies)[0] == "error-decided-already"
    assert replies[1].text == expected and replies[1].edit and not replies[1].choices
    assert (await get(db, model, number)).status == decided
    assert await actions(db) == []


@pytest.mark.parametrize(("language", "attached", "elsewhere"), [
    ("en", "Student card photo: attached", "Student card photo: sent on another channel, not shown here"),
    ("zh_CN", "学生证照片：见附图", "学生证照片：在其他渠道提交，此处无法显示"),
], ids=["en", "zh_CN"])
async def test_an_application_card_carries_the_student_card_photo(chat, db, campus, clock, language, attached,
                                                                  elsewhere):
    await operator_speaking(db, campus, clock.now, language)
    here = await make_runner(db, campus, clock.now, approved=False)
    there = await make_runner(db, campus, clock.now, approved=False)
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(RunnerProfile).values(card_photo_enc=CIPHER.encrypt("card.jpg")))
        # A file id is its channel's own: one from Telegram means nothing on the console.
        await uow.session.execute(update(User).where(User.id == there).values(channel="telegram"))

    replies = await chat.send("dora", "/applications")
    assert keys(replies) == ["admin-applications-title", "admin-application", "admin-application"]
    assert (replies[1].photo, replies[2].photo) == ("card.jpg", None)
    assert attached in replies[1].text and elsewhere in replies[2].text
    assert all("card.jpg" not in r.text for r in replies)  # never the raw file id
    mark = int(clock.now.timestamp() * 1000)  # which application of theirs the buttons decide: when it was sent
    assert [c.data for c in replies[1].flat_choices()] == [f"adm:approve:{here}:{mark}", f"adm:reject:{here}:{mark}"]


async def test_an_approval_writes_one_menu_refresh_in_its_own_transaction(chat, db, campus, clock, monkeypatch):
    await operator(chat)
    applicant = await make_runner(db, campus, clock.now, approved=False)
    say = Ctx.say

    def fails_after_the_notices(ctx, key, **kw):  # the approval breaks after its outbox rows were written
        if key == "admin-application-approved":
            raise InvalidInput("error-stale-choice")
        return say(ctx, key, **kw)

    with monkeypatch.context() as m:
        m.setattr(Ctx, "say", fails_after_the_notices)
        assert keys(await chat.send(OP, f"/approve {applicant}")) == ["error-stale-choice"]
    assert (await get(db, RunnerProfile, applicant)).status == "pending"
    assert await menu_rows(db, applicant) == []  # rolled back with the approval

    assert keys(await chat.send(OP, f"/approve {applicant}")) == ["admin-application-approved"]
    (row,) = await menu_rows(db, applicant)
    assert (row.channel, row.recipient, row.payload, row.status) == (
        "console", await external(db, applicant), {"kind": "menu"}, "pending")
    assert row.created_at == (await get(db, RunnerProfile, applicant)).decided_at

    # Refused approvals, and a rejection (an applicant has no runner menu yet), write none.
    assert keys(await chat.send(OP, f"/approve {applicant}")) == ["admin-application-decided"]
    assert keys(await chat.send(OP, "/approve 9999")) == ["admin-application-not-found"]
    other = await make_runner(db, campus, clock.now, approved=False)
    assert keys(await chat.send(OP, f"/reject {other} blurry photo")) == ["admin-application-rejected"]
    assert (len(await menu_rows(db, applicant)), await menu_rows(db, other)) == (1, [])


async def test_approve_and_reject_name_the_applicant_as_other_commands_name_people(chat, db, campus, clock):
    """Before, '/approve runner1' was refused ('"runner1" is not a number') while /topup, /suspend and /credit took
    names."""
    await operator(chat)
    first = await make_runner(db, campus, clock.now, approved=False)
    second = await make_runner(db, campus, clock.now, approved=False)
    replies = await chat.send(OP, f"/approve {await external(db, first)}")
    assert keys(replies) == ["admin-application-approved"] and f"(#{first})" in replies[0].text
    replies = await chat.send(OP, f"/reject console:{await external(db, second)} blurry photo")
    assert keys(replies) == ["admin-application-rejected"] and "blurry photo" in replies[0].text
    assert [(await get(db, RunnerProfile, u)).status for u in (first, second)] == ["approved", "rejected"]
    assert "blurry photo" in (await chat.inbox(await external(db, second)))[-1]["text"]
    late = await make_runner(db, campus, clock.now, approved=False)
    (question,) = await chat.send(OP, f"/reject {await external(db, late)}")  # no reason: asked for, as ever
    assert question.key == "admin-ask-reject-reason" and f"#{late}" in question.text
    assert keys(await chat.send(OP, "/approve nobody")) == ["admin-user-not-found"]


async def test_reject_asks_for_the_reason_and_tells_the_applicant(chat, db, campus, clock):
    op = await operator(chat)
    first = await make_runner(db, campus, clock.now, approved=False)
    second = await make_runner(db, campus, clock.now, approved=False)
    await chat.send(OP, "/applications")
    await chat.press(OP, f"data:adm:reject:{first}")
    assert keys(chat.last[OP]) == ["admin-ask-reject-reason"]
    replies = await chat.send(OP, "student card photo unreadable")
    assert keys(replies) == ["admin-application-rejected"]
    assert (await get(db, RunnerProfile, first)).status == "rejected"
    told = await chat.inbox(await external(db, first))
    assert [p["key"] for p in told] == ["admin-runner-rejected"] and "student card photo unreadable" in told[0]["text"]

    replies = await chat.send(OP, f"/reject {second} not a student here")
    assert keys(replies) == ["admin-application-rejected"]
    assert (await get(db, RunnerProfile, second)).decided_by == op
    assert keys(await chat.send(OP, "/approve 9999")) == ["admin-application-not-found"]
    assert keys(await chat.send(OP, "/approve x")) == ["admin-user-not-found"]  # a name: nobody has it
    assert keys(await chat.send(OP, "/approve 12x")) == ["admin-bad-number"]
    rows = await actions(db)
    assert_recorded(rows, op, clock.now, ("reject_runner", f"user:{first}"), ("reject_runner", f"user:{second}"))
    assert rows[0].details == {"reason": "student card photo unreadable"}


async def test_a_reason_for_an_application_decided_meanwhile_ends_the_step(chat, db, campus, clock):
    await operator(chat)
    applicant = await make_runner(db, campus, clock.now, approved=False)
    await chat.press(OP, f"data:adm:reject:{applicant}")
    async with UnitOfWork(db) as uow:  # another operator approves it first
        await uow.session.execute(update(RunnerProfile).values(status="approved"))
    assert keys(await chat.send(OP, "blurry photo")) == ["admin-application-decided"]
    assert await inbox_keys(chat, applicant) == []
    assert keys(await chat.send(OP, "hello")) == ["idle-hint", "menu-title"]  # the step is over
    assert await actions(db) == []


async def apply_again(chat, who: str, photo: str) -> None:
    """A rejected applicant sends a new application through the whole form."""
    for answer in ("/apply", "张三", "2024123456", "male"):
        await chat.send(who, answer)
    assert keys(await chat.photo(who, photo)) == ["runner-apply-done"]


async def test_a_reason_asked_about_one_application_does_not_reject_the_one_sent_after_it(chat, db, campus, clock):
    """The operator presses Reject and is asked why; dora rejects it first; the applicant applies again, with a
    sharp photo. The reason, typed later, rejected the new application nobody had looked at."""
    await operator(chat)
    await operator_speaking(db, campus, clock.now, "en")
    applicant = await make_runner(db, campus, clock.now, approved=False)
    name = await external(db, applicant)
    await chat.press(OP, f"data:adm:reject:{applicant}")
    assert keys(await chat.send("dora", f"/reject {applicant} blurry")) == ["admin-application-rejected"]
    await apply_again(chat, name, "card-sharp")  # within the same millisecond even

    replies = await chat.send(OP, "photo unreadable")
    assert [r.text for r in replies] == [
        f"This application of #{applicant} was decided already, and they have applied again since: see /applications."]
    profile = await get(db, RunnerProfile, applicant)
    assert (profile.status, CIPHER.decrypt(profile.card_photo_enc)) == ("pending", "card-sharp")
    assert await inbox_keys(chat, applicant) == ["admin-runner-rejected"]  # dora's rejection only


@pytest.mark.parametrize("button", ["Approve", "Reject"])
async def test_an_old_application_cards_buttons_do_not_decide_the_application_sent_after_it(chat, db, campus, clock,
                                                                                          button):
    await operator(chat)
    applicant = await make_runner(db, campus, clock.now, approved=False)
    (_, card) = await chat.send(OP, "/applications")
    assert keys(await chat.send(OP, f"/reject {applicant} blurry")) == ["admin-application-rejected"]
    clock.advance(minutes=5)
    await apply_again(chat, await external(db, applicant), "card-sharp")

    pressed = next(c.data for c in card.flat_choices() if c.label == button)
    replies = await chat.press(OP, f"data:{pressed}")
    assert keys(replies) == ["error-decided-already", "admin-application-replaced"]
    assert replies[1].edit and not replies[1].choices  # the old card says so, without its buttons
    assert (await get(db, RunnerProfile, applicant)).status == "pending"
    assert [a.action for a in await actions(db)] == ["reject_runner"]  # the command's, nothing more
    await chat.send(OP, "/applications")  # the new application's card decides it
    assert keys(await chat.press(OP, "Approve")) == ["admin-application-approved"]


async def test_a_bare_cancel_ends_an_operators_question_like_its_cancel_button(chat, db, campus, clock):
    await operator(chat)
    applicant = await make_runner(db, campus, clock.now, approved=False)
    assert keys(await chat.send(OP, f"/reject {applicant}")) == ["admin-ask-reject-reason"]
    assert keys(await chat.send(OP, "/cancel")) == ["admin-step-cancelled"]
    assert keys(await chat.send(OP, "blurry photo")) == ["idle-hint", "menu-title"]  # not taken as the reason
    assert (await get(db, RunnerProfile, applicant)).status == "pending"


async def test_changing_language_while_a_reason_is_asked_for_asks_again_in_the_new_one(chat, db, campus, clock):
    await operator(chat)
    applicant = await make_runner(db, campus, clock.now, approved=False)
    await chat.send(OP, f"/reject {applicant}")
    await chat.send(OP, "/language")
    replies = await chat.press(OP, "中文")
    assert [r.text for r in replies] == [
        "已切换为中文。", f"为什么拒绝 #{applicant} 的申请？请写明原因（在群里请回复本条消息），申请人会看到。"]
    assert [c.label for c in replies[1].flat_choices()] == ["取消"]
    assert keys(await chat.send(OP, "照片看不清")) == ["admin-application-rejected"]
    assert (await get(db, RunnerProfile, applicant)).status == "rejected"


def question_cleared(reply, message: str, text: str) -> bool:
    """The reply replaces the question's message with its text alone: its Cancel button is gone."""
    return (reply.replaces, reply.text, reply.choices, reply.edit) == (message, text, (), False)


async def test_a_question_answered_privately_loses_its_cancel_button(chat, db, campus, clock):
    await operator(chat)
    applicant = await make_runner(db, campus, clock.now, approved=False)
    (question,) = await chat.press(OP, f"data:adm:reject:{applicant}")
    await chat.shown(OP, question, "41")  # the message the channel showed it in

    rejected = await chat.send(OP, "blurry photo")
    assert keys(rejected) == ["admin-application-rejected", "admin-ask-reject-reason"]
    assert question_cleared(rejected[1], "41", question.text)
    assert question.text == EN("admin-ask-reject-reason", user=str(applicant))
    assert (await get(db, RunnerProfile, applicant)).status == "rejected"
    assert keys(await chat.send(OP, "/today")) == ["admin-today"]  # cleared once: nothing more to replace


@pytest.mark.parametrize("ending", ["/cancel", "/today", "refused"])
async def test_a_private_question_ended_any_other_way_loses_its_cancel_button(chat, db, campus, clock, ending):
    await operator(chat)
    customer = await make_user(db, campus, clock.now)
    order_id = await accepted_order(db, campus, clock.now, customer, await make_runner(db, campus, clock.now))
    await chat.send(OP, f"/find {order_id}")
    (question,) = await chat.press(OP, "Reassign")
    await chat.shown(OP, question, "7")

    replies = await chat.send(OP, "nobody" if ending == "refused" else ending)  # a refused answer ends it too
    said = {"/cancel": "admin-step-cancelled", "/today": "admin-today", "refused": "admin-user-not-found"}[ending]
    assert keys(replies) == [said, "admin-ask-runner-list"]
    assert question_cleared(replies[1], "7", question.text)
    assert question.text.startswith(EN("admin-ask-runner", order=str(order_id)))


async def test_a_private_question_cancelled_by_its_button_or_asked_again_is_replaced_once(chat, db, campus, clock):
    await operator(chat)
    applicant = await make_runner(db, campus, clock.now, approved=False)
    (question,) = await chat.press(OP, f"data:adm:reject:{applicant}")
    await chat.shown(OP, question, "41")
    (cancelled,) = await chat.press(OP, "Cancel", message="41")  # in the question's place already
    assert (cancelled.key, cancelled.edit, cancelled.replaces) == ("admin-step-cancelled", True, None)

    (question,) = await chat.send(OP, f"/reject {applicant}")
    await chat.shown(OP, question, "43")
    again = await chat.share_location(OP, 30.2586, 120.1175)  # no reason in it: asked again below, same step
    assert keys(again) == ["admin-ask-reject-reason", "admin-ask-reject-reason"]
    assert again[0].choices and question_cleared(again[1], "43", question.text)
    assert keys(await chat.press(OP, "Cancel")) == ["admin-step-cancelled"]  # the new one's Cancel still works


async def test_a_private_question_is_cleared_in_the_operators_language(chat, db, campus, clock):
    await operator_speaking(db, campus, clock.now, "zh_CN")
    applicant = await make_runner(db, campus, clock.now, approved=False)
    (question,) = await chat.send("dora", f"/reject {applicant}")
    await chat.shown("dora", question, "5")
    replies = await chat.send("dora", "照片不清楚")
    assert keys(replies) == ["admin-application-rejected", "admin-ask-reject-reason"]
    assert question_cleared(replies[1], "5", ZH("admin-ask-reject-reason", user=str(applicant)))


# ---------------------------------------------------------------------------------------------------- orders


async def test_find_shows_the_card_people_history_and_actions(chat, db, campus, clock):
    await operator(chat)
    customer = await make_user(db, campus, clock.now, name="carol")
    runner = await make_runner(db, campus, clock.now)
    order_id = await accepted_order(db, campus, clock.now, customer, runner)
    replies = await chat.send(OP, f"/find #{order_id}")
    assert keys(replies) == ["admin-order"]
    text = replies[0].text
    assert f"#{order_id}" in text and "Total:" in text
    assert f"Student: carol (#{customer})" in text
    runner_name = await external(db, runner)
    assert text.split("History:\n", 1)[1].splitlines() == [  # campus time: 02:00 UTC is 10:00 in Shanghai
        f"11-23 10:00 paid: awaiting payment → waiting for a runner · student carol (#{customer})",
        f"11-23 10:00 taken: waiting for a runner → runner on the way · runner {runner_name} (#{runner})",
    ]
    assert [c.label for c in replies[0].flat_choices()] == ["Cancel and refund", "Reassign"]
    assert keys(await chat.send(OP, "/find 4242")) == ["error-order-not-found"]
    assert keys(await chat.send(OP, "/find")) == ["admin-usage-find"]
    assert await actions(db) == []  # looking changes nothing


async def test_a_report_a_complaint_made_names_it_in_the_operators_language(chat, db, campus, clock):
    """The history line of the report says which complaint made it, worded for the operator reading it: a Chinese
    operator reads 投诉 #N, not a quoted English "complaint N" (rows written before read the same)."""
    await operator_speaking(db, campus, clock.now, "zh_CN")
    customer = await make_user(db, campus, clock.now, name="carol")
    runner = await make_runner(db, campus, clock.now)
    order_id = await accepted_order(db, campus, clock.now, customer, runner)
    await act(db, campus, order_id, Event.pickup, Actor(Role.runner, runner), clock.now)
    assert keys(await chat.send("carol", f"/complain {order_id} never arrived")) == ["track-complaint-recorded"]
    async with UnitOfWork(db, write=False) as uow:
        complaint = await uow.session.scalar(select(Complaint.id).where(Complaint.order_id == order_id))
    (card,) = await chat.send("dora", f"/find {order_id}")
    (line,) = [line for line in card.text.split("\n") if "已报告异常" in line]
    assert line == f"11-23 10:00 已报告异常：已取件 → 异常处理中 · 学生 carol (#{customer}) · 投诉 #{complaint}"
    assert "complaint" not in card.text and "“" not in line


async def test_reassign_moves_the_order_and_tells_both_runners(chat, db, campus, clock):
    op = await operator(chat)
    customer = await make_user(db, campus, clock.now, name="carol")
    first = await make_runner(db, campus, clock.now)
    busy = await make_runner(db, campus, clock.now, active_orders=3)  # at the limit: an operator may still assign
    unapproved = await make_runner(db, campus, clock.now, approved=False)
    order_id = await accepted_order(db, campus, clock.now, customer, first)
    await chat.inbox("carol")

    refused = await chat.send(OP, f"/reassign {order_id} #{unapproved}")
    assert keys(refused) == ["admin-runner-ineligible"] and "not an approved runner" in refused[0].text
    assert keys(await chat.send(OP, f"/reassign {order_id} #{first}")) == ["error-reassign-same"]
    assert keys(await chat.send(OP, f"/reassign {order_id} nobody")) == ["admin-user-not-found"]
    assert (await get(db, OrderRow, order_id)).runner_id == first

    assert keys(await chat.send(OP, f"/reassign {order_id} #{busy}")) == ["admin-reassigned"]
    row = await get(db, OrderRow, order_id)
    assert (row.status, row.runner_id) == ("accepted", busy)
    assert (await get(db, RunnerProfile, first)).active_orders == 0
    assert (await get(db, RunnerProfile, busy)).active_orders == 4
    # The first runner's details message loses the student's contact (handlers/hall.py _details_ended), then the news.
    assert await inbox_keys(chat, first) == ["notice-details-ended", "notice-reassigned-away"]
    assert any(f"#{order_id}" in p["text"] for p in await chat.inbox(await external(db, busy)))
    assert "notice-reassigned" in [p["key"] for p in await chat.inbox("carol")]
    rows = await actions(db)
    assert_recorded(rows, op, clock.now, ("reassign", f"order:{order_id}"))
    assert rows[0].details == {"runner_from": first, "runner_to": busy}


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_a_reassigned_runner_is_told_an_operator_gave_them_the_order(chat, db, campus, clock, language):
    """Not "you got (grabbed) order #N": they pressed nothing. Their details message says who gave it to them, and
    keeps saying so when it is brought up to date (picked up); a runner who took it themselves reads neither."""
    await operator(chat)
    customer = await make_user(db, campus, clock.now)
    first = await make_runner(db, campus, clock.now)
    second = await make_runner(db, campus, clock.now)
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(User).where(User.id == second).values(language=language))
    t = catalogue(language)
    order_id = await accepted_order(db, campus, clock.now, customer, first)
    await chat.send(OP, f"/reassign {order_id} #{second}")
    (details,) = [p for p in await chat.inbox(await external(db, second)) if p["key"] == "notice-you-won"]
    given = t("notice-you-won", order=str(order_id), how="reassigned")
    assert details["text"].split("\n")[0] == given
    assert given == {"en": f"An operator gave you order #{order_id}. Here are the details.",
                     "zh_CN": f"客服把订单 #{order_id} 交给了你，详情如下。"}[language]
    await chat.send(await external(db, second), f"/picked {order_id}")
    (edited,) = [p for p in await chat.inbox(await external(db, second)) if p["key"] == "notice-you-won"]
    assert edited["text"].split("\n")[0] == given and edited["edit_key"] == details["edit_key"]
    grabbed = await make_order(db, campus, customer, clock.now)
    await chat.send(await external(db, second), f"/grab {grabbed}")
    (taken,) = [p for p in await chat.inbox(await external(db, second)) if p["key"] == "notice-you-won"]
    assert taken["text"].split("\n")[0] == t("notice-you-won", order=str(grabbed), how="taken")
    assert taken["text"].split("\n")[0] == {"en": f"Order #{grabbed} is yours now. Here are the details.",
                                            "zh_CN": f"订单 #{grabbed} 现在由你配送，详情如下。"}[language]


async def test_reassign_from_the_order_card(chat, db, campus, clock):
    await operator(chat)
    customer = await make_user(db, campus, clock.now)
    first = await make_runner(db, campus, clock.now)
    second = await make_runner(db, campus, clock.now)
    order_id = await accepted_order(db, campus, clock.now, customer, first)
    await chat.send(OP, f"/find {order_id}")
    assert keys(await chat.press(OP, "Reassign")) == ["admin-ask-runner-list"]
    assert keys(await chat.send(OP, await external(db, second))) == ["admin-reassigned"]
    assert (await get(db, OrderRow, order_id)).runner_id == second
    # The history says whom it went to (the order may be taken from them again later).
    third = await make_runner(db, campus, clock.now)
    await chat.send(OP, f"/reassign {order_id} #{third}")
    (card,) = await chat.send(OP, f"/find {order_id}")
    reassigned = [line for line in card.text.split("\n") if " reassign: " in line]
    assert [line.rsplit(" · to ", 1)[1] for line in reassigned] == [
        f"{await external(db, second)} (#{second})", f"{await external(db, third)} (#{third})"]


async def test_the_reassign_question_lists_the_runners_who_can_take_the_order_most_suitable_first(
        chat, db, campus, clock):
    """Before, it asked for "the runner's #id or name" and no command listed runners."""
    await operator(chat)
    customer = await make_user(db, campus, clock.now)
    holder = await make_runner(db, campus, clock.now)
    order_id = await accepted_order(db, campus, clock.now, customer, holder)
    pickup = campus.building("parcel_station")
    near, far, idle, other, best = [await make_runner(db, campus, clock.now) for _ in range(5)]
    busy = await make_runner(db, campus, clock.now, active_orders=2)
    async with UnitOfWork(db) as uow:  # live locations shared: at the pickup, and about a kilometre away
        for runner, lat in ((near, pickup.lat), (far, pickup.lat + 0.009)):
            await uow.session.execute(update(RunnerProfile).where(RunnerProfile.user_id == runner).values(
                available_lat=lat, available_lon=pickup.lon, available_until=clock.now + dt.timedelta(hours=1)))
        await uow.session.execute(update(RunnerProfile).where(RunnerProfile.user_id == best).values(credit=140))
    # Who cannot take it is not listed: not approved, no quiz, below the credit floor, suspended, unreachable.
    await make_runner(db, campus, clock.now, approved=False)
    await make_runner(db, campus, clock.now, quiz=False)
    await make_runner(db, campus, clock.now, credit=50)
    suspended, unreachable = await make_runner(db, campus, clock.now), await make_runner(db, campus, clock.now)
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(User).where(User.id == suspended).values(suspended=True))
        await uow.session.execute(update(User).where(User.id == unreachable).values(started_bot=False))

    (question,) = await chat.press(OP, f"data:adm:ra:{order_id}")
    assert question.key == "admin-ask-runner-list"
    head, *lines = question.text.split("\n")
    assert head == EN("admin-ask-runner", order=str(order_id))
    named = {u: f"{await external(db, u)} (#{u})" for u in (near, far, best, idle, other)}
    assert lines == ["Runners who can take it: the 5 most suitable of 6 (nearest and least busy first):",
                     *(f"{named[u]} · no active orders" for u in (near, far, best, idle, other))]
    assert f"(#{busy})" not in question.text  # the sixth: two orders carried, position unknown
    assert keys(await chat.send(OP, await external(db, far))) == ["admin-reassigned"]

    await accepted_order(db, campus, clock.now, customer, near)
    (question,) = await chat.press(OP, f"data:adm:ra:{order_id}")  # the runner it has now is not listed
    head, title, *lines = question.text.split("\n")
    assert lines[0] == f"{named[near]} · 1 active order" and f"{await external(db, holder)} (#{holder})" in lines[2]
    assert named[far] not in question.text and "most suitable of 6" in title


async def test_the_reassign_question_says_when_no_runner_can_take_the_order(chat, db, campus, clock):
    await operator(chat)
    order_id = await accepted_order(db, campus, clock.now, await make_user(db, campus, clock.now),
                                    await make_runner(db, campus, clock.now))
    (question,) = await chat.press(OP, f"data:adm:ra:{order_id}")
    assert question.text.endswith("\nNo runner can take it now: none is approved, active, allowed this order and "
                                  "reachable by the bot.")


async def test_find_shows_a_person_their_role_standing_wallet_and_latest_orders(chat, db, campus, clock):
    """Before, /find took only an order number: '/find alice' → '"alice" is not an order number'."""
    await operator(chat)
    alice = await make_user(db, campus, clock.now, name="alice", phone="13800138000", room="F3-512")
    runner = await make_runner(db, campus, clock.now, credit=75)
    placed = []
    for _ in range(6):
        placed.append(await make_order(db, campus, alice, clock.now))
        clock.advance(minutes=1)
    for event in (Event.accept, Event.pickup):  # picked up: still theirs once they are suspended
        await act(db, campus, placed[0], event, Actor(Role.runner, runner), clock.now)

    (card,) = await chat.send(OP, "/find alice")
    assert card.key == "admin-user"
    text = card.text
    assert text.startswith(f"alice (#{alice}) · student\nWallet: 0.00 yuan\n")
    assert "Orders placed: 6, the latest 5 shown, newest first:" in text
    newest = list(reversed(placed[1:]))
    assert [line.split(" ")[0] for line in text.split("\n") if line.startswith("#")] == [f"#{o}" for o in newest]
    assert "13800138000" not in text and "F3-512" not in text  # never their phone or room
    assert [c.data for c in card.flat_choices()] == [f"adm:find:{o}" for o in newest]
    for said in ("/find @alice", f"/find user #{alice}", f"/find user {alice}", "/find console:alice"):
        assert (await chat.send(OP, said))[0].text == text, said
    assert keys(await chat.send(OP, "/find nobody")) == ["admin-user-not-found"]

    name = await external(db, runner)
    await chat.send(OP, f"/suspend {name} no-shows")
    (card,) = await chat.send(OP, "/find 测试")  # the real name they applied with
    assert card.text.startswith(f"{name} (#{runner}) · runner · account suspended (/restore lifts it)\n")
    assert ("Runner: credit 75 (warning), suspended: takes no orders · orders: 1 active, 0 completed · not rated "
            "yet · runner wallet 0.00 yuan") in card.text
    assert "Orders placed: none\nOrders taken as runner: 1, newest first:\n" in card.text
    assert f"#{placed[0]} " in card.text.split("Orders taken as runner")[1]

    applicant = await make_runner(db, campus, clock.now, approved=False)
    (card,) = await chat.send(OP, f"/find user #{applicant}")
    assert "Runner application waiting since 11-23 10:06: /approve or /reject it" in card.text
    await operator_speaking(db, campus, clock.now, "zh_CN")
    (card,) = await chat.send("dora", "/find alice")
    assert card.text.startswith(f"alice (#{alice}) · 学生\n钱包：0.00 元\n下的订单：共 6 单，显示最近 5 单，最新的在前：")


@pytest.mark.parametrize(("language", "refusal"), [
    ("en", "cannot be given the order: the bot cannot write to them"), ("zh_CN", "机器人无法给对方发消息"),
], ids=["en", "zh_CN"])
async def test_reassign_to_a_runner_the_bot_cannot_write_to_is_refused(chat, db, campus, clock, language, refusal):
    """Like the hall and the offers: the new runner would never get the order's details (the student's phone)."""
    await operator_speaking(db, campus, clock.now, language)
    customer = await make_user(db, campus, clock.now)
    first = await make_runner(db, campus, clock.now)
    unreachable = await make_runner(db, campus, clock.now)
    async with UnitOfWork(db) as uow:  # never started the bot, or blocked it (the sender saw a 403)
        await uow.session.execute(update(User).where(User.id == unreachable).values(started_bot=False))
    order_id = await accepted_order(db, campus, clock.now, customer, first)
    for person in (customer, first, unreachable):
        await inbox_keys(chat, person)

    refused = await chat.send("dora", f"/reassign {order_id} #{unreachable}")
    assert keys(refused) == ["admin-runner-unreachable"] and refusal in refused[0].text
    assert f"#{unreachable}" in refused[0].text
    row = await get(db, OrderRow, order_id)
    assert (row.status, row.runner_id) == ("accepted", first)
    assert (await get(db, RunnerProfile, unreachable)).active_orders == 0
    assert [await inbox_keys(chat, p) for p in (customer, first, unreachable)] == [[], [], []]
    assert await actions(db) == []


@pytest.mark.parametrize(("language", "refusal"), [
    ("en", "Order #{order} is under review (a complaint or a report), so it cannot be cancelled: close it with "
           "/resolve {order} refund (the student is refunded) or /resolve {order} complete (the runner is paid), "
           "optionally with a compensation to the student and a note, like /resolve {order} refund ¥5 item damaged."),
    ("zh_CN", "订单 #{order} 正在处理异常（投诉或报告），不能取消：请用 /resolve {order} refund（退款给学生）或 "
              "/resolve {order} complete（向跑腿员付款）结案，可再加给学生的补偿和备注，例如 /resolve {order} refund ¥5 物品损坏。"),
], ids=["en", "zh_CN"])
async def test_cancelling_an_order_under_review_points_to_resolve(chat, db, campus, clock, language, refusal):
    """An order under review is closed with /resolve, which decides its complaints too: the refusal says so rather
    than leave the operator with "not possible"."""
    await operator_speaking(db, campus, clock.now, language)
    customer = await make_user(db, campus, clock.now)
    runner = await make_runner(db, campus, clock.now)
    order_id = await exception_order(db, campus, clock.now, customer, runner)

    replies = await chat.send("dora", f"/cancelorder {order_id} shop closed")
    assert [(r.key, r.text) for r in replies] == [("admin-cancel-under-review", refusal.format(order=order_id))]
    assert (await get(db, OrderRow, order_id)).status == "exception"
    assert await actions(db) == []


async def test_cancel_refunds_the_student_in_full(chat, db, campus, clock):
    op = await operator(chat)
    customer = await make_user(db, campus, clock.now, name="carol")
    order_id = await make_order(db, campus, customer, clock.now)
    total = (await get(db, OrderRow, order_id)).total
    assert await balance(db, ledger.customer(customer)) == 0
    replies = await chat.send(OP, f"/cancelorder {order_id} shop closed")
    assert keys(replies) == ["admin-order-cancelled"]
    assert replies[0].text == (f"Order #{order_id} is cancelled. Refunded to the student's wallet: "
                               f"{total / 100:.2f} yuan.")
    assert (await get(db, OrderRow, order_id)).status == "cancelled"
    assert await balance(db, ledger.customer(customer)) == total
    assert await balance(db, ledger.escrow(order_id)) == 0
    told = {p["key"]: p["text"] for p in await chat.inbox("carol")}  # carol reads Chinese
    assert told["notice-cancelled-by-operator"] == (
        f"订单 #{order_id} 已被客服取消，{total / 100:.2f} 元已退回你的钱包。原因：shop closed")  # as the runner is told
    find = (await chat.send(OP, f"/find {order_id}"))[0].text
    assert 'cancel and refund: waiting for a runner → cancelled' in find and '"shop closed"' in find
    assert keys(await chat.send(OP, f"/cancelorder {order_id}")) == ["error-illegal-transition"]
    assert await balance(db, ledger.customer(customer)) == total
    assert_recorded(await actions(db), op, clock.now, ("cancel_order", f"order:{order_id}"))
    # An order not paid yet: nothing went anywhere, and the student is not told of a refund.
    unpaid = await make_order(db, campus, customer, clock.now, pay=False)
    await chat.send(OP, f"/cancelorder {unpaid}")  # no reason given: no "Reason:" line
    assert [(p["key"], p["text"]) for p in await chat.inbox("carol")] == [(
        "notice-cancelled-by-operator-unpaid", f"订单 #{unpaid} 已被客服取消。订单还没有支付，没有扣任何钱。")]
    assert await balance(db, ledger.customer(customer)) == total
    # No goods' cost is asked of an errand with no goods, so its reason may start with a number, or money.
    for reason in ("40 minutes and no runner", "5元 too dear", "-5 minutes"):
        late = await make_order(db, campus, customer, clock.now)
        assert keys(await chat.send(OP, f"/cancelorder {late} {reason}")) == ["admin-order-cancelled"]
        assert (await chat.inbox("carol"))[-1]["text"].endswith(f"原因：{reason}")


@pytest.mark.parametrize(("language", "told"), [
    ("en", "Order #{order} is cancelled. It was not paid, so nothing was charged and no refund was due."),
    ("zh_CN", "订单 #{order} 已取消。订单还没有支付，没有扣款，也无需退款。"),
], ids=["en", "zh_CN"])
async def test_cancelling_an_unpaid_order_tells_the_operator_nothing_was_refunded(chat, db, campus, clock, language,
                                                                                  told):
    await operator_speaking(db, campus, clock.now, language)
    customer = await make_user(db, campus, clock.now, name="carol")
    unpaid = await make_order(db, campus, customer, clock.now, pay=False)
    replies = await chat.send("dora", f"/cancelorder {unpaid} changed her mind")
    assert [(r.key, r.text) for r in replies] == [("admin-order-cancelled", told.format(order=unpaid))]
    assert "0.00" not in replies[0].text
    assert (await get(db, OrderRow, unpaid)).status == "cancelled"
    assert await balance(db, ledger.customer(customer)) == 0


async def test_cancel_from_the_order_card_asks_first(chat, db, campus, clock):
    await operator(chat)
    customer = await make_user(db, campus, clock.now)
    order_id = await make_order(db, campus, customer, clock.now)
    await chat.send(OP, f"/find {order_id}")
    confirm = await chat.press(OP, "Cancel and refund")
    assert keys(confirm) == ["admin-confirm-event"]
    assert (await get(db, OrderRow, order_id)).status == "open"
    assert keys(await chat.press(OP, "Yes, cancel and refund")) == ["admin-order-cancelled"]
    assert (await get(db, OrderRow, order_id)).status == "cancelled"
    again = await chat.press(OP, f"data:{confirm[0].flat_choices()[0].data}")
    assert keys(again) == ["error-illegal-transition"]


@pytest.mark.parametrize(("language", "question"), [
    ("en", {"resolve_refund": "Refund {refund} yuan of order #{order} ({total} yuan) to the student? 28.00 yuan of it "
                              "went on the goods, which the runner is paid back. This cannot be undone.",
            "operator_cancel": "Cancel order #{order} ({total} yuan) and refund {refund} yuan to the student? 28.00 "
                               "yuan of it went on the goods, which the runner is paid back. This cannot be undone."}),
    ("zh_CN", {"resolve_refund": "将订单 #{order}（{total} 元）中的 {refund} 元退款给学生？其中 28.00 元已用于购买商品，将付还给"
                                 "跑腿员。此操作无法撤销。",
               "operator_cancel": "取消订单 #{order}（{total} 元）并退款 {refund} 元给学生？其中 28.00 元已用于购买商品，将付还给"
                                  "跑腿员。此操作无法撤销。"}),
], ids=["en", "zh_CN"])
@pytest.mark.parametrize("event", ["resolve_refund", "operator_cancel"])
async def test_the_refund_confirmation_says_what_the_student_gets_back_not_the_total(chat, db, campus, clock,
                                                                                    language, question, event):
    """A buy task whose runner spent 28.00 of its 30.00 goods money: a refund (or a cancellation) gives the student
    all they paid but those 28.00 back, the goods being paid for. The confirmation named only the total ("Refund
    order #1 (36.00 yuan) to the student?"), as if all of it went back."""
    await operator_speaking(db, campus, clock.now, language)
    t = catalogue(language)
    customer = await make_user(db, campus, clock.now, name="carol")
    fay = await make_runner(db, campus, clock.now)
    order_id = await make_order(db, campus, customer, clock.now, goods=3000)
    for ev, kwargs in ((Event.accept, {}), (Event.pickup, {}), (Event.goods_bought, {"goods_spent": 2800})):
        await act(db, campus, order_id, ev, Actor(Role.runner, fay), clock.now, **kwargs)
    if event == "resolve_refund":
        await act(db, campus, order_id, Event.report, Actor(Role.customer, customer), clock.now)
    total = (await get(db, OrderRow, order_id)).total
    await chat.send("dora", f"/find {order_id}")
    [confirm] = await chat.press("dora", t("admin-button-event", event=event, refunded="yes"))
    assert confirm.text == question[event].format(order=order_id, total=format_yuan(total),
                                                  refund=format_yuan(total - 2800))
    before = await balance(db, ledger.customer(customer))
    await chat.press("dora", t("admin-button-confirm", event=event, refunded="yes"))
    assert await balance(db, ledger.customer(customer)) - before == total - 2800  # as the confirmation said
    assert await balance(db, ledger.runner(fay)) == 2800


async def speaks(db, language: str, uid: int) -> None:
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(User).where(User.id == uid).values(language=language))


@pytest.mark.parametrize(("language", "words"), [
    ("en", {"cancel": "Cancel", "yes": "Yes, cancel it",
            "question": "Cancel order #{order} ({total} yuan)? This cannot be undone.",
            "history": "cancel: awaiting payment → cancelled"}),
    ("zh_CN", {"cancel": "取消订单", "yes": "确定：取消订单", "question": "取消订单 #{order}（{total} 元）？此操作无法撤销。",
               "history": "取消订单：待支付 → 已取消"}),
], ids=["en", "zh_CN"])
async def test_the_card_of_an_order_never_paid_offers_cancel_not_cancel_and_refund(chat, db, campus, clock, language,
                                                                                   words):
    await operator_speaking(db, campus, clock.now, language)
    customer = await make_user(db, campus, clock.now)
    order_id = await make_order(db, campus, customer, clock.now, pay=False)
    total = (await get(db, OrderRow, order_id)).total
    [card] = await chat.send("dora", f"/find {order_id}")
    labels = [c.label for c in card.flat_choices()]
    assert words["cancel"] in labels and not any("refund" in label or "退款" in label for label in labels)

    [confirm] = await chat.press("dora", words["cancel"])
    assert confirm.text == words["question"].format(order=order_id, total=f"{total / 100:.2f}")
    assert keys(await chat.press("dora", words["yes"])) == ["admin-order-cancelled"]
    assert (await get(db, OrderRow, order_id)).status == "cancelled"
    assert await balance(db, ledger.customer(customer)) == 0
    [card] = await chat.send("dora", f"/find {order_id}")
    assert words["history"] in card.text


@pytest.mark.parametrize(("language", "words"), [
    ("en", {"cancel": "Cancel", "done": "Order #{order} is cancelled. The student's coupon covered all of it, so "
            "they paid nothing and no refund was due.", "told": "Order #{order} was cancelled by the service. Your "
            "coupon covered all of it, so you paid nothing and nothing went back to your wallet. Reason: shop closed"}),
    ("zh_CN", {"cancel": "取消订单", "done": "订单 #{order} 已取消。学生的优惠券抵扣了全部费用，学生没有付钱，也无需退款。",
               "told": "订单 #{order} 已被客服取消。这笔订单由优惠券全额抵扣，你没有支付任何费用，因此没有金额退回钱包。原因：shop closed"}),
], ids=["en", "zh_CN"])
async def test_cancelling_an_order_a_coupon_paid_in_full_tells_no_one_of_0_yuan_refunded(chat, db, campus, clock,
                                                                                         language, words):
    await operator_speaking(db, campus, clock.now, language)
    customer = await make_user(db, campus, clock.now, name="carol")
    await speaks(db, language, customer)
    order_id = await make_order(db, campus, customer, clock.now, coupon=FREE_COUPON)
    assert (await get(db, OrderRow, order_id)).total == 0
    [card] = await chat.send("dora", f"/find {order_id}")
    assert words["cancel"] in [c.label for c in card.flat_choices()]  # nothing to refund: "cancel"

    replies = await chat.send("dora", f"/cancelorder {order_id} shop closed")
    assert [(r.key, r.text) for r in replies] == [("admin-order-cancelled", words["done"].format(order=order_id))]
    assert [(p["key"], p["text"]) for p in await chat.inbox("carol")] == [
        ("notice-cancelled-by-operator", words["told"].format(order=order_id))]
    assert await balance(db, ledger.customer(customer)) == 0


# ---------------------------------------------------------------------------------------------------- exceptions


async def exception_order(db, campus, now, customer: int, runner: int) -> int:
    order_id = await accepted_order(db, campus, now, customer, runner)
    await act(db, campus, order_id, Event.pickup, Actor(Role.runner, runner), now)
    await act(db, campus, order_id, Event.report, Actor(Role.customer, customer), now)
    return order_id


async def test_resolve_with_refund_and_compensation(chat, db, campus, clock):
    op = await operator(chat)
    customer = await make_user(db, campus, clock.now, name="carol")
    runner = await make_runner(db, campus, clock.now)
    order_id = await exception_order(db, campus, clock.now, customer, runner)
    complaint = await complain(db, order_id, customer, "the parcel arrived crushed", clock.now)
    total = (await get(db, OrderRow, order_id)).total
    penalised = campus.credit.initial + campus.credit.changes["complaint_upheld"]
    await chat.inbox("carol")

    assert keys(await chat.send(OP, "/complaints")) == ["admin-complaints-title", "admin-complaint-line"]
    replies = await chat.send(OP, f"/resolve {order_id} refund ¥5 item damaged")
    assert keys(replies) == ["admin-resolved"]
    assert f"Compensation paid to the student carol (#{customer}): 5.00 yuan. Complaints upheld: 1, dismissed: 0." \
        in replies[0].text
    assert (await get(db, OrderRow, order_id)).status == "refunded"
    assert await balance(db, ledger.customer(customer)) == total + 500
    assert await balance(db, ledger.PLATFORM_REVENUE) == -500
    assert await balance(db, ledger.escrow(order_id)) == 0
    decided = await get(db, Complaint, complaint)
    assert (decided.status, decided.decided_by, decided.resolution) == ("upheld", op, "item damaged")
    assert (await get(db, RunnerProfile, runner)).credit == penalised
    async with UnitOfWork(db, write=False) as uow:
        records = list(await uow.session.scalars(select(CreditRecord.event).where(CreditRecord.runner_id == runner)))
    assert records == ["complaint_upheld"]
    told = [p["key"] for p in await chat.inbox("carol")]
    assert {"notice-refunded", "admin-compensated", "admin-complaint-upheld"} <= set(told)

    # Once per order: resolving again is refused, and so is a second compensation for the same order.
    assert keys(await chat.send(OP, f"/resolve {order_id} refund ¥5")) == ["error-illegal-transition"]
    again = await complain(db, order_id, customer, "still unhappy", clock.now)
    assert keys(await chat.send(OP, f"/uphold {again} 5元")) == ["admin-already-compensated"]
    assert (await get(db, Complaint, again)).status == "open"
    assert await balance(db, ledger.customer(customer)) == total + 500
    assert keys(await chat.send(OP, f"/dismiss {again} already compensated")) == ["admin-complaint-done"]
    assert (await get(db, Complaint, again)).status == "dismissed"
    assert keys(await chat.send(OP, f"/dismiss {again}")) == ["admin-complaint-decided"]
    assert (await get(db, RunnerProfile, runner)).credit == penalised
    rows = await actions(db)
    assert_recorded(rows, op, clock.now, ("resolve", f"order:{order_id}"), ("dismiss_complaint", f"complaint:{again}"))
    assert rows[0].details["compensation"] == 500
    async with UnitOfWork(db, write=False) as uow:
        assert await uow.ledger.total() == 0


async def test_resolve_complete_pays_the_runner_and_dismisses_the_complaint(chat, db, campus, clock):
    await operator(chat)
    customer = await make_user(db, campus, clock.now)
    runner = await make_runner(db, campus, clock.now)
    order_id = await exception_order(db, campus, clock.now, customer, runner)
    complaint = await complain(db, order_id, customer, "runner was rude", clock.now)
    runners_complaint = await complain(db, order_id, runner, "student does not answer", clock.now)
    row = await get(db, OrderRow, order_id)
    replies = await chat.send(OP, f"/resolve {order_id} complete delivered fine")
    assert keys(replies) == ["admin-resolved"] and "Complaints upheld: 1, dismissed: 1." in replies[0].text
    assert (await get(db, OrderRow, order_id)).status == "completed"
    assert await balance(db, ledger.runner(runner)) == row.runner_share
    assert await balance(db, ledger.PLATFORM_REVENUE) == row.commission
    assert (await get(db, Complaint, complaint)).status == "dismissed"
    assert (await get(db, Complaint, runners_complaint)).status == "upheld"
    assert (await get(db, RunnerProfile, runner)).credit == campus.credit.initial + campus.credit.changes["completed"]
    assert "admin-complaint-dismissed" in await inbox_keys(chat, customer)
    assert "admin-complaint-upheld-completed" in await inbox_keys(chat, runner)

    # A runner's complaint upheld with a compensation pays the runner, into their runner wallet, once per order.
    later = await complain(db, order_id, runner, "tip promised, never paid", clock.now)
    done = await chat.send(OP, f"/uphold {later} ¥5 the tip they were promised")
    assert keys(done) == ["admin-complaint-done"] and "Compensation paid to the runner" in done[0].text
    assert await balance(db, ledger.runner(runner)) == row.runner_share + 500
    assert await balance(db, ledger.PLATFORM_REVENUE) == row.commission - 500
    assert await balance(db, ledger.customer(customer)) == 0
    told = [p for p in await chat.inbox(await external(db, runner)) if p["key"] == "admin-compensated"]
    assert len(told) == 1 and "5.00" in told[0]["text"] and "/income" in told[0]["text"]
    again = await complain(db, order_id, runner, "and the student was rude", clock.now)
    refused = await chat.send(OP, f"/uphold {again} ¥5")
    assert keys(refused) == ["admin-already-compensated"] and refused[0].text.startswith("This runner")
    assert (await get(db, Complaint, again)).status == "open"
    assert await balance(db, ledger.runner(runner)) == row.runner_share + 500
    # Decided from the list instead, without a compensation.
    listed = await chat.send(OP, "/complaints")
    assert keys(listed) == ["admin-complaints-title", "admin-complaint-line"] and "rude" in listed[1].text
    assert keys(await chat.press(OP, "Uphold")) == ["admin-complaint-done"]
    assert (await get(db, Complaint, again)).status == "upheld"
    assert (await get(db, RunnerProfile, runner)).credit == campus.credit.initial + campus.credit.changes["completed"]
    assert await balance(db, ledger.runner(runner)) == row.runner_share + 500
    async with UnitOfWork(db, write=False) as uow:
        assert await uow.ledger.total() == 0
    assert keys(await chat.send(OP, "/complaints")) == ["admin-complaints-none"]


async def test_a_completion_upholds_only_the_complaint_of_the_runner_it_pays(chat, db, campus, clock):
    """A runner complains and /resolve … reopen gives the order to another runner, who carries it; completing it
    then pays that other runner, so the first one's complaint is not upheld as "you are paid for it": it stays
    open, named to the operator, as after a refund."""
    await operator(chat)
    customer = await make_user(db, campus, clock.now)
    first, second = await make_runner(db, campus, clock.now), await make_runner(db, campus, clock.now)
    order_id = await accepted_order(db, campus, clock.now, customer, first)
    await act(db, campus, order_id, Event.report, Actor(Role.runner, first), clock.now)
    firsts = await complain(db, order_id, first, "the student gave a wrong building", clock.now)
    assert keys(await chat.send(OP, f"/resolve {order_id} reopen building fixed")) == ["admin-resolved"]
    assert (await get(db, Complaint, firsts)).status == "open"
    for event in (Event.accept, Event.pickup, Event.deliver):
        await act(db, campus, order_id, event, Actor(Role.runner, second), clock.now)
    await act(db, campus, order_id, Event.report, Actor(Role.customer, customer), clock.now)
    seconds = await complain(db, order_id, second, "the student will not confirm", clock.now)
    await chat.inbox(await external(db, first))
    await chat.inbox(await external(db, second))

    replies = await chat.send(OP, f"/resolve {order_id} complete delivered fine")
    assert keys(replies) == ["admin-resolved"]
    assert "Complaints upheld: 1, dismissed: 0." in replies[0].text
    assert f"The runner's complaint #{firsts} is no part of this resolution and stays open" in replies[0].text
    assert (await get(db, Complaint, firsts)).status == "open"
    assert (await get(db, Complaint, seconds)).status == "upheld"
    assert not [k for k in await inbox_keys(chat, first) if k.startswith("admin-complaint-")]
    assert "admin-complaint-upheld-completed" in await inbox_keys(chat, second)
    assert await balance(db, ledger.runner(first)) == 0
    assert await balance(db, ledger.runner(second)) == (await get(db, OrderRow, order_id)).runner_share


@pytest.mark.parametrize(("language", "words"), [
    ("en", {"resolved": "Order #{order} resolved: refunded to the student. Compensation paid to the student carol "
            "(#{customer}): 1.50 yuan. Complaints upheld: 1, dismissed: 0. Credit taken from the runner the complaint "
            "was about: {runner}. The runner's complaint #{left} is no part of this resolution and stays open: decide "
            "it with /uphold {left} (with a compensation to the runner if due, like ¥5) or /dismiss {left}.",
            "card": "Complaint #{complaint} was decided with order #{order}'s resolution: upheld.",
            "uphold": "Complaint #{left} upheld. Compensation paid to the runner {runner}: 1.00 yuan."}),
    ("zh_CN", {"resolved": "订单 #{order} 已处理：已退款给学生。已向学生 carol (#{customer}) 支付补偿 1.50 元。投诉成立 1 件，"
               "驳回 0 件。已扣被投诉跑腿员 {runner} 的信用分。跑腿员的投诉 #{left} 不随本次处理决定，仍待处理：请用 "
               "/uphold {left}（如需补偿跑腿员，可加金额，例如 ¥5）或 /dismiss {left}。",
               "card": "投诉 #{complaint} 已随订单 #{order} 的处理一并决定：已成立。",
               "uphold": "投诉 #{left} 已成立。已向跑腿员 {runner} 支付补偿 1.00 元。"}),
], ids=["en", "zh_CN"])
async def test_a_refund_leaves_the_runners_complaint_on_the_same_order_open_to_be_compensated(
        chat, db, campus, clock, language, words):
    """/resolve … refund answers the student's complaint, not the runner's (a trip for nothing): the runner's stays
    open, untold, for its own /uphold with the runner's compensation. The student's card says what became of it as
    an outcome, not as the refusal of a second decision."""
    await operator_speaking(db, campus, clock.now, language)
    customer = await make_user(db, campus, clock.now, name="carol")
    runner = await make_runner(db, campus, clock.now)
    order_id = await exception_order(db, campus, clock.now, customer, runner)
    complaint = await complain(db, order_id, customer, "never got it", clock.now)
    runners = await complain(db, order_id, runner, "student not answering the phone", clock.now)
    async with UnitOfWork(db) as uow:  # their cards, as a channel that can edit its messages records them
        for message, shown in (("41", complaint), ("42", runners)):
            await cards.shown(uow.session, "console", "dora", f"complaint/{shown}", message, clock.now)
    await chat.inbox(await external(db, runner))

    replies = await chat.send("dora", f"/resolve {order_id} refund ¥1.5 never arrived")
    named = who(await get(db, User, runner))
    assert [(r.key, r.text, r.replaces) for r in replies] == [  # the runner's card keeps its buttons
        ("admin-complaint-resolved", words["card"].format(complaint=complaint, order=order_id), "41"),
        ("admin-resolved", words["resolved"].format(order=order_id, customer=customer, runner=named, left=runners),
         None)]
    assert (await get(db, Complaint, complaint)).status == "upheld"
    assert (await get(db, Complaint, runners)).status == "open"
    told = await inbox_keys(chat, runner)
    assert not [key for key in told if key.startswith("admin-complaint-")]  # nothing of the student's note
    listed = await chat.send("dora", "/complaints")
    assert keys(listed) == ["admin-complaints-title", "admin-complaint-line"] and f"#{runners}" in listed[1].text

    replies = await chat.send("dora", f"/uphold {runners} ¥1 wasted trip")
    done = words["uphold"].format(left=runners, runner=named)
    assert [(r.key, r.text, r.replaces) for r in replies] == [("admin-complaint-done", done, None),
                                                              ("admin-complaint-done", done, "42")]  # and its card
    assert await balance(db, ledger.runner(runner)) == 100
    assert "admin-complaint-upheld" in await inbox_keys(chat, runner)
    async with UnitOfWork(db, write=False) as uow:
        assert await uow.ledger.total() == 0


async def test_reopening_leaves_the_runners_complaint_open(chat, db, campus, clock):
    await operator(chat)
    customer = await make_user(db, campus, clock.now, name="carol")
    runner = await make_runner(db, campus, clock.now)
    order_id = await accepted_order(db, campus, clock.now, customer, runner)
    await act(db, campus, order_id, Event.report, Actor(Role.runner, runner), clock.now)
    runners = await complain(db, order_id, runner, "the shop is closed", clock.now)
    replies = await chat.send(OP, f"/resolve {order_id} reopen")
    assert "Complaints upheld: 0, dismissed: 0." in replies[-1].text and f"complaint #{runners} is no part" \
        in replies[-1].text
    assert (await get(db, Complaint, runners)).status == "open"
    assert keys(await chat.send(OP, f"/dismiss {runners} the shop opened later")) == ["admin-complaint-done"]


@pytest.mark.parametrize(("language", "words"), [
    ("en", {"line": "by carol (#{customer}), about the runner {first},",
            "done": "Complaint #{complaint} upheld. No compensation. Credit taken from the runner the complaint was "
                    "about: {first}."}),
    ("zh_CN", {"line": "来自 carol (#{customer})，被投诉跑腿员 {first}，",
               "done": "投诉 #{complaint} 已成立。无补偿。已扣被投诉跑腿员 {first} 的信用分。"}),
], ids=["en", "zh_CN"])
async def test_an_upheld_complaint_counts_against_the_runner_it_was_about_after_a_reassignment(
        chat, db, campus, clock, language, words):
    """The complaint was about the runner the order had then: once reassigned, the order's new runner did nothing
    to deserve it, and the operator is shown, and told, whose credit it costs."""
    op = await operator_speaking(db, campus, clock.now, language)
    customer = await make_user(db, campus, clock.now, name="carol")
    first = await make_runner(db, campus, clock.now)
    second = await make_runner(db, campus, clock.now)
    order_id = await accepted_order(db, campus, clock.now, customer, first)
    complaint = await complain(db, order_id, customer, "rude on the phone", clock.now)
    clock.advance(minutes=1)
    await act(db, campus, order_id, Event.reassign, Actor(Role.operator, op), clock.now, runner_id=second)

    listed = await chat.send("dora", "/complaints")
    named = who(await get(db, User, first))
    assert words["line"].format(customer=customer, first=named) in listed[1].text
    replies = await chat.send("dora", f"/uphold {complaint}")
    assert [(r.key, r.text) for r in replies] == [
        ("admin-complaint-done", words["done"].format(complaint=complaint, first=named))]
    penalised = campus.credit.initial + campus.credit.changes["complaint_upheld"]
    assert (await get(db, RunnerProfile, first)).credit == penalised
    assert (await get(db, RunnerProfile, second)).credit == campus.credit.initial
    async with UnitOfWork(db, write=False) as uow:
        records = (await uow.session.execute(select(CreditRecord.runner_id, CreditRecord.event).where(
            CreditRecord.event == "complaint_upheld"))).all()
    assert records == [(first, "complaint_upheld")]


@pytest.mark.parametrize(("language", "words"), [
    ("en", {"resolved": "Order #{order} resolved: completed, the runner is paid. Compensation paid to the student "
            "carol (#{student}): 5.00 yuan. Complaints upheld: 1, dismissed: 0.",
            "upheld": "Complaint #{complaint} upheld. Compensation paid to the student carol (#{student}): 3.00 yuan. "
                      "Credit taken from the runner the complaint was about: {runner}.",
            "runner": "Complaint #{complaint} upheld. Compensation paid to the runner {runner}: 2.00 yuan.",
            "help": "A compensation is paid by the platform: /resolve's to the order's student; /uphold's to whoever "
                    "made the complaint, the student or a runner (into their runner wallet), once per order and "
                    "person, also on a complaint upheld already (as /resolve upholds a runner's)."}),
    ("zh_CN", {"resolved": "订单 #{order} 已处理：完成，已向跑腿员付款。已向学生 carol (#{student}) 支付补偿 5.00 元。投诉成立 1 件，"
               "驳回 0 件。", "upheld": "投诉 #{complaint} 已成立。已向学生 carol (#{student}) 支付补偿 3.00 元。已扣被投诉跑腿员 {runner} "
               "的信用分。",
               "runner": "投诉 #{complaint} 已成立。已向跑腿员 {runner} 支付补偿 2.00 元。",
               "help": "补偿由平台支付：/resolve 的补偿付给订单的学生；/uphold 的补偿付给投诉人，"
                       "学生或跑腿员（存入跑腿钱包），每个订单每人一次；"
                       "已成立的投诉（如 /resolve 一并认定的跑腿员投诉）也可再用 /uphold 补付。"}),
], ids=["en", "zh_CN"])
async def test_the_operator_is_told_who_receives_a_compensation(chat, db, campus, clock, language, words):
    """/resolve's compensation goes to the student, on a runner's complaint too (ledger.compensation); /uphold's to
    whoever complained. The confirmation and the help say whom, with the amount, so the operator is not left to
    guess."""
    await operator_speaking(db, campus, clock.now, language)
    assert words["help"] in (await chat.send("dora", "/admin"))[0].text
    customer = await make_user(db, campus, clock.now, name="carol")
    runner = await make_runner(db, campus, clock.now)
    order_id = await accepted_order(db, campus, clock.now, customer, runner)
    await act(db, campus, order_id, Event.report, Actor(Role.runner, runner), clock.now)
    await complain(db, order_id, runner, "customer not answering", clock.now)
    row = await get(db, OrderRow, order_id)

    replies = await chat.send("dora", f"/resolve {order_id} complete 5元 runner was right")
    assert [(r.key, r.text) for r in replies] == [
        ("admin-resolved", words["resolved"].format(order=order_id, student=customer))]
    assert await balance(db, ledger.customer(customer)) == 500
    assert await balance(db, ledger.runner(runner)) == row.runner_share  # its share only: no compensation
    other = await make_order(db, campus, customer, clock.now)
    await act(db, campus, other, Event.accept, Actor(Role.runner, runner), clock.now)
    later = await complain(db, other, customer, "late", clock.now)
    replies = await chat.send("dora", f"/uphold {later} ¥3 late")
    assert [(r.key, r.text) for r in replies] == [
        ("admin-complaint-done", words["upheld"].format(complaint=later, student=customer,
                                                        runner=who(await get(db, User, runner))))]
    assert await balance(db, ledger.customer(customer)) == 800
    runners = await complain(db, other, runner, "the student sent me to the wrong gate", clock.now)
    replies = await chat.send("dora", f"/uphold {runners} ¥2")
    assert [(r.key, r.text) for r in replies] == [
        ("admin-complaint-done", words["runner"].format(complaint=runners, runner=who(await get(db, User, runner))))]
    assert await balance(db, ledger.runner(runner)) == row.runner_share + 200
    assert await balance(db, ledger.customer(customer)) == 800
    async with UnitOfWork(db, write=False) as uow:
        assert await uow.ledger.total() == 0


@pytest.mark.parametrize(("language", "words"), [
    ("en", {"resolved": "Order #{order} resolved: closed in the student's favour; their coupon covered all of it, so "
            "there was nothing to refund. No compensation. Complaints upheld: 1, dismissed: 0. Credit taken from the "
            "runner the complaint was about: {runner}.",
            "told": "Order #{order} was closed in your favour. Your coupon covered all of it, so you "
            "paid nothing and nothing went back to your wallet.", "dismissed": "Complaint #{complaint} dismissed. "
            "No compensation.", "history": [
                "paid in full by the coupon: awaiting payment → waiting for a runner",
                "resolve: in the student's favour (nothing to refund): under review → closed (paid by the coupon, "
                "nothing to refund)"]}),
    ("zh_CN", {"resolved": "订单 #{order} 已处理：按有利于学生的方式结案；这笔订单由优惠券全额抵扣，无需退款。无补偿。"
                           "投诉成立 1 件，驳回 0 件。已扣被投诉跑腿员 {runner} 的信用分。",
               "told": "订单 #{order} 已按退款结案。这笔订单由优惠券全额抵扣，你没有支付任何费用，因此没有金额退回钱包。",
               "dismissed": "投诉 #{complaint} 已驳回。无补偿。", "history": [
                   "优惠券全额抵扣：待支付 → 等待接单",
                   "处理：按有利于学生的方式结案（无需退款）：异常处理中 → 已关闭（优惠券全额抵扣，无需退款）"]}),
], ids=["en", "zh_CN"])
async def test_a_refund_of_an_order_a_coupon_paid_in_full_and_no_compensation_are_said_in_words(
        chat, db, campus, clock, language, words):
    await operator_speaking(db, campus, clock.now, language)
    customer = await make_user(db, campus, clock.now, name="carol")
    await speaks(db, language, customer)
    runner = await make_runner(db, campus, clock.now)
    order_id = await make_order(db, campus, customer, clock.now, coupon=FREE_COUPON)
    await act(db, campus, order_id, Event.accept, Actor(Role.runner, runner), clock.now)
    await act(db, campus, order_id, Event.report, Actor(Role.customer, customer), clock.now)
    await complain(db, order_id, customer, "never came", clock.now)
    await chat.inbox("carol")

    replies = await chat.send("dora", f"/resolve {order_id} refund")
    assert [(r.key, r.text) for r in replies] == [
        ("admin-resolved", words["resolved"].format(order=order_id, runner=who(await get(db, User, runner))))]
    told = {p["key"]: p["text"] for p in await chat.inbox("carol")}
    assert told["notice-refunded"] == words["told"].format(order=order_id)
    later = await complain(db, order_id, customer, "still unhappy", clock.now)
    replies = await chat.send("dora", f"/dismiss {later} already decided")
    assert [(r.key, r.text) for r in replies] == [("admin-complaint-done",
                                                   words["dismissed"].format(complaint=later))]
    assert await balance(db, ledger.customer(customer)) == 0
    [card] = await chat.send("dora", f"/find {order_id}")
    assert all(line in card.text for line in words["history"]), card.text


@pytest.mark.parametrize(("args", "key"), [
    ("", "admin-usage-resolve"), ("maybe", "admin-usage-resolve"), ("refund ¥1.234", "admin-compensation-invalid"),
    ("refund 501元", "admin-amount-range"), ("complete ¥0", "admin-amount-range"),
    ("refund 5", "admin-compensation-unmarked"), ("complete 5.5 late", "admin-compensation-unmarked"),
    # Written as money but no amount: refused, never left in the note while the order is resolved without it.
    ("refund ¥-5 物品损坏", "admin-amount-range"), ("refund -5元 物品损坏", "admin-amount-range"),
    ("refund -5 物品损坏", "admin-amount-range"), ("refund ¥ -5 物品损坏", "admin-amount-range"),
    ("refund ¥5,5 物品损坏", "admin-compensation-invalid"), ("refund 5,5 元 物品损坏", "admin-compensation-invalid"),
    ("refund ¥1e3 物品损坏", "admin-compensation-invalid"), ("refund RMB 物品损坏", "admin-compensation-invalid"),
    ("refund $5 物品损坏", "admin-compensation-invalid"), ("refund 五元 物品损坏", "admin-compensation-invalid"),
    ("refund ¥0.001 物品损坏", "admin-compensation-invalid"), ("refund ¥", "admin-compensation-invalid"),
])
async def test_resolve_refuses_bad_input(chat, db, campus, clock, args, key):
    await operator(chat)
    customer = await make_user(db, campus, clock.now)
    runner = await make_runner(db, campus, clock.now)
    order_id = await exception_order(db, campus, clock.now, customer, runner)
    assert keys(await chat.send(OP, f"/resolve {order_id} {args}")) == [key]
    assert (await get(db, OrderRow, order_id)).status == "exception"
    assert await balance(db, ledger.customer(customer)) == 0
    assert await actions(db) == []


@pytest.mark.parametrize(("language", "paid", "refused"), [
    ("en", "Withdrawal #{id} is already paid out.", "Withdrawal #{id} is already refused."),
    ("zh_CN", "提现 #{id} 已处理过（已打款）。", "提现 #{id} 已处理过（已拒绝）。"),
])
async def test_a_withdrawal_decided_already_is_said_as_its_buttons_say_it(chat, db, campus, clock, language, paid,
                                                                           refused):
    # Before: "already approved" / "已通过" of a withdrawal whose buttons and confirmation say "paid out" / "已打款".
    await operator(chat)
    op = await external(db, await operator_speaking(db, campus, clock.now, language))
    customer = await make_user(db, campus, clock.now)
    runner = await make_runner(db, campus, clock.now)
    await completed_order(db, campus, clock.now, customer, runner)
    first, second = [await request_withdrawal(db, runner, 100, clock.now) for _ in range(2)]
    await chat.send(op, f"/payout {first}")
    await chat.send(op, f"/refusepayout {second} wrong account")
    assert [r.text for r in await chat.send(op, f"/payout {first}")] == [paid.format(id=first)]
    assert [r.text for r in await chat.send(op, f"/refusepayout {second}")] == [refused.format(id=second)]


@pytest.mark.parametrize(("language", "question"), [
    ("en", 'Is "40" a compensation? Write it as money, like ¥40 or 40元.'),
    ("zh_CN", "“40”是补偿金额吗？请写成金额，如 ¥40 或 40元。"),
], ids=["en", "zh_CN"])
async def test_a_number_starting_the_note_is_not_paid_as_compensation(chat, db, campus, clock, language, question):
    await operator_speaking(db, campus, clock.now, language)
    customer = await make_user(db, campus, clock.now)
    runner = await make_runner(db, campus, clock.now)
    order_id = await exception_order(db, campus, clock.now, customer, runner)
    total = (await get(db, OrderRow, order_id)).total

    refused = await chat.send("dora", f"/resolve {order_id} refund 40 minutes late, student waited")
    assert keys(refused) == ["admin-compensation-unmarked"] and refused[0].text.startswith(question)
    assert (await get(db, OrderRow, order_id)).status == "exception"
    assert await balance(db, ledger.customer(customer)) == 0 and await actions(db) == []

    # Written as money it is a compensation; a note with a word first keeps its number as words.
    # An errand with no goods has no cost to give: "spent" begins the note.
    assert keys(await chat.send("dora", f"/resolve {order_id} refund spent 2 hours")) == ["admin-resolved"]
    assert (await actions(db))[0].details["note"] == "spent 2 hours"
    order_id = await exception_order(db, campus, clock.now, customer, runner)
    replies = await chat.send("dora", f"/resolve {order_id} refund ¥4 waited 40 minutes")
    assert keys(replies) == ["admin-resolved"] and replies[0].args["compensation"] == "4.00"
    assert await balance(db, ledger.customer(customer)) == 2 * total + 400
    action = (await actions(db))[-1]
    assert (action.details["compensation"], action.details["note"]) == (400, "waited 40 minutes")


@pytest.mark.parametrize("written", ["¥ 5", "5块", "5块钱", "RMB5", "rmb 5", "5 元", "5 yuan", "￥５", "5.00元"])
async def test_a_compensation_is_read_in_the_usual_ways_of_writing_money(chat, db, campus, clock, written):
    await operator(chat)
    customer = await make_user(db, campus, clock.now)
    runner = await make_runner(db, campus, clock.now)
    order_id = await exception_order(db, campus, clock.now, customer, runner)
    total = (await get(db, OrderRow, order_id)).total

    replies = await chat.send(OP, f"/resolve {order_id} refund {written} 物品损坏")
    assert keys(replies) == ["admin-resolved"] and replies[0].args["compensation"] == "5.00"
    assert await balance(db, ledger.customer(customer)) == total + 500
    (action,) = await actions(db)
    assert (action.details["compensation"], action.details["note"]) == (500, "物品损坏")


@pytest.mark.parametrize(("language", "words"), [
    ("en", {"invalid": '"¥5,5" is not an amount. Write the compensation as money in yuan, like ¥5 or 5.50元. '
                       "Nothing was done.",
            "range": "The amount must be more than 0 and at most 500.00 yuan."}),
    ("zh_CN", {"invalid": "“¥5,5”不是有效金额，请把补偿写成以元为单位的金额，例如 ¥5 或 5.50元。未做任何处理。",
               "range": "金额须大于 0，最多 500.00 元。"}),
], ids=["en", "zh_CN"])
async def test_a_compensation_written_wrong_is_refused_in_words_and_nothing_is_done(
        chat, db, campus, clock, language, words):
    await operator_speaking(db, campus, clock.now, language)
    customer = await make_user(db, campus, clock.now, name="carol")
    runner = await make_runner(db, campus, clock.now)
    order_id = await exception_order(db, campus, clock.now, customer, runner)
    complaint = await complain(db, order_id, customer, "crushed", clock.now)
    await chat.inbox("carol")

    for command, said in [(f"/resolve {order_id} refund ¥5,5 物品损坏", words["invalid"]),
                          (f"/resolve {order_id} refund ¥-5 物品损坏", words["range"]),
                          (f"/uphold {complaint} ¥-5 迟到", words["range"]),
                          (f"/uphold {complaint} ¥5,5 迟到", words["invalid"])]:
        replies = await chat.send("dora", command)
        assert [r.text for r in replies] == [said], command
    assert (await get(db, OrderRow, order_id)).status == "exception"
    assert (await get(db, Complaint, complaint)).status == "open"
    assert await balance(db, ledger.customer(customer)) == 0
    assert await chat.inbox("carol") == [] and await actions(db) == []


# ---------------------------------------------------------------------------------------------------- ids

BIG = str(MAX_ID + 1)  # no record can have it: ids are INTEGER columns, and PostgreSQL would not even compare it


async def test_a_number_no_record_can_have_is_not_found_like_any_other(chat, db, campus, clock):
    """On PostgreSQL too, where such a number used to fail the input, unanswered."""
    await operator(chat)
    customer = await make_user(db, campus, clock.now)
    runner = await make_runner(db, campus, clock.now)
    order_id = await accepted_order(db, campus, clock.now, customer, runner)
    for said, key in [
        (f"/find {BIG}", "error-order-not-found"), (f"/cancelorder {BIG}", "error-order-not-found"),
        (f"/resolve {BIG} refund ¥5", "error-order-not-found"),
        (f"/reassign #{BIG} #{runner}", "error-order-not-found"),
        (f"/approve {BIG}", "admin-application-not-found"), (f"/reject {BIG} x", "admin-application-not-found"),
        (f"/reject {BIG}", "admin-application-not-found"), (f"/uphold {BIG} ¥5", "admin-complaint-not-found"),
        (f"/dismiss {BIG}", "admin-complaint-not-found"), (f"/payout {BIG}", "admin-withdrawal-not-found"),
        (f"/refusepayout {BIG} x", "admin-withdrawal-not-found"), (f"/topup #{BIG} 5", "admin-user-not-found"),
        (f"/suspend #{BIG}", "admin-user-not-found"), (f"/restore #{BIG}", "admin-user-not-found"),
        (f"/reassign {order_id} #{BIG}", "admin-user-not-found"),
    ]:
        assert keys(await chat.send(OP, said)) == [key], said
    # A forged button as well.
    for data, key in [(f"adm:find:{BIG}", "error-order-not-found"), (f"adm:ra:{BIG}", "error-order-not-found"),
                      (f"adm:ev:{BIG}:oc", "error-order-not-found"), (f"adm:do:{BIG}:rr:5", "error-order-not-found"),
                      (f"adm:approve:{BIG}", "admin-application-not-found"),
                      (f"adm:reject:{BIG}", "admin-application-not-found"),
                      (f"adm:wok:{BIG}", "admin-withdrawal-not-found"), (f"adm:up:{BIG}", "admin-complaint-not-found"),
                      (f"adm:find:{BIG}x", "error-stale-choice")]:
        assert keys(await chat.press(OP, f"data:{data}")) == [key], data
    assert (await get(db, OrderRow, order_id)).status == "accepted" and await actions(db) == []


@pytest.mark.parametrize(("language", "words"), [
    ("en", {"order": f"There is no order #{BIG}.", "user": f'There is no user "#{BIG}" on this campus.',
            "long": "User #9999999999999999999… has not applied to be a runner here.",
            "typo": '"1234567890123456789…" is not a number. Write it like 12.'}),
    ("zh_CN", {"order": f"没有 #{BIG} 这个订单。", "user": f"本校没有用户“#{BIG}”。",
               "long": "用户 #9999999999999999999… 没有在本校申请成为跑腿员。",
               "typo": "“1234567890123456789…”不是数字，请写成 12 这样。"}),
], ids=["en", "zh_CN"])
async def test_a_number_too_big_for_any_record_is_said_as_typed(chat, db, campus, clock, language, words):
    await operator_speaking(db, campus, clock.now, language)
    for said, expected in [(f"/find {BIG}", words["order"]), (f"/topup #{BIG} 5", words["user"]),
                           ("/approve 99999999999999999999999", words["long"]),
                           ("/approve 1234567890123456789012345x", words["typo"])]:
        assert [r.text for r in await chat.send("dora", said)] == [expected], said


async def test_a_platform_id_past_any_record_id_still_finds_its_person(chat, db, campus, clock):
    """A Telegram user id is often past MAX_ID: without '#', such a number is looked up as a platform id."""
    await operator(chat)
    uid = await make_user(db, campus, clock.now, name=BIG)  # the console's id: the name
    assert keys(await chat.send(OP, f"/topup {BIG} 5")) == ["admin-topped-up"]
    assert await balance(db, ledger.customer(uid)) == 500


# ---------------------------------------------------------------------------------------------------- users


async def test_suspend_and_restore(chat, db, campus, clock):
    op = await operator(chat)
    await chat.send("bob", "/start")
    bob = await user_id(db, "bob")
    await chat.inbox("bob")
    assert keys(await chat.send(OP, "/suspend bob spam")) == ["admin-suspended"]
    assert keys(await chat.send("bob", "/help")) == ["error-suspended"]
    assert keys(await chat.send("bob", "hello")) == ["error-suspended"]
    told = await chat.inbox("bob")
    assert [p["key"] for p in told] == ["admin-you-suspended"] and "spam" in told[0]["text"]
    assert keys(await chat.send(OP, f"/suspend #{bob}")) == ["admin-already-suspended"]

    assert keys(await chat.send(OP, "/restore console:bob")) == ["admin-restored"]
    assert "error-suspended" not in keys(await chat.send("bob", "/help"))
    assert await inbox_keys(chat, bob) == ["admin-you-restored"]
    assert keys(await chat.send(OP, f"/restore #{bob}")) == ["admin-not-suspended"]
    assert keys(await chat.send(OP, "/suspend admin")) == ["admin-cannot-suspend-operator"]
    assert_recorded(await actions(db), op, clock.now, ("suspend", f"user:{bob}"), ("restore", f"user:{bob}"))


async def test_a_suspension_or_a_complaints_decision_without_a_reason_is_told_without_a_reason_line(
        chat, db, campus, clock):
    # Before: "Reason: —" and "Note: —", as if the operator had written a dash.
    await operator(chat)
    customer = await make_user(db, campus, clock.now, name="li")  # reads Chinese
    runner = await make_runner(db, campus, clock.now)
    order_id = await accepted_order(db, campus, clock.now, customer, runner)
    first = await complain(db, order_id, customer, "late", clock.now)
    await chat.press(OP, f"data:adm:up:{first}")
    second = await complain(db, order_id, customer, "rude", clock.now)
    await chat.send(OP, f"/dismiss {second}")
    await chat.send(OP, f"/suspend #{customer}")
    assert [p["text"] for p in await chat.inbox("li")] == [
        f"你对订单 #{order_id} 的投诉已成立。", f"你对订单 #{order_id} 的投诉经核实已驳回。",
        "你的账号已被客服暂停。钱包里的钱仍归你所有：你仍可查看钱包（/wallet），相关事宜请联系客服。"]
    en = catalogue("en")
    assert en("admin-complaint-upheld", order="7", note="", given="no") == "Your complaint about order #7 was upheld."
    assert en("admin-you-suspended", reason="spam", given="yes", runner="yes", carried=0, carrying="", first="") == (
        "Your account has been suspended by the service. What you earned stays yours: you can still see your income "
        "(/income) and withdraw it (/withdraw), and see your wallet (/wallet). Reason: spam")


async def test_suspending_or_restoring_a_runner_refreshes_their_menu(chat, db, campus, clock):
    await operator(chat)
    runner = await make_runner(db, campus, clock.now)
    student = await make_user(db, campus, clock.now, name="erin")
    await chat.send(OP, f"/suspend #{runner}")
    await chat.send(OP, f"/restore #{runner}")
    assert len(await menu_rows(db, runner)) == 2
    assert keys(await chat.send(OP, f"/suspend #{student}")) == ["admin-suspended"]
    assert await menu_rows(db, student) == []  # a student's menu is every student's: nothing to refresh
    assert keys(await chat.send(OP, f"/suspend #{runner}")) == ["admin-suspended"]
    assert keys(await chat.send(OP, f"/suspend #{runner}")) == ["admin-already-suspended"]  # refused: no row
    assert len(await menu_rows(db, runner)) == 3
    assert await inbox_keys(chat, runner) == ["admin-you-suspended", "admin-you-restored", "admin-you-suspended"]


async def test_suspending_a_runner_gives_what_they_have_not_picked_up_back_to_the_hall_at_no_cost_to_them(
        chat, db, campus, clock):
    # Before, the order stayed theirs: its student waited for a runner who may not fetch it, until the pickup
    # timeout reopened it and took the suspended runner's credit down for what the operator had decided.
    await operator(chat)
    customer = await make_user(db, campus, clock.now, name="carol")
    runner = await make_runner(db, campus, clock.now)
    taken = await accepted_order(db, campus, clock.now, customer, runner)
    carried = await accepted_order(db, campus, clock.now, customer, runner)
    await act(db, campus, carried, Event.pickup, Actor(Role.runner, runner), clock.now)
    credit_before = (await get(db, RunnerProfile, runner)).credit
    await chat.inbox("carol")
    await chat.inbox("hall:demo")
    await chat.inbox(await external(db, runner))

    (said,) = await chat.send(OP, f"/suspend #{runner} no-shows")
    assert said.text == EN("admin-suspended", who=f"{await external(db, runner)} (#{runner})", busy="yes",
                           returned=f"#{taken}", ended="none", count=1, orders=f"#{carried}", placed="none")
    assert "back in the task hall" in said.text
    row = await get(db, OrderRow, taken)
    assert (row.status, row.runner_id) == ("open", None)
    assert (await get(db, OrderRow, carried)).status == "picked_up"  # the goods are with them: an operator settles
    profile = await get(db, RunnerProfile, runner)
    assert (profile.suspended, profile.credit, profile.active_orders) == (True, credit_before, 1)
    assert (await get(db, User, runner)).suspended is True
    assert [p["key"] for p in await chat.inbox("carol")] == ["notice-taken-back"]
    assert await inbox_keys(chat, runner) == [
        "admin-you-suspended", "notice-details-ended", "notice-taken-back-runner"]
    assert [m["key"] for m in await chat.inbox("hall:demo") if f"#{taken}" in m["text"]] == ["hall-card"]
    async with UnitOfWork(db, write=False) as uow:
        last = (await uow.session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == taken).order_by(OrderEvent.id.desc()))).first()
    assert (last.event, last.note, last.actor_role) == ("take_back", "no-shows", "operator")

    other = await make_runner(db, campus, clock.now)
    assert keys(await chat.press(await external(db, other), f"data:g:{taken}", chat="hall:demo"))[0] == "grab-won"
    await chat.send(OP, f"/restore #{runner}")
    assert (await get(db, RunnerProfile, runner)).suspended is False
    assert (await get(db, OrderRow, taken)).runner_id == other


async def test_suspending_a_runner_names_apart_the_errands_that_ended_because_their_window_is_over(
        chat, db, campus, clock):
    # Before, the operator read that such an errand was back in the task hall, and so did its runner, though it had
    # ended, refunded: nobody may take it once its time has passed.
    await operator(chat)
    customer = await make_user(db, campus, clock.now, name="carol")
    runner = await make_runner(db, campus, clock.now)
    taken = await accepted_order(db, campus, clock.now, customer, runner)
    scheduled = await make_order(db, campus, customer, clock.now)
    async with UnitOfWork(db) as uow:  # for the next ten minutes
        await uow.session.execute(update(OrderRow).where(OrderRow.id == scheduled).values(
            window_start=clock.now, window_end=clock.now + dt.timedelta(minutes=10)))
    await act(db, campus, scheduled, Event.accept, Actor(Role.runner, runner), clock.now)
    clock.advance(minutes=11)
    me = await external(db, runner)
    await chat.inbox(me)

    (said,) = await chat.send(OP, f"/suspend #{runner}")
    assert said.text == EN("admin-suspended", who=f"{me} (#{runner})", busy="yes", returned=f"#{taken}",
                           ended=f"#{scheduled}", count=0, orders="—", placed="none")
    assert (f"back in the task hall: #{taken}. Orders they had not picked up whose time window is over have ended, "
            f"refunded: #{scheduled}.") in said.text
    assert ZH("admin-suspended", who="x", busy="yes", returned="none", ended=f"#{scheduled}", count=0, orders="—",
              placed="none") == f"已暂停 x。其未取件、预约时间已过的订单已结束并退款：#{scheduled}。"
    assert [(await get(db, OrderRow, o)).status for o in (taken, scheduled)] == ["open", "expired"]
    told = {m["text"] for m in await chat.inbox(me) if m["key"] == "notice-taken-back-runner"}
    assert told == {f"订单 #{taken} 已由客服收回至任务大厅，不再由你配送，请勿前往取件。",
                    f"订单 #{scheduled} 已由客服收回，预约时间已过，订单已结束，不再由你配送，请勿前往取件。"}


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_suspending_a_student_names_the_orders_they_placed_that_are_still_under_way(
        chat, db, campus, clock, language):
    # Before, the operator read "They carry no active orders." of a student whose paid orders were still going on.
    await operator(chat)
    op = await operator_speaking(db, campus, clock.now, language)
    dora = await external(db, op)
    student = await make_user(db, campus, clock.now, name="li")
    runner = await make_runner(db, campus, clock.now)
    waiting = await make_order(db, campus, student, clock.now)
    carried = await accepted_order(db, campus, clock.now, student, runner)
    await make_order(db, campus, student, clock.now, pay=False)  # unpaid: closes on its own
    done = await completed_order(db, campus, clock.now, student, runner)
    t = catalogue(language)

    (said,) = await chat.send(dora, f"/suspend #{student} abuse")
    assert said.text == t("admin-suspended", who=f"li (#{student})", count=0, orders="—",
                          placed=t.join([f"#{waiting}", f"#{carried}"]), returned="none", ended="none", busy="yes")
    assert f"#{done}" not in said.text and ("#" + str(waiting)) in said.text
    (said,) = await chat.send(dora, f"/suspend #{runner}")
    assert said.text == t("admin-suspended", who=f"{await external(db, runner)} (#{runner})", count=0,
                          orders="—", placed="none", returned=f"#{carried}", ended="none", busy="yes")
    bob = await make_user(db, campus, clock.now, name="bob")
    (said,) = await chat.send(dora, f"/suspend #{bob}")
    assert said.text == t("admin-suspended", who=f"bob (#{bob})", count=0, orders="—", placed="none",
                          returned="none", ended="none", busy="no")
    assert {"en": "no orders under way", "zh_CN": "没有进行中的订单"}[language] in said.text


# ---------------------------------------------------------------------------------------------------- withdrawals


async def test_withdrawals_paid_out_or_refused(chat, db, campus, clock):
    op = await operator(chat)
    customer = await make_user(db, campus, clock.now)
    runner = await make_runner(db, campus, clock.now)
    order_id = await completed_order(db, campus, clock.now, customer, runner)
    share = (await get(db, OrderRow, order_id)).runner_share
    paid, refused = 100, share - 100
    first = await request_withdrawal(db, runner, paid, clock.now)
    second = await request_withdrawal(db, runner, refused, clock.now)
    assert await balance(db, ledger.runner(runner)) == 0

    replies = await chat.send(OP, "/withdrawals")
    assert keys(replies) == ["admin-withdrawals-title", "admin-withdrawal", "admin-withdrawal"]
    assert keys(await chat.press(OP, f"data:adm:wok:{first}")) == ["admin-withdrawal-approved-done"]
    assert await balance(db, ledger.payout("manual")) == paid
    assert await balance(db, ledger.withdrawal_hold(first)) == 0
    assert (await get(db, Withdrawal, first)).status == "approved"

    assert keys(await chat.send(OP, f"/refusepayout {second} wrong account")) == ["admin-withdrawal-rejected-done"]
    assert await balance(db, ledger.runner(runner)) == refused
    assert await balance(db, ledger.withdrawal_hold(second)) == 0
    w = await get(db, Withdrawal, second)
    assert (w.status, w.decided_by, w.decided_at) == ("rejected", op, clock.now)
    told = await chat.inbox(await external(db, runner))
    assert [p["key"] for p in told] == ["admin-withdrawal-approved", "admin-withdrawal-rejected"]
    assert "wrong account" in told[1]["text"]

    # Twice is refused and moves no money.
    assert keys(await chat.send(OP, f"/payout {first}")) == ["admin-withdrawal-decided"]
    assert keys(await chat.press(OP, f"data:adm:wno:{first}")) == ["error-decided-already", "admin-withdrawal-decided"]
    assert keys(await chat.send(OP, f"/payout {second}")) == ["admin-withdrawal-decided"]
    assert await balance(db, ledger.payout("manual")) == paid
    assert await balance(db, ledger.runner(runner)) == refused
    assert keys(await chat.send(OP, "/payout 999")) == ["admin-withdrawal-not-found"]
    assert keys(await chat.send(OP, "/withdrawals")) == ["admin-withdrawals-none"]
    assert_recorded(await actions(db), op, clock.now, ("approve_withdrawal", f"withdrawal:{first}"),
                    ("reject_withdrawal", f"withdrawal:{second}"))


@pytest.mark.parametrize(("language", "question"), [
    ("en", "Why is withdrawal #{w} refused? Write the reason (in a group: reply to this message); the runner will read "
     "it."),
    ("zh_CN", "为什么拒绝提现 #{w}？请写明原因（在群里请回复本条消息），跑腿员会看到。"),
], ids=["en", "zh_CN"])
async def test_a_withdrawal_refused_by_button_or_without_a_reason_asks_why_and_tells_the_runner(
        chat, db, campus, clock, language, question):
    await operator_speaking(db, campus, clock.now, language)
    customer = await make_user(db, campus, clock.now)
    runner = await make_runner(db, campus, clock.now)
    await completed_order(db, campus, clock.now, customer, runner)
    pressed, typed = [await request_withdrawal(db, runner, 100, clock.now) for _ in range(2)]
    await chat.inbox(await external(db, runner))

    (asked,) = await chat.press("dora", f"data:adm:wno:{pressed}", message="7")
    assert (asked.key, asked.text) == ("admin-ask-refuse-reason", question.format(w=pressed))
    assert (await get(db, Withdrawal, pressed)).status == "pending"  # nothing refused before the reason
    replies = await chat.send("dora", "name does not match")
    assert keys(replies) == ["admin-withdrawal-rejected-done", "admin-withdrawal-rejected-done"]
    assert replies[1].replaces == "7" and not replies[1].choices  # the card pressed says so, its buttons gone
    assert (await get(db, Withdrawal, pressed)).status == "rejected"
    (notice,) = await chat.inbox(await external(db, runner))
    assert notice["text"].endswith("原因：name does not match")  # the runner reads the campus language

    assert keys(await chat.send("dora", f"/refusepayout {typed}")) == ["admin-ask-refuse-reason"]
    assert keys(await chat.press("dora", chat.last["dora"][0].flat_choices()[0].label)) == ["admin-step-cancelled"]
    assert (await get(db, Withdrawal, typed)).status == "pending"
    assert keys(await chat.send("dora", f"/refusepayout {typed} wrong account")) == ["admin-withdrawal-rejected-done"]


async def test_a_decision_without_its_reason_is_refused_at_once_when_it_was_taken_already(chat, db, campus, clock):
    await operator(chat)
    customer = await make_user(db, campus, clock.now)
    runner = await make_runner(db, campus, clock.now)
    await completed_order(db, campus, clock.now, customer, runner)
    applicant = await make_runner(db, campus, clock.now, approved=False)
    paid = await request_withdrawal(db, runner, 100, clock.now)
    assert keys(await chat.send(OP, f"/approve {applicant}")) == ["admin-application-approved"]
    assert keys(await chat.send(OP, f"/payout {paid}")) == ["admin-withdrawal-approved-done"]

    # Not asked for a reason that could only be refused once given.
    assert keys(await chat.send(OP, f"/reject {applicant}")) == ["admin-application-decided"]
    assert keys(await chat.send(OP, f"/refusepayout {paid}")) == ["admin-withdrawal-decided"]
    assert keys(await chat.send(OP, "photo unreadable")) == ["idle-hint", "menu-title"]  # no step waits for it
    assert keys(await chat.press(OP, f"data:adm:wno:{paid}")) == ["error-decided-already", "admin-withdrawal-decided"]
    assert (await get(db, RunnerProfile, applicant)).status == "approved"
    assert (await get(db, Withdrawal, paid)).status == "approved"


@pytest.mark.parametrize(("language", "said"), [
    ("en", "Complaint #{complaint} was decided with order #{order}'s resolution: upheld."),
    ("zh_CN", "投诉 #{complaint} 已随订单 #{order} 的处理一并决定：已成立。"),
], ids=["en", "zh_CN"])
async def test_a_complaint_card_an_orders_resolution_decided_says_it_was_decided(chat, db, campus, clock, language,
                                                                                 said):
    """The operator's own /resolve decides the complaint: its card says what was decided, not the refusal of a
    second decision ("Complaint #1 is already upheld.")."""
    await operator_speaking(db, campus, clock.now, language)
    customer = await make_user(db, campus, clock.now)
    runner = await make_runner(db, campus, clock.now)
    order_id = await exception_order(db, campus, clock.now, customer, runner)
    complaint = await complain(db, order_id, customer, "crushed", clock.now)
    async with UnitOfWork(db) as uow:  # the complaint's card, as a channel that can edit its messages records it
        await cards.shown(uow.session, "console", "dora", f"complaint/{complaint}", "41", clock.now)
    replies = await chat.send("dora", f"/resolve {order_id} refund")
    (card,) = [r for r in replies if r.replaces == "41"]
    assert (card.text, card.choices) == (said.format(complaint=complaint, order=order_id), ())


async def test_cards_a_channel_showed_are_edited_by_a_decision_typed_in_that_chat_and_in_other_chats(
        chat, db, campus, clock):
    await operator(chat)
    applicant = await make_runner(db, campus, clock.now, approved=False)
    other = await make_runner(db, campus, clock.now, approved=False)
    async with UnitOfWork(db) as uow:  # as a channel that can edit its messages records them (storage.cards)
        for message, shown in (("11", applicant), ("12", other), ("21", applicant)):
            await cards.shown(uow.session, "console", OP, f"application/{shown}", message, clock.now)
        await cards.shown(uow.session, "console", "someone-else", f"application/{applicant}", "31", clock.now)

    replies = await chat.send(OP, f"/approve {applicant}")
    assert keys(replies) == ["admin-application-approved"] * 3
    assert [r.replaces for r in replies] == [None, "11", "21"]  # both copies in this chat, no other card
    assert all(r.text == replies[0].text and not r.choices for r in replies)
    # The copy in another chat: its channel is asked to edit that message (its own key) to say so, with no buttons.
    async with UnitOfWork(db, write=False) as uow:
        edit_keys = list(await uow.session.scalars(select(Outbox.edit_key).where(
            Outbox.recipient == "someone-else", Outbox.status == "pending")))
    assert edit_keys == [cards.card_key(f"application/{applicant}", "m31")]
    (elsewhere,) = await chat.inbox("someone-else")
    said = catalogue(campus.language)(replies[0].key, **replies[0].args)  # no person's chat: the campus's language
    assert (elsewhere["key"], elsewhere["text"], elsewhere["choices"]) == ("admin-application-approved", said, [])


async def test_a_card_still_queued_in_the_chat_the_decision_is_taken_in_goes_out_decided(chat, db, campus, clock):
    """A busy admin chat's list overflows into the outbox (bot/telegram/group_replies.py queues each card with its
    key); a decision typed there before the sender posted a card must not leave it to go out with live buttons."""
    await operator(chat)
    applicant = await make_runner(db, campus, clock.now, approved=False)
    queued = cards.card_key(f"application/{applicant}")
    async with UnitOfWork(db) as uow:
        await queue(uow.session, dedupe_key="tg-reply:list:1", channel="console", recipient=OP, now=clock.now,
                    payload={"key": "admin-application", "text": "card", "edit_key": queued,
                             "choices": [[{"label": "Approve", "data": f"adm:approve:{applicant}"}]]},
                    edit_key=queued)

    replies = await chat.send(OP, f"/approve {applicant}")
    assert keys(replies) == ["admin-application-approved"]
    async with UnitOfWork(db, write=False) as uow:
        newest = (await uow.session.scalars(select(Outbox).where(Outbox.edit_key == queued)
                                            .order_by(Outbox.id.desc()))).first()
    decided = open_payload(chat.services.cipher, newest.payload)
    assert (decided["key"], decided["text"], decided["choices"]) == ("admin-application-approved", replies[0].text, [])

# ---------------------------------------------------------------------------------------------------- wallets


async def test_a_chinese_keyboards_number_sign_names_an_order_or_a_person(chat, db, campus, clock):
    """'＃12' as a Chinese keyboard types it reads as '#12' (before: refused as no number, or no such user)."""
    await operator(chat)
    customer = await make_user(db, campus, clock.now, name="carol")
    runner = await make_runner(db, campus, clock.now)
    order_id = await accepted_order(db, campus, clock.now, customer, runner)
    (card,) = await chat.send(OP, f"/find ＃{order_id}")
    assert card.key == "admin-order" and f"Student: carol (#{customer})" in card.text
    (topped,) = await chat.send(OP, f"/topup ＃{customer} 5")
    assert topped.text == f"Topped up 5.00 yuan for carol (#{customer}). Their balance: 5.00 yuan."
    (adjusted,) = await chat.send(OP, f"/credit ＃{runner} +5 helped at the fair")
    assert adjusted.key == "admin-credit-adjusted" and "100 → 105" in adjusted.text
    assert keys(await chat.send(OP, f"/topup ＃{MAX_ID} 5")) == ["admin-user-not-found"]  # a record id, not a name


async def test_top_up_a_wallet(chat, db, campus, clock):
    op = await operator(chat)
    await chat.send("bob", "/start")
    bob = await user_id(db, "bob")
    await chat.inbox("bob")
    replies = await chat.send(OP, "/topup bob 50")
    assert keys(replies) == ["admin-topped-up"]
    assert replies[0].text == f"Topped up 50.00 yuan for bob (#{bob}). Their balance: 50.00 yuan."
    replies = await chat.send(OP, f"/topup #{bob} 0.5")
    assert "Their balance: 50.50 yuan." in replies[0].text
    assert await balance(db, ledger.customer(bob)) == 5050
    assert await balance(db, ledger.external("cash")) == -5050
    assert await inbox_keys(chat, bob) == ["admin-wallet-topped-up", "admin-wallet-topped-up"]
    rows = await actions(db)
    assert_recorded(rows, op, clock.now, ("top_up", f"user:{bob}"), ("top_up", f"user:{bob}"))
    async with UnitOfWork(db, write=False) as uow:
        assert await uow.ledger.posted(f"charge:cash:op{rows[0].id}")
        assert await uow.ledger.posted(f"charge:cash:op{rows[1].id}")

    for text, key in [("/topup bob 0", "admin-amount-range"), ("/topup bob -5", "admin-amount-range"),
                      ("/topup bob 2000.01", "admin-amount-range"), ("/topup bob 1.234", "admin-amount-invalid"),
                      ("/topup bob ten", "admin-amount-invalid"), ("/topup nobody 5", "admin-user-not-found"),
                      ("/topup bob", "admin-usage-topup")]:
        assert keys(await chat.send(OP, text)) == [key], text
    assert keys(await chat.send(OP, "/topup bob 2000")) == ["admin-topped-up"]
    assert await balance(db, ledger.customer(bob)) == 5050 + 200000
    assert len(await actions(db)) == 3


# ---------------------------------------------------------------------------------------------------- coupons


@pytest.mark.parametrize(("language", "created", "usage"), [
    ("en", "Coupon created: FREE: 5.00 yuan off · no minimum spend · used 0, no overall limit · once per student · no "
           "end date",
     "[max uses, 0 for no limit] [days valid, 0 for no end]"),
    ("zh_CN", "已创建优惠券：FREE：减 5.00 元 · 无最低消费 · 已用 0 次，总次数不限 · 每人限用 1 次 · 长期有效",
     "[次数上限，0 为不限] [有效天数，0 为不过期]"),
], ids=["en", "zh_CN"])
async def test_a_coupon_of_0_uses_and_0_days_is_confirmed_as_unlimited_and_without_end(chat, db, campus, clock,
                                                                                         language, created, usage):
    """0 uses and 0 days mean no limit and no end (as the refusals of other numbers say): the help says so, and the
    confirmation says it in words rather than "0/∞" and "—"."""
    await operator_speaking(db, campus, clock.now, language)
    assert usage in (await chat.send("dora", "/coupon create"))[0].text
    replies = await chat.send("dora", "/coupon create free 5 0 0 0")
    assert [(r.key, r.text) for r in replies] == [("admin-coupon-created", created)]
    c = await get(db, Coupon, "FREE")
    assert (c.max_uses, c.valid_until) == (None, None)


@pytest.mark.parametrize(("language", "command", "line"), [
    ("en", "/coupon create LUNCH 2 0 200 30 each 3",
     "LUNCH: 2.00 yuan off · no minimum spend · used 0/200 · 3 times per student · until 12-23 10:00"),
    ("en", "/coupon create LUNCH 2 each 0", "LUNCH: 2.00 yuan off · no minimum spend · used 0, no overall limit · no "
                                           "limit per student · no end date"),
    ("zh_CN", "/coupon create LUNCH 2 每人3次 0 200 30",
     "LUNCH：减 2.00 元 · 无最低消费 · 已用 0/200 · 每人限用 3 次 · 截止 12-23 10:00"),
    ("zh_CN", "/coupon create LUNCH 2 0 200 每人 3 次",
     "LUNCH：减 2.00 元 · 无最低消费 · 已用 0/200 · 每人限用 3 次 · 长期有效"),
    # The number written apart with its unit joined to it: before, refused as no number.
    ("zh_CN", "/coupon create LUNCH 2 0 200 每人 3次",
     "LUNCH：减 2.00 元 · 无最低消费 · 已用 0/200 · 每人限用 3 次 · 长期有效"),
    ("zh_CN", "/coupon create LUNCH 2 每人限 3张 0 200",
     "LUNCH：减 2.00 元 · 无最低消费 · 已用 0/200 · 每人限用 3 次 · 长期有效"),
    ("en", "/coupon create LUNCH 2 0 200 each 3次",
     "LUNCH: 2.00 yuan off · no minimum spend · used 0/200 · 3 times per student · no end date"),
], ids=["en", "en-unlimited", "zh_CN", "zh_CN-apart", "zh_CN-joined-unit", "zh_CN-joined-sheets", "en-joined-unit"])
async def test_a_coupons_uses_per_student_are_set_at_creation_and_said_wherever_it_is_shown(
        chat, services, db, campus, clock, language, command, line):
    """Each student may use a coupon once unless the operator says otherwise ("each 3", "每人3次", wherever after the
    discount); the confirmation and /coupons say the limit, and a student may use it that many times."""
    op = await operator_speaking(db, campus, clock.now, language)
    usage = (await chat.send("dora", "/coupon create"))[0].text
    assert {"en": "each 3", "zh_CN": "每人3次"}[language] in usage
    replies = await chat.send("dora", command)
    created = {"en": f"Coupon created: {line}", "zh_CN": f"已创建优惠券：{line}"}[language]
    assert [(r.key, r.text) for r in replies] == [("admin-coupon-created", created)]
    assert line in (await chat.send("dora", "/coupons"))[0].text
    per_student = 0 if "each 0" in command else 3
    assert (await get(db, Coupon, "LUNCH")).per_user == per_student
    (action,) = await actions(db)
    assert (action.operator_id, action.details["per_student"]) == (op, per_student or None)
    if language != "en" or per_student != 3:
        return
    # alice may count it three times, and is told so the fourth.
    alice = await funded(chat, services, "alice", 10_000)
    for _ in range(3):
        await chat.send("alice", "/order")
        await answer_all(chat, "alice", PARCEL_TO_MY_ROOM[:-1])
        await chat.send("alice", "LUNCH")
        assert keys(await chat.send("alice", "Confirm")) == ["order-created"]
        assert keys(await chat.press("alice", "Pay with wallet")) == ["wallet-paid"]
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM[:-1])
    replies = await chat.send("alice", "LUNCH")
    assert "You have already used coupon LUNCH 3 times, as many as it allows each student." in replies[0].text
    assert [o.discount for o in await orders_of(services, alice)] == [200] * 3
    assert "used 3/200 · 3 times per student" in (await chat.send("dora", "/coupons"))[0].text


@pytest.mark.parametrize(("command", "key"), [
    ("/coupon create LUNCH 2 each", "admin-usage-coupon"),
    ("/coupon create LUNCH 2 each x", "admin-coupon-each-invalid"),
    ("/coupon create LUNCH 2 each 3 each 4", "admin-usage-coupon"),
    ("/coupon create LUNCH 2 each -1", "admin-coupon-each-invalid"),
    ("/coupon create LUNCH 2 0 1 1 1 each 2", "admin-usage-coupon"),
])
async def test_a_coupons_uses_per_student_that_cannot_be_read_are_refused(chat, db, campus, clock, command, key):
    await operator(chat)
    assert keys(await chat.send(OP, command)) == [key]
    assert await get(db, Coupon, "LUNCH") is None


@pytest.mark.parametrize("code", ["skip", "NONE", "nil", "Back"])
async def test_a_coupon_code_the_coupon_question_would_read_as_a_button_is_refused(chat, db, campus, clock, code):
    """A student typing SKIP, NONE or BACK at the coupon question means its button: such a code could never be used."""
    await operator(chat)
    (reply,) = await chat.send(OP, f"/coupon create {code} 3")
    assert reply.key == "admin-coupon-code-reserved" and code.upper() in reply.text
    assert await get(db, Coupon, code.upper()) is None
    assert await actions(db) == []


async def test_a_coupon_code_that_only_starts_like_a_button_is_created(chat, db, campus, clock):
    await operator(chat)
    assert keys(await chat.send(OP, "/coupon create SKIPPY 3")) == ["admin-coupon-created"]
    assert (await get(db, Coupon, "SKIPPY")).amount_off == 300


async def test_create_list_and_stop_coupons(chat, db, campus, clock):
    op = await operator(chat)
    replies = await chat.send(OP, "/coupon create welcome 3 10 100 30")
    assert keys(replies) == ["admin-coupon-created"]
    c = await get(db, Coupon, "WELCOME")
    assert (c.campus_id, c.amount_off, c.percent_off_bp, c.min_spend, c.max_uses, c.created_by) == (
        campus.id, 300, 0, 1000, 100, op)
    assert (c.valid_from, c.valid_until) == (clock.now, clock.now + dt.timedelta(days=30))
    assert keys(await chat.send(OP, "/coupon create HALF 50%")) == ["admin-coupon-created"]
    half = await get(db, Coupon, "HALF")
    assert (half.percent_off_bp, half.amount_off, half.min_spend, half.max_uses, half.valid_until) == (
        5000, 0, 0, None, None)

    for text, key in [
        ("/coupon create WELCOME 5", "admin-coupon-exists"), ("/coupon create X! 3", "admin-coupon-code-invalid"),
        ("/coupon create BIG 101", "admin-amount-range"), ("/coupon create PCT 150%", "admin-coupon-percent-invalid"),
        ("/coupon create PCT 0%", "admin-coupon-percent-invalid"),
        ("/coupon create PCT 3 1 x", "admin-coupon-uses-invalid"),
        ("/coupon create PCT 3 1 1 999", "admin-coupon-days-invalid"), ("/coupon create PCT", "admin-usage-coupon"),
        ("/coupon delete PCT", "admin-usage-coupon"),
    ]:
        assert keys(await chat.send(OP, text)) == [key], text
    assert (await get(db, Coupon, "WELCOME")).amount_off == 300

    listing = (await chat.send(OP, "/coupons"))[0].text
    assert "WELCOME: 3.00 yuan off · min spend 10.00 yuan · used 0/100" in listing
    assert "HALF: 50% off · no minimum spend · used 0, no overall limit · once per student" in listing
    assert keys(await chat.send(OP, "/coupon stop half")) == ["admin-coupon-stopped"]
    assert (await get(db, Coupon, "HALF")).valid_until == clock.now
    assert keys(await chat.send(OP, "/coupon stop HALF")) == ["admin-coupon-ended"]
    assert "HALF" not in (await chat.send(OP, "/coupons"))[0].text
    assert_recorded(await actions(db), op, clock.now, ("coupon_create", "coupon:WELCOME"),
                    ("coupon_create", "coupon:HALF"), ("coupon_stop", "coupon:HALF"))
    # Two operators stopping one at once: one stops it, the other is told it has ended, and it is recorded once.
    await operator_speaking(db, campus, clock.now, "en")
    results = await asyncio.gather(chat.send(OP, "/coupon stop WELCOME"), chat.send("dora", "/coupon stop WELCOME"))
    assert sorted(k for replies in results for k in keys(replies)) == ["admin-coupon-ended", "admin-coupon-stopped"]
    assert [a.target for a in await actions(db) if a.action == "coupon_stop"] == ["coupon:HALF", "coupon:WELCOME"]


@pytest.mark.parametrize(("language", "command", "line"), [
    ("en", "/coupon create big 80% cap 2",
     "BIG: 80% off, at most 2.00 yuan · no minimum spend · used 0, no overall limit · once per student · no end date"),
    ("zh_CN", "/coupon create big 80％ 最高2元",
     "BIG：减 80%，最高减 2.00 元 · 无最低消费 · 已用 0 次，总次数不限 · 每人限用 1 次 · 长期有效"),
], ids=["en", "zh_CN"])
async def test_a_percent_coupon_with_a_cap_takes_off_no_more_than_its_cap(chat, services, db, campus, clock,
                                                                          language, command, line):
    """"80% off, at most 2 yuan" (a Chinese keyboard's ％ too): on an errand whose 80% is more, the student gets
    exactly 2.00 off."""
    op = await operator_speaking(db, campus, clock.now, language)
    replies = await chat.send("dora", command)
    created = {"en": f"Coupon created: {line}", "zh_CN": f"已创建优惠券：{line}"}[language]
    assert [(r.key, r.text) for r in replies] == [("admin-coupon-created", created)]
    c = await get(db, Coupon, "BIG")
    assert (c.percent_off_bp, c.cap, c.amount_off, c.min_spend) == (8000, 200, 0, 0)
    (action,) = await actions(db)
    assert (action.action, action.operator_id, action.details["percent_off_bp"], action.details["cap"]) == (
        "coupon_create", op, 8000, 200)
    assert line in (await chat.send("dora", "/coupons"))[0].text

    alice = await funded(chat, services, "alice", 5000)
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM[:-1])
    quote = quote_of(await chat.send("alice", "big"))
    assert keys(await chat.send("alice", "Confirm")) == ["order-created"]
    [order] = await orders_of(services, alice)
    assert order.service_fee * 8 // 10 > 200  # 80% of the fee would be more than the cap
    assert order.discount == 200 and order.total == order.service_fee + order.tip - 200
    assert "Coupon BIG: -2.00" in quote.text and f"Total: {format_yuan(order.total)} yuan" in quote.text
    assert keys(await chat.press("alice", "Pay with wallet")) == ["wallet-paid"]
    assert await balance(db, ledger.customer(alice)) == 5000 - order.total
    assert await balance(db, ledger.MARKETING) == -200


@pytest.mark.parametrize(("language", "said"), [
    ("en", "Only a percentage coupon takes a cap (like 20% cap 5): a coupon of 5.00 yuan off takes off exactly "
           "that. Nothing was created."),
    ("zh_CN", "只有折扣券才能设最高减免（例如 20% 最高5元）：减 5.00 元的券每单就减这么多。未创建优惠券。"),
], ids=["en", "zh_CN"])
async def test_a_cap_on_a_fixed_amount_coupon_is_refused_and_nothing_is_created(chat, db, campus, clock,
                                                                                 language, said):
    await operator_speaking(db, campus, clock.now, language)
    for command in ("/coupon create fix 5 cap 2", "/coupon create fix 5 10 最高2元", "/coupon create fix 5 cap2"):
        replies = await chat.send("dora", command)
        assert [(r.key, r.text) for r in replies] == [("admin-coupon-cap-fixed", said)], command
    assert await get(db, Coupon, "FIX") is None and await actions(db) == []


@pytest.mark.parametrize("command", [
    "/coupon create LUNCH 20% cap 5 10 200 30", "/coupon create LUNCH 20% 10 200 30 cap5",
    "/coupon create LUNCH 20% 10 最高5元 200 30", "/coupon create LUNCH 20% 最多减5 10 200 30",
    "/coupon create LUNCH 20％ 10 200 封顶¥5 30", "/coupon create LUNCH 20% CAP:5 10 200 30",
    "/coupon create LUNCH 20% cap 5 元 10 200 30", "/coupon create LUNCH 20% 10 200 30 cap ¥ 5",
])
async def test_a_cap_is_read_wherever_and_however_it_is_written_after_the_discount(chat, db, campus, clock, command):
    """The cap is led by a word, so the numbers around it keep their places: min spend, uses, days."""
    await operator(chat)
    assert keys(await chat.send(OP, command)) == ["admin-coupon-created"]
    c = await get(db, Coupon, "LUNCH")
    assert (c.percent_off_bp, c.cap, c.min_spend, c.max_uses, c.valid_until) == (
        2000, 500, 1000, 200, clock.now + dt.timedelta(days=30))


async def test_at_most_alone_is_no_cap_so_a_coupons_uses_are_not_taken_for_one(chat, db, campus, clock):
    """最多100 ("at most 100") could be uses as well as yuan: it is refused as the uses it stands in place of,
    never kept as a cap of 100 yuan."""
    await operator(chat)
    assert keys(await chat.send(OP, "/coupon create LUNCH 20% 10 最多100")) == ["admin-coupon-uses-invalid"]
    assert await get(db, Coupon, "LUNCH") is None
    assert keys(await chat.send(OP, "/coupon create LUNCH 20% 10 最多5元 200")) == ["admin-coupon-created"]  # money
    assert ((c := await get(db, Coupon, "LUNCH")).cap, c.min_spend, c.max_uses) == (500, 1000, 200)


# Each refused argument of /coupon create named, with its limit: (command, English, Chinese).
COUPON_REFUSALS = [
    ("/coupon create XYZ abc", 'The discount "abc" is not an amount: write the yuan off, like 5 or 5.50, or a '
     "percentage, like 20%.", "优惠“abc”不是金额：请写减多少元，例如 5 或 5.50，或写百分比，例如 20%。"),
    ("/coupon create XYZ 101", "The discount must be more than 0 and at most 100.00 yuan.",
     "优惠金额须大于 0，最多 100.00 元。"),
    ("/coupon create XYZ 150%", 'The discount "150%" must be a percentage more than 0 and at most 100, like 20%.',
     "优惠“150%”须是大于 0、最多 100 的百分比，例如 20%。"),
    ("/coupon create XYZ 5 abc", 'The minimum spend "abc" is not an amount: write yuan, like 10 or 10.50, or 0 for '
     "none.", "最低消费“abc”不是金额：请写元，例如 10 或 10.50，0 表示不设。"),
    ("/coupon create XYZ 5 1000.01", "The minimum spend must be from 0 to 1000.00 yuan (0 for none).",
     "最低消费须在 0 到 1000.00 元之间（0 表示不设）。"),
    ("/coupon create XYZ 20% cap abc", 'The cap "abc" is not an amount: write the most yuan it takes off, like 5 or '
     "5.50.", "最高减免“abc”不是金额：请写最多减多少元，例如 5 或 5.50。"),
    ("/coupon create XYZ 20% 最高101元", "The cap must be more than 0 and at most 100.00 yuan.",
     "最高减免须大于 0，最多 100.00 元。"),
    ("/coupon create XYZ 20% 10 cap0", "The cap must be more than 0 and at most 100.00 yuan.",
     "最高减免须大于 0，最多 100.00 元。"),
    ("/coupon create XYZ 5 0 abc", 'The number of uses "abc" must be a whole number from 0 (no limit) to 100000.',
     "使用次数“abc”须是 0 到 100000 之间的整数（0 表示不限）。"),
    ("/coupon create XYZ 5 0 0 367", 'The number of days valid "367" must be a whole number from 0 (no end) to 366.',
     "有效天数“367”须是 0 到 366 之间的整数（0 表示不过期）。"),
]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_each_refused_coupon_argument_is_named_with_its_limit_and_nothing_is_created(chat, db, campus, clock,
                                                                                          language):
    """/coupon create X 5 abc: the refusal says it is the minimum spend that is wrong, not just "an amount"."""
    await operator_speaking(db, campus, clock.now, language)
    for command, en, zh in COUPON_REFUSALS:
        replies = await chat.send("dora", command)
        assert [r.text for r in replies] == [en if language == "en" else zh], command
    for command in ("/coupon create XYZ 20% cap", "/coupon create XYZ 20% cap 2 cap 3", "/coupon create XYZ 5 0 0 0 1"):
        assert keys(await chat.send("dora", command)) == ["admin-usage-coupon"], command
    assert await get(db, Coupon, "XYZ") is None and await actions(db) == []


async def test_a_minimum_spend_of_0_in_any_writing_means_none(chat, db, campus, clock):
    await operator(chat)
    for code, spend in (("ZERO1", "0"), ("ZERO2", "0.00"), ("ZERO3", "0元")):
        assert keys(await chat.send(OP, f"/coupon create {code} 3 {spend} 10")) == ["admin-coupon-created"], spend
        assert ((c := await get(db, Coupon, code)).min_spend, c.max_uses) == (0, 10)


async def test_suspending_a_runner_sends_the_order_offered_to_them_alone_to_the_hall(chat, services, db, campus, clock):
    # Before, it stayed theirs alone until the offer ran out, while every other runner's grab was refused.
    from tests.handlers.test_runner import order_row, paid_order, person, runner

    alice = await person(db, campus, clock(), "alice")
    fay = await runner(db, campus, clock(), "fay")
    await runner(db, campus, clock(), "otto")
    order_id = await paid_order(services, alice, favourite=fay)
    assert (await order_row(db, order_id)).offer_runner_id == fay
    await operator(chat)
    assert keys(await chat.send(OP, f"/suspend #{fay}")) == ["admin-suspended"]
    assert (await order_row(db, order_id)).offer_runner_id is None
    assert "hall-offer-ended" in [m["key"] for m in await chat.inbox("fay")]  # her Accept and Decline go
    assert keys(await chat.press("otto", f"data:g:{order_id}", chat="hall:demo"))[0] == "grab-won"


async def test_coupons_says_how_many_are_active_and_how_many_it_leaves_out(chat, db, campus, clock):
    # Before, past 20 the oldest were left out and nothing said so.
    await operator(chat)
    for n in range(21):
        assert keys(await chat.send(OP, f"/coupon create C{n:02d}X 1")) == ["admin-coupon-created"]
        clock.advance(minutes=1)
    (listed,) = await chat.send(OP, "/coupons")
    # Before: "(1 older ones left out)".
    assert listed.text.startswith("Active coupons: 21, the newest 20 shown (1 older one left out).")
    assert "C20X" in listed.text and "C00X" not in listed.text
    await chat.send(OP, "/coupon create C21X 1")
    (listed,) = await chat.send(OP, "/coupons")
    assert listed.text.startswith("Active coupons: 22, the newest 20 shown (2 older ones left out).")


@pytest.mark.parametrize(("language", "said"), [
    ("en", "ONCE: 1.00 yuan off · no minimum spend · used 1/1, used up: nobody can use it until a refund gives a use "
           "back"),
    ("zh_CN", "ONCE：减 1.00 元 · 无最低消费 · 已用 1/1，已用完：有订单退款退回次数前无法使用")])
async def test_coupons_says_which_are_used_up(chat, db, campus, clock, language, said):
    # Before, a coupon whose every use was taken was listed as active like the others.
    op = await operator(chat)
    assert keys(await chat.send(OP, "/coupon create ONCE 1 0 1")) == ["admin-coupon-created"]
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(Coupon).where(Coupon.code == "ONCE").values(used=1))
    await speaks(db, language, op)
    (listed,) = await chat.send(OP, "/coupons")
    assert said in listed.text, listed.text


async def test_a_coupon_ending_next_year_says_the_year(chat, db, campus, clock):
    # Before, a coupon for 365 days said "until 11-23 10:00": the moment it was made, as if it had ended.
    await operator(chat)
    (created,) = await chat.send(OP, "/coupon create YEAR 5 0 0 365")
    assert "until 2027-11-23 10:00" in created.text
    (week,) = await chat.send(OP, "/coupon create WEEK 5 0 0 7")
    assert "until 11-30 10:00" in week.text
