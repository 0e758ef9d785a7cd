"""Conversation metadata in SQLite (aiosqlite): chats, preferences, recent turns, the memory outbox."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal, get_args

import aiosqlite

logger = logging.getLogger(__name__)

ReplyLength = Literal["short", "medium", "long"]
Units = Literal["metric", "imperial"]

# Ordered migrations: index i brings the schema from version i to i + 1. Never edit a shipped one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE chats (
        chat_id       INTEGER PRIMARY KEY,
        user_id       TEXT    NOT NULL UNIQUE,
        first_seen    REAL    NOT NULL,
        last_seen     REAL    NOT NULL,
        message_count INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE prefs (
        chat_id INTEGER NOT NULL,
        key     TEXT    NOT NULL,
        value   TEXT    NOT NULL,
        PRIMARY KEY (chat_id, key)
    );
    CREATE TABLE turns (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id    INTEGER NOT NULL,
        role       TEXT    NOT NULL CHECK (role IN ('user', 'model')),
        text       TEXT    NOT NULL,
        created_at REAL    NOT NULL
    );
    CREATE INDEX turns_by_chat ON turns (chat_id, id);
    CREATE TABLE memory_outbox (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id       TEXT    NOT NULL,
        payload       TEXT    NOT NULL,
        attempts      INTEGER NOT NULL DEFAULT 0,
        next_attempt  REAL    NOT NULL,
        last_error    TEXT,
        created_at    REAL    NOT NULL
    );
    CREATE INDEX outbox_due ON memory_outbox (next_attempt, id);
    CREATE INDEX outbox_by_user ON memory_outbox (user_id);
    """,
)


@dataclass(frozen=True, slots=True)
class Prefs:
    """A chat's settings; every field has a default, so a new chat needs no row."""

    reply_length: ReplyLength = "medium"
    units: Units = "metric"

    @staticmethod
    def choices(key: str) -> tuple[str, ...]:
        hints = {"reply_length": ReplyLength, "units": Units}
        return get_args(hints[key]) if key in hints else ()

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True, slots=True)
class Chat:
    chat_id: int
    user_id: str
    first_seen: float
    last_seen: float
    message_count: int


@dataclass(frozen=True, slots=True)
class StoredTurn:
    role: Literal["user", "model"]
    text: str
    created_at: float


@dataclass(frozen=True, slots=True)
class PendingWrite:
    id: int
    user_id: str
    payload: dict[str, Any]
    attempts: int


def memory_user_id(chat_id: int) -> str:
    """The Mem0 user id of a Telegram chat (stable, never reused for another chat)."""
    return f"tg-{chat_id}"


