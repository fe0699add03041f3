"""Neutral replies → Telegram messages: text with inline keyboards, a one-time location button, edits in place.

The location button is a reply keyboard, and so is the phone step's "Share my phone number" (request_contact): what
is said of the one here holds for the other, a chat showing one of them at a time. one_time_keyboard only hides it
once pressed, and only until the person opens it again; answered by an inline button or by typing, it stays up. So a
reply marked `location_done` takes it away with ReplyKeyboardRemove. A message carries one reply_markup, so one with
inline buttons cannot also remove it (and a message sent with a reply keyboard markup can never be edited, so it
cannot get its inline buttons later): the removal rides on the reply itself when it has no buttons and is sent anew,
else on a short message of its own just before it, which keeps the reply's buttons on the newest message.

A reply with a photo (a Telegram file id) is sent with sendPhoto, its text as the caption and its buttons under it; an
edit of such a message changes its caption. So is one with a chart, drawn (bot/charts.py) and uploaded. A reply that
`replaces` an earlier message (by its id: a card acted on through a question or a confirmation) edits it and sends
nothing if it cannot; when the reply is too long for one message (a long order card, shown in pieces), that message, the
piece its buttons are on, shows the reply's last piece with the reply's buttons, and the pieces before it (recorded when
it was sent: storage.cards.pieces_shown) what `spread` gives them, so none keeps what the card said before. A reply
meant to take the pressed message's place that is sent anew instead (it puts the location button up, or the edit failed)
takes that message's buttons away: they belong to a step that is over. `send` returns the messages showing a question
(Reply.question), which the adapter records in the conversation (handlers.context.question_shown) so that the step's end
replaces that message without its buttons, and those showing a card (Reply.card), which it records for a decision taken
another way to edit (storage.cards), as it does the pieces of a reply with buttons sent in pieces.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.backoff import Backoff, BackoffConfig

from bot.charts import drawn
from bot.telegram.convert import MAX_CALLBACK_BYTES, callback_data_ok
from bot.telegram.transient import RETRY_LATER, failure_text, retry_delay
from core.numbers import whole_number
from handlers.io import Chart, Choice, Reply
from locales import Catalogue

log = logging.getLogger(__name__)

# In Telegram's measure (telegram_length), a little under its limits: 4096 for a message's text, 1024 for a caption.
TEXT_LIMIT = 4000
CAPTION_LIMIT = 1000
ANSWER_LIMIT = 200  # answerCallbackQuery text
MAX_RETRY_AFTER = 30  # seconds we wait for a 429 before giving up on a direct reply
REPLY_TRIES = 3  # a direct reply's tries (call): a few seconds in all, not the outbox's day
REPLY_BACKOFF = BackoffConfig(min_delay=0.5, max_delay=2.0, factor=2.0, jitter=0.1)
# Replies that refuse what the person tried: a pressed button answers them as a toast.
ERROR_PREFIXES = ("error-", "not-eligible-", "runner-start-bot-first")
T = TypeVar("T")


class CallbackDataTooLong(ValueError):
    """A handler offered a button whose data Telegram would refuse: a bug in the handler, not user input."""


def is_error(reply: Reply) -> bool:
    """A refusal: an error, not eligible, or a grab that did not win (taken, gone, offered to someone else)."""
    return reply.key.startswith(ERROR_PREFIXES) or (reply.key.startswith("grab-") and reply.key != "grab-won")


def telegram_length(text: str) -> int:
    """How long Telegram finds a text: in UTF-16 code units, so an emoji (or any character past U+FFFF) counts two."""
    return len(text.encode("utf-16-le")) // 2


def fitting(text: str, limit: int) -> int:
    """How many of the text's characters (code points) make its longest beginning within `limit` (telegram_length)."""
    units = 0
    for i, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)


def cut_to(text: str, limit: int) -> str:
    """The text, or when Telegram would find it longer than `limit` its beginning and "…", within the limit."""
    return text if telegram_length(text) <= limit else text[:fitting(text, limit - 1)] + "…"


def short(text: str, limit: int = ANSWER_LIMIT) -> str:
    return cut_to(" ".join(text.split()), limit)


def _button(choice: Choice) -> InlineKeyboardButton:
    if not callback_data_ok(choice.data):
        raise CallbackDataTooLong(
            f"button {choice.label!r} has data {choice.data!r}: at most {MAX_CALLBACK_BYTES} ASCII bytes")
    return InlineKeyboardButton(text=choice.label, callback_data=choice.data)


def inline_keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    return choices_keyboard(reply.choices)


