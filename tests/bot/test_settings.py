"""Settings that cannot work stop the service at start with a clear message, before it touches the database."""
import pytest

import main
from bot.settings import Settings


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
