"""Running the Telegram channel: the bot on the configured Bot API server, its command menus, the outbox sender,
and updates by long polling (one process) or by webhook with a secret token (several processes)."""
from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import secrets
import signal
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.client.telegram import TelegramAPIServer
from aiogram.dispatcher.dispatcher import DEFAULT_BACKOFF_CONFIG
from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent
from aiogram.utils.backoff import Backoff, BackoffConfig
from aiogram.utils.token import TokenValidationError
from aiohttp import web

from bot.settings import Settings
from bot.telegram.adapter import build_dispatcher
from bot.telegram.api_watch import AIOGRAM_LOGGER, BotApiWatch
from bot.telegram.commands import named_operators, set_commands
from bot.telegram.in_flight import UpdatesInFlight
from bot.telegram.kept_payments import brings_money, handle_kept, keep_posted
from bot.telegram.payments import TelegramPayments
from bot.telegram.sender import SenderConfig, Sleep, TelegramRateLimiter, TelegramSender, campus_chats
from bot.telegram.session import TelegramSession
from bot.telegram.transient import RETRY_LATER, failure_text, retry_delay
from handlers.context import Services
from handlers.notify import report_undelivered
from handlers.unreachable import unreachable

log = logging.getLogger(__name__)


def make_bot(settings: Settings) -> Bot:
    """A Bot on the configured Bot API server (Telegram's, a self-hosted one, or the tests' fake)."""
    if settings.telegram_token is None:
        raise ValueError("TELEGRAM_TOKEN is not set")
    session = TelegramSession(api=api_server(settings))
    return Bot(token=settings.telegram_token.get_secret_value(), session=session)


def api_server(settings: Settings) -> TelegramAPIServer:
    """The Bot API's URLs: Telegram's, a self-hosted server (in --local mode if so set), the test environment
    (/bot<token>/test/<method>) on either, or the tests' fake."""
    base = settings.telegram_api_base.rstrip("/")
    env = "/test" if settings.telegram_test_environment else ""
    return TelegramAPIServer(base=f"{base}/bot{{token}}{env}/{{method}}",
                             file=f"{base}/file/bot{{token}}{env}/{{path}}", is_local=settings.telegram_api_local)


def webhook_secret(settings: Settings) -> str:
    """Settings refuse webhook mode without a secret Telegram accepts (bot/settings.py), so it is there."""
    assert settings.telegram_webhook_secret is not None
    return settings.telegram_webhook_secret.get_secret_value()


def webhook_app(dispatcher: Dispatcher, bot: Bot, settings: Settings) -> web.Application:
    """The aiohttp application that receives Telegram's POSTs; a request without the secret gets 401. An update is
    answered 200 at once and handled in the background (dispatcher's UpdatesInFlight: a stop waits for it). The
    route is added without SimpleRequestHandler.register, whose shutdown hook would close the bot's session while
    those updates still use it: run_telegram closes it last."""
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application

    class SecretCheckedHandler(SimpleRequestHandler):
        def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
            """As aiogram's, compared as bytes: its str comparison raises on a header with non-ASCII characters
            (a 500 instead of a 401). aiohttp decodes headers with surrogateescape, which gives the bytes back."""
            sent = telegram_secret_token.encode("utf-8", "surrogateescape")
            return secrets.compare_digest(sent, webhook_secret(settings).encode())

        async def _handle_request_background(self, bot: Bot, request: web.Request) -> web.Response:
            """A payment is kept before the 200 that tells Telegram it is delivered (bot.telegram.kept_payments);
            aiohttp keeps the body read, for aiogram to read it again."""
            update = await request.json(loads=bot.session.json_loads)
            if isinstance(update, dict) and brings_money(update):
                await keep_posted(services, [(update.get("update_id", 0), json.dumps(update, ensure_ascii=False))])
            return await super()._handle_request_background(bot, request)

    assert settings.telegram_webhook_url is not None
    services: Services = dispatcher["telegram_adapter"].services
    app = web.Application()
    path = urlsplit(settings.telegram_webhook_url).path or "/"
    handler = SecretCheckedHandler(dispatcher=dispatcher, bot=bot, secret_token=webhook_secret(settings))
    app.router.add_route("POST", path, handler.handle)
    setup_application(app, dispatcher, bot=bot)
    return app


