"""Conversation metadata in SQLite: chats, preferences, recent turns, sessions, the update inbox,
the memory outbox and ledger, usage. The values are in bot/records.py, the schema in
bot/store/schema.py."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiosqlite

from bot.records import (
    Chat,
    InboxUpdate,
    MessageContext,
    NewTurn,
    PendingWrite,
    Prefs,
    StoredTurn,
    Usage,
    memory_user_id,
    utc_day,
)
from bot.store.schema import CONNECTION_PRAGMAS, MIGRATIONS, check_integrity
from bot.store.writer import SQLiteWriter, WriteResult

logger = logging.getLogger(__name__)


class Store:
    """Reads through one aiosqlite connection; every write is one short transaction run by the
    single writer (bot/store/writer.py: its own connection and thread), one hand-over each."""

    def __init__(self, conn: aiosqlite.Connection, writer: SQLiteWriter) -> None:
        self._conn = conn
        self._writer = writer

    @classmethod
    async def open(cls, path: Path) -> Store:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        # WAL lets reads proceed during a write; synchronous=NORMAL is durable across a process
        # crash in WAL mode (only an OS crash can lose the last transactions), at a fraction of the
        # fsyncs of FULL. secure_delete overwrites erased rows, so /forget leaves no text behind.
        try:
            await check_integrity(conn, path)
            for pragma in ("PRAGMA journal_mode=WAL", *CONNECTION_PRAGMAS):
                await conn.execute(pragma)
            store = cls(conn, await SQLiteWriter.open(path, CONNECTION_PRAGMAS))
        except BaseException:
            await conn.close()
            raise
        try:
            await store._migrate()
        except BaseException:
            await store.close()
            raise
        return store

    async def close(self) -> None:
        try:
            await self._writer.close()
        finally:
            await self._conn.close()

    async def _migrate(self) -> None:
        async with self._conn.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        version = int(row[0]) if row else 0
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await self._conn.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version={number};\nCOMMIT;"
            )
            logger.info("database migrated to version %d", number)

    async def _write(self, sql: str, params: Sequence[Any] = ()) -> WriteResult:
        """One statement in its own write transaction (BEGIN IMMEDIATE, on the writer thread)."""
        return await self._writer.write(sql, params)

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """A read's rows in one hand-over to aiosqlite's thread (not three: execute, fetch, close)."""
        return list(await self._conn.execute_fetchall(sql, params))

    async def _row(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        rows = await self._rows(sql, params)
        return rows[0] if rows else None

    # --- chats -------------------------------------------------------------------------------

    async def begin_message(self, chat_id: int, recent: int) -> MessageContext:
        """Record a message from the chat (its row is created on first contact, then counts every
        message) and read its preferences, its last `recent` turns and its session start, all in
        one transaction: one hand-over to the writer thread per message instead of four (each
        costs more CPU than the SQL itself)."""
        now = time.time()

        def begin(conn: sqlite3.Connection) -> MessageContext:
            chat = _touch_chat(conn, chat_id, now)
            prefs = conn.execute("SELECT key, value FROM prefs WHERE chat_id = ?", (chat_id,)).fetchall()
            started = conn.execute("SELECT started_at FROM sessions WHERE chat_id = ?", (chat_id,)).fetchone()
            return MessageContext(
                chat,
                _prefs_from(prefs),
                _recent_turns(conn, chat_id, recent),
                float(started[0]) if started else None,
            )

        return await self._writer.transaction(begin)

    async def user_id_for(self, chat_id: int) -> str:
        """The chat's Mem0 user id: its row's (kept across a group's migration), else the default."""
        row = await self._row("SELECT user_id FROM chats WHERE chat_id = ?", (chat_id,))
        return str(row[0]) if row else memory_user_id(chat_id)

    async def get_chat(self, chat_id: int) -> Chat | None:
        row = await self._row("SELECT * FROM chats WHERE chat_id = ?", (chat_id,))
        return Chat(**dict(row)) if row else None

    # --- preferences ---------------------------------------------------------------------------

    async def get_prefs(self, chat_id: int) -> Prefs:
        rows = await self._rows("SELECT key, value FROM prefs WHERE chat_id = ?", (chat_id,))
        return _prefs_from(rows)

    async def set_pref(self, chat_id: int, key: str, value: str) -> Prefs:
        if key not in Prefs.names():
            raise ValueError(f"unknown preference {key!r}")
        if value not in Prefs.choices(key):
            raise ValueError(f"{key} must be one of {', '.join(Prefs.choices(key))}")
        await self._write(
            "INSERT INTO prefs (chat_id, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (chat_id, key) DO UPDATE SET value = excluded.value",
            (chat_id, key, value),
        )
        return await self.get_prefs(chat_id)

    # --- recent turns and usage, kept when a message is answered ----------------------------------

    async def finish_message(
        self, chat_id: int, turns: Sequence[NewTurn], *, usage: tuple[int, int, int] | None = None
    ) -> None:
        """Keep the exchange's `turns` and, with `usage` = (Telegram user id, prompt tokens, output
        tokens), count one answered message for that user: one transaction. The chat keeps its
        last 100 turns."""
        now = time.time()

        def finish(conn: sqlite3.Connection) -> None:
            _add_turns(conn, chat_id, turns, now)
            if usage is not None:
                user_id, prompt_tokens, output_tokens = usage
                _add_usage(conn, user_id, 1, prompt_tokens, output_tokens)

        await self._writer.transaction(finish)

    async def add_tokens(self, user_id: int, prompt_tokens: int, output_tokens: int) -> None:
        """Count tokens spent for the user outside of an answer (a picture described for memory)."""
        await self._writer.transaction(
            lambda conn: _add_usage(conn, user_id, 0, prompt_tokens, output_tokens)
        )

    # --- memory outbox (durable pending writes to long-term memory) ---------------------------

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

    # --- inbox: Telegram updates, stored before they are confirmed ---------------------------

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

    # --- chats we may not write to ------------------------------------------------------------

    async def set_chat_inactive(self, chat_id: int, reason: str, moved_to: int | None = None) -> None:
        await self._write(
            "INSERT INTO inactive_chats (chat_id, reason, since, moved_to) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (chat_id) DO UPDATE SET reason = excluded.reason, since = excluded.since, "
            "moved_to = excluded.moved_to",
            (chat_id, reason, time.time(), moved_to),
        )

    async def set_chat_active(self, chat_id: int) -> None:
        await self._write("DELETE FROM inactive_chats WHERE chat_id = ?", (chat_id,))

    async def inactive_chats(self) -> dict[int, tuple[str, int | None]]:
        """Chat id → (reason, the chat it moved to, if it did)."""
        rows = await self._rows("SELECT chat_id, reason, moved_to FROM inactive_chats")
        return {int(r["chat_id"]): (str(r["reason"]), r["moved_to"]) for r in rows}

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: carry its settings, recent turns and memories to the new id.

        The chat row moves with its Mem0 user id, so the memories stay the group's without being
        copied (unless the new id already has a row of its own, whose memories are then kept).
        """

        def migrate(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE OR IGNORE chats SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id)
            )
            conn.execute(
                "UPDATE OR IGNORE prefs SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id)
            )
            conn.execute("UPDATE turns SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id))
            conn.execute(
                "INSERT INTO inactive_chats (chat_id, reason, since, moved_to) VALUES (?, 'migrated', ?, ?) "
                "ON CONFLICT (chat_id) DO UPDATE SET reason = 'migrated', moved_to = excluded.moved_to",
                (old_chat_id, time.time(), new_chat_id),
            )

        await self._writer.transaction(migrate)

    # --- usage (messages and tokens per Telegram user and UTC day) ------------------------------

    async def usage_since(self, user_id: int, first_day: str) -> Usage:
        """The user's totals from `first_day` (YYYY-MM-DD, UTC) to today."""
        row = await self._row(
            "SELECT COALESCE(SUM(messages), 0), COALESCE(SUM(prompt_tokens), 0), "
            "COALESCE(SUM(output_tokens), 0) FROM usage WHERE user_id = ? AND day >= ?",
            (user_id, first_day),
        )
        return Usage(int(row[0]), int(row[1]), int(row[2])) if row else Usage()

    async def update_memory_write(self, write_id: int, payload: Mapping[str, Any]) -> None:
        """Save a pending write's progress (its extraction plan and how much of it is applied)."""
        await self._write(
            "UPDATE memory_outbox SET payload = ? WHERE id = ?",
            (json.dumps(payload, ensure_ascii=False), write_id),
        )

    # --- memory ledger: every memory id a user had ----------------------------------------------

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

    # --- sessions (short-term context) ---------------------------------------------------------

    async def start_session(self, chat_id: int, at: float | None = None) -> None:
        """Turns before `at` (default now) no longer belong to the chat's current session."""
        await self._write(
            "INSERT INTO sessions (chat_id, started_at) VALUES (?, ?) "
            "ON CONFLICT (chat_id) DO UPDATE SET started_at = excluded.started_at",
            (chat_id, time.time() if at is None else at),
        )

    # --- erasure -----------------------------------------------------------------------------

    async def forget_chat(self, chat_id: int) -> None:
        """Erase what we hold about the chat: turns, preferences and pending memory writes."""
        user_id = await self.user_id_for(chat_id)

        def forget(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM turns WHERE chat_id = ?", (chat_id,))
            conn.execute("DELETE FROM prefs WHERE chat_id = ?", (chat_id,))
            conn.execute("DELETE FROM memory_outbox WHERE user_id = ?", (user_id,))
            conn.execute("DELETE FROM sessions WHERE chat_id = ?", (chat_id,))

        await self._writer.transaction(forget)
        # Move the erased pages out of the WAL into the (securely overwritten) main file.
        await self._writer.call(lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall())


# --- statements shared by several transactions (run on the writer thread) ----------------------


def _touch_chat(conn: sqlite3.Connection, chat_id: int, now: float) -> Chat:
    row = conn.execute(
        """INSERT INTO chats (chat_id, user_id, first_seen, last_seen, message_count)
           VALUES (?, ?, ?, ?, 1)
           ON CONFLICT (chat_id) DO UPDATE
           SET last_seen = excluded.last_seen, message_count = message_count + 1
           RETURNING chat_id, user_id, first_seen, last_seen, message_count""",
        (chat_id, memory_user_id(chat_id), now, now),
    ).fetchone()
    return Chat(*row)


def _prefs_from(rows: Iterable[Sequence[Any]]) -> Prefs:
    """Prefs from (key, value) rows; unknown keys and values are ignored (defaults apply)."""
    known = {key: value for key, value in rows if key in Prefs.names() and value in Prefs.choices(key)}
    return replace(Prefs(), **known)


def _recent_turns(conn: sqlite3.Connection, chat_id: int, limit: int) -> list[StoredTurn]:
    if limit <= 0:
        return []
    rows = conn.execute(
        "SELECT role, text, created_at FROM turns WHERE chat_id = ? ORDER BY id DESC LIMIT ?",
        (chat_id, limit),
    ).fetchall()
    return [StoredTurn(role, text, created_at) for role, text, created_at in reversed(rows)]


def _add_turns(conn: sqlite3.Connection, chat_id: int, turns: Sequence[NewTurn], now: float) -> None:
    if not turns:
        return
    conn.executemany(
        "INSERT INTO turns (chat_id, role, text, created_at) VALUES (?, ?, ?, ?)",
        [(chat_id, role, text, now) for role, text in turns],
    )
    # Keep a bounded tail per chat: the prompt never needs more than the last few.
    conn.execute(
        "DELETE FROM turns WHERE chat_id = ? AND id NOT IN "
        "(SELECT id FROM turns WHERE chat_id = ? ORDER BY id DESC LIMIT 100)",
        (chat_id, chat_id),
    )


def _add_usage(
    conn: sqlite3.Connection, user_id: int, messages: int, prompt_tokens: int, output_tokens: int
) -> None:
    conn.execute(
        "INSERT INTO usage (user_id, day, messages, prompt_tokens, output_tokens) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (user_id, day) DO UPDATE SET messages = messages + excluded.messages, "
        "prompt_tokens = prompt_tokens + excluded.prompt_tokens, "
        "output_tokens = output_tokens + excluded.output_tokens",
        (user_id, utc_day(), messages, prompt_tokens, output_tokens),
    )
