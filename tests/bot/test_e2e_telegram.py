"""End to end on Telegram: a whole order as people make it, through the real bot against the fake Bot API server.

What runs is what `run_telegram` runs, minus its signal handling: the real aiogram Dispatcher from
`build_dispatcher` long-polls the fake server's getUpdates (`dp.start_polling`) over its real aiohttp session, the
handlers work on a real database (SQLite and PostgreSQL, through the `db` fixture), and the outbox sender
(`TelegramSender.run_forever`) delivers what the handlers queued for other people — the task hall, the runner, the
student — as a background task beside the polling. The test talks to the bot only as Telegram would: it pushes
updates (messages, button presses, pre-checkout queries, payments) into the fake server and reads what the bot sent
back from the fake server's records. Every button pressed is one the fake server received in a sendMessage or
editMessageText reply_markup. The fake checks every request against the Bot API spec; the test fails on any
violation.

Timing: nothing sleeps for a fixed time. The test waits for conditions on the fake server's records
(`fake.wait_for`, bounded). The sender's rate windows (1 message a second per chat, …) run in virtual time: each
idle pause of the sender moves them on by the pause, so Telegram's limits still hold but nobody waits out a second.
"""
from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any

import limits.aio.storage.memory
import pytest
from aiogram import Bot, Dispatcher
from sqlalchemy import func, select

from bot.settings import Settings
from bot.telegram.adapter import build_dispatcher
from bot.telegram.sender import SenderConfig, TelegramSender
from core import ledger
from core.money import format_yuan
from handlers.context import Services
from handlers.orders import route_text
from locales import catalogue
from storage.models import Coupon, LedgerPosting, Outbox, ProcessedUpdate, RunnerProfile, User
from storage.models import Order as OrderRow
from storage.uow import UnitOfWork
from tests.bot.conftest import PAYMENT_TOKEN
from tests.bot.fake_bot_api import FakeBotAPI
from tests.conftest import FakeClock
from tests.factories import CIPHER, make_order, top_up

EN = catalogue("en")
ROOM, PHONE = "1108", "13800138000"
WAIT = 5.0  # seconds any one thing may take


# --- the running bot -----------------------------------------------------------------------------------------------



@pytest.fixture
async def running_bot(services: Services, bot: Bot, settings: Settings, clock: FakeClock,
                      monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Dispatcher]:
    """The dispatcher long-polling the fake server and the outbox sender delivering, both in the background."""
    window_time = [clock().timestamp()]  # the rate windows' clock: moves only when the sender pauses
    monkeypatch.setattr(limits.aio.storage.memory, "time", SimpleNamespace(time=lambda: window_time[0]))

    async def pause(seconds: float) -> None:
        window_time[0] += seconds
        await asyncio.sleep(0.01)  # let the bot work; the virtual second has passed for the rate windows

    dp = build_dispatcher(services, bot, settings)
    sender = TelegramSender(services.db, bot, clock, pause, config=SenderConfig(), cipher=services.cipher)
    stop_sending = asyncio.Event()
    sending = asyncio.create_task(sender.run_forever(stop_sending), name="e2e-sender")
    polling = asyncio.create_task(dp.start_polling(
        bot, handle_signals=False, close_bot_session=False, polling_timeout=1,
        allowed_updates=dp.resolve_used_update_types()), name="e2e-polling")
    try:
        yield dp
    finally:
        stop_sending.set()
        with contextlib.suppress(RuntimeError):  # not started yet
            await dp.stop_polling()
        await asyncio.wait_for(sending, WAIT)
        polling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await polling


# --- reading what the fake server received -------------------------------------------------------------------------

def buttons(message: dict[str, Any]) -> list[str]:
    """The callback data of a message's inline buttons, row-major (as the fake stores it: the latest edit)."""
    return [data for row in FakeBotAPI.buttons(message) for _, data in row if data]


def step_data(message: dict[str, Any], value: str) -> str | None:
    """The wizard button answering the current step with `value` (data "s:<token>:<value>"), if the message has it."""
    found = [d for d in buttons(message) if re.fullmatch(rf"s:[0-9a-f]+:{re.escape(value)}", d)]
    assert len(found) <= 1, found
    return found[0] if found else None


