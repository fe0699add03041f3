"""The operators' chat: a button pressed there that asks for more (a reason) takes the answer given there as a
reply to that question, and only that."""
from __future__ import annotations

from storage.models import RunnerProfile
from tests.factories import make_runner
from tests.handlers.harness import keys
from tests.handlers.test_admin import OP, external, get, operator

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


async def test_the_questions_cancel_ends_the_step(chat, db, campus, clock):
    await operator(chat)
    applicant = await make_runner(db, campus, clock.now, approved=False)
    (question,) = await chat.press(OP, f"data:adm:reject:{applicant}", chat=ADMIN_CHAT)
    assert keys(await chat.press(OP, "Cancel", chat=ADMIN_CHAT)) == ["admin-step-cancelled"]
    assert await chat.send(OP, "too late", chat=ADMIN_CHAT, replying_to=question) == []
    assert (await get(db, RunnerProfile, applicant)).status == "pending"
