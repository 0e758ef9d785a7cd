"""What a returning user's message costs the memory: one embedding per text, one full-text query
per recall, and never a memory hidden by what was remembered about the user."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.llm import GeminiEmbedder
from bot.memory.memory_service import MemoryService
from bot.memory.prefetch import PrefetchingEmbedder
from bot.memory.sqlite_vectors import KeywordMemo, SQLiteVectorStore
from tests.fakes.gemini_api import FakeGemini
from tests.support.memory_pipeline import open_sqlite_memory

USER = "tg-4242"
ON_LOOP = pytest.mark.parametrize("on_loop", [False, True], ids=["threads", "event-loop"])


@ON_LOOP
async def test_the_same_question_is_embedded_once(
    fake_gemini: FakeGemini, tmp_path: Path, on_loop: bool, embedders: list[GeminiEmbedder]
) -> None:
    """The recall's search and the memory writer's related-memory search of one message ask the
    model for one embedding between them, and find the same memories; another text is embedded."""
    memory = await open_sqlite_memory(fake_gemini, tmp_path, on_loop=on_loop, embedders=embedders)
    try:
        await memory.add(USER, [{"role": "user", "content": "I swim on Mondays"}], infer=False)
        before = len(fake_gemini.requests("embed"))
        first = await memory.search(USER, "when do I swim", limit=5, explain=True)
        second = await memory.search(USER, "when do I swim", limit=3, threshold=0.0)
        assert len(fake_gemini.requests("embed")) == before + 1
        assert [item.text for item in first] == [item.text for item in second] == ["I swim on Mondays"]
        await memory.search(USER, "what do I eat", limit=3)
        assert len(fake_gemini.requests("embed")) == before + 2
    finally:
        await memory.close()


@ON_LOOP
async def test_a_user_whose_memories_are_gone_costs_no_embedding_again(
    fake_gemini: FakeGemini, tmp_path: Path, on_loop: bool, embedders: list[GeminiEmbedder]
) -> None:
    """Remembering that a user has memories never outlives them: after the user's memories are
    erased, a search makes no embedding call; a new memory is found at once."""
    memory = await open_sqlite_memory(fake_gemini, tmp_path, on_loop=on_loop, embedders=embedders)
    try:
        await memory.add(USER, [{"role": "user", "content": "I swim on Mondays"}], infer=False)
        assert [i.text for i in await memory.search(USER, "when do I swim", limit=5)] == ["I swim on Mondays"]
        await memory.delete_all(USER)
        before = len(fake_gemini.requests("embed"))
        assert await memory.search(USER, "do I run", limit=5) == []
        assert len(fake_gemini.requests("embed")) == before
        await memory.add(USER, [{"role": "user", "content": "I run on Fridays"}], infer=False)
        assert [i.text for i in await memory.search(USER, "do I run", limit=5)] == ["I run on Fridays"]
    finally:
        await memory.close()


def readers_started() -> set[int]:
    return {t.ident or 0 for t in threading.enumerate() if t.name.startswith("mem0-read")}


@ON_LOOP
async def test_reads_run_on_the_event_loop(
    fake_gemini: FakeGemini, tmp_path: Path, on_loop: bool, embedders: list[GeminiEmbedder]
) -> None:
    """On our SQLite store a search (its embedding computed ahead), a listing, a look-up and a
    keyword search run on the event loop: no reader thread is started for them."""
    before = readers_started()
    memory = await open_sqlite_memory(fake_gemini, tmp_path, on_loop=on_loop, embedders=embedders)
    try:
        await memory.add(USER, [{"role": "user", "content": "I swim on Mondays"}], infer=False)
        [found] = await memory.search(USER, "when do I swim", limit=5)
        assert [i.text for i in await memory.list_memories(USER)] == ["I swim on Mondays"]
        assert await memory.get(USER, found.id) is not None
        assert await memory.keyword_scores(USER, "swim", limit=5)
        assert await memory.search("tg-new", "anything", limit=5) == []
        assert readers_started() - before == set()
    finally:
        await memory.close()


async def test_reads_on_the_event_loop_let_other_tasks_run(
    fake_gemini: FakeGemini, tmp_path: Path, embedders: list[GeminiEmbedder]
) -> None:
    """Each read on the event loop lets the other tasks run first, as a read on a thread did: a
    job that only reads (the daily expiry finding nothing) never holds every chat up."""
    memory = await open_sqlite_memory(fake_gemini, tmp_path, on_loop=True, embedders=embedders)
    ticks = 0

    async def other_task() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    try:
        [item] = await memory.add(USER, [{"role": "user", "content": "I swim on Mondays"}], infer=False)
        task = asyncio.create_task(other_task())
        await asyncio.sleep(0)
        start = ticks
        for _ in range(20):
            assert await memory.get(USER, item.id) is not None
        task.cancel()
        assert ticks - start >= 20
    finally:
        await memory.close()


class NetworkEmbedder:
    """Mem0's own (sync, network) embedder: records the thread each call came from."""

    def __init__(self) -> None:
        self.threads: list[str] = []

    def embed(self, text: str, memory_action: str | None = None) -> list[float]:
        self.threads.append(threading.current_thread().name)
        return [1.0, 0.0]


