"""Starting and stopping the Telegram bot (run_telegram), against the fake Bot API on SQLite and PostgreSQL.

A stop (a deploy's SIGTERM) loses nothing Telegram already handed over: updates stop coming in, the ones being
handled finish (a payment is booked), the message on its way is sent and marked sent, and only then are the session
and the database closed. A start that cannot work says why in one line instead of a traceback; so does a token
revoked while running, which stops the service the same graceful way and keeps the queued messages for the next
start. Another process polling with the token is warned once, not at every try."""
from __future__ import annotations

import asyncio
import logging
import socket

import pytest
from aiogram.utils.backoff import BackoffConfig
from pydantic import SecretStr
from sqlalchemy import func, select

import main
from bot.settings import Settings
from bot.telegram.api_watch import CONFLICT_QUIET
from bot.telegram.app import START_TRIES, TelegramStartError, TelegramStopped, run_telegram
from bot.telegram.sender import TelegramSender
from handlers.notify import Notifier
from handlers.router import ROUTER
from storage.models import LedgerPosting, Outbox
from storage.uow import UnitOfWork
from tests.bot.test_e2e_telegram import order_row
from tests.bot.test_sender import queue
from tests.bot.test_telegram_adapter import _free_port, tg_runner, tg_user, until
from tests.factories import CIPHER, make_order


async def booked_charges(services) -> int:  # noqa: ANN001
    async with UnitOfWork(services.db, write=False) as uow:
        return await uow.session.scalar(select(func.count()).select_from(LedgerPosting)
                                        .where(LedgerPosting.key.like("charge:telegram:%")))


async def test_a_webhook_port_out_of_range_stops_the_start_with_one_line(fake_bot_api, services, settings):
    # Before: OverflowError ("port must be 0-65535"), which is no OSError, and a traceback.
    settings = hooked(settings).model_copy(update={"telegram_webhook_port": 80810})
    with pytest.raises(TelegramStartError) as raised:
        await run_telegram(settings, services, handle_signals=False, sleep=Sleeps())
    assert raised.value.exit_code == 2
    assert str(raised.value).startswith("cannot listen for the webhook on 127.0.0.1:80810 (")  # (Python's reason)


