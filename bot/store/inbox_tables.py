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
from bot.store.database import Tables

logger = logging.getLogger(__name__)


class UpdateInbox(Tables):
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

        fresh = await self._transaction(record)
        return list(dict.fromkeys(u.update_id for u in fresh))

    async def record_failed_update(self, update_id: int, chat_id: int | None) -> None:
        """An update whose content could not be stored: keep its id, as failed (never handled)."""
        now = time.time()
        await self._write(
            "INSERT OR IGNORE INTO inbox (update_id, chat_id, payload, state, received_at, finished_at) "
            "VALUES (?, ?, NULL, 'failed', ?, ?)",
            (update_id, chat_id, now, now),
        )

    async def finish_update(self, update_id: int, *, failed: bool = False, scrub: bool = False) -> None:
        """The update was handled (or given up on): drop its content, keep its id for dedupe.

        For a chat with memory off (incognito), and with `scrub` (the text held a secret), the WAL
        is emptied at once too: the update's text leaves every file now, not at the next automatic
        checkpoint (the blanked row alone would leave the old page in the WAL, also after a `kill -9`).
        """

        def finish(conn: sqlite3.Connection) -> bool:
            row = conn.execute(
                "UPDATE inbox SET state = ?, payload = NULL, finished_at = ? WHERE update_id = ? "
                "RETURNING chat_id",
                ("failed" if failed else "done", time.time(), update_id),
            ).fetchone()
            return row is not None and row[0] is not None and _incognito(conn, int(row[0]))

        if await self._transaction(finish) or scrub:
            await self._empty_wal()

    async def unfinished_updates(self) -> list[InboxUpdate]:
        """Updates stored but not handled (a crash or a kill), oldest first."""
        rows = await self._rows(
            "SELECT update_id, chat_id, payload, attempts FROM inbox WHERE state = 'pending' "
            "ORDER BY update_id"
        )
        return [InboxUpdate(r["update_id"], r["chat_id"], r["payload"], r["attempts"]) for r in rows]

    async def count_update_attempts(self, update_ids: Sequence[int]) -> None:
        """Note one more attempt at each update (replayed after a restart)."""
        await self._transaction(
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


def _incognito(conn: sqlite3.Connection, chat_id: int) -> bool:
    """The chat has memory off (see `Prefs.memory`)."""
    row = conn.execute(
        "SELECT 1 FROM prefs WHERE chat_id = ? AND key = 'memory' AND value = 'off'", (chat_id,)
    ).fetchone()
    return row is not None