class Person:
    """Someone in a private chat with the bot: types, presses the buttons the bot sent, reads the answers."""

    def __init__(self, fake: FakeBotAPI, user_id: int, name: str) -> None:
        self.fake = fake
        self.user = fake.user(user_id, name, language_code="en")
        self.id = user_id

    def mark(self) -> int:
        """The newest message id in the chat: what comes after this is new."""
        return max((m["message_id"] for m in self.fake.chat_messages(self.id)), default=0)

    def messages(self, since: int = 0) -> list[dict[str, Any]]:
        return [m for m in self.fake.bot_messages(self.id) if m["message_id"] > since]

    async def reply(self, since: int, check: Callable[[dict[str, Any]], Any], what: str) -> dict[str, Any]:
        """The first bot message after `since` that passes `check`, once it came."""
        return await self.fake.wait_for(
            lambda: next((m for m in self.messages(since) if check(m)), None), WAIT, what=f"{what} (chat {self.id})")

    async def says(self, since: int, text: str) -> dict[str, Any]:
        return await self.reply(since, lambda m: m.get("text") == text, repr(text))

    async def with_button(self, since: int, data: Callable[[str], bool] | str, what: str) -> dict[str, Any]:
        match = (lambda d: d == data) if isinstance(data, str) else data
        return await self.reply(since, lambda m: any(match(d) for d in buttons(m)), what)

    async def edited(self, message: dict[str, Any], text: str) -> dict[str, Any]:
        """`message` once the bot edited it to say `text` (as the chat shows it then)."""
        key = (message["chat"]["id"], message["message_id"])
        return await self.fake.wait_for(lambda: self.fake.messages[key] if self.fake.messages[key].get("text") == text
                                        else None, WAIT, what=f"message {key} edited to {text!r}")

    async def with_step(self, since: int, value: str, what: str) -> dict[str, Any]:
        return await self.reply(since, lambda m: step_data(m, value) is not None, what)

    def type(self, text: str) -> int:
        mark = self.mark()
        self.fake.text(self.user, text)
        return mark

    def command(self, command: str, args: str = "") -> int:
        mark = self.mark()
        self.fake.command(self.user, command, args)
        return mark

    def press(self, message: dict[str, Any], data: str) -> int:
        """Press the button with this callback data under `message` (it must be one the bot sent there)."""
        current = self.fake.messages[(message["chat"]["id"], message["message_id"])]
        assert data in buttons(current), f"no button {data!r} under message {message['message_id']}: {buttons(current)}"
        mark = self.mark()
        self.fake.callback(self.user, data, current)
        return mark

    def press_step(self, message: dict[str, Any], value: str) -> int:
        current = self.fake.messages[(message["chat"]["id"], message["message_id"])]
        data = step_data(current, value)
        assert data is not None, f"no step button {value!r}: {buttons(current)}"
        return self.press(current, data)


async def answer_to(fake: FakeBotAPI, update: dict[str, Any]) -> dict[str, Any]:
    """The bot's answerCallbackQuery for a pushed button press."""
    query_id = update["callback_query"]["id"]
    return await fake.wait_for(lambda: next(
        (a for a in fake.callback_answers if a["callback_query_id"] == query_id), None), WAIT,
        what=f"the answer to callback {query_id}")


async def pre_checkout_answer(fake: FakeBotAPI, update: dict[str, Any]) -> dict[str, Any]:
    query_id = update["pre_checkout_query"]["id"]
    return await fake.wait_for(lambda: next(
        (a for a in fake.pre_checkout_answers if a["pre_checkout_query_id"] == query_id), None), WAIT,
        what=f"the answer to pre-checkout {query_id}")


async def start_in_english(person: Person) -> None:
    """/start, then the English button of the welcome: the person has started the bot and speaks English."""
    mark = person.command("start")
    welcome = await person.with_step(mark, "en", "the welcome with the language buttons")
    mark = person.press_step(welcome, "en")
    await person.says(mark, EN("menu-title"))


# --- the database --------------------------------------------------------------------------------------------------

async def user_id_of(services: Services, person: Person) -> int:
    async with UnitOfWork(services.db, write=False) as uow:
        user_id = await uow.session.scalar(
            select(User.id).where(User.channel == "telegram", User.external_id == str(person.id)))
    assert user_id is not None, f"the bot does not know {person.id}"
    return user_id


async def make_eligible(services: Services, campus, clock: FakeClock, user_id: int) -> None:
    """An approved runner who passed the rules quiz (the application flow is tested elsewhere)."""
    async with UnitOfWork(services.db) as uow:
        uow.session.add(RunnerProfile(
            user_id=user_id, campus_id=campus.id, status="approved", gender="female", quiz_passed=True,
            real_name_enc=CIPHER.encrypt("测试"), student_no_enc=CIPHER.encrypt(f"20240{user_id:04d}"),
            credit=campus.credit.initial, applied_at=clock()))


async def order_row(services: Services, order_id: int) -> OrderRow:
    async with UnitOfWork(services.db, write=False) as uow:
        row = await uow.orders.get_row(order_id)
    assert row is not None
    return row


async def outbox_settled(services: Services) -> dict[str, int]:
    """Telegram outbox rows by status."""
    async with UnitOfWork(services.db, write=False) as uow:
        rows = (await uow.session.execute(select(Outbox.status, func.count()).where(Outbox.channel == "telegram")
                                          .group_by(Outbox.status))).all()
    return {status: n for status, n in rows}