class HeldPayment:
    """The payment handler, held after it starts until `release` is set (a payment caught by the stop)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.entered, self.release, self.cut = asyncio.Event(), asyncio.Event(), False
        original = ROUTER.payment

        async def held(ctx) -> None:  # noqa: ANN001
            self.entered.set()
            try:
                await self.release.wait()
            except asyncio.CancelledError:
                self.cut = True
                raise
            await original(ctx)
        monkeypatch.setattr(ROUTER, "payment", held)


def hooked(settings: Settings) -> Settings:
    port = _free_port()
    return settings.model_copy(update={
        "telegram_webhook_url": f"http://127.0.0.1:{port}/tg/hook", "telegram_webhook_host": "127.0.0.1",
        "telegram_webhook_port": port, "telegram_webhook_secret": SecretStr("s3cret_42")})


async def unpaid_order(services, campus, clock) -> tuple[int, int]:  # noqa: ANN001
    uid = await tg_user(services, campus, clock, 1001)
    oid = await make_order(services.db, campus, uid, clock(), pay=False)
    return oid, (await order_row(services, oid)).total


async def paid_while_running(mode: str, api, services, settings: Settings,  # noqa: ANN001
                             stop: asyncio.Event, oid: int, total: int) -> asyncio.Task:
    """The bot running (until `stop`), and Li's payment of the order handed to it: polled, or posted to the webhook
    and answered 200 (from then on the charge is ours to book)."""
    running = asyncio.create_task(run_telegram(settings, services, stop=stop, handle_signals=False))
    li = api.user(1001, "Li", language_code="en")
    if mode == "webhook":
        await until(lambda: api.webhook.get("url"))
        assert await api.deliver_webhook(api.successful_payment(li, f"order:{oid}", total, push=False)) == 200
    else:
        api.successful_payment(li, f"order:{oid}", total)
    return running


# --- a stop waits for the updates being handled -------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_a_payment_being_handled_when_the_stop_comes_is_booked_before_it_completes(
        mode, fake_bot_api, services, settings, campus, clock, monkeypatch):
    oid, total = await unpaid_order(services, campus, clock)
    payment = HeldPayment(monkeypatch)
    settings = hooked(settings) if mode == "webhook" else settings
    stop = asyncio.Event()
    running = await paid_while_running(mode, fake_bot_api, services, settings, stop, oid, total)
    await asyncio.wait_for(payment.entered.wait(), 5)
    stop.set()  # the deploy's SIGTERM, while the payment is being handled
    asyncio.get_running_loop().call_later(0.3, payment.release.set)  # the handler needs a moment more
    await asyncio.wait_for(running, 10)
    # Shutdown is complete (the caller would close the database now): the charge is in the ledger.
    assert await booked_charges(services) == 1
    assert (await order_row(services, oid)).status == "open"
    if mode == "polling":
        assert fake_bot_api.updates == []  # confirmed to Telegram: it is not sent again at the next start


async def test_an_update_still_running_when_the_stop_timeout_ends_is_cut_off_and_named(
        fake_bot_api, services, settings, campus, clock, monkeypatch, caplog):
    oid, total = await unpaid_order(services, campus, clock)
    payment = HeldPayment(monkeypatch)  # never released: a handler that hangs
    settings = settings.model_copy(update={"telegram_stop_timeout": 0.2})
    stop = asyncio.Event()
    running = asyncio.create_task(run_telegram(settings, services, stop=stop, handle_signals=False))
    update = fake_bot_api.successful_payment(fake_bot_api.user(1001, "Li", language_code="en"), f"order:{oid}",
                                             total)
    await asyncio.wait_for(payment.entered.wait(), 5)
    stop.set()
    with caplog.at_level(logging.ERROR, logger="bot.telegram.app"):
        await asyncio.wait_for(running, 5)  # bounded: the stop does not wait for ever
    assert payment.cut  # cancelled by the stop itself, before the database is closed under it
    assert str(update["update_id"]) in caplog.text
    assert await booked_charges(services) == 0  # rolled back as a whole, not half booked


# --- a stop lets the sender finish the message on its way -----------------------------------------------------------

async def test_a_stop_lets_the_message_on_its_way_be_sent_and_marked_sent(
        fake_bot_api, services, settings, campus, clock):
    uid = await tg_user(services, campus, clock, 1001, language="zh_CN")  # the shared menu's: no menu of their own
    fake_bot_api.user(1001, "Li", language_code="zh-hans")
    fake_bot_api.hold_until("sendMessage", 2, timeout=0.5)  # the request is in flight when the stop comes
    stop = asyncio.Event()
    running = asyncio.create_task(run_telegram(settings, services, stop=stop, handle_signals=False))
    async with UnitOfWork(services.db) as uow:
        await Notifier(services, uow, clock(), origin="test").user(uid, "admin-you-restored")
    await until(lambda: "sendmessage" in fake_bot_api.gates and fake_bot_api.gates["sendmessage"].arrived)
    stop.set()
    await asyncio.wait_for(running, 10)
    async with UnitOfWork(services.db, write=False) as uow:
        statuses = (await uow.session.scalars(select(Outbox.status).where(Outbox.recipient == "1001"))).all()
    assert statuses == ["sent"]  # not left claimed for the lease, to go out a second time after the restart
    assert len(fake_bot_api.bot_messages(1001)) == 1


async def test_a_stopping_sender_finishes_its_request_and_takes_no_more(fake_bot_api, bot, db, clock):
    first = await queue(db, 1001, "first", at=clock())
    second = await queue(db, 1002, "second", at=clock())
    fake_bot_api.hold_until("sendMessage", 2, timeout=0.3)
    stop = asyncio.Event()
    sender = TelegramSender(db, bot, clock, cipher=CIPHER)
    running = asyncio.create_task(sender.run_forever(stop))
    await until(lambda: "sendmessage" in fake_bot_api.gates and fake_bot_api.gates["sendmessage"].arrived)
    stop.set()
    await asyncio.wait_for(running, 5)
    async with UnitOfWork(db, write=False) as uow:
        rows = {r.id: r for r in (await uow.session.scalars(select(Outbox))).all()}
    assert rows[first].status == "sent"
    assert rows[second].status == "pending" and rows[second].next_attempt_at <= clock()  # due at the next start
    assert [c.params["text"] for c in fake_bot_api.calls("sendMessage")] == ["first"]


async def test_a_sender_cancelled_mid_request_gives_its_rows_back(fake_bot_api, bot, db, clock):
    row = await queue(db, 1001, "hello", at=clock())
    fake_bot_api.hold_until("sendMessage", 2, timeout=5)
    sender = TelegramSender(db, bot, clock, cipher=CIPHER)
    running = asyncio.create_task(sender.run_forever())
    await until(lambda: "sendmessage" in fake_bot_api.gates and fake_bot_api.gates["sendmessage"].arrived)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    async with UnitOfWork(db, write=False) as uow:
        left = await uow.session.get(Outbox, row)
    # Due again now, not hidden for the 5-minute lease of a sender that died.
    assert left.status == "pending" and left.next_attempt_at <= clock()


# --- a start that cannot work --------------------------------------------------------------------------------------

async def test_a_wrong_token_stops_the_start_with_one_clear_line(fake_bot_api, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("TELEGRAM_TOKEN", "123456:not-the-bots-token")
    monkeypatch.setenv("TELEGRAM_API_BASE", fake_bot_api.base_url)
    monkeypatch.delenv("TELEGRAM_WEBHOOK_URL", raising=False)

    assert await asyncio.to_thread(main.main, ["run"]) == 2

    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == ("paotui cannot start: Telegram refused TELEGRAM_TOKEN (Unauthorized): "
                                            "check the token @BotFather gave")
    assert "Traceback" not in err and "not-the-bots-token" not in err


class Sleeps:
    """The start's injected sleep: records each pause instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


