"""Run the real bot in-process against the fake servers, the way `run_polling` would."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.advisor import Advisor
from bot.app import Services, build_application, start_polling, stop_polling
from bot.config import Settings
from bot.polling import Poller
from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram


def make_settings(telegram: FakeTelegram, gemini: FakeGemini, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "GOOGLE_API_KEY": gemini.api_key,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "GOOGLE_GEMINI_BASE_URL": gemini.base_url,
        "DATA_DIR": data_dir,
        "LLM_MAX_ATTEMPTS": 1,
        "LLM_TIMEOUT_SECONDS": 10,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class RunningBot:
    """The application started like `run_polling` does, and stopped like it on SIGTERM."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app: Application[Any, Any, Any, Any, Any, Any] = build_application(settings)
        self.poller: Poller | None = None

    @property
    def services(self) -> Services:
        services: Services = self.app.bot_data["services"]
        return services

    @property
    def advisor(self) -> Advisor:
        return self.services.advisor

    @property
    def running(self) -> bool:
        return self.poller is not None

    async def start(self) -> RunningBot:
        self.poller = await start_polling(self.app, poll_seconds=1)
        return self

    async def settle(self, seconds: float = 30) -> None:
        """Apply every pending memory write (what the writer would do in the background)."""
        pending = await self.services.writer.drain(seconds)
        assert pending == 0, f"{pending} memory writes still pending"

    async def stop(self) -> None:
        poller, self.poller = self.poller, None
        await stop_polling(self.app, poller)


CHAT = 1001

StartBot = Callable[..., Awaitable[RunningBot]]


async def say(fake: FakeTelegram, text: str, chat_id: int = CHAT, **kwargs: Any) -> dict[str, Any]:
    """Send `text` as the user and return the bot's next message to that chat."""
    before = len(fake.sent(chat_id))
    fake.send_text(chat_id, text, **kwargs)
    messages = await fake.wait_for_messages(chat_id, before + 1)
    return messages[before]
