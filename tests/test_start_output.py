"""What a start prints and leaves on disk holds no secret: no database or Redis password, no bot token, no key
readable by others; a start that cannot work says so in one line."""
from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

import main
from bot.settings import Settings
from storage.crypto import Cipher
from storage.db import Database
from storage.migrate import alembic_config, upgrade
from storage.uow import UnitOfWork
from tests.conftest import in_thread
from tests.factories import CIPHER_KEY, make_order, make_user

EXAMPLES = Path(main.__file__).parent / "examples"
PASSWORD = "hunter2-db-password"
TOKEN = "123456789:AAE-very-secret-bot-token"


def test_settings_show_no_password_in_their_repr():
    settings = Settings(_env_file=None, database_url=f"postgresql+asyncpg://paotui:{PASSWORD}@db/paotui",
                        redis_url=f"redis://:{PASSWORD}@cache:6379/0", telegram_token=TOKEN)
    assert PASSWORD not in repr(settings) and TOKEN not in repr(settings)


@pytest.mark.parametrize(("variable", "value", "said"), [
    ("REDIS_URL", "redis://:pa/ss123@127.0.0.1:6379/13", "REDIS_URL must be like redis://"),
    ("REDIS_URL", "redis://:pa#ss123@127.0.0.1:6379/13", "REDIS_URL must be like redis://"),
    ("TELEGRAM_API_BASE", "api.telegram.org", "TELEGRAM_API_BASE must be an http(s) URL"),
    ("ENCRYPTION_KEYS", "not-a-fernet-key", "ENCRYPTION_KEYS must be Fernet keys"),
    ("DATABASE_URL", "paotui.db", "DATABASE_URL must be like postgresql+asyncpg://"),
    ("DATABASE_URL", "mysql+aiomysql://paotui:pa#ss123@db/paotui", "DATABASE_URL must be like postgresql+asyncpg://"),
    ("DATABASE_URL", "postgresql://paotui:pa/ss123@db/paotui?sslmode=on", "DATABASE_URL's sslmode (or ssl) must be"),
])
def test_a_wrong_setting_is_one_line_that_repeats_no_secret(monkeypatch, capsys, tmp_path, variable, value, said):
    # Before: a traceback that printed the Redis password, 90 s of retries with the token in 7 log lines, or a
    # traceback from the key.
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv(variable, value)
    monkeypatch.setitem(Settings.model_config, "env_file", None)
    assert main.main(["run"]) == 2
    err = capsys.readouterr().err
    assert said in err and "pa/ss123" not in err and "pa#ss123" not in err and TOKEN not in err
    assert "not-a-fernet-key" not in err and "Traceback" not in err


@pytest.mark.parametrize("command_line", [["campus"], ["migrate"], ["run"]])
def test_a_password_with_an_unencoded_at_and_colon_is_not_printed(monkeypatch, capsys, tmp_path, command_line):
    # Before: "DATABASE_URL: invalid literal for int() with base 10: 'Qw2z@db.example.com:5432'" (make_url reads
    # what follows the second ':' as the port).
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql://paotui:Xy7@k9:Qw2z@db.example.com:5432/paotui")
    monkeypatch.setitem(Settings.model_config, "env_file", None)
    assert main.main(command_line) == 2
    err = capsys.readouterr().err
    assert err.startswith("paotui cannot start: DATABASE_URL must be like postgresql+asyncpg://")
    assert "Qw2z" not in err and "k9" not in err and err.count("\n") == 1
    assert main.shown_url("postgresql://paotui:Xy7@k9:Qw2z@db.example.com:5432/paotui") == (
        "DATABASE_URL (not shown: it is no URL)")


