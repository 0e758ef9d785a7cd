"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    """A started fake Telegram Bot API on 127.0.0.1 (``.base_url``, ``.token``)."""
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def fake_gemini() -> Iterator[FakeGemini]:
    """A started fake Gemini API on 127.0.0.1 (``.base_url``, ``.api_key``)."""
    with FakeGemini() as fake:
        yield fake
