"""Migration tests' common step: the database taken back to an earlier revision and upgraded again, as an upgrade
finds the rows a running service wrote before it."""
from __future__ import annotations

import asyncio

from alembic import command

from storage.db import Database
from storage.migrate import alembic_config, upgrade


async def downgrade_and_upgrade(db: Database, revision: str) -> None:
    """Back to `revision`, then to head; nothing pooled holds a table while a migration rebuilds it."""
    url = db.url.render_as_string(hide_password=False)
    await db.dispose()
    try:
        await asyncio.to_thread(command.downgrade, alembic_config(url), revision)
    finally:
        await asyncio.to_thread(upgrade, url)
    await db.dispose()