def telegram_sender(services: Services, bot: Bot, limiter: TelegramRateLimiter,
                    settings: Settings | None = None, payments: TelegramPayments | None = None) -> TelegramSender:
    """The outbox sender for this channel, delivering what the handlers wrote (command-menu refreshes too). With
    Redis, every process shares one set of Telegram rate windows; without it, this process keeps its own (fine for
    one process). A runner it finds unreachable is reported to the operators of the orders they run
    (handlers.unreachable), and a message an order needs that fails for good too (handlers.notify
    report_undelivered). `settings`:
    how long network errors and 5xx are retried (TELEGRAM_RETRY_HOURS); without, SenderConfig's default.
    `payments`: the adapter's, so a queued message offers Telegram's invoice beside the wallet's pay button as a
    direct reply does."""
    config = SenderConfig(retry_for=settings.telegram_retry_hours * 3600) if settings is not None else SenderConfig()
    return TelegramSender(services.db, bot, services.clock, limiter=limiter, config=config,
                          operators=named_operators(services.campuses.values()), cipher=services.cipher,
                          staff_chats=campus_chats(services.campuses.values()),
                          unreachable=functools.partial(unreachable, services),
                          undelivered=functools.partial(report_undelivered, services), moves=services.chat_moves,
                          payments=payments)


