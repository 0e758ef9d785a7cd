"""`kill -9` of a real bot process in the middle of a long ChatGPT import, then a restart: the job
resumes where it stopped (the file downloaded again by its id, never stored), ends with every
fact stored exactly once, and the uploaded bytes are in no file under DATA_DIR."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

from bot.records import memory_user_id
from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram
from tests.support.chat import CHAT, buttons
from tests.support.exports import chatgpt_conversation, zipped
from tests.support.harness import BotProcess, RunningBot, bot_env, make_settings
from tests.support.memory_pipeline import files_containing

CONVERSATIONS = 24
# Questions give no facts; five long ones make each conversation fill an extraction call alone.
PADDING = ["Could you tell me what you think about this plan? " * 27] * 5


def fact(index: int) -> str:
    return f"I keep trophy number {index} in the hallway"


async def test_kill_9_in_the_middle_of_an_import_resumes_and_stores_each_fact_once(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    conversations = [
        chatgpt_conversation(f"c{i}", [f"{fact(i)}.", *PADDING], updated=1.7e9 + i)
        for i in range(CONVERSATIONS)
    ]
    data = zipped(conversations)
    fake_gemini.json_latency = 0.4
    proc = BotProcess(bot_env(fake_telegram, fake_gemini, data_dir, LOG_LEVEL="INFO"), tmp_path)
    try:
        await fake_telegram.wait_for_call("getUpdates", timeout=30)
        fake_telegram.send_file(
            CHAT, "document", data, mime_type="application/zip", file_name="chatgpt.zip", caption="/import"
        )
        offer = (await fake_telegram.wait_for_messages(CHAT, 1, timeout=30))[0]
        assert f"holds {CONVERSATIONS} conversations" in offer["text"], offer["text"]
        start = next(b["callback_data"] for b in buttons(offer) if b["text"] == "Start")
        fake_telegram.press_button(CHAT, start, message_id=offer["message_id"])
        for _ in range(600):  # until a few batches are applied, not all
            if len(fake_gemini.requests("json")) >= 8:
                break
            await asyncio.sleep(0.05)
        proc.proc.send_signal(signal.SIGKILL)
        proc.proc.wait(timeout=30)
    finally:
        proc.stop()
    with sqlite3.connect(data_dir / "bot.sqlite3") as conn:
        state, done, total = conn.execute("SELECT state, done, total FROM import_jobs").fetchone()
    assert (state, total) == ("running", CONVERSATIONS)
    assert 0 < done < CONVERSATIONS, done

    fake_gemini.json_latency = 0.0
    bot = await RunningBot(make_settings(data_dir, telegram=fake_telegram, gemini=fake_gemini)).start()
    try:
        for _ in range(600):
            message = fake_telegram.message(CHAT, offer["message_id"]) or {}
            if "finished" in message.get("text", ""):
                break
            await asyncio.sleep(0.05)
        assert f"{CONVERSATIONS} conversations read" in message.get("text", ""), message.get("text")
        stored = [m.text for m in await bot.services.memory.list_memories(memory_user_id(CHAT))]
        assert sorted(stored) == sorted(fact(i) for i in range(CONVERSATIONS))
    finally:
        await bot.stop()
    # The upload itself was never written: the padding, unique to the file, is in no file.
    assert files_containing(data_dir, ["what you think about this plan"]) == {}
