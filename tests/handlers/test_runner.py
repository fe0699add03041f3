"""Runners: applying, the rules quiz, the trip (picked up, delivered, release), income and withdrawals."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from core import ledger
from core.campus import Campus, CreditEvent, Gender
from core.money import format_yuan
from core.order import Actor, Event, Role, transition
from handlers.context import MAX_TEXT, Services
from handlers.location import AVAILABLE_FOR
from handlers.notify import Notifier
from locales import catalogue
from storage.models import Conversation, RunnerProfile, User, Withdrawal
from storage.models import Order as OrderRow
from storage.orders_repo import to_domain
from storage.transitions import apply_transition
from storage.uow import UnitOfWork
from tests.factories import CIPHER, act, make_order, make_user, top_up
from tests.handlers.harness import Chat, keys
from tests.handlers.test_admin import request_withdrawal

EN = catalogue("en")
PHONE, ROOM = "13800138000", "F3-502"


# --- helpers (test_hall.py uses them too) ---------------------------------------------------------------------------

async def person(db, campus: Campus, now: dt.datetime, name: str, *, language: str = "en") -> int:
    user_id = await make_user(db, campus, now, name=name)
    async with UnitOfWork(db) as uow:
        (await uow.session.get(User, user_id)).language = language
    return user_id


async def runner(db, campus: Campus, now: dt.datetime, name: str, *, gender: Gender = Gender.male,
                 approved: bool = True, quiz: bool = True, credit: int | None = None,
                 at: str | None = None, language: str = "en") -> int:
    """A runner the chat can drive by `name`; `at`: a building where they share their live location from, free to
    be offered orders nearby (an availability point, handlers/location.py)."""
    user_id = await person(db, campus, now, name, language=language)
    where = campus.building(at) if at else None
    async with UnitOfWork(db) as uow:
        uow.session.add(RunnerProfile(
            user_id=user_id, campus_id=campus.id, status="approved" if approved else "pending", gender=gender.value,
            real_name_enc=CIPHER.encrypt("测试"), student_no_enc=CIPHER.encrypt("2024000"), quiz_passed=quiz,
            credit=campus.credit.initial if credit is None else credit, applied_at=now,
            available_lat=where.lat if where else None, available_lon=where.lon if where else None,
            available_until=now + AVAILABLE_FOR if where else None,
        ))
    return user_id


async def pay(services: Services, order_id: int) -> None:
    """Pay the way the payment flow does: the transition and its notices (hall, offers) in one transaction."""
    campus, now = services.default_campus, services.clock()
    async with UnitOfWork(services.db) as uow:
        row = await uow.orders.get_row(order_id)
        t = transition(campus, to_domain(row), Event.pay, Actor(Role.customer, row.customer_id), now)
        await apply_transition(uow, campus, t, now)
        await Notifier(services, uow, now, origin=f"test-pay:{order_id}").transition(campus, t)


async def act_notified(services: Services, order_id: int, event: Event, actor: Actor) -> None:
    """A transition with its notices, as a handler would make it."""
    campus, now = services.default_campus, services.clock()
    async with UnitOfWork(services.db) as uow:
        row = await uow.orders.get_row(order_id)
        t = transition(campus, to_domain(row), event, actor, now)
        await apply_transition(uow, campus, t, now)
        await Notifier(services, uow, now, origin=f"test-{event.value}:{order_id}:{now.timestamp()}").transition(campus, t)


async def paid_order(services: Services, customer_id: int, *, favourite: int | None = None, pay_now: bool = True,
                     **kwargs) -> int:
    """An order with the student's phone and room (encrypted, as the ordering flow stores them), paid."""
    campus, now = services.default_campus, services.clock()
    order_id = await make_order(services.db, campus, customer_id, now, pay=False, **kwargs)
    async with UnitOfWork(services.db) as uow:
        row = await uow.orders.get_row(order_id)
        row.phone_enc, row.room_enc = CIPHER.encrypt(PHONE), CIPHER.encrypt(ROOM)
        row.favourite_runner_id = favourite
        total = row.total
    await top_up(services.db, customer_id, total, now)
    if pay_now:
        await pay(services, order_id)
    return order_id


async def won_order(chat: Chat, services: Services, customer_id: int, runner_name: str) -> int:
    """An order the runner grabbed from the hall; the hall's and the runner's messages so far are read."""
    order_id = await paid_order(services, customer_id)
    replies = await chat.press(runner_name, f"data:g:{order_id}", chat="hall:demo")
    assert keys(replies) == ["grab-won"], replies
    await chat.inbox("hall:demo")
    await chat.inbox(runner_name)
    return order_id


async def order_row(db, order_id: int):
    async with UnitOfWork(db, write=False) as uow:
        return await uow.orders.get_row(order_id)


async def profile_of(db, user_id: int) -> RunnerProfile:
    async with UnitOfWork(db, write=False) as uow:
        return await uow.runners.get(user_id)


async def english(chat: Chat, who: str) -> None:
    await chat.send(who, "/start")
    await chat.press(who, "English")


# --- applying -------------------------------------------------------------------------------------------------------

async def test_apply_stores_personal_data_encrypted_and_tells_operators(chat, services, db, campus):
    await english(chat, "dan")
    replies = await chat.send("dan", "/apply")
    assert keys(replies) == ["runner-apply-intro", "runner-apply-name"]
    assert keys(await chat.send("dan", "张三")) == ["runner-apply-number"]
    async with UnitOfWork(db, write=False) as uow:
        conv = await uow.session.get(Conversation, ("console", "dan"))
    assert "张三" not in str(conv.data)  # not even the half-finished application holds it in clear
    for bad in ("12ab", "123", "1" * 21):
        replies = await chat.send("dan", bad)
        assert keys(replies) == ["runner-apply-number-invalid"], bad
    replies = await chat.send("dan", "2024 123456")
    assert keys(replies) == ["runner-apply-gender"]
    assert [c.label for c in replies[0].flat_choices()] == ["Male", "Female"]
    assert keys(await chat.send("dan", "maybe")) == ["runner-apply-gender"]  # no answer: asked again
    assert keys(await chat.press("dan", "Male")) == ["runner-apply-photo"]
    replies = await chat.send("dan", "here it is")
    assert keys(replies) == ["runner-apply-photo-needed"]
    assert replies[0].text == "Please send a photo of your student card (a picture, not text)."
    assert keys(await chat.photo("dan", "card-file-1")) == ["runner-apply-done"]

    async with UnitOfWork(db, write=False) as uow:
        user = (await uow.session.scalars(select(User).where(User.external_id == "dan"))).one()
        profile = await uow.runners.get(user.id)
    assert (profile.status, profile.gender, profile.credit, profile.quiz_passed) == (
        "pending", "male", campus.credit.initial, False)
    # The photo shows the name and number: its file id is kept encrypted like them (before, in clear).
    assert "card-file-1" not in profile.card_photo_enc and CIPHER.decrypt(profile.card_photo_enc) == "card-file-1"
    assert "张三" not in profile.real_name_enc and "2024123456" not in profile.student_no_enc
    assert CIPHER.decrypt(profile.real_name_enc) == "张三"
    assert CIPHER.decrypt(profile.student_no_enc) == "2024123456"

    operators = await chat.inbox("admin")
    assert [m["key"] for m in operators] == ["runner-application-operators"]
    assert "张三" not in operators[0]["text"] and "2024123456" not in operators[0]["text"]
    assert f"dan（#{user.id}，男）" in operators[0]["text"]  # the campus operator reads Chinese; before: "（用户 1，男）"

    again = await chat.send("dan", "/apply")
    assert keys(again) == ["runner-apply-status"]
    assert again[0].text == "You have applied already; an operator is reviewing your application."


async def test_a_rejected_applicant_may_apply_again(chat, services, db, campus):
    await english(chat, "dan")
    await english(chat, "admin")
    for answer in ("/apply", "张三", "2024123456"):
        await chat.send("dan", answer)
    await chat.press("dan", "Male")
    await chat.photo("dan", "card-blurry")
    async with UnitOfWork(db, write=False) as uow:
        dan = (await uow.session.scalars(select(User).where(User.external_id == "dan"))).one().id
    await chat.send("admin", f"/reject {dan} the photo is unreadable")
    for answer in ("/apply", "张三", "2024123456"):
        await chat.send("dan", answer)
    await chat.press("dan", "Male")
    assert keys(await chat.photo("dan", "card-sharp")) == ["runner-apply-done"]
    async with UnitOfWork(db, write=False) as uow:
        profile = await uow.runners.get(dan)
    assert (profile.status, CIPHER.decrypt(profile.card_photo_enc), profile.decided_by) == (
        "pending", "card-sharp", None)
    again = await chat.send("dan", "/apply")  # pending again: no third application
    assert keys(again) == ["runner-apply-status"]