class TelegramStartError(Exception):
    """The bot cannot start; the message says why, for the operator (main.py prints it as one line)."""

    def __init__(self, message: str, *, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # 2: a setting is wrong (starting again will not help); 1: try again later


class TelegramStopped(Exception):
    """The bot stopped by itself while running: Telegram refused the token. The reason was logged when it came
    (api_watch.py); main.py exits with `exit_code`, for the service manager to restart or alert."""

    exit_code = 2  # as for a wrong token at start: the setting must change


START_TRIES = 8  # Bot API calls at start, before giving up: about a minute and a half with START_BACKOFF
START_BACKOFF = BackoffConfig(min_delay=1.0, max_delay=30.0, factor=2.0, jitter=0.1)
LAST_SEND_S = 5.0  # the least a stop gives the sender to finish its request (one cut off may go out twice)
T = TypeVar("T")


async def _at_start(what: str, call: Callable[[], Awaitable[T]], settings: Settings, sleep: Sleep) -> T:
    """A Bot API call the start needs. A wrong token, or a request Telegram refuses, stops the start with the
    reason; an unreachable (or restarting) Bot API is tried again with backoff, a warning logged for each try,
    up to START_TRIES times."""
    base = settings.telegram_api_base
    delays = Backoff(START_BACKOFF)
    attempt = 0
    while True:
        attempt += 1
        try:
            return await call()
        except TelegramUnauthorizedError as exc:
            raise TelegramStartError(f"Telegram refused TELEGRAM_TOKEN ({exc.message}): check the token @BotFather "
                                     "gave", exit_code=2) from exc
        except RETRY_LATER as exc:
            problem, delay = failure_text(exc), retry_delay(exc, delays)
        except TelegramAPIError as exc:
            raise TelegramStartError(f"Telegram refused {what} ({exc.message})", exit_code=2) from exc
        if attempt == START_TRIES:
            raise TelegramStartError(f"the Bot API at {base} did not answer {what} after {START_TRIES} tries "
                                     f"({problem})", exit_code=1)
        log.warning("the Bot API at %s did not answer %s (%s): try %d of %d failed, trying again in %.1f s",
                    base, what, problem, attempt, START_TRIES, delay)
        await sleep(delay)


def _start_sender(services: Services, bot: Bot, limiter: TelegramRateLimiter, settings: Settings,
                  stop: asyncio.Event, payments: TelegramPayments) -> asyncio.Task:
    """The outbox sender, running until `stop`."""
    sender = telegram_sender(services, bot, limiter, settings, payments)
    return asyncio.create_task(sender.run_forever(stop), name="telegram-sender")


async def _set_commands(bot: Bot, services: Services, sleep: Sleep = asyncio.sleep) -> None:
    """In the background: a big campus's per-chat menus take a while to queue, and the sender paces them. A Bot API
    that does not answer (a network error, a 5xx, a 429) is tried again with backoff until it does, for as long as
    the service runs: otherwise nobody would get a menu until the next start (a chat whose menu was queued already
    is not queued twice)."""
    delays = Backoff(START_BACKOFF)
    while True:
        try:
            chats = await set_commands(bot, services)
            log.info("command menus set (%d per-chat menus queued for the sender)", chats)
            return
        except TelegramUnauthorizedError:
            return  # the token was revoked meanwhile: the service is stopping, and says why (api_watch.py)
        except RETRY_LATER as exc:
            problem, delay = failure_text(exc), retry_delay(exc, delays)
        except Exception:
            log.exception("could not set the command menus")
            return
        log.warning("could not set the command menus (%s): trying again in %.1f s", problem, delay)
        await sleep(delay)


async def run_telegram(settings: Settings, services: Services, *, stop: asyncio.Event | None = None,
                       handle_signals: bool = True, sleep: Sleep = asyncio.sleep,
                       polling_backoff: BackoffConfig = DEFAULT_BACKOFF_CONFIG,
                       ready: Callable[[], Awaitable[None]] | None = None) -> None:
    """Run until stopped (SIGINT/SIGTERM, or `stop` set). Polling unless telegram_webhook_url is set.

    A stop loses nothing Telegram handed over: first no more updates are taken (polling ends; the webhook server
    stops listening and answers the requests it has), then the updates being handled are waited for and the
    sender finishes the request on its way, within settings.telegram_stop_timeout; the session is closed last (and
    the caller closes the database after). A second signal quits at once. A start that cannot work raises
    TelegramStartError; `sleep` paces its tries while the Bot API cannot be reached. Telegram refusing the token
    while running (revoked in @BotFather) stops the same way, then raises TelegramStopped; a failed getUpdates
    (another process polling with the token: api_watch.py) is tried again with `polling_backoff`. `ready` runs
    once the payments an earlier process left unbooked are booked (bot.telegram.kept_payments), before any update
    is taken: the caller starts its timers there."""
    stop = stop or asyncio.Event()
    try:
        bot = make_bot(settings)
    except TokenValidationError as exc:
        raise TelegramStartError("TELEGRAM_TOKEN is not a bot token (it looks like 123456789:AAE…, as @BotFather "
                                 "gives it)", exit_code=2) from exc
    watch = BotApiWatch(services.clock)
    bot.session.middleware(watch)
    aiogram_log = logging.getLogger(AIOGRAM_LOGGER)
    aiogram_log.addFilter(watch.quiet)
    # One set of rate windows for the sender and for what the adapter posts in groups directly; a group upgraded to a
    # supergroup counts in the same windows under both ids.
    limiter = TelegramRateLimiter.for_redis(settings.redis_url, moves=services.chat_moves)
    dispatcher = build_dispatcher(services, bot, settings, limiter)
    dispatcher.errors.register(_unanswered, ExceptionTypeFilter(TelegramUnauthorizedError))
    allowed = dispatcher.resolve_used_update_types()
    try:
        me = await _at_start("getMe", bot.me, settings, sleep)
        log.info("Telegram bot @%s on %s", me.username, settings.telegram_api_base)
        watch.stop_on_refusal(stop)
        if handle_signals:
            _stop_on_signals(stop)
        await services.chat_moves.refresh(services.db, services.clock())  # halls and admin chats that moved
        await handle_kept(dispatcher, bot, services)  # before any new update, as Telegram sent them
        if ready is not None:  # the timers: not before the kept payments, which an unpaid-order timer would close
            await ready()
        commands = asyncio.create_task(_set_commands(bot, services, sleep), name="telegram-commands")
        sender_stop = asyncio.Event()
        sender = _start_sender(services, bot, limiter, settings, sender_stop,
                               dispatcher["telegram_adapter"].payments)
        try:
            if settings.telegram_webhook_url:
                await _run_webhook(dispatcher, bot, settings, allowed, stop, sleep)
            else:
                await _run_polling(dispatcher, bot, settings, allowed, stop, sleep, polling_backoff)
        finally:
            commands.cancel()
            await _finish(dispatcher["updates_in_flight"], sender, sender_stop, settings.telegram_stop_timeout)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await commands
        if watch.refused is not None:
            raise TelegramStopped(f"Telegram refused TELEGRAM_TOKEN while running ({watch.refused})")
    finally:
        aiogram_log.removeFilter(watch.quiet)
        await bot.session.close()


async def _unanswered(event: ErrorEvent) -> None:
    """An update whose answer Telegram refused for the token: revoked while it was handled, which stops the service
    and is logged once (api_watch.py), not with a traceback for each such update."""
    log.info("update %s: its answer was not sent (Telegram refused the token)", event.update.update_id)


def _stop_on_signals(stop: asyncio.Event) -> None:
    """SIGINT and SIGTERM set `stop`, once: a second one finds the default handlers again and quits at once."""
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)

    def on_signal(sig: signal.Signals) -> None:
        log.warning("%s: stopping (send it again to quit at once)", sig.name)
        stop.set()
        for s in signals:
            loop.remove_signal_handler(s)

    for sig in signals:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows, nor off the main thread
            loop.add_signal_handler(sig, on_signal, sig)


