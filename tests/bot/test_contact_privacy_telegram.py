"""On Telegram: the runner's details message reaches them through the sender with the student's phone and room (sealed
in the outbox meanwhile), and once the order is completed the same message is edited without them."""
from __future__ import annotations

from sqlalchemy import func, select, text

from bot.telegram.adapter import build_dispatcher
from bot.telegram.sender import TelegramSender
from core.campus import Campus, Gender
from core.order import Actor, Event, Role
from handlers.context import Services
from locales import catalogue
from storage.models import Outbox, RunnerProfile, User
from storage.uow import UnitOfWork
from tests.bot.conftest import polling
from tests.bot.fake_bot_api import FakeBotAPI, wait_until
from tests.bot.test_sender import virtual_time  # noqa: F401 - a fixture: the rate windows in the test's time
from tests.conftest import FakeClock
from tests.factories import CIPHER
from tests.handlers.harness import Chat, keys
from tests.handlers.test_runner import PHONE, ROOM, act_notified, order_row, paid_order

EN = catalogue("en")
STUDENT, RUNNER = 1001, 3003
CODE, NOTES = "pickup code 4-2-1187", "Call my roommate Wang Fang 13912345678"


async def tg_user(services: Services, campus: Campus, clock: FakeClock, external: int, *, runner: bool = False) -> int:
    async with UnitOfWork(services.db) as uow:
        user = User(channel="telegram", external_id=str(external), campus_id=campus.id, language="en",
                    created_at=clock())
        uow.session.add(user)
        await uow.session.flush()
        if runner:
            uow.session.add(RunnerProfile(
                user_id=user.id, campus_id=campus.id, status="approved", gender=Gender.male.value, quiz_passed=True,
                real_name_enc=CIPHER.encrypt("测试"), student_no_enc=CIPHER.encrypt("2024000"),
                credit=campus.credit.initial, applied_at=clock()))
        return user.id  # type: ignore[return-value]


async def deliver(sender: TelegramSender, services: Services, clock: FakeClock) -> None:
    """Run the sender until the outbox is delivered (a second between runs: one message a second per chat)."""
    for _ in range(20):
        await sender.run_once(clock())
        async with UnitOfWork(services.db, write=False) as uow:
            left = dict((await uow.session.execute(select(Outbox.status, func.count()).where(
                Outbox.status != "sent").group_by(Outbox.status))).all())
        assert "failed" not in left, left
        if not left:
            return
        clock.advance(seconds=1)
    raise AssertionError(f"not delivered: {left}")


async def test_the_details_reach_the_runner_and_leave_their_chat_when_the_order_is_complete(
        fake_bot_api: FakeBotAPI, bot, services: Services, campus: Campus, clock: FakeClock):
    fake = fake_bot_api
    fake.group(campus.channels.telegram_hall_chat_id, "Demo task hall")
    fake.group(campus.channels.telegram_admin_chat_id, "Demo admins")
    fake.user(STUDENT, "Li", language_code="en")
    fake.user(RUNNER, "Zhao", language_code="en")
    student = await tg_user(services, campus, clock, STUDENT)
    await tg_user(services, campus, clock, RUNNER, runner=True)
    chat = Chat(services, channel="telegram")
    sender = TelegramSender(services.db, bot, clock, cipher=services.cipher)  # as bot/telegram/app.py wires it

    order_id = await paid_order(services, student)
    assert keys(await chat.press(str(RUNNER), f"data:g:{order_id}")) == ["grab-won"]
    await deliver(sender, services, clock)
    heading = EN("notice-you-won", order=order_id, how="taken")
    (details,) = [m for m in fake.bot_messages(RUNNER) if m["text"].startswith(heading)]
    assert EN("order-card-phone", phone=PHONE) in details["text"] and EN("order-card-room", room=ROOM) in details["text"]
    assert f"o:{order_id}:pickup" in [d for row in fake.buttons(details) for _, d in row]

    for who, step in ((RUNNER, "pickup"), (RUNNER, "deliver"), (STUDENT, "confirm")):
        await chat.press(str(who), f"data:o:{order_id}:{step}")
    assert (await order_row(services.db, order_id)).status == "completed"
    await deliver(sender, services, clock)

    edited = fake.messages[(RUNNER, details["message_id"])]  # the same message, as the runner's chat shows it now
    assert edited["text"].startswith(EN("notice-details-ended", order=str(order_id)))
    assert PHONE not in edited["text"] and ROOM not in edited["text"]
    assert not fake.buttons(edited)
    assert [c.params["message_id"] for c in fake.calls("editMessageText", RUNNER, ok=True)] == [details["message_id"]]
    texts = [m["text"] for m in fake.bot_messages(RUNNER)]
    assert texts[-1].startswith(EN("notice-completed", order=order_id, amount="@", bought="no", spent=0).split("@")[0])
    assert not any(PHONE in t or ROOM in t for t in texts)  # nothing else in the chat carries them

    async with UnitOfWork(services.db, write=False) as uow:
        for (dumped,) in (await uow.session.execute(text("SELECT CAST(payload AS TEXT) FROM outbox"))).all():
            assert PHONE not in dumped and ROOM not in dumped