async def test_an_unreachable_bot_api_at_start_is_tried_again_with_backoff(fake_bot_api, services, settings,
                                                                         caplog):
    fake_bot_api.drop_connection(method="getMe", times=2)
    sleeps = Sleeps()
    stop = asyncio.Event()
    with caplog.at_level(logging.WARNING, logger="bot.telegram.app"):
        running = asyncio.create_task(run_telegram(settings, services, stop=stop, handle_signals=False,
                                                   sleep=sleeps))
        try:
            fake_bot_api.command(fake_bot_api.user(1001, "Li"), "start")
            await until(lambda: fake_bot_api.bot_messages(1001))  # it started after all
        finally:
            stop.set()
            await asyncio.wait_for(running, 10)
    assert len(sleeps.calls) == 2 and 0 < sleeps.calls[0] < sleeps.calls[1]
    tries = [r.getMessage() for r in caplog.records if "getMe" in r.getMessage()]
    assert len(tries) == 2 and f"try 1 of {START_TRIES}" in tries[0] and fake_bot_api.base_url in tries[0]


@pytest.mark.parametrize("failing", ["deleteMyCommands", "the hall's setMyCommands"])
async def test_command_menus_a_bot_api_error_refused_at_start_are_set_once_it_answers(
        fake_bot_api, services, campus, clock, settings, failing):
    """The Bot API answers getMe, then a 502 for the menus (a restarting server), the students' or a group's: the
    menus are tried again with backoff, so the students' menu, the groups' and a runner's own all come, without a
    restart."""
    await tg_runner(services, campus, clock, 3003, language="zh_CN")
    if failing == "deleteMyCommands":
        fake_bot_api.server_error(method="deleteMyCommands", times=2)
    else:
        fake_bot_api.server_error(method="setMyCommands", chat_id=campus.channels.telegram_hall_chat_id, times=2)
    sleeps = Sleeps()
    stop = asyncio.Event()
    running = asyncio.create_task(run_telegram(settings, services, stop=stop, handle_signals=False, sleep=sleeps))
    try:
        await until(lambda: fake_bot_api.chat_menu(3003))  # the runner's own menu
        await until(lambda: [c for c in fake_bot_api.calls("setMyCommands", ok=True)
                             if c.params["scope"]["type"] == "all_private_chats"])
        await until(lambda: fake_bot_api.chat_menu(campus.channels.telegram_hall_chat_id))
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)
    assert len(sleeps.calls) == 2 and 0 < sleeps.calls[0] < sleeps.calls[1]


