"""Recall ranking: our fusion of the vector and keyword legs, context after each hit, dated text."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bot.advisor.recall import Recaller, boost_by_conversation, conversations, fuse, saved_order, with_context
from bot.memory import MemoryItem, dated_text, undated_text
from tests.support.memory_pipeline import Pipeline


def item(
    memory_id: str, *, semantic: float | None = None, score: float | None = None, **extra: object
) -> MemoryItem:
    return MemoryItem(memory_id, f"text {memory_id}", semantic_score=semantic, score=score, **extra)  # type: ignore[arg-type]


def test_fuse_adds_the_weighted_keyword_score_relative_to_the_best_match() -> None:
    """A strong keyword match lifts a memory above one that is only semantically closer."""
    items = [item("a", semantic=0.60), item("b", semantic=0.50), item("c", semantic=0.40)]
    ranked = fuse(items, {"b": 2.0, "c": 8.0}, weight=0.5)
    assert [i.id for i in ranked] == ["c", "b", "a"]
    scores = {i.id: round(i.score or 0, 3) for i in ranked}
    assert scores == {"c": 0.9, "b": 0.625, "a": 0.6}


def test_fuse_without_keyword_scores_keeps_the_semantic_order() -> None:
    """No keyword matches: the order is the cosine order, ties in the given order."""
    items = [item("a", semantic=0.3), item("b", semantic=0.5), item("c", semantic=0.3)]
    assert [i.id for i in fuse(items, {}, weight=0.5)] == ["b", "a", "c"]


def test_fuse_falls_back_to_the_backend_score_without_a_semantic_score() -> None:
    """Backends that give no cosine alone (the Platform) are ranked by their own score."""
    items = [item("a", score=0.2), item("b", score=0.7)]
    assert [i.id for i in fuse(items, {"a": 1.0}, weight=0.4)] == ["b", "a"]


def said(memory_id: str, at: str) -> MemoryItem:
    return MemoryItem(memory_id, memory_id, created_at=at, metadata={"saved_at": at})


def test_context_follows_each_hit_with_the_next_memory_of_the_same_conversation() -> None:
    """The memory saved right after a hit is shown after it; one from days later is not."""
    saved = [
        said("q1", "2025-03-03T09:00:00+00:00"),
        said("a1", "2025-03-03T09:00:30+00:00"),
        said("q2", "2025-03-03T09:05:00+00:00"),
        said("later", "2025-03-07T18:00:00+00:00"),
    ]
    shown = with_context([saved[2], saved[0]], saved, after=1)
    assert [i.id for i in shown] == ["q2", "q1", "a1"]


def test_context_shows_no_memory_twice_and_respects_the_count() -> None:
    """A follower that is itself a hit appears once; `after` bounds the followers per hit."""
    saved = [said(str(n), f"2025-03-03T09:0{n}:00+00:00") for n in range(5)]
    shown = with_context([saved[1], saved[2]], saved, after=2)
    assert [i.id for i in shown] == ["1", "2", "3", "4"]
    assert [i.id for i in with_context([saved[1]], saved, after=0)] == ["1"]


def test_context_window_compares_aware_and_naive_times() -> None:
    """Mem0's Pacific created_at and a naive saved_at are compared as UTC, within the window."""
    first = MemoryItem("x", "x", created_at="2025-03-03T01:00:00-08:00")
    second = MemoryItem("y", "y", metadata={"saved_at": "2025-03-03T09:20:00"})
    assert [i.id for i in with_context([first], [first, second], window=timedelta(hours=1))] == ["x", "y"]
    assert [i.id for i in with_context([first], [first, second], window=timedelta(minutes=10))] == ["x"]


def test_conversations_are_runs_of_memories_said_close_together() -> None:
    """Each memory within the window of the previous one continues its conversation; a gap, or a
    memory without a known time, starts a new one."""
    saved = [
        said("a", "2025-03-03T09:00:00"),
        said("b", "2025-03-03T09:40:00"),
        said("c", "2025-03-03T10:30:00"),  # 50 min after b: same conversation as a and b
        said("d", "2025-03-05T18:00:00"),
        MemoryItem("undated", "undated"),
        said("e", "2025-03-05T18:10:00"),
    ]
    numbers = conversations(saved, window=timedelta(hours=1))
    assert numbers["a"] == numbers["b"] == numbers["c"]
    assert len({numbers["a"], numbers["d"], numbers["undated"], numbers["e"]}) == 4
    assert conversations(saved, window=timedelta(minutes=45))["c"] != numbers["a"]


def test_conversation_boost_lifts_what_was_said_around_the_best_match() -> None:
    """A weak match of the conversation that holds the best match outranks an equally weak one of
    another conversation; the conversations' best matches keep their order."""
    items = [
        item("best", score=0.9),
        item("other-best", score=0.6),
        item("lonely", score=0.5),
        item("near-best", score=0.5),
    ]
    conversation_of = {"best": 0, "near-best": 0, "other-best": 1, "lonely": 2}
    ranked = boost_by_conversation(items, conversation_of, weight=0.5)
    assert [i.id for i in ranked] == ["best", "near-best", "other-best", "lonely"]
    assert {i.id: round(i.score or 0, 3) for i in ranked} == {
        "best": 1.35,
        "near-best": 0.95,
        "other-best": 0.9,
        "lonely": 0.75,
    }
    # an id of no known conversation is its own; weight 0 changes nothing
    assert [i.id for i in boost_by_conversation(items, {}, weight=0.5)] == [
        "best",
        "other-best",
        "lonely",
        "near-best",
    ]
    assert boost_by_conversation(items, conversation_of, weight=0.0) == items


