"""What a returning user's message costs the memory: one embedding per text, one full-text query
per recall, and never a memory hidden by what was remembered about the user."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.llm import GeminiEmbedder
from bot.memory.sqlite_vectors import SQLiteVectorStore
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
