"""Native streaming: drafts (sendMessageDraft) while Gemini streams, then the real message."""

from __future__ import annotations

from bot.llm import BLOCKED_REPLY
from tests.fakes.gemini_api import Blocked, FakeGemini
from tests.fakes.telegram_api import FakeTelegram
from tests.support.harness import CHAT, StartBot, say

ANSWER = "**Warm up** first: five minutes of easy cardio, then `10` bodyweight squats and lunges, then go."


async def test_drafts_grow_before_the_final_formatted_message(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """Streamed chunks arrive as growing drafts; the final sendMessage has the whole formatted text."""
    bot = await start_bot()
    fake_gemini.stream_delay = 0.7  # longer than the draft throttle: each chunk gets its own draft
    fake_gemini.enqueue("chat", ANSWER)
    final = await say(fake_telegram, "How do I warm up?")
    assert (
        final["text"]
        == "Warm up first: five minutes of easy cardio, then 10 bodyweight squats and lunges, then go."
    )
    assert {e["type"] for e in final["entities"]} == {"bold", "code"}

    methods = [c.method for c in fake_telegram.calls() if c.method in ("sendMessageDraft", "sendMessage")]
    assert methods[-1] == "sendMessage"
    drafts = [c.params for c in fake_telegram.calls("sendMessageDraft")]
    assert len(drafts) >= 2
    assert all(d["chat_id"] == CHAT and d["draft_id"] == drafts[0]["draft_id"] != 0 for d in drafts)
    texts = [d["text"] for d in drafts]
    assert all(final["text"].startswith(t) for t in texts)
    assert texts == sorted(texts, key=len)
    assert len(set(texts)) == len(texts)
    assert fake_gemini.requests("chat")[0].stream

    # The streamed turn is recorded and its memory write queued, as without streaming.
    await bot.settle()
    await bot.handled()
    today, _ = await bot.usage(CHAT)
    assert today.messages == 1
    assert today.output_tokens > 0


async def test_an_answer_complete_at_once_needs_no_draft(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """All chunks within the first draft's delay: only the final message goes out (no draft call
    that the message would replace a moment later)."""
    await start_bot()
    fake_gemini.stream_delay = 0.0
    fake_gemini.enqueue("chat", ANSWER)
    final = await say(fake_telegram, "How do I warm up?")
    assert final["text"].startswith("Warm up first")
    assert len(fake_gemini.requests("chat")) == 1
    assert fake_gemini.requests("chat")[0].stream
    assert fake_telegram.calls("sendMessageDraft") == []


async def test_refused_drafts_still_give_the_final_message(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """If Telegram refuses a draft, streaming stops quietly and the answer is sent normally."""
    await start_bot()
    fake_telegram.fail_next("sendMessageDraft", status=400, description="Bad Request: TEXTDRAFT_PEER_INVALID")
    fake_gemini.stream_delay = 0.3
    fake_gemini.enqueue("chat", ANSWER)
    final = await say(fake_telegram, "How do I warm up?")
    assert final["text"].startswith("Warm up first")
    assert len(fake_telegram.calls("sendMessageDraft")) == 1


async def test_blocked_stream_ends_with_the_honest_reply(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """A safety-blocked streamed answer ends with the usual explanation, not an empty message."""
    await start_bot()
    fake_gemini.enqueue("chat", Blocked("SAFETY"))
    final = await say(fake_telegram, "something the model refuses")
    assert final["text"] == BLOCKED_REPLY
    assert fake_gemini.requests("chat")[0].stream


async def test_streaming_can_be_turned_off(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """STREAM_REPLIES=false answers with one generateContent call and no drafts."""
    await start_bot(STREAM_REPLIES=False)
    await say(fake_telegram, "Hello")
    assert fake_telegram.calls("sendMessageDraft") == []
    assert not fake_gemini.requests("chat")[0].stream
