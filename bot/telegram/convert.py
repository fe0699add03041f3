"""Telegram update → neutral Input. Pure functions over aiogram types: no I/O, no business rules."""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Chat, Message, SuccessfulPayment

from core.numbers import record_id
from handlers.io import Contact, Input, Kind, Payment, parse_text
from locales import LANGUAGES

CHANNEL = "telegram"
MAX_CALLBACK_BYTES = 64  # Telegram's limit for callback_data
PRIVATE = "private"
GROUPS = frozenset({"group", "supergroup"})
INVOICE_PAYLOAD_PREFIX = "order:"
EXTRA_PAYLOAD_PREFIX = "extra:"  # an invoice for an order's goods difference (handlers/goods_extra.py)


def is_private(chat: Chat | None) -> bool:
    return chat is not None and chat.type == PRIVATE


def is_group(chat: Chat | None) -> bool:
    return chat is not None and chat.type in GROUPS


def from_bot(message: Message) -> bool:
    """Sent by a bot (Bot-to-Bot Communication Mode lets one write to us, in a group or privately): nobody we serve,
    and answering it could start two bots answering each other. Anonymous admins and channels post as bots too
    (sender_chat), and are not read either."""
    return message.from_user is not None and message.from_user.is_bot


def callback_data_ok(data: str | None) -> bool:
    """Only compact ASCII data goes on to the handlers (who validate its meaning and ownership themselves)."""
    if not data:
        return False
    return data.isascii() and len(data.encode()) <= MAX_CALLBACK_BYTES and data.isprintable()


def _name(message_or_query: Message | CallbackQuery) -> str:
    user = message_or_query.from_user
    return (user.first_name or "")[:64] if user is not None else ""


def app_language(language_code: str | None) -> str | None:
    """The catalogue language of a Telegram app's language ('zh-hans' → zh_CN, 'en-GB' → en), None if we have none."""
    code = (language_code or "").lower()
    if code.startswith("zh"):
        return "zh_CN"
    if code.startswith("en") and "en" in LANGUAGES:
        return "en"
    return None


def _language(message_or_query: Message | CallbackQuery) -> str | None:
    user = message_or_query.from_user
    return app_language(user.language_code) if user is not None else None


def addressed_to_another_bot(text: str, bot_username: str | None) -> bool:
    """/grab@other_bot in a group is for another bot."""
    head = text.lstrip().split(maxsplit=1)[0] if text.strip() else ""
    if "@" not in head or not bot_username:
        return False
    return head.split("@", 1)[1].lower() != bot_username.lower()


def answered_question(message: Message, bot_username: str | None) -> str | None:
    """For a reply to one of this bot's questions (a bot receives replies in a group even in privacy mode): the
    question's step token, which its step buttons carry ("s:<token>:<value>"); None for anything else."""
    replied = message.reply_to_message
    author = replied.from_user if replied is not None else None
    if not (author and author.is_bot and bot_username and (author.username or "").lower() == bot_username.lower()):
        return None
    markup = replied.reply_markup if replied is not None else None
    for row in markup.inline_keyboard if markup is not None else []:
        for button in row:
            parts = (button.callback_data or "").split(":", 2)
            if len(parts) == 3 and parts[0] == "s" and parts[1]:
                return parts[1]
    return None


def text_input(message: Message, update_id: int | None, bot_username: str | None = None, *,
               answers_in_group: bool = False) -> Input | None:
    """Private text and commands; in a group only commands to this bot (chatter in the task hall is not for us)
    and, with answers_in_group (the operators' chat), replies to the bot's questions: the answer to that question."""
    if message.from_user is None or message.text is None:
        return None
    chat: str | None = None
    answers: str | None = None
    question: str | None = None
    if is_group(message.chat):
        if message.sender_chat is not None:
            return None  # an anonymous admin or a channel's post: nobody we could answer privately or act for
        command = message.text.lstrip().startswith("/")
        if command and addressed_to_another_bot(message.text, bot_username):
            return None
        if not command:
            answers = answered_question(message, bot_username) if answers_in_group else None
            if answers is None:
                return None
            assert message.reply_to_message is not None  # answered_question found the question there
            question = str(message.reply_to_message.message_id)
        chat = str(message.chat.id)
    elif not is_private(message.chat):
        return None
    return parse_text(CHANNEL, str(message.from_user.id), message.text, update_id=_uid(update_id),
                      name=_name(message), chat=chat, answers=answers, message=question, language=_language(message))


def location_input(message: Message, update_id: int | None) -> Input | None:
    if message.from_user is None or message.location is None or not is_private(message.chat):
        return None
    live_period = message.location.live_period  # in every position of a live location while it is shared
    live_until = message.date + dt.timedelta(seconds=live_period) if live_period and is_live_location(message) else None
    return Input(CHANNEL, str(message.from_user.id), Kind.location, lat=message.location.latitude,
                 lon=message.location.longitude, live_until=live_until, at=sent_at(message),
                 update_id=_uid(update_id), name=_name(message), language=_language(message))


def sent_at(message: Message) -> dt.datetime:
    """When the person sent the message, or last changed it (a live location's position moved: an edit)."""
    if message.edit_date:  # aiogram keeps it as Unix time, `date` as a datetime
        return dt.datetime.fromtimestamp(message.edit_date, dt.UTC)
    return message.date


def forwarded(message: Message) -> bool:
    """Forwarded from someone or somewhere else: a location in it is not where the sender is."""
    return message.forward_origin is not None


