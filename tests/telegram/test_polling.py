"""The durable inbox and per-chat ordering, with the real bot against the fake servers."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable
from pathlib import Path

from bot.records import InboxUpdate
from bot.store import Store
from tests.fakes.gemini_api import FakeGemini, GeminiRequest
from tests.fakes.telegram_api import FakeTelegram
from tests.support.harness import StartBot

CHAT = 3003


async def test_an_update_is_stored_before_its_offset_is_confirmed(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """While a reply is being generated the update is confirmed to Telegram but pending in the
    inbox; once answered it is marked done and its text is dropped."""
    gate = threading.Event()

    def held(request: GeminiRequest) -> str:
        gate.wait(10)
        return "Coach says: done"

    fake_gemini.enqueue("chat", held)
    bot = await start_bot()
    update_id = fake_telegram.send_text(CHAT, "Plan my deadlift day")
    await fake_gemini.wait_for_requests("chat", 1)
    await fake_telegram.wait_for_call("getUpdates", lambda c: int(c.params.get("offset") or 0) > update_id)
    pending = await bot.services.store.inbox.unfinished_updates()
    assert [p.update_id for p in pending] == [update_id]
    assert "Plan my deadlift day" in pending[0].payload

    gate.set()
    await fake_telegram.wait_for_messages(CHAT, 1)
    await bot.stop()
    store = await Store.open(bot.settings.db_path)
    try:
        assert await store.inbox.unfinished_updates() == []
        assert await store.inbox.inbox_states() == {"done": 1}
    finally:
        await store.close()


async def test_duplicate_updates_are_answered_once(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """The same update_id delivered twice in a batch, and again after a restart, gets one answer."""
    fake_telegram.send_text(CHAT, "first question")
    original = fake_telegram.pending_updates[0]
    fake_telegram.push_update(original)  # a duplicate in the same batch
    bot = await start_bot()
    await fake_telegram.wait_for_messages(CHAT, 1)
    await bot.stop()

    fake_telegram.push_update(original)  # redelivered after the restart
    await start_bot()
    fake_telegram.send_text(CHAT, "second question")
    messages = await fake_telegram.wait_for_messages(CHAT, 2)
    await fake_telegram.wait_for_call("getUpdates", lambda c: int(c.params.get("offset") or 0) > 2)
    texts = [m["text"] for m in fake_telegram.sent(CHAT)]
    assert len(texts) == 2, texts
    assert "first question" in messages[0]["text"]
    assert "second question" in messages[1]["text"]
    assert len(fake_gemini.chat_requests()) == 2


async def test_chats_run_concurrently_and_each_chat_stays_in_order(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """12 chats x 4 messages: several chats are answered at once, never two of one chat, and every
    chat's replies come in the order its messages were sent."""
    lock = threading.Lock()
    in_flight: dict[str, int] = {}
    peak = {"all": 0, "one_chat": 0}

    def tracked(request: GeminiRequest) -> str:
        text = request.last_user_text()
        chat = re.search(r"chat(\d+)", text)
        key = chat.group(1) if chat else "?"
        with lock:
            in_flight[key] = in_flight.get(key, 0) + 1
            peak["all"] = max(peak["all"], sum(in_flight.values()))
            peak["one_chat"] = max(peak["one_chat"], in_flight[key])
        threading.Event().wait(0.3)
        with lock:
            in_flight[key] -= 1
        return "Coach says: " + text

    chats = [4000 + i for i in range(12)]
    fake_gemini.enqueue("chat", *([tracked] * 48))
    for chat in chats:  # each chat's messages back to back: the hardest case for its order
        for n in range(4):
            fake_telegram.send_text(chat, f"chat{chat} message {n}")
    await start_bot()
    for chat in chats:
        await fake_telegram.wait_for_messages(chat, 4, timeout=30)
    for chat in chats:
        order = [int(re.search(r"message (\d)", m["text"]).group(1)) for m in fake_telegram.sent(chat)]  # type: ignore[union-attr]
        assert order == [0, 1, 2, 3], (chat, order)
    assert peak["one_chat"] == 1
    assert peak["all"] > 1


async def test_unfinished_updates_are_replayed_and_poison_ones_skipped(
    start_bot: StartBot, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    """At start, an update stored but never finished is answered; one that was in flight in three
    runs that died is skipped and marked failed."""
    fake_telegram.send_text(CHAT, "replay me please")
    fake_telegram.send_text(CHAT + 1, "I crash the bot")
    replay, poison = fake_telegram.pending_updates

    store = await Store.open(tmp_path / "data" / "bot.sqlite3")
    try:
        rows = [
            InboxUpdate(u["update_id"], u["message"]["chat"]["id"], json.dumps(u)) for u in (replay, poison)
        ]
        assert await store.inbox.record_updates(rows) == [replay["update_id"], poison["update_id"]]
        for _ in range(3):
            await store.inbox.count_update_attempts([poison["update_id"]])
    finally:
        await store.close()

    bot = await start_bot()
    messages = await fake_telegram.wait_for_messages(CHAT, 1)
    assert "replay me please" in messages[0]["text"]
    await fake_telegram.wait_for_call(
        "getUpdates", lambda c: int(c.params.get("offset") or 0) > poison["update_id"]
    )
    assert fake_telegram.sent(CHAT + 1) == []
    assert len(fake_telegram.sent(CHAT)) == 1
    states = await wait_for_inbox(bot.services.store, lambda s: s.get("pending", 0) == 0)
    assert states == {"done": 1, "failed": 1}


async def wait_for_inbox(
    store: Store, predicate: Callable[[dict[str, int]], bool], timeout: float = 10
) -> dict[str, int]:
    """Wait until the inbox's state counts satisfy `predicate` (handlers finish after replying)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        states = await store.inbox.inbox_states()
        if predicate(states) or asyncio.get_running_loop().time() > deadline:
            return states
        await asyncio.sleep(0.02)
