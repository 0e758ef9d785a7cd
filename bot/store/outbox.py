"""The memory outbox (writes to long-term memory waiting to be applied, retried with backoff) and
the ledger of memory ids each user was given (so an erasure also scrubs their history)."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from bot.records import (
    PendingWrite,
)
from bot.store.database import Tables

logger = logging.getLogger(__name__)


class MemoryOutbox(Tables):
    """Durable pending memory writes, and which memory ids belong to whom."""

    async def enqueue_memory_write(self, user_id: str, payload: Mapping[str, Any]) -> int:
        cursor = await self._write(
            "INSERT INTO memory_outbox (user_id, payload, next_attempt, created_at) VALUES (?, ?, ?, ?)",
            (user_id, json.dumps(payload, ensure_ascii=False), time.time(), time.time()),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def due_memory_writes(self, limit: int = 20, *, skip: Collection[str] = ()) -> list[PendingWrite]:
        """Each user's oldest write that is not parked (one user's writes apply in order), where
        it is due, earliest due first: at most `limit`, users in `skip` (being written already)
        left out."""
        writes, _ = await self.memory_write_schedule(limit, skip=skip)
        return writes

    async def memory_write_schedule(
        self, limit: int, *, skip: Collection[str] = ()
    ) -> tuple[list[PendingWrite], float | None]:
        """What the writer's loop needs, in one read: the due writes of `due_memory_writes`, and
        when the earliest of the other users' oldest writes (not in `skip`, not returned) is due
        (None when there is none). Each user's oldest write is found through the index
        outbox_head (the subquery "h")."""
        rows = await self._rows(
            "SELECT o.id, o.user_id, o.payload, o.attempts, o.next_attempt FROM memory_outbox o JOIN "
            "(SELECT MIN(id) AS id FROM memory_outbox WHERE parked = 0 GROUP BY user_id) h "
            "ON h.id = o.id ORDER BY o.next_attempt, o.id LIMIT ?",
            (max(0, limit) + len(skip) + 1,),
        )
        now = time.time()
        writes: list[PendingWrite] = []
        for row in rows:
            if row["user_id"] in skip:
                continue
            if len(writes) >= limit or row["next_attempt"] > now:
                return writes, float(row["next_attempt"])
            writes.append(_pending(row))
        return writes, None

    async def memory_write_head(self, user_id: str) -> PendingWrite | None:
        """The user's oldest pending (not parked) write, if it is due."""
        row = await self._row(
            "SELECT id, user_id, payload, attempts, next_attempt FROM memory_outbox "
            "WHERE parked = 0 AND user_id = ? ORDER BY id LIMIT 1",
            (user_id,),
        )
        if row is None or row["next_attempt"] > time.time():
            return None
        return _pending(row)

    async def pending_memory_writes(self, user_id: str | None = None) -> int:
        """Writes still to apply (parked ones not counted), of one user or of everybody."""
        sql, params = "SELECT COUNT(*) FROM memory_outbox WHERE parked = 0", []
        if user_id is not None:
            sql, params = sql + " AND user_id = ?", [user_id]
        row = await self._row(sql, params)
        return int(row[0]) if row else 0

    async def memory_writes_of(self, user_id: str) -> list[dict[str, Any]]:
        """The user's writes still waiting (parked ones too), oldest first, for /export."""
        rows = await self._rows(
            "SELECT payload, attempts, parked, last_error, created_at FROM memory_outbox "
            "WHERE user_id = ? ORDER BY id",
            (user_id,),
        )
        return [
            {
                "messages": json.loads(row["payload"]).get("messages", []),
                "attempts": row["attempts"],
                "parked": bool(row["parked"]),
                "created_at": row["created_at"],
            }
            for row in rows
        ]

    async def parked_memory_writes(self, user_id: str) -> int:
        """The user's writes given up on for now (the model's answers stayed unusable)."""
        row = await self._row(
            "SELECT COUNT(*) FROM memory_outbox WHERE parked = 1 AND user_id = ?", (user_id,)
        )
        return int(row[0]) if row else 0

    async def park_memory_write(self, write_id: int, error: str) -> None:
        await self._write(
            "UPDATE memory_outbox SET attempts = attempts + 1, parked = 1, last_error = ? WHERE id = ?",
            (error[:500], write_id),
        )

    async def make_memory_writes_due(self) -> int:
        """Retry every pending write now, parked ones once more (at start: whatever failed before
        may work now, e.g. after an upgrade)."""
        cursor = await self._write("UPDATE memory_outbox SET next_attempt = ?, parked = 0", (time.time(),))
        return cursor.rowcount

    async def memory_write_exists(self, write_id: int) -> bool:
        return await self._row("SELECT 1 FROM memory_outbox WHERE id = ?", (write_id,)) is not None

    async def next_memory_write_at(self) -> float | None:
        """When the next write is due (only each user's oldest counts: the others wait for it)."""
        row = await self._row(
            "SELECT MIN(o.next_attempt) FROM memory_outbox o JOIN "
            "(SELECT MIN(id) AS id FROM memory_outbox WHERE parked = 0 GROUP BY user_id) h ON h.id = o.id"
        )
        return float(row[0]) if row and row[0] is not None else None

    async def complete_memory_write(self, write_id: int) -> PendingWrite | None:
        """The write is applied: delete it, and return its user's next write if it is due (the
        one `memory_write_head` would return), in one transaction."""
        now = time.time()

        def complete(conn: sqlite3.Connection) -> PendingWrite | None:
            done = conn.execute(
                "DELETE FROM memory_outbox WHERE id = ? RETURNING user_id", (write_id,)
            ).fetchone()
            if done is None:
                return None
            return _head(conn, str(done[0]), now)

        return await self._transaction(complete)

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
        await self._transaction(
            lambda conn: conn.executemany(
                "INSERT OR IGNORE INTO memory_ledger (memory_id, user_id, created_at) VALUES (?, ?, ?)", rows
            )
        )

    async def known_memory_ids(self, user_id: str) -> list[str]:
        rows = await self._rows("SELECT memory_id FROM memory_ledger WHERE user_id = ?", (user_id,))
        return [str(row[0]) for row in rows]

    async def forget_memory_ids(self, memory_ids: Sequence[str]) -> None:
        await self._transaction(
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


def _pending(row: sqlite3.Row | tuple[Any, ...]) -> PendingWrite:
    write_id, user_id, payload, attempts = row[0], row[1], row[2], row[3]
    return PendingWrite(write_id, user_id, json.loads(payload), attempts)


def _head(conn: sqlite3.Connection, user_id: str, now: float) -> PendingWrite | None:
    """The user's oldest pending (not parked) write, if it is due at `now` (on the writer thread)."""
    row = conn.execute(
        "SELECT id, user_id, payload, attempts, next_attempt FROM memory_outbox "
        "WHERE parked = 0 AND user_id = ? ORDER BY id LIMIT 1",
        (user_id,),
    ).fetchone()
    if row is None or row[4] > now:
        return None
    return _pending(row)