async def test_a_bot_api_that_stays_unreachable_stops_the_start_after_its_tries(services, settings):
    nowhere = settings.model_copy(update={"telegram_api_base": f"http://127.0.0.1:{_free_port()}"})
    sleeps = Sleeps()
    with pytest.raises(TelegramStartError) as raised:
        await run_telegram(nowhere, services, handle_signals=False, sleep=sleeps)
    assert len(sleeps.calls) == START_TRIES - 1
    assert raised.value.exit_code == 1
    assert f"the Bot API at {nowhere.telegram_api_base} did not answer getMe after {START_TRIES} tries" in str(
        raised.value)


async def test_a_webhook_telegram_refuses_stops_the_start_with_its_reason(fake_bot_api, services, settings):
    fake_bot_api.fail(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook", method="setWebhook")
    with pytest.raises(TelegramStartError) as raised:
        await run_telegram(hooked(settings), services, handle_signals=False, sleep=Sleeps())
    assert raised.value.exit_code == 2
    assert str(raised.value) == ("Telegram refused setWebhook (Bad Request: bad webhook: An HTTPS URL must be "
                                 "provided for webhook)")


async def test_a_webhook_port_already_taken_stops_the_start_with_its_reason(fake_bot_api, services, settings):
    settings = hooked(settings)
    taken = socket.socket()
    taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    taken.bind(("127.0.0.1", settings.telegram_webhook_port))
    taken.listen()
    try:
        with pytest.raises(TelegramStartError) as raised:
            await run_telegram(settings, services, handle_signals=False, sleep=Sleeps())
    finally:
        taken.close()
    assert raised.value.exit_code == 1
    assert str(raised.value).startswith(f"cannot listen for the webhook on 127.0.0.1:{settings.telegram_webhook_port}")


# --- Telegram refusing the token while running ----------------------------------------------------------------------

def refusals(caplog) -> list[str]:  # noqa: ANN001
    return [r.getMessage() for r in caplog.records if "refused TELEGRAM_TOKEN while running" in r.getMessage()]


def polling_noise(caplog) -> list[str]:  # noqa: ANN001
    """What aiogram's polling and the sender logged as warnings or worse: each failed try, each failed run."""
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING
            and (r.name.startswith("aiogram.dispatcher") or "outbox run failed" in r.getMessage())]


async def started(fake_bot_api, mode: str) -> None:  # noqa: ANN001
    if mode == "webhook":
        await until(lambda: fake_bot_api.webhook.get("url"))
    else:
        await until(lambda: fake_bot_api.calls("getUpdates"))


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_a_token_revoked_while_running_stops_the_service_and_keeps_the_queued_messages(
        mode, fake_bot_api, services, settings, campus, clock, caplog):
    uid = await tg_user(services, campus, clock, 1001, language="zh_CN")
    settings = hooked(settings) if mode == "webhook" else settings
    stop = asyncio.Event()
    with caplog.at_level(logging.INFO):
        running = asyncio.create_task(run_telegram(settings, services, stop=stop, handle_signals=False))
        await started(fake_bot_api, mode)
        fake_bot_api.revoke_token()  # in @BotFather
        async with UnitOfWork(services.db) as uow:
            await Notifier(services, uow, clock(), origin="test").user(uid, "admin-you-restored")
        with pytest.raises(TelegramStopped) as raised:
            await asyncio.wait_for(running, 10)  # by itself: nobody set `stop`
    assert raised.value.exit_code == 2  # for the service manager: restart, alert
    assert refusals(caplog) == ["Telegram refused TELEGRAM_TOKEN while running (Unauthorized): it was revoked or "
                                "replaced in @BotFather; stopping. Queued messages stay queued: start again with "
                                "the token @BotFather gives now"]
    assert polling_noise(caplog) == []
    async with UnitOfWork(services.db, write=False) as uow:
        row = (await uow.session.scalars(select(Outbox).where(Outbox.recipient == "1001"))).one()
    # Not failed, nor tried again for a day: due at once when the service runs with the new token.
    assert row.status == "pending" and row.attempts == 0 and row.next_attempt_at <= clock()
    assert fake_bot_api.bot_messages(1001) == []