async def test_a_runners_track_card_never_carries_the_contact_that_its_details_message_loses(
        fake_bot_api: FakeBotAPI, bot, services: Services, settings, campus: Campus, clock: FakeClock):
    # Before, /track N (or Open from /orders) answered with the phone and room in a message nothing ever edits: the
    # runner's chat kept them after the order was over.
    fake = fake_bot_api
    fake.group(campus.channels.telegram_hall_chat_id, "Demo task hall")
    fake.group(campus.channels.telegram_admin_chat_id, "Demo admins")
    fake.user(STUDENT, "Li", language_code="en")
    zhao = fake.user(RUNNER, "Zhao", language_code="en")
    student = await tg_user(services, campus, clock, STUDENT)
    await tg_user(services, campus, clock, RUNNER, runner=True)
    chat = Chat(services, channel="telegram")
    sender = TelegramSender(services.db, bot, clock, cipher=services.cipher)
    order_id = await paid_order(services, student)
    assert keys(await chat.press(str(RUNNER), f"data:g:{order_id}")) == ["grab-won"]
    await deliver(sender, services, clock)
    async with polling(build_dispatcher(services, bot, settings), bot):
        fake.command(zhao, "track", str(order_id))
        card = await wait_until(lambda: next((m for m in fake.bot_messages(RUNNER)
                                              if m["text"].startswith(f"#{order_id}")), None), 10, what="the card")
    assert EN("order-card-contact-in-details", order=str(order_id)) in card["text"]
    assert PHONE not in card["text"] and ROOM not in card["text"]

    for who, step in ((RUNNER, "pickup"), (RUNNER, "deliver"), (STUDENT, "confirm")):
        await chat.press(str(who), f"data:o:{order_id}:{step}")
    await deliver(sender, services, clock)
    assert not any(PHONE in m["text"] or ROOM in m["text"] for m in fake.bot_messages(RUNNER))


async def test_a_runners_track_card_shows_the_pickup_code_until_they_give_the_order_back_then_loses_it(
        fake_bot_api: FakeBotAPI, bot, services: Services, settings, campus: Campus, clock: FakeClock):
    # Before, the card kept the code and the notes after the release (only the details message was edited): the
    # runner who gave a parcel order back could still collect the parcel.
    fake = fake_bot_api
    fake.group(campus.channels.telegram_hall_chat_id, "Demo task hall")
    fake.group(campus.channels.telegram_admin_chat_id, "Demo admins")
    fake.user(STUDENT, "Li", language_code="en")
    zhao = fake.user(RUNNER, "Zhao", language_code="en")
    student = await tg_user(services, campus, clock, STUDENT)
    runner_id = await tg_user(services, campus, clock, RUNNER, runner=True)
    chat = Chat(services, channel="telegram")
    sender = TelegramSender(services.db, bot, clock, cipher=services.cipher)
    order_id = await paid_order(services, student)
    async with UnitOfWork(services.db) as uow:  # what she wrote for the runner, encrypted as the order form keeps it
        row = await uow.orders.get_row(order_id)
        row.description_enc, row.notes_enc = CIPHER.encrypt(CODE), CIPHER.encrypt(NOTES)
    assert keys(await chat.press(str(RUNNER), f"data:g:{order_id}")) == ["grab-won"]
    await deliver(sender, services, clock)
    async with polling(build_dispatcher(services, bot, settings), bot):
        fake.command(zhao, "track", str(order_id))
        card = await wait_until(lambda: next((m for m in fake.bot_messages(RUNNER)
                                              if m["text"].startswith(f"#{order_id}")), None), 10, what="the card")
    # At the pickup point he needs the code: the card he opens there shows it, and what the student noted.
    assert CODE in card["text"] and NOTES in card["text"]
    assert PHONE not in card["text"] and ROOM not in card["text"]  # those only in the details message, as before

    await act_notified(services, order_id, Event.release, Actor(Role.runner, runner_id))
    await deliver(sender, services, clock)
    edited = fake.messages[(RUNNER, card["message_id"])]  # the same message, as his chat shows it now
    assert edited["text"].startswith(EN("notice-details-ended", order=str(order_id)))
    assert EN("order-status-not-yours") in edited["text"]
    assert CODE not in edited["text"] and NOTES not in edited["text"]
    assert not fake.buttons(edited)  # Picked up and Release no longer mean anything
    assert not any(CODE in m["text"] or NOTES in m["text"] for m in fake.bot_messages(RUNNER))  # nowhere in his chat
