"""Our SQLite store plugged into a real Mem0 2.2.1 `Memory`: fails loudly if a Mem0 upgrade breaks it.

Embeddings come from the fake Gemini server (hashed bags of words), so nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.memory import build_memory, mem0_config, prepare_environment, register_sqlite_vector_store
from bot.memory.sqlite_vectors import SQLiteVectorConfig, SQLiteVectorStore
from tests.fakes.gemini_api import FakeGemini
from tests.support.settings import make_settings

DIMS = 256


@pytest.fixture
def settings(tmp_path: Path, fake_gemini: FakeGemini, monkeypatch: pytest.MonkeyPatch) -> Settings:
    # Set through monkeypatch first so prepare_environment's writes are undone after the test.
    monkeypatch.setenv("MEM0_TELEMETRY", "false")
    monkeypatch.setenv("MEM0_DIR", str(tmp_path / "data" / "mem0"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake_gemini.base_url)
    s = make_settings(
        tmp_path / "data",
        gemini=fake_gemini,
        TELEGRAM_BOT_TOKEN="x",
        VECTOR_STORE="sqlite",
        EMBEDDING_DIMS=DIMS,
    )
    prepare_environment(s)
    return s


@pytest.fixture
def memory(settings: Settings) -> Iterator[Any]:
    from mem0 import Memory

    register_sqlite_vector_store()
    m = Memory.from_config(mem0_config(settings))
    yield m
    m.close()
    m.vector_store.close()
    if m._entity_store is not None:
        m._entity_store.close()


def say(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_registration_reaches_mem0_internals(settings: Settings) -> None:
    """The provider name maps to our class and config class in Mem0's factory and config model."""
    from mem0.utils.factory import VectorStoreFactory
    from mem0.vector_stores.configs import VectorStoreConfig

    register_sqlite_vector_store()
    register_sqlite_vector_store()  # idempotent
    assert VectorStoreFactory.provider_to_class["sqlite"] == "bot.memory.sqlite_vectors.SQLiteVectorStore"
    config = VectorStoreConfig(**mem0_config(settings)["vector_store"])
    assert isinstance(config.config, SQLiteVectorConfig)
    assert config.config.path == str(settings.data_dir.resolve() / "memories.sqlite3")
    assert config.config.embedding_model_dims == DIMS
    store = VectorStoreFactory.create("sqlite", config.config)
    try:
        assert isinstance(store, SQLiteVectorStore)
    finally:
        store.close()


def test_mem0_uses_our_store_and_round_trips(memory: Any, settings: Settings) -> None:
    """add(infer=False), search, get_all, get, delete and delete_all work through Mem0 on our store."""
    assert isinstance(memory.vector_store, SQLiteVectorStore)
    assert (settings.data_dir / "memories.sqlite3").exists()

    added = memory.add(say("I run marathons in Berlin"), user_id="alice", infer=False, metadata={"day": 1})
    memory.add(say("Green tea every morning"), user_id="alice", infer=False, metadata={"day": 2})
    memory.add(say("I run marathons too"), user_id="bob", infer=False)
    memory_id = added["results"][0]["id"] if isinstance(added, dict) else added[0]["id"]

    hits = memory.search("marathons in Berlin", filters={"user_id": "alice"}, top_k=5)["results"]
    assert hits[0]["id"] == memory_id
    assert hits[0]["memory"] == "I run marathons in Berlin"
    assert all(h["user_id"] == "alice" for h in hits)
    assert 0 < hits[0]["score"] <= 1

    filtered = memory.search("tea marathons", filters={"user_id": "alice", "day": {"gte": 2}}, top_k=5)[
        "results"
    ]
    assert [h["memory"] for h in filtered] == ["Green tea every morning"]

    listed = memory.get_all(filters={"user_id": "alice"}, top_k=100)["results"]
    assert sorted(m["memory"] for m in listed) == ["Green tea every morning", "I run marathons in Berlin"]

    got = memory.get(memory_id)
    assert got["user_id"] == "alice"
    assert got["metadata"]["day"] == 1

    memory.delete(memory_id)
    assert memory.get(memory_id) is None

    memory.delete_all(user_id="alice")
    assert memory.get_all(filters={"user_id": "alice"}, top_k=100)["results"] == []
    assert len(memory.get_all(filters={"user_id": "bob"}, top_k=100)["results"]) == 1


def test_keyword_search_is_active_in_mem0(memory: Any) -> None:
    """Mem0 sees our keyword_search (no 'does not support keyword search' fallback) and uses it."""
    from mem0.vector_stores.base import VectorStoreBase

    assert type(memory.vector_store).keyword_search is not VectorStoreBase.keyword_search
    memory.add(say("My dog Rex loves the beach"), user_id="u", infer=False)
    hits = memory.search("Rex", filters={"user_id": "u"}, top_k=3, threshold=0.0, explain=True)["results"]
    assert hits
    assert hits[0]["score_details"]["bm25_score"] > 0


def test_entity_collection_opens_in_the_same_file(memory: Any, settings: Settings) -> None:
    """Mem0's lazily opened `<name>_entities` store is ours, in the same SQLite file."""
    entities = memory.entity_store
    assert isinstance(entities, SQLiteVectorStore)
    assert entities.collection_name == "memories_entities"
    assert entities.path == memory.vector_store.path
    assert sorted(memory.vector_store.list_cols()) == ["memories", "memories_entities"]


def test_threads_through_mem0_keep_the_store_consistent(memory: Any, settings: Settings) -> None:
    """Several threads adding and searching through one Mem0 Memory: no error, every memory on disk."""
    from mem0 import Memory

    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(8):
                memory.add(say(f"fact {i} from chat {t}"), user_id=f"chat{t}", infer=False)
                memory.search(f"fact {i}", filters={"user_id": f"chat{t}"}, top_k=3)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert memory.vector_store.count() == 48

    memory.vector_store.close()
    reopened = Memory.from_config(mem0_config(settings))
    try:
        for t in range(6):
            rows = reopened.get_all(filters={"user_id": f"chat{t}"}, top_k=100)["results"]
            assert sorted(r["memory"] for r in rows) == sorted(f"fact {i} from chat {t}" for i in range(8))
    finally:
        reopened.close()
        reopened.vector_store.close()


async def test_memory_service_on_sqlite(settings: Settings) -> None:
    """Our async MemoryService built by build_memory works on the SQLite store, closes cleanly."""
    service = build_memory(settings)
    try:
        assert service.backend == "mem0-oss/sqlite"
        await asyncio.gather(
            *(service.add(f"u{i % 3}", say(f"note number {i}"), infer=False) for i in range(12))
        )
        items = await service.list_memories("u1")
        assert len(items) == 4
        found = await service.search("u1", "note number 4", limit=2)
        assert found[0].text == "note number 4"
        assert await service.get("u2", found[0].id) is None
        await service.delete_all("u1")
        assert await service.list_memories("u1") == []
        assert len(await service.list_memories("u0")) == 4
    finally:
        await service.close()
