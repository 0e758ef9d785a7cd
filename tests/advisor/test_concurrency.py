"""Work that runs beside other work: recalls beside memory writes, and the SQLite writer thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.llm import GeminiEmbedder
from bot.records import Turn
from bot.store import Store
from bot.store.sqlite_writer import SQLiteWriter
from tests.fakes.gemini_api import FakeGemini, GeminiRequest
from tests.support.memory_pipeline import open_sqlite_memory

USER = "tg-4242"
# Mem0's embeddings on its own embedder's thread pool, or on the event loop (GeminiEmbedder, as
# the bot runs): the same guarantees either way.
ON_LOOP = pytest.mark.parametrize("on_loop", [False, True], ids=["threads", "event-loop"])
EMBEDDERS: list[GeminiEmbedder] = []


@pytest.fixture(autouse=True)
async def _close_embedders() -> AsyncIterator[None]:
    yield
    while EMBEDDERS:
        await EMBEDDERS.pop().close()


@ON_LOOP
async def test_a_recall_completes_while_a_memory_write_is_in_flight(
    fake_gemini: FakeGemini, tmp_path: Path, on_loop: bool
) -> None:
    """A search answers while an earlier add is still waiting for its embedding (SQLite store)."""
    memory = await open_sqlite_memory(fake_gemini, tmp_path, on_loop=on_loop, embedders=EMBEDDERS)
    released = threading.Event()

    def held_embedding(request: GeminiRequest) -> None:
        released.wait(30)  # the add's embedding answers only when the test says so

    try:
        await memory.add(USER, [{"role": "user", "content": "I train for a marathon in May"}], infer=False)
        fake_gemini.enqueue("embed", held_embedding)
        before = len(fake_gemini.requests("embed"))
        write = asyncio.create_task(
            memory.add(USER, [{"role": "user", "content": "My knee hurts after long runs"}], infer=False)
        )
        while len(fake_gemini.requests("embed")) == before:
            await asyncio.sleep(0.01)
        found = await asyncio.wait_for(memory.search(USER, "marathon training", limit=5), 20)
        assert not write.done()
        assert [item.text for item in found] == ["I train for a marathon in May"]
        released.set()
        added = await write
        assert [item.text for item in added] == ["My knee hurts after long runs"]
    finally:
        released.set()
        await memory.close()


async def test_a_failed_transaction_leaves_nothing_and_the_writer_goes_on(tmp_path: Path) -> None:
    """A transaction that raises is rolled back whole; the next one commits and is visible to
    another connection at once."""
    path = tmp_path / "w.sqlite3"
    writer = await SQLiteWriter.open(path, ["PRAGMA journal_mode=WAL"])
    try:
        await writer.write("CREATE TABLE t (x INTEGER)")

        def half_then_fail(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO t VALUES (1)")
            raise ValueError("boom")

        with pytest.raises(ValueError, match="boom"):
            await writer.transaction(half_then_fail)
        result = await writer.write("INSERT INTO t VALUES (?)", (2,))
        assert (result.rowcount, result.lastrowid) == (1, 1)
        with sqlite3.connect(path) as reader:
            assert reader.execute("SELECT x FROM t").fetchall() == [(2,)]
    finally:
        await writer.close()


async def test_store_writes_are_seen_by_its_reads_at_once(tmp_path: Path) -> None:
    """Writes go through the writer's connection, reads through aiosqlite: each read sees every
    write that returned before it (chat counter, usage, outbox, inbox)."""
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        for expected in (1, 2, 3):
            chat = (await store.chats.begin_message(77, recent=0)).chat
            assert chat.message_count == expected
            assert (await store.chats.get_chat(77)) == chat
        await store.chats.finish_message(77, [Turn("user", "hi"), Turn("model", "hello")], usage=(7700, 1, 2))
        assert (await store.chats.usage_since(7700, "2000-01-01")).messages == 1
        write_id = await store.outbox.enqueue_memory_write("tg-77", {"messages": []})
        assert await store.outbox.memory_write_exists(write_id)
        await store.chats.forget_chat(77)
        assert not await store.outbox.memory_write_exists(write_id)
    finally:
        await store.close()


@ON_LOOP
async def test_a_search_for_a_user_without_memories_makes_no_embedding_call(
    fake_gemini: FakeGemini, tmp_path: Path, on_loop: bool
) -> None:
    """New users' first messages cost no query embedding; once the user has a memory, it is searched."""
    memory = await open_sqlite_memory(fake_gemini, tmp_path, on_loop=on_loop, embedders=EMBEDDERS)
    try:
        marathon = [{"role": "user", "content": "I train for a marathon in May"}]
        await memory.add("tg-other", marathon, infer=False)
        before = len(fake_gemini.requests("embed"))
        assert await memory.search(USER, "marathon training", limit=5) == []
        assert len(fake_gemini.requests("embed")) == before
        await memory.add(USER, [{"role": "user", "content": "I swim on Mondays"}], infer=False)
        before = len(fake_gemini.requests("embed"))
        found = await memory.search(USER, "when do I swim", limit=5)
        assert [item.text for item in found] == ["I swim on Mondays"]
        assert len(fake_gemini.requests("embed")) == before + 1
    finally:
        await memory.close()


@ON_LOOP
async def test_an_add_waiting_for_its_embedding_does_not_hold_other_users_adds(
    fake_gemini: FakeGemini, tmp_path: Path, on_loop: bool
) -> None:
    """Embeddings are computed before Mem0's change thread is taken: while one add waits for its
    embedding, another user's add is stored, with one embedding call each (none twice)."""
    memory = await open_sqlite_memory(fake_gemini, tmp_path, on_loop=on_loop, embedders=EMBEDDERS)
    released = threading.Event()

    def held_embedding(request: GeminiRequest) -> None:
        released.wait(30)

    try:
        fake_gemini.enqueue("embed", held_embedding)
        slow = asyncio.create_task(
            memory.add("tg-slow", [{"role": "user", "content": "I bike to work"}], infer=False)
        )
        await fake_gemini.wait_for_requests("embed", 1)
        fast = await asyncio.wait_for(
            memory.add("tg-fast", [{"role": "user", "content": "I swim at noon"}], infer=False), 20
        )
        assert [item.text for item in fast] == ["I swim at noon"]
        assert not slow.done()
        released.set()
        assert [item.text for item in await slow] == ["I bike to work"]
        assert len(fake_gemini.requests("embed")) == 2
    finally:
        released.set()
        await memory.close()