async def all_delivered(fake: FakeBotAPI, services: Services) -> None:
    """Wait until the sender has delivered every queued Telegram message; none failed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while True:
        counts = await outbox_settled(services)
        if not counts.get("pending"):
            break
        assert loop.time() < deadline, f"outbox not delivered: {counts}"
        await asyncio.sleep(0.01)
    assert not counts.get("failed"), counts


# --- the whole order -----------------------------------------------------------------------------------------------

async def quote_through_the_wizard(li: Person, kg: str = "10", tip: str = "200",
                                   coupon: str | None = None) -> dict[str, Any]:
    """/start, English, and the /order wizard by buttons and typing, up to its quote (the message). kg: the
    parcel's weight, which sets the price: 10 kg costs more than Telegram's minimum invoice, 1 kg less. tip: in fen,
    a button's; coupon: a code typed, or None to skip it."""
    fake = li.fake
    await start_in_english(li)
    mark = li.command("order")
    ask = await li.with_step(mark, "parcel", "the errand types")
    mark = li.press_step(ask, "parcel")
    ask = await li.with_step(mark, "b:parcel_station", "the pickup places")
    # The pickup question also offers to share a location: a one-time reply keyboard in a message of its own.
    await li.reply(mark, lambda m: m.get("text") == EN("tg-location-prompt"), "the location prompt")
    mark = li.press_step(ask, "b:parcel_station")
    await li.says(mark, EN("order-ask-dropoff"))
    mark = li.type("Women's Dorm 3")
    ask = await li.says(mark, EN("order-ask-room", place="Women's Dorm 3"))
    assert step_data(ask, "-") is not None  # "meet me at the entrance"
    mark = li.type(ROOM)
    ask = await li.with_step(mark, "11", "the floors")
    mark = li.press_step(ask, "11")
    await li.says(mark, EN("order-ask-phone"))
    mark = li.type(PHONE)
    await li.says(mark, EN("order-ask-description", task="parcel"))
    mark = li.type("Box from Taobao, code 3-2-1108")
    ask = await li.with_step(mark, kg, "the weights")
    mark = li.press_step(ask, kg)
    ask = await li.with_step(mark, "small", "the sizes")
    mark = li.press_step(ask, "small")
    ask = await li.with_step(mark, "now", "the time windows")
    mark = li.press_step(ask, "now")
    tags = await li.with_step(mark, "done", "the delivery tags")
    # Toggling a tag edits the question in place (a fresh token on its buttons); Done is pressed on the edited one.
    # (The window question, answered below, loses its buttons by an edit too: the tags message itself is watched.)
    li.press_step(tags, "t:call_on_arrival")
    chosen, key = EN("order-tag-toggle", on="yes", tag="call_on_arrival"), (li.id, tags["message_id"])
    tags = await fake.wait_for(lambda: chosen in [b[0] for row in fake.buttons(fake.messages[key]) for b in row]
                               and fake.messages[key], WAIT, what="the tag edit")
    mark = li.press_step(tags, "done")
    ask = await li.says(mark, EN("order-ask-notes"))
    mark = li.press_step(ask, "-")
    ask = await li.with_step(mark, "any", "the runner genders")
    mark = li.press_step(ask, "any")
    ask = await li.says(mark, EN("order-ask-runner"))
    mark = li.press_step(ask, "-")
    ask = await li.with_step(mark, tip, "the tips")
    mark = li.press_step(ask, tip)  # by default a 2-yuan tip: all of it goes to the runner
    ask = await li.says(mark, EN("order-ask-coupon"))
    mark = li.press_step(ask, "-") if coupon is None else li.type(coupon)
    return await li.with_step(mark, "ok", "the quote")


async def order_through_the_wizard(li: Person, kg: str = "10") -> tuple[int, dict[str, Any], int]:
    """The wizard (quote_through_the_wizard) and its quote confirmed; (order id, the message with the pay buttons,
    the total the quote showed, in fen)."""
    fake = li.fake
    quote = await quote_through_the_wizard(li, kg)
    total_line = re.escape(EN("order-card-total", total="@")).replace("@", r"(\d+)\.(\d\d)")
    shown = re.search(rf"\n{total_line}$", quote["text"])
    assert shown, quote["text"]
    quoted_total = int(shown[1]) * 100 + int(shown[2])  # fen
    mark = li.press_step(quote, "ok")
    # The quote becomes the new order in place: its Confirm/Edit/Cancel buttons go, the pay buttons come.
    created = await fake.wait_for(lambda: next((m for m in [fake.messages[(li.id, quote["message_id"])]]
                                                if any(d.startswith("pay:") for d in buttons(m))), None),
                                  WAIT, what="the quote edited into the new order with its pay buttons")
    assert li.messages(mark) == []
    order_id = int(next(d for d in buttons(created) if d.startswith("pay:")).split(":")[1])
    return order_id, created, quoted_total


