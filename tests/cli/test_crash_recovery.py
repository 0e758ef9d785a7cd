"""`kill -9` of a real bot process at random moments, then a restart: nothing lost, nothing twice.

Each trial starts `python -m bot` on the same DATA_DIR, sends messages from a few chats and kills
the process with SIGKILL at a random point (while answering, sending, or writing memories). A
final run must then answer every message exactly once and store every fact exactly once.
CRASH_TRIALS sets the number of trials (default 3; BENCHMARKS.md records a run with 20).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.records import memory_user_id
from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import Call, FakeTelegram
from tests.support.chat import say
from tests.support.harness import BotProcess, RunningBot, bot_env, make_settings
from tests.support.memory_pipeline import files_containing

pytestmark = pytest.mark.slow  # kill -9 of `python -m bot` child processes

REPO = Path(__file__).resolve().parents[2]
CHATS = (7001, 7002, 7003)
TRIALS = int(os.environ.get("CRASH_TRIALS", "3"))


def polled_after(fake: FakeTelegram, polls: int) -> Callable[[Call], bool]:
    """A getUpdates call after the first `polls` ones: the new process is polling."""
    return lambda _call: len(fake.calls("getUpdates")) > polls


def fact(trial: int, chat: int, n: int) -> str:
    return f"I keep a souvenir from trial{trial} chat{chat} message{n}."


async def test_kill_9_loses_no_update_and_no_memory_write(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    """Over CRASH_TRIALS kills, every message is answered exactly once and every fact is stored
    exactly once after the final restart."""
    rng = random.Random(20241124)
    data_dir = tmp_path / "data"
    sent: list[str] = []
    for trial in range(TRIALS):
        fake_gemini.latency = rng.choice((0.0, 0.1, 0.3))
        polls = len(fake_telegram.calls("getUpdates"))
        with (tmp_path / f"trial-{trial}.log").open("w") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot"],
                env=bot_env(fake_telegram, fake_gemini, data_dir, LLM_MAX_ATTEMPTS="1", LOG_LEVEL="INFO"),
                cwd=tmp_path,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                await fake_telegram.wait_for_call(
                    "getUpdates", polled_after(fake_telegram, polls), timeout=30
                )
                for n in range(2):
                    for chat in CHATS:
                        text = fact(trial, chat, n)
                        sent.append(text)
                        fake_telegram.send_text(chat, text)
                await asyncio.sleep(rng.uniform(0.05, 1.5))
            finally:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL

    fake_gemini.latency = 0.0
    bot = await RunningBot(
        make_settings(data_dir, telegram=fake_telegram, gemini=fake_gemini, VECTOR_STORE="sqlite")
    ).start()
    try:
        for chat in CHATS:
            await fake_telegram.wait_for_messages(chat, 2 * TRIALS, timeout=60)
        await bot.settle(60)
        answers = [t for t in fake_telegram.texts() if t.startswith("Coach says:")]
        replies = {text: sum(text in answer for answer in answers) for text in sent}
        stored_counts: dict[str, int] = {}
        for chat in CHATS:
            stored = [m.text for m in await bot.services.memory.list_memories(memory_user_id(chat))]
            for trial in range(TRIALS):
                for n in range(2):
                    marker = f"trial{trial} chat{chat} message{n}"
                    stored_counts[marker] = sum(marker in m for m in stored)
        lost = [t for t, count in replies.items() if count == 0]
        doubled = [t for t, count in replies.items() if count > 1]
        print(
            f"crash trials={TRIALS} messages={len(sent)} lost_updates={len(lost)} "
            f"double_answers={len(doubled)} facts_missing={sum(c == 0 for c in stored_counts.values())} "
            f"facts_duplicated={sum(c > 1 for c in stored_counts.values())}"
        )
        assert lost == []
        assert len(stored_counts) == len(sent)
        assert all(count == 1 for count in stored_counts.values()), stored_counts
        # A reply that reached Telegram in the last milliseconds before the kill (its HTTP answer
        # not yet read, or the inbox write not yet committed) cannot be told apart from one that
        # did not, and is sent again: at most the replies in flight at each kill. Without the
        # inbox marking answers, every message of a trial would be answered again.
        assert len(doubled) <= TRIALS, [a for a in answers if any(d in a for d in doubled)]
        assert (await bot.services.store.inbox.inbox_states()).get("pending", 0) == 0
    finally:
        await bot.stop()
    with sqlite3.connect(data_dir / "bot.sqlite3") as conn:
        assert conn.execute("SELECT COUNT(*) FROM memory_outbox").fetchone()[0] == 0
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


async def test_incognito_text_is_in_no_file_after_its_answer_even_after_kill_9(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    """With memory off, a message's text is in no file under DATA_DIR once it is answered (the
    inbox blanks it and empties the WAL), and a `kill -9` right then leaves none behind; a message
    with memory on is found by the same scan (the scan can see text in the WAL and the database)."""
    data_dir = tmp_path / "data"
    secret, control = "Quetzalbanjo-5521", "Narwhalpiccolo-7734"
    proc = BotProcess(bot_env(fake_telegram, fake_gemini, data_dir, LOG_LEVEL="INFO"), tmp_path)
    try:
        await fake_telegram.wait_for_call("getUpdates", timeout=30)  # started (slow on a busy machine)
        await say(fake_telegram, f"I keep a {control} in my gym bag.", chat_id=7101)
        await say(fake_telegram, "/prefs memory off", chat_id=7102)
        reply = await say(fake_telegram, f"My ex works at {secret}. Should I change gyms?", chat_id=7102)
        assert secret in reply["text"]  # the fake model echoes it: the text did reach the bot
        assert control in files_containing(data_dir, [control])
        deadline = asyncio.get_running_loop().time() + 10
        while files_containing(data_dir, [secret]) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)  # the inbox marks it done just after the reply reached us
        proc.proc.send_signal(signal.SIGKILL)
        proc.proc.wait(timeout=30)
    finally:
        proc.stop()
    assert files_containing(data_dir, [secret]) == {}
    assert control in files_containing(data_dir, [control])