def is_live_location(message: Message, edited: bool = False) -> bool:
    """The sender's live location: its first message carries live_period; later positions come as edits. One
    forwarded is a one-off place (a drop-off a friend shared), never the sender's position."""
    if message.location is None or forwarded(message):
        return False
    return edited or bool(message.location.live_period)


def photo_input(message: Message, update_id: int | None) -> Input | None:
    if message.from_user is None or not message.photo or not is_private(message.chat):
        return None
    largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
    return Input(CHANNEL, str(message.from_user.id), Kind.photo, text=message.caption or "",
                 photo=largest.file_id, update_id=_uid(update_id), name=_name(message), language=_language(message))


def contact_input(message: Message, update_id: int | None) -> Input | None:
    """A contact card sent privately: its number and whose it is (contact.user_id, a Telegram id; none for someone
    Telegram does not know). The "Share my phone number" button sends the sender's own, whose number Telegram gives
    in international form, often without its "+": put back, so that it is not read as a local number."""
    contact = message.contact
    if message.from_user is None or contact is None or not is_private(message.chat):
        return None
    owner = str(contact.user_id) if contact.user_id is not None else None
    phone = contact.phone_number.strip()
    if owner == str(message.from_user.id) and phone[:1].isdigit():
        phone = "+" + phone
    return Input(CHANNEL, str(message.from_user.id), Kind.contact, contact=Contact(phone=phone, user=owner),
                 update_id=_uid(update_id), name=_name(message), language=_language(message))


# What a person may send that no flow reads: answered (the step asks again, the chat says it passes on text and
# photos), where staying silent would leave them wondering. Service messages (a member joined, a pin) are not here.
UNREADABLE_CONTENT = frozenset({
    ContentType.STICKER, ContentType.VOICE, ContentType.VIDEO, ContentType.VIDEO_NOTE, ContentType.AUDIO,
    ContentType.DOCUMENT, ContentType.ANIMATION, ContentType.DICE, ContentType.POLL,
    ContentType.STORY, ContentType.GAME, ContentType.PAID_MEDIA, ContentType.LIVE_PHOTO, ContentType.CHECKLIST,
})


def other_input(message: Message, update_id: int | None) -> Input | None:
    """A private message of a kind no flow reads (UNREADABLE_CONTENT)."""
    if message.from_user is None or not is_private(message.chat) or message.content_type not in UNREADABLE_CONTENT:
        return None
    return Input(CHANNEL, str(message.from_user.id), Kind.other, update_id=_uid(update_id), name=_name(message),
                 language=_language(message))


def choice_input(query: CallbackQuery, update_id: int | None) -> Input | None:
    """A pressed button. Data that is not compact ASCII never reaches the handlers."""
    if not callback_data_ok(query.data):
        return None
    message = query.message
    chat = message.chat if message is not None else None
    group = str(chat.id) if is_group(chat) else None
    return Input(CHANNEL, str(query.from_user.id), Kind.choice, choice=query.data, update_id=_uid(update_id),
                 name=_name(query), chat=group, message=str(message.message_id) if message is not None else None,
                 language=_language(query))


class InvoiceFor(NamedTuple):
    """What an invoice's payload says it is for: the order, or with `extra` the goods difference (fen) its runner
    asked for; and the message its button was pressed under (`card`), if any."""

    order_id: int
    extra: int | None = None
    card: int | None = None


def invoice_payload(order_id: int, card_message_id: int | None = None, *, extra: int | None = None) -> str:
    """order:<id>, or extra:<id>:<fen> for a goods difference; then :<message id> of the message whose button asked
    for the invoice (its Pay buttons go once the payment arrives)."""
    card = f":{card_message_id}" if card_message_id is not None else ""
    if extra is not None:
        return f"{EXTRA_PAYLOAD_PREFIX}{order_id}:{extra}{card}"
    return f"{INVOICE_PAYLOAD_PREFIX}{order_id}{card}"


def invoice_for(payload: str | None) -> InvoiceFor | None:
    """What an invoice_payload() says; None for any payload our invoices do not carry (an old format, a forgery)."""
    for prefix, fields in ((INVOICE_PAYLOAD_PREFIX, 1), (EXTRA_PAYLOAD_PREFIX, 2)):
        if payload and payload.startswith(prefix):
            parts = payload[len(prefix):].split(":")
            numbers = [record_id(p) for p in parts]
            if not fields <= len(parts) <= fields + 1 or None in numbers:
                return None
            card = numbers[fields] if len(numbers) > fields else None
            return InvoiceFor(numbers[0], numbers[1] if fields == 2 else None, card)  # type: ignore[arg-type]
    return None


def order_from_payload(payload: str | None) -> int | None:
    found = invoice_for(payload)
    return found.order_id if found else None


def card_from_payload(payload: str | None) -> int | None:
    """The message id of the message the invoice was asked for from, if the payload names one."""
    found = invoice_for(payload)
    return found.card if found else None


def payment_input(message: Message, payment: SuccessfulPayment, update_id: int | None) -> Input | None:
    """The payment for the handlers, who credit the payer; a payload naming no order gives order_id None (the money
    stays in the wallet). None without a payer to credit."""
    if message.from_user is None:
        return None
    found = invoice_for(payment.invoice_payload)
    return Input(CHANNEL, str(message.from_user.id), Kind.payment, update_id=_uid(update_id), name=_name(message),
                 language=_language(message),
                 payment=Payment(provider="telegram", charge_id=payment.telegram_payment_charge_id,
                                 order_id=found.order_id if found else None, amount=payment.total_amount,
                                 extra=found.extra if found else None))


def _uid(update_id: int | None) -> str | None:
    return None if update_id is None else str(update_id)
