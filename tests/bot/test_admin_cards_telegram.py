"""The operators' list cards in Telegram (applications, withdrawals, complaints) stay truthful once their item is
decided, whichever way: by a typed command, through a question, or by a press on another copy of the card. A press
on a card decided meanwhile is a toast, and the card says what became of it (the decision's own words where the decision
edited it, else the press's "already decided"); a long order card acted on through its
confirmation loses the buttons that no longer apply.

End to end against the fake Bot API over real HTTP, in virtual time (the rate windows read the test's clock)."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete

from bot.telegram.sender import TelegramSender
from core.order import Actor, Event, Role
from locales import catalogue
from storage import cards
from storage.models import Complaint, Outbox, User, Withdrawal
from storage.uow import UnitOfWork
from tests.bot import test_telegram_groups as groups
from tests.bot.fake_bot_api import FakeBotAPI
from tests.bot.test_e2e_telegram import running_bot  # noqa: F401 - fixture: the dispatcher and the outbox sender
from tests.bot.test_sender import virtual_time  # noqa: F401 - rate windows in the test's time
from tests.bot.test_telegram_adapter import accepted_order, order_row, settle, tg_runner, tg_user, until
from tests.bot.test_telegram_groups import (
    applicant,
    application_status,
    deliver_queued,
    list_twice,
    operator,
    order_card,
)
from tests.factories import act
from tests.handlers.test_admin import complain, completed_order, request_withdrawal

EN = catalogue("en")


@pytest.fixture
def campus(campus):
    """A campus that speaks English: what its admin chat is told, whoever acts there, is in EN."""
    return campus.model_copy(update={"language": "en"})
# The admin chat's fixtures, as test_telegram_groups has them: the chat, and the dispatcher and sender's shared limiter.
admin_chat, dispatcher, limiter = groups.admin_chat, groups.dispatcher, groups.limiter


def wu(api: FakeBotAPI) -> dict[str, Any]:
    return api.user(4004, "Wu", language_code="en")


def card_of(api: FakeBotAPI, chat_id: int, data: str) -> dict[str, Any] | None:
    """The newest message of the chat whose buttons carry this data (but for an application's mark)."""
    return next((m for m in reversed(api.bot_messages(chat_id))
                 if any(groups.decided_by(d) == data for line in api.buttons(m) for _, d in line)), None)


def shown(api: FakeBotAPI, chat_id: int, message: dict[str, Any]) -> dict[str, Any]:
    return api.messages[(chat_id, message["message_id"])]


async def listed(api: FakeBotAPI, chat: dict[str, Any], command: str, *data: str) -> list[dict[str, Any]]:
    """Wu lists `command` in the chat: the cards whose first buttons carry `data`, once all are shown."""
    api.command(wu(api), command, chat=chat)
    await settle(api, wu(api))
    return [await until(lambda d=d: card_of(api, chat["id"], d)) for d in data]


async def late_reject_says_approved(fake_bot_api, chat_id: int, card: dict, zhao: int) -> None:
    """Wu presses Reject on a card of Zhao's application, approved already: the press says so, and the card is
    brought up to date in place, without buttons."""
    fake_bot_api.press(wu(fake_bot_api), card, EN("admin-button-reject"))
    (answer,) = await until(lambda: fake_bot_api.callback_answers)
    assert answer.get("text") == EN("error-decided-already")
    decided = EN("admin-application-decided", user=str(zhao), status="approved")
    await until(lambda: shown(fake_bot_api, chat_id, card)["text"] == decided)
    assert "reply_markup" not in shown(fake_bot_api, chat_id, card)


async def test_application_cards_decided_by_typed_commands_show_the_decision_without_buttons(
        fake_bot_api, dispatcher, services, campus, clock, admin_chat):
    await operator(services, campus, clock, 4004, started=True)
    zhao = await applicant(services, campus, clock, 3003, card_photo="AgAC-1-m")
    qian = await applicant(services, campus, clock, 3004)
    chat_id = admin_chat["id"]
    photo_card, text_card = await listed(fake_bot_api, admin_chat, "applications", f"adm:approve:{zhao}",
                                         f"adm:approve:{qian}")

    fake_bot_api.command(wu(fake_bot_api), "approve", str(zhao), chat=admin_chat)
    approved = EN("admin-application-approved", who=f"Zhao (#{zhao})", quiz="ahead")
    await until(lambda: shown(fake_bot_api, chat_id, photo_card).get("caption") == approved)
    assert "reply_markup" not in shown(fake_bot_api, chat_id, photo_card)  # nobody can decide it twice
    assert fake_bot_api.bot_messages(chat_id)[-1]["text"] == approved  # the answer to the command, as ever

    fake_bot_api.command(wu(fake_bot_api), "reject", f"{qian} not a student here", chat=admin_chat)
    rejected = EN("admin-application-rejected", who=f"Zhao (#{qian})", reason="not a student here")
    await until(lambda: shown(fake_bot_api, chat_id, text_card)["text"] == rejected)
    assert "reply_markup" not in shown(fake_bot_api, chat_id, text_card)
    assert await application_status(services, qian) == "rejected"


async def test_a_card_decided_by_command_is_refused_as_a_toast_when_pressed_and_shows_what_became_of_it(
        fake_bot_api, dispatcher, services, campus, clock, admin_chat):
    await operator(services, campus, clock, 4004, started=True)
    zhao = await applicant(services, campus, clock, 3003)
    chat_id = admin_chat["id"]
    (card,) = await listed(fake_bot_api, admin_chat, "applications", f"adm:approve:{zhao}")
    async with UnitOfWork(services.db) as uow:  # decided where this card was no longer known (its record pruned
        (await uow.runners.get(zhao)).status = "approved"  # after a week): no decision could bring it up to date
        await uow.session.execute(delete(Outbox).where(Outbox.edit_key.like(f"card:application/{zhao}@%")))
    posted = len(fake_bot_api.bot_messages(chat_id))

    await late_reject_says_approved(fake_bot_api, chat_id, card, zhao)
    assert len(fake_bot_api.bot_messages(chat_id)) == posted  # no new message, no question asked


async def test_a_card_recorded_only_after_its_decision_is_brought_up_to_date_by_a_late_press(
        fake_bot_api, dispatcher, services, campus, clock, admin_chat):
    """The card was being shown as another operator decided (its record came after the decision, which could not
    edit it): a press on it says what became of the application, as no decision did."""
    await operator(services, campus, clock, 4004, started=True)
    zhao = await applicant(services, campus, clock, 3003)
    chat_id = admin_chat["id"]
    (card,) = await listed(fake_bot_api, admin_chat, "applications", f"adm:approve:{zhao}")
    async with UnitOfWork(services.db) as uow:
        await uow.session.execute(delete(Outbox).where(Outbox.edit_key.like(f"card:application/{zhao}@%")))
    fake_bot_api.command(wu(fake_bot_api), "approve", str(zhao))  # privately: nothing known shows the card
    approved = EN("admin-application-approved", who=f"Zhao (#{zhao})", quiz="ahead")
    await until(lambda: approved in [m.get("text") for m in fake_bot_api.bot_messages(4004)])
    clock.advance(seconds=1)
    async with UnitOfWork(services.db) as uow:  # as the adapter records a card once it is sent
        await cards.shown(uow.session, "telegram", str(chat_id), f"application/{zhao}", str(card["message_id"]),
                          clock())

    await late_reject_says_approved(fake_bot_api, chat_id, card, zhao)


async def test_withdrawal_cards_decided_by_commands_are_edited_and_a_refusal_by_button_asks_why(
        fake_bot_api, dispatcher, services, campus, clock, admin_chat):
    await operator(services, campus, clock, 4004, started=True)
    runner = await tg_runner(services, campus, clock, 3003, name="Zhao")
    customer = await tg_user(services, campus, clock, 1001, name="Li")
    await completed_order(services.db, campus, clock(), customer, runner)  # earnings to withdraw
    paid, refused, asked = [await request_withdrawal(services.db, runner, 100, clock()) for _ in range(3)]
    chat_id = admin_chat["id"]
    cards = await listed(fake_bot_api, admin_chat, "withdrawals", *(f"adm:wok:{w}" for w in (paid, refused, asked)))

    fake_bot_api.command(wu(fake_bot_api), "payout", str(paid), chat=admin_chat)
    done = EN("admin-withdrawal-approved-done", id=str(paid), who=f"Zhao (#{runner})", amount="1.00")
    await until(lambda: shown(fake_bot_api, chat_id, cards[0])["text"] == done)
    fake_bot_api.command(wu(fake_bot_api), "refusepayout", f"{refused} wrong account", chat=admin_chat)
    done = EN("admin-withdrawal-rejected-done", id=str(refused), who=f"Zhao (#{runner})", amount="1.00")
    await until(lambda: shown(fake_bot_api, chat_id, cards[1])["text"] == done)
    assert not any(fake_bot_api.buttons(shown(fake_bot_api, chat_id, c)) for c in cards[:2])

    # Refuse pressed: the runner is told why, so the reason is asked first, and the answer decides the card.
    fake_bot_api.press(wu(fake_bot_api), cards[2], EN("admin-button-refuse"))
    question = await until(lambda: next((m for m in fake_bot_api.bot_messages(chat_id)
                                         if m.get("text") == EN("admin-ask-refuse-reason", id=str(asked))), None))
    assert [label for label, _ in fake_bot_api.buttons(question)[0]] == [EN("admin-button-cancel-step")]
    async with UnitOfWork(services.db, write=False) as uow:
        assert (await uow.session.get(Withdrawal, asked)).status == "pending"  # nothing refused before the reason
    fake_bot_api.text(wu(fake_bot_api), "name does not match the account", chat=admin_chat, reply_to=question)
    done = EN("admin-withdrawal-rejected-done", id=str(asked), who=f"Zhao (#{runner})", amount="1.00")
    await until(lambda: shown(fake_bot_api, chat_id, cards[2])["text"] == done)
    assert shown(fake_bot_api, chat_id, question)["text"] == done
    assert "reply_markup" not in shown(fake_bot_api, chat_id, cards[2])
    async with UnitOfWork(services.db, write=False) as uow:
        assert (await uow.session.get(Withdrawal, asked)).status == "rejected"


async def order_under_review(services, campus, clock) -> tuple[int, int, int]:  # noqa: ANN001
    """An operator (4004), and an order Li's runner Zhao picked up that Li then reported: its customer, runner, id."""
    await operator(services, campus, clock, 4004, started=True)
    customer = await tg_user(services, campus, clock, 1001, name="Li")
    runner = await tg_runner(services, campus, clock, 3003, name="Zhao")
    order_id = await accepted_order(services, campus, clock, customer, runner)
    await act(services.db, campus, order_id, Event.pickup, Actor(Role.runner, runner), clock())
    await act(services.db, campus, order_id, Event.report, Actor(Role.customer, customer), clock())
    return customer, runner, order_id


async def test_complaint_cards_show_their_decision_after_uphold_and_after_the_orders_resolution(
        fake_bot_api, dispatcher, services, campus, clock, admin_chat):
    customer, runner, order_id = await order_under_review(services, campus, clock)
    first = await complain(services.db, order_id, customer, "the parcel arrived crushed", clock())
    second = await complain(services.db, order_id, runner, "student does not answer", clock())
    chat_id = admin_chat["id"]
    cards = await listed(fake_bot_api, admin_chat, "complaints", f"adm:up:{first}", f"adm:up:{second}")

    fake_bot_api.command(wu(fake_bot_api), "uphold", f"{first} ¥5 crushed", chat=admin_chat)
    done = EN("admin-complaint-done", complaint=str(first), status="upheld", compensation="5.00", compensated="yes",
              student=f"Li (#{customer})", to="student", penalised=f"Zhao (#{runner})")
    await until(lambda: shown(fake_bot_api, chat_id, cards[0])["text"] == done)

    # Completing the order decides the runner's complaint too: its card says so as an outcome.
    fake_bot_api.command(wu(fake_bot_api), "resolve", f"{order_id} complete", chat=admin_chat)
    decided = EN("admin-complaint-resolved", complaint=str(second), order=str(order_id), status="upheld")
    assert decided == f"Complaint #{second} was decided with order #{order_id}'s resolution: upheld."
    await until(lambda: shown(fake_bot_api, chat_id, cards[1])["text"] == decided)
    assert not any(fake_bot_api.buttons(shown(fake_bot_api, chat_id, c)) for c in cards)
    async with UnitOfWork(services.db, write=False) as uow:
        assert (await uow.session.get(Complaint, second)).status == "upheld"


async def test_a_card_the_outbox_posted_when_the_chat_had_no_room_is_edited_by_a_later_command(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat, limiter):
    await operator(services, campus, clock, 4004, started=True)
    applicants = [await applicant(services, campus, clock, 5000 + i) for i in range(10)]
    chat_id = admin_chat["id"]
    await list_twice(fake_bot_api, admin_chat)  # 22 messages: the last two cards wait in the outbox
    sender = TelegramSender(services.db, bot, clock, limiter=limiter, cipher=services.cipher)
    await deliver_queued(services, sender, clock, chat_id)
    last = fake_bot_api.bot_messages(chat_id)[-1]
    assert groups.decided_by(fake_bot_api.buttons(last)[0][0][1]) == f"adm:approve:{applicants[9]}"

    fake_bot_api.command(wu(fake_bot_api), "approve", str(applicants[9]), chat=admin_chat)
    await settle(fake_bot_api, wu(fake_bot_api))
    await deliver_queued(services, sender, clock, chat_id)
    approved = EN("admin-application-approved", who=f"Zhao (#{applicants[9]})", quiz="ahead")
    assert shown(fake_bot_api, chat_id, last)["text"] == approved  # the card the sender posted

    def offering(applicant_id: int) -> int:
        return sum(any(groups.decided_by(d) == f"adm:approve:{applicant_id}" for line in fake_bot_api.buttons(m)
                       for _, d in line)
                   for m in fake_bot_api.bot_messages(chat_id))
    assert offering(applicants[9]) == 0  # neither list's copy offers Approve any more
    assert offering(applicants[8]) == 2  # the others' cards keep theirs


async def test_cards_listed_in_a_private_chat_are_edited_by_a_command_typed_there(
        fake_bot_api, dispatcher, services, campus, clock):
    await operator(services, campus, clock, 4004, started=True)
    zhao = await applicant(services, campus, clock, 3003, card_photo="AgAC-1-m")
    me = wu(fake_bot_api)
    fake_bot_api.command(me, "applications")
    card = await until(lambda: card_of(fake_bot_api, 4004, f"adm:approve:{zhao}"))

    fake_bot_api.command(me, "approve", str(zhao))
    approved = EN("admin-application-approved", who=f"Zhao (#{zhao})", quiz="ahead")
    await until(lambda: shown(fake_bot_api, 4004, card).get("caption") == approved)
    assert "reply_markup" not in shown(fake_bot_api, 4004, card)


async def test_a_long_order_card_resolved_through_its_confirmation_loses_its_buttons(
        fake_bot_api, dispatcher, services, campus, clock, admin_chat):
    customer, runner, order_id = await order_under_review(services, campus, clock)
    for i in range(10):  # a card of some 5000 characters: two messages, the buttons under the second
        complaint = await complain(services.db, order_id, customer, f"{i}: " + "too late and rude " * 26, clock())
        if i < 9:  # one open complaint per person and order: the earlier ones were dismissed
            async with UnitOfWork(services.db) as uow:
                (await uow.session.get(Complaint, complaint)).status = "dismissed"
    chat_id = admin_chat["id"]
    card = await order_card(fake_bot_api, admin_chat, 4004, order_id)
    pieces = [m for m in fake_bot_api.bot_messages(chat_id) if m["message_id"] <= card["message_id"]][-2:]
    assert "reply_markup" not in pieces[0] and pieces[1] == card

    resolve = EN("admin-button-event", event="resolve_complete", refunded="yes")
    fake_bot_api.press(wu(fake_bot_api), card, resolve)
    confirm = await until(lambda: next((m for m in fake_bot_api.bot_messages(chat_id)
                                        if m["message_id"] > card["message_id"] and fake_bot_api.buttons(m)), None))
    fake_bot_api.press(wu(fake_bot_api), confirm, EN("admin-button-confirm", event="resolve_complete",
                                                     refunded="yes"))
    await until(lambda: "reply_markup" not in shown(fake_bot_api, chat_id, card))
    assert (await order_row(services, order_id)).status == "completed"
    now_card = shown(fake_bot_api, chat_id, card)["text"]
    assert "(dismissed)" in now_card and "(open)" not in now_card  # its end as it is now: the complaints decided


async def test_an_operator_replying_to_another_operators_question_is_told_it_is_not_theirs(
        fake_bot_api, dispatcher, services, campus, clock, admin_chat):
    await operator(services, campus, clock, 4004, started=True)
    await operator(services, campus, clock, 4006, started=True)
    zhao = await applicant(services, campus, clock, 3003)
    chat_id = admin_chat["id"]
    (card,) = await listed(fake_bot_api, admin_chat, "applications", f"adm:approve:{zhao}")
    fake_bot_api.press(wu(fake_bot_api), card, EN("admin-button-reject"))
    question = await until(lambda: next((m for m in fake_bot_api.bot_messages(chat_id)
                                         if m.get("text") == EN("admin-ask-reject-reason", user=str(zhao))), None))

    ma = fake_bot_api.user(4006, "Ma", language_code="en")
    fake_bot_api.text(ma, "blurry photo", chat=admin_chat, reply_to=question)
    await until(lambda: fake_bot_api.bot_messages(chat_id)[-1]["text"] == EN("admin-question-not-yours"))
    assert await application_status(services, zhao) == "pending"
    assert fake_bot_api.buttons(shown(fake_bot_api, chat_id, question))  # still waiting for Wu's answer


# --- one card, several chats ---------------------------------------------------------------------------------------

def ma(api: FakeBotAPI) -> dict[str, Any]:
    return api.user(4006, "Ma", language_code="en")


async def listed_privately(api: FakeBotAPI, person: dict[str, Any], command: str, data: str) -> dict[str, Any]:
    """`person` lists `command` in their own chat with the bot: the card whose buttons carry `data`."""
    api.command(person, command)
    return await until(lambda: card_of(api, person["id"], data))


async def test_a_card_decided_in_the_admin_chat_is_edited_in_the_operators_private_chat_too(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat, limiter):
    await operator(services, campus, clock, 4004, started=True)
    zhao = await applicant(services, campus, clock, 3003, card_photo="AgAC-1-m")
    qian = await applicant(services, campus, clock, 3004)
    private_photo = await listed_privately(fake_bot_api, wu(fake_bot_api), "applications", f"adm:approve:{zhao}")
    # The second card comes after the first: waited for too, not read at once.
    private_text = await until(lambda: card_of(fake_bot_api, 4004, f"adm:approve:{qian}"))
    in_group, _ = await listed(fake_bot_api, admin_chat, "applications", f"adm:approve:{zhao}", f"adm:approve:{qian}")

    fake_bot_api.press(wu(fake_bot_api), in_group, EN("admin-button-approve"))  # a button in one chat
    fake_bot_api.command(wu(fake_bot_api), "reject", f"{qian} not a student here", chat=admin_chat)  # a command
    await settle(fake_bot_api, wu(fake_bot_api))
    sender = TelegramSender(services.db, bot, clock, limiter=limiter, cipher=services.cipher)
    await deliver_queued(services, sender, clock, 4004)

    approved = EN("admin-application-approved", who=f"Zhao (#{zhao})", quiz="ahead")
    assert shown(fake_bot_api, 4004, private_photo).get("caption") == approved
    rejected = EN("admin-application-rejected", who=f"Zhao (#{qian})", reason="not a student here")
    assert shown(fake_bot_api, 4004, private_text)["text"] == rejected
    assert not any(fake_bot_api.buttons(m) for m in fake_bot_api.bot_messages(4004))  # nothing left to decide


@pytest.mark.parametrize("named_by_the_file", [False, True], ids=["flag", "campus file"])
async def test_a_former_operators_copy_of_a_card_loses_it_and_is_not_told_the_decision(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat, limiter, named_by_the_file):
    """Wu listed the applications privately, then stopped being an operator (his flag cleared, or the campus file no
    longer naming him). Once the application is decided, his copy says only that it is no longer shown to him: no
    buttons, no applicant, no decision. Ma, an operator still, gets the decision on hers."""
    await operator(services, campus, clock, 4006, started=True)
    if named_by_the_file:
        services.campuses[campus.id] = campus.model_copy(update={"operators": [*campus.operators, "telegram:4004"]})
        wu_id = await tg_user(services, campus, clock, 4004, name="Wu", started=True)
    else:
        wu_id = await operator(services, campus, clock, 4004, started=True)
    zhao = await applicant(services, campus, clock, 3003)
    his = await listed_privately(fake_bot_api, wu(fake_bot_api), "applications", f"adm:approve:{zhao}")
    hers = await listed_privately(fake_bot_api, ma(fake_bot_api), "applications", f"adm:approve:{zhao}")
    if named_by_the_file:
        services.campuses[campus.id] = campus
    else:
        async with UnitOfWork(services.db) as uow:
            (await uow.session.get(User, wu_id)).is_operator = False

    fake_bot_api.command(ma(fake_bot_api), "approve", str(zhao))
    await settle(fake_bot_api, ma(fake_bot_api))
    sender = TelegramSender(services.db, bot, clock, limiter=limiter, cipher=services.cipher)
    await deliver_queued(services, sender, clock, 4004)

    approved = EN("admin-application-approved", who=f"Zhao (#{zhao})", quiz="ahead")
    assert shown(fake_bot_api, 4006, hers)["text"] == approved
    assert shown(fake_bot_api, 4004, his)["text"] == EN("admin-card-withdrawn")
    assert "reply_markup" not in shown(fake_bot_api, 4004, his)
    assert not any("Zhao" in (m.get("text") or "") for m in fake_bot_api.bot_messages(4004))


async def test_a_card_decided_by_a_command_in_one_operators_chat_is_edited_in_the_others_and_in_the_admin_chat(
        fake_bot_api, running_bot, services, campus, clock, admin_chat):  # noqa: F811
    """As the bot runs (its outbox sender too): the other copies change by themselves, nobody pressing them."""
    await operator(services, campus, clock, 4004, started=True)
    await operator(services, campus, clock, 4006, started=True)
    runner = await tg_runner(services, campus, clock, 3003, name="Zhao")
    customer = await tg_user(services, campus, clock, 1001, name="Li")
    await completed_order(services.db, campus, clock(), customer, runner)
    paid = await request_withdrawal(services.db, runner, 100, clock())
    wus = await listed_privately(fake_bot_api, wu(fake_bot_api), "withdrawals", f"adm:wok:{paid}")
    mas = await listed_privately(fake_bot_api, ma(fake_bot_api), "withdrawals", f"adm:wok:{paid}")
    (in_group,) = await listed(fake_bot_api, admin_chat, "withdrawals", f"adm:wok:{paid}")

    fake_bot_api.command(ma(fake_bot_api), "payout", str(paid))
    done = EN("admin-withdrawal-approved-done", id=str(paid), who=f"Zhao (#{runner})", amount="1.00")
    await until(lambda: shown(fake_bot_api, 4006, mas)["text"] == done)  # her own copy, as her answer
    await until(lambda: shown(fake_bot_api, 4004, wus)["text"] == done)  # his, through the outbox
    await until(lambda: shown(fake_bot_api, admin_chat["id"], in_group)["text"] == done)
    assert not any(fake_bot_api.buttons(shown(fake_bot_api, c, m))
                   for c, m in ((4004, wus), (4006, mas), (admin_chat["id"], in_group)))


async def test_a_copy_pressed_before_it_was_brought_up_to_date_is_refused_and_changes_nothing(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat):
    await operator(services, campus, clock, 4004, started=True)
    zhao = await applicant(services, campus, clock, 3003)
    private = await listed_privately(fake_bot_api, wu(fake_bot_api), "applications", f"adm:approve:{zhao}")
    (in_group,) = await listed(fake_bot_api, admin_chat, "applications", f"adm:approve:{zhao}")
    fake_bot_api.press(wu(fake_bot_api), in_group, EN("admin-button-approve"))
    await until(lambda: "reply_markup" not in shown(fake_bot_api, admin_chat["id"], in_group))
    posted = len(fake_bot_api.bot_messages(4004))

    fake_bot_api.press(wu(fake_bot_api), private, EN("admin-button-reject"))  # the sender has not edited it yet
    answer = await until(lambda: fake_bot_api.callback_answers[1:])
    assert answer[0].get("text") == EN("error-decided-already")
    # The copy says what the decision said, in full, as the outbox brings it up to date: the refused press does not
    # put the shorter "already approved" in its place, before or after.
    approved = EN("admin-application-approved", who=f"Zhao (#{zhao})", quiz="ahead")
    await settle(fake_bot_api, wu(fake_bot_api))  # the press handled to its end: the copy is as it was
    assert shown(fake_bot_api, 4004, private)["text"] == private["text"]
    await groups.run_outbox(services, bot, clock)  # then brought up to date, in the decision's words
    assert shown(fake_bot_api, 4004, private)["text"] == approved
    assert "reply_markup" not in shown(fake_bot_api, 4004, private)
    asked = EN("admin-ask-reject-reason", user=str(zhao))
    assert asked not in [m.get("text") for m in fake_bot_api.bot_messages(4004)[posted:]]  # no reason asked for
    assert await application_status(services, zhao) == "approved"


# --- a card in pieces ----------------------------------------------------------------------------------------------

async def long_order_card(services, campus, clock) -> int:  # noqa: ANN001
    """An order under review whose card takes some 5000 characters (ten complaints): two messages."""
    customer, _, order_id = await order_under_review(services, campus, clock)
    for i in range(10):
        complaint = await complain(services.db, order_id, customer, f"{i}: " + "too late and rude " * 26, clock())
        if i < 9:  # one open complaint per person and order: the earlier ones were dismissed
            async with UnitOfWork(services.db) as uow:
                (await uow.session.get(Complaint, complaint)).status = "dismissed"
    return order_id


async def found(api: FakeBotAPI, chat: dict[str, Any] | None, order_id: int) -> list[dict[str, Any]]:
    """Wu looks the order up (in `chat`, or privately): the messages its card is shown in."""
    chat_id = chat["id"] if chat else 4004
    before = len(api.bot_messages(chat_id))
    api.command(wu(api), "find", str(order_id), chat=chat)
    await settle(api, wu(api))
    return [m for m in api.bot_messages(chat_id)[before:] if f"#{order_id}" in m["text"]]  # not /help's answer


@pytest.mark.parametrize("where", ["admin chat", "private chat"])
async def test_a_card_in_pieces_reads_as_the_card_is_now_in_every_piece_once_it_is_resolved(
        fake_bot_api, dispatcher, services, campus, clock, admin_chat, where):
    order_id = await long_order_card(services, campus, clock)
    chat = admin_chat if where == "admin chat" else None
    chat_id = chat["id"] if chat else 4004
    pieces = await found(fake_bot_api, chat, order_id)
    assert len(pieces) == 2 and "reply_markup" not in pieces[0] and fake_bot_api.buttons(pieces[1])
    assert EN("status", status="exception") in pieces[0]["text"]  # what the top piece says of it

    resolve = EN("admin-button-event", event="resolve_complete", refunded="yes")
    fake_bot_api.press(wu(fake_bot_api), pieces[1], resolve)
    confirm = await until(lambda: next((m for m in fake_bot_api.bot_messages(chat_id)
                                        if m["message_id"] > pieces[1]["message_id"] and fake_bot_api.buttons(m)),
                                       None))
    fake_bot_api.press(wu(fake_bot_api), confirm, EN("admin-button-confirm", event="resolve_complete",
                                                     refunded="yes"))
    await until(lambda: "reply_markup" not in shown(fake_bot_api, chat_id, pieces[1]))
    now = [m["text"] for m in await found(fake_bot_api, chat, order_id)]  # the card as it is now
    assert [shown(fake_bot_api, chat_id, m)["text"] for m in pieces] == now  # the top piece too: no stale status


async def test_a_copy_in_another_chat_says_the_decision_in_that_chats_language(
        fake_bot_api, dispatcher, bot, services, campus, clock, admin_chat, limiter):
    wu_id = await operator(services, campus, clock, 4004, started=True)
    async with UnitOfWork(services.db) as uow:
        (await uow.session.get(User, wu_id)).language = "zh_CN"  # Wu reads Chinese; the admin chat English
    zhao = await applicant(services, campus, clock, 3003)
    private = await listed_privately(fake_bot_api, wu(fake_bot_api), "applications", f"adm:approve:{zhao}")
    (in_group,) = await listed(fake_bot_api, admin_chat, "applications", f"adm:approve:{zhao}")

    fake_bot_api.press(wu(fake_bot_api), in_group, EN("admin-button-approve"))
    await until(lambda: "reply_markup" not in shown(fake_bot_api, admin_chat["id"], in_group))
    sender = TelegramSender(services.db, bot, clock, limiter=limiter, cipher=services.cipher)
    await deliver_queued(services, sender, clock, 4004)
    assert shown(fake_bot_api, 4004, private)["text"] == catalogue("zh_CN")("admin-application-approved",
                                                                            who=f"Zhao (#{zhao})", quiz="ahead")
    assert "reply_markup" not in shown(fake_bot_api, 4004, private)
