"""The bot in webhook mode on a free 127.0.0.1 port, for the webhook suites."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application
from bot.telegram.http_server import ConnectionLimits
from bot.telegram.webhook import WebhookServer, start_webhook, stop_webhook
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
    running: list[tuple[Any, WebhookServer]] = []

    async def start(limits: ConnectionLimits | None = None, **overrides: Any) -> WebhookServer:
        values = {"WEBHOOK_URL": URL, "WEBHOOK_LISTEN": "127.0.0.1", **overrides}
        settings = make_settings(tmp_path / "data", telegram=fake_telegram, gemini=fake_gemini, **values)
        application = build_application(settings)
        server = await start_webhook(application, settings, port=0, limits=limits)
        running.append((application, server))
        return server

    yield start
    for application, server in running:
        await stop_webhook(application, server)
