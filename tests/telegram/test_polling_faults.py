"""Polling survives what Telegram, a proxy or one odd update can throw at it; when a background
task the bot needs dies anyway, the bot stops with an error after closing its services."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import serve
from bot.runtime.lock import claim_data_dir
from bot.runtime.tasks import TaskDied
from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram
from tests.support.harness import StartBot, make_settings

CHAT = 3103


async def test_an_html_answer_to_get_updates_does_not_stop_polling(
    start_bot: StartBot, fake_telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    """getUpdates answered 200 with a proxy's HTML page (twice): logged, backed off, polled again;
    the next message is answered and the bot stops cleanly."""
    fake_telegram.answer_html_next("getUpdates", times=2)
    bot = await start_bot()
    fake_telegram.send_text(CHAT, "Still there?")
    [reply] = await fake_telegram.wait_for_messages(CHAT, 1, timeout=15)
    assert reply["text"] == "Coach says: Still there?"
    assert "getUpdates failed" in caplog.text
    await bot.stop()  # raised "This Application is still running!" when the poller had died
    assert not bot.runtime.application.running


async def test_an_update_that_cannot_be_stored_is_poison_not_a_stop(
    start_bot: StartBot, fake_telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    """A text with a lone surrogate cannot be written to SQLite: it is recorded as failed and
    confirmed to Telegram, and the updates around it are answered."""
    fake_telegram.send_text(CHAT, "before")
    poison = fake_telegram.send_text(CHAT + 1, "zorblaxian \ud800 text")
    fake_telegram.send_text(CHAT, "after")
    bot = await start_bot()
    messages = await fake_telegram.wait_for_messages(CHAT, 2, timeout=15)
    assert [m["text"] for m in messages] == ["Coach says: before", "Coach says: after"]
    assert fake_telegram.sent(CHAT + 1) == []
    await fake_telegram.wait_for_call("getUpdates", lambda c: int(c.params.get("offset") or 0) > poison)
    states = await bot.services.store.inbox.inbox_states()
    assert states.get("failed") == 1, states
    assert f"update {poison} cannot be stored" in caplog.text
    assert "zorblaxian" not in caplog.text  # no user text in the log


async def test_a_dead_poller_stops_the_bot_with_an_error_after_closing_services(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    """The poller task ended (here: cancelled from outside) while the bot ran: serve() raises
    TaskDied (the process exits with code 5, so systemd restarts it) and the services are closed,
    so DATA_DIR's lock is free again. It used to return as if asked to stop: exit code 0."""
    settings = make_settings(tmp_path / "data", telegram=fake_telegram, gemini=fake_gemini)
    serving = asyncio.create_task(serve(settings))
    await fake_telegram.wait_for_call("getUpdates")
    [poller] = [t for t in asyncio.all_tasks() if t.get_name() == "poller"]
    poller.cancel()
    with pytest.raises(TaskDied, match="Poller"):
        await asyncio.wait_for(serving, 30)
    claim_data_dir(settings.data_dir).release()  # would raise InstanceLocked if still held
