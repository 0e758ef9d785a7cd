"""Saying what was remembered through the real bot: ✍ on a private message once it changed memory,
a /prefs switch, never in incognito or groups; /memories newest first; parked writes shown."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import BOT_USERNAME, FakeTelegram
from tests.support.chat import drained
from tests.support.harness import CHAT, RunningBot, StartBot, say

GROUP = -1005554443332


async def told(bot: RunningBot, fake: FakeTelegram, text: str, chat_id: int = CHAT, **kw: Any) -> int:
    """Say `text`, let the memory writer finish; return the id of the user's message."""
    reply = await say(fake, text, chat_id=chat_id, **kw)
    await bot.settle()
    user_message = reply.get("reply_parameters", {}).get("message_id") or reply["message_id"] - 1
    assert (fake.message(chat_id, user_message) or {}).get("text") == text
    return int(user_message)


async def test_a_message_that_changed_memory_gets_a_writing_hand(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """A fact gets ✍ once it is stored; a question (nothing to remember) gets none; after
    /prefs reactions off, a new fact is stored without a reaction."""
    bot = await start_bot()
    fact = await told(bot, fake_telegram, "I swim at the Marlin pool on Mondays.")
    assert fake_telegram.reactions(CHAT, fact) == ["✍"]
    question = await told(bot, fake_telegram, "How long should I rest between sets?")
    assert fake_telegram.reactions(CHAT, question) == []

    switched = await say(fake_telegram, "/prefs reactions off")
    assert "✍ when remembered: off" in switched["text"]
    quiet = await told(bot, fake_telegram, "I cycle to the Marlin pool.")
    assert fake_telegram.reactions(CHAT, quiet) == []
    assert {m.text for m in await bot.controls.memories(CHAT)} == {
        "I swim at the Marlin pool on Mondays",
        "I cycle to the Marlin pool",
    }
    assert len(fake_telegram.calls("setMessageReaction")) == 1


async def test_no_reaction_in_incognito_or_in_groups(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """Incognito stores nothing and marks nothing; a group's remembered message gets no reaction."""
    bot = await start_bot(GROUPS_ENABLED=True)
    await say(fake_telegram, "/prefs memory off")
    await told(bot, fake_telegram, "I row on Fridays.")
    group_fact = f"@{BOT_USERNAME} Our team trains at the Heron field."
    await say(fake_telegram, group_fact, chat_id=GROUP, user_id=7007, chat_type="supergroup")
    await bot.settle()
    await drained(bot, fake_telegram)
    assert [m.text for m in await bot.controls.memories(GROUP)] == ["Our team trains at the Heron field"]
    assert fake_telegram.calls("setMessageReaction") == []


async def test_memories_are_listed_newest_first(start_bot: StartBot, fake_telegram: FakeTelegram) -> None:
    """The newest memory is the first line, whatever its category."""
    bot = await start_bot()
    for text in ("I like oat milk", "My knee hurts after squats", "I train on Mondays"):
        await say(fake_telegram, f"/remember {text}")
    listing = await say(fake_telegram, "/memories")
    numbered = [line for line in listing["text"].splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert [line.split(" (")[0] for line in numbered] == [
        "1. I train on Mondays",
        "2. My knee hurts after squats",
        "3. I like oat milk",
    ]
    assert len(await bot.controls.memories(CHAT)) == 3


async def test_a_parked_write_is_shown_in_memories(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """A message whose extraction answers stay malformed is parked after its attempts, and
    /memories says so instead of "still being processed" for ever."""
    bot = await start_bot()
    fake_gemini.json_responder = lambda request: json.dumps({"facts": "not a list"})
    await say(fake_telegram, "I juggle kettlebells on Saturdays.")
    for _ in range(3):
        await bot.services.writer.drain(10)
        if await bot.controls.pending_memories(CHAT):
            await bot.services.store.outbox.make_memory_writes_due()  # skip the backoff
    assert await bot.controls.pending_memories(CHAT) == 0
    assert await bot.controls.parked_memories(CHAT) == 1
    listing = await say(fake_telegram, "/memories")
    assert "(1 message could not be turned into memories" in listing["text"]
    assert "still being processed" not in listing["text"]