async def test_changing_language_in_the_middle_of_the_application_asks_the_same_question_in_the_new_one(
        chat, db, campus):
    await english(chat, "dan")
    for answer in ("/apply", "张三"):
        await chat.send("dan", answer)
    await chat.send("dan", "/language")
    replies = await chat.press("dan", "中文")
    assert [r.text for r in replies] == ["已切换为中文。", "你的学号是？"]
    await chat.send("dan", "2024123456")
    await chat.send("dan", "/lang")
    replies = await chat.press("dan", "English")  # the question with buttons comes with them, in the new language
    assert [r.text for r in replies] == ["Language set to English.", EN("runner-apply-gender")]
    assert [c.label for c in replies[1].flat_choices()] == ["Male", "Female"]
    assert keys(await chat.press("dan", "Female")) == ["runner-apply-photo"]
    await chat.send("dan", "/language")
    replies = await chat.press("dan", "中文")
    assert [r.text for r in replies] == ["已切换为中文。", "最后一步：请发送学生证照片。"]
    assert keys(await chat.photo("dan", "card-file-1")) == ["runner-apply-done"]
    async with UnitOfWork(db, write=False) as uow:  # every answer before the changes of language was kept
        dan = (await uow.session.scalars(select(User).where(User.external_id == "dan"))).one()
        profile = await uow.runners.get(dan.id)
    assert (dan.language, profile.status, profile.gender) == ("zh_CN", "pending", "female")
    assert (CIPHER.decrypt(profile.real_name_enc), CIPHER.decrypt(profile.student_no_enc)) == ("张三", "2024123456")


async def test_changing_language_in_the_middle_of_the_quiz_asks_the_same_question_in_the_new_one(
        chat, db, campus, clock):
    await runner(db, campus, clock(), "rita", quiz=False)
    await chat.send("rita", "/quiz")
    await chat.press("rita", "Nobody: it is only for this delivery")
    await chat.send("rita", "/language")
    replies = await chat.press("rita", "中文")
    zh = catalogue("zh_CN")
    assert keys(replies) == ["start-language-set", "runner-quiz-q2"]
    assert replies[1].text == zh("runner-quiz-q2", n=2, total=4)
    assert [c.label for c in replies[1].flat_choices()] == [zh(f"runner-quiz-q2-a{i}") for i in (1, 2, 3)]
    for right in (zh("runner-quiz-q2-a3"), zh("runner-quiz-q3-a1"), zh("runner-quiz-q4-a2")):
        replies = await chat.press("rita", right)
    assert keys(replies) == ["runner-quiz-passed"] and replies[0].args["score"] == 4  # the first answer counted


async def test_quiz_must_be_passed_and_may_be_retried(chat, services, db, campus, clock):
    rita = await runner(db, campus, clock(), "rita", quiz=False)
    replies = await chat.send("rita", "/quiz")
    assert keys(replies) == ["runner-quiz-intro", "runner-quiz-q1"]
    first_question = replies[1].flat_choices()
    for wrong in ("Other runners", "Nothing; it will time out", "I go in anyway", "Whenever I like"):
        replies = await chat.press("rita", wrong)
    assert keys(replies) == ["runner-quiz-failed"]
    assert replies[0].text.startswith("0 of 4 right; you need 3.")
    assert not (await profile_of(db, rita)).quiz_passed
    stale = await chat.press("rita", f"data:{first_question[1].data}")
    assert keys(stale) == ["error-stale-choice"]

    await chat.send("rita", "/quiz")
    for right in ("Nobody: it is only for this delivery", "Release it at once with /release",
                  "At the dorm's transfer point", "Whenever I like"):
        replies = await chat.press("rita", right)
    assert keys(replies) == ["runner-quiz-passed"]
    assert replies[0].text == "3 of 4 right: passed! You can take orders now: /nearby"
    assert (await profile_of(db, rita)).quiz_passed
    assert keys(await chat.send("rita", "/quiz")) == ["runner-quiz-already"]


def cleared(reply, message: str, question) -> bool:
    """The reply replaces the question's message with its text alone: the step's buttons are gone."""
    return (reply.replaces, reply.text, reply.choices, reply.edit) == (message, question.text, (), False)


async def test_the_applications_gender_question_loses_its_buttons_once_asked_again_or_answered(chat):
    """Where the channel says which message shows it: typed text asks again below, so the buttons move there; the
    answer pressed, or the application left, takes them off the last one."""
    await english(chat, "dan")
    for answer in ("/apply", "张三"):
        await chat.send("dan", answer)
    (gender,) = await chat.send("dan", "2024123456")
    await chat.shown("dan", gender, "5")
    again, old = await chat.send("dan", "maybe")  # no answer: asked again
    assert again.key == "runner-apply-gender" and cleared(old, "5", gender)
    await chat.shown("dan", again, "7")
    photo, old = await chat.press("dan", "Male", message="7")
    assert photo.key == "runner-apply-photo" and cleared(old, "7", again)

    await chat.send("dan", "/apply")
    await chat.send("dan", "张三")
    (gender,) = await chat.send("dan", "2024123456")
    await chat.shown("dan", gender, "9")
    menu, old = await chat.send("dan", "/menu")
    assert menu.key == "menu-title" and cleared(old, "9", gender)


async def test_a_quiz_question_loses_its_buttons_once_answered_or_asked_again(chat, db, campus, clock):
    await runner(db, campus, clock(), "rita", quiz=False)
    _, first = await chat.send("rita", "/quiz")
    await chat.shown("rita", first, "3")
    second, old = await chat.press("rita", "Nobody: it is only for this delivery", message="3")
    assert second.key == "runner-quiz-q2" and cleared(old, "3", first)
    await chat.shown("rita", second, "4")
    replies = await chat.send("rita", "maybe")  # names no answer: asked again below, with the buttons
    assert keys(replies)[:2] == ["order-choose-one", "runner-quiz-q2"] and cleared(replies[2], "4", second)
    await chat.shown("rita", replies[1], "5")
    third, old = await chat.send("rita", "release it")  # names an answer, typed: as if pressed
    assert third.key == "runner-quiz-q3" and cleared(old, "5", replies[1])


async def test_only_runners_take_the_quiz(chat):
    replies = await chat.send("nobody", "/quiz")
    assert keys(replies) == ["runner-not-a-runner"]


# --- the trip -------------------------------------------------------------------------------------------------------

