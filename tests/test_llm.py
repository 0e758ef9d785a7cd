"""GeminiChat's transport (google-genai over our aiohttp session): time-outs and an unreachable
server become LLMUnavailable, which the advisor turns into an honest reply."""

from __future__ import annotations

import socket
import time

import pytest

from bot.llm import GeminiChat, LLMUnavailable
from bot.records import Turn
from tests.fakes.gemini_api import FakeGemini, Hang

TURNS = [Turn("user", "How should I warm up?")]


def chat(base_url: str, api_key: str, timeout_seconds: float) -> GeminiChat:
    return GeminiChat(
        api_key=api_key, model="chat", base_url=base_url, timeout_seconds=timeout_seconds, attempts=1
    )


async def test_a_hung_answer_times_out_as_unavailable(fake_gemini: FakeGemini) -> None:
    llm = chat(fake_gemini.base_url, fake_gemini.api_key, timeout_seconds=1)
    fake_gemini.enqueue("chat", Hang(5), Hang(5))
    try:
        started = time.monotonic()
        with pytest.raises(LLMUnavailable, match="in time"):
            await llm.generate("system", TURNS)
        with pytest.raises(LLMUnavailable):
            await llm.stream_reply("system", TURNS, on_text=lambda _text: _noop())
        assert time.monotonic() - started < 4.5
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