def test_a_database_that_is_down_is_one_line_without_its_password(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"postgresql+asyncpg://postgres:{PASSWORD}@127.0.0.1:1/nowhere")
    monkeypatch.setitem(Settings.model_config, "env_file", None)
    assert main.main(["migrate"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == ("paotui cannot start: the database at postgresql+asyncpg://postgres:***@127.0.0.1:1/nowhere "
                           "cannot be used (ConnectionRefusedError).")


def test_migrate_names_the_database_without_its_password():
    assert main.shown_url(f"postgresql+asyncpg://postgres:{PASSWORD}@127.0.0.1:5432/test") == (
        "postgresql+asyncpg://postgres:***@127.0.0.1:5432/test")
    assert main.shown_url(f"postgres:{PASSWORD}") == "DATABASE_URL (not shown: it is no URL)"  # never a traceback


def test_the_generated_key_is_never_readable_by_others(tmp_path, monkeypatch):
    monkeypatch.delenv("ENCRYPTION_KEYS", raising=False)
    before = os.umask(0o022)
    try:
        keys = Settings(_env_file=None, data_dir=tmp_path / "data").cipher_keys()
    finally:
        os.umask(before)
    key_file = Path(tmp_path / "data" / "encryption.key")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and keys == [key_file.read_text().strip()]


def test_a_data_dir_that_cannot_hold_the_key_is_not_said_to_be_the_database(monkeypatch, capsys, tmp_path):
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("")
    monkeypatch.setenv("DATA_DIR", str(not_a_folder))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'paotui.db'}")
    monkeypatch.delenv("ENCRYPTION_KEYS", raising=False)
    monkeypatch.setitem(Settings.model_config, "env_file", None)
    assert main.main(["migrate"]) == 2
    assert capsys.readouterr().err.startswith(f"paotui cannot start: the encryption key in {not_a_folder} cannot be")


def test_two_processes_making_the_key_at_once_both_read_the_one_that_won(monkeypatch, tmp_path):
    import bot.settings as settings_module
    from storage.crypto import Cipher
    theirs = Cipher.new_key()
    real_link = os.link

    def racing_link(src, dst):  # the other process put its key in place a moment before
        Path(dst).write_text(theirs)
        return real_link(src, dst)

    monkeypatch.setattr(settings_module.os, "link", racing_link)
    monkeypatch.setattr(settings_module.os, "getpid", lambda: 1)  # two containers, each its own pid 1
    monkeypatch.delenv("ENCRYPTION_KEYS", raising=False)
    assert Settings(_env_file=None, data_dir=tmp_path / "data").cipher_keys() == [theirs]
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["encryption.key"]  # no draft left behind


@pytest.mark.parametrize("url", ["redis://localhost:6379/0", "rediss://:pw@cache:6380/0", "redis+unix:///tmp/r.sock",
                                 "redis://[::1]:6379/0", "async+redis://127.0.0.1:6379/3"])
def test_every_kind_of_redis_deployment_the_throttle_takes_is_still_taken(url):
    from storage.throttle import Throttle
    Throttle.for_redis(url)  # what uses REDIS_URL takes it: so must the settings
    assert Settings(_env_file=None, redis_url=url).redis_url == url


@pytest.mark.parametrize("url", ["unix:///var/run/redis/redis.sock", "redis+cluster://h1:7000,h2:7001"])
def test_a_redis_url_the_throttle_cannot_use_is_refused_at_start(url):
    with pytest.raises(ValueError, match="REDIS_URL must be like"):
        Settings(_env_file=None, redis_url=url)


def _environment(monkeypatch, tmp_path, url: str, keys: str | None, data_dir: Path | None = None) -> None:
    monkeypatch.setitem(Settings.model_config, "env_file", None)
    monkeypatch.setenv("DATA_DIR", str(data_dir or tmp_path))
    monkeypatch.setenv("DATABASE_URL", url)
    if keys is None:
        monkeypatch.delenv("ENCRYPTION_KEYS", raising=False)
    else:
        monkeypatch.setenv("ENCRYPTION_KEYS", keys)
    monkeypatch.delenv("TELEGRAM_TOKEN", raising=False)


def _start(monkeypatch, tmp_path, command_line: list[str], url: str) -> int:
    """main.main(command_line), "URL" in it standing for `url`: the console's --database, while DATABASE_URL names
    another database (one that passes every check)."""
    if "URL" in command_line:
        monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'other.db'}")
    return main.main([url if arg == "URL" else arg for arg in command_line])


# `console` opens the configured database (or --database's) after the checks `run` makes; before, it made none.
STARTS = [["run"], ["migrate"], ["console"], ["console", "--database", "URL"]]


