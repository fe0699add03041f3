"""What the adapter must know about a Telegram user before calling the handlers: do we know them, did they start
the bot (may we write to them privately), which language. Read-only, except marking a 403."""
from __future__ import annotations

from dataclasses import dataclass

from bot.telegram.convert import CHANNEL, app_language
from handlers.context import Services
from handlers.unreachable import unreachable
from locales import Catalogue, catalogue
from storage.db import Database
from storage.lookups import STARTED_AND_LANGUAGE
from storage.uow import UnitOfWork, read_first


@dataclass(frozen=True)
class Known:
    exists: bool
    started: bool
    language: str

    @property
    def t(self) -> Catalogue:
        return catalogue(self.language)


def guess_language(language_code: str | None, default: str) -> str:
    """The language of someone we do not know yet, from the Telegram client's language."""
    return app_language(language_code) or default


async def lookup(db: Database, user_id: int | str, *, language_code: str | None = None,
                 default_language: str = "zh_CN") -> Known:
    found = await read_first(db, STARTED_AND_LANGUAGE, {"channel": CHANNEL, "external_id": str(user_id)})
    if found is None:
        return Known(False, False, guess_language(language_code, default_language))
    started, language = found
    return Known(True, bool(started), language)


async def mark_not_started(services: Services, user_id: int | str) -> None:
    """Telegram refused a private message (403): until they write to us again, we cannot reach them; the operators
    of orders they run are told (handlers.unreachable)."""
    async with UnitOfWork(services.db) as uow:
        await unreachable(services, uow, CHANNEL, str(user_id), services.clock())
