"""Secrets and infrastructure, from the environment and .env. Built once in main.py and passed down."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from storage.throttle import ThrottleConfig

PROJECT_DIR = Path(__file__).resolve().parent.parent
# The deployment's .env is the project directory's, wherever paotui is started from (as data/ and campus/ are):
# one read from the current directory would be silently missed by a start from elsewhere, which then ran on a
# fresh database. PAOTUI_ENV_FILE names another file instead; set blank, none is read.
ENV_FILE = PROJECT_DIR / ".env"
ENV_FILE_VARIABLE = "PAOTUI_ENV_FILE"
# What the throttle and the sender's `limits` storage connect to (with or without its "async+" prefix): a server,
# over TLS, or a socket.
REDIS_SCHEMES = ("redis", "rediss", "redis+unix")
# DATABASE_URL's schemes, each with the driver paotui runs it on (migrations and PostgreSQL need asyncio drivers; the
# units of work take pysqlite for SQLite, storage/db.py): a host's plain postgresql:// works as it is handed out.
DATABASE_DRIVERS = {"postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg",
                    "postgresql+asyncpg": "postgresql+asyncpg", "postgresql+psycopg": "postgresql+asyncpg",
                    "postgresql+psycopg2": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite",
                    "sqlite+aiosqlite": "sqlite+aiosqlite", "sqlite+pysqlite": "sqlite+aiosqlite"}
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")  # asyncpg's ssl=, libpq's sslmode=
# The URL parameters asyncpg.connect takes as text (SQLAlchemy passes them on as keywords; timeout is made a number
# and sslrootcert an SSL context in storage/db.py): any other ends in a TypeError at the first connection.
ASYNCPG_PARAMETERS = {"host", "port", "ssl", "timeout", "sslrootcert", "command_timeout", "passfile",
                      "target_session_attrs", "krbsrvname", "gsslib", "prepared_statement_cache_size"}
DATABASE_URL_FORMS = ("DATABASE_URL must be like postgresql+asyncpg://user:password@host:5432/db (postgresql:// "
                      "is taken as that) or sqlite+aiosqlite:///path/to/paotui.db (or sqlite:///…); characters such "
                      "as @ / # ? in the password must be percent-encoded")
WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as a webhook secret token


def database_url(value: str) -> str:
    """DATABASE_URL (or the console's --database) as paotui's drivers take it, or a ValueError saying the forms it
    may take. Checked at start, not when the database is first used: a wrong URL would end in a driver's traceback
    (psycopg not installed, asyncpg refusing libpq's sslmode). The messages never repeat it: it may hold a password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(value)
    except (ArgumentError, ValueError):  # ValueError: a port that is no number, as an unencoded '@' or ':' makes it
        raise ValueError(DATABASE_URL_FORMS) from None
    driver = DATABASE_DRIVERS.get(url.drivername)
    if driver is None:
        raise ValueError(DATABASE_URL_FORMS)
    query = dict(url.query)
    if driver == "postgresql+asyncpg":
        if "sslmode" in query:  # how managed PostgreSQL hands its URL out; asyncpg takes the same modes as ssl=
            query.setdefault("ssl", query.pop("sslmode"))
        if "ssl" in query and query["ssl"] not in SSL_MODES:
            raise ValueError(f"DATABASE_URL's sslmode (or ssl) must be one of {', '.join(SSL_MODES)}")
        query = asyncpg_query(query)
    if (driver, query) == (url.drivername, dict(url.query)):
        return value
    return url.set(drivername=driver, query=query).render_as_string(hide_password=False)


def asyncpg_query(query: dict) -> dict:
    """libpq's parameters a host's URL carries (Neon's channel_binding, RDS's sslrootcert) as asyncpg takes them, or
    a ValueError naming the one it cannot take (never its value)."""
    query = dict(query)
    query.pop("channel_binding", None)  # asyncpg authenticates without it (SCRAM, over the TLS sslmode asks for)
    if "connect_timeout" in query:
        query.setdefault("timeout", query.pop("connect_timeout"))
    if "timeout" in query:
        try:
            seconds = float(query["timeout"])
        except (TypeError, ValueError):
            seconds = 0.0
        if not 0 < seconds < float("inf"):  # nan too
            raise ValueError("DATABASE_URL's connect_timeout (or timeout) must be a number of seconds above 0")
    if "sslrootcert" in query:
        root = query["sslrootcert"]
        if query.get("ssl") not in ("require", "verify-ca", "verify-full"):
            raise ValueError("DATABASE_URL's sslrootcert needs sslmode require, verify-ca or verify-full")
        if not isinstance(root, str) or not (root == "system" or Path(root).is_file()):
            raise ValueError("DATABASE_URL's sslrootcert must name a readable certificate file (or be system)")
    for name in query:
        if name not in ASYNCPG_PARAMETERS:
            raise ValueError(f"DATABASE_URL's parameter {name[:40]!r} is not one paotui's PostgreSQL driver (asyncpg) "
                             "takes: take it out of the URL")
    return query


def chosen_env_file(configured: object) -> object:
    """The .env to read: PAOTUI_ENV_FILE's (blank: none) over the project's default; a file given otherwise (the
    tests' None) as it is."""
    chosen = os.environ.get(ENV_FILE_VARIABLE)
    if chosen is None or configured != ENV_FILE:
        return configured
    return Path(chosen) if chosen.strip() else None


def env_file_problem() -> str | None:
    """Why the .env to read is in doubt, said at start before anything is read, or None. A .env in the current
    directory that is not the one read (a service whose WorkingDirectory holds its .env, as before paotui read the
    project's) would otherwise be skipped without a word, and the service run on defaults: a fresh database and key.
    A PAOTUI_ENV_FILE naming no file would be skipped the same way. Only for the deployment's default (the tests name
    their own file, or none)."""
    if Settings.model_config.get("env_file") != ENV_FILE:
        return None
    chosen = os.environ.get(ENV_FILE_VARIABLE)
    if chosen is not None:
        if chosen.strip() and not Path(chosen).is_file():
            return (f"{ENV_FILE_VARIABLE} names {chosen}, which is no file: name the .env to read, or set it blank "
                    "to read none")
        return None
    here = Path.cwd() / ".env"
    if not here.is_file() or here.resolve() == Path(ENV_FILE).resolve():
        return None
    if Path(ENV_FILE).is_file():
        return (f"{here} is not read: paotui reads {ENV_FILE}, the project's. Set {ENV_FILE_VARIABLE}=./.env to read "
                f"the one here instead, or {ENV_FILE_VARIABLE}={ENV_FILE} to keep the project's")
    return (f"{here} is not read: paotui reads {ENV_FILE}, the project's (there is none). Set "
            f"{ENV_FILE_VARIABLE}=./.env to read the one here, or move it to {ENV_FILE}")


class ProjectDotEnv(DotEnvSettingsSource):
    """A .env's relative paths (DATA_DIR, CAMPUS_FILES, a SQLite DATABASE_URL's file) are taken from the .env's own
    folder, so its deployment is the same wherever paotui starts; the environment's are the current directory's."""

    def _read_env_file(self, file_path: Path):  # noqa: ANN202 - the base class's Mapping
        values = dict(super()._read_env_file(file_path))
        folder = Path(file_path).resolve().parent
        if values.get("data_dir"):
            values["data_dir"] = str(folder / values["data_dir"])  # an absolute one stays as it is
        if values.get("campus_files"):
            values["campus_files"] = ",".join(str(folder / p.strip()) if p.strip() else ""
                                              for p in values["campus_files"].split(","))
        if values.get("database_url"):
            values["database_url"] = _sqlite_file_from(values["database_url"], folder)
        return values


def _sqlite_file_from(url: str, folder: Path) -> str:
    """A SQLite URL's relative file (sqlite:///data/paotui.db) from the folder; any other URL as it is."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return url  # refused, with its reason, by the setting's check
    file = parsed.database
    if not parsed.drivername.startswith("sqlite") or not file or file == ":memory:" or Path(file).is_absolute():
        return url
    return parsed.set(database=str(folder / file)).render_as_string(hide_password=False)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore")

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        assert isinstance(dotenv_settings, DotEnvSettingsSource)
        dotenv = ProjectDotEnv(settings_cls, env_file=chosen_env_file(dotenv_settings.env_file))
        return init_settings, env_settings, dotenv, file_secret_settings

    data_dir: Path = PROJECT_DIR / "data"
    # Default: a SQLite file in data_dir (WAL). PostgreSQL: postgresql+asyncpg://user@host/db
    # Not in the settings' repr: they may hold passwords.
    database_url: str | None = Field(default=None, repr=False)
    redis_url: str | None = Field(default=None, repr=False)  # needed when several processes share state
    # How fast one person may send to the Telegram bot, and have messages passed on to the other side of an order
    # (storage.throttle; `limits` notation, windows separated by ';'). Shared through redis_url when set.
    rate_limit_inputs: str = ThrottleConfig().inputs
    rate_limit_relays: str = ThrottleConfig().relays

    campus_files: Annotated[list[Path], NoDecode] = Field(
        default_factory=lambda: [PROJECT_DIR / "campus" / "demo.yaml"])

    telegram_token: SecretStr | None = None
    telegram_api_base: str = "https://api.telegram.org"
    telegram_test_environment: bool = False  # Telegram's test environment: /bot<token>/test/<method>
    telegram_api_local: bool = False  # a self-hosted Bot API server started with --local
    telegram_webhook_url: str | None = None  # set: webhook mode; unset: polling
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_host: str = "0.0.0.0"  # where the webhook server listens (behind the reverse proxy)
    telegram_webhook_port: int = Field(default=8081, ge=1, le=65535)
    telegram_payment_token: SecretStr | None = None
    # Seconds a stop (SIGTERM, Ctrl+C) waits for the updates being handled, then for the message being sent: what
    # Telegram handed over is not lost to a deploy. The whole stop may take up to about 20 s more (the sender's last
    # request, cut-off updates rolling back, a sweep finishing): keep the service manager's stop timeout above that.
    telegram_stop_timeout: float = Field(default=20.0, ge=0)
    # Telegram refuses invoices outside a currency's min/max (about US$1 to US$10,000, moving with exchange rates:
    # https://core.telegram.org/bots/payments/currencies.json). The invoice button is offered only for order totals
    # within these bounds (fen), set a little inside Telegram's so a rate change does not make invoices fail.
    telegram_invoice_min_fen: int = 800
    telegram_invoice_max_fen: int = 7_000_000
    # How long a message Telegram does not take (network errors, its 5xx) is retried before it fails for good: an
    # outage shorter than this loses nothing.
    telegram_retry_hours: float = 24.0

    # Fernet keys, comma separated; the first encrypts, all decrypt (rotation). Unset: a key is kept in data_dir.
    encryption_keys: SecretStr | None = None

    @field_validator("rate_limit_inputs", "rate_limit_relays")
    @classmethod
    def _windows(cls, value: str) -> str:
        from limits import parse_many

        # '20/10 seconds;60/minute': a ValueError names what is wrong; 0 a minute would refuse everyone.
        if any(item.amount < 1 for item in parse_many(value)):
            raise ValueError(f"{value!r}: every window must allow at least 1")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        # Read here, not when the throttle or the sender first connects: a password holding '/', '#' or '?' breaks
        # the URL, and the library's error would print it whole. The message names the problem, never the URL.
        if value:
            parts = urlsplit(value.removeprefix("async+"))
            try:
                parts.port  # noqa: B018 - raises on a port that is no number
                host = parts.hostname
            except ValueError:
                host = None
            if parts.scheme not in REDIS_SCHEMES or (parts.scheme in ("redis", "rediss") and not host):
                raise ValueError("REDIS_URL must be like redis://[:password@]host:6379/0 (or rediss://, "
                                 "redis+unix:///path.sock); characters such as / # ? in the password must be "
                                 "percent-encoded (%2F %23 %3F)")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        return database_url(value) if value else None  # blank: the offline default

    @field_validator("encryption_keys")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().replace(",", "").strip():
            return None  # blank, as a .env template leaves it: unset, as if the line were not there
        if value is not None:
            from cryptography.fernet import Fernet

            try:
                for key in (k.strip() for k in value.get_secret_value().split(",") if k.strip()):
                    Fernet(key.encode())
            except ValueError:
                raise ValueError("ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded bytes each), "
                                 "comma separated") from None
        return value

    @field_validator("telegram_token", mode="before")
    @classmethod
    def _blank_token(cls, value: object) -> object:
        # `TELEGRAM_TOKEN=` left blank in a .env: no token, so the console, as when it is not there at all.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_api_base")
    @classmethod
    def _api_base(cls, value: str) -> str:
        # Without a scheme every request fails, and the HTTP client's error names the whole URL: the token in it.
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("TELEGRAM_API_BASE must be an http(s) URL with a host, like https://api.telegram.org")
        return value

    @field_validator("campus_files", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        if isinstance(value, str):
            return [Path(p.strip()) for p in value.split(",") if p.strip()]
        return value

    @field_validator("campus_files")
    @classmethod
    def _some_campus(cls, value: list[Path]) -> list[Path]:
        # `CAMPUS_FILES=` left blank: no campus to serve (nothing to list, the console has none to open).
        if not value:
            raise ValueError("CAMPUS_FILES must name at least one campus file (comma separated), like "
                             "campus/demo.yaml")
        return value

    @model_validator(mode="after")
    def _webhook_needs_its_secret(self) -> Settings:
        # Checked at start, before migrating or connecting: a webhook without a secret would accept forged updates.
        if self.telegram_webhook_url:
            secret = self.telegram_webhook_secret.get_secret_value() if self.telegram_webhook_secret else ""
            if not WEBHOOK_SECRET.match(secret):
                raise ValueError("TELEGRAM_WEBHOOK_SECRET must be set in webhook mode (TELEGRAM_WEBHOOK_URL), "
                                 "1-256 characters of A-Z, a-z, 0-9, _ and -")
        return self

    @model_validator(mode="after")
    def _invoice_bounds(self) -> Settings:
        if not 1 <= self.telegram_invoice_min_fen < self.telegram_invoice_max_fen:
            raise ValueError("TELEGRAM_INVOICE_MIN_FEN must be at least 1 and below TELEGRAM_INVOICE_MAX_FEN "
                             f"(got {self.telegram_invoice_min_fen} and {self.telegram_invoice_max_fen})")
        return self

    @model_validator(mode="after")
    def _retry_hours(self) -> Settings:
        if not self.telegram_retry_hours > 0:
            raise ValueError(f"TELEGRAM_RETRY_HOURS must be more than 0 (got {self.telegram_retry_hours})")
        return self

    def resolved_database_url(self) -> str:
        """The database URL, its folder made for the offline default."""
        if not self.database_url:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.configured_database_url()

    def configured_database_url(self) -> str:
        """DATABASE_URL, else the offline default's SQLite file (there once the service has run or migrated): nothing
        is made by asking."""
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'paotui.db'}"

    def ignored_wechat_settings(self) -> list[str]:
        """The WECHAT_* variables set, in the environment or .env: there is no WeChat channel yet to read them."""
        from dotenv import dotenv_values

        names = set(os.environ)
        env_file = chosen_env_file(self.model_config.get("env_file"))
        for path in [env_file] if isinstance(env_file, (str, Path)) else env_file or []:
            if Path(path).is_file():
                names |= set(dotenv_values(path))
        return sorted(name.upper() for name in names if name.upper().startswith("WECHAT_"))

    @property
    def key_file(self) -> Path:
        """Where the key generated when ENCRYPTION_KEYS is unset is kept."""
        return self.data_dir / "encryption.key"

    def cipher_keys(self) -> list[str]:
        if self.encryption_keys is not None:
            return [k.strip() for k in self.encryption_keys.get_secret_value().split(",") if k.strip()]
        from storage.crypto import Cipher

        key_file = self.key_file
        if not key_file.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            # Written readable by its owner alone (never for a moment by anyone else), then put in place whole in one
            # step that fails if it is there: of two processes starting at once, both read the one key that won.
            fd, draft = tempfile.mkstemp(prefix=".encryption.key.", dir=self.data_dir)  # 0600, a name of its own
            with os.fdopen(fd, "w") as f:
                f.write(Cipher.new_key())
            try:
                os.link(draft, key_file)
            except FileExistsError:
                pass
            finally:
                os.unlink(draft)
        return [key_file.read_text().strip()]