async def test_a_whole_order_on_telegram(fake_bot_api: FakeBotAPI, running_bot, services: Services, campus,
                                         clock: FakeClock) -> None:
    fake = fake_bot_api
    hall_id = campus.channels.telegram_hall_chat_id
    fake.group(hall_id, "Demo task hall")

    # Two runners have started the bot and are eligible.
    zhao, qian = Person(fake, 3003, "Zhao"), Person(fake, 3004, "Qian")
    runner_ids = {}
    for runner in (zhao, qian):
        await start_in_english(runner)
        runner_ids[runner.id] = await user_id_of(services, runner)
        await make_eligible(services, campus, clock, runner_ids[runner.id])

    # The student orders.
    li = Person(fake, 1001, "Li")
    order_id, created, quoted_total = await order_through_the_wizard(li)
    row = await order_row(services, order_id)
    student_id = row.customer_id
    assert (row.status, row.total, row.tip) == ("awaiting_payment", quoted_total, 200)
    assert (row.dropoff_building, row.door_delivery, row.dropoff_floor) == ("dorm_f3", True, 11)
    assert buttons(created) == [f"pay:{order_id}", f"tgpay:{order_id}"]  # the wallet, and Telegram's invoice

    # She pays by invoice: the invoice is in fen and is the quote's total.
    press = fake.callback(li.user, f"tgpay:{order_id}", created)
    (invoice,) = await fake.wait_for(lambda: fake.calls("sendInvoice", li.id, ok=True), WAIT, what="the invoice")
    assert invoice.params["currency"] == "CNY" and invoice.params["provider_token"] == PAYMENT_TOKEN
    assert [p["amount"] for p in invoice.params["prices"]] == [quoted_total]
    payload = invoice.params["payload"]
    assert payload == f"order:{order_id}:{created['message_id']}"  # the order, and the card it was asked from
    assert fake.last_bot_message(li.id)["invoice"]["total_amount"] == quoted_total
    assert not (await answer_to(fake, press)).get("text")  # the press is answered quietly: the invoice is the answer

    # Telegram asks before it charges: yes at the invoice's amount, no at any other.
    ok = await pre_checkout_answer(fake, fake.pre_checkout_query(li.user, payload, quoted_total))
    assert ok["ok"] is True and not ok.get("error_message")
    wrong = await pre_checkout_answer(fake, fake.pre_checkout_query(li.user, payload, quoted_total - 1))
    assert wrong["ok"] is False
    assert wrong["error_message"] == EN("tg-pay-price-changed", order=order_id)

    # The payment arrives, and again with the same charge id (a new update): credited once.
    mark = li.mark()
    fake.successful_payment(li.user, payload, quoted_total, charge_id="tg-charge-e2e")
    paid = EN("wallet-provider-paid", order=order_id, amount=format_yuan(quoted_total))
    card = await fake.wait_for(lambda: next((m for m in [fake.messages[(li.id, created["message_id"])]]
                                             if m["text"] == paid), None), WAIT, what="the order card edited: paid")
    assert buttons(card) == []  # its Pay buttons gone: the card says it is paid
    mark = li.mark()
    fake.successful_payment(li.user, payload, quoted_total, charge_id="tg-charge-e2e")
    await li.says(mark, EN("wallet-charge-seen", order=order_id))
    async with UnitOfWork(services.db, write=False) as uow:
        charges = await uow.session.scalar(select(func.count()).select_from(LedgerPosting)
                                           .where(LedgerPosting.key == "charge:telegram:tg-charge-e2e"))
        assert await uow.ledger.balance(ledger.external("telegram")) == -quoted_total
    assert charges == 1
    assert (await order_row(services, order_id)).status == "open"

    # The hall is told, with a Grab button and building-level detail only.
    grab = f"g:{order_id}"
    card = await fake.wait_for(lambda: next(
        (m for m in fake.bot_messages(hall_id) if grab in buttons(m)), None), WAIT, what="the hall announcement")
    announced = card["text"]  # the fake keeps the message's latest state in `card`: remember this one
    assert f"#{order_id}" in announced
    assert ROOM not in announced and PHONE not in announced

    # Both runners press Grab at the same moment: two updates in one getUpdates answer, which aiogram handles as
    # concurrent tasks (different people are not serialised by the adapter). Before a hall action the adapter checks
    # that it may write to the presser (sendChatAction); the fake answers neither check until both have come, so the
    # two grabs go on from there side by side.
    before_grab = {zhao.id: zhao.mark(), qian.id: qian.mark()}
    fake.hold_until("sendChatAction", 2)
    first = fake.callback(zhao.user, grab, card)
    second = fake.callback(qian.user, grab, card)
    answers = {zhao.id: await answer_to(fake, first), qian.id: await answer_to(fake, second)}
    assert [first["update_id"], second["update_id"]] in fake.served, fake.served
    assert not fake.gates  # both presses were held at the same point, then released together
    assert {c.chat_id for c in fake.calls("sendChatAction")} == {zhao.id, qian.id}
    won = [who for who, a in answers.items() if a.get("text") == EN("tg-grab-won", order=order_id)]
    lost = [who for who, a in answers.items() if a.get("text") == EN("grab-taken")]
    assert len(won) == 1 and len(lost) == 1, answers
    winner, loser = (zhao, qian) if won == [zhao.id] else (qian, zhao)
    assert not answers[loser.id].get("show_alert")
    row = await order_row(services, order_id)
    assert (row.status, row.runner_id) == ("accepted", runner_ids[winner.id])

    # The hall post is edited in place: taken, no Grab button any more.
    await fake.wait_for(lambda: [c for c in fake.calls("editMessageText", hall_id, ok=True)
                                 if c.params["message_id"] == card["message_id"]], WAIT, what="the hall edit")
    post = fake.messages[(hall_id, card["message_id"])]
    hall_t = catalogue(campus.language)
    assert post["text"] == hall_t("hall-taken", order=str(order_id), route=route_text(hall_t, campus, row))
    assert post["text"] != announced
    assert "reply_markup" not in post and not buttons(post)
    assert [m["message_id"] for m in fake.bot_messages(hall_id)] == [card["message_id"]]  # edited, not posted anew

    # The winner gets the full details privately, with the student's room; the trip's buttons come with them.
    details = await winner.reply(0, lambda m: m["text"].startswith(EN("notice-you-won", order=order_id, how="taken")),
                                 "the winner's details")
    assert EN("order-card-room", room=ROOM) in details["text"]
    assert EN("order-card-phone", phone=PHONE) in details["text"]
    assert f"o:{order_id}:pickup" in buttons(details)
    await li.says(0, EN("notice-accepted", order=order_id, handover="none"))

    # Picked up, delivered.
    mark = winner.press(details, f"o:{order_id}:pickup")
    picked = await winner.with_button(mark, f"o:{order_id}:deliver", "the picked-up answer")
    assert picked["text"] == EN("runner-picked-up", order=order_id)
    await li.says(0, EN("notice-picked-up", order=order_id))
    clock.advance(minutes=12)
    winner.press(picked, f"o:{order_id}:deliver")
    await winner.edited(picked, EN("runner-delivered", order=order_id))  # in its place: its buttons go

    # The student confirms and rates 5 stars.
    delivered = await li.with_button(0, f"o:{order_id}:confirm", "the delivery notice")
    assert delivered["text"] == EN("notice-delivered", order=order_id)
    mark = li.press(delivered, f"o:{order_id}:confirm")
    stars = await li.with_step(mark, "star:5", "the stars")
    assert stars["text"] == EN("track-rate-ask", order=order_id)
    li.press_step(stars, "star:5")  # the tags in the stars' place
    tags = await fake.wait_for(lambda: (m := fake.messages[(li.id, stars["message_id"])])["text"] == EN(
        "track-rate-tags-ask", stars=5) and m, WAIT, what="the stars")
    li.press_step(tags, "tag:on_time")
    await fake.wait_for(lambda: EN("track-rate-tag", tag="on_time", selected="yes") in
                        [b[0] for r in fake.buttons(fake.messages[(li.id, stars["message_id"])]) for b in r],
                        WAIT, what="the on-time tag")
    mark = li.press_step(fake.messages[(li.id, stars["message_id"])], "done")
    comment = await li.says(mark, EN("track-rate-comment-ask"))
    # Done turned the tags message into what was chosen: no star, tag or Done button is left there.
    chosen = EN("track-rate-chosen", order=order_id, stars=5, tagged="yes",
                tags=EN("track-rate-tag", tag="on_time", selected="no"))
    assert chosen == f"Your rating of order #{order_id}: 5★ — On time"
    assert buttons(await li.edited(stars, chosen)) == []
    mark = li.type("Quick and friendly, thanks!")
    await li.says(mark, EN("track-rate-thanks", order=order_id, stars=5))
    await fake.wait_for(lambda: buttons(fake.messages[(li.id, comment["message_id"])]) == [], WAIT,
                        what="the comment question without its Skip, once answered")
    async with UnitOfWork(services.db, write=False) as uow:  # 5★ earned them a point: told with the score it made
        credit = (await uow.runners.get(runner_ids[winner.id])).credit
    told = EN("track-rated-runner", order=order_id, stars=5, tagged="yes", tags="On time", credited="yes", change="+1",
              credit=credit, standing="normal", floor=60, commented="yes", comment="Quick and friendly, thanks!")
    assert told == (f"The student rated order #{order_id}: 5★ — On time. Your credit score changed by +1 and is now "
                    f'{credit} (good). Their comment: "Quick and friendly, thanks!"')
    await winner.says(0, told)
    await all_delivered(fake, services)

    # The books: the runner's share to the runner, the commission to the platform, nothing left in escrow or in
    # the student's wallet (she paid by invoice), the whole ledger at zero.
    row = await order_row(services, order_id)
    assert (row.status, row.rating, row.rating_tags, services.cipher.decrypt(row.rating_comment_enc)) == (
        "completed", 5, ["on_time"], "Quick and friendly, thanks!")
    assert row.runner_share + row.commission == row.total
    async with UnitOfWork(services.db, write=False) as uow:
        assert await uow.ledger.balance(ledger.runner(runner_ids[winner.id])) == row.runner_share
        assert await uow.ledger.balance(ledger.runner(runner_ids[loser.id])) == 0
        assert await uow.ledger.balance(ledger.PLATFORM_REVENUE) == row.commission
        assert await uow.ledger.balance(ledger.escrow(order_id)) == 0
        assert await uow.ledger.balance(ledger.customer(student_id)) == 0
        assert await uow.ledger.balance(ledger.external("telegram")) == -row.total
        assert await uow.ledger.total() == 0
        assert await uow.ledger.entries_total() == 0

    # The loser got a toast, and never a message: nothing of the order's details.
    assert loser.messages(since=before_grab[loser.id]) == []
    assert not [m for m in loser.messages() if ROOM in m["text"] or PHONE in m["text"]]
    assert not fake.violations
    assert not [(r.method, r.status) for r in fake.requests if r.status != 200]


