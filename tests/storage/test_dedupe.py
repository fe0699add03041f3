"""A repeated input is recognised once, by one process or many at the same time."""
import asyncio

import pytest

from storage.dedupe import DatabaseSeenKeys, RedisSeenKeys
from tests.conftest import connect_redis


@pytest.fixture(params=["database", pytest.param("redis", marks=pytest.mark.redis)])
async def seen(request, db):
    if request.param == "database":
        yield DatabaseSeenKeys(db)
        return
    client = await connect_redis()
    yield RedisSeenKeys(client)
    await client.flushdb()
    await client.aclose()


async def test_a_key_is_new_only_once(seen, clock):
    assert await seen.first_time("telegram:update:1", clock()) is True
    assert await seen.first_time("telegram:update:1", clock()) is False
    assert await seen.first_time("telegram:update:2", clock()) is True


async def test_simultaneous_repeats_let_exactly_one_through(seen, clock):
    results = await asyncio.gather(*(seen.first_time("wechat:msg:42", clock()) for _ in range(20)))
    assert results.count(True) == 1


async def test_database_store_forgets_after_retention(db, clock):
    seen = DatabaseSeenKeys(db)
    await seen.first_time("old", clock())
    clock.advance(days=3)
    assert await seen.forget_before(clock()) == 1
    assert await seen.first_time("old", clock()) is True