async def _database_at_0015(tmp_path, campus, clock) -> tuple[str, int]:
    """A service's database before 0016: a phone under the service's key, an order's pickup code in clear."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'paotui.db'}"
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    alice = await make_user(db, campus, clock(), name="alice", phone="13800138000")
    order_id = await make_order(db, campus, alice, clock())
    await db.dispose()
    await asyncio.to_thread(command.downgrade, alembic_config(url), "0015")
    async with UnitOfWork(db) as uow:
        await uow.session.execute(sa.text("UPDATE orders SET description = 'code 3-2-1108' WHERE id = :id"),
                                  {"id": order_id})
    await db.dispose()
    return url, order_id


def _description(url: str, order_id: int) -> str:
    import sqlite3

    with sqlite3.connect(url.removeprefix("sqlite+aiosqlite:///")) as conn:
        return conn.execute("SELECT description FROM orders WHERE id = ?", (order_id,)).fetchone()[0]


@pytest.mark.parametrize("command_line", STARTS)
def test_an_upgrade_with_the_wrong_keys_is_refused_before_it_encrypts_anything(tmp_path, monkeypatch, capsys, campus,
                                                                              clock, command_line):
    # Before: 0016 ran first, sealing every order's pickup code under the wrong key, and only then was the start
    # refused; put right, the keys could not open those codes, and the service would not start again.
    url, order_id = in_thread(asyncio.run, _database_at_0015(tmp_path, campus, clock))
    _environment(monkeypatch, tmp_path, url, Cipher.new_key())
    assert _start(monkeypatch, tmp_path, command_line, url) == 2
    err = capsys.readouterr().err
    assert err.startswith("paotui cannot start: the encryption keys cannot open personal data already stored "
                          "(users.phone_enc). Set ENCRYPTION_KEYS") and err.count("\n") == 1
    assert _description(url, order_id) == "code 3-2-1108"  # not migrated: still the clear text 0016 would seal

    _environment(monkeypatch, tmp_path, url, CIPHER_KEY)  # the right key, as the message asks
    assert main.main(["migrate"]) == 0
    assert main.keys_refused(Settings()) is None  # the pickup code is sealed under the database's own key


@pytest.mark.parametrize("command_line", [["migrate"], ["console"], ["console", "--database", "URL"],
                                          ["console", "--script", str(EXAMPLES / "cancellation.txt"), "--database",
                                           "URL"]])
def test_a_start_on_a_host_without_the_key_makes_no_key_for_a_database_holding_encrypted_data(
        tmp_path, monkeypatch, capsys, campus, clock, command_line):
    # A release job (or a new host) runs `main.py migrate` on the shared database with ENCRYPTION_KEYS unset and no
    # encryption.key in its data dir. Before: a key was generated there and 0016 sealed every pickup code under it
    # (and `console` did it without a word).
    url, order_id = in_thread(asyncio.run, _database_at_0015(tmp_path, campus, clock))
    release_job = tmp_path / "release-job"
    _environment(monkeypatch, tmp_path, url, None, data_dir=release_job)
    assert _start(monkeypatch, tmp_path, command_line, url) == 2
    err = capsys.readouterr().err
    assert err.startswith("paotui cannot start: the database holds encrypted personal data, and no key is configured "
                          "here") and "Set ENCRYPTION_KEYS" in err and err.count("\n") == 1
    assert not (release_job / "encryption.key").exists() and _description(url, order_id) == "code 3-2-1108"

    _environment(monkeypatch, tmp_path, url, CIPHER_KEY)  # the service, with its key
    assert main.main(["migrate"]) == 0
    assert main.keys_refused(Settings()) is None


@pytest.mark.parametrize("made", [False, True], ids=["no database yet", "an empty database"])
def test_a_database_holding_no_encrypted_data_gets_a_generated_key(tmp_path, monkeypatch, capsys, made):
    # README's offline default: no ENCRYPTION_KEYS, and a key is generated into the data dir.
    url = f"sqlite+aiosqlite:///{tmp_path / 'paotui.db'}"
    if made:
        in_thread(upgrade, url)
    _environment(monkeypatch, tmp_path, url, None, data_dir=tmp_path / "data")
    assert main.main(["migrate"]) == 0
    assert capsys.readouterr().out.startswith("database is up to date")
    assert (tmp_path / "data" / "encryption.key").is_file()


@pytest.mark.parametrize("command_line", STARTS)
def test_a_database_migrated_by_a_newer_release_is_one_line_saying_so(tmp_path, monkeypatch, capsys, command_line):
    # A deploy rolled back to the previous release after it migrated. Before: alembic's CommandError traceback
    # ("Can't locate revision identified by '0099'"), and nothing said what to do.
    import sqlite3

    from storage.migrate import head_revision

    url = f"sqlite+aiosqlite:///{tmp_path / 'paotui.db'}"
    in_thread(upgrade, url)
    with sqlite3.connect(tmp_path / "paotui.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    _environment(monkeypatch, tmp_path, url, CIPHER_KEY)
    assert _start(monkeypatch, tmp_path, command_line, url) == 2
    head = head_revision()
    assert capsys.readouterr().err == (
        f"paotui cannot start: the database is at revision 0099, newer than this paotui's head {head}: a newer "
        f"release migrated it. Downgrade it to {head} with that release first, or run that release.\n")
