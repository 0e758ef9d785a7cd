"""The real bot (python-telegram-bot + google-genai + Mem0 embedded) against the fake servers."""

from __future__ import annotations

import asyncio

import pytest

from bot.advisor.pipeline import UNAVAILABLE_REPLY
from bot.i18n import translator
from bot.llm import BLOCKED_REPLY
from bot.telegram.handlers import NON_TEXT_REPLY
from bot.telegram.handlers.replies import TYPING_DELAY_SECONDS
from tests.fakes.gemini_api import Blocked, FakeGemini, Fault
from tests.fakes.telegram_api import FakeTelegram
from tests.support.chat import drained
from tests.support.harness import CHAT, StartBot, say


async def test_preferences_are_recalled_after_a_restart(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """Stated preferences survive a restart and reach the prompt of a later question."""
    bot = await start_bot()
    await say(fake_telegram, "I prefer morning workouts. I am vegetarian. My left knee is injured.")
    await bot.settle()
    await bot.stop()

    await start_bot()
    reply = await say(fake_telegram, "Give me my fitness preferences")
    prompt = fake_gemini.last_chat_prompt()
    assert "<memories>" in prompt
    for fact in ("morning workouts", "vegetarian", "knee"):
        assert fact in prompt.split("<memories>")[1].lower()
    assert reply["text"].startswith("Coach says:")


async def test_commands_menu_is_registered_at_start(start_bot: StartBot, fake_telegram: FakeTelegram) -> None:
    """setMyCommands lists every command the bot handles."""
    await start_bot()
    call = await fake_telegram.wait_for_call("setMyCommands")
    names = {c["command"] for c in call.params["commands"]}
    assert names == {
        "start",
        "help",
        "memories",
        "remember",
        "forget",
        "prefs",
        "new",
        "export",
        "import",
        "usage",
        "remind",
        "reminders",
    }


async def test_start_and_help_explain_memory_control(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    await start_bot()
    start = await say(fake_telegram, "/start")
    assert "/memories" in start["text"]
    assert "/forget" in start["text"]
    help_ = await say(fake_telegram, "/help")
    assert "/prefs" in help_["text"]


@pytest.mark.parametrize("language", ["en", "de", "es", "fr", "it", "pt-br", "pt-pt", "ru", "uk"])
async def test_help_names_every_command_of_the_menu(
    start_bot: StartBot, fake_telegram: FakeTelegram, language: str
) -> None:
    """/help, in each language, names every command the menu offers (/import included)."""
    await start_bot()
    call = await fake_telegram.wait_for_call("setMyCommands")
    help_ = await say(fake_telegram, "/help", language_code=language)
    missing = {c["command"] for c in call.params["commands"]} - {"help"}
    missing = {name for name in missing if f"/{name}" not in help_["text"]}
    assert not missing, help_["text"]


async def test_typing_indicator_while_answering(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """A typing action is sent before the reply."""
    await start_bot()
    fake_gemini.latency = 0.3
    await say(fake_telegram, "How do I warm up?")
    actions = fake_telegram.calls("sendChatAction")
    assert actions
    assert actions[0].params["action"] == "typing"


async def test_an_answer_ready_at_once_needs_no_typing_indicator(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """The indicator waits TYPING_DELAY_SECONDS: an answer out sooner goes without it, and the
    model's request never queues behind the indicator's."""
    await start_bot()
    fake_gemini.latency = 0.0
    for n in range(3):
        await say(fake_telegram, f"How do I warm up for set {n}?")
    await asyncio.sleep(TYPING_DELAY_SECONDS + 0.1)
    assert fake_telegram.calls("sendChatAction") == []


async def test_the_reply_goes_out_before_the_exchange_is_kept(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """The person waits for the reply, not for the disk: the exchange (recent turns, usage) is
    kept once the reply is out, and kept it is."""
    bot = await start_bot()
    fake_telegram.latency = 0.5  # every Bot API call but getUpdates
    fake_telegram.send_text(CHAT, "How do I warm up?")
    await fake_telegram.wait_for_call("sendMessage")
    today, _ = await bot.usage(CHAT)
    assert today.messages == 0  # the reply is on its way; nothing is kept yet
    await fake_telegram.wait_for_messages(CHAT, 1)
    await bot.handled()
    today, _ = await bot.usage(CHAT)
    assert today.messages == 1
    fake_telegram.latency = 0.0
    await say(fake_telegram, "And after that?")
    assert "How do I warm up?" in fake_gemini.last_chat_prompt()


async def test_memories_lists_then_forget_erases_everything(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """/memories shows stored facts; /forget confirmed erases them and nothing is recalled after."""
    bot = await start_bot()
    await say(fake_telegram, "I swim every Tuesday.")
    await bot.settle()
    listing = await say(fake_telegram, "/memories")
    assert "swim every Tuesday" in listing["text"]

    confirm = await say(fake_telegram, "/forget")
    buttons = [b for row in confirm["reply_markup"]["inline_keyboard"] for b in row]
    yes = next(b for b in buttons if b["callback_data"].startswith("forget:yes"))
    # Someone else pressing the button does nothing.
    fake_telegram.press_button(CHAT, yes["callback_data"], message_id=confirm["message_id"], user_id=999)
    await fake_telegram.wait_for_call("answerCallbackQuery")
    assert "swim" in (await say(fake_telegram, "/memories"))["text"]

    fake_telegram.press_button(CHAT, yes["callback_data"], message_id=confirm["message_id"])
    edited = await fake_telegram.wait_for_call(
        "editMessageText", lambda call: "forgotten" in call.params.get("text", "")
    )
    assert edited.params["chat_id"] == CHAT

    assert "don't remember anything" in (await say(fake_telegram, "/memories"))["text"]
    await say(fake_telegram, "What do I do on Tuesdays?")
    prompt = fake_gemini.last_chat_prompt()
    assert "swim" not in prompt.lower().split("what do i do on tuesdays")[0]
    assert "<memories>" not in prompt


async def test_prefs_shape_the_prompt(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """/prefs with arguments and with a button changes what the prompt asks for."""
    await start_bot()
    shown = await say(fake_telegram, "/prefs")
    assert "metric" in shown["text"]
    saved = await say(fake_telegram, "/prefs units imperial")
    assert "imperial" in saved["text"]
    usage = await say(fake_telegram, "/prefs units parsecs")
    assert "Usage" in usage["text"]

    fake_telegram.press_button(CHAT, "pref:reply_length:short", message_id=shown["message_id"])
    await fake_telegram.wait_for_call("editMessageText")
    await say(fake_telegram, "Plan my week")
    prompt = fake_gemini.last_chat_prompt()
    assert "imperial units" in prompt
    assert "Keep answers short" in prompt


async def test_long_replies_are_split(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """A 9,000-character answer arrives as three messages under 4,096 characters."""
    await start_bot()
    fake_gemini.enqueue("chat", ("Squat deep. " * 750).strip())
    fake_telegram.send_text(CHAT, "Tell me everything about squats")
    messages = await fake_telegram.wait_for_messages(CHAT, 3)
    assert len(messages) == 3
    assert all(len(m["text"]) <= 4096 for m in messages)
    assert sum(m["text"].count("Squat") for m in messages) == 750


async def test_non_text_gets_a_polite_answer(start_bot: StartBot, fake_telegram: FakeTelegram) -> None:
    """A location is not understood: the answer says what is."""
    await start_bot()
    fake_telegram.send_location(CHAT)
    messages = await fake_telegram.wait_for_messages(CHAT, 1)
    assert messages[0]["text"] == NON_TEXT_REPLY.text(translator("en"))


async def test_blocked_answer_becomes_an_honest_reply(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """Without streaming (generateContent); the streamed case is in test_streaming.py."""
    await start_bot(STREAM_REPLIES=False)
    fake_gemini.enqueue("chat", Blocked("SAFETY"))
    reply = await say(fake_telegram, "something the model refuses")
    assert reply["text"] == BLOCKED_REPLY


async def test_gemini_outage_degrades_and_keeps_the_message_for_memory(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """With Gemini down the user gets a short note; the memory write waits and lands later."""
    bot = await start_bot()
    fake_gemini.fail_all_with = Fault(503)
    reply = await say(fake_telegram, "I cycle 40 km on Sundays.")
    assert reply["text"] == UNAVAILABLE_REPLY
    await drained(bot, fake_telegram)  # the handler is done, what it queued is queued
    assert await bot.controls.pending_memories(CHAT) == 1

    await bot.stop()

    # Back up and restarted: the pending write is retried at once and applied.
    fake_gemini.fail_all_with = None
    bot = await start_bot()
    await bot.settle()
    assert "cycle 40 km" in (await say(fake_telegram, "/memories"))["text"]
