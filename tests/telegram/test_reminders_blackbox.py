"""The black-box contract: "/remind in N <unit> <text>" is answered at once, /reminders lists the
text, and a message with the text arrives once, N later, also when the bot was restarted (SIGTERM,
or kill -9 right after sending) in between; after /forget it never arrives.

One smoke test runs `python -m bot` as a child process on the real clock (seconds, not the
contract's minute: the same path through the parser's relative time, the timer and the sender) and
kills it with SIGKILL. The others run the same bot in-process against the same fake servers, on a
clock the test moves: "on time" is then exact, and "never" is checked once the scheduler has looked
at the moved clock and gone back to sleep (`RunningBot.reminders_idle`), not after a pause.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram
from tests.support.chat import buttons
from tests.support.clock import FakeClock
from tests.support.harness import CHAT, BotProcess, StartBot, bot_env, say

DELAY = 4.0
START = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)


def arrivals(fake_telegram: FakeTelegram, text: str) -> list[str]:
    return [t for t in fake_telegram.texts(CHAT) if t.startswith("⏰") and text in t]


async def wait_for_arrival(fake_telegram: FakeTelegram, text: str, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while not arrivals(fake_telegram, text):
        assert time.monotonic() < deadline, f"{text!r} did not arrive"
        await asyncio.sleep(0.02)
    return time.monotonic()


# --- the child process, on the real clock ------------------------------------------------------


def start(fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path) -> BotProcess:
    return BotProcess(bot_env(fake_telegram, fake_gemini, tmp_path / "data", LOG_LEVEL="INFO"), tmp_path)


async def ready(fake_telegram: FakeTelegram) -> None:
    polls = len(fake_telegram.calls("getUpdates"))
    await fake_telegram.wait_for_call(
        "getUpdates", lambda c: len(fake_telegram.calls("getUpdates")) > polls, timeout=30
    )


async def wait_until_recorded_as_sent(db: Path, text: str, timeout: float = 10) -> None:
    """The scheduler's last step after Telegram took the reminder: its row is gone (mark_sent)."""
    deadline = time.monotonic() + timeout
    while True:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            if not conn.execute("SELECT 1 FROM reminders WHERE text = ?", (text,)).fetchall():
                return
        assert time.monotonic() < deadline, f"{text!r} was never recorded as sent"
        await asyncio.sleep(0.02)


@pytest.mark.slow
async def test_smoke_a_bot_process_reminds_on_time_and_a_kill_9_after_sending_repeats_nothing(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    """`python -m bot`: "/remind in 2 seconds" is confirmed within 5 s and listed, arrives 2 s
    later; kill -9 once it is recorded as sent, a restart: the list is empty and it came once."""
    bot = start(fake_telegram, fake_gemini, tmp_path)
    try:
        await ready(fake_telegram)
        asked = time.monotonic()
        reply = await say(fake_telegram, "/remind in 2 seconds bb-smoke")
        assert time.monotonic() - asked < 5
        assert reply["text"].startswith("Done. In 2 seconds (at ")
        assert "UTC): bb-smoke" in reply["text"]
        assert "bb-smoke" in (await say(fake_telegram, "/reminders"))["text"]
        arrived = await wait_for_arrival(fake_telegram, "bb-smoke", 15)
        assert 2 - 0.5 <= arrived - asked <= 2 + 3

        await wait_until_recorded_as_sent(tmp_path / "data" / "bot.sqlite3", "bb-smoke")
        bot.proc.send_signal(signal.SIGKILL)
        bot.proc.wait(timeout=30)
        bot.stop()
        bot = start(fake_telegram, fake_gemini, tmp_path)
        await ready(fake_telegram)
        # The scheduler reads the rows /reminders lists: none is left that could be sent again.
        assert "No reminders" in (await say(fake_telegram, "/reminders"))["text"]
        assert len(arrivals(fake_telegram, "bb-smoke")) == 1
    finally:
        bot.stop()


# --- in-process, on a clock the test moves -----------------------------------------------------


async def test_remind_arrives_once_on_time_also_across_a_restart(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    clock = FakeClock(START)
    bot = await start_bot(clock=clock)
    asked = time.monotonic()
    reply = await say(fake_telegram, f"/remind in {DELAY:.0f} seconds bb-stretch-1")
    assert time.monotonic() - asked < 5
    assert reply["text"].startswith(f"Done. In {DELAY:.0f} seconds (at ")
    assert "UTC): bb-stretch-1" in reply["text"]
    assert "bb-stretch-1" in (await say(fake_telegram, "/reminders"))["text"]
    clock.advance(DELAY - 0.5)
    await bot.reminders_idle()
    assert arrivals(fake_telegram, "bb-stretch-1") == []  # not early
    clock.advance(0.5)
    await bot.reminders_idle()  # on time; and what reminders_idle waits for is enough to see it
    assert len(arrivals(fake_telegram, "bb-stretch-1")) == 1

    # Scheduled, then the bot is stopped and started again before it is due.
    await say(fake_telegram, f"/remind in {DELAY + 2:.0f} seconds bb-stretch-2")
    await bot.stop()
    bot = await start_bot(clock=clock)
    clock.advance(DELAY + 1.5)
    await bot.reminders_idle()
    assert arrivals(fake_telegram, "bb-stretch-2") == []
    clock.advance(0.5)
    await bot.reminders_idle()
    assert len(arrivals(fake_telegram, "bb-stretch-2")) == 1
    clock.advance(3600)
    await bot.reminders_idle()
    assert len(arrivals(fake_telegram, "bb-stretch-1")) == 1
    assert len(arrivals(fake_telegram, "bb-stretch-2")) == 1


async def test_stopped_right_after_sending_it_does_not_send_it_again(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """In-process, the stop is SIGTERM's (the smoke test above kills the process)."""
    clock = FakeClock(START)
    bot = await start_bot(clock=clock)
    await say(fake_telegram, "/remind in 2 seconds bb-killed")
    clock.advance(2)
    await wait_for_arrival(fake_telegram, "bb-killed", 10)
    await bot.stop()
    bot = await start_bot(clock=clock)
    assert "No reminders" in (await say(fake_telegram, "/reminders"))["text"]
    clock.advance(60)
    await bot.reminders_idle()
    assert len(arrivals(fake_telegram, "bb-killed")) == 1


async def test_after_forget_it_never_arrives(start_bot: StartBot, fake_telegram: FakeTelegram) -> None:
    clock = FakeClock(START)
    bot = await start_bot(clock=clock)
    await say(fake_telegram, f"/remind in {DELAY:.0f} seconds bb-forgotten")
    confirm = await say(fake_telegram, "/forget")
    yes = next(b for b in buttons(confirm) if b["callback_data"].startswith("forget:yes"))
    fake_telegram.press_button(CHAT, yes["callback_data"], message_id=confirm["message_id"])
    await fake_telegram.wait_for_call("editMessageText", lambda c: "forgotten" in c.params.get("text", ""))
    clock.advance(DELAY + 2)
    await bot.reminders_idle()
    assert arrivals(fake_telegram, "bb-forgotten") == []