async def test_an_order_below_telegrams_minimum_offers_the_wallet_alone(
        fake_bot_api: FakeBotAPI, running_bot, services: Services, settings: Settings, campus,
        clock: FakeClock) -> None:
    """Telegram refuses invoices under about a US dollar, and many errands cost less: such an order shows no invoice
    button (one that could only fail), and the wallet pays it as usual."""
    fake = fake_bot_api
    fake.group(campus.channels.telegram_hall_chat_id, "Demo task hall")
    li = Person(fake, 1001, "Li")
    order_id, created, quoted_total = await order_through_the_wizard(li, kg="1")
    assert quoted_total < settings.telegram_invoice_min_fen
    assert buttons(created) == [f"pay:{order_id}"]

    await top_up(services.db, await user_id_of(services, li), quoted_total, clock())
    li.press(created, f"pay:{order_id}")
    paid = EN("wallet-paid", order=order_id, amount=format_yuan(quoted_total), balance=format_yuan(0))
    await fake.wait_for(lambda: fake.messages[(li.id, created["message_id"])]["text"] == paid, WAIT,
                        what="the order card edited: paid from the wallet")
    assert (await order_row(services, order_id)).status == "open"
    await all_delivered(fake, services)
    assert not fake.calls("sendInvoice")
    assert not [(r.method, r.status) for r in fake.requests if r.status != 200]


