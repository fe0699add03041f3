"""Running the Telegram channel: the bot on the configured Bot API server, its command menus, the outbox sender,
and updates by long polling (one process) or by webhook with a secret token (several processes)."""
from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web

from bot.settings import Settings
from bot.telegram.adapter import build_dispatcher
from bot.telegram.commands import named_operators, set_commands
from bot.telegram.sender import TelegramRateLimiter, TelegramSender, campus_chats
from bot.telegram.session import TelegramSession
from handlers.context import Services
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
    """The aiohttp application that receives Telegram's POSTs; a request without the secret gets 401."""
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application

    assert settings.telegram_webhook_url is not None
    app = web.Application()
    path = urlsplit(settings.telegram_webhook_url).path or "/"
    SimpleRequestHandler(dispatcher=dispatcher, bot=bot, secret_token=webhook_secret(settings)).register(app, path=path)
    setup_application(app, dispatcher, bot=bot)
    return app


def telegram_sender(services: Services, bot: Bot, limiter: TelegramRateLimiter) -> TelegramSender:
    """The outbox sender for this channel, delivering what the handlers wrote (command-menu refreshes too). With
    Redis, every process shares one set of Telegram rate windows; without it, this process keeps its own (fine for
    one process). A runner it finds unreachable is reported to the operators of the orders they run."""
    return TelegramSender(services.db, bot, services.clock, limiter=limiter,
                          operators=named_operators(services.campuses.values()), cipher=services.cipher,
                          staff_chats=campus_chats(services.campuses.values()),
                          unreachable=functools.partial(unreachable, services))


def _start_sender(services: Services, bot: Bot, limiter: TelegramRateLimiter) -> asyncio.Task:
    sender = telegram_sender(services, bot, limiter)
    return asyncio.create_task(sender.run_forever(), name="telegram-sender")


async def _set_commands(bot: Bot, services: Services) -> None:
    """In the background: a big campus's per-chat menus take a while to queue, and the sender paces them."""
    try:
        chats = await set_commands(bot, services)
        log.info("command menus set (%d per-chat menus queued for the sender)", chats)
    except Exception:
        log.exception("could not set the command menus")


async def run_telegram(settings: Settings, services: Services, *, stop: asyncio.Event | None = None,
                       handle_signals: bool = True) -> None:
    """Run until stopped (a signal, or `stop` set). Polling unless telegram_webhook_url is set."""
    bot = make_bot(settings)
    # One set of rate windows for the sender and for what the adapter posts in groups directly.
    limiter = TelegramRateLimiter.for_redis(settings.redis_url)
    dispatcher = build_dispatcher(services, bot, settings, limiter)
    allowed = dispatcher.resolve_used_update_types()
    background: list[asyncio.Task] = []
    try:
        me = await bot.me()
        log.info("Telegram bot @%s on %s", me.username, settings.telegram_api_base)
        background.append(asyncio.create_task(_set_commands(bot, services), name="telegram-commands"))
        background.append(_start_sender(services, bot, limiter))
        if settings.telegram_webhook_url:
            await _run_webhook(dispatcher, bot, settings, allowed, stop, handle_signals)
        else:
            await _run_polling(dispatcher, bot, allowed, stop, handle_signals)
    finally:
        for task in background:
            task.cancel()
        for task in background:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await bot.session.close()


async def _run_polling(dispatcher: Dispatcher, bot: Bot, allowed: list[str], stop: asyncio.Event | None,
                       handle_signals: bool) -> None:
    await bot.delete_webhook(drop_pending_updates=False)  # getUpdates is refused while a webhook is set
    polling = asyncio.create_task(dispatcher.start_polling(
        bot, allowed_updates=allowed, handle_signals=handle_signals, close_bot_session=False))
    if stop is None:
        await polling
        return
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not polling.done():
        with contextlib.suppress(RuntimeError):
            await dispatcher.stop_polling()
        await polling
    stopping.cancel()


async def _run_webhook(dispatcher: Dispatcher, bot: Bot, settings: Settings, allowed: list[str],
                       stop: asyncio.Event | None, handle_signals: bool) -> None:
    """Serve Telegram's POSTs until `stop` (or SIGINT/SIGTERM); the webhook stays registered for the next start."""
    assert settings.telegram_webhook_url is not None
    app = webhook_app(dispatcher, bot, settings)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, settings.telegram_webhook_host, settings.telegram_webhook_port)
    await site.start()
    log.info("webhook listening on %s:%s for %s", settings.telegram_webhook_host, settings.telegram_webhook_port,
             settings.telegram_webhook_url)
    if stop is None:
        stop = asyncio.Event()
    if handle_signals:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
    try:
        await bot.set_webhook(url=settings.telegram_webhook_url, secret_token=webhook_secret(settings),
                              allowed_updates=allowed, drop_pending_updates=False)
        await stop.wait()
    finally:
        await runner.cleanup()
