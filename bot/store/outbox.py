"""The memory outbox (writes to long-term memory waiting to be applied, retried with backoff) and
the ledger of memory ids each user was given (so an erasure also scrubs their history)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from bot.records import (
    PendingWrite,
)
from bot.store.database import Database

logger = logging.getLogger(__name__)


class MemoryOutbox(Database):
    """Durable pending memory writes, and which memory ids belong to whom."""

    async def enqueue_memory_write(self, user_id: str, payload: Mapping[str, Any]) -> int:
        cursor = await self._write(
            "INSERT INTO memory_outbox (user_id, payload, next_attempt, created_at) VALUES (?, ?, ?, ?)",
            (user_id, json.dumps(payload, ensure_ascii=False), time.time(), time.time()),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def due_memory_writes(self, limit: int = 20) -> list[PendingWrite]:
        rows = await self._rows(
            "SELECT id, user_id, payload, attempts FROM memory_outbox WHERE next_attempt <= ? "
            "ORDER BY next_attempt, id LIMIT ?",
            (time.time(), limit),
        )
        return [PendingWrite(r["id"], r["user_id"], json.loads(r["payload"]), r["attempts"]) for r in rows]

    async def pending_memory_writes(self, user_id: str | None = None) -> int:
        sql, params = "SELECT COUNT(*) FROM memory_outbox", []
        if user_id is not None:
            sql, params = sql + " WHERE user_id = ?", [user_id]
        row = await self._row(sql, params)
        return int(row[0]) if row else 0

    async def make_memory_writes_due(self) -> int:
        """Retry every pending write now (at start: whatever failed before may work again)."""
        cursor = await self._write("UPDATE memory_outbox SET next_attempt = ?", (time.time(),))
        return cursor.rowcount

    async def memory_write_exists(self, write_id: int) -> bool:
        return await self._row("SELECT 1 FROM memory_outbox WHERE id = ?", (write_id,)) is not None

    async def next_memory_write_at(self) -> float | None:
        row = await self._row("SELECT MIN(next_attempt) FROM memory_outbox")
        return float(row[0]) if row and row[0] is not None else None

    async def complete_memory_write(self, write_id: int) -> None:
        await self._write("DELETE FROM memory_outbox WHERE id = ?", (write_id,))

    async def retry_memory_write(self, write_id: int, delay: float, error: str) -> None:
        await self._write(
            "UPDATE memory_outbox SET attempts = attempts + 1, next_attempt = ?, last_error = ? WHERE id = ?",
            (time.time() + delay, error[:500], write_id),
        )

    async def update_memory_write(self, write_id: int, payload: Mapping[str, Any]) -> None:
        """Save a pending write's progress (its extraction plan and how much of it is applied)."""
        await self._write(
            "UPDATE memory_outbox SET payload = ? WHERE id = ?",
            (json.dumps(payload, ensure_ascii=False), write_id),
        )

    async def record_memory_ids(self, user_id: str, memory_ids: Sequence[str]) -> None:
        rows = [(memory_id, user_id, time.time()) for memory_id in memory_ids]
        await self._writer.transaction(
            lambda conn: conn.executemany(
                "INSERT OR IGNORE INTO memory_ledger (memory_id, user_id, created_at) VALUES (?, ?, ?)", rows
            )
        )

    async def known_memory_ids(self, user_id: str) -> list[str]:
        rows = await self._rows("SELECT memory_id FROM memory_ledger WHERE user_id = ?", (user_id,))
        return [str(row[0]) for row in rows]

    async def forget_memory_ids(self, memory_ids: Sequence[str]) -> None:
        await self._writer.transaction(
            lambda conn: conn.executemany(
                "DELETE FROM memory_ledger WHERE memory_id = ?", [(i,) for i in memory_ids]
            )
        )

    async def memory_user_ids(self) -> list[str]:
        """Every user that may have memories (chats seen, and users in the ledger)."""
        rows = await self._rows(
            "SELECT user_id FROM chats UNION SELECT user_id FROM memory_ledger ORDER BY 1"
        )
        return [str(row[0]) for row in rows]
