"""Settings that cannot work stop the service at start with a clear message, before it touches the database."""
import asyncio
import os
from pathlib import Path

import pytest

import main
from bot.settings import Settings
from storage.databases import drop_postgres, fresh_postgres
from tests.conftest import PG_ADMIN_URL, in_thread, service_missing


@pytest.mark.parametrize("secret", [None, "has spaces", "x" * 257])
def test_webhook_mode_without_a_valid_secret_does_not_start(secret, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TELEGRAM_TOKEN", "123456:very-secret-token")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://bot.example.edu/telegram")
    if secret is None:
        monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    else:
        monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", secret)

    assert main.main(["run"]) == 2

    err = capsys.readouterr().err
    assert "TELEGRAM_WEBHOOK_SECRET must be set in webhook mode" in err
    assert "very-secret-token" not in err  # the message never repeats the secrets it was given
    assert list(tmp_path.iterdir()) == []  # stopped before creating the database


@pytest.mark.parametrize(("low", "high"), [("0", "7000000"), ("800", "800"), ("900", "800")])
def test_invoice_bounds_that_cannot_work_do_not_start(low, high, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TELEGRAM_INVOICE_MIN_FEN", low)
    monkeypatch.setenv("TELEGRAM_INVOICE_MAX_FEN", high)

    assert main.main(["run"]) == 2

    assert "TELEGRAM_INVOICE_MIN_FEN must be at least 1 and below TELEGRAM_INVOICE_MAX_FEN" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_invoice_bounds_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("TELEGRAM_INVOICE_MIN_FEN", raising=False)
    monkeypatch.delenv("TELEGRAM_INVOICE_MAX_FEN", raising=False)
    default = Settings(_env_file=None)
    assert (default.telegram_invoice_min_fen, default.telegram_invoice_max_fen) == (800, 7_000_000)
    monkeypatch.setenv("TELEGRAM_INVOICE_MIN_FEN", "1000")
    monkeypatch.setenv("TELEGRAM_INVOICE_MAX_FEN", "500000")
    settings = Settings(_env_file=None)
    assert (settings.telegram_invoice_min_fen, settings.telegram_invoice_max_fen) == (1000, 500_000)


def test_how_long_telegram_failures_are_retried_comes_from_the_environment(monkeypatch, tmp_path):
    from bot.telegram.app import telegram_sender
    from bot.telegram.sender import TelegramRateLimiter
    from handlers.context import Services
    from storage.crypto import Cipher

    monkeypatch.delenv("TELEGRAM_RETRY_HOURS", raising=False)
    assert Settings(_env_file=None).telegram_retry_hours == 24
    monkeypatch.setenv("TELEGRAM_RETRY_HOURS", "2.5")
    settings = Settings(_env_file=None)
    services = Services(db=None, campuses={}, cipher=Cipher([Cipher.new_key()]), clock=None)  # type: ignore[arg-type]
    sender = telegram_sender(services, None, TelegramRateLimiter(), settings)  # type: ignore[arg-type]
    assert sender.config.retry_for == 2.5 * 3600


def test_telegram_failures_retried_for_no_time_do_not_start(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TELEGRAM_RETRY_HOURS", "0")

    assert main.main(["run"]) == 2

    assert "TELEGRAM_RETRY_HOURS must be more than 0 (got 0.0)" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("given", "used"), [
    ("postgresql://paotui:p%40ss@db:5432/paotui", "postgresql+asyncpg://paotui:p%40ss@db:5432/paotui"),
    ("postgres://paotui@db/paotui", "postgresql+asyncpg://paotui@db/paotui"),
    ("postgresql+psycopg://paotui@db/paotui?sslmode=require", "postgresql+asyncpg://paotui@db/paotui?ssl=require"),
    ("postgresql+asyncpg://paotui@db/paotui?sslmode=verify-ca", "postgresql+asyncpg://paotui@db/paotui?ssl=verify-ca"),
    ("postgresql://paotui@db/paotui?sslmode=require&channel_binding=require",  # Neon's, as its console hands it out
     "postgresql+asyncpg://paotui@db/paotui?ssl=require"),
    ("postgresql://paotui@db/paotui?connect_timeout=10", "postgresql+asyncpg://paotui@db/paotui?timeout=10"),
    ("sqlite:////srv/paotui/paotui.db", "sqlite+aiosqlite:////srv/paotui/paotui.db"),
    ("sqlite+aiosqlite:///data/paotui.db", "sqlite+aiosqlite:///data/paotui.db"),
])
def test_a_database_url_as_hosts_hand_it_out_is_taken_with_paotuis_drivers(given, used):
    # Before: postgresql:// ended in "ModuleNotFoundError: psycopg", ?sslmode= in asyncpg's TypeError, sqlite:///
    # in "cannot be used (InvalidRequestError)".
    assert Settings(_env_file=None, database_url=given).database_url == used


@pytest.mark.parametrize(("query", "said"), [
    ("application_name=paotui", "DATABASE_URL's parameter 'application_name' is not one paotui's PostgreSQL driver"),
    ("sslmode=require&sslcert=/etc/ssl/client.pem", "DATABASE_URL's parameter 'sslcert' is not one"),
    ("sslmode=verify-full&sslrootcert=/etc/ssl/no-such-ca.pem", "DATABASE_URL's sslrootcert must name a readable"),
    ("sslrootcert=/etc/ssl/no-such-ca.pem", "DATABASE_URL's sslrootcert needs sslmode require, verify-ca or"),
    ("connect_timeout=ten", "DATABASE_URL's connect_timeout (or timeout) must be a number of seconds above 0"),
])
def test_a_libpq_parameter_asyncpg_cannot_take_is_refused_in_one_line(query, said, monkeypatch, capsys, tmp_path):
    # Before: it passed the check, then migrate ended in asyncpg's "TypeError: connect() got an unexpected keyword
    # argument" traceback. 127.0.0.1:1: nothing listens there.
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"postgresql://paotui:pw@127.0.0.1:1/paotui?{query}")
    assert main.main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"paotui cannot start: {said}") and err.count("\n") == 1
    assert "127.0.0.1" not in err and "/etc/ssl" not in err  # nothing of the URL's values is repeated


