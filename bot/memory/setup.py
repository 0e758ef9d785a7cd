"""Building the memory backend the settings ask for: Mem0 OSS under DATA_DIR (our SQLite vector
store by default, Qdrant local, or PostgreSQL + pgvector named by VECTOR_STORE_URL), or the Mem0
Platform.
"""

from __future__ import annotations

import asyncio
import os
import sys
import types
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.memory import pgvector
from bot.memory.embedded import EmbeddedMemory
from bot.memory.kept_reads import KeptReads
from bot.memory.memory_service import PLATFORM_BACKEND, MemoryService
from bot.memory.platform import PlatformMemory
from bot.memory.prefetch import PrefetchingEmbedder

# Threads for reads beside the one that applies changes: the Platform's (HTTP calls), and on our
# SQLite store the rare read that needs an embedding not computed ahead (the others run on the loop).
READER_THREADS = 4
# Threads computing embeddings ahead of Mem0's calls (network waits, not CPU): as many as memory
# writes and recalls run at once, so none queues behind another's embedding.
EMBEDDING_THREADS = 48
# An embedding computed on the event loop (bot.llm.GeminiEmbedder.embed).
AsyncEmbed = Callable[[str], Awaitable[Sequence[float]]]
# Calls to the hosted Mem0 Platform in flight at once (HTTP requests; the Platform orders changes).
PLATFORM_THREADS = 16


def prepare_environment(settings: Settings) -> None:
    """Set what mem0 and google-genai read from the environment; must run before mem0 is imported.

    mem0 writes `MEM0_DIR/config.json` at import and starts telemetry unless told not to.
    google-genai reads GOOGLE_GEMINI_BASE_URL for every client built without explicit options,
    Mem0's Gemini clients included, so a value from `.env` is exported here.
    """
    os.environ["MEM0_TELEMETRY"] = "false"
    os.environ["MEM0_DIR"] = str((settings.data_dir / "mem0").resolve())
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if settings.google_gemini_base_url:
        os.environ["GOOGLE_GEMINI_BASE_URL"] = settings.google_gemini_base_url
    Path(os.environ["MEM0_DIR"]).mkdir(parents=True, exist_ok=True)


