"""/prefs through the real bot: the keyboard, every setting reaching the prompt, incognito."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3

from bot.i18n import translator
from bot.telegram.handlers.prefs import usage_text
from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram
from tests.support.chat import buttons, drained
from tests.support.harness import CHAT, StartBot, say
from tests.support.memory_pipeline import files_containing


async def test_prefs_keyboard_opens_a_setting_and_saves_a_choice(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """A setting's button opens its choices; a choice is saved, shown, and shapes the prompt."""
    await start_bot()
    shown = await say(fake_telegram, "/prefs")
    data = [b["callback_data"] for b in buttons(shown)]
    assert data == [
        "prefm:reply_length",
        "prefm:units",
        "prefm:language",
        "prefm:coaching_style",
        "prefm:memory",
        "prefm:reactions",
        "prefm:heard",
        "prefm:timezone",
        "prefm:checkins",
    ]
    assert all(len(d.encode()) <= 64 for d in data)

    fake_telegram.press_button(CHAT, "prefm:language", message_id=shown["message_id"])
    await fake_telegram.wait_for_call("editMessageText", lambda c: "Language: choose" in c.params["text"])
    menu = fake_telegram.message(CHAT, shown["message_id"])
    assert menu is not None
    assert "pref:language:es" in [b["callback_data"] for b in buttons(menu)]

    fake_telegram.press_button(CHAT, "pref:language:es", message_id=shown["message_id"])
    # the settings now speak Spanish too (tests/telegram/test_languages.py)
    await fake_telegram.wait_for_call("editMessageText", lambda c: "Idioma: Español" in c.params["text"])
    await say(fake_telegram, "/prefs style tough")
    await say(fake_telegram, "What should I do today?")
    prompt = fake_gemini.last_chat_prompt()
    assert "Always answer in Spanish" in prompt
    assert "demanding trainer" in prompt


async def test_malformed_prefs_arguments_get_the_usage(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """Unknown settings, unknown values and extra words all get the usage text, nothing saved."""
    bot = await start_bot()
    for text in ("/prefs colour blue", "/prefs units parsecs", "/prefs units metric extra", "/prefs ;;;"):
        assert (await say(fake_telegram, text))["text"] == usage_text(translator("en"))
    assert (await bot.services.store.chats.get_prefs(CHAT)).units == "metric"


async def test_incognito_stores_nothing_and_recalls_nothing(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """With memory off, a new fact is not stored and old memories stay out of the prompt."""
    bot = await start_bot()
    await say(fake_telegram, "/remember I swim every Tuesday")
    saved = await say(fake_telegram, "/prefs memory off")
    assert "Incognito" in saved["text"]
    extraction_calls = len(fake_gemini.requests("json"))

    await say(fake_telegram, "I love rowing on Fridays. What do I do on Tuesdays?")
    prompt = fake_gemini.last_chat_prompt()
    assert "<memories>" not in prompt
    assert "swim" not in prompt
    assert await bot.controls.pending_memories(CHAT) == 0
    await bot.settle()
    assert len(fake_gemini.requests("json")) == extraction_calls
    refused = await say(fake_telegram, "/remember I hate burpees")
    assert "incognito" in refused["text"]

    await say(fake_telegram, "/prefs memory on")
    listing = await say(fake_telegram, "/memories")
    assert "swim every Tuesday" in listing["text"]
    assert "rowing" not in listing["text"]
    assert "burpees" not in listing["text"]


async def test_incognito_keeps_the_conversation_in_memory_only(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """With memory off the next message still sees the last turns, though none of them is on disk;
    memory on again starts without them."""
    bot = await start_bot()
    await say(fake_telegram, "/prefs memory off")
    canary = "kettlebell-zebra-4417"
    await say(fake_telegram, f"I use a {canary} for swings. How many sets?")
    await say(fake_telegram, "And how many reps in each?")
    assert canary in fake_gemini.last_chat_prompt()
    # A long message's text spills onto overflow pages of its own: those are scrubbed as well.
    await say(fake_telegram, "My log: " + "squats, lunges, rows; " * 170 + "long-otter-8812")
    await bot.settle()
    await drained(bot, fake_telegram)
    # The text only passed through the crash-safe inbox, which blanks it once answered and, for an
    # incognito chat, empties the WAL right after: no row and no byte of any file under DATA_DIR
    # holds it (the scan waits for that last step, a few milliseconds after the row is marked done).
    needles = [canary, "long-otter-8812", "lunges"]
    for _ in range(100):
        if not files_containing(bot.settings.data_dir, needles):
            break
        await asyncio.sleep(0.02)
    with contextlib.closing(sqlite3.connect(bot.settings.db_path)) as db:
        for table in ("turns", "memory_outbox", "inbox"):
            rows = db.execute(f"SELECT * FROM {table}").fetchall()
            assert canary not in repr(rows), table
    assert files_containing(bot.settings.data_dir, needles) == {}

    await say(fake_telegram, "/prefs memory on")
    await say(fake_telegram, "What else should I train?")
    assert canary not in fake_gemini.last_chat_prompt()


async def test_checkins_off_reads_off_not_incognito(start_bot: StartBot, fake_telegram: FakeTelegram) -> None:
    """Turning check-ins off is not incognito: the label says "no", memory stays on."""
    await start_bot()
    saved = await say(fake_telegram, "/prefs checkins off")
    assert "Check-ins: no\n" in saved["text"]
    assert "Memory: on" in saved["text"]
