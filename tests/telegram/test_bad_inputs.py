"""Bad and odd input through the real bot: every kind gets a clear answer or is ignored, nothing
crashes, nothing is lost, and no message text is logged at INFO."""

from __future__ import annotations

import logging

import pytest

from bot.i18n import translator
from bot.telegram.attachments import UNSUPPORTED_KINDS, Refusal
from bot.telegram.handlers import NON_TEXT_REPLY
from bot.telegram.handlers.gate import TOO_LONG_REPLY
from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram, iter_entities_text
from tests.support.chat import drained
from tests.support.harness import CHAT, StartBot, say

CHANNEL = -1005555555


async def test_non_text_messages_get_a_polite_note(start_bot: StartBot, fake_telegram: FakeTelegram) -> None:
    """Stickers and locations each get a short note of what the bot understands (voice notes
    and pictures are answered: tests/telegram/test_media.py)."""
    await start_bot()
    fake_telegram.send_sticker(CHAT)
    fake_telegram.send_location(CHAT)
    replies = await fake_telegram.wait_for_messages(CHAT, 2)
    english = translator("en")
    assert replies[0]["text"] == Refusal(UNSUPPORTED_KINDS["sticker"], understood=True).text(english)
    assert replies[1]["text"] == NON_TEXT_REPLY.text(english)


async def test_edits_channel_posts_and_member_updates_are_ignored(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """An edited message, a channel post and member changes are handled silently, no errors."""
    bot = await start_bot()
    first = await say(fake_telegram, "I squat 100 kg")
    fake_telegram.edit_text(CHAT, first["message_id"] - 1, "I squat 120 kg")
    fake_telegram.channel_post(CHANNEL, "Channel news @advisor_test_bot")
    fake_telegram.member_update(CHAT, new_status="kicked")
    fake_telegram.member_update(CHAT, new_status="member", old_status="kicked")
    await drained(bot, fake_telegram)
    assert len(fake_telegram.sent(CHAT)) == 1
    assert fake_telegram.sent(CHANNEL) == []
    assert len(fake_gemini.requests("chat")) == 1
    assert "120" not in fake_gemini.last_chat_prompt()


@pytest.mark.parametrize(
    "data", ["zzz", "mem:d:", "mem:p:999999999", "pref:units:parsecs", "fo::", "prefm:nope"]
)
async def test_unknown_or_malformed_callback_data_is_answered(
    start_bot: StartBot, fake_telegram: FakeTelegram, data: str
) -> None:
    """Buttons we don't know (or forged data) get an answer that stops the spinner; nothing breaks."""
    await start_bot()
    shown = await say(fake_telegram, "/prefs")
    fake_telegram.press_button(CHAT, data, message_id=shown["message_id"])
    await fake_telegram.wait_for_call("answerCallbackQuery")
    assert (await say(fake_telegram, "/help"))["text"].startswith("Just write to me")


async def test_ten_thousand_characters_get_the_limit_explained(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """A 10,000-character message is refused with its length and the limit; no LLM call."""
    await start_bot()
    reply = await say(fake_telegram, "x" * 10_000)
    assert reply["text"] == TOO_LONG_REPLY.format(length="10,000", limit="4,000")
    assert fake_gemini.requests("chat") == []


@pytest.mark.parametrize(
    "text",
    [
        "👩‍👩‍👧‍👦 family workout? 💪🏽",
        "שלום, how do I stretch? مرحبا",
        "Z̸̢̛a̷l̶g̵o̴ text",
        "zero\u200bwidth\u200d joiner \ufeff bom",
        "**unbalanced _markdown `and <b>html</b> & stuff",
        "𝕗𝕒𝕟𝕔𝕪 𝔲𝔫𝔦𝔠𝔬𝔡𝔢 \U0001f9d8",
    ],
)
async def test_odd_unicode_is_answered_with_valid_entities(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini, text: str
) -> None:
    """Odd Unicode and stray markup round-trip: the answer is sent and its entities are valid."""
    await start_bot()
    fake_gemini.enqueue("chat", f"**You said:** {text}")
    reply = await say(fake_telegram, text)
    assert reply["text"].startswith("You said:")
    covered = dict(iter_entities_text(reply["text"], reply["entities"]))
    assert covered["bold"] == "You said:"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/memories \u0000\u202e;DROP TABLE", "I don't remember anything"),
        ("/prefs units", "Usage: /prefs"),
        ("/prefs " + "x" * 300, "Usage: /prefs"),
        ("/remember", "Usage: /remember"),
        ("/forget@someone_else_bot", "I don't know that command"),
        ("/nosuchcommand with args", "I don't know that command"),
        ("/usage extra words", "Your usage"),
        ("/new now please", "Fresh start"),
    ],
)
async def test_malformed_command_arguments_get_clear_answers(
    start_bot: StartBot, fake_telegram: FakeTelegram, command: str, expected: str
) -> None:
    """Commands with odd, missing or foreign arguments each get a clear answer."""
    await start_bot()
    assert expected in (await say(fake_telegram, command))["text"]


async def test_no_message_text_is_logged_at_info(
    start_bot: StartBot, fake_telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    """What people write and what the bot answers never appear in INFO (or higher) logs."""
    caplog.set_level(logging.INFO)
    bot = await start_bot()
    secret = "my-unique-canary-phrase-7731"
    await say(fake_telegram, f"I keep {secret} in mind")
    await say(fake_telegram, f"/remember {secret} number two")
    await say(fake_telegram, f"/memories {secret}")
    await bot.settle()
    leaked = [
        r.getMessage() for r in caplog.records if r.levelno >= logging.INFO and secret in r.getMessage()
    ]
    assert leaked == []
