"""/remember, /export, /usage and /new through the real bot and the fake servers."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.gemini_api import FakeGemini, Fault
from tests.fakes.telegram_api import FakeTelegram, UploadedFile
from tests.support.harness import CHAT, StartBot, say


async def test_remember_stores_the_fact_exactly_as_given(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """/remember saves the words verbatim, without an extraction call, and they are recalled."""
    await start_bot()
    fact = "My 5k PB is 23:41 — set in Lisbon 🏃"
    reply = await say(fake_telegram, f"/remember {fact}")
    assert fact in reply["text"]
    assert fake_gemini.requests("json") == []
    assert fact in (await say(fake_telegram, "/memories"))["text"]
    await say(fake_telegram, "What is my 5k PB?")
    assert fact in fake_gemini.last_chat_prompt()


async def test_remember_without_a_fact_explains_itself(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """An empty /remember and an over-long one are refused with a clear message."""
    await start_bot()
    assert "Usage: /remember" in (await say(fake_telegram, "/remember   "))["text"]
    assert "too long" in (await say(fake_telegram, "/remember " + "x" * 600))["text"]


async def test_remember_keeps_the_memory_cap(start_bot: StartBot, fake_telegram: FakeTelegram) -> None:
    """MEMORY_MAX_PER_USER holds for /remember too: past it the oldest go, the newest stay."""
    bot = await start_bot(MEMORY_MAX_PER_USER=10)
    for n in range(14):
        assert "Saved" in (await say(fake_telegram, f"/remember Fact number {n}"))["text"]
    texts = [item.text for item in await bot.controls.memories(CHAT)]
    assert texts == [f"Fact number {n}" for n in range(13, 3, -1)]


async def test_remember_has_its_own_hourly_limit(start_bot: StartBot, fake_telegram: FakeTelegram) -> None:
    """Past REMEMBER_PER_HOUR, /remember says how long to wait and stores nothing; other
    messages are still answered."""
    bot = await start_bot(REMEMBER_PER_HOUR=3)
    for n in range(3):
        assert "Saved" in (await say(fake_telegram, f"/remember Fact {n}"))["text"]
    refused = await say(fake_telegram, "/remember Fact 3")
    assert refused["text"] == (
        "That's 3 facts saved in the last hour, my limit. "
        "Please wait 60 minutes before the next /remember (or just tell me in a message)."
    )
    assert len(await bot.controls.memories(CHAT)) == 3
    assert (await say(fake_telegram, "How do I squat?"))["text"].startswith("Coach says:")


async def test_export_sends_a_json_file_of_memories_and_preferences(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """/export uploads a JSON document with every memory and the current settings."""
    await start_bot()
    await say(fake_telegram, "/remember I train at 6am")
    await say(fake_telegram, "/prefs units imperial")
    sent = await say(fake_telegram, "/export")
    assert sent["method"] == "sendDocument"
    upload = sent["document"]
    if isinstance(upload, str):  # attach:// reference to a multipart field
        upload = sent[upload.removeprefix("attach://")]
    assert isinstance(upload, UploadedFile)
    assert upload.filename.endswith(".json")
    document = json.loads(upload.data)
    assert [m["text"] for m in document["memories"]] == ["I train at 6am"]
    assert document["preferences"]["units"] == "imperial"
    assert document["chat_id"] == CHAT


def exported(sent: dict[str, Any]) -> dict[str, Any]:
    upload = sent["document"]
    if isinstance(upload, str):
        upload = sent[upload.removeprefix("attach://")]
    assert isinstance(upload, UploadedFile)
    document: dict[str, Any] = json.loads(upload.data)
    return document


async def test_export_holds_every_memory_newest_first(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """/export is complete past any listing page (505 memories), the newest first, and so is
    /memories' count."""
    bot = await start_bot(MEMORY_MAX_PER_USER=1000)
    memory = bot.services.memory
    for n in range(505):
        await memory.add("tg-1001", [{"role": "user", "content": f"Fact {n}"}], infer=False)
    document = exported(await say(fake_telegram, "/export"))
    texts = [m["text"] for m in document["memories"]]
    assert len(texts) == 505
    assert texts[:2] == ["Fact 504", "Fact 503"]
    assert texts[-1] == "Fact 0"
    assert "(505 memories, page 1 of 64)" in (await say(fake_telegram, "/memories"))["text"]


async def test_usage_counts_messages_and_tokens(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """/usage reports the answered messages and the tokens Gemini reported for them."""
    bot = await start_bot()
    assert "Today: 0 messages, 0 tokens" in (await say(fake_telegram, "/usage"))["text"]
    await say(fake_telegram, "How many push-ups a day?")
    await say(fake_telegram, "And sit-ups?")
    await bot.handled()  # the usage is counted once the reply is out
    today, month = await bot.usage(CHAT)
    assert today.messages == 2
    assert today.prompt_tokens > 0
    assert today.output_tokens > 0
    assert month == today
    report = (await say(fake_telegram, "/usage"))["text"]
    assert f"Today: 2 messages, {today.tokens:,} tokens" in report
    assert f"This month: 2 messages, {today.tokens:,} tokens" in report


async def test_new_starts_a_fresh_conversation(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """After /new, earlier turns are no longer sent with the next message."""
    await start_bot()
    await say(fake_telegram, "Let's talk about marathon tapering")
    await say(fake_telegram, "Next question please")
    assert "marathon tapering" in fake_gemini.last_chat_prompt()
    assert "Fresh start" in (await say(fake_telegram, "/new"))["text"]
    await say(fake_telegram, "Something else entirely")
    assert "marathon tapering" not in fake_gemini.last_chat_prompt()


async def test_export_holds_the_recent_turns_pending_memory_writes_and_usage(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """N11: "everything I keep about you" includes the conversation kept for context, what still
    waits to be written to memory (the model is down for it here) and the usage counted."""
    await start_bot()
    fake_gemini.enqueue("json", *[Fault(503)] * 20)
    await say(fake_telegram, "I row 5 km every morning before work")
    document = exported(await say(fake_telegram, "/export"))
    turns = [(t["role"], t["text"]) for t in document["recent_turns"]]
    assert ("user", "I row 5 km every morning before work") in turns
    assert any(role == "model" for role, _ in turns)
    pending = [m["content"] for w in document["pending_memory_writes"] for m in w["messages"]]
    assert "I row 5 km every morning before work" in pending
    assert sum(day["messages"] for day in document["usage"]) >= 1
    assert document["chat"]["message_count"] >= 1