class StubMemory:
    """The MemoryService calls a Recaller makes, with fixed answers, counting the listings."""

    explains = True  # the found items carry their cosine (`semantic_score`), as embedded Mem0's

    def __init__(self, found: list[MemoryItem], saved: list[MemoryItem]) -> None:
        self.found = found
        self.saved = saved
        self.listings = 0

    async def search(self, user_id: str, query: str, **kwargs: Any) -> list[MemoryItem]:
        return list(self.found)

    async def keyword_scores(self, user_id: str, query: str, *, limit: int) -> Mapping[str, float]:
        return {}

    async def list_memories(self, user_id: str, **kwargs: Any) -> list[MemoryItem]:
        self.listings += 1
        return list(reversed(self.saved))  # newest first, as MemoryService.list


async def test_recall_ranks_by_conversation_and_lists_the_memories_once() -> None:
    """Recaller: the conversation of the best match wins the second place, each hit brings its
    follower, and the whole recall lists the user's memories once (for the boost and context)."""
    saved = [
        said("injury", "2025-03-03T09:00:00"),
        said("physio", "2025-03-03T09:01:00"),
        said("physio-reply", "2025-03-03T09:02:00"),
        said("shoes", "2025-03-20T18:00:00"),
    ]
    found = [
        MemoryItem("injury", "injury", semantic_score=0.8, metadata=saved[0].metadata),
        MemoryItem("shoes", "shoes", semantic_score=0.45, metadata=saved[3].metadata),
        MemoryItem("physio", "physio", semantic_score=0.4, metadata=saved[1].metadata),
    ]
    stub = StubMemory(found, saved)
    recaller = Recaller(stub, top_k=2, min_score=0.0)  # type: ignore[arg-type]
    shown = await recaller.recall("u1", "how is my knee injury doing")
    assert [i.id for i in shown] == ["injury", "physio", "physio-reply"]
    assert stub.listings == 1
    off = Recaller(stub, top_k=2, min_score=0.0, conversation_weight=0.0)  # type: ignore[arg-type]
    assert [i.id for i in await off.recall("u1", "how is my knee injury doing")] == [
        "injury",
        "physio",
        "shoes",
    ]


def test_saved_order_sorts_by_creation_not_update() -> None:
    """An updated memory keeps the place where it was first saved."""
    old = MemoryItem("old", "o", created_at="2025-01-01T00:00:00", updated_at="2025-06-01T00:00:00")
    new = MemoryItem("new", "n", created_at="2025-02-01T00:00:00")
    assert [i.id for i in saved_order([new, old])] == ["old", "new"]


def test_dated_text_writes_the_day_once_and_undated_text_removes_it() -> None:
    """The stored text starts with the day it was said; re-dating replaces it; bad dates add none."""
    text = dated_text("Runs 5 km", "2025-03-03T09:00:00+00:00")
    assert text == "[3 March 2025] Runs 5 km"
    assert dated_text(text, "2025-04-10") == "[10 April 2025] Runs 5 km"
    assert undated_text(text) == "Runs 5 km"
    assert dated_text("Runs 5 km", "not a date") == "Runs 5 km"
    assert dated_text("Runs 5 km", None) == "Runs 5 km"
    assert undated_text("[note] keep brackets") == "[note] keep brackets"


async def remember(pipe: Pipeline, text: str, at: str) -> None:
    await pipe.memory.add("u1", [{"role": "user", "content": text}], metadata={"saved_at": at}, infer=False)


async def test_memories_are_stored_dated_and_read_back_clean(pipeline: Pipeline) -> None:
    """The store's text (embedded and indexed) carries the day; every reader sees the plain fact."""
    await remember(pipeline, "Has a sore left knee", "2025-03-03T09:00:00+00:00")
    store = pipeline.memory._client.vector_store
    rows = store.list(filters={"user_id": "u1"}, top_k=10)[0]
    assert [r.payload["data"] for r in rows] == ["[3 March 2025] Has a sore left knee"]
    assert await pipeline.texts("u1") == {"Has a sore left knee"}
    found = await pipeline.memory.search("u1", "sore knee", limit=5, explain=True)
    assert [i.text for i in found] == ["Has a sore left knee"]
    assert found[0].semantic_score is not None


async def test_recall_ranks_by_fusion_and_adds_the_next_memory(pipeline: Pipeline) -> None:
    """Through the real Mem0 search and keyword index: the hit comes first, followed by what was
    said right after it; an unrelated memory from another day is not shown as context."""
    await remember(pipeline, "Asked about stretching after marathon training", "2025-03-03T09:00:00+00:00")
    await remember(pipeline, "Prefers yoga on rest days", "2025-03-03T09:00:20+00:00")
    await remember(pipeline, "Owns a blue bicycle", "2025-03-10T09:00:00+00:00")
    recaller = Recaller(pipeline.memory, top_k=1, min_score=0.0)
    shown = await recaller.recall("u1", "marathon training stretching plan")
    assert [i.text for i in shown] == [
        "Asked about stretching after marathon training",
        "Prefers yoga on rest days",
    ]
    plain = Recaller(pipeline.memory, top_k=1, min_score=0.0, context_after=0, keyword_weight=0.0)
    assert [i.text for i in await plain.recall("u1", "marathon training stretching plan")] == [
        "Asked about stretching after marathon training"
    ]