async def test_a_payment_being_handled_when_the_token_is_revoked_is_booked_before_the_service_stops(
        fake_bot_api, services, settings, campus, clock, monkeypatch, caplog):
    oid, total = await unpaid_order(services, campus, clock)
    payment = HeldPayment(monkeypatch)
    stop = asyncio.Event()
    running = asyncio.create_task(run_telegram(settings, services, stop=stop, handle_signals=False))
    fake_bot_api.successful_payment(fake_bot_api.user(1001, "Li", language_code="en"), f"order:{oid}", total)
    await asyncio.wait_for(payment.entered.wait(), 5)
    with caplog.at_level(logging.WARNING):
        fake_bot_api.revoke_token()
        await until(lambda: refusals(caplog))  # the service is stopping …
        payment.release.set()  # … and waits for the payment being handled
        with pytest.raises(TelegramStopped):
            await asyncio.wait_for(running, 10)
    assert not payment.cut
    assert await booked_charges(services) == 1
    # Its receipt could not be sent: the one line the stop logged says why, no traceback for the update.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == refusals(caplog)


async def test_a_sender_whose_token_is_refused_stops_and_leaves_every_message_queued(fake_bot_api, bot, db, clock,
                                                                                      caplog):
    rows = [await queue(db, 1001, "first", at=clock()), await queue(db, 1002, "second", at=clock())]
    fake_bot_api.revoke_token()
    sender = TelegramSender(db, bot, clock, cipher=CIPHER)
    await asyncio.wait_for(sender.run_forever(), 5)  # ends by itself: no request can succeed
    async with UnitOfWork(db, write=False) as uow:
        left = (await uow.session.scalars(select(Outbox).where(Outbox.id.in_(rows)))).all()
    assert [(r.status, r.attempts, r.next_attempt_at <= clock()) for r in left] == [("pending", 0, True)] * 2
    assert polling_noise(caplog) == []


async def test_a_token_revoked_while_running_ends_the_command_with_exit_2(fake_bot_api, monkeypatch, capsys,
                                                                        tmp_path, caplog):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("TELEGRAM_TOKEN", fake_bot_api.token)
    monkeypatch.setenv("TELEGRAM_API_BASE", fake_bot_api.base_url)
    monkeypatch.delenv("TELEGRAM_WEBHOOK_URL", raising=False)

    with caplog.at_level(logging.INFO):
        command = asyncio.create_task(asyncio.to_thread(main.main, ["run"]))
        await until(lambda: fake_bot_api.calls("getUpdates"))
        fake_bot_api.revoke_token()
        assert await asyncio.wait_for(command, 20) == 2

    assert len(refusals(caplog)) == 1
    assert "Traceback" not in capsys.readouterr().err


# --- another process polling with the token ------------------------------------------------------------------------

QUICK_RETRIES = BackoffConfig(min_delay=0.01, max_delay=0.05, factor=2.0, jitter=0.0)
OTHER_POLLER = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"


def conflict_lines(caplog) -> list[str]:  # noqa: ANN001
    return [r.getMessage() for r in caplog.records if r.name == "bot.telegram.api_watch"]


