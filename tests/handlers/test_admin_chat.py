"""The operators' chat: a button pressed there that asks for more (a reason) takes the answer written there."""
from __future__ import annotations

from storage.models import RunnerProfile
from tests.factories import make_runner
from tests.handlers.harness import keys
from tests.handlers.test_admin import OP, external, get, operator

ADMIN_CHAT = OP  # on the console, the operators' chat of campus/demo.yaml is the operator's own


async def test_a_reason_written_in_the_operators_chat_rejects_the_application(chat, db, campus, clock):
    await operator(chat)
    applicant = await make_runner(db, campus, clock.now, approved=False)
    assert keys(await chat.press(OP, f"data:adm:reject:{applicant}", chat=ADMIN_CHAT)) == ["admin-ask-reject-reason"]

    replies = await chat.send(OP, "student card photo unreadable", chat=ADMIN_CHAT)

    assert keys(replies) == ["admin-application-rejected"]
    assert (await get(db, RunnerProfile, applicant)).status == "rejected"
    told = await chat.inbox(await external(db, applicant))
    assert "student card photo unreadable" in told[0]["text"]


async def test_other_chatter_in_the_operators_chat_is_left_alone(chat, db, campus, clock):
    await operator(chat)
    applicant = await make_runner(db, campus, clock.now, approved=False)
    assert await chat.send(OP, "lunch anyone?", chat=ADMIN_CHAT) == []  # no step waits for an answer
    await chat.send("alice", "/start")
    await chat.press(OP, f"data:adm:reject:{applicant}", chat=ADMIN_CHAT)
    assert await chat.send("alice", "me too", chat=ADMIN_CHAT) == []  # the step is the operator's, not hers
    assert (await get(db, RunnerProfile, applicant)).status == "pending"
