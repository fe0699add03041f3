"""The database ledger behaves like the core's reference ledger: balanced, idempotent, no overdraft."""
import asyncio
import random

import pytest

from core import ledger
from core.errors import InsufficientFunds, LedgerError
from storage.uow import UnitOfWork


def random_postings(rng: random.Random, n: int) -> list[ledger.Posting]:
    """Top-ups, payments and refunds among three users and four orders, repeats and overdrafts included."""
    out = []
    for _ in range(n):
        kind = rng.choice(["top_up", "pay", "refund"])
        user, amount, ref = rng.randint(1, 3), rng.randint(1, 50_000), rng.randint(1, 4)
        if kind == "top_up":
            out.append(ledger.top_up(user, amount, "cash", f"c{ref}"))
        elif kind == "pay":
            out.append(ledger.pay_order(ref, user, amount, 0))
        else:
            out.append(ledger.refund_order(ref, user, amount, 0, "test"))
    return out


@pytest.mark.parametrize("seed", range(8))
async def test_matches_reference_ledger_on_random_postings(db, clock, seed):
    reference = ledger.Ledger()
    async with UnitOfWork(db) as uow:
        for p in random_postings(random.Random(seed), 25):
            try:
                expected = reference.post(p)
            except LedgerError as refused:  # InsufficientFunds included
                with pytest.raises(type(refused)):
                    await uow.ledger.post(p, clock())
                continue
            assert await uow.ledger.post(p, clock()) is expected
        stored = {k: v for k, v in (await uow.ledger.balances()).items() if v}
        assert stored == {k: v for k, v in reference.balances().items() if v}
        assert await uow.ledger.total() == 0
        assert await uow.ledger.entries_total() == 0


async def test_replayed_payment_is_credited_once(db, clock):
    charge = ledger.top_up(7, 1500, "telegram", "charge-abc")
    async with UnitOfWork(db) as uow:
        assert await uow.ledger.post(charge, clock()) is True
    async with UnitOfWork(db) as uow:
        assert await uow.ledger.post(charge, clock()) is False
        assert await uow.ledger.balance(ledger.customer(7)) == 1500


async def test_same_key_with_other_amounts_is_refused(db, clock):
    async with UnitOfWork(db) as uow:
        await uow.ledger.post(ledger.top_up(7, 1500, "telegram", "charge-abc"), clock())
    with pytest.raises(LedgerError):
        async with UnitOfWork(db) as uow:
            await uow.ledger.post(ledger.top_up(7, 9999, "telegram", "charge-abc"), clock())
    async with UnitOfWork(db, write=False) as uow:
        assert await uow.ledger.balance(ledger.customer(7)) == 1500


async def test_overdraft_is_refused_and_changes_nothing(db, clock):
    async with UnitOfWork(db) as uow:
        await uow.ledger.post(ledger.top_up(7, 500, "cash", "c1"), clock())
    async with UnitOfWork(db) as uow:
        with pytest.raises(InsufficientFunds):
            await uow.ledger.post(ledger.pay_order(1, 7, 800, 0), clock())
        # The refused posting rolled back to its savepoint; the unit of work goes on.
        assert await uow.ledger.balance(ledger.customer(7)) == 500
        assert not await uow.ledger.posted("order:1:pay")
        assert await uow.ledger.post(ledger.pay_order(1, 7, 500, 0), clock())
    async with UnitOfWork(db, write=False) as uow:
        assert await uow.ledger.balance(ledger.customer(7)) == 0
        assert await uow.ledger.balance(ledger.escrow(1)) == 500


async def test_concurrent_spending_never_overdraws(db, clock):
    """Ten payments race for a wallet that can afford three: exactly three go through."""
    async with UnitOfWork(db) as uow:
        await uow.ledger.post(ledger.top_up(7, 300, "cash", "c1"), clock())

    async def pay(order_id):
        try:
            async with UnitOfWork(db) as uow:
                return await uow.ledger.post(ledger.pay_order(order_id, 7, 100, 0), clock())
        except InsufficientFunds:
            return False

    results = await asyncio.gather(*(pay(i) for i in range(10)))
    assert results.count(True) == 3
    async with UnitOfWork(db, write=False) as uow:
        assert await uow.ledger.balance(ledger.customer(7)) == 0
        assert await uow.ledger.total() == 0
