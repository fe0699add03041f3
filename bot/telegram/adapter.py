"""The Telegram adapter: a platform update becomes a neutral Input, App.handle runs it, the Replies are rendered.

No business rules here. What is Telegram's own stays here: answering every button press, the pre-checkout answer,
invoices, live-location edits, and reaching people privately (a hall press is answered in the presser's private
chat; someone who never started the bot cannot be written to, so their press is refused before it reaches the
handlers and the order stays open). In a campus admin chat, commands and button presses are answered in the chat
itself, for every operator to see, within the group's rate windows (group_replies.py); who may act there is the
handlers' decision. A group upgraded to a supergroup (its service messages) moves the campus's hall or admin chat
to the new id (storage.chat_moves), which is then the one recognised here. Its earlier messages stay in the old
group (the supergroup's history shows them), so a press on one comes from the old id: it is taken as coming from
the chat the group is now, answered there, and the pressed message is edited where it is.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher, Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError, TelegramMigrateToChat
from aiogram.types import (
    CallbackQuery,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    PreCheckoutQuery,
    ReplyParameters,
    SuccessfulPayment,
    TelegramObject,
    Update,
)
from aiogram.utils.backoff import Backoff, BackoffConfig
from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.settings import Settings
from bot.telegram import convert, kept_payments
from bot.telegram.commands import set_group_menus
from bot.telegram.group_replies import GroupReplies, replaced_pieces
from bot.telegram.in_flight import UpdatesInFlight
from bot.telegram.live_location import live_update
from bot.telegram.payments import COUPON_GONE, CURRENCY, TelegramPayments, invoice_target
from bot.telegram.render import ANSWER_LIMIT, Renderer, call, is_error, short, telegram_length
from bot.telegram.response_models import keep_response_models
from bot.telegram.sender import Sleep, TelegramRateLimiter, campus_chats, chat_moved
from bot.telegram.transient import RETRY_LATER
from bot.telegram.users import Known, guess_language, lookup, mark_not_started
from core.campus import Campus
from core.money import format_yuan
from handlers.app import App, too_fast
from handlers.context import Services, question_shown
from handlers.hall import WON
from handlers.io import Input, Kind, Reply, update_key
from handlers.notify import Notifier, telegram_chat
from handlers.start import JOIN_PREFIX
from locales import Catalogue, catalogue
from storage import cards
from storage.db import conflicted
from storage.dedupe import DatabaseSeenKeys, first_time_in
from storage.models import User
from storage.outbox import edited_later
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
# Answered with the chat's id in a group no campus file names: how an operator learns the id to put there.
CHAT_ID_COMMANDS = frozenset({"chatid", "start"})

# A charge whose booking meets a database that is down, locked or restarting is tried again, about 15 s in all.
PAYMENT_TRIES = 5
PAYMENT_BACKOFF = BackoffConfig(min_delay=1.0, max_delay=8.0, factor=2.0, jitter=0.1)
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError, PoolTimeout, OSError)



class _Answer:
    """A callback query is answered exactly once, whatever happens while it is handled."""

    def __init__(self, bot: Bot, query: CallbackQuery) -> None:
        self.bot = bot
        self.query = query
        self.done = False

    async def __call__(self, text: str | None = None, *, alert: bool = False, url: str | None = None) -> None:
        """url: a t.me link to our bot, which the presser's client opens (Telegram allows no other)."""
        if self.done:
            return
        self.done = True
        try:
            await call(self.bot.answer_callback_query, callback_query_id=self.query.id,
                       text=short(text) if text else None, show_alert=alert or None, url=url)
        except TelegramAPIError as exc:  # too late (the query expired): nothing more to do
            log.info("could not answer callback %s: %s", self.query.id, exc)