def mem0_config(settings: Settings, *, embedder: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The Mem0 OSS configuration: every path under DATA_DIR, Gemini with our key.

    `embedder` replaces the Gemini embedder (benchmarks use a local model offline).
    """
    data_dir = settings.data_dir.resolve()
    api_key = settings.google_api_key.get_secret_value()
    if settings.vector_store_url is not None:
        url = settings.vector_store_url.get_secret_value()
        vector_store = server_vector_store(url, settings.embedding_dims)
    elif settings.vector_store == "sqlite":
        vector_store = {
            "provider": SQLITE_PROVIDER,
            "config": {
                "collection_name": "memories",
                "path": str(data_dir / "memories.sqlite3"),
                "embedding_model_dims": settings.embedding_dims,
            },
        }
    else:
        vector_store = {
            "provider": "qdrant",
            "config": {
                "collection_name": "memories",
                "path": str(data_dir / "qdrant"),
                "embedding_model_dims": settings.embedding_dims,
                "on_disk": True,
            },
        }
    return {
        "vector_store": vector_store,
        "llm": {
            "provider": "gemini",
            "config": {"model": settings.memory_model, "api_key": api_key, "temperature": 0.0},
        },
        "embedder": dict(embedder)
        if embedder is not None
        else {
            "provider": "gemini",
            "config": {
                "model": f"models/{settings.embedding_model.removeprefix('models/')}",
                "api_key": api_key,
                "embedding_dims": settings.embedding_dims,
            },
        },
        "history_db_path": str(data_dir / "mem0" / "history.db"),
    }


def server_vector_store(url: str, dims: int) -> dict[str, Any]:
    """Mem0's config for the server vector store named by VECTOR_STORE_URL (postgresql://…: pgvector,
    which needs the `pgvector` extra, psycopg). Indexed for per-user queries by `pgvector.prepare`."""
    return pgvector.store_config(url, dims)


def build_memory(
    settings: Settings, *, embedder: Mapping[str, Any] | None = None, embed: AsyncEmbed | None = None
) -> MemoryService:
    """Create the memory backend the settings ask for (blocking: call before the event loop is busy).

    `embed`: the Gemini embedding on the event loop (bot.llm.GeminiEmbedder.embed), used instead of
    Mem0's own embedder's thread pool unless `embedder` replaces the Gemini embedder."""
    prepare_environment(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.mem0_api_key is not None:
        return _build_platform(settings)
    return _build_embedded(settings, embedder=embedder, embed=None if embedder is not None else embed)


async def open_memory(
    settings: Settings, *, embedder: Mapping[str, Any] | None = None, embed: AsyncEmbed | None = None
) -> MemoryService:
    """`build_memory` off the event loop (importing mem0 and opening the store take a while)."""
    return await asyncio.to_thread(build_memory, settings, embedder=embedder, embed=embed)


def _build_embedded(
    settings: Settings, *, embedder: Mapping[str, Any] | None = None, embed: AsyncEmbed | None = None
) -> MemoryService:
    config = mem0_config(settings, embedder=embedder)
    (settings.data_dir / "mem0").mkdir(parents=True, exist_ok=True)

    def factory() -> tuple[Any, list[Callable[[], None]]]:
        if config["vector_store"]["provider"] == pgvector.PROVIDER:
            pgvector.probe(config["vector_store"]["config"]["connection_string"])
        from mem0 import Memory

        if config["vector_store"]["provider"] == SQLITE_PROVIDER:
            register_sqlite_vector_store()
        client = Memory.from_config(config)
        if config["vector_store"]["provider"] == pgvector.PROVIDER:
            pgvector.prepare(client.vector_store)
        # Embeddings are computed ahead, off the change thread (bot/memory/prefetch.py).
        client.embedding_model = PrefetchingEmbedder(client.embedding_model)
        # Deleted history rows are overwritten, not just unlinked (erasure must be real).
        client.db.connection.execute("PRAGMA secure_delete = ON")
        return client, _closers(client)

    store = config["vector_store"]["provider"] if settings.vector_store_url else settings.vector_store
    # Reads beside writes only on our SQLite store (each reading thread has its own connection).
    own_file = config["vector_store"]["provider"] == SQLITE_PROVIDER
    readers = READER_THREADS if own_file else 0
    return EmbeddedMemory(
        factory,
        backend=f"mem0-oss/{store}",
        readers=readers,
        embedders=EMBEDDING_THREADS,
        embed=embed,
        # Reads are kept only where this process makes every change (one bot owns the file).
        kept=KeptReads() if own_file else None,
        # Our store's reads are local and never wait for a write: they run on the event loop.
        inline_reads=own_file,
    )


def _build_platform(settings: Settings) -> MemoryService:
    assert settings.mem0_api_key is not None
    api_key = settings.mem0_api_key.get_secret_value()

    def factory() -> tuple[Any, list[Callable[[], None]]]:
        import httpx
        from mem0 import MemoryClient

        http = httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0))
        client = MemoryClient(api_key=api_key, host=settings.mem0_host, client=http)
        return client, [http.close]

    # The Platform keeps its own order: many users' calls may be in flight at once.
    return PlatformMemory(
        factory, backend=PLATFORM_BACKEND, readers=READER_THREADS, change_threads=PLATFORM_THREADS
    )


def _closers(client: Any) -> list[Callable[[], None]]:
    """Mem0's `close()` leaves the Qdrant client (and its folder lock) open: close the stores too."""
    closers: list[Callable[[], None]] = []
    vector_store = getattr(client, "vector_store", None)
    if pgvector.is_pgvector(vector_store):
        closers.append(lambda: pgvector.close(vector_store))
    for store in (getattr(client, "vector_store", None), getattr(client, "_entity_store", None)):
        inner = getattr(store, "client", None)
        if inner is not None and callable(getattr(inner, "close", None)):
            closers.append(inner.close)
        elif store is not None and callable(getattr(store, "close", None)):
            closers.append(store.close)
    if callable(getattr(client, "close", None)):
        closers.append(client.close)
    return closers


# --- our SQLite vector store, plugged into Mem0 ---------------------------------------------------

SQLITE_PROVIDER = "sqlite"


def register_sqlite_vector_store() -> None:
    """Make `{"provider": "sqlite"}` a Mem0 vector store backed by `bot.memory.sqlite_vectors`.

    Mem0 2.2.1 has no public plug-in hook for vector stores. Three things must agree:
    - `VectorStoreFactory.provider_to_class` maps the provider name to the class path;
    - `VectorStoreConfig._provider_configs` (a pydantic private attribute, so its *default* is what
      each new config copies) names the config class;
    - that config class is imported from `mem0.configs.vector_stores.<provider>`, so we provide that
      module in `sys.modules`.
    tests/memory/test_mem0_registration.py fails loudly if a Mem0 upgrade changes any of this.
    """
    from mem0.utils.factory import VectorStoreFactory
    from mem0.vector_stores.configs import VectorStoreConfig

    from bot.memory import sqlite_vectors

    VectorStoreFactory.provider_to_class[SQLITE_PROVIDER] = "bot.memory.sqlite_vectors.SQLiteVectorStore"
    private = VectorStoreConfig.__private_attributes__["_provider_configs"]
    private.default[SQLITE_PROVIDER] = "SQLiteVectorConfig"
    module_name = f"mem0.configs.vector_stores.{SQLITE_PROVIDER}"
    if module_name not in sys.modules:
        module = types.ModuleType(module_name)
        module.SQLiteVectorConfig = sqlite_vectors.SQLiteVectorConfig  # type: ignore[attr-defined]
        sys.modules[module_name] = module
