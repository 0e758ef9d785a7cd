"""The black-box contract, on the real clock: `python -m bot` as a child process, the fake servers.

"/remind in N <unit> <text>" is answered within seconds, /reminders lists the text, and a message
with the text arrives once, N later, also when the bot was restarted (SIGTERM, or kill -9 right
after sending) in between; after /forget it never arrives. The issue's contract says "in 1
minute"; seconds keep the suite quick (the same path: the parser's relative time, the timer, the
sender), and tests/telegram/test_reminders.py covers minutes on a clock the test moves.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram
from tests.support.chat import buttons
from tests.support.harness import CHAT, BotProcess, bot_env, say

DELAY = 4.0


def start(fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path) -> BotProcess:
    return BotProcess(bot_env(fake_telegram, fake_gemini, tmp_path / "data", LOG_LEVEL="INFO"), tmp_path)


async def ready(fake_telegram: FakeTelegram) -> None:
    polls = len(fake_telegram.calls("getUpdates"))
    await fake_telegram.wait_for_call(
        "getUpdates", lambda c: len(fake_telegram.calls("getUpdates")) > polls, timeout=30
    )


def arrivals(fake_telegram: FakeTelegram, text: str) -> list[str]:
    return [t for t in fake_telegram.texts(CHAT) if t.startswith("⏰") and text in t]


async def wait_for_arrival(fake_telegram: FakeTelegram, text: str, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while not arrivals(fake_telegram, text):
        assert time.monotonic() < deadline, f"{text!r} did not arrive"
        await asyncio.sleep(0.05)
    return time.monotonic()


async def test_remind_arrives_once_on_time_also_across_a_restart(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    bot = start(fake_telegram, fake_gemini, tmp_path)
    try:
        await ready(fake_telegram)
        asked = time.monotonic()
        reply = await say(fake_telegram, f"/remind in {DELAY:.0f} seconds bb-stretch-1")
        assert time.monotonic() - asked < 5
        assert reply["text"].startswith(f"Done. In {DELAY:.0f} seconds (at ")
        assert "UTC): bb-stretch-1" in reply["text"]
        assert "bb-stretch-1" in (await say(fake_telegram, "/reminders"))["text"]
        arrived = await wait_for_arrival(fake_telegram, "bb-stretch-1", DELAY + 10)
        assert DELAY - 0.5 <= arrived - asked <= DELAY + 3

        # Scheduled, then the bot is stopped and started again before it is due.
        asked = time.monotonic()
        await say(fake_telegram, f"/remind in {DELAY + 2:.0f} seconds bb-stretch-2")
        assert bot.stop() == 0
        bot = start(fake_telegram, fake_gemini, tmp_path)
        arrived = await wait_for_arrival(fake_telegram, "bb-stretch-2", DELAY + 30)
        assert arrived - asked >= DELAY + 1.5
        await asyncio.sleep(2)
        assert len(arrivals(fake_telegram, "bb-stretch-1")) == 1
        assert len(arrivals(fake_telegram, "bb-stretch-2")) == 1
    finally:
        bot.stop()


async def test_kill_9_right_after_sending_does_not_send_it_again(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    bot = start(fake_telegram, fake_gemini, tmp_path)
    try:
        await ready(fake_telegram)
        await say(fake_telegram, "/remind in 2 seconds bb-killed")
        await wait_for_arrival(fake_telegram, "bb-killed", 15)
        await asyncio.sleep(0.2)  # past the last-milliseconds window
        bot.proc.send_signal(signal.SIGKILL)
        bot.proc.wait(timeout=30)
        bot.stop()
        bot = start(fake_telegram, fake_gemini, tmp_path)
        await ready(fake_telegram)
        assert "No reminders" in (await say(fake_telegram, "/reminders"))["text"]
        await asyncio.sleep(1)
        assert len(arrivals(fake_telegram, "bb-killed")) == 1
    finally:
        bot.stop()


async def test_after_forget_it_never_arrives(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    bot = start(fake_telegram, fake_gemini, tmp_path)
    try:
        await ready(fake_telegram)
        await say(fake_telegram, f"/remind in {DELAY:.0f} seconds bb-forgotten")
        confirm = await say(fake_telegram, "/forget")
        yes = next(b for b in buttons(confirm) if b["callback_data"].startswith("forget:yes"))
        fake_telegram.press_button(CHAT, yes["callback_data"], message_id=confirm["message_id"])
        await fake_telegram.wait_for_call(
            "editMessageText", lambda c: "forgotten" in c.params.get("text", "")
        )
        await asyncio.sleep(DELAY + 2)
        assert arrivals(fake_telegram, "bb-forgotten") == []
    finally:
        bot.stop()
