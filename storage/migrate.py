"""Applies the Alembic migrations: at start and by `python main.py migrate`."""
from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage.crypto import Cipher
from storage.db import Database

MIGRATIONS = Path(__file__).with_name("migrations")
CIPHER_KEYS = "cipher_keys"  # Config.attributes key: the service's keys, for migrations that encrypt existing data


def alembic_config(url: str, cipher_keys: list[str] | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if cipher_keys:
        cfg.attributes[CIPHER_KEYS] = list(cipher_keys)
    return cfg


def migration_cipher(cfg: Config | None, why: str) -> Cipher:
    """The service's Cipher inside a data migration; one given no keys stops rather than leave data in clear."""
    keys = cfg.attributes.get(CIPHER_KEYS) if cfg is not None else None
    if not keys:
        raise RuntimeError(f"{why}: run the migration with the service's encryption keys (python main.py migrate)")
    return Cipher(keys)


def upgrade(url: str, revision: str = "head", cipher_keys: list[str] | None = None) -> None:
    """Blocking: call it from a thread (or before the event loop starts), since env.py runs its own loop. Without
    `cipher_keys` only an empty database, or one with nothing to encrypt, can be brought up to date."""
    command.upgrade(alembic_config(url, cipher_keys), revision)


def head_revision() -> str:
    """The newest revision this code has."""
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


async def newer_revision(db: Database) -> str | None:
    """The database's revision when this code does not have it (a newer release migrated the database, and was
    rolled back), else None."""
    current = await db.run_sync(lambda conn: MigrationContext.configure(conn).get_current_revision())
    known = {script.revision for script in ScriptDirectory.from_config(alembic_config("")).walk_revisions()}
    return current if current is not None and current not in known else None


async def upgrade_async(url: str, cipher_keys: list[str] | None = None) -> None:
    await asyncio.to_thread(upgrade, url, "head", cipher_keys)
