"""A search or listing asked again with the same parameters is answered from the first, and never
once the user's memories changed: unit tests of KeptReads, then Mem0 over our SQLite store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from bot.llm import GeminiEmbedder
from bot.memory.kept_reads import KeptReads
from bot.records import MemoryItem
from tests.fakes.gemini_api import FakeGemini
from tests.support.memory_pipeline import open_sqlite_memory

USER = "tg-4242"
OTHER = "tg-77"
SWIMS = [MemoryItem("m1", "I swim on Mondays")]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Reader:
    """A read that counts how often it really ran; with `during`, runs that (a change) in its middle."""

    def __init__(self, kept: KeptReads, result: list[MemoryItem] = SWIMS) -> None:
        self.kept = kept
        self.result = result
        self.runs = 0

    async def __call__(
        self, user: str, params: str, during: Callable[[], object] | None = None
    ) -> list[MemoryItem]:
        async def compute() -> list[MemoryItem]:
            self.runs += 1
            if during is not None:
                during()
            await asyncio.sleep(0)
            return list(self.result)

        return await self.kept.read(user, params, compute)


async def test_a_kept_read_answers_the_same_read_until_it_is_too_old() -> None:
    clock = Clock()
    read = Reader(KeptReads(seconds=60.0, clock=clock))
    assert await read(USER, "q") == SWIMS
    assert await read(USER, "q") == SWIMS
    assert read.runs == 1
    await read(USER, "other parameters")
    await read(OTHER, "q")
    assert read.runs == 3
    clock.now += 61
    assert await read(USER, "q") == SWIMS
    assert read.runs == 4
    assert read.kept.hits == 1


async def test_nothing_is_kept_without_seconds() -> None:
    read = Reader(KeptReads(seconds=0.0))
    await read(USER, "q")
    await read(USER, "q")
    assert (read.runs, read.kept.hits) == (2, 0)


async def test_a_change_of_the_user_forgets_their_reads_only() -> None:
    read = Reader(KeptReads())
    await read(USER, "q")
    await read(OTHER, "q")
    with read.kept.changing(USER):
        pass
    await read(USER, "q")
    await read(OTHER, "q")
    assert read.runs == 3


async def test_a_read_that_overlapped_a_change_is_not_kept() -> None:
    """A change starting, or ending, while a read runs: what it read may be either side of the
    change, so the next read runs again. Another user's change does not matter."""
    kept = KeptReads()
    read = Reader(kept)
    change = kept.changing(USER)
    await read(USER, "start", during=change.__enter__)  # the change starts while it reads
    await read(USER, "within")  # wholly within the change: kept until the change ends
    await read(USER, "within")
    assert read.runs == 2
    await read(USER, "end", during=lambda: change.__exit__(None, None, None))
    await read(OTHER, "q", during=kept.changing(USER).__enter__)
    for params in ("start", "within", "end"):
        await read(USER, params)
    await read(OTHER, "q")
    assert read.runs == 7


async def test_the_same_search_or_listing_again_is_kept_and_a_change_shows_at_once(
    fake_gemini: FakeGemini, tmp_path: Path, embedders: list[GeminiEmbedder]
) -> None:
    """Mem0 over our SQLite store: the second identical search or listing reads nothing; after an
    add, an update or a delete of the user, the same search and listing see the change."""
    memory = await open_sqlite_memory(fake_gemini, tmp_path, on_loop=True, embedders=embedders)
    try:
        swim = (await memory.add(USER, [{"role": "user", "content": "I swim on Mondays"}], infer=False))[0]

        async def search() -> list[str]:
            found = await memory.search(USER, "when do I swim", limit=150, threshold=0.0, explain=True)
            return [item.text for item in found]

        async def listing() -> list[str]:
            return sorted(item.text for item in await memory.list_memories(USER))

        assert await search() == ["I swim on Mondays"]
        assert memory.reads_kept == 0
        assert await search() == ["I swim on Mondays"]
        assert memory.reads_kept == 1
        assert await memory.search(USER, "when do I swim", limit=5) != []  # other parameters: searched
        assert memory.reads_kept == 1
        assert await listing() == await listing() == ["I swim on Mondays"]
        assert memory.reads_kept == 2

        await memory.add(USER, [{"role": "user", "content": "I swim on Fridays too"}], infer=False)
        assert sorted(await search()) == await listing() == ["I swim on Fridays too", "I swim on Mondays"]
        await memory.update(USER, swim.id, "I swim on Tuesdays")
        assert "I swim on Tuesdays" in await search()
        assert "I swim on Tuesdays" in await listing()
        await memory.delete(USER, swim.id)
        assert await search() == await listing() == ["I swim on Fridays too"]
        await memory.delete_all(USER)
        assert await search() == await listing() == []
    finally:
        await memory.close()


async def test_mem0s_threshold_is_the_recalls_own_cosine_cut(
    fake_gemini: FakeGemini, tmp_path: Path, embedders: list[GeminiEmbedder]
) -> None:
    """The recall asks with no threshold (the writer's search) and drops the hits whose cosine is
    below MEMORY_MIN_SCORE itself: the same hits, in the same order, as Mem0's own threshold."""
    memory = await open_sqlite_memory(fake_gemini, tmp_path, on_loop=True, embedders=embedders)
    try:
        for fact in (
            "I swim on Mondays",
            "I swim in the lake in summer",
            "My knee hurts after long runs",
            "I run 5 km every morning",
            "My dog is called Rex",
            "I like green tea",
        ):
            await memory.add(USER, [{"role": "user", "content": fact}], infer=False)
        query = "when do I swim or run"
        every = await memory.search(USER, query, limit=150, threshold=0.0, explain=True)
        cosines = sorted(item.semantic_score or 0.0 for item in every)
        assert len(every) == 6
        assert cosines[0] < cosines[-1]  # the thresholds below cut somewhere
        for threshold in (0.0, *cosines, 0.25, 0.5, 1.0):
            cut = [item.id for item in every if (item.semantic_score or 0.0) >= threshold]
            gated = await memory.search(USER, query, limit=150, threshold=threshold, explain=True)
            assert cut == [item.id for item in gated], threshold
    finally:
        await memory.close()