class Client:
    """As much of Mem0's client as a search needs: it embeds the query, then answers one row."""

    def __init__(self) -> None:
        self.inner = NetworkEmbedder()
        self.embedding_model = PrefetchingEmbedder(self.inner)
        self.threads: list[str] = []

    def search(self, query: str, *, filters: dict[str, Any], top_k: int, **_: Any) -> dict[str, Any]:
        self.threads.append(threading.current_thread().name)
        self.embedding_model.embed(query, "search")
        return {"results": [{"id": "m1", "memory": "I swim on Mondays", "user_id": filters["user_id"]}]}

    def get_all(self, **_: Any) -> dict[str, Any]:
        return {"results": []}

    def get(self, memory_id: str) -> None:
        return None


@pytest.mark.parametrize("computed_ahead", [True, False], ids=["computed-ahead", "needs-the-model"])
async def test_a_read_that_needs_the_model_runs_on_a_reader_thread(computed_ahead: bool) -> None:
    """Reads run on the event loop only while they need nothing but local work: a search whose
    embedding was not computed ahead stops before asking the model there, and runs again on a
    reader thread, which may wait for it."""
    client = Client()

    async def embed(text: str) -> Sequence[float]:
        return [1.0, 0.0]

    memory = MemoryService(
        lambda: (client, []),
        backend="test",
        readers=1,
        inline_reads=True,
        embed=embed if computed_ahead else None,
    )
    loop_thread = threading.current_thread().name
    try:
        [found] = await memory.search(USER, "when do I swim", limit=5)
        assert found.text == "I swim on Mondays"
    finally:
        await memory.close()
    if computed_ahead:
        assert (client.threads, client.inner.threads) == ([loop_thread], [])
    else:
        assert client.threads[0] == loop_thread
        assert client.threads[1].startswith("mem0-read")
        assert client.inner.threads == client.threads[1:]


def test_a_search_overlapping_a_drop_is_not_kept() -> None:
    """The memo keeps a search only if no write dropped kept searches while it ran."""
    memo = KeywordMemo()
    mine = {"user_id": "me"}
    since = memo.generation
    memo.drop("someone else")
    memo.put("knee", 5, mine, [], since=since)
    assert memo.get("knee", 5, mine) is None
    memo.put("knee", 5, mine, [], since=memo.generation)
    assert memo.get("knee", 5, mine) == []


def test_a_kept_keyword_search_answers_repeats_until_the_user_writes(tmp_path: Path) -> None:
    """A repeated keyword search (same query and user, as many hits or fewer) is answered from the
    first; any write of that user makes the next one see the change; other users' writes keep it."""
    store = SQLiteVectorStore("mem0", str(tmp_path / "v.sqlite3"), 3)
    try:
        mine = {"user_id": "me"}
        store.insert(
            [[1, 0, 0], [0, 1, 0]],
            [{"data": "knee pain", **mine}, {"data": "knee brace", **mine}],
            ["a", "b"],
        )
        first = store.keyword_search("knee", 600, mine)
        assert [r.id for r in first] == ["a", "b"]
        assert store.memo.get("knee", 200, mine) == first
        assert store.memo.get("knee", 1, mine) == first[:1]
        store.insert([[0, 0, 1]], [{"data": "knee ok", "user_id": "other"}], ["c"])
        assert store.memo.get("knee", 200, mine) == first
        store.insert([[0, 0, 1]], [{"data": "knee", **mine}], ["d"])
        assert store.memo.get("knee", 200, mine) is None
        assert {r.id for r in store.keyword_search("knee", 200, mine)} == {"a", "b", "d"}
        store.delete("d")
        assert [r.id for r in store.keyword_search("knee", 200, mine)] == ["a", "b"]
        store.update("b", payload={"data": "elbow", **mine})
        assert [r.id for r in store.keyword_search("knee", 200, mine)] == ["a"]
        store.delete_scope(user_id="me")
        assert store.keyword_search("knee", 200, mine) == []
    finally:
        store.close()


def test_a_kept_keyword_search_gives_what_the_query_gives(tmp_path: Path) -> None:
    """Asked for fewer hits than a kept search, the store answers exactly what a fresh query with
    that limit returns (ties in stored order); asked for more than a full kept answer, it asks again."""
    store = SQLiteVectorStore("mem0", str(tmp_path / "v.sqlite3"), 3)
    fresh = SQLiteVectorStore("mem0", str(tmp_path / "v.sqlite3"), 3)
    try:
        mine = {"user_id": "me"}
        texts = ["run", "run fast", "run far", "run run", "run", "walk and run", "run"]
        store.insert(
            [[1, 0, 0]] * len(texts),
            [{"data": t, **mine} for t in texts],
            [f"m{i}" for i in range(len(texts))],
        )
        store.keyword_search("run", 4, mine)
        for k in (1, 2, 3, 4):
            assert [r.id for r in store.keyword_search("run", k, mine)] == [
                r.id
                for r in fresh.keyword_search("run", k, mine)  # a longer limit each time: a query
            ]
        assert len(store.keyword_search("run", 7, mine)) == 7
    finally:
        store.close()
        fresh.close()
