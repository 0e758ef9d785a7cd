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
from bot.store.database import Database

logger = logging.getLogger(__name__)


class ChatTables(Database):
    """A chat's row, settings, turns, session, delivery state and usage."""

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

    async def finish_message(
        self, chat_id: int, turns: Sequence[Turn], *, usage: tuple[int, int, int] | None = None
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

    async def usage_since(self, user_id: int, first_day: str) -> Usage:
        """The user's totals from `first_day` (YYYY-MM-DD, UTC) to today."""
        row = await self._row(
            "SELECT COALESCE(SUM(messages), 0), COALESCE(SUM(prompt_tokens), 0), "
            "COALESCE(SUM(output_tokens), 0) FROM usage WHERE user_id = ? AND day >= ?",
            (user_id, first_day),
        )
        return Usage(int(row[0]), int(row[1]), int(row[2])) if row else Usage()

    async def start_session(self, chat_id: int, at: float | None = None) -> None:
        """Turns before `at` (default now) no longer belong to the chat's current session."""
        await self._write(
            "INSERT INTO sessions (chat_id, started_at) VALUES (?, ?) "
            "ON CONFLICT (chat_id) DO UPDATE SET started_at = excluded.started_at",
            (chat_id, time.time() if at is None else at),
        )

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
