"""One unit of work per use case: one transaction, the repositories on its session."""
from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import Database, DbSession
from storage.ledger_repo import LedgerRepository
from storage.orders_repo import OrderRepository
from storage.runners_repo import RunnerRepository
from storage.sql import run_core
from storage.sqlite_inline import run_alone


class UnitOfWork:
    """`async with UnitOfWork(db) as uow:` commits on success and rolls back on any exception.

    write=False marks a read-only unit, which on SQLite does not queue behind writers.
    """

    session: DbSession
    orders: OrderRepository
    runners: RunnerRepository
    ledger: LedgerRepository

    def __init__(self, db: Database, *, write: bool = True) -> None:
        self.db = db
        self.write = write
        self._slot = db.write_slot() if write else None

    async def __aenter__(self) -> "UnitOfWork":
        if self._slot is not None:
            await self._slot.__aenter__()
        try:
            self.session = (self.db.write_sessions if self.write else self.db.sessions)()
            await self.session.begin()
        except BaseException:
            await self._release(None, None, None)
            raise
        self.orders = OrderRepository(self.session)
        self.runners = RunnerRepository(self.session)
        self.ledger = LedgerRepository(self.session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is not None:
                await self.session.rollback()
            elif self.write:
                await self.session.commit()
            # A read-only unit just closes: the pool resets the connection, loaded objects stay readable.
        finally:
            await self.session.close()
            await self._release(exc_type, exc, tb)

    async def _release(self, exc_type, exc, tb) -> None:  # noqa: ANN001
        if self._slot is not None:
            await self._slot.__aexit__(exc_type, exc, tb)


async def read_first(db: Database, statement: Any, params: dict[str, Any]) -> Any:
    """The first row (None: none) of one Core lookup on its own, a statement built once as storage.sql.run_core
    takes. On SQLite it runs straight on a pooled connection's driver: a read-only unit of work's session cost
    several times the lookup, on the path of a hall press. Elsewhere it is a read-only unit of work of its own."""
    if not isinstance(db.engine, AsyncEngine) and (found := run_alone(db.engine, statement, params)) is not None:
        return found.first()
    async with UnitOfWork(db, write=False) as uow:
        return (await run_core(uow.session, statement, params)).first()