async def test_an_order_its_coupon_pays_in_full_goes_to_the_hall_with_no_invoice_and_nothing_to_pay(
        fake_bot_api: FakeBotAPI, running_bot, services: Services, campus, clock: FakeClock) -> None:
    """Confirming the quote of a free errand places it paid: the quote becomes the news that there is nothing to
    pay, with no pay or invoice button; no invoice is sent (Telegram would refuse one for 0.00); the hall gets it."""
    fake = fake_bot_api
    hall_id = campus.channels.telegram_hall_chat_id
    fake.group(hall_id, "Demo task hall")
    async with UnitOfWork(services.db) as uow:
        uow.session.add(Coupon(code="FREE", campus_id=campus.id, percent_off_bp=10_000, max_uses=10, per_user=1))
    li = Person(fake, 1001, "Li")
    quote = await quote_through_the_wizard(li, tip="0", coupon="FREE")
    assert quote["text"].endswith("\n" + EN("order-card-total", total="0.00"))

    mark = li.press_step(quote, "ok")
    placed = await fake.wait_for(lambda: next((m for m in [fake.messages[(li.id, quote["message_id"])]]
                                               if m["text"].endswith("there is nothing to pay.")), None),
                                 WAIT, what="the quote edited into the order placed")
    async with UnitOfWork(services.db, write=False) as uow:
        order_id = await uow.session.scalar(select(func.max(OrderRow.id)))
    assert placed["text"] == EN("order-covered", order=order_id, code="FREE") and buttons(placed) == []
    row = await order_row(services, order_id)
    assert (row.status, row.total, row.pay_by) == ("open", 0, None)
    await fake.wait_for(lambda: next((m for m in fake.bot_messages(hall_id) if f"g:{order_id}" in buttons(m)), None),
                        WAIT, what="the hall card")
    await li.says(mark, EN("notice-paid", order=order_id, covered="yes"))
    await all_delivered(fake, services)
    assert not fake.calls("sendInvoice")
    assert not [d for m in li.messages() for d in buttons(m) if d.startswith(("pay:", "tgpay:"))]
    assert not [(r.method, r.status) for r in fake.requests if r.status != 200]


async def test_a_repeated_update_is_handled_once_through_the_whole_stack(
        fake_bot_api: FakeBotAPI, running_bot, services: Services, campus, clock: FakeClock) -> None:
    """Telegram sends an update again (same update_id): a payment, then a button press. Each counts once."""
    fake = fake_bot_api
    hall_id = campus.channels.telegram_hall_chat_id
    fake.group(hall_id, "Demo task hall")
    li, zhao = Person(fake, 1001, "Li"), Person(fake, 3003, "Zhao")
    await start_in_english(li)
    await start_in_english(zhao)
    await make_eligible(services, campus, clock, await user_id_of(services, zhao))
    order_id = await make_order(services.db, campus, await user_id_of(services, li), clock(), pay=False)
    total = (await order_row(services, order_id)).total

    # The payment, delivered twice with one update_id.
    mark = li.mark()
    paid = fake.successful_payment(li.user, f"order:{order_id}", total, push=False)
    fake.push(paid)
    fake.push(dict(paid))
    await li.says(mark, EN("wallet-provider-paid", order=order_id, amount=format_yuan(total)))
    card = await fake.wait_for(lambda: next(
        (m for m in fake.bot_messages(hall_id) if f"g:{order_id}" in buttons(m)), None), WAIT, what="the hall card")

    # The runner grabs it; the picked-up press arrives twice with one update_id.
    won = fake.callback(zhao.user, f"g:{order_id}", card)
    assert (await answer_to(fake, won)).get("text") == EN("tg-grab-won", order=order_id)
    details = await zhao.with_button(0, f"o:{order_id}:pickup", "the winner's details")
    mark = zhao.mark()
    press = fake.callback(zhao.user, f"o:{order_id}:pickup", details, push=False)
    fake.push(press)
    fake.push(dict(press))
    await zhao.says(mark, EN("runner-picked-up", order=order_id))
    await li.says(0, EN("notice-picked-up", order=order_id))

    # A /help after them is answered after both copies were handled (one person's updates run in order).
    mark = zhao.command("help")
    await zhao.says(mark, EN("help-student-runner"))
    await all_delivered(fake, services)

    texts = [m["text"] for m in li.messages()]
    assert texts.count(EN("wallet-provider-paid", order=order_id, amount=format_yuan(total))) == 1
    assert EN("wallet-charge-seen", order=order_id) not in texts  # the repeat never reached the wallet
    assert texts.count(EN("notice-picked-up", order=order_id)) == 1
    assert [m["text"] for m in zhao.messages()].count(EN("runner-picked-up", order=order_id)) == 1
    assert len(fake.bot_messages(hall_id)) == 1
    # Both copies did reach the bot, each time.
    served = [uid for batch in fake.served for uid in batch]
    assert served.count(paid["update_id"]) == 2 and served.count(press["update_id"]) == 2
    async with UnitOfWork(services.db, write=False) as uow:
        charges = await uow.session.scalar(select(func.count()).select_from(LedgerPosting)
                                           .where(LedgerPosting.key.like("charge:telegram:%")))
        seen = {key for key in await uow.session.scalars(select(ProcessedUpdate.key))}
        assert await uow.ledger.balance(ledger.escrow(order_id)) == total
        assert await uow.ledger.total() == 0
    assert charges == 1
    assert {f"telegram:{paid['update_id']}", f"telegram:{press['update_id']}"} <= seen
    row = await order_row(services, order_id)
    assert row.status == "picked_up"
    async with UnitOfWork(services.db, write=False) as uow:
        events = await uow.orders.history(order_id)
    assert [e.event for e in events].count("pickup") == 1
    assert not fake.violations


# --- the runner's trip and the relay chat --------------------------------------------------------------------------

async def grabbed(fake: FakeBotAPI, services: Services, campus, clock: FakeClock
                  ) -> tuple[Person, Person, int, dict[str, Any]]:
    """Li's paid order, grabbed by Zhao with /grab N (the hall button's path); (Li, Zhao, the order, Zhao's details
    message with the trip's buttons)."""
    fake.group(campus.channels.telegram_hall_chat_id, "Demo task hall")
    li, zhao = Person(fake, 1001, "Li"), Person(fake, 3003, "Zhao")
    await start_in_english(li)
    await start_in_english(zhao)
    await make_eligible(services, campus, clock, await user_id_of(services, zhao))
    order_id = await make_order(services.db, campus, await user_id_of(services, li), clock())
    zhao.command("grab", str(order_id))
    details = await zhao.with_button(0, f"o:{order_id}:pickup", "the winner's details")
    return li, zhao, order_id, details


