"""The bot's SQLite database: one aiosqlite connection for reads, the one writer thread for
writes, the ordered migrations run at open; and `Tables`, what each family of tables (chats,
outbox, inbox, reminders) is built on: the database passed to its constructor."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Self, TypeVar

import aiosqlite

from bot.errors import Unavailable
from bot.i18n import N_
from bot.store.checkpoints import WAL_SAFETY_PAGES, WalCheckpointer
from bot.store.schema import CONNECTION_PRAGMAS, MIGRATIONS, check_integrity
from bot.store.sqlite_writer import SQLiteWriter, WriteResult

logger = logging.getLogger(__name__)

T = TypeVar("T")

# SQLite's primary result codes that mean the database cannot be used right now (busy or locked
# past the timeout, read-only, I/O error, disk full, cannot open, out of memory), not a bug in a
# statement or a value SQLite refuses (those are raised as they are).
_OUTAGE_CODES = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_NOMEM,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_PROTOCOL,
    }
)


class StoreUnavailable(Unavailable):
    """The bot's own database cannot be read or written right now (a full disk, a lock held too
    long, an I/O error)."""

    reply = N_("I can't reach my database right now. Please try again in a minute.")
    button_reply = N_(
        "I can't reach my database right now, so nothing was changed yet. Please try again in a minute."
    )


@contextlib.contextmanager
def _outage_is_unavailable() -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as exc:
        if (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in _OUTAGE_CODES:
            raise StoreUnavailable(f"SQLite: {exc}") from exc
        raise


class Database:
    """Reads through one aiosqlite connection; every write is one short transaction run by the
    single writer (bot/store/sqlite_writer.py: its own connection and thread), one hand-over each."""

    def __init__(
        self, conn: aiosqlite.Connection, writer: SQLiteWriter, checkpointer: WalCheckpointer
    ) -> None:
        self._conn = conn
        self._writer = writer
        self._checkpointer = checkpointer

    @classmethod
    async def open(cls, path: Path) -> Self:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        # WAL lets reads proceed during a write; synchronous=NORMAL is durable across a process
        # crash in WAL mode (only an OS crash can lose the last transactions), at a fraction of the
        # fsyncs of FULL. secure_delete overwrites erased rows, so /forget leaves no text behind.
        # The writer's commits leave checkpoints to their own thread (bot/store/checkpoints.py).
        checkpointer = WalCheckpointer(path, CONNECTION_PRAGMAS)
        writer_pragmas = (*CONNECTION_PRAGMAS, f"PRAGMA wal_autocheckpoint={WAL_SAFETY_PAGES}")
        try:
            await check_integrity(conn, path)
            for pragma in ("PRAGMA journal_mode=WAL", *CONNECTION_PRAGMAS):
                await conn.execute(pragma)
            database = cls(
                conn, await SQLiteWriter.open(path, writer_pragmas, checkpointer.written), checkpointer
            )
        except BaseException:
            await conn.close()
            raise
        checkpointer.start()
        try:
            await database._migrate()
        except BaseException:
            await database.close()
            raise
        return database

    async def close(self) -> None:
        try:
            await self._checkpointer.close()
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

    async def write(self, sql: str, params: Sequence[Any] = ()) -> WriteResult:
        """One statement in its own write transaction (BEGIN IMMEDIATE, on the writer thread)."""
        with _outage_is_unavailable():
            return await self._writer.write(sql, params)

    async def transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """`fn(connection)` in one write transaction on the writer thread (one hand-over)."""
        with _outage_is_unavailable():
            return await self._writer.transaction(fn)

    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """A read's rows in one hand-over to aiosqlite's thread (not three: execute, fetch, close)."""
        with _outage_is_unavailable():
            return list(await self._conn.execute_fetchall(sql, params))


class Tables:
    """A family of tables over the one database (given to the constructor): reads through its
    connection, each write one transaction on its writer."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def _write(self, sql: str, params: Sequence[Any] = ()) -> WriteResult:
        return await self._db.write(sql, params)

    async def _transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await self._db.transaction(fn)

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return await self._db.rows(sql, params)

    async def _row(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        rows = await self._db.rows(sql, params)
        return rows[0] if rows else None

    async def _empty_wal(self) -> None:
        await self._db.empty_wal()
