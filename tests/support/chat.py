"""Talking to the running bot through the fake Telegram: say, read buttons, wait until drained."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from tests.fakes.telegram_api import FakeTelegram

if TYPE_CHECKING:
    from tests.support.harness import RunningBot

CHAT = 1001


async def say(fake: FakeTelegram, text: str, chat_id: int = CHAT, **kwargs: Any) -> dict[str, Any]:
    """Send `text` as the user and return the bot's next message to that chat."""
    before = len(fake.sent(chat_id))
    fake.send_text(chat_id, text, **kwargs)
    messages = await fake.wait_for_messages(chat_id, before + 1)
    return messages[before]


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The inline buttons of a sent message, row by row, as one list (none when it has no keyboard)."""
    markup = message.get("reply_markup") or {"inline_keyboard": []}
    return [b for row in markup["inline_keyboard"] for b in row]


async def drained(bot: RunningBot, fake: FakeTelegram) -> None:
    """Wait until every update pushed so far has been fetched and handled: stored (the fake lets go
    of an update once the poller confirmed it), answered (the inbox), and every handler finished,
    also what it does after its reply (the application's update processor)."""
    processor = bot.runtime.application.update_processor
    for _ in range(1000):
        if (
            not fake.pending_updates
            and not await bot.services.store.inbox.unfinished_updates()
            and processor.current_concurrent_updates == 0
        ):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("updates still unhandled")