async def test_a_photo_sent_in_the_chat_reaches_the_other_side_with_its_caption(
        fake_bot_api: FakeBotAPI, running_bot, services: Services, campus, clock: FakeClock) -> None:
    fake = fake_bot_api
    li, zhao, order_id, _ = await grabbed(fake, services, campus, clock)
    mark = li.command("track", str(order_id))
    card = await li.with_button(mark, f"o:{order_id}:chat", "the order card")
    mark = li.press(card, f"o:{order_id}:chat")
    await li.says(mark, EN("track-chat-enter", order=order_id, other="runner"))

    mark = li.mark()
    fake.photo(li.user, caption="the blue box, code 3-2-1108")
    await li.says(mark, EN("track-relay-sent", other="runner"))
    await all_delivered(fake, services)
    (relayed,) = fake.calls("sendPhoto", zhao.id, ok=True)
    assert relayed.params["caption"] == EN("track-relay-photo", sender_role="customer", order=order_id,
                                           shown="yes", captioned="yes", message="the blue box, code 3-2-1108")
    assert relayed.params["caption"].endswith(": the blue box, code 3-2-1108")
    assert not fake.violations


async def test_a_photo_relayed_with_a_caption_of_emoji_arrives_with_as_much_of_it_as_a_caption_holds(
        fake_bot_api: FakeBotAPI, running_bot, services: Services, campus, clock: FakeClock) -> None:
    fake = fake_bot_api
    li, zhao, order_id, _ = await grabbed(fake, services, campus, clock)
    card = await li.with_button(li.command("track", str(order_id)), f"o:{order_id}:chat", "the order card")
    await li.says(li.press(card, f"o:{order_id}:chat"), EN("track-chat-enter", order=order_id, other="runner"))

    caption = "📦" * 500  # within the relay's 500 characters; Telegram counts an emoji as two (UTF-16)
    mark = li.mark()
    fake.photo(li.user, caption=caption)
    await li.says(mark, EN("track-relay-sent", other="runner"))
    await all_delivered(fake, services)
    (relayed,) = fake.calls("sendPhoto", zhao.id, ok=True)  # Telegram took it: a caption within its 1024
    whole = EN("track-relay-photo", sender_role="customer", order=order_id, shown="yes", captioned="yes",
               message=caption)
    sent = relayed.params["caption"]
    assert sent.endswith("📦…") and whole.startswith(sent[:-1])  # the end of a caption too long for one is cut
    assert not fake.violations


async def test_a_sticker_a_voice_note_or_a_file_is_answered_never_passed_on_or_ignored(
        fake_bot_api: FakeBotAPI, running_bot, services: Services, campus, clock: FakeClock) -> None:
    fake = fake_bot_api
    li, zhao, order_id, _ = await grabbed(fake, services, campus, clock)
    card = await li.with_button(li.command("track", str(order_id)), f"o:{order_id}:chat", "the order card")
    await li.says(li.press(card, f"o:{order_id}:chat"), EN("track-chat-enter", order=order_id, other="runner"))

    # In the chat with the runner: said what can be passed on; the runner gets nothing.
    runner_mark, mark = zhao.mark(), li.mark()
    fake.media(li.user, "sticker")
    await li.says(mark, EN("track-chat-text-only"))
    mark = li.type("and a word")  # the chat goes on
    await li.says(mark, EN("track-relay-sent", other="runner"))
    await zhao.says(runner_mark, EN("track-relay", sender_role="customer", order=order_id, message="and a word"))
    assert len(zhao.messages(runner_mark)) == 1

    # In the order form: the question is asked again, the form goes on.
    await li.says(li.command("menu"), EN("menu-title"))
    await li.with_step(li.command("order"), "parcel", "the errand type question")
    mark = li.mark()
    fake.media(li.user, "document")
    await li.with_step(mark, "parcel", "the errand type question asked again")

    # With nothing going on: what the bot can read, and the menu.
    mark = zhao.mark()
    fake.media(zhao.user, "voice")
    await zhao.says(mark, EN("idle-unreadable"))
    assert not fake.violations


