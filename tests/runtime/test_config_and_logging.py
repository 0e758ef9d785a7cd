"""Settings validation and secret redaction in logs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings
from bot.runtime.logs import REDACTED, RedactingFilter

TOKEN = "123456789:AAH-fake_token_value_for_tests_only_x"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "GOOGLE_API_KEY", "GEMINI_API_KEY", "MEM0_API_KEY", "DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_gemini_api_key_is_accepted_as_the_google_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "k-123456")
    settings = load_settings()
    assert settings.google_api_key.get_secret_value() == "k-123456"
    assert settings.data_dir == Path("data")


def test_missing_key_names_it_and_where_to_get_it() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert "GOOGLE_API_KEY is not set" in str(info.value)
    assert "Google AI Studio" in str(info.value)


def test_missing_token_names_botfather(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", "k-123456")
    with pytest.raises(SettingsError, match="@BotFather"):
        load_settings().require_telegram()


def test_dotenv_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\nGOOGLE_API_KEY=k-abcdef\nMEMORY_TOP_K=5\n")
    settings = load_settings()
    assert settings.require_telegram().get_secret_value() == TOKEN
    assert settings.memory_top_k == 5
    assert TOKEN not in repr(settings)


def test_invalid_value_message_has_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", "k-123456")
    monkeypatch.setenv("MEMORY_TOP_K", "many")
    with pytest.raises(SettingsError, match="MEMORY_TOP_K is invalid") as info:
        load_settings()
    assert "k-123456" not in str(info.value)


def test_redacting_filter_hides_tokens_keys_and_known_secrets() -> None:
    """Known secret values and token/key shapes are replaced in messages and tracebacks."""
    redactor = RedactingFilter(["my-mem0-secret"])
    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, "POST https://api.telegram.org/bot%s/getMe %s", (TOKEN, "x"), None
    )
    try:
        raise RuntimeError("key AIza" + "B" * 35 + " and my-mem0-secret")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    assert redactor.filter(record)
    assert TOKEN not in record.getMessage()
    assert REDACTED in record.getMessage()
    assert record.exc_text is not None
    assert "my-mem0-secret" not in record.exc_text
    assert "AIza" + "B" * 35 not in record.exc_text
    assert "RuntimeError: key [REDACTED] and [REDACTED]" in record.exc_text


def test_blank_key_is_reported_as_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty GOOGLE_API_KEY= line (as in a fresh .env) reads as missing, with the hint."""
    monkeypatch.setenv("GOOGLE_API_KEY", "  ")
    with pytest.raises(SettingsError, match="GOOGLE_API_KEY is not set: create a key in Google AI Studio"):
        load_settings()
