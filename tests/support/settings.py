"""The one way tests build `Settings`: no .env file, the fakes' addresses when given, overrides last."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.config import Settings
from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram


def make_settings(
    data_dir: Path,
    *,
    telegram: FakeTelegram | None = None,
    gemini: FakeGemini | None = None,
    **overrides: Any,
) -> Settings:
    """Settings for a test: DATA_DIR, the fakes' URLs and keys if given, one quick LLM attempt."""
    values: dict[str, Any] = {"DATA_DIR": data_dir, "GOOGLE_API_KEY": "k-123456"}
    if telegram is not None:
        values.update(TELEGRAM_BOT_TOKEN=telegram.token, TELEGRAM_API_BASE_URL=telegram.base_url)
    if gemini is not None:
        values.update(
            GOOGLE_API_KEY=gemini.api_key,
            GOOGLE_GEMINI_BASE_URL=gemini.base_url,
            LLM_MAX_ATTEMPTS=1,
            LLM_TIMEOUT_SECONDS=10,
        )
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]