class OnePerUser(BaseMiddleware):
    """One update at a time per person, in the order Telegram sent them (typing fast must not reorder a
    conversation); different people still run concurrently. Pre-checkout queries never wait (10 s limit)."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, list[int]]] = {}

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        if user is None or (isinstance(event, Update) and event.pre_checkout_query is not None):
            return await handler(event, data)
        lock, users = self._locks.setdefault(user.id, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                return await handler(event, data)
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._locks[user.id]


class TelegramAdapter:
    def __init__(self, services: Services, bot: Bot, settings: Settings,
                 limiter: TelegramRateLimiter | None = None) -> None:
        """limiter: the outbox sender's rate windows (app.py passes the same one), for what we post in groups."""
        self.services = services
        self.bot = bot
        self.app = App(services)
        self.limiter = limiter or TelegramRateLimiter(moves=services.chat_moves)
        token = settings.telegram_payment_token.get_secret_value() if settings.telegram_payment_token else None
        self.payments = TelegramPayments(services, bot, token, min_amount=settings.telegram_invoice_min_fen,
                                         max_amount=settings.telegram_invoice_max_fen)
        self.renderer = Renderer(bot)
        self.group_replies = GroupReplies(services, bot, self.limiter, self.group_moved)  # the admin chats' answers
        self.router = self._router()
        self.sleep: Sleep = asyncio.sleep  # between tries of a charge's booking; tests record it instead
        self.unknown_groups_logged: set[int] = set()  # groups no campus names, their id logged once a process

    # The campuses' chats by the ids they have now (a group upgraded to a supergroup answers from a new one), read
    # at each use: a move this process or another learns changes them.

    @property
    def admin_chats(self) -> set[int]:
        chats = (telegram_chat(self.services, c.channels.telegram_admin_chat_id)
                 for c in self.services.campuses.values())
        return {chat for chat in chats if chat is not None}

    def chat_now(self, chat_id: int) -> int:
        """The id a chat has now: a group upgraded to a supergroup is the supergroup (storage.chat_moves)."""
        return int(self.services.chat_moves.resolve(convert.CHANNEL, str(chat_id)))

    @property
    def hall_campus(self) -> dict[int, str]:
        """Whose hall a group is: someone sent over from it to start the bot joins that campus."""
        halls = ((telegram_chat(self.services, c.channels.telegram_hall_chat_id), c.id)
                 for c in self.services.campuses.values())
        return {chat: campus for chat, campus in halls if chat is not None}

    def _router(self) -> Router:
        router = Router(name="paotui")
        # One handler each, choosing by content in Python: aiogram runs a synchronous filter (F.text …) in a worker
        # thread, a hop of about 40 µs, and a text message went through four of them.
        router.message.register(self.on_message)
        router.edited_message.register(self.on_edited_message)
        router.callback_query.register(self.on_callback)
        router.pre_checkout_query.register(self.on_pre_checkout)
        return router

    # --- who ---------------------------------------------------------------------------------------------
    async def _known(self, user_id: int, language_code: str | None = None) -> Known:
        return await lookup(self.services.db, user_id, language_code=language_code,
                            default_language=self.services.default_campus.language)

    def unknown_group(self, message: Message) -> bool:
        """A group no campus file names as its hall or admin chat (its id logged the first time, once a process, so
        an operator setting up a campus can read it there)."""
        chat = self.chat_now(message.chat.id)
        if chat in self.admin_chats or chat in self.hall_campus:
            return False
        if chat not in self.unknown_groups_logged:
            self.unknown_groups_logged.add(chat)
            log.warning("a message in group %s (%r), which no campus file names: to make it a task hall or admin "
                        "chat, put %s in the campus file's channels", chat, message.chat.title, chat)
        return True

    async def _tell_chat_id(self, message: Message, chat: int) -> None:
        """/chatid or /start in a group no campus names: its id, to put in the campus file. Within the group's rate
        windows, once per update, as _ask_to_start_in_group."""
        if not await self.limiter.acquire(chat):
            return
        t = catalogue(self.services.default_campus.language)
        try:
            await call(self.bot.send_message, chat_id=chat, text=t("tg-group-chat-id", chat=str(chat)),
                       reply_parameters=ReplyParameters(message_id=message.message_id,
                                                        allow_sending_without_reply=True))
        except TelegramAPIError as exc:  # removed from the group, no right to post: the log line names the id
            log.info("could not tell group %s its id: %s", chat, exc)

    def group_campus(self, group_id: int) -> Campus:
        """The campus whose hall a group is (any other group: the default campus)."""
        return self.services.campuses[self.hall_campus.get(self.chat_now(group_id), self.services.default_campus.id)]

    async def start_link(self, group_id: int) -> str:
        """The link that opens the bot for someone in this group: t.me/<bot>?start=c-<campus> (the group's campus,
        which a newcomer joins: handlers/start.py)."""
        me = await self.bot.me()
        return f"https://t.me/{me.username}?start={JOIN_PREFIX}{self.group_campus(group_id).id}"

    # --- replies -----------------------------------------------------------------------------------------
    async def _reply_private(self, chat_id: int, user_id: int, replies: list[Reply], *,
                             edit: Message | None = None, t: Catalogue | None = None) -> None:
        if not replies:
            return
        invoices = await self.payments.invoiceable(replies)  # reads only for a reply with a pay button
        if t is None and (invoices or any(r.shares or r.location_done for r in replies)):
            t = (await self._known(user_id)).t  # only invoice, location and phone buttons need the person's language
        if t is not None:
            replies = self.payments.offer(replies, invoices, t)
        pieces = await replaced_pieces(self.services.db, chat_id, replies)  # a private card in pieces too
        shown = await self.renderer.send(chat_id, replies, t or catalogue(self.services.default_campus.language),
                                         edit=edit, pieces=pieces)
        if shown:  # a question's step's end takes its buttons away (Ctx.settle_question); a card's decision too
            now = self.services.clock()
            async with UnitOfWork(self.services.db) as uow:
                for s in shown:
                    if s.reply.question is not None:
                        await question_shown(uow.session, convert.CHANNEL, str(user_id), s.reply.question,
                                             str(s.message), now)
                    if s.reply.card is not None:
                        await cards.shown(uow.session, convert.CHANNEL, str(chat_id), s.reply.card, str(s.message),
                                          now)
                    if s.earlier:  # what replaces it later replaces them too (render.spread)
                        await cards.pieces_shown(uow.session, convert.CHANNEL, str(chat_id), str(s.message),
                                                 [str(m) for m in s.earlier], now)

    async def _answer_privately(self, chat_id: int, user_id: int, replies: list[Reply], *,
                                edit: Message | None = None) -> None:
        """Replies in the person's own chat; if they blocked the bot meanwhile, remember it and go on."""
        try:
            await self._reply_private(chat_id, user_id, replies, edit=edit)
        except TelegramForbiddenError:
            log.info("user %s blocked the bot", user_id)
            await mark_not_started(self.services, user_id)

    async def _reachable(self, known: Known, user_id: int) -> bool:
        """May we write to this person privately? Known and started, and Telegram does not refuse a chat action
        (it answers 403 once they blocked the bot): checked before a hall action, so nobody wins an order whose
        details cannot reach them."""
        if not (known.exists and known.started):
            return False
        try:
            await call(self.bot.send_chat_action, chat_id=user_id, action="typing")
        except TelegramForbiddenError:
            await mark_not_started(self.services, user_id)
            return False
        return True

    async def _too_fast(self, user_id: int) -> bool:
        """What the adapter answers itself (an edit, the invoice button) is held to the person's pace as every input
        is (handlers.app)."""
        return await too_fast(self.services, convert.CHANNEL, str(user_id))

    async def _ask_to_start_in_group(self, message: Message) -> None:
        """A command in the hall from someone we cannot write to privately: a button that opens the bot, in the
        campus's language, as everything posted in the hall (handlers.notify.answer_language).

        It goes out directly, but only within the group's rate windows, which are the outbox sender's own (shared
        limiter): the request only helps as an immediate reply to the command, so queueing it in the outbox would
        deliver it late and, for a crowd, keep filling the hall for minutes. When the group's budget is used up we
        say nothing, so the hall never passes Telegram's limit and new orders keep their share of it."""
        assert message.from_user is not None
        chat = self.chat_now(message.chat.id)
        throttle = self.services.throttle
        who = f"{convert.CHANNEL}:{message.from_user.id}"
        if throttle is not None and not await throttle.tell("start-request", who):
            return  # asked once a minute at most: one person repeating a command must not fill the hall
        if not await self.limiter.acquire(chat):
            log.info("group %s is at its rate limit: no start request for %s", chat, message.from_user.id)
            return
        t = catalogue(self.group_campus(message.chat.id).language)
        markup = InlineKeyboardMarkup(inline_keyboard=[[
            InlineKeyboardButton(text=t("tg-open-bot"), url=await self.start_link(chat))]])
        # A command sent in the group before it became a supergroup is answered in the supergroup, unquoted: its id is
        # the old group's, and there it names another message.
        quote = (ReplyParameters(message_id=message.message_id, allow_sending_without_reply=True)
                 if chat == message.chat.id else None)
        text = t("tg-start-first-group", name=message.from_user.first_name)
        try:
            await call(self.bot.send_message, chat_id=chat, text=text, reply_markup=markup, reply_parameters=quote)
        except TelegramMigrateToChat as exc:
            # The group became a supergroup after the command was sent, and we learn it only now (its service
            # messages not read yet): asked there, once, unquoted as above.
            await self.group_moved(chat, exc.migrate_to_chat_id)
            await call(self.bot.send_message, chat_id=exc.migrate_to_chat_id, text=text, reply_markup=markup)

    def _in_chat_now(self, inp: Input) -> Input:
        """A group's input as from the chat the group is now (a supergroup it was upgraded to), so the handlers
        know it for the campus's hall or admin chat, and a question asked there is answered there. A message it
        acts on is then the old group's, whose id the supergroup gives another message: not named to them."""
        assert inp.chat is not None
        now = str(self.chat_now(int(inp.chat)))
        return inp if now == inp.chat else dataclasses.replace(inp, chat=now, message=None)

    # --- messages ----------------------------------------------------------------------------------------
    async def on_message(self, message: Message, event_update: Update) -> Any:
        if message.migrate_to_chat_id or message.migrate_from_chat_id:
            return await self.on_group_upgraded(message)
        if convert.from_bot(message):
            return UNHANDLED
        if convert.is_group(message.chat):
            self.unknown_group(message)  # its id logged, for the campus file
        if message.successful_payment:
            return await self.on_successful_payment(message, event_update)
        if message.location:
            return await self.on_location(message, event_update)
        if message.photo:
            return await self.on_photo(message, event_update)
        if message.contact:
            return await self.on_contact(message, event_update)
        if message.text:
            return await self.on_text(message, event_update)
        if (inp := convert.other_input(message, event_update.update_id)) is not None:
            return await self._answer_privately(message.chat.id, message.chat.id, await self.app.handle(inp))
        return UNHANDLED

    async def on_group_upgraded(self, message: Message) -> None:
        """A group became a supergroup, a new chat: the old group's last message names the new id
        (migrate_to_chat_id), the supergroup's first names the old one (migrate_from_chat_id). Either one moves
        the group (group_moved)."""
        if message.migrate_to_chat_id:
            old, new = message.chat.id, message.migrate_to_chat_id
        else:
            old, new = message.migrate_from_chat_id, message.chat.id
        await self.group_moved(old, new)

    async def group_moved(self, old: int, new: int) -> None:
        """Group `old` is supergroup `new` (its service messages say so, or Telegram refusing the old id to an answer
        sent there): what waits for the old id goes there, and a campus's hall or admin chat is known by its new id
        from now on (and gets its menu again); the operator is told to update the campus file."""
        campus_groups = {str(c) for c in campus_chats(self.services.campuses.values())}
        known = self.services.chat_moves.known(convert.CHANNEL, str(old), str(new))
        await chat_moved(self.services.db, self.services.chat_moves, old, new, self.services.clock(),
                         staff_chats=campus_groups)
        if not known and str(old) in campus_groups:
            try:
                await set_group_menus(self.bot, self.services)
            except RETRY_LATER as exc:  # the move is recorded; the menu comes at the next start
                log.warning("no command menu for moved group %s yet: %s", new, exc)

    async def on_edited_message(self, message: Message, event_update: Update) -> Any:
        if convert.from_bot(message):
            return UNHANDLED
        if message.location:  # a later position of a live location (one forwarded is not the sender's: ignored)
            if not convert.is_live_location(message, edited=True):
                return UNHANDLED
            return await self.on_live_location_edit(message, event_update)
        if convert.is_private(message.chat) and message.from_user is not None and (message.text or message.caption):
            return await self.on_edited_text(message, event_update)
        return UNHANDLED

    async def on_edited_text(self, message: Message, event_update: Update) -> None:
        """Edits are not read (the original may have been acted on already): say so, under the edited message, so a
        corrected room number is sent again rather than assumed taken. Once per update, as App.handle would."""
        assert message.from_user is not None
        key = update_key(convert.CHANNEL, event_update.update_id)
        if not await DatabaseSeenKeys(self.services.db).first_time(key, self.services.clock()):
            return
        if await self._too_fast(message.from_user.id):  # held like any input (handlers.app): silent past the limit
            return
        known = await self._known(message.from_user.id, message.from_user.language_code)
        try:
            await call(self.bot.send_message, chat_id=message.chat.id, text=known.t("tg-edit-not-read"),
                       reply_parameters=ReplyParameters(message_id=message.message_id,
                                                        allow_sending_without_reply=True))
        except TelegramForbiddenError:
            await mark_not_started(self.services, message.from_user.id)

    async def on_text(self, message: Message, event_update: Update) -> None:
        username = (await self.bot.me()).username if convert.is_group(message.chat) else None
        inp = convert.text_input(message, event_update.update_id, username,
                                 answers_in_group=self.chat_now(message.chat.id) in self.admin_chats)
        if inp is None:
            return
        if inp.chat is not None:
            await self._group_command(message, self._in_chat_now(inp))
            return
        await self._answer_privately(message.chat.id, message.chat.id, await self.app.handle(inp))

    async def _group_command(self, message: Message, inp: Input) -> None:
        assert message.from_user is not None
        chat = self.chat_now(message.chat.id)
        if chat in self.admin_chats:  # operators moderate here: the answer is for the whole chat
            replies = await self.app.handle(inp)
            # An answer to one of the bot's questions may take the question's place (its Cancel button goes).
            question = message.reply_to_message if inp.answers is not None else None
            try:
                await self.group_replies.send(chat, replies, origin=reply_origin(inp), edit=question)
            except TelegramForbiddenError:  # the bot was removed from the chat (as _admin_press)
                log.warning("cannot write to admin chat %s", chat)
            return
        if inp.kind is Kind.command and inp.command in CHAT_ID_COMMANDS and self.unknown_group(message):
            if inp.update_key is None or await DatabaseSeenKeys(self.services.db).first_time(
                    inp.update_key, self.services.clock()):
                await self._tell_chat_id(message, chat)
            return
        if inp.kind is not Kind.command or not self.app.knows_command(inp.command or ""):
            return  # another bot's command, or chatter: not ours to answer, least of all in the hall
        if self.app.relays_text(inp.command or ""):  # refused (handlers.app.route): the whole group read its text
            await self._delete_in_group(message, chat)
        known = await self._known(message.from_user.id, message.from_user.language_code)
        if not await self._reachable(known, message.from_user.id):
            # App.handle never sees this update, so its repeat check is made here (same key: one or the other).
            if inp.update_key is None or await DatabaseSeenKeys(self.services.db).first_time(
                    inp.update_key, self.services.clock()):
                await self._ask_to_start_in_group(message)
            return
        replies = await self.app.handle(dataclasses.replace(inp, answered_privately=True))
        try:
            await self._reply_private(message.from_user.id, message.from_user.id, replies)
        except TelegramForbiddenError:
            await mark_not_started(self.services, message.from_user.id)
            await self._ask_to_start_in_group(message)

    async def _delete_in_group(self, message: Message, chat: int) -> None:
        """Take the message out of the group, so its text is read no longer, where the bot may: a group's admin can
        delete anyone's message there (for 48 hours), others none; a refusal or a failure leaves it, said in the log.
        Paced like the sender's deletions (the overall second, not the group's minute: it posts nothing)."""
        if not await self.limiter.acquire(chat, group=False, burst=True):
            log.info("no slot to delete message %s in group %s", message.message_id, chat)
            return
        try:
            await call(self.bot.delete_message, chat_id=message.chat.id, message_id=message.message_id)
        except TelegramAPIError as exc:
            log.info("could not delete message %s in group %s: %s", message.message_id, message.chat.id, exc)

    async def on_location(self, message: Message, event_update: Update) -> None:
        if not convert.is_private(message.chat):
            return
        if convert.is_live_location(message):
            replies = await live_update(self.services, message, event_update.update_id, first=True,
                                        plain=self.app.handle)
        else:
            inp = convert.location_input(message, event_update.update_id)
            replies = await self.app.handle(inp) if inp is not None else []
        await self._answer_privately(message.chat.id, message.chat.id, replies)

    async def on_live_location_edit(self, message: Message, event_update: Update) -> None:
        """A later position of a live location: stored (or not), silently unless it starts being kept."""
        if convert.is_private(message.chat):
            replies = await live_update(self.services, message, event_update.update_id, first=False,
                                        plain=self.app.handle)
            await self._answer_privately(message.chat.id, message.chat.id, replies)

    async def on_photo(self, message: Message, event_update: Update) -> None:
        inp = convert.photo_input(message, event_update.update_id)
        if inp is not None:
            await self._answer_privately(message.chat.id, message.chat.id, await self.app.handle(inp))

    async def on_contact(self, message: Message, event_update: Update) -> None:
        inp = convert.contact_input(message, event_update.update_id)
        if inp is not None:
            await self._answer_privately(message.chat.id, message.chat.id, await self.app.handle(inp))

    async def on_successful_payment(self, message: Message, event_update: Update) -> None:
        """Telegram charged the person: in CNY the money is booked to their wallet, paying the order it names if
        that still waits for it (handlers/wallet.py); in another currency it cannot be booked (_unbookable_payment)."""
        assert message.successful_payment is not None
        inp = convert.payment_input(message, message.successful_payment, event_update.update_id)
        if inp is None or message.successful_payment.currency != CURRENCY:
            await self._unbookable_payment(message, message.successful_payment)
            return
        # The outcome replaces the order card the invoice was asked from (its Pay buttons would only be refused
        # now), as a wallet payment replaces it.
        card_id = convert.card_from_payload(message.successful_payment.invoice_payload)
        card = (Message(message_id=card_id, date=message.date, chat=message.chat)
                if card_id is not None and convert.is_private(message.chat) else None)  # the card is in their chat
        replies = await self._book_payment(inp, message.successful_payment,
                                           message.from_user.language_code if message.from_user else None)
        await self._answer_privately(message.chat.id, message.chat.id, replies, edit=card)

    async def _book_payment(self, inp: Input, payment: SuccessfulPayment, language_code: str | None) -> list[Reply]:
        """Book a charge (App.handle). Telegram sends it once: an update that fails is not sent again, so a database
        that fails now (down, locked, restarting) is tried again with backoff, its transaction rolled back each
        time (the charge's key is written with the booking, so a retry never books twice). If it still fails, or
        fails otherwise, the money was taken and nothing booked: the charge is logged as an error with all it takes
        to book it by hand, the operators are alerted if the database takes that, and the payer is told."""
        backoff = Backoff(PAYMENT_BACKOFF)
        failure: Exception | None = None
        for attempt in range(1, PAYMENT_TRIES + 1):
            try:
                return await self.app.handle(inp)
            except Exception as exc:  # noqa: BLE001 - a bug must not swallow a charge: it is logged and told below
                failure = exc
                passing = isinstance(exc, TRANSIENT_DATABASE_ERRORS) or conflicted(exc)
                if not passing or attempt == PAYMENT_TRIES:
                    break
                log.warning("booking Telegram payment %s failed (%s); trying again",
                            payment.telegram_payment_charge_id, exc)
                await self.sleep(next(backoff))
        log.error("UNBOOKED Telegram payment %s (provider %s): payload %r, %s %s, Telegram user %s; book it by hand",
                  payment.telegram_payment_charge_id, payment.provider_payment_charge_id, payment.invoice_payload,
                  payment.total_amount, payment.currency, inp.user, exc_info=failure)
        try:
            await self._alert_operators(inp.user, "tg-pay-not-booked-operators", f"{charge_key(payment)}:unbooked",
                                        charge=payment.telegram_payment_charge_id,
                                        provider_charge=payment.provider_payment_charge_id,
                                        amount=format_yuan(payment.total_amount),
                                        payload=payment.invoice_payload[:64], user=inp.user)
        except Exception:  # noqa: BLE001 - the database still fails: the error line above is what is left
            log.warning("could not alert the operators of unbooked payment %s", payment.telegram_payment_charge_id,
                        exc_info=True)
        try:
            t = (await self._known(int(inp.user), language_code)).t
        except Exception:  # noqa: BLE001 - no database to read their language from: the one Telegram gives
            t = catalogue(guess_language(language_code, self.services.default_campus.language))
        return [Reply(key="tg-pay-not-booked", text=t("tg-pay-not-booked", charge=payment.telegram_payment_charge_id,
                                                      amount=format_yuan(payment.total_amount)))]

    async def _unbookable_payment(self, message: Message, payment: SuccessfulPayment) -> None:
        """Telegram charged the person in a currency the ledger does not keep (it counts fen of CNY), or with no
        payer to credit: nothing can be booked. The campus operators are alerted through the outbox, to refund it,
        and the payer is told. Once per charge, whatever update brings it again (the check and the alert commit
        together): one alert, one refund."""
        log.error("unbookable Telegram payment %s: payload %r, %s %s", payment.telegram_payment_charge_id,
                  payment.invoice_payload, payment.total_amount, payment.currency)
        user_id = message.from_user.id if message.from_user is not None else message.chat.id
        if not await self._alert_operators(
                str(user_id), "tg-pay-unbookable-operators", charge_key(payment),
                charge=payment.telegram_payment_charge_id, provider_charge=payment.provider_payment_charge_id,
                minor=str(payment.total_amount), currency=payment.currency, payload=payment.invoice_payload[:64],
                user=str(user_id)):
            return
        known = await self._known(user_id, message.from_user.language_code if message.from_user else None)
        reply = Reply(key="tg-pay-unbookable",
                      text=known.t("tg-pay-unbookable", charge=payment.telegram_payment_charge_id))
        await self._answer_privately(message.chat.id, user_id, [reply])

    async def _alert_operators(self, payer: str, key: str, once: str, **args: str) -> bool:
        """Alert the operators of the campus of `payer` (a Telegram user id), through the outbox, once per `once`
        whatever update brings it again (the check and the alert commit together); False when it was done already."""
        now = self.services.clock()
        async with UnitOfWork(self.services.db) as uow:
            if not await first_time_in(uow.session, once, now):
                return False
            campus_id = await uow.session.scalar(select(User.campus_id).where(
                User.channel == convert.CHANNEL, User.external_id == payer))
            campus = self.services.campuses.get(campus_id or "", self.services.default_campus)
            await Notifier(self.services, uow, now, origin=f"tg-alert:{once}").operators(campus, key, **args)
        return True

    # --- buttons -----------------------------------------------------------------------------------------
    async def on_callback(self, query: CallbackQuery, event_update: Update) -> None:
        answer = _Answer(self.bot, query)
        try:
            await self._callback(query, event_update, answer)
        finally:
            await answer()  # every press is answered, even when handling it failed

    async def _callback(self, query: CallbackQuery, event_update: Update, answer: _Answer) -> None:
        inp = convert.choice_input(query, event_update.update_id)
        if inp is None:
            log.warning("refused callback data %r from %s", query.data, query.from_user.id)
            known = await self._known(query.from_user.id, query.from_user.language_code)
            await answer(known.t("tg-bad-button"))
            return
        if inp.chat is not None:
            chat = self.chat_now(int(inp.chat))
            if chat in self.admin_chats:
                await self._admin_press(query, chat, self._in_chat_now(inp), answer)
            else:
                await self._hall_press(query, self._in_chat_now(inp), answer)
            return
        payable = invoice_target(inp.choice)
        if payable is not None:
            order_id = payable.order_id
            seen = DatabaseSeenKeys(self.app.services.db)
            if inp.update_key is not None and not await seen.first_time(inp.update_key, self.app.services.clock()):
                await answer()  # a repeated update: the invoice was sent the first time
                return
            known = await self._known(query.from_user.id, query.from_user.language_code)
            if await self._too_fast(query.from_user.id):  # each press would send another invoice
                await answer(known.t("error-too-fast"))
                return
            if not self.payments.enabled:
                await answer(known.t("tg-bad-button"))
                return
            card = await self._receipt_in(query.message)
            refused = await self.payments.send_invoice(query.from_user.id, payable, known.t, card)
            if refused is not None and refused.key == COUPON_GONE:
                await self._coupon_gone(query, inp, order_id, answer, known.t)
                return
            await answer(refused.text if refused else None, alert=refused is not None)
            return
        rest = await _answer_press(answer, await self.app.handle(inp))
        message = query.message if isinstance(query.message, Message) else None
        chat_id = message.chat.id if message is not None else query.from_user.id
        await self._answer_privately(chat_id, query.from_user.id, rest, edit=message)

    async def _receipt_in(self, message: Message | InaccessibleMessage | None) -> int | None:
        """The message an invoice's receipt replaces: the one it was asked from, unless the outbox sent that under
        an edit key (a goods difference's asking message), whose own later edit (the request's end, committed with
        the payment) would overwrite the receipt: then the receipt is a message of its own."""
        if not isinstance(message, Message):
            return None
        async with UnitOfWork(self.services.db, write=False) as uow:
            if await edited_later(uow.session, convert.CHANNEL, f"{message.chat.id}:{message.message_id}"):
                return None
        return message.message_id

    async def _coupon_gone(self, query: CallbackQuery, inp: Input, order_id: int, answer: _Answer,
                           t: Catalogue) -> None:
        """The invoice of an order priced with a coupon that can no longer be counted could never be paid: the order's
        card takes the pressed message's place, offering its full price without the coupon, or cancelling it
        (handlers/tracking.py), so no Pay button that could only be refused stays up; the press says why."""
        await answer(t("tg-pay-coupon-gone-card", order=order_id))
        view = dataclasses.replace(inp, choice=f"o:{order_id}:view", update_id=None)  # the invoice press was the update
        replies = [dataclasses.replace(r, edit=not is_error(r)) for r in await self.app.handle(view)]
        message = query.message if isinstance(query.message, Message) else None
        await self._answer_privately(query.from_user.id, query.from_user.id, replies, edit=message)

    async def _admin_press(self, query: CallbackQuery, chat_id: int, inp: Input, answer: _Answer) -> None:
        """A button in a campus admin chat, like a command there: the handlers decide (operators only) and the
        answer is for the whole chat. The outcome replaces the pressed message where the handler says so (a
        decided application), so no other operator still sees live buttons; a refusal is a toast and changes
        nothing. No private chat is needed."""
        rest = await _answer_press(answer, await self.app.handle(inp))
        message = query.message if isinstance(query.message, Message) else None
        try:
            await self.group_replies.send(chat_id, rest, origin=reply_origin(inp), edit=message)
        except TelegramForbiddenError:  # the bot was removed from the chat
            log.warning("cannot write to admin chat %s", chat_id)

    async def _hall_press(self, query: CallbackQuery, inp: Input, answer: _Answer) -> None:
        """A button in the task hall: answered privately. Someone the bot cannot write to is stopped here."""
        known = await self._known(query.from_user.id, query.from_user.language_code)
        if not await self._reachable(known, query.from_user.id):
            await answer(known.t("tg-start-first"), url=await self.start_link(hall_of(query)))  # the press opens the bot
            return
        replies = await self.app.handle(inp)
        errors = [r for r in replies if is_error(r)]
        rest = [r for r in replies if not is_error(r)]
        if [r.key for r in rest] == [WON] and not rest[0].location_done:
            # The details message (the outbox's) is on its way to the private chat: the toast says the grab was won,
            # with no message of its own there just before it saying the same.
            await answer(known.t("tg-grab-won", order=str(rest[0].args.get("order", ""))))
            return
        try:
            await self._reply_private(query.from_user.id, query.from_user.id, rest, t=known.t)
        except TelegramForbiddenError:
            await mark_not_started(self.services, query.from_user.id)
            await answer(known.t("tg-start-first"), url=await self.start_link(hall_of(query)))
            return
        if errors:
            await answer(errors[0].text)
        elif rest:
            await answer(known.t("tg-sent-privately"))

    # --- payments ----------------------------------------------------------------------------------------
    async def on_pre_checkout(self, query: PreCheckoutQuery) -> None:
        await self.payments.answer_pre_checkout(query)


