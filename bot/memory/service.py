"""`MemoryService`: one async interface over a synchronous Mem0 client (embedded or Platform).

Mem0's embedded stores are not safe to change from several threads at once (300 concurrent
`AsyncMemory.add` calls gave 7 errors and memory/disk divergence in a probe), so every change
runs on one dedicated worker thread, in order; with our SQLite store, searches and listings run
on reader threads of their own beside it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from bot.memory.erasure import compact_vector_store, erase_entities, scrub_history, scrub_messages
from bot.memory.items import (
    MemoryUnavailable,
    Message,
    dated_text,
    result_rows,
    to_item,
    undated_history,
)
from bot.records import MemoryItem

logger = logging.getLogger(__name__)

T = TypeVar("T")

PLATFORM_BACKEND = "mem0-platform"
# A listing reads at most this many memories of one user: far past any MEMORY_MAX_PER_USER.
LIST_EVERYTHING = 1_000_000
PLATFORM_PAGE = 100


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
        return [to_item(row, user_id) for row in result_rows(result) if row.get("event", "ADD") != "NONE"]

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
        return [undated_history(row) for row in rows or [] if isinstance(row, Mapping)]

    def _owned_or_gone(self, user_id: str, memory_id: str) -> bool:
        row = self._client.get(memory_id)
        return row is None or to_item(row, None).user_id == user_id

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

    async def forget_messages(self, user_id: str, needles: Sequence[str]) -> int:
        """Remove the raw messages Mem0 saved for the user that hold one of `needles` (embedded
        Mem0 keeps the last 10 per user; the Platform keeps nothing here)."""
        if self.backend == PLATFORM_BACKEND:
            return 0
        return await self._run(scrub_messages, self._client, user_id, list(needles))

    def _erase(self, user_id: str, memory_ids: list[str], whole_user: bool) -> int:
        if self.backend == PLATFORM_BACKEND:
            # The hosted Platform erases on its side; it keeps no files here.
            if whole_user:
                self._client.delete_all(user_id=user_id)
                return 0
            deleted = 0
            for memory_id in memory_ids:
                row = self._client.get(memory_id)
                if row and to_item(row, None).user_id == user_id:
                    self._client.delete(memory_id)
                    deleted += 1
            return deleted
        client = self._client
        ids = list(dict.fromkeys(memory_ids))
        if whole_user:
            current = result_rows(
                client.get_all(filters={"user_id": user_id}, top_k=100_000, show_expired=True)
            )
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
        scrub_history(client, user_id, scrub, whole_user=whole_user)
        if whole_user:
            erase_entities(client, user_id)
        compact_vector_store(client)
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
        items = [to_item(row, user_id) for row in result_rows(result)]
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
        limit: int | None = None,
        filters: Mapping[str, Any] | None = None,
        include_expired: bool = False,
    ) -> list[MemoryItem]:
        """Every memory of the user (or the newest `limit`), newest first.

        Mem0 OSS lists oldest first and stops at `top_k` (default 20), the Platform pages: both
        are read to the end, so a listing never silently drops the newest memories.
        """
        all_filters = {**dict(filters or {}), "user_id": user_id}
        if self.backend == PLATFORM_BACKEND:
            rows = await self._run(_platform_pages, self._client, all_filters)
        else:
            kwargs: dict[str, Any] = {"top_k": LIST_EVERYTHING}
            if include_expired:
                kwargs["show_expired"] = True
            result = await self._run(self._client.get_all, filters=all_filters, **kwargs)
            rows = result_rows(result)
            if len(rows) >= LIST_EVERYTHING:
                logger.warning("listing of %s stopped at %d memories", user_id, LIST_EVERYTHING)
        items = [to_item(row, user_id) for row in rows]
        items = [item for item in items if item.user_id in (None, user_id)]
        items.sort(key=lambda item: item.updated_at or item.created_at or "", reverse=True)
        return items if limit is None else items[:limit]

    async def get(self, user_id: str, memory_id: str) -> MemoryItem | None:
        """The memory with this id if it belongs to `user_id`, else None (ids are not user-scoped).

        An outage of the backend raises MemoryUnavailable: "not found" must never stand for "down".
        """
        row = await self._run(self._client.get, memory_id)
        if not row:
            return None
        item = to_item(row, None)
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


def _platform_pages(client: Any, filters: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every page of a Platform listing (run on the worker thread)."""
    rows: list[dict[str, Any]] = []
    for page in range(1, LIST_EVERYTHING // PLATFORM_PAGE + 1):
        result = client.get_all(filters=dict(filters), page=page, page_size=PLATFORM_PAGE)
        found = result_rows(result)
        rows += found
        if not found or not isinstance(result, Mapping) or not result.get("next"):
            break
    return rows
