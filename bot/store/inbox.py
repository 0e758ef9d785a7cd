"""The durable update inbox: each update stored before it is confirmed to Telegram, marked done
once answered, replayed after a crash, deduplicated by update id."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Sequence

from bot.records import (
    InboxUpdate,
)
from bot.store.database import Database

logger = logging.getLogger(__name__)


class UpdateInbox(Database):
    """Incoming updates, stored on arrival and marked when handled."""

    async def record_updates(self, updates: Sequence[InboxUpdate]) -> list[int]:
        """Store the updates not seen before, in one transaction; return the ids that are new."""
        if not updates:
            return []
        ids = [u.update_id for u in updates]

        def record(conn: sqlite3.Connection) -> list[InboxUpdate]:
            seen = {
                int(row[0])
                for row in conn.execute(
                    "SELECT update_id FROM inbox WHERE update_id BETWEEN ? AND ?", (min(ids), max(ids))
                )
            }
            fresh = [u for u in updates if u.update_id not in seen]
            now = time.time()
            conn.executemany(
                "INSERT OR IGNORE INTO inbox (update_id, chat_id, payload, received_at) VALUES (?, ?, ?, ?)",
                [(u.update_id, u.chat_id, u.payload, now) for u in fresh],
            )
            return fresh

        fresh = await self._writer.transaction(record)
        return list(dict.fromkeys(u.update_id for u in fresh))

    async def finish_update(self, update_id: int, *, failed: bool = False) -> None:
        """The update was handled (or given up on): drop its content, keep its id for dedupe."""
        await self._write(
            "UPDATE inbox SET state = ?, payload = NULL, finished_at = ? WHERE update_id = ?",
            ("failed" if failed else "done", time.time(), update_id),
        )

    async def unfinished_updates(self) -> list[InboxUpdate]:
        """Updates stored but not handled (a crash or a kill), oldest first."""
        rows = await self._rows(
            "SELECT update_id, chat_id, payload, attempts FROM inbox WHERE state = 'pending' "
            "ORDER BY update_id"
        )
        return [InboxUpdate(r["update_id"], r["chat_id"], r["payload"], r["attempts"]) for r in rows]

    async def count_update_attempts(self, update_ids: Sequence[int]) -> None:
        """Note one more attempt at each update (replayed after a restart)."""
        await self._writer.transaction(
            lambda conn: conn.executemany(
                "UPDATE inbox SET attempts = attempts + 1 WHERE update_id = ?", [(i,) for i in update_ids]
            )
        )

    async def inbox_states(self) -> dict[str, int]:
        rows = await self._rows("SELECT state, COUNT(*) FROM inbox GROUP BY state")
        return {row[0]: int(row[1]) for row in rows}

    async def prune_inbox(self, older_than: float) -> int:
        """Forget handled updates finished before `older_than` (Telegram reuses ids after a week)."""
        cursor = await self._write(
            "DELETE FROM inbox WHERE state != 'pending' AND finished_at < ?", (older_than,)
        )
        return cursor.rowcount
