"""Conversation metadata in SQLite: chats, preferences, recent turns, sessions, the update inbox,
the memory outbox and ledger, usage. The values are in bot/records.py, the schema in
bot/store/schema.py."""

from __future__ import annotations

import asyncio
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
    PendingWrite,
    Prefs,
    Turn,
    Usage,
    memory_user_id,
    utc_day,
)
from bot.store.moves import move_chat_rows
from bot.store.schema import CONNECTION_PRAGMAS, MIGRATIONS, check_integrity
from bot.store.sources import erase_exchanges
from bot.store.writer import SQLiteWriter, WriteResult

logger = logging.getLogger(__name__)

# Recent turns older than their expiry are deleted from every chat about this often.
TURN_SWEEP_SECONDS = 3600.0


class Store:
    """Reads through one aiosqlite connection; every write is one short transaction run by the
    single writer (bot/store/writer.py: its own connection and thread), one hand-over each."""

    def __init__(self, conn: aiosqlite.Connection, writer: SQLiteWriter) -> None:
        self._conn = conn
        self._writer = writer
        self._next_turn_sweep = 0.0

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
        """The chat's Mem0 user id: its row's (kept across a group's migration); for a group that
        moved, its new chat's; else the default."""
        current, user_id = await self._resolve(chat_id)
        return user_id or memory_user_id(current)

    async def ensure_chat(self, chat_id: int) -> str:
        """The chat's Mem0 user id, with a row that says so (before anything is stored under it,
        so a migration finds it)."""
        current, user_id = await self._resolve(chat_id)
        if user_id is not None:
            return user_id
        now = time.time()
        await self._write(
            "INSERT OR IGNORE INTO chats (chat_id, user_id, first_seen, last_seen, message_count) "
            "VALUES (?, ?, ?, ?, 0)",
            (current, memory_user_id(current), now, now),
        )
        return await self.user_id_for(current)

    async def _resolve(self, chat_id: int) -> tuple[int, str | None]:
        """The chat's current id (following a group's moves) and its row's user id, if any."""
        current = chat_id
        for _ in range(10):  # a group migrates once; a few hops guard against a loop
            row = await self._row("SELECT user_id FROM chats WHERE chat_id = ?", (current,))
            if row is not None:
                return current, str(row[0])
            moved = await self._row(
                "SELECT moved_to FROM inactive_chats WHERE chat_id = ? AND moved_to IS NOT NULL", (current,)
            )
            if moved is None:
                break
            current = int(moved[0])
        return current, None

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
        self,
        chat_id: int,
        turns: Sequence[Turn],
        *,
        usage: tuple[int, int, int] | None = None,
        at: float | None = None,
        expire_before: float | None = None,
    ) -> None:
        """Keep the exchange's `turns` (dated `at`, default now: the time that links them to the
        memories extracted from them) and, with `usage` = (Telegram user id, prompt tokens, output
        tokens), count one answered message for that user: one transaction. The chat keeps its
        last 100 turns; with `expire_before`, turns older than that go (this chat's now, every
        chat's about once an hour)."""
        now = time.time() if at is None else at
        sweep = expire_before is not None and time.monotonic() >= self._next_turn_sweep
        if sweep:
            self._next_turn_sweep = time.monotonic() + TURN_SWEEP_SECONDS

        def finish(conn: sqlite3.Connection) -> None:
            _add_turns(conn, chat_id, turns, now)
            if expire_before is not None:
                conn.execute(
                    "DELETE FROM turns WHERE chat_id = ? AND created_at < ?", (chat_id, expire_before)
                )
                if sweep:
                    conn.execute("DELETE FROM turns WHERE created_at < ?", (expire_before,))
            if usage is not None:
                user_id, prompt_tokens, output_tokens = usage
                _add_usage(conn, user_id, 1, prompt_tokens, output_tokens)

        await self._writer.transaction(finish)

    async def forget_exchanges(
        self, chat_id: int, user_id: str, *, at: float | None, needles: Sequence[str]
    ) -> list[str]:
        """Erase the exchanges a forgotten memory came from: the chat's turns dated `at` (the
        message it was extracted from, and the answer to it) or holding one of `needles` (its
        text) and the rest of their exchange, and the user's pending memory writes of those
        messages. Returns the user messages erased (for Mem0's own copies); empties the WAL."""
        erased = await self._writer.transaction(
            lambda conn: erase_exchanges(conn, chat_id, user_id, at=at, needles=needles)
        )
        await self.empty_wal()
        return erased

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
        """The update was handled (or given up on): drop its content, keep its id for dedupe.

        For a chat with memory off (incognito) the WAL is emptied at once too: the update's text
        leaves every file now, not at the next automatic checkpoint (the blanked row alone would
        leave the old page in the WAL, also after a `kill -9`).
        """

        def finish(conn: sqlite3.Connection) -> bool:
            row = conn.execute(
                "UPDATE inbox SET state = ?, payload = NULL, finished_at = ? WHERE update_id = ? "
                "RETURNING chat_id",
                ("failed" if failed else "done", time.time(), update_id),
            ).fetchone()
            return row is not None and row[0] is not None and _incognito(conn, int(row[0]))

        if await self._writer.transaction(finish):
            await self.empty_wal()

    async def empty_wal(self) -> None:
        """Move every page out of the WAL into the main file (securely overwritten) and truncate
        the WAL to zero bytes, so no erased or blanked text stays in it."""
        for pause in (0.05, 0.2, 0.5):
            busy, _, _ = await self._writer.call(
                lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            )
            if not busy:
                return
            await asyncio.sleep(pause)
        logger.warning("the WAL could not be emptied (readers kept it busy); the next checkpoint will")

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
        copied. When the new id already has a row (and memories) of its own, the settings and
        turns merge (the new id's settings win), pending writes go to the new user id, and the
        old row stays, marked as moved, until its memories were moved too (`pending_merges`,
        `finish_merge`): until then /forget in the new chat erases them as well. Idempotent.
        """

        await self._writer.transaction(lambda conn: move_chat_rows(conn, old_chat_id, new_chat_id))

    async def pending_merges(self) -> list[tuple[int, str, str]]:
        """Moved chats whose memories still have to join their new chat's: (old chat id, its
        Mem0 user id, the new chat's user id)."""
        rows = await self._rows(
            "SELECT c.chat_id, c.user_id, i.moved_to FROM chats c JOIN inactive_chats i "
            "ON i.chat_id = c.chat_id WHERE i.moved_to IS NOT NULL ORDER BY c.chat_id"
        )
        merges = []
        for chat_id, user_id, moved_to in rows:
            target = await self.user_id_for(int(moved_to))
            merges.append((int(chat_id), str(user_id), target))
        return merges

    async def finish_merge(self, old_chat_id: int, old_user_id: str, new_user_id: str) -> None:
        """The old chat's memories were moved: its row goes, and any write queued for it since."""

        def finish(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE memory_outbox SET user_id = ? WHERE user_id = ?", (new_user_id, old_user_id))
            conn.execute("DELETE FROM chats WHERE chat_id = ?", (old_chat_id,))

        await self._writer.transaction(finish)

    async def merging_user_ids(self, chat_id: int) -> list[str]:
        """Mem0 user ids of chats that moved into this one and still wait for their merge."""
        rows = await self._rows(
            "SELECT c.user_id FROM chats c JOIN inactive_chats i ON i.chat_id = c.chat_id "
            "WHERE i.moved_to = ?",
            (chat_id,),
        )
        return [str(row[0]) for row in rows]

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
        await self.empty_wal()


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


def _incognito(conn: sqlite3.Connection, chat_id: int) -> bool:
    """The chat has memory off (see `Prefs.memory`)."""
    row = conn.execute(
        "SELECT 1 FROM prefs WHERE chat_id = ? AND key = 'memory' AND value = 'off'", (chat_id,)
    ).fetchone()
    return row is not None


def _prefs_from(rows: Iterable[Sequence[Any]]) -> Prefs:
    """Prefs from (key, value) rows; unknown keys and values are ignored (defaults apply)."""
    known = {key: value for key, value in rows if key in Prefs.names() and value in Prefs.choices(key)}
    return replace(Prefs(), **known)


def _recent_turns(conn: sqlite3.Connection, chat_id: int, limit: int) -> list[Turn]:
    if limit <= 0:
        return []
    rows = conn.execute(
        "SELECT role, text, created_at FROM turns WHERE chat_id = ? ORDER BY id DESC LIMIT ?",
        (chat_id, limit),
    ).fetchall()
    return [Turn(role, text, created_at) for role, text, created_at in reversed(rows)]


def _add_turns(conn: sqlite3.Connection, chat_id: int, turns: Sequence[Turn], now: float) -> None:
    if not turns:
        return
    conn.executemany(
        "INSERT INTO turns (chat_id, role, text, created_at) VALUES (?, ?, ?, ?)",
        [(chat_id, turn.role, turn.text, now) for turn in turns],
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
