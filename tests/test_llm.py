"""GeminiChat's transport (google-genai over our aiohttp session): time-outs and an unreachable
server become LLMUnavailable, which the advisor turns into an honest reply."""

from __future__ import annotations

import socket
import time

import pytest

from bot.llm import (
    BLOCKED_REPLY,
    EMPTY_REPLY,
    GeminiChat,
    LLMRateLimited,
    LLMUnavailable,
)
from bot.records import Turn
from tests.fakes.gemini_api import Blocked, Empty, FakeGemini, Fault, Hang, PromptBlocked

TURNS = [Turn("user", "How should I warm up?")]


def chat(base_url: str, api_key: str, timeout_seconds: float) -> GeminiChat:
    return GeminiChat(
        api_key=api_key, model="chat", base_url=base_url, timeout_seconds=timeout_seconds, attempts=1
    )


async def test_a_hung_answer_times_out_as_unavailable(fake_gemini: FakeGemini) -> None:
    llm = chat(fake_gemini.base_url, fake_gemini.api_key, timeout_seconds=1)
    fake_gemini.enqueue("chat", Hang(5), Hang(5))
    fake_gemini.enqueue("json", Hang(5), Hang(5), Hang(5))
    try:
        started = time.monotonic()
        with pytest.raises(LLMUnavailable, match="in time"):
            await llm.generate("system", TURNS)
        with pytest.raises(LLMUnavailable):
            await llm.stream_reply("system", TURNS, on_text=lambda _text: _noop())
        with pytest.raises(LLMUnavailable):
            await llm.generate_json("system", "prompt", schema={"type": "object"}, parse=dict)
        assert time.monotonic() - started < 6.5
    finally:
        await llm.close()


async def test_an_unreachable_server_is_unavailable(fake_gemini: FakeGemini) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    llm = chat(f"http://127.0.0.1:{port}", fake_gemini.api_key, timeout_seconds=5)
    try:
        with pytest.raises(LLMUnavailable, match=r"unreachable|API error"):
            await llm.generate("system", TURNS)
        with pytest.raises(LLMUnavailable):
            await llm.stream_reply("system", TURNS, on_text=lambda _text: _noop())
    finally:
        await llm.close()


async def _noop() -> None:
    return None


async def test_a_429_for_the_memory_writer_is_raised_at_once_with_the_delay_gemini_asks(
    fake_gemini: FakeGemini,
) -> None:
    """With retry_rate_limits off, one 429 is one request and LLMRateLimited carries retryDelay;
    the replies' client (the default) still retries it."""
    writer_llm = GeminiChat(
        api_key=fake_gemini.api_key,
        model="m",
        base_url=fake_gemini.base_url,
        timeout_seconds=5,
        attempts=3,
        retry_rate_limits=False,
    )
    replies_llm = GeminiChat(
        api_key=fake_gemini.api_key, model="m", base_url=fake_gemini.base_url, timeout_seconds=5, attempts=3
    )
    try:
        fake_gemini.enqueue("json", Fault(429, retry_after=7))
        with pytest.raises(LLMRateLimited) as raised:
            await writer_llm.generate_json("s", "p", schema={"type": "object"}, parse=dict)
        assert raised.value.retry_after == 7.0
        assert len(fake_gemini.requests("json")) == 1

        fake_gemini.enqueue("chat", Fault(429, retry_after=0))
        reply = await replies_llm.generate("system", TURNS)
        assert reply.text.startswith("Coach says:")
        assert len(fake_gemini.requests("chat")) == 2
    finally:
        await writer_llm.close()
        await replies_llm.close()


async def test_a_streamed_answer_is_retried_after_a_5xx_and_a_429(
    fake_gemini: FakeGemini,
) -> None:
    """A streamed answer: a 503 and a 429 before the first chunk are retried, the answer arrives
    piece by piece with its token counts; for the memory writer's client a 429 is raised at once
    with Gemini's retryDelay; a 400 is not retried."""
    llm = GeminiChat(
        api_key=fake_gemini.api_key, model="m", base_url=fake_gemini.base_url, timeout_seconds=5, attempts=3
    )
    writer_llm = GeminiChat(
        api_key=fake_gemini.api_key,
        model="m",
        base_url=fake_gemini.base_url,
        timeout_seconds=5,
        attempts=3,
        retry_rate_limits=False,
    )
    seen: list[str] = []

    async def on_text(text: str) -> None:
        seen.append(text)

    try:
        fake_gemini.enqueue("chat", Fault(503), Fault(429, retry_after=0))
        reply = await llm.stream_reply("system", TURNS, on_text=on_text)
        assert reply.text.startswith("Coach says:")
        assert reply.text == seen[-1].strip()
        assert len(seen) > 1
        assert reply.prompt_tokens > 0
        assert reply.output_tokens > 0
        requests = fake_gemini.requests("chat")
        assert len(requests) == 3
        assert all(r.stream for r in requests)
        assert requests[-1].body["systemInstruction"] == {"parts": [{"text": "system"}], "role": "user"}

        fake_gemini.enqueue("chat", Fault(429, retry_after=7))
        with pytest.raises(LLMRateLimited) as raised:
            await writer_llm.stream_reply("system", TURNS, on_text=on_text)
        assert raised.value.retry_after == 7.0
        assert len(fake_gemini.requests("chat")) == 4

        fake_gemini.enqueue("chat", Fault(400))
        with pytest.raises(LLMUnavailable, match="API error 400"):
            await llm.stream_reply("system", TURNS, on_text=on_text)
        assert len(fake_gemini.requests("chat")) == 5  # a 400 is not retried
    finally:
        await llm.close()
        await writer_llm.close()


async def test_a_blocked_prompt_or_answer_in_a_stream_is_the_honest_stand_in(fake_gemini: FakeGemini) -> None:
    llm = chat(fake_gemini.base_url, fake_gemini.api_key, timeout_seconds=5)
    try:
        fake_gemini.enqueue("chat", PromptBlocked(), Blocked("PROHIBITED_CONTENT"), Empty())
        for expected in (BLOCKED_REPLY, BLOCKED_REPLY, EMPTY_REPLY):
            reply = await llm.stream_reply("system", TURNS, on_text=lambda _text: _noop())
            assert reply.text == expected
            assert reply.blocked == (expected == BLOCKED_REPLY)
            assert reply.empty == (expected == EMPTY_REPLY)
    finally:
        await llm.close()