async def test_another_process_polling_with_the_token_is_warned_once_and_polling_goes_on(
        fake_bot_api, services, settings, campus, clock, caplog):
    await tg_user(services, campus, clock, 1001, language="zh_CN")
    li = fake_bot_api.user(1001, "Li", language_code="zh-hans")
    fake_bot_api.fail(409, OTHER_POLLER, method="getUpdates", times=4)
    stop = asyncio.Event()
    with caplog.at_level(logging.INFO):
        running = asyncio.create_task(run_telegram(settings, services, stop=stop, handle_signals=False,
                                                   polling_backoff=QUICK_RETRIES))
        try:
            fake_bot_api.command(li, "help")
            answered = len(await until(lambda: fake_bot_api.bot_messages(1001)))  # the other process let go
            assert len(fake_bot_api.calls("getUpdates", ok=False)) == 4
            assert conflict_lines(caplog) == [
                f"getUpdates conflicts ({OTHER_POLLER}): another process is polling with this TELEGRAM_TOKEN, or a "
                "webhook was set for it. Each process now gets only some of the updates: stop the other one (or "
                "delete that webhook). Polling keeps trying"]
            assert polling_noise(caplog) == []  # not an error and a warning at each of the 4 tries

            # Two processes alternate between an answered getUpdates and a conflict: it is over only once no
            # conflict came for a while.
            clock.advance(seconds=CONFLICT_QUIET.total_seconds())
            fake_bot_api.command(li, "help")
            await until(lambda: len(fake_bot_api.bot_messages(1001)) > answered)
            assert conflict_lines(caplog)[1:] == [
                f"getUpdates: no conflict for {CONFLICT_QUIET.total_seconds():.0f} s, this process gets every update "
                "again"]
        finally:
            stop.set()
            await asyncio.wait_for(running, 10)  # a conflict stops nothing


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_a_payment_a_process_did_not_finish_booking_is_booked_at_the_next_start(
        mode, fake_bot_api, services, settings, campus, clock, monkeypatch):
    """Telegram counts the update delivered once polling asks for the next ones (or the webhook answered 200): the
    student is charged. Before, a process killed (or cut off by its stop) while booking it lost the charge without
    a trace; now it is kept until booked, and the next start books it, once."""
    oid, total = await unpaid_order(services, campus, clock)
    payment = HeldPayment(monkeypatch)  # hangs until the stop cuts it off: as good as killed
    settings = (hooked(settings) if mode == "webhook" else settings).model_copy(
        update={"telegram_stop_timeout": 0.2})
    stop = asyncio.Event()
    running = await paid_while_running(mode, fake_bot_api, services, settings, stop, oid, total)
    await asyncio.wait_for(payment.entered.wait(), 5)
    if mode == "polling":
        await until(lambda: fake_bot_api.updates == [])  # confirmed to Telegram: never sent again
    stop.set()
    await asyncio.wait_for(running, 5)
    assert payment.cut and await booked_charges(services) == 0

    payment.release.set()  # the next process books it
    for _ in range(2):  # and the one after that does not book it again
        stop = asyncio.Event()
        running = asyncio.create_task(run_telegram(settings, services, stop=stop, handle_signals=False))
        await until(lambda: fake_bot_api.calls("getMe") and (mode == "webhook" or fake_bot_api.calls("getUpdates")))
        stop.set()
        await asyncio.wait_for(running, 5)
        assert await booked_charges(services) == 1
        assert (await order_row(services, oid)).status == "open"


async def test_the_payments_left_unbooked_are_booked_before_the_timers_start(
        fake_bot_api, services, settings, campus, clock, monkeypatch):
    """The timers close an order unpaid past its time: started first, they could close one whose payment Telegram
    took before that time but the last process did not book, and its money would go to the wallet instead."""
    oid, total = await unpaid_order(services, campus, clock)
    payment = HeldPayment(monkeypatch)
    stop = asyncio.Event()
    settings = settings.model_copy(update={"telegram_stop_timeout": 0.2})
    running = await paid_while_running("polling", fake_bot_api, services, settings, stop, oid, total)
    await asyncio.wait_for(payment.entered.wait(), 5)
    stop.set()
    await asyncio.wait_for(running, 5)  # cut off: kept, unbooked
    payment.release.set()
    booked_when_ready: list[int] = []

    async def timers() -> None:
        booked_when_ready.append(await booked_charges(services))
        stop.set()

    stop = asyncio.Event()
    await asyncio.wait_for(run_telegram(settings, services, stop=stop, handle_signals=False, ready=timers), 10)
    assert booked_when_ready == [1]
