"""The ledger in the database: postings are idempotent by key, balances change only by conditional updates."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, func, select, update

from core import ledger
from core.errors import InsufficientFunds, LedgerError
from storage.db import DbSession
from storage.models import Account, LedgerEntry, LedgerPosting
from storage.sql import insert_ignore, run_core

# A balance's change and read, built once and run as Core statements (storage.sql.run_core): on the path of every
# payment and settlement, where building them per call and the ORM's bulk update cost several times the statements.
# No Account entity is ever loaded, so the ORM had nothing in the session to bring up to date.
_ACCOUNTS = Account.__table__
_CHANGE = update(_ACCOUNTS).where(_ACCOUNTS.c.name == bindparam("account")).values(
    balance=_ACCOUNTS.c.balance + bindparam("amount"))
_CHANGE_COVERED = _CHANGE.where(_ACCOUNTS.c.balance + bindparam("amount") >= 0)  # no overdraft
_BALANCE = select(_ACCOUNTS.c.balance).where(_ACCOUNTS.c.name == bindparam("account"))


class LedgerRepository:
    def __init__(self, session: DbSession) -> None:
        self.session = session

    async def post(self, posting: ledger.Posting, now: dt.datetime) -> bool:
        """Post once. False if this key was posted before (a replay); raises if it would overdraw an account."""
        s = self.session
        async with s.begin_nested():  # a refused posting leaves the rest of the unit of work intact
            inserted = await insert_ignore(s, LedgerPosting, {"key": posting.key, "memo": posting.memo[:256], "at": now},
                                           ["key"], returning="id")
            posting_id = inserted.scalar_one_or_none()
            if posting_id is None:
                await self._check_same(posting)
                return False
            for entry in posting.entries:
                await insert_ignore(s, Account, {"name": entry.account, "balance": 0}, ["name"])
                covered = entry.amount < 0 and ledger.no_overdraft(entry.account)
                changed = await run_core(s, _CHANGE_COVERED if covered else _CHANGE,
                                         {"account": entry.account, "amount": entry.amount})
                if changed.rowcount != 1:
                    raise InsufficientFunds(account=entry.account, needed=-entry.amount, posting_key=posting.key)
            s.add_all(LedgerEntry(posting_id=posting_id, account=e.account, amount=e.amount) for e in posting.entries)
            await s.flush()
        return True

    async def _check_same(self, posting: ledger.Posting) -> None:
        rows = await self.session.execute(
            select(LedgerEntry.account, LedgerEntry.amount)
            .join(LedgerPosting, LedgerPosting.id == LedgerEntry.posting_id)
            .where(LedgerPosting.key == posting.key)
        )
        if sorted(tuple(r) for r in rows) != sorted((e.account, e.amount) for e in posting.entries):
            raise LedgerError("error-ledger-key-reused", posting_key=posting.key)

    async def balance(self, account: str) -> int:
        return (await run_core(self.session, _BALANCE, {"account": account})).scalar() or 0

    async def balances(self, prefix: str = "") -> dict[str, int]:
        rows = await self.session.execute(select(Account.name, Account.balance).where(Account.name.startswith(prefix)))
        return {name: balance for name, balance in rows}

    async def total(self) -> int:
        """Sum of all accounts: zero whenever the ledger is sound."""
        return int(await self.session.scalar(select(func.coalesce(func.sum(Account.balance), 0))))

    async def entries_total(self) -> int:
        """The same sum recomputed from the entries, to check the running balances against."""
        return int(await self.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))))

    async def order_paid_to(self, order_id: int, account: str) -> int:
        """What the postings of one order (core.ledger keys them order:<id>:…) paid `account` for it: a runner's
        share once it completed, the fee of a student's late cancellation, else nothing. Goods money paid back
        (its settlement) is the runner's own money returned, not pay."""
        return int(await self.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0))
            .join(LedgerPosting, LedgerPosting.id == LedgerEntry.posting_id)
            .where(LedgerEntry.account == account, LedgerPosting.key.startswith(f"order:{order_id}:"),
                   LedgerPosting.key != f"order:{order_id}{ledger.GOODS_SUFFIX}")))

    async def posted(self, key: str) -> bool:
        return await self.session.scalar(select(LedgerPosting.id).where(LedgerPosting.key == key)) is not None