async def _finish(in_flight: UpdatesInFlight, sender: asyncio.Task, sender_stop: asyncio.Event,
                  timeout: float) -> None:
    """No more updates come in: wait for those being handled, then let the sender finish its request, within
    `timeout` seconds. An update still running then is cut off (its unit of work rolled back) and named in the log:
    Telegram will not send it again (a payment is kept, and handled at the next start: bot.telegram.kept_payments)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    log.info("stopping: waiting up to %g s for the updates being handled and the message being sent", timeout)
    unfinished = await in_flight.wait(timeout)
    if unfinished:
        log.error("stopping: updates %s were still being handled after %g s and are cut off; Telegram will not "
                  "send them again (a payment among them is handled at the next start)", unfinished, timeout)
        await in_flight.cut()
    sender_stop.set()
    try:
        await asyncio.wait_for(sender, max(deadline - loop.time(), LAST_SEND_S))
    except TimeoutError:
        log.warning("stopping: the outbox sender's request did not finish in time; its messages are due again")
    except Exception:
        log.exception("the outbox sender failed")


async def _run_polling(dispatcher: Dispatcher, bot: Bot, settings: Settings, allowed: list[str],
                       stop: asyncio.Event, sleep: Sleep, backoff: BackoffConfig) -> None:
    """Long-poll until `stop`; returns once no more updates are taken (those being handled carry on)."""
    # getUpdates is refused while a webhook is set
    await _at_start("deleteWebhook", lambda: bot.delete_webhook(drop_pending_updates=False), settings, sleep)
    polling = asyncio.create_task(dispatcher.start_polling(
        bot, allowed_updates=allowed, handle_signals=False, close_bot_session=False, backoff_config=backoff))
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not polling.done():
            try:
                await dispatcher.stop_polling()
            except RuntimeError:  # not polling yet
                polling.cancel()
        await asyncio.wait({polling})
    if not polling.cancelled():
        polling.result()  # polling's own failure, if it ended by one


async def _run_webhook(dispatcher: Dispatcher, bot: Bot, settings: Settings, allowed: list[str],
                       stop: asyncio.Event, sleep: Sleep) -> None:
    """Serve Telegram's POSTs until `stop`; returns once no more are taken (the updates they brought are still
    being handled). The webhook stays registered for the next start."""
    assert settings.telegram_webhook_url is not None
    host, port = settings.telegram_webhook_host, settings.telegram_webhook_port
    # At a stop, the server stops listening and answers the requests it already has, within the stop's timeout.
    runner = web.AppRunner(webhook_app(dispatcher, bot, settings), shutdown_timeout=settings.telegram_stop_timeout)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            raise TelegramStartError(f"cannot listen for the webhook on {host}:{port} ({exc.strerror})",
                                     exit_code=1) from exc
        except OverflowError as exc:  # a port past 65535, given other than through the settings (which refuse it)
            raise TelegramStartError(f"cannot listen for the webhook on {host}:{port} ({exc})", exit_code=2) from exc
        log.info("webhook listening on %s:%s for %s", host, port, settings.telegram_webhook_url)
        await _at_start("setWebhook", lambda: bot.set_webhook(
            url=settings.telegram_webhook_url, secret_token=webhook_secret(settings), allowed_updates=allowed,
            drop_pending_updates=False), settings, sleep)
        await stop.wait()
    finally:
        await runner.cleanup()
