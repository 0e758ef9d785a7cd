"""Chats and what belongs to them: preferences, recent turns, sessions, delivery state (blocked,
migrated), usage, and erasing a chat."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from bot.records import (
    Chat,
    MessageContext,
    Prefs,
    Turn,
    Usage,
    memory_user_id,
    utc_day,
)
from bot.runtime.recent import Recent
from bot.store import reminder_tables
from bot.store.chat_moves import move_chat_rows
from bot.store.database import Database, Tables
from bot.store.sources import erase_exchanges

logger = logging.getLogger(__name__)

# Recent turns older than their expiry are deleted from every chat about this often.
TURN_SWEEP_SECONDS = 3600.0
# The chats whose preferences are kept in memory (the most recently used ones).
PREFS_CACHED_CHATS = 4096


class ChatTables(Tables):
    """A chat's row, settings, turns, session, delivery state and usage.

    A chat's preferences are read once and then served from memory (a message asks for them
    several times, each read a hand-over to aiosqlite's thread): one process owns DATA_DIR (its
    lock), and every change of the prefs table goes through this class, which drops the chat's
    copy. At most `prefs_cached` chats are kept, the least recently used go first."""

    def __init__(self, db: Database, *, prefs_cached: int = PREFS_CACHED_CHATS) -> None:
        super().__init__(db)
        self._next_turn_sweep = 0.0  # when expired turns are next deleted from every chat
        self._prefs: Recent[int, Prefs] = Recent(prefs_cached)
        # Counts changes of the prefs table: a read that a change overtook is not kept.
        self._prefs_changes = 0

    async def begin_message(self, chat_id: int, recent: int) -> MessageContext:
        """Record a message from the chat (its row is created on first contact, then counts every
        message) and read its preferences, its last `recent` turns and its session start, all in
        one transaction: one hand-over to the writer thread per message instead of four (each
        costs more CPU than the SQL itself)."""
        now = time.time()
        changes = self._prefs_changes

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

        context = await self._transaction(begin)
        self._keep_prefs(chat_id, context.prefs, changes)
        return context

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

    async def get_prefs(self, chat_id: int) -> Prefs:
        prefs = self._prefs.get(chat_id)
        if prefs is not None:
            return prefs
        changes = self._prefs_changes
        rows = await self._rows("SELECT key, value FROM prefs WHERE chat_id = ?", (chat_id,))
        prefs = _prefs_from(rows)
        self._keep_prefs(chat_id, prefs, changes)
        return prefs

    def _keep_prefs(self, chat_id: int, prefs: Prefs, changes: int) -> None:
        """Keep the chat's prefs read when the prefs table had seen `changes` changes, unless
        one happened since (the read may predate it)."""
        if changes != self._prefs_changes:
            return
        self._prefs.put(chat_id, prefs)

    def _prefs_changed(self, *chat_ids: int) -> None:
        """The chats' prefs rows may have changed (called once the write ended, committed or
        not, even when its caller was cancelled meanwhile): read them again next time."""
        self._prefs_changes += 1
        for chat_id in chat_ids:
            self._prefs.pop(chat_id)

    @property
    def prefs_cached(self) -> int:
        """How many chats' prefs are held in memory now."""
        return len(self._prefs)

    async def set_pref(self, chat_id: int, key: str, value: str) -> Prefs:
        if key not in Prefs.names():
            raise ValueError(f"unknown preference {key!r}")
        if not Prefs.accepts(key, value):
            raise ValueError(f"{key} must be one of {', '.join(Prefs.choices(key))}")
        try:
            await self._write(
                "INSERT INTO prefs (chat_id, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (chat_id, key) DO UPDATE SET value = excluded.value",
                (chat_id, key, value),
            )
        finally:
            self._prefs_changed(chat_id)
        return await self.get_prefs(chat_id)

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

        await self._transaction(finish)

    async def add_tokens(self, user_id: int, prompt_tokens: int, output_tokens: int) -> None:
        """Count tokens spent for the user outside of an answer (a picture described for memory)."""
        await self._transaction(lambda conn: _add_usage(conn, user_id, 0, prompt_tokens, output_tokens))

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
        try:
            await self._transaction(lambda conn: move_chat_rows(conn, old_chat_id, new_chat_id))
        finally:
            self._prefs_changed(old_chat_id, new_chat_id)

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

        await self._transaction(finish)

    async def merging_user_ids(self, chat_id: int) -> list[str]:
        """Mem0 user ids of chats that moved into this one and still wait for their merge."""
        rows = await self._rows(
            "SELECT c.user_id FROM chats c JOIN inactive_chats i ON i.chat_id = c.chat_id "
            "WHERE i.moved_to = ?",
            (chat_id,),
        )
        return [str(row[0]) for row in rows]

    async def forget_exchanges(
        self, chat_id: int, user_id: str, *, at: float | None, needles: Sequence[str]
    ) -> list[str]:
        """Erase the exchanges a forgotten memory came from: the chat's turns dated `at` (the
        message it was extracted from, and the answer to it) or holding one of `needles` (its
        text) and the rest of their exchange, and the user's pending memory writes of those
        messages. Returns the user messages erased (for Mem0's own copies); empties the WAL."""
        erased = await self._transaction(
            lambda conn: erase_exchanges(conn, chat_id, user_id, at=at, needles=needles)
        )
        await self._empty_wal()
        return erased

    async def usage_since(self, user_id: int, first_day: str) -> Usage:
        """The user's totals from `first_day` (YYYY-MM-DD, UTC) to today."""
        row = await self._row(
            "SELECT COALESCE(SUM(messages), 0), COALESCE(SUM(prompt_tokens), 0), "
            "COALESCE(SUM(output_tokens), 0) FROM usage WHERE user_id = ? AND day >= ?",
            (user_id, first_day),
        )
        return Usage(int(row[0]), int(row[1]), int(row[2])) if row else Usage()

    async def exportable(self, chat_id: int, usage_user: int) -> dict[str, Any]:
        """What the chat's tables hold for /export: the chat's record, its recent turns (oldest
        first), and the usage counted for `usage_user` day by day."""
        chat = await self._row(
            "SELECT first_seen, last_seen, message_count FROM chats WHERE chat_id = ?", (chat_id,)
        )
        turns = await self._rows(
            "SELECT role, text, created_at FROM turns WHERE chat_id = ? ORDER BY id", (chat_id,)
        )
        usage = await self._rows(
            "SELECT day, messages, prompt_tokens, output_tokens FROM usage WHERE user_id = ? ORDER BY day",
            (usage_user,),
        )
        return {
            "chat": dict(chat) if chat is not None else None,
            "recent_turns": [dict(row) for row in turns],
            "usage": [dict(row) for row in usage],
        }

    async def start_session(self, chat_id: int, at: float | None = None) -> None:
        """Turns before `at` (default now) no longer belong to the chat's current session."""
        await self._write(
            "INSERT INTO sessions (chat_id, started_at) VALUES (?, ?) "
            "ON CONFLICT (chat_id) DO UPDATE SET started_at = excluded.started_at",
            (chat_id, time.time() if at is None else at),
        )

    async def forget_chat(self, chat_id: int) -> None:
        """Erase what we hold about the chat: turns, preferences, pending memory writes, reminders."""
        user_id = await self.user_id_for(chat_id)

        def forget(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM turns WHERE chat_id = ?", (chat_id,))
            conn.execute("DELETE FROM prefs WHERE chat_id = ?", (chat_id,))
            conn.execute("DELETE FROM memory_outbox WHERE user_id = ?", (user_id,))
            conn.execute("DELETE FROM sessions WHERE chat_id = ?", (chat_id,))
            reminder_tables.forget_chat(conn, chat_id)

        try:
            await self._transaction(forget)
        finally:
            self._prefs_changed(chat_id)
        await self._empty_wal()


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
    known = {key: value for key, value in rows if key in Prefs.names() and Prefs.accepts(key, value)}
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