def test_a_ca_file_in_the_url_verifies_the_server_with_it():
    import ssl

    import certifi

    from storage.db import asyncpg_connect_args

    url = Settings(_env_file=None, database_url=f"postgresql://paotui@db/paotui?sslmode=verify-full"
                                                f"&sslrootcert={certifi.where()}&connect_timeout=10").database_url
    plain, connect_args = asyncpg_connect_args(url)
    assert plain.render_as_string() == "postgresql+asyncpg://paotui@db/paotui"
    assert connect_args["timeout"] == 10.0  # asyncpg takes a number, not the URL's text
    context = connect_args["ssl"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0  # the CA file's certificates, which asyncpg never read before


def test_a_sqlite_url_without_its_driver_is_migrated(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'paotui.db'}")
    assert main.main(["migrate"]) == 0
    assert capsys.readouterr().out == f"database is up to date: sqlite+aiosqlite:///{tmp_path / 'paotui.db'}\n"


@pytest.fixture
def plain_pg_url():
    """A database of its own, as a managed PostgreSQL hands its URL out: no driver, libpq's sslmode."""
    name = f"paotui_settings_test_{os.getpid()}"
    try:
        url = in_thread(asyncio.run, fresh_postgres(PG_ADMIN_URL, name))
    except (OSError, asyncio.TimeoutError) as exc:
        service_missing("PostgreSQL", f"{PG_ADMIN_URL}: {exc}")
    # Neon's channel_binding, and libpq's connect_timeout, which asyncpg takes under another name.
    yield url.replace("postgresql+asyncpg://", "postgresql://", 1) + "?sslmode=disable&channel_binding=prefer" \
        "&connect_timeout=10"
    in_thread(asyncio.run, drop_postgres(PG_ADMIN_URL, name))


@pytest.mark.postgres
def test_a_postgresql_url_with_no_driver_and_libpqs_sslmode_is_migrated(plain_pg_url, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", plain_pg_url)
    assert main.main(["migrate"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("database is up to date: postgresql+asyncpg://") and out.endswith("?ssl=disable&timeout=10\n")


def test_blank_lines_a_env_template_leaves_are_taken_as_unset(monkeypatch, capsys, tmp_path):
    # Before: `ENCRYPTION_KEYS=` passed, migrate said all was well, and run died with "ValueError: at least one
    # encryption key is required"; `TELEGRAM_TOKEN=` started the Telegram bot with an empty token.
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ENCRYPTION_KEYS", "")
    monkeypatch.setenv("TELEGRAM_TOKEN", " ")
    settings = Settings(_env_file=None)
    assert settings.encryption_keys is None and settings.telegram_token is None
    assert main.main(["migrate"]) == 0
    assert settings.cipher_keys() == [(tmp_path / "encryption.key").read_text().strip()]  # the generated key


def test_a_wrong_setting_is_named_by_its_variable_in_one_line(monkeypatch, capsys, tmp_path):
    # Before: "a setting is wrong.\n  Input should be a valid integer, unable to parse string as an integer": which
    # of the two dozen variables?
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TELEGRAM_WEBHOOK_PORT", "8o81")
    monkeypatch.setenv("TELEGRAM_API_LOCAL", "very-secret-token")

    assert main.main(["campus"]) == 2

    assert capsys.readouterr().err == (
        "paotui cannot start: TELEGRAM_API_LOCAL: Input should be a valid boolean, unable to interpret input; "
        "TELEGRAM_WEBHOOK_PORT: Input should be a valid integer, unable to parse string as an integer\n")


@pytest.mark.parametrize("files", ["", " , "])
def test_no_campus_file_does_not_start(files, monkeypatch, capsys, tmp_path):
    # Before: `campus` printed nothing and exited 0; `run` migrated, then crashed with an IndexError.
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CAMPUS_FILES", files)

    assert main.main(["run"]) == 2

    assert capsys.readouterr().err == ("paotui cannot start: CAMPUS_FILES must name at least one campus file (comma "
                                       "separated), like campus/demo.yaml\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["environment", ".env"])
def test_wechat_settings_are_said_to_be_ignored_at_start(where, monkeypatch, capsys, tmp_path):
    # README documented WECHAT_* for a channel that does not exist: a deployer who set them got the console and no
    # word about WeChat.
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setattr(main, "cmd_console", lambda *args, **kwargs: 0)  # no token: the console (reads the terminal)
    if where == "environment":
        monkeypatch.setenv("WECHAT_APP_ID", "wx123")
        monkeypatch.setenv("WECHAT_APP_SECRET", "very-secret-app-secret")
    else:
        dotenv = tmp_path / ".env"
        dotenv.write_text("WECHAT_APP_ID=wx123\nWECHAT_APP_SECRET=very-secret-app-secret\n")
        monkeypatch.setitem(Settings.model_config, "env_file", dotenv)

    assert main.main(["run"]) == 0

    err = capsys.readouterr().err
    assert err == ("paotui: WECHAT_APP_ID, WECHAT_APP_SECRET are set, but there is no WeChat channel yet: "
                   "ignored.\n") and "very-secret" not in err


@pytest.mark.parametrize("port", ["0", "80810"])
def test_a_webhook_port_no_socket_can_take_does_not_start(port, monkeypatch, capsys, tmp_path):
    # Before: 80810 (a typo) passed, and the webhook's listen ended in an OverflowError traceback.
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TELEGRAM_WEBHOOK_PORT", port)

    assert main.main(["run"]) == 2

    assert capsys.readouterr().err.startswith("paotui cannot start: TELEGRAM_WEBHOOK_PORT: Input should be ")
    assert list(tmp_path.iterdir()) == []


def test_the_project_directorys_env_is_read_wherever_paotui_starts(tmp_path, monkeypatch):
    """Started from another directory, the deployment's .env was silently ignored and a fresh database used. The
    project's .env is read wherever paotui starts, its relative paths from its own folder; the environment's stay
    the current directory's."""
    import bot.settings as settings_module
    from tests.conftest import DEPLOYMENT_ENV_FILE

    assert DEPLOYMENT_ENV_FILE == settings_module.PROJECT_DIR / ".env"  # not the current directory's
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    env_file = project / ".env"
    env_file.write_text("DATA_DIR=state\nCAMPUS_FILES=campus/ours.yaml, /srv/theirs.yaml\n"
                        "DATABASE_URL=sqlite:///state/paotui.db\nTELEGRAM_TOKEN=123456:from-the-env-file\n")
    (elsewhere / ".env").write_text("DATA_DIR=/another/project\n")  # where paotui is started from: not read
    monkeypatch.chdir(elsewhere)
    monkeypatch.setattr(settings_module, "ENV_FILE", env_file)  # as the project directory's .env
    monkeypatch.setitem(Settings.model_config, "env_file", env_file)
    for name in ("DATA_DIR", "CAMPUS_FILES", "DATABASE_URL", "TELEGRAM_TOKEN", "PAOTUI_ENV_FILE"):
        monkeypatch.delenv(name, raising=False)

    settings = Settings()
    assert settings.data_dir == project / "state"
    assert settings.campus_files == [project / "campus" / "ours.yaml", Path("/srv/theirs.yaml")]
    assert settings.database_url == f"sqlite+aiosqlite:///{project}/state/paotui.db"
    assert settings.telegram_token.get_secret_value() == "123456:from-the-env-file"

    monkeypatch.setenv("DATA_DIR", "here")  # the environment wins, relative to where paotui runs
    assert Settings().data_dir == Path("here")
    monkeypatch.delenv("DATA_DIR")

    monkeypatch.setenv("PAOTUI_ENV_FILE", str(elsewhere / ".env"))  # another .env, named
    assert Settings().data_dir == Path("/another/project")
    monkeypatch.setenv("PAOTUI_ENV_FILE", "")  # none
    assert (Settings().data_dir, Settings().telegram_token) == (settings_module.PROJECT_DIR / "data", None)


started: list[Settings] = []  # what the (stubbed) console was started with


def _deployment(tmp_path, monkeypatch, *, project_env: bool) -> tuple[Path, Path]:
    """A project directory (its .env there or not) and a config folder holding a .env, paotui started from it. Each
    .env says which it is by its relay limit; the data stay in tmp_path whichever is read."""
    import bot.settings as settings_module

    project, config = tmp_path / "opt" / "paotui", tmp_path / "etc" / "paotui"
    project.mkdir(parents=True)
    config.mkdir(parents=True)
    if project_env:
        (project / ".env").write_text("RATE_LIMIT_RELAYS=1/minute\n")
    (config / ".env").write_text("RATE_LIMIT_RELAYS=2/minute\n")
    monkeypatch.chdir(config)
    monkeypatch.setattr(settings_module, "ENV_FILE", project / ".env")
    monkeypatch.setitem(Settings.model_config, "env_file", project / ".env")
    started.clear()
    monkeypatch.setattr(main, "cmd_run", lambda settings, *args, **kwargs: (started.append(settings), 0)[1])
    for name in ("TELEGRAM_TOKEN", "DATABASE_URL", "CAMPUS_FILES", "PAOTUI_ENV_FILE", "RATE_LIMIT_RELAYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    return project, config


@pytest.mark.parametrize("project_env", [False, True])
def test_a_env_in_the_current_directory_that_is_not_read_stops_the_start(project_env, tmp_path, monkeypatch, capsys):
    """An upgraded deployment started from its config folder (systemd's WorkingDirectory) had its .env skipped
    without a word: a fresh database, a new key, the console, exit 0. It stops, naming both files and the choice."""
    project, config = _deployment(tmp_path, monkeypatch, project_env=project_env)

    assert main.main(["run"]) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"paotui cannot start: {config / '.env'} is not read: paotui reads "
                                                   f"{project / '.env'}, the project's")
    assert "Set PAOTUI_ENV_FILE=./.env to read the one here" in err
    assert ("or move it to" in err) is not project_env
    assert started == [] and not (tmp_path / "data").exists()

    monkeypatch.setenv("PAOTUI_ENV_FILE", "./.env")  # the one here, chosen
    assert main.main(["run"]) == 0
    assert started[-1].rate_limit_relays == "2/minute"
    assert capsys.readouterr().err == ""


def test_started_in_the_project_directory_its_env_is_read_without_a_word(tmp_path, monkeypatch, capsys):
    project, _ = _deployment(tmp_path, monkeypatch, project_env=True)
    monkeypatch.chdir(project)

    assert main.main(["run"]) == 0
    assert started[-1].rate_limit_relays == "1/minute"
    assert capsys.readouterr().err == ""


def test_a_paotui_env_file_naming_no_file_stops_the_start(tmp_path, monkeypatch, capsys):
    _deployment(tmp_path, monkeypatch, project_env=True)
    monkeypatch.setenv("PAOTUI_ENV_FILE", str(tmp_path / "typo.env"))

    assert main.main(["run"]) == 2
    assert capsys.readouterr().err == (f"paotui cannot start: PAOTUI_ENV_FILE names {tmp_path / 'typo.env'}, which is "
                                       "no file: name the .env to read, or set it blank to read none\n")
    assert started == []

    monkeypatch.setenv("PAOTUI_ENV_FILE", " ")  # blank: none read, the .env here left alone as chosen
    assert main.main(["run"]) == 0
    assert started[-1].rate_limit_relays == Settings.model_fields["rate_limit_relays"].default
    assert capsys.readouterr().err == ""
