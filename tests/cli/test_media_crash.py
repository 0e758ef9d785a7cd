"""`kill -9` of a real bot process while it downloads a voice note, then a restart: the update was
kept in the inbox (its file id, not its bytes) and is answered after the restart, once."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram
from tests.support.chat import drained
from tests.support.harness import RunningBot, bot_env, make_settings

HEARD_PREFIX = "🎙 I heard: "  # English: the Telegram user of these tests speaks it
pytestmark = pytest.mark.slow  # kill -9 of a `python -m bot` child process

CHAT = 7101
VOICE = b"OggS\x00 I stretch every evening before bed."


async def test_kill_9_mid_download_replays_the_voice_note(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    """The process dies while the file is being served; the restarted bot downloads it again and
    answers it exactly once."""
    data_dir = tmp_path / "data"
    fake_telegram.file_latency = 60.0  # the download hangs until released
    with (tmp_path / "bot.log").open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            env=bot_env(fake_telegram, fake_gemini, data_dir, LOG_LEVEL="INFO"),
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            await fake_telegram.wait_for_call("getUpdates", timeout=30)
            fake_telegram.send_voice(CHAT, data=VOICE)
            for _ in range(600):
                if fake_telegram.file_downloads:
                    break
                await asyncio.sleep(0.05)
            assert fake_telegram.file_downloads, "the download never started"
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert fake_telegram.sent(CHAT) == []
    fake_telegram.file_latency = 0.0

    bot = await RunningBot(make_settings(data_dir, telegram=fake_telegram, gemini=fake_gemini)).start()
    try:
        [reply] = await fake_telegram.wait_for_messages(CHAT, 1, timeout=30)
        assert str(reply["text"]).startswith(HEARD_PREFIX + "OggS I stretch every evening")
        await drained(bot, fake_telegram)  # the replayed update is handled to the end: one answer
        assert len(fake_telegram.sent(CHAT)) == 1
        assert len(fake_telegram.file_downloads) == 2
        assert (await bot.services.store.inbox.inbox_states()).get("pending", 0) == 0
    finally:
        await bot.stop()
    assert VOICE not in (data_dir / "bot.sqlite3").read_bytes()
