"""`MemoryService`: one async interface over a synchronous Mem0 client; embedded.py and
platform.py are its two backends (Mem0 OSS in this process, the hosted Mem0 Platform).

Mem0's embedded stores are not safe to change from several threads at once (300 concurrent
`AsyncMemory.add` calls gave 7 errors and memory/disk divergence in a probe), so every change
runs on one dedicated worker thread, in order; with our SQLite store, searches and listings run
beside it, on the event loop itself (below). The embedding a change or a search needs is computed
first, on the event loop (or a pool of threads; bot/memory/prefetch.py), so the change thread only
stores: many users' writes then run at once, their store changes one at a time.

On our SQLite store a read (a search with its embedding computed ahead, a listing) is a few
hundred microseconds of local work that never waits for a write: it runs right on the event loop
(`inline_reads`). Handing it to a reader thread cost more than the read: the thread and the loop
passed the GIL back and forth around every SQLite call (bench/load.py, BENCHMARKS.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from bot.memory.items import (
    MemoryUnavailable,
    Message,
    backend_error,
    dated_text,
    result_rows,
    to_item,
    undated_history,
)
from bot.memory.kept_reads import KeptReads
from bot.memory.prefetch import NeedsNetwork, PrefetchingEmbedder
from bot.records import MemoryItem
from bot.runtime.recent import Recent

logger = logging.getLogger(__name__)

T = TypeVar("T")

PLATFORM_BACKEND = "mem0-platform"
# Users known to hold memories (so a search skips the "any memory?" look-up): at most this many.
HOLDERS_KEPT = 10_000


class MemoryService:
    """Async facade over a sync Mem0 client: changes in order on one worker thread; with `readers`,
    reads (search, listings, get) on that many threads of their own, beside the changes."""

    def __init__(
        self,
        factory: Callable[[], tuple[Any, Sequence[Callable[[], None]]]],
        *,
        backend: str,
        readers: int = 0,
        embedders: int = 0,
        change_threads: int = 1,
        embed: Callable[[str], Awaitable[Sequence[float]]] | None = None,
        kept: KeptReads | None = None,
        inline_reads: bool = False,
    ) -> None:
        """Build the client (`factory`: it and what releases it) on the thread that makes every change.

        Embedded Qdrant's sqlite connection may only be used by the thread that created it, so it
        gets no readers (`readers=0`: every call on the one thread). Our SQLite store reads through
        a connection per thread that never waits for a write: with `inline_reads`, its reads run
        on the event loop (a recall never queues behind memory writes), and one that would need an
        embedding not computed ahead (`NeedsNetwork`) on one of the `readers` threads. With
        `embedders` and a client whose `embedding_model` is a `PrefetchingEmbedder`, embeddings
        are computed on that many threads before the call that needs them; with `embed` (an async
        embedding of one text, the same request as the client's embedder), on the event loop.
        `change_threads` > 1 only for a backend that needs no order of its own (the hosted
        Platform); the writer still applies one user's changes one after another. With `kept`, a
        search or listing repeated before the user's memories changed is answered from the first.
        """
        self.backend = backend
        self._executor = ThreadPoolExecutor(max_workers=max(1, change_threads), thread_name_prefix="mem0")
        try:
            self._client, closers = self._executor.submit(factory).result()
        except BaseException:
            self._executor.shutdown(wait=False)
            raise
        self._closers = list(closers)
        self._readers: ThreadPoolExecutor | None = None
        self._embedders: ThreadPoolExecutor | None = None
        embedder = getattr(self._client, "embedding_model", None)
        self._prefetcher = embedder if isinstance(embedder, PrefetchingEmbedder) else None
        self._embed = embed if self._prefetcher is not None else None
        if self._prefetcher is not None and embedders > 0 and self._embed is None:
            self._embedders = ThreadPoolExecutor(max_workers=embedders, thread_name_prefix="mem0-embed")
        self._reads: frozenset[Callable[..., Any]] = frozenset()
        self._inline = self._prefetcher if inline_reads and readers > 0 else None
        # Our SQLite store answers "does this user have any memory?" with one indexed lookup.
        self._has_any: Callable[[Mapping[str, Any]], bool] | None = getattr(
            getattr(self._client, "vector_store", None), "has_any", None
        )
        # Users whose last look-up (or add) found memories: only ever "yes", so a stale entry costs
        # one embedding call for nothing, never hides a memory; a deletion forgets the user.
        self._holders: Recent[str, bool] = Recent(HOLDERS_KEPT)
        self._kept = kept or KeptReads(seconds=0.0)
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
            if read and self._inline is not None:
                # Other tasks get their turn first, as they would while a thread ran the read: a
                # job reading every user's memories (the daily expiry) never holds the loop.
                await asyncio.sleep(0)
                with contextlib.suppress(NeedsNetwork), self._inline.local_only():
                    return func()
            return await loop.run_in_executor(executor, func)
        except MemoryUnavailable:
            raise
        except Exception as exc:
            raise backend_error(exc, self.backend) from exc

    async def _prefetch(self, texts: Sequence[str], action: str) -> None:
        """Embed `texts` on the embedding pool for the Mem0 call that follows (see prefetch.py)."""
        prefetcher, pool, embed = self._prefetcher, self._embedders, self._embed
        if prefetcher is None or (pool is None and embed is None):
            return
        texts = [text for text in texts if not prefetcher.reuse(text, action)]
        if not texts:
            return
        loop = asyncio.get_running_loop()
        try:
            if embed is not None:
                vectors = await asyncio.gather(*(embed(text) for text in texts))
                for text, vector in zip(texts, vectors, strict=True):
                    prefetcher.put(text, action, list(vector))
                return
            await asyncio.gather(
                *(loop.run_in_executor(pool, prefetcher.prefetch, text, action) for text in texts)
            )
        except Exception as exc:
            raise backend_error(exc, self.backend) from exc

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
        if not infer:
            contents = [m["content"] for m in payload if m.get("role") != "system" and m.get("content")]
            await self._prefetch(contents, "add")
        with self._kept.changing(user_id):
            result = await self._run(self._client.add, payload, **kwargs)
        items = [to_item(row, user_id) for row in result_rows(result) if row.get("event", "ADD") != "NONE"]
        if items:
            self._hold(user_id)
        return items

    def _hold(self, user_id: str) -> None:
        """Note that `user_id` has memories."""
        self._holders.put(user_id, True)

    async def _holds(self, user_id: str, filters: Mapping[str, Any]) -> bool:
        """Whether the user may have memories in `filters`' scope: known, or one look-up."""
        has_any = self._has_any
        if has_any is None or user_id in self._holders:
            return True
        if not await self._call(True, lambda: has_any(filters)):
            return False
        self._hold(user_id)  # rows in the filters' scope are the user's rows
        return True

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
        await self._prefetch([text], "update")
        kwargs: dict[str, Any] = {"text": text, "metadata": dict(metadata or {})}
        kwargs.update(self._expiry(expiration_date))
        with self._kept.changing(user_id):
            await self._run(self._client.update, memory_id, **kwargs)
        return True

    async def history(self, user_id: str, memory_id: str) -> list[dict[str, Any]]:
        """Mem0's change log of one of the user's memories (ADD / UPDATE / DELETE), oldest first."""
        if not await self._history_is_theirs(user_id, memory_id):
            return []
        rows = await self._run(self._client.history, memory_id)
        return [undated_history(row) for row in rows or [] if isinstance(row, Mapping)]

    def _get_row(self, memory_id: str) -> Any:
        # Imported here, like mem0 itself (bot/memory/setup.py): loaded by the time a client exists.
        from mem0.exceptions import MemoryNotFoundError

        try:
            return self._client.get(memory_id)
        except MemoryNotFoundError:  # the Platform's 404 for an unknown id: that memory is gone
            return None

    async def erase(self, user_id: str, memory_ids: Sequence[str]) -> int:
        """Delete these memories of the user for real: the vector, every history row, free pages.

        Ids that are not the user's are skipped; ids already gone only have their history scrubbed.
        Returns how many memories were deleted.
        """
        try:
            with self._kept.changing(user_id):
                return await self._run(self._erase, user_id, list(memory_ids), False)
        finally:
            self._holders.pop(user_id)

    async def erase_user(self, user_id: str, known_ids: Sequence[str] = ()) -> int:
        """Erase everything held about `user_id`: memories, their history (also of `known_ids`,
        memories deleted earlier), Mem0's saved messages, entities; then scrub free pages and WAL."""
        try:
            with self._kept.changing(user_id):
                return await self._run(self._erase, user_id, list(known_ids), True)
        finally:
            self._holders.pop(user_id)

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
        if explain and self.explains:
            kwargs["explain"] = True

        async def search() -> list[MemoryItem]:
            items = [to_item(row, user_id) for row in await self._search_rows(user_id, query, kwargs)]
            return [item for item in items if item.user_id in (None, user_id)][:limit]

        return await self._kept.read(user_id, ("search", query, repr(sorted(kwargs.items()))), search)

    @property
    def reads_kept(self) -> int:
        """How many searches and listings were answered from a kept result (`kept`) so far."""
        return self._kept.hits

    async def _search_rows(self, user_id: str, query: str, kwargs: dict[str, Any]) -> list[dict[str, Any]]:
        """Mem0's search result rows (none, without a call, for a user known to hold nothing)."""
        has_any, search, all_filters = self._has_any, self._client.search, kwargs["filters"]
        if self._prefetcher is not None and (self._embedders is not None or self._embed is not None):
            # A user without memories (most new users' first messages) costs no embedding call.
            if not await self._holds(user_id, all_filters):
                return []
            await self._prefetch([query], "search")
            return result_rows(await self._run(search, query, **kwargs))

        def run() -> Any:
            if has_any is not None and not has_any(all_filters):
                return {"results": []}
            return search(query, **kwargs)

        return result_rows(await self._call(search in self._reads, run))

    async def list_memories(
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

        async def listing() -> list[MemoryItem]:
            items = [to_item(row, user_id) for row in await self._list_rows(all_filters, include_expired)]
            items = [item for item in items if item.user_id in (None, user_id)]
            items.sort(key=lambda item: item.updated_at or item.created_at or "", reverse=True)
            return items

        params = ("list", repr(sorted(all_filters.items())), include_expired)
        items = await self._kept.read(user_id, params, listing)
        return items if limit is None else items[:limit]

    async def get(self, user_id: str, memory_id: str) -> MemoryItem | None:
        """The memory with this id if it belongs to `user_id`, else None (ids are not user-scoped).

        An outage of the backend raises MemoryUnavailable: "not found" must never stand for "down"
        (the Platform's 404 for an unknown id is "not found").
        """
        row = await self._call(self._client.get in self._reads, lambda: self._get_row(memory_id))
        if not row:
            return None
        item = to_item(row, None)
        return item if item.user_id == user_id else None

    async def delete(self, user_id: str, memory_id: str) -> bool:
        """Delete one memory, only if it belongs to `user_id`."""
        if await self.get(user_id, memory_id) is None:
            return False
        try:
            with self._kept.changing(user_id):
                await self._run(self._client.delete, memory_id)
        finally:
            self._holders.pop(user_id)
        return True

    async def delete_all(self, user_id: str) -> None:
        """Erase every memory of `user_id`."""
        try:
            with self._kept.changing(user_id):
                await self._run(self._client.delete_all, user_id=user_id)
        finally:
            self._holders.pop(user_id)

    async def close(self) -> None:
        """Release the store (folder locks, connections) and stop the worker thread."""

        def _close() -> None:
            for closer in self._closers:
                try:
                    closer()
                except Exception:
                    logger.warning("closing the memory backend failed", exc_info=True)

        if self._embedders is not None:
            await asyncio.to_thread(self._embedders.shutdown, True)
        if self._readers is not None:
            await asyncio.to_thread(self._readers.shutdown, True)  # reads in flight finish first
        await asyncio.get_running_loop().run_in_executor(self._executor, _close)
        self._executor.shutdown(wait=True)

    # --- what each backend does its own way (embedded.py, platform.py) --------------------------

    #: Whether searches can report the vector leg's own similarity (`explain`).
    explains = False

    def _expiry(self, expiration_date: str | None) -> dict[str, Any]:
        """The `update` arguments that set a memory's expiry (none where the backend has none)."""
        return {}

    async def _history_is_theirs(self, user_id: str, memory_id: str) -> bool:
        """May `user_id` read this memory id's history (theirs, or gone)?"""
        raise NotImplementedError

    async def forget_messages(self, user_id: str, needles: Sequence[str]) -> int:
        """Remove the raw messages the backend saved for the user that hold one of `needles`."""
        raise NotImplementedError

    def _erase(self, user_id: str, memory_ids: list[str], whole_user: bool) -> int:
        """Delete the memories (all of the user's with `whole_user`), run on the change thread."""
        raise NotImplementedError

    async def keyword_scores(self, user_id: str, query: str, *, limit: int) -> dict[str, float]:
        """Raw BM25 scores (higher is better) of the user's memories matching `query`'s words;
        empty where the backend has no keyword search."""
        raise NotImplementedError

    async def _list_rows(self, filters: Mapping[str, Any], include_expired: bool) -> list[dict[str, Any]]:
        """Every row of a listing with these filters, in the backend's order."""
        raise NotImplementedError
