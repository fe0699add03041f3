"""Settings that cannot work stop the service at start with a clear message, before it touches the database."""
import pytest

import main


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