async def test_picked_up_with_a_photo_then_delivered_by_buttons(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    order_id = await paid_order(services, alice)
    await chat.press("rob", f"data:g:{order_id}", chat="hall:demo")
    (won,) = await chat.inbox("rob")
    assert [[c["data"] for c in row] for row in won["choices"]] == [
        [f"o:{order_id}:pickup", f"o:{order_id}:release"], [f"o:{order_id}:chat"]]
    await chat.inbox("alice")

    replies = await chat.press("rob", "Picked up")
    assert keys(replies) == ["runner-picked-up"]
    assert (await order_row(db, order_id)).status == "picked_up"
    assert [m["key"] for m in await chat.inbox("alice")] == ["notice-picked-up"]

    replies = await chat.send("rob", "what now?")
    assert keys(replies) == ["runner-photo-ask"]
    assert keys(await chat.photo("rob", "parcel-photo-7")) == ["runner-photo-sent"]
    (photo,) = await chat.inbox("alice")
    assert photo["key"] == "runner-pickup-photo-notice" and photo["photo"] == "parcel-photo-7"
    assert photo["text"] == f"Your runner picked up order #{order_id}; here is a photo of it."

    replies = await chat.send("rob", f"/delivered {order_id}")
    assert keys(replies) == ["runner-delivered"]
    assert (await order_row(db, order_id)).status == "delivered"
    assert [m["key"] for m in await chat.inbox("alice")] == ["notice-delivered"]


@pytest.mark.parametrize(("language", "notice"), [
    ("en", "Your runner picked up order #{order}; here is a photo of it. They wrote: only 2 left, took the green one"),
    ("zh_CN", "跑腿员已取到订单 #{order}，这是物品照片。附言：only 2 left, took the green one"),
], ids=["en", "zh_CN"])
async def test_the_pickup_photo_reaches_the_student_with_its_caption(chat, services, db, campus, clock, language,
                                                                     notice):
    alice = await person(db, campus, clock(), "alice", language=language)
    await runner(db, campus, clock(), "rob")
    order_id = await won_order(chat, services, alice, "rob")
    assert keys(await chat.press("rob", "Picked up")) == ["runner-picked-up"]
    await chat.inbox("alice")

    # A caption longer than a relayed text may be is refused like one; the photo step still waits.
    replies = await chat.photo("rob", "parcel-photo-8", caption="x" * (MAX_TEXT + 1))
    assert keys(replies) == ["error-text-too-long"]
    assert await chat.inbox("alice") == []
    replies = await chat.photo("rob", "parcel-photo-8", caption="only 2 left, took the green one")
    assert keys(replies) == ["runner-photo-sent"]
    (photo,) = await chat.inbox("alice")
    assert (photo["photo"], photo["text"]) == ("parcel-photo-8", notice.format(order=order_id))


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_a_pickup_photo_for_a_student_who_blocked_the_bot_is_not_said_to_be_sent(chat, services, db, campus,
                                                                                       clock, language):
    # Before, the runner read "The photo went to the student" while its message failed with 403.
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob", language=language)
    order_id = await won_order(chat, services, alice, "rob")
    assert keys(await chat.press("rob", "Picked up" if language == "en" else "已取件")) == ["runner-picked-up"]
    await chat.inbox("alice")
    async with UnitOfWork(db) as uow:
        (await uow.session.get(User, alice)).started_bot = False  # a private message to her was refused since

    (reply,) = await chat.photo("rob", "parcel-photo-7")
    assert reply.text == catalogue(language)("runner-photo-unreachable", order=str(order_id))
    assert await chat.inbox("alice") == []  # nothing queued for someone who cannot read it
    assert keys(await chat.send("rob", f"/delivered {order_id}")) == ["runner-delivered"]  # the trip goes on


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_the_details_of_an_order_whose_student_blocked_the_bot_say_so(chat, services, db, campus, clock, language):
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob", language=language)
    order_id = await paid_order(services, alice)
    async with UnitOfWork(db) as uow:
        (await uow.session.get(User, alice)).started_bot = False  # a private message to her was refused
    warning = catalogue(language)("hall-student-unreachable", order=str(order_id))

    assert keys(await chat.press("rob", f"data:g:{order_id}", chat="hall:demo")) == ["grab-won"]
    (details,) = [m for m in await chat.inbox("rob") if m["key"] == "notice-you-won"]
    assert warning in details["text"]
    async with UnitOfWork(db) as uow:
        (await uow.session.get(User, alice)).started_bot = True  # back: the details, edited at pickup, drop it
    await chat.press("rob", f"data:o:{order_id}:pickup")
    (details,) = [m for m in await chat.inbox("rob") if m["key"] == "notice-you-won"]
    assert warning not in details["text"]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_picking_up_for_a_student_who_blocked_the_bot_says_they_were_not_told_and_asks_no_photo(
        chat, services, db, campus, clock, language):
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob", language=language)
    order_id = await won_order(chat, services, alice, "rob")
    async with UnitOfWork(db) as uow:
        (await uow.session.get(User, alice)).started_bot = False  # a private message to her was refused

    (reply,) = await chat.press("rob", f"data:o:{order_id}:pickup")
    assert reply.text == catalogue(language)("runner-picked-up-unreachable", order=str(order_id))
    assert [c.label for c in reply.flat_choices()] == [catalogue(language)("runner-btn-delivered")]  # no photo step
    assert keys(await chat.send("rob", f"/delivered {order_id}")) == ["runner-delivered"]  # the trip goes on


@pytest.mark.parametrize(("language", "told"), [
    ("en", "Order #{order} is picked up; the student has been told. Your chat with them goes on: what you send "
           "(a photo of the item too) still goes to them. Send /menu to stop."),
    ("zh_CN", "订单 #{order} 已取件，已通知下单同学。聊天仍在继续：你发送的消息（包括物品照片）仍会转给对方。发送 /menu 结束。"),
], ids=["en", "zh_CN"])
async def test_a_runner_chatting_with_the_student_goes_on_chatting_after_picking_up(
        chat, services, db, campus, clock, language, told):
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob", language=language)
    order_id = await won_order(chat, services, alice, "rob")
    assert keys(await chat.press("rob", f"data:o:{order_id}:chat")) == ["track-chat-enter"]

    replies = await chat.press("rob", f"data:o:{order_id}:pickup")
    assert keys(replies) == ["runner-picked-up-chatting"]
    assert replies[0].text == told.format(order=order_id)
    assert [c.data for c in replies[0].flat_choices()] == [f"o:{order_id}:deliver"]
    await chat.inbox("alice")
    assert keys(await chat.send("rob", "Got it, on my way!")) == ["track-relay-sent"]
    assert keys(await chat.photo("rob", "parcel-photo-9", caption="this one?")) == ["track-relay-sent"]
    relayed = await chat.inbox("alice")
    assert [(m["key"], m.get("photo")) for m in relayed] == [("track-relay", None), ("track-relay-photo", "parcel-photo-9")]
    assert relayed[0]["text"] == f"Your runner about order #{order_id}: Got it, on my way!"


@pytest.mark.parametrize(("language", "told"), [
    ("en", "You left the chat about order #{order}: what you send now is no longer passed on. To write there again, "
           "send /msg {order} followed by your message."),
    ("zh_CN", "你已退出订单 #{order} 的聊天：之后发送的消息不再转发。如需继续留言，请发送 /msg {order} 加上你的消息。"),
], ids=["en", "zh_CN"])
async def test_picking_up_another_order_ends_the_chat_and_says_so(chat, services, db, campus, clock, language, told):
    alice, bea = await person(db, campus, clock(), "alice"), await person(db, campus, clock(), "bea")
    await runner(db, campus, clock(), "rob", language=language)
    alices, beas = await won_order(chat, services, alice, "rob"), await won_order(chat, services, bea, "rob")
    assert keys(await chat.press("rob", f"data:o:{alices}:chat")) == ["track-chat-enter"]
    await chat.inbox("alice")

    replies = await chat.press("rob", f"data:o:{beas}:pickup")
    assert keys(replies) == ["runner-chat-left", "runner-picked-up"]
    assert replies[0].text == told.format(order=alices)
    # The photo step is about bea's order now: nothing typed reaches alice.
    assert keys(await chat.send("rob", "hello?")) == ["runner-photo-ask"]
    assert [m["key"] for m in await chat.inbox("alice")] == []


def buttons_of(message: dict) -> list[list[tuple[str, str]]]:
    """An outbox message's buttons as (label, data), row by row."""
    return [[(c["label"], c["data"]) for c in row] for row in message["choices"]]


@pytest.mark.parametrize(("language", "chat_label"), [("en", "Message the student"), ("zh_CN", "联系下单同学")],
                         ids=["en", "zh_CN"])
async def test_picking_up_takes_picked_up_and_release_off_the_details_message(chat, services, db, campus, clock,
                                                                              language, chat_label):
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob", language=language)
    order_id = await paid_order(services, alice)
    await chat.press("rob", f"data:g:{order_id}", chat="hall:demo")
    (details,) = await chat.inbox("rob")
    assert f"o:{order_id}:pickup" in [data for row in buttons_of(details) for _, data in row]

    await chat.press("rob", f"data:o:{order_id}:pickup")
    # The same message (its edit key), the order as it is now; the contact stays while the order is theirs.
    (edited,) = await chat.inbox("rob")
    t = catalogue(language)
    assert edited["edit_key"] == details["edit_key"]
    row = await order_row(db, order_id)
    pickup_by, deliver_by = (at.astimezone(campus.tz).strftime("%H:%M") for at in (clock() + dt.timedelta(
        minutes=campus.timeouts.pickup_minutes), row.deliver_by))
    assert edited["text"] == details["text"].replace(t("status", status="accepted"), t("status", status="picked_up")
                                                     ).replace(t("order-card-pickup-by", time=pickup_by),
                                                               t("order-card-deliver-by", time=deliver_by))
    assert t("order-card-deliver-by", time=deliver_by) in edited["text"]  # the deadline that applies now
    assert buttons_of(edited) == [[(chat_label, f"o:{order_id}:chat")]]


@pytest.mark.parametrize(("language", "no_photo", "skipped", "delivered"), [
    ("en", "No photo", 'All right, no photo for order #{order}. Press "Delivered" once you have handed it over.',
     "Delivered"),
    ("zh_CN", "不拍照", "好的，订单 #{order} 不发照片。送达后请点击“已送达”。", "已送达"),
], ids=["en", "zh_CN"])
async def test_no_photo_and_delivered_change_the_message_they_were_pressed_under(chat, services, db, campus, clock,
                                                                                language, no_photo, skipped, delivered):
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob", language=language)
    order_id = await won_order(chat, services, alice, "rob")
    await chat.press("rob", f"data:o:{order_id}:pickup")

    (reply,) = await chat.press("rob", no_photo)
    assert (reply.key, reply.edit, reply.text) == ("runner-photo-skipped", True, skipped.format(order=order_id))
    assert [(c.label, c.data) for c in reply.flat_choices()] == [(delivered, f"o:{order_id}:deliver")]
    (reply,) = await chat.press("rob", delivered)
    assert (reply.key, reply.edit, reply.choices) == ("runner-delivered", True, ())
    assert (await order_row(db, order_id)).status == "delivered"


def labelled(reply) -> list[list[tuple[str, str]]]:
    """A reply's buttons as (label, data), row by row."""
    return [[(c.label, c.data) for c in row] for row in reply.choices]


async def picked_up_shown(chat: Chat, services: Services, db, campus, clock, *, language: str = "en"):
    """rob picked up alice's order by the button; the channel showed the picked-up question as message "12"."""
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob", language=language)
    order_id = await won_order(chat, services, alice, "rob")
    (picked,) = await chat.press("rob", f"data:o:{order_id}:pickup")
    assert picked.key == "runner-picked-up"
    await chat.shown("rob", picked, "12")
    await chat.inbox("alice")
    return order_id, picked


@pytest.mark.parametrize(("language", "delivered"), [("en", "Delivered"), ("zh_CN", "已送达")], ids=["en", "zh_CN"])
async def test_once_the_photo_is_in_the_picked_up_message_keeps_only_delivered(chat, services, db, campus, clock,
                                                                               language, delivered):
    order_id, picked = await picked_up_shown(chat, services, db, campus, clock, language=language)
    assert [c.data for c in picked.flat_choices()] == [picked.choices[0][0].data, f"o:{order_id}:deliver"]

    sent, settled = await chat.photo("rob", "parcel-photo-7")
    assert sent.key == "runner-photo-sent"
    # No photo would only be refused now; Delivered still means something.
    assert (settled.replaces, settled.text) == ("12", picked.text)
    assert labelled(settled) == [[(delivered, f"o:{order_id}:deliver")]]
    assert (await order_row(db, order_id)).status == "picked_up"

    # Delivered by command later: that message keeps no trip button.
    done, cleared = await chat.send("rob", f"/delivered {order_id}")
    assert (done.key, cleared.replaces, cleared.text, cleared.choices) == ("runner-delivered", "12", picked.text, ())
    assert (await order_row(db, order_id)).status == "delivered"
    assert keys(await chat.send("rob", "/help"))[0] == "help-student-runner"  # nothing more to take away


async def test_delivered_by_command_while_the_photo_is_asked_for_leaves_no_button_under_the_question(
        chat, services, db, campus, clock):
    order_id, picked = await picked_up_shown(chat, services, db, campus, clock)
    done, cleared = await chat.send("rob", f"/delivered {order_id}")
    assert done.key == "runner-delivered"
    assert (cleared.replaces, cleared.text, cleared.choices) == ("12", picked.text, ())
    assert (await order_row(db, order_id)).status == "delivered"


async def test_delivered_pressed_under_the_kept_message_says_it_there_and_nothing_else(
        chat, services, db, campus, clock):
    order_id, _ = await picked_up_shown(chat, services, db, campus, clock)
    await chat.photo("rob", "parcel-photo-7")
    replies = await chat.press("rob", "data:" + f"o:{order_id}:deliver", message="12")
    assert [(r.key, r.edit, r.replaces, r.choices) for r in replies] == [("runner-delivered", True, None, ())]


async def test_after_no_photo_a_later_delivered_by_command_takes_its_button_away(chat, services, db, campus, clock):
    order_id, _ = await picked_up_shown(chat, services, db, campus, clock)
    (skipped,) = await chat.press("rob", "No photo", message="12")
    assert (skipped.key, skipped.edit) == ("runner-photo-skipped", True)
    assert labelled(skipped) == [[("Delivered", f"o:{order_id}:deliver")]]

    assert keys(await chat.send("rob", "/menu"))[0] == "menu-title"  # other commands leave it alone
    done, cleared = await chat.send("rob", f"/delivered {order_id}")
    assert done.key == "runner-delivered"
    assert (cleared.replaces, cleared.text, cleared.choices) == ("12", skipped.text, ())


async def test_the_photo_asked_for_again_takes_the_buttons_off_the_earlier_question(
        chat, services, db, campus, clock):
    order_id, picked = await picked_up_shown(chat, services, db, campus, clock)
    again, settled = await chat.send("rob", "what now?")
    assert again.key == "runner-photo-ask"
    assert [c.data for c in again.flat_choices()][1:] == [f"o:{order_id}:deliver"]  # No photo, and Delivered
    assert (settled.replaces, settled.text, settled.choices) == ("12", picked.text, ())


async def test_leaving_the_photo_step_for_another_command_keeps_delivered_until_it_is_pressed(
        chat, services, db, campus, clock):
    order_id, picked = await picked_up_shown(chat, services, db, campus, clock)
    menu = await chat.send("rob", "/menu")
    settled = menu[-1]
    assert (settled.replaces, settled.text) == ("12", picked.text)
    assert labelled(settled) == [[("Delivered", f"o:{order_id}:deliver")]]
    replies = await chat.press("rob", f"data:o:{order_id}:deliver", message="12")
    assert [(r.key, r.edit, r.replaces) for r in replies] == [("runner-delivered", True, None)]
    assert (await order_row(db, order_id)).status == "delivered"


async def test_a_runner_chatting_who_delivers_by_command_keeps_no_delivered_button(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    order_id = await won_order(chat, services, alice, "rob")
    await chat.press("rob", f"data:o:{order_id}:chat")
    (picked,) = await chat.press("rob", f"data:o:{order_id}:pickup")
    assert labelled(picked) == [[("Delivered", f"o:{order_id}:deliver")]]
    await chat.shown("rob", picked, "20")
    assert keys(await chat.send("rob", "on my way")) == ["track-relay-sent"]  # the chat goes on, the button stays

    done, cleared = await chat.send("rob", f"/delivered {order_id}")
    assert done.key == "runner-delivered"
    assert (cleared.replaces, cleared.text, cleared.choices) == ("20", picked.text, ())
    assert keys(await chat.send("rob", "thanks!")) == ["track-relay-sent"]  # the order is still theirs to talk about
    assert keys(await chat.send("rob", "/menu")) == ["menu-title"]  # nothing left to take away


async def test_a_runner_who_leaves_the_chat_keeps_delivered_until_delivering_by_command(
        chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    order_id = await won_order(chat, services, alice, "rob")
    await chat.press("rob", f"data:o:{order_id}:chat")
    (picked,) = await chat.press("rob", f"data:o:{order_id}:pickup")
    await chat.shown("rob", picked, "20")
    assert keys(await chat.send("rob", "/menu")) == ["menu-title"]  # out of the chat: Delivered still applies

    done, cleared = await chat.send("rob", f"/delivered {order_id}")
    assert done.key == "runner-delivered"
    assert (cleared.replaces, cleared.text, cleared.choices) == ("20", picked.text, ())


async def test_delivering_one_order_leaves_the_photo_step_of_another_picked_up_since(chat, services, db, campus, clock):
    """Carrying two orders: the photo asked for the one picked up last still goes to its student after the other
    one is delivered."""
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    first = await won_order(chat, services, alice, "rob")
    second = await won_order(chat, services, alice, "rob")
    await chat.press("rob", f"data:o:{first}:pickup")
    (asked,) = await chat.press("rob", f"data:o:{second}:pickup")
    assert asked.text.startswith(f"Order #{second} is picked up")
    await chat.inbox("alice")

    assert keys(await chat.press("rob", f"data:o:{first}:deliver")) == ["runner-delivered"]
    assert keys(await chat.photo("rob", "parcel-photo-2")) == ["runner-photo-sent"]
    notices = await chat.inbox("alice")
    assert [(m["key"], m["text"]) for m in notices] == [
        ("notice-delivered", f"Your order #{first} has been delivered. Please confirm."),
        ("runner-pickup-photo-notice", f"Your runner picked up order #{second}; here is a photo of it.")]


async def test_changing_language_while_the_pickup_photo_is_asked_for_asks_again_in_the_new_one(
        chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    order_id = await won_order(chat, services, alice, "rob")
    await chat.press("rob", f"data:o:{order_id}:pickup")
    await chat.send("rob", "/language")
    replies = await chat.press("rob", "中文")
    assert keys(replies) == ["start-language-set", "runner-photo-ask"]
    assert replies[1].text == catalogue("zh_CN")("runner-photo-ask", order=str(order_id))
    assert keys(await chat.photo("rob", "parcel-photo-7")) == ["runner-photo-sent"]


async def test_orders_lists_the_orders_a_runner_carries_and_opens_them(chat, services, db, campus, clock):
    """The details message may be far up the chat: /orders names what the runner carries, each to open."""
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    first = await won_order(chat, services, alice, "rob")
    second = await won_order(chat, services, alice, "rob")
    await chat.press("rob", f"data:o:{first}:pickup")
    done = await won_order(chat, services, alice, "rob")
    await chat.press("rob", f"data:o:{done}:release")
    await chat.press("rob", "Yes, release it")

    (listed,) = await chat.send("rob", "/orders")
    assert listed.key == "track-carried-list"
    assert listed.text.splitlines() == [
        "Orders you are carrying now:",
        f"#{first} Parcel pickup · Parcel Station → Women's Dorm 3 · picked up",  # not what the student paid
        f"#{second} Parcel pickup · Parcel Station → Women's Dorm 3 · runner on the way"]
    assert labelled(listed) == [[(f"Open #{first}", f"o:{first}:view")], [(f"Open #{second}", f"o:{second}:view")]]
    (card,) = await chat.press("rob", f"Open #{second}")
    # Where the contact is, not the contact: nothing edits this card when the order stops being theirs.
    assert EN("order-card-contact-in-details", order=str(second)) in card.text
    assert PHONE not in card.text and ROOM not in card.text

    (theirs,) = await chat.send("alice", "/orders")  # the student's own list is as it was
    assert theirs.key == "track-list"


async def test_trip_commands_and_what_they_refuse(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    await runner(db, campus, clock(), "eve")
    order_id = await won_order(chat, services, alice, "rob")

    assert keys(await chat.send("eve", f"/picked {order_id}")) == ["error-not-your-order"]
    assert keys(await chat.send("eve", f"/release {order_id}")) == ["error-not-your-order"]
    assert keys(await chat.press("eve", f"data:o:{order_id}:pickup")) == ["error-not-your-order"]
    assert keys(await chat.send("rob", "/picked")) == ["runner-order-needed"]
    assert keys(await chat.send("rob", "/picked x1")) == ["error-order-number"]
    assert keys(await chat.send("rob", f"/delivered {order_id}")) == ["error-illegal-transition"]
    assert (await order_row(db, order_id)).status == "accepted"

    replies = await chat.send("rob", f"/picked {order_id}")
    assert keys(replies) == ["runner-picked-up"]
    assert keys(await chat.press("rob", "No photo")) == ["runner-photo-skipped"]
    replies = await chat.send("rob", f"/release {order_id}")
    assert keys(replies) == ["runner-release-too-late"]
    assert replies[0].text.startswith(f"You have picked up order #{order_id} already")
    assert (await order_row(db, order_id)).status == "picked_up"


@pytest.mark.parametrize(("language", "refusal"), [
    ("en", "This order is picked up now, so that is not possible."),
    ("zh_CN", "订单当前状态为“已取件”，无法进行该操作。"),
], ids=["en", "zh_CN"])
async def test_pressing_picked_up_twice_is_refused_with_the_status_in_words(chat, services, db, campus, clock,
                                                                             language, refusal):
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob", language=language)
    order_id = await won_order(chat, services, alice, "rob")
    assert keys(await chat.press("rob", f"data:o:{order_id}:pickup")) == ["runner-picked-up"]

    replies = await chat.press("rob", f"data:o:{order_id}:pickup")
    assert keys(replies) == ["error-illegal-transition"]
    assert replies[0].text == refusal
    assert (await order_row(db, order_id)).status == "picked_up"


async def test_release_asks_first_then_costs_credit_and_reopens_the_order(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    order_id = await won_order(chat, services, alice, "rob")
    await chat.inbox("alice")
    penalty = -campus.credit_change(CreditEvent.released)

    replies = await chat.send("rob", f"/release {order_id}")
    assert keys(replies) == ["runner-release-confirm"]
    assert replies[0].text == (f"Release order #{order_id}? It goes back to the task hall and your credit score drops "
                               f"by {penalty} (now {campus.credit.initial}).")
    assert keys(await chat.press("rob", "No, keep it")) == ["runner-release-kept"]
    assert (await order_row(db, order_id)).runner_id == rob

    await chat.send("rob", f"/release {order_id}")
    replies = await chat.press("rob", "Yes, release it")
    assert keys(replies) == ["runner-released"]
    assert replies[0].text == (f"You released order #{order_id}. Credit score −{penalty}: "
                               f"now {campus.credit.initial - penalty}.")
    row = await order_row(db, order_id)
    assert (row.status, row.runner_id) == ("open", None)
    assert (await profile_of(db, rob)).credit == campus.credit.initial - penalty
    assert [m["key"] for m in await chat.inbox("alice")] == ["notice-runner-released"]
    hall = await chat.inbox("hall:demo")  # the order is back in the hall, with its grab button
    assert [(m["key"], m["edit_key"]) for m in hall] == [("hall-card", f"hall:{order_id}")]
    assert hall[0]["choices"][0][0]["data"] == f"g:{order_id}"
    # Pressing yes again changes nothing more.
    again = await chat.press("rob", f"data:o:{order_id}:release_yes")
    assert keys(again) == ["runner-release-not-yours"]
    assert (await profile_of(db, rob)).credit == campus.credit.initial - penalty


@pytest.mark.parametrize(("language", "asked"), [
    ("en", "Release order #{order}? Its time window is over, so it ends (the student is refunded), and your credit "
           "score drops by {penalty} (now {credit})."),
    ("zh_CN", "确定放弃订单 #{order}？预约时间已过，订单将结束并退款给下单同学，你的信用分将扣 {penalty} 分（当前 {credit}）。"),
], ids=["en", "zh_CN"])
async def test_releasing_an_errand_whose_window_is_over_asks_saying_it_ends(chat, db, campus, clock, language, asked):
    # Before, the runner was asked to let it go "back to the task hall", where nobody may take it any more.
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob", language=language)
    order_id = await make_order(db, campus, alice, clock())
    async with UnitOfWork(db) as uow:  # for the next ten minutes
        await uow.session.execute(update(OrderRow).where(OrderRow.id == order_id).values(
            window_start=clock(), window_end=clock() + dt.timedelta(minutes=10)))
    await act(db, campus, order_id, Event.accept, Actor(Role.runner, rob), clock())
    clock.advance(minutes=10)

    replies = await chat.send("rob", f"/release {order_id}")
    assert keys(replies) == ["runner-release-confirm"]
    assert replies[0].text == asked.format(order=order_id, penalty=-campus.credit_change(CreditEvent.released),
                                           credit=campus.credit.initial)
    assert keys(await chat.press("rob", f"data:o:{order_id}:release_yes")) == ["runner-released"]
    assert (await order_row(db, order_id)).status == "expired"


@pytest.mark.parametrize(("language", "credit", "asked", "told"), [
    ("en", 2, "your credit score drops by 2 (now 2).", "Credit score −2: now 0."),
    ("en", 0, "your credit score stays at 0, the lowest it goes.", "Credit score unchanged: 0, the lowest it goes."),
    ("zh_CN", 2, "你的信用分将扣 2 分（当前 2）。", "信用分 −2，现在为 0。"),
    ("zh_CN", 0, "你的信用分已是最低（0），不会再扣。", "信用分已是最低，仍为 0。"),
], ids=["en-partial", "en-floor", "zh_CN-partial", "zh_CN-floor"])
async def test_release_near_the_lowest_credit_states_the_real_change(chat, db, campus, clock, language, credit,
                                                                     asked, told):
    """The score is clamped at the campus minimum (core.credit): a runner who has less to lose than the penalty is
    told what they actually lose, not the full penalty."""
    assert campus.credit.minimum == 0 and -campus.credit_change(CreditEvent.released) > 2
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob", credit=credit, language=language)
    order_id = await make_order(db, campus, alice, clock())
    await act(db, campus, order_id, Event.accept, Actor(Role.runner, rob), clock())

    replies = await chat.send("rob", f"/release {order_id}")
    assert keys(replies) == ["runner-release-confirm"] and replies[0].text.endswith(asked)
    replies = await chat.press("rob", f"data:o:{order_id}:release_yes")
    assert keys(replies) == ["runner-released"] and replies[0].text.endswith(told)
    assert (await profile_of(db, rob)).credit == 0


@pytest.mark.parametrize(("language", "released", "taken"), [
    ("en", "You released order #{order} already: it is no longer yours.",
     "Order #{order} is no longer yours: it was taken off you (an operator gave it to another runner, or it was not "
     "picked up in time)."),
    ("zh_CN", "你已放弃订单 #{order}，它已不再由你配送。",
     "订单 #{order} 已不再由你配送：它已被收回（客服改派给了其他跑腿员，或超时未取件）。"),
], ids=["en", "zh_CN"])
async def test_keeping_an_order_no_longer_theirs_says_it_was_released_or_taken(chat, db, campus, clock, language,
                                                                                released, taken):
    """A release question answered late: the order was released since (from another message), or taken off them.
    "Not your order" would read as a mistake; they are told what became of it."""
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob", language=language)
    other = await runner(db, campus, clock(), "otto")
    operator = await person(db, campus, clock(), "op")
    mine = await make_order(db, campus, alice, clock())
    reassigned = await make_order(db, campus, alice, clock())
    for order_id in (mine, reassigned):
        await act(db, campus, order_id, Event.accept, Actor(Role.runner, rob), clock())
    await chat.send("rob", f"/release {mine}")
    assert keys(await chat.press("rob", f"data:o:{mine}:release_yes")) == ["runner-released"]
    await act(db, campus, reassigned, Event.reassign, Actor(Role.operator, operator), clock(), runner_id=other)

    for order_id, text in ((mine, released), (reassigned, taken)):
        for verb in ("release_no", "release_yes"):
            replies = await chat.press("rob", f"data:o:{order_id}:{verb}")
            assert [(r.key, r.text) for r in replies] == [("runner-release-not-yours", text.format(order=order_id))]
    assert (await order_row(db, reassigned)).runner_id == other
    # Someone who never had the order is still told it is not theirs.
    assert keys(await chat.press("otto", f"data:o:{mine}:release_no")) == ["error-not-your-order"]


# --- money ----------------------------------------------------------------------------------------------------------

async def complete(db, campus: Campus, customer_id: int, runner_id: int, at: dt.datetime) -> int:
    """An order done and confirmed at `at`; returns what the runner earned."""
    order_id = await make_order(db, campus, customer_id, at)
    for event, actor in ((Event.accept, Actor(Role.runner, runner_id)), (Event.pickup, Actor(Role.runner, runner_id)),
                         (Event.deliver, Actor(Role.runner, runner_id)), (Event.confirm, Actor(Role.customer, customer_id))):
        await act(db, campus, order_id, event, actor, at)
    return (await order_row(db, order_id)).runner_share


async def test_income_shows_wallet_earnings_credit_and_rating(chat, services, db, campus, clock):
    wednesday = clock.advance(days=2)  # the clock starts on Monday 23 November, 10:00 in Shanghai
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    last_week = await complete(db, campus, alice, rob, wednesday - dt.timedelta(days=3))  # Sunday
    monday = await complete(db, campus, alice, rob, wednesday - dt.timedelta(days=2))
    today = await complete(db, campus, alice, rob, wednesday - dt.timedelta(hours=1))
    async with UnitOfWork(db) as uow:
        profile = await uow.runners.get(rob)
        profile.rating_sum, profile.rating_count = 9, 2
        credit = profile.credit

    replies = await chat.send("rob", "/income")
    assert keys(replies) == ["runner-income"]
    y = format_yuan
    assert replies[0].text == "\n".join([
        "Your income",
        f"Wallet: {y(last_week + monday + today)} yuan (held for withdrawal: 0.00 yuan)",
        f"Earned today: {y(today)} yuan · this week: {y(monday + today)} yuan",
        "Completed orders: 3",
        f"Credit score: {credit} (good)",
        "Rating: 4.5 (2 ratings)",
    ])
    assert credit == campus.credit.initial + 3 * 2  # completed and on time, three times


async def test_withdrawal_refuses_bad_amounts_and_holds_the_money(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    earned = await complete(db, campus, alice, rob, clock())
    yuan = format_yuan(earned)

    for bad in ("abc", "-1", "0", "0.001", "1 2", "NaN"):
        replies = await chat.send("rob", f"/withdraw {bad}")
        assert keys(replies) == ["runner-withdraw-amount"], bad
    replies = await chat.send("rob", f"/withdraw {earned // 100 + 1}")
    assert keys(replies) == ["runner-withdraw-too-much"]
    assert replies[0].text == f"You cannot withdraw {earned // 100 + 1}.00 yuan: your wallet holds {yuan} yuan."
    async with UnitOfWork(db, write=False) as uow:
        assert (await uow.session.scalars(select(Withdrawal))).all() == []
        assert await uow.ledger.balance(ledger.runner(rob)) == earned
    assert await chat.inbox("admin") == []

    replies = await chat.send("rob", "/withdraw 1.5")
    assert keys(replies) == ["runner-withdraw-requested"]
    async with UnitOfWork(db, write=False) as uow:
        (w,) = (await uow.session.scalars(select(Withdrawal))).all()
        assert (w.runner_id, w.amount, w.status) == (rob, 150, "pending")
        assert await uow.ledger.balance(ledger.runner(rob)) == earned - 150
        assert await uow.ledger.balance(ledger.withdrawal_hold(w.id)) == 150
        assert await uow.ledger.total() == 0
    operators = await chat.inbox("admin")
    assert [m["key"] for m in operators] == ["runner-withdrawal-operators"]
    assert "1.50 yuan" in operators[0]["text"] or "1.50 元" in operators[0]["text"]
    assert f"rob (#{rob})" in operators[0]["text"] or f"rob（#{rob}）" in operators[0]["text"]
    income = await chat.send("rob", "/income")
    assert "held for withdrawal: 1.50 yuan" in income[0].text


async def test_a_bare_withdraw_asks_how_much_and_takes_a_typed_amount_or_all(chat, services, db, campus, clock):
    """The menu's /withdraw comes without an amount: it is asked for, typed or all of it by a button."""
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    earned = await complete(db, campus, alice, rob, clock())

    (asked,) = await chat.send("rob", "/withdraw")
    assert asked.key == "runner-withdraw-ask" and f"holds {format_yuan(earned)} yuan" in asked.text
    assert [c.label for c in asked.flat_choices()] == [f"Withdraw all {format_yuan(earned)} yuan", "Cancel"]
    assert keys(await chat.send("rob", "lots")) == ["runner-withdraw-amount"]  # refused; still asked
    assert keys(await chat.send("rob", f"{earned // 100 + 1}元")) == ["runner-withdraw-too-much"]
    (requested,) = await chat.send("rob", "1.5")
    assert requested.key == "runner-withdraw-requested"
    assert requested.text.endswith(f"Your wallet now holds {format_yuan(earned - 150)} yuan.")
    assert keys(await chat.send("rob", "2")) == ["idle-hint", "menu-title"]  # the question is over

    await paid_out(chat, db)
    (asked,) = await chat.send("rob", "/withdraw")
    everything = asked.flat_choices()[0]
    (requested,) = await chat.press("rob", everything.label)
    assert requested.key == "runner-withdraw-requested" and requested.edit  # in the question's place
    async with UnitOfWork(db, write=False) as uow:
        amounts = [w.amount for w in await uow.session.scalars(select(Withdrawal).order_by(Withdrawal.id))]
        assert amounts == [150, earned - 150] and await uow.ledger.balance(ledger.runner(rob)) == 0
    assert keys(await chat.press("rob", f"data:{everything.data}")) == ["error-stale-choice"]  # never twice

    await paid_out(chat, db)
    (nothing,) = await chat.send("rob", "/withdraw")
    assert nothing.key == "runner-withdraw-nothing" and not nothing.choices


async def test_withdraw_all_pays_what_it_showed_asks_again_when_less_is_left_and_cancel_withdraws_nothing(
        chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    earned = await complete(db, campus, alice, rob, clock())
    (asked,) = await chat.send("rob", "/withdraw")
    await complete(db, campus, alice, rob, clock())  # more came in while the question waited
    (requested,) = await chat.press("rob", asked.flat_choices()[0].label)
    assert requested.args["amount"] == format_yuan(earned)  # what the button said, not the new balance

    await paid_out(chat, db)
    (asked,) = await chat.send("rob", "/withdraw")
    everything = asked.flat_choices()[0]
    await request_withdrawal(db, rob, 100, clock())  # from another device meanwhile: less is left than it shows
    await paid_out(chat, db)
    refused, asked_again = await chat.press("rob", f"data:{everything.data}")
    left = format_yuan(2 * earned - earned - 100)
    assert refused.key == "runner-withdraw-too-much" and refused.text.endswith(f"your wallet holds {left} yuan.")
    assert asked_again.key == "runner-withdraw-ask" and asked_again.flat_choices()[0].label.endswith(f"{left} yuan")
    assert keys(await chat.press("rob", f"data:{everything.data}")) == ["error-stale-choice"]
    # Forged "all of 0 yuan": refused as the button it is not, not the ledger's "could not be recorded".
    forged = asked_again.flat_choices()[0].data.rsplit(":", 1)[0] + ":0"
    assert keys(await chat.press("rob", f"data:{forged}")) == ["error-stale-choice"]
    (cancelled,) = await chat.press("rob", f"data:{asked_again.flat_choices()[1].data}")  # its Cancel
    assert cancelled.key == "runner-withdraw-cancelled" and cancelled.edit
    await chat.send("rob", "/withdraw")
    assert keys(await chat.send("rob", "/cancel")) == ["runner-withdraw-cancelled"]
    async with UnitOfWork(db, write=False) as uow:
        assert len((await uow.session.scalars(select(Withdrawal))).all()) == 2  # the button's, the other device's


@pytest.mark.parametrize("written", ["1元", "¥1", "￥1", "1块", "RMB1"])
async def test_a_withdrawal_may_be_written_as_money_as_operators_write_amounts(chat, services, db, campus, clock,
                                                                               written):
    """'/withdraw 1元' (or ¥1, 1块…) means one yuan, as an operator's /topup 1元 does."""
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob", language="zh_CN")
    earned = await complete(db, campus, alice, rob, clock())

    (reply,) = await chat.send("rob", f"/withdraw {written}")
    assert reply.key == "runner-withdraw-requested", reply.text
    assert "1.00 元" in reply.text
    async with UnitOfWork(db, write=False) as uow:
        (w,) = (await uow.session.scalars(select(Withdrawal))).all()
        assert (w.amount, await uow.ledger.balance(ledger.runner(rob))) == (100, earned - 100)


async def paid_out(chat, db) -> None:
    """The operators pay out every withdrawal waiting: a runner has one waiting at a time."""
    async with UnitOfWork(db, write=False) as uow:
        waiting = list(await uow.session.scalars(select(Withdrawal.id).where(Withdrawal.status == "pending")))
    for withdrawal_id in waiting:
        assert keys(await chat.send("admin", f"/payout {withdrawal_id}")) == ["admin-withdrawal-approved-done"]


async def test_one_withdrawal_waits_for_the_operators_at_a_time(chat, services, db, campus, clock):
    # Before: a hundred /withdraw 0.01 made a hundred requests, each an operator's card to pay out by hand.
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    await complete(db, campus, alice, rob, clock())
    first = await chat.send("rob", "/withdraw 0.01")
    assert keys(first) == ["runner-withdraw-requested"]
    for command in ("/withdraw 0.01", "/withdraw"):
        (refused,) = await chat.send("rob", command)
        assert refused.text == ("Your withdrawal #1 of 0.01 yuan still waits for an operator. Ask for the next one "
                                "once it is paid out or refused.")
    assert [m["key"] for m in await chat.inbox("admin")] == ["runner-withdrawal-operators"]
    await paid_out(chat, db)
    assert keys(await chat.send("rob", "/withdraw 0.01")) == ["runner-withdraw-requested"]


async def test_a_suspended_runner_still_sees_and_withdraws_what_they_earned(chat, services, db, campus, clock):
    """Suspended or not, what a runner earned stays theirs: /income and /withdraw (its question, its buttons and
    /cancel too) are left to them, and /wallet; everything else stays barred. Before, each said only "Your account
    is suspended", and no operator command could pay the balance out."""
    en = catalogue("en")
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    earned = await complete(db, campus, alice, rob, clock())
    open_order = await paid_order(services, alice)
    assert keys(await chat.send("admin", f"/suspend #{rob} misconduct")) == ["admin-suspended"]
    (told,) = [m["text"] for m in await chat.inbox("rob") if m["key"] == "admin-you-suspended"]
    assert told == en("admin-you-suspended", runner="yes", given="yes", reason="misconduct", carried=0, carrying="",
                      first="")
    assert "/income" in told and "/withdraw" in told

    (income,) = await chat.send("rob", "/income")
    assert income.key == "runner-income" and f"Wallet: {format_yuan(earned)} yuan" in income.text
    (asked,) = await chat.send("rob", "/withdraw")
    assert asked.key == "runner-withdraw-ask" and f"holds {format_yuan(earned)} yuan" in asked.text
    assert keys(await chat.send("rob", "/cancel")) == ["runner-withdraw-cancelled"]
    (asked,) = await chat.send("rob", "/withdraw")
    assert keys(await chat.send("rob", "lots")) == ["runner-withdraw-amount"]  # the step answers, refusing
    (requested,) = await chat.press("rob", f"data:{asked.flat_choices()[0].data}")  # Withdraw all
    assert requested.key == "runner-withdraw-requested"
    (card,) = await chat.inbox("admin")
    assert card["key"] == "runner-withdrawal-operators" and "此人已被暂停" in card["text"]  # the chat's Chinese
    await paid_out(chat, db)
    async with UnitOfWork(db, write=False) as uow:
        assert await uow.ledger.balance(ledger.runner(rob)) == 0
        assert [w.status for w in await uow.session.scalars(select(Withdrawal))] == ["approved"]
    (wallet,) = await chat.send("rob", "/wallet")
    assert wallet.key == "wallet-balance" and wallet.text.endswith(en("wallet-suspended-hint"))

    for barred in ("/help", "/nearby", "/orders", "/order", "/language", "hello", f"/grab {open_order}",
                   f"/msg {open_order} hi"):
        assert [r.text for r in await chat.send("rob", barred)] == [en("error-suspended")], barred
    assert keys(await chat.send("rob", "/withdraw 1", chat=f"hall:{campus.id}")) == ["error-suspended"]
    assert keys(await chat.press("rob", f"data:o:{open_order}:view")) == ["error-suspended"]
    assert "/wallet" in en("error-suspended") and "/withdraw" in en("error-suspended")
    assert (await order_row(db, open_order)).status == "open"


async def test_a_suspended_runner_finishes_the_orders_they_picked_up(chat, services, db, campus, clock):
    """What a runner picked up stays theirs on suspension (the goods are with them): they may still deliver it (the
    goods' cost and the photo step on the way), see it, write to its student and be paid for it; nothing else.
    Before, /delivered, its button, /track and /msg said "Your account is suspended", and the order stayed picked up
    for ever, an operator's /cancelorder paying them nothing."""
    en = catalogue("en")
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    parcel = await paid_order(services, alice)
    bought = await paid_order(services, alice, goods=3000)
    taken = await paid_order(services, alice)
    own = await paid_order(services, rob)  # rob's own errand, as a student
    for order_id in (bought, parcel, taken):
        assert keys(await chat.press("rob", f"data:g:{order_id}", chat="hall:demo")) == ["grab-won"]
    assert keys(await chat.send("rob", f"/picked {bought}")) == ["runner-ask-spent"]
    assert keys(await chat.press("rob", en("runner-spent-cancel"))) == ["runner-spent-cancelled"]  # later
    assert keys(await chat.send("rob", f"/picked {parcel}")) == ["runner-picked-up"]  # its photo step asks
    await chat.inbox("rob")
    await chat.inbox("alice")

    assert keys(await chat.send("admin", f"/suspend #{rob} misconduct")) == ["admin-suspended"]
    (told,) = [m["text"] for m in await chat.inbox("rob") if m["key"] == "admin-you-suspended"]
    assert told == en("admin-you-suspended", runner="yes", given="yes", reason="misconduct", carried=2,
                      carrying=f"#{parcel}, #{bought}", first=str(parcel))
    assert (f"The orders you picked up, #{parcel}, #{bought}, stay yours to deliver: finish them (/delivered "
            f"{parcel})") in told
    assert (await order_row(db, taken)).status == "open"  # not picked up: back to the hall, as before

    assert keys(await chat.photo("rob", "item-photo")) == ["runner-photo-sent"]  # the photo step goes on
    assert keys(await chat.send("rob", "/delivered")) == ["runner-order-needed"]  # their menu's entry
    (listed,) = await chat.send("rob", "/track")  # the orders they may still finish, not their own as a student
    assert listed.key == "track-carried-list" and f"#{parcel}" in listed.text and f"#{bought}" in listed.text
    assert f"#{own}" not in listed.text
    (card,) = await chat.send("rob", f"/track {parcel}")
    assert card.key == "track-card"
    assert en("track-report-button") not in [c.label for c in card.flat_choices()]  # a complaint is barred
    assert keys(await chat.send("rob", f"/msg {parcel} at your door in 5")) == ["track-relay-sent"]
    assert keys(await chat.press("rob", f"data:o:{parcel}:chat")) == ["track-chat-enter"]
    assert keys(await chat.send("rob", "coming up the stairs")) == ["track-relay-sent"]
    assert keys(await chat.send("rob", "/menu")) == ["menu-title"]  # the chat is left as ever
    assert [m["key"] for m in await chat.inbox("alice")] == [
        "notice-taken-back", "runner-pickup-photo-notice", "track-relay", "track-relay"]
    (card,) = await chat.send("rob", f"/track {parcel}")
    assert keys(await chat.press("rob", en("runner-btn-delivered"))) == ["runner-delivered"]  # the card's button
    assert keys(await chat.press("rob", f"data:o:{bought}:deliver")) == ["runner-ask-spent"]
    assert keys(await chat.send("rob", "20")) == ["runner-delivered"]
    assert [(await order_row(db, o)).status for o in (parcel, bought)] == ["delivered", "delivered"]

    for barred in (f"/grab {taken}", f"/track {taken}", f"/msg {taken} hi", f"/complain {parcel} rude",
                   f"/release {parcel}", "/orders", "/nearby", "hello"):
        assert [r.text for r in await chat.send("rob", barred)] == [en("error-suspended")], barred
    for pressed in (f"o:{taken}:view", f"o:{parcel}:report", f"g:{taken}"):
        assert keys(await chat.press("rob", f"data:{pressed}")) == ["error-suspended"], pressed

    for order_id in (parcel, bought):  # confirmed: paid as any runner, their goods money back
        await act(db, campus, order_id, Event.confirm, Actor(Role.customer, alice), clock())
    rows = [await order_row(db, o) for o in (parcel, bought)]
    async with UnitOfWork(db, write=False) as uow:
        assert await uow.ledger.balance(ledger.runner(rob)) == sum(r.runner_share for r in rows) + 2000
    for done in (f"/track {parcel}", "/track", "/delivered"):  # done now
        assert [r.text for r in await chat.send("rob", done)] == [en("error-suspended")], done


async def test_money_commands_are_for_runners(chat):
    assert keys(await chat.send("nobody", "/withdraw 5")) == ["runner-not-a-runner"]
    assert keys(await chat.send("nobody", "/income")) == ["runner-not-a-runner"]


@pytest.mark.parametrize(("decided", "status_text"), [
    (False, "You have applied already; an operator is reviewing your application."),
    (True, "Your runner application was not approved. You may apply again with /apply."),
], ids=["pending", "rejected"])
async def test_an_applicant_is_not_treated_as_a_runner_by_help_income_withdraw_nearby_and_grab(
        chat, services, db, campus, clock, decided, status_text):
    """Before, an applicant's /help listed the runners' commands, /income showed an income card ("Credit score: 100
    (good)"), /withdraw asked how much, and a rejected one's /nearby said "not been approved yet"."""
    await english(chat, "admin")
    dan = await runner(db, campus, clock(), "dan", approved=False)
    if decided:
        await chat.send("admin", f"/reject {dan} not a student here")
    alice = await person(db, campus, clock(), "alice")
    order_id = await make_order(db, campus, alice, clock())

    (helped,) = await chat.send("dan", "/help")
    where_it_stands = ("Your runner application was not approved; you may apply again: /apply" if decided
                       else "Your runner application is waiting for an operator's decision: "
                            "/apply shows where it stands.")
    assert helped.text.endswith("\n" + where_it_stands)
    assert "/income" not in helped.text and "/grab" not in helped.text
    for command in ("/income", "/withdraw", "/withdraw 5"):
        assert [r.text for r in await chat.send("dan", command)] == [status_text], command
    (nearby,) = await chat.send("dan", "/nearby")
    (grabbed,) = await chat.send("dan", f"/grab {order_id}")
    assert nearby.text == grabbed.text == (
        "Your runner application was not approved. You may apply again with /apply." if decided
        else "Your runner application has not been approved yet.")


async def test_help_lists_the_runners_commands_as_the_menu_has_them_and_apply_to_no_runner(
        chat, services, db, campus, clock):
    await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    assert keys(await chat.send("alice", "/help")) == ["help-student"]
    assert "/apply" in (await chat.send("alice", "/help"))[0].text
    helped = await chat.send("rob", "/help")
    assert keys(helped) == ["help-student-runner", "help-runner"]
    assert "/apply" not in helped[0].text  # an approved runner applies no more
    async with UnitOfWork(db) as uow:
        (await uow.runners.get(rob)).suspended = True
    assert keys(await chat.send("rob", "/help")) == ["help-student-runner"]  # as their menu: no runners' commands


async def test_a_quiz_answer_may_be_typed_as_well_as_pressed(chat, db, campus, clock):
    """The whole answer, or the start of it: "nobody" is "Nobody: it is only for this delivery". Text that names no
    answer asks the question again; a start that fits two answers names them."""
    rita = await runner(db, campus, clock(), "rita", quiz=False)
    await chat.send("rita", "/quiz")
    replies = await chat.send("rita", "maybe")
    assert keys(replies) == ["order-choose-one", "runner-quiz-q1"]
    assert replies[1].args["n"] == "1"  # still the first question
    assert keys(await chat.send("rita", "nobody")) == ["runner-quiz-q2"]
    assert keys(await chat.send("rita", "Release it at once with /release")) == ["runner-quiz-q3"]
    (among,) = await chat.send("rita", "I")  # "I go in anyway" or "I leave it on the street"?
    assert among.key == "order-choose-among"
    assert "I go in anyway" in among.text and "I leave it on the street" in among.text
    assert keys(await chat.send("rita", "at the dorm")) == ["runner-quiz-q4"]
    (passed,) = await chat.send("rita", "When the student has it in hand")
    assert passed.key == "runner-quiz-passed" and passed.args["score"] == 4
    assert (await profile_of(db, rita)).quiz_passed


async def test_an_active_runners_menu_has_their_own_row_and_a_students_has_not(chat, services, db, campus, clock):
    await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    student_menu = [[c.label for c in row] for row in (await chat.send("alice", "/menu"))[0].choices]
    assert student_menu == [["New errand", "My orders"], ["Wallet", "Help"]]
    (menu,) = await chat.send("rob", "/menu")
    assert [[c.label for c in row] for row in menu.choices] == [*student_menu, ["Open orders", "My income"]]
    assert keys(await chat.press("rob", "My income")) == ["runner-income"]
    await chat.send("rob", "/menu")
    assert keys(await chat.press("rob", "Open orders"))[0].startswith("hall-nearby")
    async with UnitOfWork(db) as uow:
        (await uow.runners.get(rob)).suspended = True
    assert [[c.label for c in row] for row in (await chat.send("rob", "/menu"))[0].choices] == student_menu


async def test_the_track_card_of_an_order_with_no_contact_points_to_none(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    order_id = await make_order(db, campus, alice, clock())  # no phone, no room
    assert keys(await chat.press("rob", f"data:g:{order_id}", chat="hall:demo")) == ["grab-won"]
    card = (await chat.send("rob", f"/track {order_id}"))[-1]
    assert EN("order-card-contact-in-details", order=str(order_id)) not in card.text
