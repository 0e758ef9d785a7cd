"""Long-term memory: the only module that imports mem0.

One async interface (`MemoryService`) over two backends:
- embedded Mem0 OSS (default): every file under DATA_DIR, telemetry off, Gemini for extraction and
  embeddings, our SQLite vector store (or Qdrant local);
- the hosted Mem0 Platform when MEM0_API_KEY is set.

Mem0's calls are synchronous and its embedded stores are not safe to call from several threads at
once (see shared/LIBRARY-NOTES.md), so every call runs on one dedicated worker thread, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sqlite3
import sys
import types
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from bot.config import Settings

logger = logging.getLogger(__name__)

T = TypeVar("T")

Message = Mapping[str, str]

PLATFORM_BACKEND = "mem0-platform"
# Threads for searches and listings beside the one that applies changes (embedded SQLite store).
READER_THREADS = 4


@dataclass(frozen=True, slots=True)
class MemoryItem:
    """One remembered fact, as the rest of the bot sees it."""

    id: str
    text: str
    user_id: str | None = None
    categories: tuple[str, ...] = ()
    created_at: str | None = None
    updated_at: str | None = None
    score: float | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    # The vector leg's cosine similarity alone (searches with `explain=True`), for our own ranking.
    semantic_score: float | None = None


class MemoryUnavailable(Exception):
    """The memory backend failed; the caller degrades (answers without memories, retries later)."""


class MemoryService:
    """Async facade over a sync Mem0 client: changes in order on one worker thread; with `readers`,
    reads (search, listings, get) on that many threads of their own, beside the changes."""

    def __init__(
        self,
        factory: Callable[[], tuple[Any, Sequence[Callable[[], None]]]],
        *,
        backend: str,
        readers: int = 0,
    ) -> None:
        """Build the client with `factory` on the worker thread that will make every change.

        Embedded Qdrant's sqlite connection may only be used by the thread that created it, so it
        gets no readers (`readers=0`: every call on the one thread). Our SQLite store locks its
        connection around each statement, so a read's embedding call and query may run while a
        write is in flight (a recall then never queues behind earlier messages' memory writes).
        `factory` returns the client and the functions that release it.
        """
        self.backend = backend
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mem0")
        try:
            self._client, closers = self._executor.submit(factory).result()
        except BaseException:
            self._executor.shutdown(wait=False)
            raise
        self._closers = list(closers)
        self._readers: ThreadPoolExecutor | None = None
        self._reads: frozenset[Callable[..., Any]] = frozenset()
        # Our SQLite store answers "does this user have any memory?" with one indexed lookup.
        self._has_any: Callable[[Mapping[str, Any]], bool] | None = getattr(
            getattr(self._client, "vector_store", None), "has_any", None
        )
        if readers > 0:
            self._readers = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="mem0-read")
            client = self._client
            store = getattr(client, "vector_store", None)
            self._reads = frozenset(
                f
                for f in (client.search, client.get_all, client.get, getattr(store, "keyword_search", None))
                if callable(f)
            )

    async def _run(self, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`func(*args, **kwargs)` on the writer thread, or on a reader if it is a known read."""
        return await self._call(func in self._reads, lambda: func(*args, **kwargs))

    async def _call(self, read: bool, func: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        executor = self._readers if read and self._readers is not None else self._executor
        try:
            return await loop.run_in_executor(executor, func)
        except MemoryUnavailable:
            raise
        except Exception as exc:
            raise MemoryUnavailable(f"{type(exc).__name__} in memory backend {self.backend}") from exc

    async def add(
        self,
        user_id: str,
        messages: Sequence[Message],
        *,
        metadata: Mapping[str, Any] | None = None,
        infer: bool = True,
        expiration_date: str | None = None,
    ) -> list[MemoryItem]:
        """Store what is worth remembering from `messages` (infer) or the messages as given.

        `expiration_date` (YYYY-MM-DD) makes Mem0 hide the memory from that day; the expiry job
        deletes it for real. With `infer=False` and a `saved_at` in `metadata`, the stored text
        starts with that day (see `dated_text`).
        """
        said = (metadata or {}).get("saved_at")
        payload = [
            {**m, "content": dated_text(m["content"], said)} if not infer and "content" in m else dict(m)
            for m in messages
        ]
        kwargs: dict[str, Any] = {"user_id": user_id, "metadata": dict(metadata or {}), "infer": infer}
        if expiration_date is not None:
            kwargs["expiration_date"] = expiration_date
        result = await self._run(self._client.add, payload, **kwargs)
        return [_to_item(row, user_id) for row in _results(result) if row.get("event", "ADD") != "NONE"]

    async def update(
        self,
        user_id: str,
        memory_id: str,
        text: str,
        *,
        metadata: Mapping[str, Any] | None = None,
        expiration_date: str | None = None,
    ) -> bool:
        """Replace the text (and merge `metadata` into) one of the user's memories.

        Mem0 keeps the change in the memory's history (UPDATE, old text → new text). Returns False
        when the id is not this user's. A `saved_at` in `metadata` dates the text as in `add`.
        """
        if await self.get(user_id, memory_id) is None:
            return False
        text = dated_text(text, (metadata or {}).get("saved_at"))
        kwargs: dict[str, Any] = {"text": text, "metadata": dict(metadata or {})}
        if self.backend != PLATFORM_BACKEND:
            # None clears an old expiry: a superseding fact is as durable as the model says.
            kwargs["expiration_date"] = expiration_date
        await self._run(self._client.update, memory_id, **kwargs)
        return True

    async def history(self, user_id: str, memory_id: str) -> list[dict[str, Any]]:
        """Mem0's change log of one of the user's memories (ADD / UPDATE / DELETE), oldest first."""
        if self.backend == PLATFORM_BACKEND:
            if await self.get(user_id, memory_id) is None:
                return []
        elif not await self._run(self._owned_or_gone, user_id, memory_id):
            return []
        rows = await self._run(self._client.history, memory_id)
        return [_undated_history(row) for row in rows or [] if isinstance(row, Mapping)]

    def _owned_or_gone(self, user_id: str, memory_id: str) -> bool:
        row = self._client.get(memory_id)
        return row is None or _to_item(row, None).user_id == user_id

    async def erase(self, user_id: str, memory_ids: Sequence[str]) -> int:
        """Delete these memories of the user for real: the vector, every history row, free pages.

        Ids that are not the user's are skipped; ids already gone only have their history scrubbed.
        Returns how many memories were deleted.
        """
        return await self._run(self._erase, user_id, list(memory_ids), False)

    async def erase_user(self, user_id: str, known_ids: Sequence[str] = ()) -> int:
        """Erase everything held about `user_id`: memories, their history (also of `known_ids`,
        memories deleted earlier), Mem0's saved messages, entities; then scrub free pages and WAL."""
        return await self._run(self._erase, user_id, list(known_ids), True)

    def _erase(self, user_id: str, memory_ids: list[str], whole_user: bool) -> int:
        if self.backend == PLATFORM_BACKEND:
            # The hosted Platform erases on its side; it keeps no files here.
            if whole_user:
                self._client.delete_all(user_id=user_id)
                return 0
            deleted = 0
            for memory_id in memory_ids:
                row = self._client.get(memory_id)
                if row and _to_item(row, None).user_id == user_id:
                    self._client.delete(memory_id)
                    deleted += 1
            return deleted
        client = self._client
        ids = list(dict.fromkeys(memory_ids))
        if whole_user:
            current = _results(client.get_all(filters={"user_id": user_id}, top_k=100_000, show_expired=True))
            ids += [str(row["id"]) for row in current if row.get("id") and str(row["id"]) not in ids]
        deleted = 0
        scrub: list[str] = []
        for memory_id in ids:
            record = client.vector_store.get(vector_id=memory_id)
            if record is None:
                scrub.append(memory_id)  # gone already: only its history is left
                continue
            owner = (record.payload or {}).get("user_id")
            if owner != user_id:
                continue  # not this user's: never touch it
            client.delete(memory_id)
            scrub.append(memory_id)
            deleted += 1
        _scrub_history(client, user_id, scrub, whole_user=whole_user)
        if whole_user:
            _erase_entities(client, user_id)
        _compact_vector_store(client)
        return deleted

    async def search(
        self,
        user_id: str,
        query: str,
        *,
        limit: int,
        threshold: float | None = None,
        filters: Mapping[str, Any] | None = None,
        explain: bool = False,
    ) -> list[MemoryItem]:
        """The user's memories most relevant to `query`, best first, at most `limit`.

        Mem0 ranks the vector leg's top max(4 × limit, 60) by cosine + its squashed keyword score.
        `explain` fills `MemoryItem.semantic_score` (embedded Mem0 only) for our own re-ranking.
        """
        query = query.strip()
        if not query:
            return []
        all_filters = {**dict(filters or {}), "user_id": user_id}
        kwargs: dict[str, Any] = {"filters": all_filters, "top_k": limit}
        if threshold is not None:
            kwargs["threshold"] = threshold
        if explain and self.backend != PLATFORM_BACKEND:
            kwargs["explain"] = True
        has_any, search = self._has_any, self._client.search

        def run() -> Any:
            # A user without memories (most new users' first messages) costs no embedding call.
            if has_any is not None and not has_any(all_filters):
                return {"results": []}
            return search(query, **kwargs)

        result = await self._call(search in self._reads, run)
        items = [_to_item(row, user_id) for row in _results(result)]
        return [item for item in items if item.user_id in (None, user_id)][:limit]

    async def keyword_scores(self, user_id: str, query: str, *, limit: int) -> dict[str, float]:
        """Raw BM25 scores (higher is better) of the user's memories matching `query`'s words.

        Empty when the store has no keyword search (Qdrant without fastembed, the Platform).
        """
        if self.backend == PLATFORM_BACKEND or not query.strip():
            return {}
        store = getattr(self._client, "vector_store", None)
        search = getattr(store, "keyword_search", None)
        if not callable(search):
            return {}
        rows = await self._run(search, query=query, top_k=limit, filters={"user_id": user_id})
        scores: dict[str, float] = {}
        for row in rows or []:
            score = getattr(row, "score", None)
            if isinstance(score, int | float) and score > 0:
                scores[str(row.id)] = float(score)
        return scores

    async def list(
        self,
        user_id: str,
        *,
        limit: int = 500,
        filters: Mapping[str, Any] | None = None,
        include_expired: bool = False,
    ) -> list[MemoryItem]:
        """All of the user's memories (up to `limit`), newest first."""
        # The Platform pages its listings; Mem0 OSS takes top_k (default 20, so always pass it).
        kwargs: dict[str, Any] = (
            {"page_size": limit} if self.backend == PLATFORM_BACKEND else {"top_k": limit}
        )
        if include_expired and self.backend != PLATFORM_BACKEND:
            kwargs["show_expired"] = True
        all_filters = {**dict(filters or {}), "user_id": user_id}
        result = await self._run(self._client.get_all, filters=all_filters, **kwargs)
        items = [_to_item(row, user_id) for row in _results(result)]
        items = [item for item in items if item.user_id in (None, user_id)]
        items.sort(key=lambda item: item.updated_at or item.created_at or "", reverse=True)
        return items

    async def get(self, user_id: str, memory_id: str) -> MemoryItem | None:
        """The memory with this id if it belongs to `user_id`, else None (ids are not user-scoped)."""
        try:
            row = await self._run(self._client.get, memory_id)
        except MemoryUnavailable:
            logger.warning("memory get failed for id %s", memory_id, exc_info=True)
            return None
        if not row:
            return None
        item = _to_item(row, None)
        return item if item.user_id == user_id else None

    async def delete(self, user_id: str, memory_id: str) -> bool:
        """Delete one memory, only if it belongs to `user_id`."""
        if await self.get(user_id, memory_id) is None:
            return False
        await self._run(self._client.delete, memory_id)
        return True

    async def delete_all(self, user_id: str) -> None:
        """Erase every memory of `user_id`."""
        await self._run(self._client.delete_all, user_id=user_id)

    async def close(self) -> None:
        """Release the store (folder locks, connections) and stop the worker thread."""

        def _close() -> None:
            for closer in self._closers:
                try:
                    closer()
                except Exception:
                    logger.warning("closing the memory backend failed", exc_info=True)

        if self._readers is not None:
            await asyncio.to_thread(self._readers.shutdown, True)  # reads in flight finish first
        await asyncio.get_running_loop().run_in_executor(self._executor, _close)
        self._executor.shutdown(wait=True)


# --- erasure helpers (run on the worker thread) ---------------------------------------------------


def _scrub_history(client: Any, user_id: str, memory_ids: Sequence[str], *, whole_user: bool) -> None:
    """Remove the text Mem0 keeps after a delete: `history` rows of these memories and, for a whole
    user, the `messages` rows of their session scope ("user_id=<id>").

    The history connection runs with secure_delete on (see `_build_embedded`), so the rows are
    overwritten with zeros, not just unlinked.
    """
    db = getattr(client, "db", None)
    connection = getattr(db, "connection", None)
    if connection is None:
        return
    lock = getattr(db, "_lock", None) or contextlib.nullcontext()
    with lock:
        connection.execute("PRAGMA secure_delete = ON")
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.executemany("DELETE FROM history WHERE memory_id = ?", [(i,) for i in memory_ids])
            if whole_user:
                connection.execute(
                    "DELETE FROM messages WHERE session_scope = ? OR session_scope LIKE ?",
                    (f"user_id={user_id}", f"%user_id={user_id}&%"),
                )
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")


def _erase_entities(client: Any, user_id: str) -> None:
    """Mem0's entity collection (used only when spaCy is installed) holds entity texts per user."""
    store = getattr(client, "_entity_store", None)
    if store is None:
        return
    listed = store.list(filters={"user_id": user_id}, top_k=100_000)
    rows = listed[0] if listed and isinstance(listed[0], list) else listed
    for row in rows or []:
        store.delete(vector_id=row.id)


def _compact_vector_store(client: Any) -> None:
    """Leave no erased text in free pages, full-text segments or the WAL of the vector store."""
    for store in (getattr(client, "vector_store", None), getattr(client, "_entity_store", None)):
        scrub = getattr(store, "scrub_deleted", None)
        if callable(scrub):
            scrub()
            continue
        path = _qdrant_path(store)
        if path is not None:
            # Embedded Qdrant pickles points into plain SQLite files without secure_delete; a
            # VACUUM rewrites them without the deleted rows. Mem0 calls are serialised on this
            # thread, so Qdrant holds no open transaction now.
            for file in sorted(path.rglob("storage.sqlite")):
                with contextlib.closing(sqlite3.connect(file, isolation_level=None)) as conn:
                    conn.execute("VACUUM")


def _qdrant_path(store: Any) -> Path | None:
    inner = getattr(getattr(store, "client", None), "_client", None)
    location = getattr(inner, "location", None)
    return Path(location) if isinstance(location, str) and Path(location).is_dir() else None


def _results(result: Any) -> list[dict[str, Any]]:
    if isinstance(result, dict):
        rows = result.get("results", [])
    elif isinstance(result, list):
        rows = result
    else:
        rows = []
    return [row for row in rows if isinstance(row, dict)]


# The day a fact was said, written before its text in the store: the embedding and the keyword index
# then carry it (LoCoMo: +0.04 evidence recall@10, temporal questions most; see BENCHMARKS.md).
# MemoryItem.text never shows it; the prompt shows the date from the metadata.
_DATE_PREFIX = re.compile(r"^\[\d{1,2} [A-Z][a-z]+ \d{4}\] ")


def dated_text(text: str, saved_at: Any) -> str:
    """`text` as stored: "[8 May 2023] text" when `saved_at` is an ISO date or datetime."""
    try:
        day = datetime.fromisoformat(str(saved_at)).date() if saved_at else None
    except ValueError:
        day = None
    text = _DATE_PREFIX.sub("", text)
    return f"[{day.day} {day:%B %Y}] {text}" if day else text


def undated_text(text: str) -> str:
    """The stored text without the day `dated_text` put before it."""
    return _DATE_PREFIX.sub("", text)


def _undated_history(row: Mapping[str, Any]) -> dict[str, Any]:
    """A history row with its old and new texts as readers see them (without the stored day)."""
    out = dict(row)
    for key in ("old_memory", "new_memory"):
        if isinstance(out.get(key), str):
            out[key] = undated_text(out[key])
    return out


def _to_item(row: Mapping[str, Any], default_user: str | None) -> MemoryItem:
    metadata = dict(row.get("metadata") or {})
    categories = row.get("categories") or metadata.get("categories") or ()
    if isinstance(categories, str):
        categories = (categories,)
    details = row.get("score_details")
    semantic = details.get("semantic_score") if isinstance(details, Mapping) else None
    return MemoryItem(
        id=str(row.get("id", "")),
        text=undated_text(str(row.get("memory") or row.get("data") or "")),
        user_id=row.get("user_id") or default_user,
        categories=tuple(str(c) for c in categories),
        created_at=row.get("created_at"),
        updated_at=row.get("updated_at"),
        score=row.get("score"),
        metadata=metadata,
        semantic_score=float(semantic) if isinstance(semantic, int | float) else None,
    )


# --- construction -------------------------------------------------------------------------------


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
    """Mem0's config for a server vector store named by one URL (the scale path past one machine).

    postgresql://user:pass@host:5432/db → pgvector (needs the `pgvector` extra: psycopg);
    http(s)://[api_key@]host:6333 → a Qdrant server.
    """
    parts = urlsplit(url)
    if parts.scheme in {"postgresql", "postgres"}:
        return {
            "provider": "pgvector",
            "config": {"collection_name": "memories", "embedding_model_dims": dims, "connection_string": url},
        }
    config: dict[str, Any] = {
        "collection_name": "memories",
        "embedding_model_dims": dims,
        "host": parts.hostname,
        "port": parts.port or 6333,
        "https": parts.scheme == "https",
    }
    if parts.username:
        config["api_key"] = unquote(parts.username)
    return {"provider": "qdrant", "config": config}


def build_memory(settings: Settings, *, embedder: Mapping[str, Any] | None = None) -> MemoryService:
    """Create the memory backend the settings ask for (blocking: call before the event loop is busy)."""
    prepare_environment(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.mem0_api_key is not None:
        return _build_platform(settings)
    return _build_embedded(settings, embedder=embedder)


async def open_memory(settings: Settings, *, embedder: Mapping[str, Any] | None = None) -> MemoryService:
    """`build_memory` off the event loop (importing mem0 and opening the store take a while)."""
    return await asyncio.to_thread(build_memory, settings, embedder=embedder)


def _build_embedded(settings: Settings, *, embedder: Mapping[str, Any] | None = None) -> MemoryService:
    config = mem0_config(settings, embedder=embedder)
    (settings.data_dir / "mem0").mkdir(parents=True, exist_ok=True)

    def factory() -> tuple[Any, list[Callable[[], None]]]:
        from mem0 import Memory

        if config["vector_store"]["provider"] == SQLITE_PROVIDER:
            register_sqlite_vector_store()
        client = Memory.from_config(config)
        # Deleted history rows are overwritten, not just unlinked (erasure must be real).
        client.db.connection.execute("PRAGMA secure_delete = ON")
        return client, _closers(client)

    store = config["vector_store"]["provider"] if settings.vector_store_url else settings.vector_store
    # Reads beside writes only on our SQLite store (thread-safe: one locked connection per store).
    readers = READER_THREADS if config["vector_store"]["provider"] == SQLITE_PROVIDER else 0
    return MemoryService(factory, backend=f"mem0-oss/{store}", readers=readers)


def _build_platform(settings: Settings) -> MemoryService:
    assert settings.mem0_api_key is not None
    api_key = settings.mem0_api_key.get_secret_value()

    def factory() -> tuple[Any, list[Callable[[], None]]]:
        import httpx
        from mem0 import MemoryClient

        http = httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0))
        client = MemoryClient(api_key=api_key, host=settings.mem0_host, client=http)
        return client, [http.close]

    return MemoryService(factory, backend=PLATFORM_BACKEND)


def _closers(client: Any) -> list[Callable[[], None]]:
    """Mem0's `close()` leaves the Qdrant client (and its folder lock) open: close the stores too."""
    closers: list[Callable[[], None]] = []
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
    """Make `{"provider": "sqlite"}` a Mem0 vector store backed by `bot.sqlite_vectors`.

    Mem0 2.2.1 has no public plug-in hook for vector stores. Three things must agree:
    - `VectorStoreFactory.provider_to_class` maps the provider name to the class path;
    - `VectorStoreConfig._provider_configs` (a pydantic private attribute, so its *default* is what
      each new config copies) names the config class;
    - that config class is imported from `mem0.configs.vector_stores.<provider>`, so we provide that
      module in `sys.modules`.
    tests/test_mem0_registration.py fails loudly if a Mem0 upgrade changes any of this.
    """
    from mem0.utils.factory import VectorStoreFactory
    from mem0.vector_stores.configs import VectorStoreConfig

    from bot import sqlite_vectors

    VectorStoreFactory.provider_to_class[SQLITE_PROVIDER] = "bot.sqlite_vectors.SQLiteVectorStore"
    private = VectorStoreConfig.__private_attributes__["_provider_configs"]
    private.default[SQLITE_PROVIDER] = "SQLiteVectorConfig"
    module_name = f"mem0.configs.vector_stores.{SQLITE_PROVIDER}"
    if module_name not in sys.modules:
        module = types.ModuleType(module_name)
        module.SQLiteVectorConfig = sqlite_vectors.SQLiteVectorConfig  # type: ignore[attr-defined]
        sys.modules[module_name] = module