def charge_key(payment: SuccessfulPayment) -> str:
    """The processed-update key of a Telegram charge: a charge delivered again, under any update id, is one."""
    return update_key(convert.CHANNEL, f"charge:{payment.telegram_payment_charge_id}")


def reply_origin(inp: Input) -> str:
    """What names the queued rows of an answer: its update (a repeat is not answered again), else a fresh id."""
    return inp.update_key or uuid.uuid4().hex


def hall_of(query: CallbackQuery) -> int:
    """The group a hall button was pressed in."""
    return query.message.chat.id if query.message is not None else 0


async def _answer_press(answer: _Answer, replies: list[Reply]) -> list[Reply]:
    """Answers the press: a refusal as a toast on the pressed button (one too long for a toast, or one that takes
    the location button away, which a toast cannot, is also sent as a message). Returns the replies still to send."""
    errors = [r for r in replies if is_error(r)]
    rest = [r for r in replies if not is_error(r)]
    if not errors:
        await answer()
        return rest
    await answer(errors[0].text)
    return [r for r in errors if r.location_done or telegram_length(" ".join(r.text.split())) > ANSWER_LIMIT] + rest


def build_dispatcher(services: Services, bot: Bot, settings: Settings,
                     limiter: TelegramRateLimiter | None = None) -> Dispatcher:
    """The Dispatcher with the adapter's router; feed it updates (polling, webhook or dp.feed_update in tests).
    limiter: the outbox sender's, so what the adapter posts in a group counts against the same windows."""
    keep_response_models(bot)
    dispatcher = Dispatcher(name="paotui")
    # Outermost, so an update waiting for its person's turn counts as being handled too (a stop waits for it).
    in_flight = UpdatesInFlight()
    dispatcher.update.outer_middleware(in_flight)
    dispatcher["updates_in_flight"] = in_flight  # run_telegram's stop waits for them
    dispatcher.update.outer_middleware(OnePerUser())
    kept_payments.install(dispatcher, bot, services)
    adapter = TelegramAdapter(services, bot, settings, limiter)
    dispatcher.include_router(adapter.router)
    dispatcher["telegram_adapter"] = adapter
    return dispatcher