def choices_keyboard(choices: tuple[tuple[Choice, ...], ...]) -> InlineKeyboardMarkup | None:
    rows = [[_button(c) for c in row] for row in choices if row]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def location_keyboard(t: Catalogue) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text=t("tg-share-location"), request_location=True)]],
                               resize_keyboard=True, one_time_keyboard=True)


def contact_keyboard(t: Catalogue) -> ReplyKeyboardMarkup:
    """The person's own phone number, as a contact card (Telegram sends only the sender's own with this button)."""
    return ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text=t("tg-share-contact"), request_contact=True)]],
                               resize_keyboard=True, one_time_keyboard=True)


def share_keyboard(reply: Reply, t: Catalogue) -> tuple[ReplyKeyboardMarkup, str]:
    """The reply keyboard a reply that shares (Reply.shares) puts up, and the prompt it comes with when the reply's
    own message carries inline buttons."""
    if reply.request_location:
        return location_keyboard(t), "tg-location-prompt"
    return contact_keyboard(t), "tg-contact-prompt"


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Long texts in pieces, cut at line ends where possible."""
    text = text.strip() or "…"
    pieces = []
    while telegram_length(text) > limit:
        end = fitting(text, limit)
        at = text.rfind("\n", 0, end)
        at = at if at > end // 2 else end
        pieces.append(text[:at])
        text = text[at:].lstrip("\n")
    pieces.append(text)
    return pieces


async def call(method: Callable[..., Awaitable[T]], **params: Any) -> T:
    """One Bot API call, tried again a few times, briefly, when it fails in a way that may mend (transient.py): a
    direct reply is not sent again by anyone else (the update counts as handled, and what it answers is committed),
    so a 502 or a dropped connection must not lose it. A 429 is waited out for its retry_after, up to
    MAX_RETRY_AFTER; a longer one, or the last failure, goes to the caller. A send retried after a failure that in
    fact reached Telegram may show twice: better than not at all."""
    delays = Backoff(REPLY_BACKOFF)
    for attempt in range(1, REPLY_TRIES + 1):
        try:
            return await method(**params)
        except RETRY_LATER as exc:
            too_long = isinstance(exc, TelegramRetryAfter) and exc.retry_after > MAX_RETRY_AFTER
            if too_long or attempt == REPLY_TRIES:
                raise
            log.info("Bot API call failed (%s); trying again", failure_text(exc))
            await asyncio.sleep(retry_delay(exc, delays))
    raise AssertionError("unreachable")  # the loop returns or raises


async def at_once(method: Callable[..., Awaitable[T]], **params: Any) -> T:
    """One Bot API call, a 429 raised to the caller (which does not wait for it: group_replies.py)."""
    return await method(**params)


Request = Callable[..., Awaitable[Any]]  # how a Bot API call is made: `call` (waits out a short 429) or `at_once`


def replaced_id(reply: Reply) -> int | None:
    """The Telegram message id of the earlier message the reply replaces, if it names one."""
    return whole_number(reply.replaces)


def replacing_text(text: str) -> str:
    """What a message a reply `replaces` is edited to show of it: the reply's last piece. That message is the one the
    card's buttons were on (the last piece of a long one): a reply too long for it brings those up to date at least,
    with the end of the card (where its newest lines are), rather than leaving buttons that no longer apply."""
    return split_text(text)[-1]


ELIDED = "…"  # what an earlier piece of a message shows when the reply replacing it has nothing left for it


def spread(text: str, earlier: int) -> list[str]:
    """What a message shown in pieces (`earlier` pieces before the one with the buttons) shows of a reply replacing
    it: a text for each earlier piece, then the last piece (replacing_text). A reply in as many pieces fills them in
    order (a refreshed order card reads as the card does now, its status at the top where it was read); one in more
    keeps its beginning and its end and skips the middle, marked by an ellipsis; one in fewer (a decision: one line)
    leaves the pieces above its own elided. So no piece keeps what the card said before (an order's old status, an
    item's offer), and a decision is said once, where the buttons were."""
    pieces = split_text(text)
    before, last = pieces[:-1], pieces[-1]
    if len(before) > earlier:
        before = [*before[:earlier - 1], before[earlier - 1] + "\n" + ELIDED] if earlier else []
    return [*[ELIDED] * (earlier - len(before)), *before, last]


def edited_text(text: str, *, photo: bool | None) -> str | None:
    """What an edit makes a message show of a reply's text: it in one piece, short enough for a caption when the
    message is a photo; None when an edit cannot say it (the reply is sent anew instead)."""
    pieces = split_text(text)
    if len(pieces) > 1 or (photo and telegram_length(pieces[0]) > CAPTION_LIMIT):
        return None
    return pieces[0]


async def edit_message(bot: Bot, chat_id: int | str, message_id: int, text: str, markup: InlineKeyboardMarkup | None,
                       *, photo: bool | None, request: Request = call) -> bool:
    """The message's text (a photo's caption: its text) and buttons become `text` and `markup`; False when Telegram
    would not (the message is gone, or too old; a caption too long), so the caller sends it anew, or nothing.
    photo None: not known (a message named by its id alone), so the caption is edited when it has no text."""
    try:
        return await edit_text_or_caption(bot, chat_id, message_id, text, photo_caption(text), markup, photo=photo,
                                          request=request)
    except TelegramBadRequest as exc:
        if "not modified" in exc.message.lower():
            return True  # pressed twice: the message already says this
        log.info("could not edit message %s in %s (%s)", message_id, chat_id, exc.message)
        return False


async def edit_text_or_caption(bot: Bot, chat_id: int | str, message_id: int, text: str, caption: str | None,
                               markup: InlineKeyboardMarkup | None, *, photo: bool | None, request: Request) -> bool:
    """editMessageText, or editMessageCaption with `caption` for a photo (its text is its caption); photo None: not
    known, so the caption is edited when Telegram finds no text in the message. False when it is a photo and there
    is no caption to give it; Telegram's other refusals are raised."""
    if not photo:
        try:
            await request(bot.edit_message_text, chat_id=chat_id, message_id=message_id, text=text,
                          reply_markup=markup)
            return True
        except TelegramBadRequest as exc:
            if photo is not None or not no_text_to_edit(exc):
                raise
    if caption is None:
        return False
    await request(bot.edit_message_caption, chat_id=chat_id, message_id=message_id, caption=caption,
                  reply_markup=markup)
    return True


def no_text_to_edit(exc: TelegramBadRequest) -> bool:
    """Telegram found no text in the message an editMessageText named: it is a photo, whose caption is its text."""
    return "there is no text in the message to edit" in exc.message.lower()


def photo_caption(text: str, *, cut: bool = False) -> str | None:
    """A reply's text as its photo's caption (the buttons under it). Too long for one: None, and the text then
    follows the photo as a message of its own, with the buttons; or with `cut`, its beginning (the outbox sender:
    one row stays one message, the one its buttons are on)."""
    text = text.strip()
    if telegram_length(text) <= CAPTION_LIMIT:
        return text
    return cut_to(text, CAPTION_LIMIT) if cut else None


async def picture(photo: str | None, chart: Chart | None) -> str | InputFile | None:
    """What a message's sendPhoto sends: its photo's file id, or its chart drawn as a PNG to upload."""
    if photo:
        return photo
    return BufferedInputFile(await drawn(chart), filename="chart.png") if chart is not None else None


async def send_photo(bot: Bot, chat_id: int | str, photo: str | InputFile, caption: str | None, markup: Any, *,
                     request: Request = call) -> int | None:
    """sendPhoto: the id of the message sent; None when Telegram refuses the photo (a file id it does not know): the
    caller then sends the text alone, so a reply is never lost for its photo."""
    try:
        message = await request(bot.send_photo, chat_id=chat_id, photo=photo, caption=caption or None,
                                reply_markup=markup)
    except TelegramBadRequest as exc:
        # Not the file id: a student card's is personal data (stored encrypted), and a log line is not.
        log.warning("could not send a photo to %s (%s); sending the text alone", chat_id, exc.message)
        return None
    return message.message_id


@dataclass(frozen=True)
class Shown:
    """A reply the adapter records with the message showing it (Renderer.send)."""

    reply: Reply
    message: int  # the message showing it: the one with its buttons
    earlier: tuple[int, ...] = ()  # the pieces before that one, of a reply too long for one message


class Renderer:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int | str, replies: list[Reply], t: Catalogue, *,
                   edit: Message | None = None, pieces: Mapping[int, Sequence[int]] | None = None) -> list[Shown]:
        """Send each reply to the chat; the first reply marked `edit` replaces `edit` (the pressed message, or the
        question a reply answers), and one that names a message it `replaces` edits that one, and the earlier pieces
        of it that `pieces` names (by its id: storage.cards.earlier_pieces), as `spread` says. Returns the messages
        now showing a question (Reply.question), a card (Reply.card), or buttons under a reply sent in pieces.

        Telegram's Forbidden (the person blocked the bot or never started it) propagates to the caller."""
        pieces = pieces or {}
        shown: list[Shown] = []
        for reply in replies:
            if not reply.text.strip() and not reply.choices:
                continue
            if reply.replaces is not None:
                if (message_id := replaced_id(reply)) is not None:  # the news was said by the other replies: no more
                    await self._edit_pieces(chat_id, pieces.get(message_id, ()), reply.text)
                    await edit_message(self.bot, chat_id, message_id, replacing_text(reply.text),
                                       inline_keyboard(reply), photo=None)
                continue
            if reply.edit and edit is not None:
                target, edit = edit, None
                if not reply.shares:  # a message with a reply keyboard is sent anew, never edited
                    if reply.location_done:  # an edit cannot remove a reply keyboard
                        await self._remove_location_button(chat_id, t)
                        reply = replace(reply, location_done=False)
                    if await self._edit(target.chat.id, target.message_id, reply, photo=bool(target.photo)):
                        if reply.question is not None or reply.card is not None:
                            shown.append(Shown(reply, target.message_id))
                        continue
                # The reply comes anew below, not in the pressed message's place: that message's buttons belong to a
                # step that is over (they would only answer that they no longer work), so they go.
                await self._take_buttons_away(target)
            message_id, earlier = await self._send(chat_id, reply, t)
            if message_id is not None and (reply.question is not None or reply.card is not None
                                           or (earlier and reply.choices)):
                shown.append(Shown(reply, message_id, tuple(earlier)))
        return shown

    async def _edit_pieces(self, chat_id: int | str, earlier: Sequence[int], text: str) -> None:
        """The pieces before a message a reply takes the place of show what `spread` gives them of its text."""
        for piece_id, piece in zip(earlier, spread(text, len(earlier))[:-1], strict=True):
            await edit_message(self.bot, chat_id, piece_id, piece, None, photo=False)

    async def _take_buttons_away(self, message: Message) -> None:
        """The message keeps its text and loses its inline buttons; nothing when it has none, or Telegram would not
        (it is gone, or too old to edit)."""
        if message.reply_markup is None:
            return
        try:
            await call(self.bot.edit_message_reply_markup, chat_id=message.chat.id, message_id=message.message_id)
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message.lower():
                log.info("could not take the buttons off message %s in %s (%s)", message.message_id,
                         message.chat.id, exc.message)

    async def _remove_location_button(self, chat_id: int | str, t: Catalogue) -> None:
        await call(self.bot.send_message, chat_id=chat_id, text=t("tg-location-done"),
                   reply_markup=ReplyKeyboardRemove())

    async def _edit(self, chat_id: int | str, message_id: int, reply: Reply, *, photo: bool | None) -> bool:
        """The message shows the reply (edit_message); False if it cannot."""
        text = edited_text(reply.text, photo=photo)
        return text is not None and await edit_message(self.bot, chat_id, message_id, text, inline_keyboard(reply),
                                                       photo=photo)

    async def _send(self, chat_id: int | str, reply: Reply, t: Catalogue) -> tuple[int | None, list[int]]:
        """The id of the message with the reply's buttons (its last piece of text, or the photo they are under), and
        those of the pieces of text before it."""
        markup: Any = inline_keyboard(reply)
        # A reply asking for a location or phone number is sent as text (its keyboard cannot ride on a photo): nothing
        # is drawn for it.
        if not reply.shares and (photo := await picture(reply.photo, reply.chart)) is not None:
            if reply.location_done:  # the photo carries the inline buttons: the removal goes just before it
                await self._remove_location_button(chat_id, t)
                reply = replace(reply, location_done=False)
            if (photo_id := await self._send_photo(chat_id, photo, reply.text, markup)) is not None:
                return photo_id, []
        pieces = split_text(reply.text)
        keyboard, prompt = share_keyboard(reply, t) if reply.shares else (None, None)
        extra_prompt = keyboard is not None and markup is not None
        if keyboard is not None and markup is None:
            markup = keyboard
        # A new location (or phone) button replaces the old one anyway; otherwise see the module's docstring.
        first: Any = None
        if reply.location_done and not reply.shares:
            if markup is None:
                first = ReplyKeyboardRemove()  # on the reply itself, as soon as it starts
            else:
                await self._remove_location_button(chat_id, t)
        earlier: list[int] = []
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            sent = await call(self.bot.send_message, chat_id=chat_id, text=piece,
                              reply_markup=markup if last and markup is not None else first if i == 0 else None)
            if not last:
                earlier.append(sent.message_id)
        if extra_prompt and prompt is not None:
            # One message carries one keyboard: the location (or phone) button comes in a message of its own.
            await call(self.bot.send_message, chat_id=chat_id, text=t(prompt), reply_markup=keyboard)
        return sent.message_id, earlier

    async def _send_photo(self, chat_id: int | str, photo: str | InputFile, text: str, markup: Any) -> int | None:
        """The photo with the text as its caption and the buttons under it; its id when that said everything. A
        text too long for a caption follows the photo as a message of its own (None), and so does the text alone when
        Telegram refuses the photo."""
        caption = photo_caption(text)
        sent = await send_photo(self.bot, chat_id, photo, caption, markup if caption is not None else None)
        return sent if caption is not None else None
