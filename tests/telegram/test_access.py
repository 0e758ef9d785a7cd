"""Access and cost through the real bot: ALLOWED_USER_IDS, RATE_LIMIT_PER_MINUTE,
DAILY_TOKEN_BUDGET and MAX_INPUT_CHARS, each refusal with a friendly message and no LLM call."""

from __future__ import annotations

import re

import pytest

from bot.telegram.handlers.gate import (
    BUDGET_REPLY,
    NOT_ALLOWED_REPLY,
    TOO_LONG_REPLY,
)
from bot.telegram.rate_limit import RateLimiter
from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram
from tests.support.harness import CHAT, StartBot, say

STRANGER = 3003


async def test_only_allowed_users_are_served(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """A user outside ALLOWED_USER_IDS gets a polite refusal and costs no Gemini call."""
    await start_bot(ALLOWED_USER_IDS=f"{CHAT}, 42")
    assert (await say(fake_telegram, "/start", chat_id=STRANGER))["text"] == NOT_ALLOWED_REPLY
    assert (await say(fake_telegram, "Plan my week", chat_id=STRANGER))["text"] == NOT_ALLOWED_REPLY
    assert fake_gemini.requests("chat") == []
    assert (await say(fake_telegram, "Plan my week"))["text"].startswith("Coach says:")


async def test_rate_limit_warns_once_and_skips_the_model(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """Past RATE_LIMIT_PER_MINUTE messages, the sender is told to wait and Gemini is not called."""
    await start_bot(RATE_LIMIT_PER_MINUTE=3)
    for n in range(4):
        fake_telegram.send_text(CHAT, f"Question {n}")
    replies = await fake_telegram.wait_for_messages(CHAT, 4)
    assert [r["text"].startswith("Coach says:") for r in replies] == [True, True, True, False]
    assert re.fullmatch(
        r"You're writing faster than I can coach! Please wait \d+ seconds? and try again\.",
        replies[3]["text"],
    )
    assert len(fake_gemini.requests("chat")) == 3


def test_rate_limiter_window_slides() -> None:
    """The limiter admits `limit` events per 60 s window and frees slots as they age out."""
    limiter = RateLimiter(2)
    assert limiter.allow(1, now=0.0) == 0
    assert limiter.allow(1, now=1.0) == 0
    assert limiter.allow(1, now=2.0) == pytest.approx(58.0)
    assert limiter.allow(2, now=2.0) == 0  # another sender is unaffected
    assert limiter.allow(1, now=60.5) == 0
    assert RateLimiter(0).allow(1, now=0.0) == 0  # 0 = unlimited


async def test_daily_token_budget_stops_questions_but_not_commands(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """Once today's tokens reach DAILY_TOKEN_BUDGET, questions get a friendly note; /usage works."""
    await start_bot(DAILY_TOKEN_BUDGET=10)
    assert (await say(fake_telegram, "First question"))["text"].startswith("Coach says:")
    refused = await say(fake_telegram, "Second question")
    assert refused["text"] == BUDGET_REPLY.format(budget="10")
    assert len(fake_gemini.requests("chat")) == 1
    usage = await say(fake_telegram, "/usage")
    assert "Daily budget: 10 tokens (0 left today)" in usage["text"]


async def test_input_longer_than_the_cap_is_refused_before_the_model(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """A message over MAX_INPUT_CHARS gets its length and the limit back, and no Gemini call."""
    bot = await start_bot(MAX_INPUT_CHARS=100)
    reply = await say(fake_telegram, "a" * 150)
    assert reply["text"] == TOO_LONG_REPLY.format(length="150", limit="100")
    assert fake_gemini.requests("chat") == []
    assert await bot.controls.pending_memories(CHAT) == 0


async def test_a_slash_without_a_command_entity_is_a_question_and_pays_the_budget(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """ "/ how do I deadlift" carries no bot_command entity (what Telegram sends): it is a question,
    so the daily token budget applies to it like to any other."""
    await start_bot(DAILY_TOKEN_BUDGET=10)
    assert (await say(fake_telegram, "First question"))["text"].startswith("Coach says:")
    refused = await say(fake_telegram, "/ how do I deadlift")
    assert refused["text"] == BUDGET_REPLY.format(budget=10)
    assert len(fake_gemini.requests("chat")) == 1
