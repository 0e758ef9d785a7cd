"""Mem0 OSS in this process (`Memory`): our SQLite vector store, embedded Qdrant or a pgvector
server; Mem0's history database under DATA_DIR. Erasure here also scrubs what Mem0 keeps after
a delete (history rows, saved messages, free pages)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from bot.memory.erasure import compact_vector_store, erase_entities, scrub_history, scrub_messages
from bot.memory.items import result_rows, to_item
from bot.memory.memory_service import MemoryService

logger = logging.getLogger(__name__)

# A listing reads at most this many memories of one user: far past any MEMORY_MAX_PER_USER.
LIST_EVERYTHING = 1_000_000


class EmbeddedMemory(MemoryService):
    """The MemoryService over Mem0 OSS."""

    explains = True

    def _expiry(self, expiration_date: str | None) -> dict[str, Any]:
        # None clears an old expiry: a superseding fact is as durable as the model says.
        return {"expiration_date": expiration_date}

    async def _history_is_theirs(self, user_id: str, memory_id: str) -> bool:
        return await self._run(self._owned_or_gone, user_id, memory_id)

    def _owned_or_gone(self, user_id: str, memory_id: str) -> bool:
        row = self._client.get(memory_id)
        return row is None or to_item(row, None).user_id == user_id

    async def forget_messages(self, user_id: str, needles: Sequence[str]) -> int:
        """Remove the raw messages Mem0 saved for the user (the last 10) that hold a needle."""
        return await self._run(scrub_messages, self._client, user_id, list(needles))

    def _erase(self, user_id: str, memory_ids: list[str], whole_user: bool) -> int:
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

    async def keyword_scores(self, user_id: str, query: str, *, limit: int) -> dict[str, float]:
        """BM25 scores from the vector store's keyword search (none in Qdrant without fastembed)."""
        if not query.strip():
            return {}
        store = getattr(self._client, "vector_store", None)
        search = getattr(store, "keyword_search", None)
        if not callable(search):
            return {}
        filters = {"user_id": user_id}
        # Mem0's search has just run the same query (its keyword leg): our store kept the answer,
        # so no thread and no second full-text query (bot/memory/sqlite_vectors.py, KeywordMemo).
        memo = getattr(store, "memo", None)
        rows = memo.get(query.strip(), limit, filters) if memo is not None else None
        if rows is None:
            rows = await self._run(search, query=query.strip(), top_k=limit, filters=filters)
        scores: dict[str, float] = {}
        for row in rows or []:
            score = getattr(row, "score", None)
            if isinstance(score, int | float) and score > 0:
                scores[str(row.id)] = float(score)
        return scores

    async def _list_rows(self, filters: Mapping[str, Any], include_expired: bool) -> list[dict[str, Any]]:
        # Mem0 OSS lists oldest first and stops at `top_k` (default 20): ask for everything.
        kwargs: dict[str, Any] = {"top_k": LIST_EVERYTHING}
        if include_expired:
            kwargs["show_expired"] = True
        rows = result_rows(await self._run(self._client.get_all, filters=dict(filters), **kwargs))
        if len(rows) >= LIST_EVERYTHING:
            logger.warning("listing of %s stopped at %d memories", filters.get("user_id"), LIST_EVERYTHING)
        return rows
