"""Updates kept from before Telegram counts them delivered until they are handled (bot.telegram.kept_payments):
their body sealed, as personal data is (it names the sender)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select

from storage.crypto import Cipher
from storage.db import Database
from storage.models import KeptUpdate
from storage.sql import insert_ignore
from storage.uow import UnitOfWork


async def keep(db: Database, cipher: Cipher, updates: list[tuple[int, str]], now: dt.datetime) -> None:
    """(update_id, JSON body) each, in one transaction; one kept already (sent again) stays as it is."""
    async with UnitOfWork(db) as uow:
        for update_id, body in updates:
            await insert_ignore(uow.session, KeptUpdate,
                                {"update_id": update_id, "body_enc": cipher.encrypt(body), "kept_at": now},
                                ["update_id"])


async def kept(db: Database, cipher: Cipher) -> list[tuple[int, str]]:
    """Those not handled yet, in the order Telegram sent them; one no configured key opens is left out."""
    async with UnitOfWork(db, write=False) as uow:
        rows = list(await uow.session.scalars(select(KeptUpdate).order_by(KeptUpdate.update_id)))
    return [(row.update_id, cipher.decrypt(row.body_enc) or "") for row in rows if cipher.opens(row.body_enc)]


async def handled(db: Database, update_id: int) -> None:
    async with UnitOfWork(db) as uow:
        await uow.session.execute(delete(KeptUpdate).where(KeptUpdate.update_id == update_id))
