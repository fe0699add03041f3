"""What a Telegram refusal means, for the operators' report of a message that failed for good.

Telegram explains a refusal in English ("Forbidden: bot was kicked from the supergroup chat"), which a report in
the campus's language must not show as it is. The common ones become a neutral reason (handlers.notify
UNDELIVERED_REASONS), worded in locales */notices.ftl; only a refusal not known here is shown with Telegram's own
description. The outbox row keeps the raw description either way (last_error), for whoever looks into it later.
"""
from __future__ import annotations

from typing import NamedTuple

from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramEntityTooLarge


class Refusal(NamedTuple):
    reason: str  # one of handlers.notify.UNDELIVERED_REASONS, "other" for none of them
    detail: str = ""  # Telegram's description, shown only for an unknown reason


# A fragment of Telegram's description (lower case) and what it means; the first that matches wins.
DESCRIPTIONS: tuple[tuple[str, str], ...] = (
    ("bot was blocked by the user", "blocked"),
    ("user is deactivated", "deactivated"),
    ("bot can't initiate conversation", "not-started"),
    ("bot was kicked", "kicked"),
    ("bot is not a member", "kicked"),
    ("chat not found", "chat-gone"),
    ("chat was deleted", "chat-gone"),
    ("chat was deactivated", "chat-gone"),
    ("not enough rights", "no-rights"),
    ("have no rights", "no-rights"),
    ("administrator rights", "no-rights"),
    ("chat_write_forbidden", "no-rights"),
    ("too long", "too-long"),  # a message's text, a caption
)
# The message failed on every try for as long as the sender retries (network errors, Telegram's 5xx).
OUTAGE = Refusal("outage")


def refusal(exc: TelegramAPIError) -> Refusal:
    description = exc.message.lower()
    for fragment, reason in DESCRIPTIONS:
        if fragment in description:
            return Refusal(reason)
    if isinstance(exc, TelegramEntityTooLarge):  # 413: a message or file too large for Telegram
        return Refusal("too-long")
    if isinstance(exc, TelegramBadRequest):  # any other 400: the message itself is at fault
        return Refusal("bad-request")
    return Refusal("other", exc.message or type(exc).__name__)
