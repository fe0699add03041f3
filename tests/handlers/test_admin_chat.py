"""The operators' chat: a button pressed there that asks for more (a reason) takes the answer given there as a
reply to that question, and only that: not chatter there, and not what the operator writes privately."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.context import Services
from locales import catalogue
from storage.models import Conversation, RunnerProfile
from storage.models import Order as OrderRow
from storage.uow import UnitOfWork
from tests.factories import CIPHER, make_order, make_runner, make_user
from tests.handlers.harness import Chat, keys
from tests.handlers.test_admin import (
    OP,
    accepted_order,
    actions,
    external,
    get,
    inbox_keys,
    operator,
    operator_speaking,
)
from tests.handlers.test_ordering import conversation

ADMIN_CHAT = OP  # on the console, the operators' chat of campus/demo.yaml is the operator's own


async def test_a_reason_given_as_a_reply_to_the_question_rejects_the_application(chat, db, campus, clock):
    await operator(chat)
    applicant = await make_runner(db, campus, clock.now, approved=False)
    (question,) = await chat.press(OP, f"data:adm:reject:{applicant}", chat=ADMIN_CHAT)
    assert question.key == "admin-ask-reject-reason"

    replies = await chat.send(OP, "student card photo unreadable", chat=ADMIN_CHAT, replying_to=question)

    assert keys(replies) == ["admin-application-rejected"]
    assert (await get(db, RunnerProfile, applicant)).status == "rejected"
    told = await chat.inbox(await external(db, applicant))
    assert "student card photo unreadable" in told[0]["text"]


async def test_chatter_and_replies_to_other_messages_answer_nothing(chat, db, campus, clock):
    await operator(chat)
    applicant = await make_runner(db, campus, clock.now, approved=False)
    listing = await chat.send(OP, "/applications", chat=ADMIN_CHAT)
    assert await chat.send(OP, "lunch anyone?", chat=ADMIN_CHAT) == []  # no step waits for an answer
    (question,) = await chat.press(OP, f"data:adm:reject:{applicant}", chat=ADMIN_CHAT)

    assert await chat.send(OP, "ok, looking", chat=ADMIN_CHAT) == []  # not a reply
    assert await chat.send(OP, "ok, looking", chat=ADMIN_CHAT, replying_to=listing[-1]) == []  # not the question
    await chat.send("alice", "/start")
    assert await chat.send("alice", "me too", chat=ADMIN_CHAT, replying_to=question) == []  # not her question
    assert (await get(db, RunnerProfile, applicant)).status == "pending"


async def test_chatter_and_a_refused_press_in_the_operators_chat_store_no_conversation(chat, db, campus, clock):
    await operator(chat)
    applicant = await make_runner(db, campus, clock.now, approved=False)
    await chat.send("alice", "/start")
    before = await conversations_stored(db)

    assert await chat.send("alice", "lunch anyone?", chat=ADMIN_CHAT) == []
    assert keys(await chat.send("alice", "/applications", chat=ADMIN_CHAT)) == ["error-operators-only"]
    assert await chat.send(OP, "on it", chat=ADMIN_CHAT) == []
    assert await conversations_stored(db) == before
    await chat.press(OP, f"data:adm:reject:{applicant}", chat=ADMIN_CHAT)  # a question there: that one is kept
    assert await conversations_stored(db) == before | {f"{OP}@{ADMIN_CHAT}"}


async def conversations_stored(db) -> set[str]:
    async with UnitOfWork(db, write=False) as uow:
        return set(await uow.session.scalars(select(Conversation.external_id)))


async def test_the_questions_cancel_ends_the_step(chat, db, campus, clock):
    await operator(chat)
    applicant = await make_runner(db, campus, clock.now, approved=False)
    (question,) = await chat.press(OP, f"data:adm:reject:{applicant}", chat=ADMIN_CHAT)
    # The chat speaks the campus's language (zh_CN), whatever the operator reads privately.
    assert keys(await chat.press(OP, "取消", chat=ADMIN_CHAT)) == ["admin-step-cancelled"]
    # A reply to it (where its buttons still show) is told that it waits for no answer.
    assert keys(await chat.send(OP, "too late", chat=ADMIN_CHAT, replying_to=question)) == ["admin-question-not-yours"]
    assert (await get(db, RunnerProfile, applicant)).status == "pending"


async def test_a_bare_cancel_typed_in_the_operators_chat_ends_the_question_waiting_there(chat, db, campus, clock):
    await operator(chat)
    applicant = await make_runner(db, campus, clock.now, approved=False)
    assert keys(await chat.send(OP, "/cancel", chat=ADMIN_CHAT)) == ["error-private-only"]  # no question there
    (question,) = await chat.press(OP, f"data:adm:reject:{applicant}", chat=ADMIN_CHAT)
    assert keys(await chat.send(OP, "/cancel 1", chat=ADMIN_CHAT)) == ["error-private-only"]  # an order: privately

    assert keys(await chat.send(OP, "/cancel", chat=ADMIN_CHAT)) == ["admin-step-cancelled"]
    assert keys(await chat.send(OP, "too late", chat=ADMIN_CHAT, replying_to=question)) == ["admin-question-not-yours"]
    assert (await get(db, RunnerProfile, applicant)).status == "pending"


async def test_hours_and_help_typed_in_the_operators_chat_are_answered_there(chat, db, campus, clock):
    # Before, both were "Please use that in a private chat with the bot.", though the operators' help lists /hours
    # beside /pause and /resume, and /help is what anyone types first.
    await operator(chat)
    await chat.send(OP, "/pause 30m rain", chat=ADMIN_CHAT)
    assert keys(await chat.send(OP, "/hours", chat=ADMIN_CHAT)) == ["hours-info", "hours-source", "order-paused"]
    (help_,) = await chat.send(OP, "/help", chat=ADMIN_CHAT)
    assert (help_.key, help_.text) == ("admin-help", catalogue("zh_CN")("admin-help"))  # the chat's language
    await chat.send("alice", "/start")
    for command in ("/hours", "/help"):  # anyone else there: privately, as ever
        assert keys(await chat.send("alice", command, chat=ADMIN_CHAT)) == ["error-private-only"]


# A question asked in the operators' chat waits there, in the operator's conversation in that chat: what they type
# privately meanwhile is not its answer, and what they were doing privately carries on.


async def test_private_text_does_not_answer_a_question_asked_in_the_operators_chat(chat, db, campus, clock):
    await operator(chat)
    applicant = await make_runner(db, campus, clock.now, approved=False)
    (question,) = await chat.press(OP, f"data:adm:reject:{applicant}", chat=ADMIN_CHAT)

    assert keys(await chat.send(OP, "hi, what can you do?")) == ["idle-hint", "menu-title"]  # as with no question
    assert (await get(db, RunnerProfile, applicant)).status == "pending"
    assert await actions(db) == [] and await inbox_keys(chat, applicant) == []

    replies = await chat.send(OP, "card photo unreadable", chat=ADMIN_CHAT, replying_to=question)  # still waiting
    assert keys(replies) == ["admin-application-rejected"]
    assert (await get(db, RunnerProfile, applicant)).status == "rejected"
    assert (await actions(db))[0].details == {"reason": "card photo unreadable"}


async def test_an_operators_order_form_carries_on_beside_a_question_in_the_operators_chat(
        chat, services, db, campus, clock):
    await operator(chat)
    applicant = await make_runner(db, campus, clock.now, approved=False)
    assert keys(await chat.send(OP, "/order")) == ["order-ask-type"]
    asked = await chat.send(OP, "Parcel pickup")
    form = await conversation(services, OP)
    (question,) = await chat.press(OP, f"data:adm:reject:{applicant}", chat=ADMIN_CHAT)
    assert await conversation(services, OP) == form  # the question did not take the form's place

    replies = await chat.send(OP, "快递站")  # the answer to the form's question, not a reason
    assert keys(asked) == ["order-ask-pickup"] and keys(replies) == ["order-ask-dropoff"]
    assert (await conversation(services, OP))[0] == "order.dropoff"  # the form moved on
    assert (await get(db, RunnerProfile, applicant)).status == "pending"
    assert await actions(db) == []

    assert keys(await chat.send(OP, "not a student", chat=ADMIN_CHAT, replying_to=question)) == [
        "admin-application-rejected"]
    assert (await conversation(services, OP))[0].startswith("order.")  # and the form is still there


async def test_a_runner_named_privately_does_not_answer_the_reassign_question_of_the_operators_chat(
        chat, db, campus, clock):
    await operator(chat)
    customer = await make_user(db, campus, clock.now)
    first = await make_runner(db, campus, clock.now)
    second = await make_runner(db, campus, clock.now)
    order_id = await accepted_order(db, campus, clock.now, customer, first)
    await chat.send(OP, f"/find {order_id}", chat=ADMIN_CHAT)
    (question,) = await chat.press(OP, f"data:adm:ra:{order_id}", chat=ADMIN_CHAT)
    assert question.key == "admin-ask-runner-list"

    assert keys(await chat.send(OP, await external(db, second))) == ["idle-hint", "menu-title"]
    assert (await get(db, OrderRow, order_id)).runner_id == first
    assert await actions(db) == []

    replies = await chat.send(OP, await external(db, second), chat=ADMIN_CHAT, replying_to=question)
    assert keys(replies) == ["admin-reassigned"]
    assert (await get(db, OrderRow, order_id)).runner_id == second


async def test_an_operator_replying_to_another_operators_question_is_told_it_is_not_theirs(chat, db, campus, clock):
    await operator(chat)
    await operator_speaking(db, campus, clock.now, "zh_CN")
    applicant = await make_runner(db, campus, clock.now, approved=False)
    (question,) = await chat.press(OP, f"data:adm:reject:{applicant}", chat=ADMIN_CHAT)

    replies = await chat.send("dora", "blurry photo", chat=ADMIN_CHAT, replying_to=question)
    assert [(r.key, r.text) for r in replies] == [("admin-question-not-yours", "这个问题不在等你的回答：它是其他运营人员提出的，"
                                                   "或已经结束。如需自己处理，请直接使用命令（见 /admin）。")]
    assert (await get(db, RunnerProfile, applicant)).status == "pending" and await actions(db) == []
    assert keys(await chat.send(OP, "blurry photo", chat=ADMIN_CHAT, replying_to=question)) == [
        "admin-application-rejected"]  # still waiting for its own operator


@pytest.mark.parametrize(("campus_language", "operator_language"), [("zh_CN", "en"), ("en", "zh_CN")])
async def test_the_operators_chat_hears_the_campus_language_whoever_acts_and_privately_each_their_own(
        db, campus, clock, campus_language, operator_language):
    here = campus.model_copy(update={"language": campus_language})
    chat = Chat(Services(db=db, campuses={here.id: here}, cipher=CIPHER, clock=clock, channels=("console",)))
    await chat.send(OP, "/start")
    await chat.press(OP, {"en": "English", "zh_CN": "中文"}[operator_language])
    shared, own = catalogue(campus_language), catalogue(operator_language)
    customer = await make_user(db, here, clock.now, name="li")
    order = await make_order(db, here, customer, clock.now)

    # What is posted in the chat, for every operator there: the card, its buttons, a refusal, the confirmation,
    # the outcome and the card brought up to date.
    (refused,) = await chat.send(OP, "/find 999", chat=ADMIN_CHAT)
    assert refused.text == shared("error-order-not-found", order="999")
    (card,) = await chat.send(OP, f"/find {order}", chat=ADMIN_CHAT)
    assert shared("admin-history-title") in card.text and own("admin-history-title") not in card.text
    cancel = shared("admin-button-event", event="operator_cancel", refunded="yes")
    assert cancel in [c.label for c in card.flat_choices()]
    (confirm,) = await chat.press(OP, cancel, chat=ADMIN_CHAT, message="card-1")
    assert confirm.text == shared("admin-confirm-event", order=str(order), event="operator_cancel", total="3.60",
                                  refunded="yes", refund="3.60", repaid="no")
    yes = shared("admin-button-confirm", event="operator_cancel", refunded="yes")
    outcome = await chat.press(OP, yes, chat=ADMIN_CHAT)
    assert keys(outcome) == ["admin-order-cancelled", "admin-order"]
    assert outcome[0].text.startswith(shared("admin-order-cancelled", order=str(order), paid="yes", refund="3.60",
                                             repaid="no", spent="0.00"))
    assert outcome[1].replaces == "card-1" and shared("admin-history-title") in outcome[1].text

    # A refusal made before anything is loaded (App's own answer to a domain error) speaks it too.
    await chat.send("zhou", "/start")
    (refused,) = await chat.press("zhou", f"data:adm:find:{order}", chat=ADMIN_CHAT)
    assert refused.text == shared("error-operators-only")

    # What goes to the operator alone speaks their language.
    (private,) = await chat.send(OP, f"/find {order}")
    assert own("admin-history-title") in private.text and shared("admin-history-title") not in private.text
