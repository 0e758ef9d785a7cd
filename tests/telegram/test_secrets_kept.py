"""Issue 21 item 3: a secret reaches the chat model as sent, and nothing kept holds it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3

import pytest

from bot.advisor.safety import redact
from bot.runtime.logs import RedactingFilter
from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram
from tests.support.chat import drained
from tests.support.harness import StartBot, say
from tests.support.memory_pipeline import files_containing

# Assembled from pieces so no key-shaped literal sits in the repository.
PASSWORD = "Zq8-otter-" + "77kettle"
KEY = "hf_" + "jCBaQngSHiHDRYOcsMcif" + "UcysGyaiybUWz"


async def test_the_model_gets_the_message_as_sent_but_nothing_kept_holds_its_secrets(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """The answer is written from the message as sent; the recent turns, the memory queue, the
    handled inbox (its WAL too) and every other file under DATA_DIR hold the placeholders."""
    bot = await start_bot()
    await say(
        fake_telegram, f"My gym locker password is {PASSWORD} and my key {KEY}. I like rowing, what next?"
    )
    assert PASSWORD in fake_gemini.last_chat_prompt()
    assert KEY in fake_gemini.last_chat_prompt()
    await say(fake_telegram, "And how many sets of rows?")
    follow_up = fake_gemini.last_chat_prompt()
    assert "I like rowing" in follow_up  # the earlier turn is there, its secrets are not
    assert PASSWORD not in follow_up
    assert KEY not in follow_up
    await bot.settle()
    await drained(bot, fake_telegram)
    needles = [PASSWORD, KEY]
    for _ in range(100):  # the WAL is emptied a few milliseconds after the row is marked done
        if not files_containing(bot.settings.data_dir, needles):
            break
        await asyncio.sleep(0.02)
    with contextlib.closing(sqlite3.connect(bot.settings.db_path)) as db:
        turns = [row[0] for row in db.execute("SELECT text FROM turns")]
    assert any("[password]" in text for text in turns), turns
    assert files_containing(bot.settings.data_dir, needles) == {}


def test_a_log_record_quoting_a_message_keeps_only_its_redacted_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The entry point's log filter scrubs what a message would have redacted, args and tracebacks alike."""
    log = logging.getLogger("tests.secrets_kept")
    log.addFilter(RedactingFilter(scrub=redact))
    try:
        raise ValueError(f"cannot parse {KEY!r}")
    except ValueError:
        with caplog.at_level(logging.INFO, logger="tests.secrets_kept"):
            log.warning("update text: %s", f"my password is {PASSWORD}", exc_info=True)
    finally:
        log.filters.clear()
    (record,) = caplog.records
    assert PASSWORD not in record.getMessage()
    assert KEY not in (record.exc_text or "")
    assert "[password]" in record.getMessage()
