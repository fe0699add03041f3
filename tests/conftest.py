"""Shared fixtures. Storage tests run on SQLite and PostgreSQL; in CI (CI=true) PostgreSQL and Redis must be there.

Outside CI a missing server skips its tests with the reason; in CI it fails them, and any skip fails the run.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlmodel import SQLModel

import storage.models  # noqa: F401 - defines the tables
from bot.campus_file import load_campus
from bot.settings import ENV_FILE_VARIABLE, Settings
from core.campus import Campus
from storage.databases import drop_postgres, fresh_postgres
from storage.db import Database
from storage.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
# The tests never read a deployment's .env (its database, keys, token): settings come from what each test sets.
# Processes the tests start are told to read none (bot/settings.py reads the project directory's by default): those
# given an environment of their own take NO_ENV_FILE into it.
DEPLOYMENT_ENV_FILE = Settings.model_config["env_file"]  # what a deployment reads (tests/bot/test_settings.py)
Settings.model_config["env_file"] = None
NO_ENV_FILE = {ENV_FILE_VARIABLE: ""}
os.environ.update(NO_ENV_FILE)
# Property tests check what holds, never how fast: a busy CI machine must not fail one for an example that took
# 250 ms (Hypothesis's default deadline is 200 ms).
hypothesis_settings.register_profile("paotui", deadline=None)
hypothesis_settings.load_profile("paotui")
IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
# One database per run, so test runs on one machine never wipe each other's data.
PG_DB_NAME = f"paotui_test_{os.getpid()}"
# Under pytest-xdist each worker flushes a Redis database of its own: worker N takes the one N below the given one.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
_REDIS_BASE, _REDIS_DB = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15").rsplit("/", 1)
# Redis has 16 databases, and scripts/test.sh runs at most 16 workers.
REDIS_URL = f"{_REDIS_BASE}/{(int(_REDIS_DB) - _WORKER) % 16}"
# Every table the models define (the migrated schema matches them: tests/storage), so a new one is emptied too.
TABLES = [table.name for table in SQLModel.metadata.sorted_tables]


def in_thread(fn, *args):  # noqa: ANN001, ANN201
    """Run blocking setup that starts its own event loop (migrations) even when requested from async code."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


def service_missing(what: str, reason: str) -> None:
    message = f"{what} is not reachable ({reason})"
    if IN_CI:
        pytest.fail(f"{message}; CI must run these tests")
    pytest.skip(f"{message}; these tests run in CI")


@pytest.fixture(scope="session")
def campus() -> Campus:
    return load_campus(ROOT / "campus" / "demo.yaml")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrations applied once; each test copies the file."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    in_thread(upgrade, f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh database for this run, migrated once; tests truncate it."""
    try:
        url = in_thread(asyncio.run, fresh_postgres(PG_ADMIN_URL, PG_DB_NAME))
    except (OSError, asyncio.TimeoutError) as exc:
        service_missing("PostgreSQL", f"{PG_ADMIN_URL}: {exc}")
    in_thread(upgrade, url)
    yield url
    in_thread(asyncio.run, drop_postgres(PG_ADMIN_URL, PG_DB_NAME))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def db(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "sqlite":
        path = tmp_path / "paotui.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        database = Database(f"sqlite+aiosqlite:///{path}")
    else:
        database = Database(request.getfixturevalue("postgres_url"))
        async with database.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    yield database
    await database.dispose()


async def connect_redis():
    """A clean Redis test database, or a skip (a failure in CI) when there is no server."""
    import redis.asyncio as redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (OSError, redis.ConnectionError) as exc:
        await client.aclose()
        service_missing("Redis", f"{REDIS_URL}: {exc}")
    await client.flushdb()
    return client


@pytest.fixture
async def redis_client():
    client = await connect_redis()
    yield client
    await client.flushdb()
    await client.aclose()


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)  # 10:00 in Shanghai

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not IN_CI:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        if reporter:
            reporter.write_line(f"CI: {skipped} test(s) were skipped; nothing may be skipped in CI", red=True)
        session.exitstatus = 1