async def test_the_phone_question_takes_the_number_shared_by_telegrams_button_and_only_ones_own(
        fake_bot_api: FakeBotAPI, running_bot, services: Services, campus, clock: FakeClock) -> None:
    fake = fake_bot_api
    li = Person(fake, 1001, "Li")
    await start_in_english(li)
    mark = li.command("order")
    ask = await li.with_step(mark, "parcel", "the errand types")
    ask = await li.with_step(li.press_step(ask, "parcel"), "b:parcel_station", "the pickup places")
    await li.says(li.press_step(ask, "b:parcel_station"), EN("order-ask-dropoff"))
    mark = li.type("Library")
    await li.says(mark, EN("order-ask-phone"))  # no room to ask for: the phone at once

    # The question, then the share-my-number button in a message of its own: a one-time reply keyboard.
    prompt = await li.says(mark, EN("tg-contact-prompt"))
    sent = next(c for c in fake.calls("sendMessage", li.id) if c.params["text"] == prompt["text"])
    assert sent.params["reply_markup"]["keyboard"] == [[{"text": EN("tg-share-contact"), "request_contact": True}]]
    assert sent.params["reply_markup"]["one_time_keyboard"] is True

    # A friend's contact card is refused, and changes nothing.
    mark = li.mark()
    fake.contact(li.user, "8613900000000", owner=fake.user(2002, "Wang", language_code="en"))
    await li.says(mark, EN("order-contact-not-yours"))

    # Her own, as the button sends it (Telegram leaves out the "+"), answers the question; the keyboard goes.
    mark = li.mark()
    fake.contact(li.user, "8613800138000")
    await li.says(mark, EN("order-ask-description", task="parcel"))
    removal = [c.params for c in fake.calls("sendMessage", li.id) if c.params.get("reply_markup") == {
        "remove_keyboard": True}]
    assert [r["text"] for r in removal] == [EN("tg-location-done")]  # just before the question's inline buttons
    async with UnitOfWork(services.db, write=False) as uow:
        phone_enc = await uow.session.scalar(select(User.phone_enc).where(User.external_id == str(li.id)))
    assert CIPHER.decrypt(phone_enc) == "+8613800138000"
    assert not fake.violations


async def test_a_runner_chatting_picks_up_and_delivers_and_no_button_is_left_that_means_nothing(
        fake_bot_api: FakeBotAPI, running_bot, services: Services, campus, clock: FakeClock) -> None:
    fake = fake_bot_api
    li, zhao, order_id, details = await grabbed(fake, services, campus, clock)
    mark = zhao.press(details, f"o:{order_id}:chat")
    await zhao.says(mark, EN("track-chat-enter", order=order_id, other="customer"))

    # Picked up, pressed under the details: the chat goes on, and the details keep only the button still of use.
    mark = zhao.press(details, f"o:{order_id}:pickup")
    picked = await zhao.says(mark, EN("runner-picked-up-chatting", order=order_id))
    await fake.wait_for(lambda: buttons(fake.messages[(zhao.id, details["message_id"])]) == [f"o:{order_id}:chat"],
                        WAIT, what="the details without Picked up and Release")
    mark = zhao.type("Got it, on my way!")
    await zhao.says(mark, EN("track-relay-sent", other="customer"))
    await li.says(0, EN("track-relay", sender_role="runner", order=order_id, message="Got it, on my way!"))

    # Delivered, pressed under the picked-up answer: said in that message's place, no buttons left there.
    zhao.press(picked, f"o:{order_id}:deliver")
    delivered = await zhao.edited(picked, EN("runner-delivered", order=order_id))
    assert buttons(delivered) == []
    assert (await order_row(services, order_id)).status == "delivered"
    await all_delivered(fake, services)
    assert not fake.violations


async def test_a_runner_sends_the_pickup_photo_then_delivers_by_command_and_no_trip_button_is_left(
        fake_bot_api: FakeBotAPI, running_bot, services: Services, campus, clock: FakeClock) -> None:
    fake = fake_bot_api
    li, zhao, order_id, details = await grabbed(fake, services, campus, clock)
    mark = zhao.press(details, f"o:{order_id}:pickup")
    picked = await zhao.says(mark, EN("runner-picked-up", order=order_id))
    assert step_data(picked, "skip") is not None and f"o:{order_id}:deliver" in buttons(picked)

    # The photo is in: No photo would only be refused now, Delivered still means something.
    mark = zhao.mark()
    fake.photo(zhao.user, caption="the blue box")
    await zhao.says(mark, EN("runner-photo-sent", order=order_id))
    await fake.wait_for(lambda: buttons(fake.messages[(zhao.id, picked["message_id"])]) == [f"o:{order_id}:deliver"],
                        WAIT, what="the picked-up message with Delivered alone")
    assert fake.messages[(zhao.id, picked["message_id"])]["text"] == picked["text"]

    # Delivered by command: the message keeps no trip button at all.
    mark = zhao.command("delivered", str(order_id))
    await zhao.says(mark, EN("runner-delivered", order=order_id))
    await fake.wait_for(lambda: buttons(fake.messages[(zhao.id, picked["message_id"])]) == [], WAIT,
                        what="the picked-up message without Delivered")
    assert (await order_row(services, order_id)).status == "delivered"
    await all_delivered(fake, services)
    assert not fake.violations


async def test_a_confirmed_delivery_notice_becomes_the_completion_above_the_stars(
        fake_bot_api: FakeBotAPI, running_bot, services: Services, campus, clock: FakeClock) -> None:
    """Confirming under the delivery notice: the notice says the order is completed in its own place, with no
    Confirm or Report button left, and the stars question is the last message (not followed by "completed")."""
    fake = fake_bot_api
    li, zhao, order_id, _ = await grabbed(fake, services, campus, clock)
    await zhao.says(zhao.command("picked", str(order_id)), EN("runner-picked-up", order=order_id))
    await zhao.says(zhao.command("delivered", str(order_id)), EN("runner-delivered", order=order_id))
    delivered = await li.with_button(0, f"o:{order_id}:confirm", "the delivery notice")
    assert buttons(delivered) == [f"o:{order_id}:confirm", f"o:{order_id}:report"]

    mark = li.press(delivered, f"o:{order_id}:confirm")
    stars = await li.with_step(mark, "star:5", "the stars")
    completed = await li.edited(delivered, EN("notice-completed-customer", order=order_id, back="no", change=0,
                                              bought="no", spent=0))
    assert buttons(completed) == []
    await all_delivered(fake, services)
    assert [m["message_id"] for m in li.messages(mark)] == [stars["message_id"]]
    assert not fake.violations