class Store:
    """One aiosqlite connection (one writer thread); every write is its own short transaction."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        # One connection is shared by every coroutine: transactions must not interleave on it.
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Store:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        # WAL lets reads proceed during a write; synchronous=NORMAL is durable across a process
        # crash in WAL mode (only an OS crash can lose the last transactions), at a fraction of the
        # fsyncs of FULL. secure_delete overwrites erased rows, so /forget leaves no text behind.
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA busy_timeout=5000",
            "PRAGMA foreign_keys=ON",
            "PRAGMA secure_delete=ON",
        ):
            await conn.execute(pragma)
        store = cls(conn)
        await store._migrate()
        return store

    async def close(self) -> None:
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

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction, taken at once (BEGIN IMMEDIATE) and never interleaved with another."""
        async with self._write_lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def _write(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Cursor:
        async with self._transaction() as conn:
            return await conn.execute(sql, params)

    # --- chats -------------------------------------------------------------------------------

    async def touch_chat(self, chat_id: int) -> Chat:
        """Record a message from the chat (creating its row on first contact) and return the row."""
        now = time.time()
        await self._write(
            """INSERT INTO chats (chat_id, user_id, first_seen, last_seen, message_count)
               VALUES (?, ?, ?, ?, 1)
               ON CONFLICT (chat_id) DO UPDATE
               SET last_seen = excluded.last_seen, message_count = message_count + 1""",
            (chat_id, memory_user_id(chat_id), now, now),
        )
        chat = await self.get_chat(chat_id)
        assert chat is not None
        return chat

    async def get_chat(self, chat_id: int) -> Chat | None:
        async with self._conn.execute("SELECT * FROM chats WHERE chat_id = ?", (chat_id,)) as cursor:
            row = await cursor.fetchone()
        return Chat(**dict(row)) if row else None

    # --- preferences ---------------------------------------------------------------------------

    async def get_prefs(self, chat_id: int) -> Prefs:
        async with self._conn.execute("SELECT key, value FROM prefs WHERE chat_id = ?", (chat_id,)) as cursor:
            rows = await cursor.fetchall()
        values = {row["key"]: row["value"] for row in rows}
        known = {k: v for k, v in values.items() if k in Prefs.names() and v in Prefs.choices(k)}
        return replace(Prefs(), **known)

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

    # --- recent turns (short-term context) -----------------------------------------------------

    async def add_turns(self, chat_id: int, turns: Sequence[tuple[Literal["user", "model"], str]]) -> None:
        now = time.time()
        async with self._transaction() as conn:
            await conn.executemany(
                "INSERT INTO turns (chat_id, role, text, created_at) VALUES (?, ?, ?, ?)",
                [(chat_id, role, text, now) for role, text in turns],
            )
            # Keep a bounded tail per chat: the prompt never needs more than the last few.
            await conn.execute(
                "DELETE FROM turns WHERE chat_id = ? AND id NOT IN "
                "(SELECT id FROM turns WHERE chat_id = ? ORDER BY id DESC LIMIT 100)",
                (chat_id, chat_id),
            )

    async def recent_turns(self, chat_id: int, limit: int) -> list[StoredTurn]:
        """The chat's last `limit` turns, oldest first."""
        if limit <= 0:
            return []
        async with self._conn.execute(
            "SELECT role, text, created_at FROM turns WHERE chat_id = ? ORDER BY id DESC LIMIT ?",
            (chat_id, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [StoredTurn(row["role"], row["text"], row["created_at"]) for row in reversed(list(rows))]

    # --- memory outbox (durable pending writes to long-term memory) ---------------------------

    async def enqueue_memory_write(self, user_id: str, payload: Mapping[str, Any]) -> int:
        cursor = await self._write(
            "INSERT INTO memory_outbox (user_id, payload, next_attempt, created_at) VALUES (?, ?, ?, ?)",
            (user_id, json.dumps(payload, ensure_ascii=False), time.time(), time.time()),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def due_memory_writes(self, limit: int = 20) -> list[PendingWrite]:
        async with self._conn.execute(
            "SELECT id, user_id, payload, attempts FROM memory_outbox WHERE next_attempt <= ? "
            "ORDER BY next_attempt, id LIMIT ?",
            (time.time(), limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [PendingWrite(r["id"], r["user_id"], json.loads(r["payload"]), r["attempts"]) for r in rows]

    async def pending_memory_writes(self, user_id: str | None = None) -> int:
        sql, params = "SELECT COUNT(*) FROM memory_outbox", []
        if user_id is not None:
            sql, params = sql + " WHERE user_id = ?", [user_id]
        async with self._conn.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def make_memory_writes_due(self) -> int:
        """Retry every pending write now (at start: whatever failed before may work again)."""
        cursor = await self._write("UPDATE memory_outbox SET next_attempt = ?", (time.time(),))
        return cursor.rowcount

    async def memory_write_exists(self, write_id: int) -> bool:
        async with self._conn.execute("SELECT 1 FROM memory_outbox WHERE id = ?", (write_id,)) as cursor:
            return await cursor.fetchone() is not None

    async def next_memory_write_at(self) -> float | None:
        async with self._conn.execute("SELECT MIN(next_attempt) FROM memory_outbox") as cursor:
            row = await cursor.fetchone()
        return float(row[0]) if row and row[0] is not None else None

    async def complete_memory_write(self, write_id: int) -> None:
        await self._write("DELETE FROM memory_outbox WHERE id = ?", (write_id,))

    async def retry_memory_write(self, write_id: int, delay: float, error: str) -> None:
        await self._write(
            "UPDATE memory_outbox SET attempts = attempts + 1, next_attempt = ?, last_error = ? WHERE id = ?",
            (time.time() + delay, error[:500], write_id),
        )

    # --- erasure -----------------------------------------------------------------------------

    async def forget_chat(self, chat_id: int) -> None:
        """Erase what we hold about the chat: turns, preferences and pending memory writes."""
        user_id = memory_user_id(chat_id)
        async with self._transaction() as conn:
            await conn.execute("DELETE FROM turns WHERE chat_id = ?", (chat_id,))
            await conn.execute("DELETE FROM prefs WHERE chat_id = ?", (chat_id,))
            await conn.execute("DELETE FROM memory_outbox WHERE user_id = ?", (user_id,))
        # Move the erased pages out of the WAL into the (securely overwritten) main file.
        await self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
