"""The bot in webhook mode on a free 127.0.0.1 port, for the webhook suites."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import BotRuntime
from bot.telegram.http_server import ConnectionLimits
from bot.telegram.webhook import WebhookServer
from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram
from tests.support.harness import make_settings

URL = "https://bot.example.com/hook/telegram"

StartWebhook = Callable[..., Awaitable[WebhookServer]]


@pytest.fixture
async def start_hook(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> AsyncIterator[StartWebhook]:
    """Start the bot in webhook mode on a free 127.0.0.1 port; stopped at the end."""
    running: list[tuple[BotRuntime, WebhookServer]] = []

    async def start(limits: ConnectionLimits | None = None, **overrides: Any) -> WebhookServer:
        values = {"WEBHOOK_URL": URL, "WEBHOOK_LISTEN": "127.0.0.1", **overrides}
        settings = make_settings(tmp_path / "data", telegram=fake_telegram, gemini=fake_gemini, **values)
        runtime = await BotRuntime.open(settings)
        server = await runtime.start_webhook(port=0, limits=limits)
        running.append((runtime, server))
        return server

    yield start
    for runtime, _server in running:
        await runtime.close()
