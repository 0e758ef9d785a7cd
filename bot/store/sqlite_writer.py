"""The one writer of the bot's SQLite database: its own connection on its own thread.

Each write transaction is one plain function run there between BEGIN IMMEDIATE and COMMIT, so it
costs the event loop one hand-over however many statements it holds. (Through aiosqlite each
statement, and BEGIN and COMMIT, was a hand-over of its own, and a busy event loop held the write
lock for all of them: ~2 ms per transaction under load, the limit of bench/load.py's burst.) The
thread runs one function at a time, so transactions never interleave and need no asyncio lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a single-statement write reports back."""

    rowcount: int
    lastrowid: int | None


class SQLiteWriter:
    """A sqlite3 connection used only by one worker thread; `transaction` runs work there."""

    def __init__(self, executor: ThreadPoolExecutor, conn: sqlite3.Connection) -> None:
        self._executor = executor
        self._conn = conn

    @classmethod
    async def open(cls, path: Path, pragmas: Sequence[str]) -> SQLiteWriter:
        """Connect on the worker thread (the connection may only be used there) and apply `pragmas`."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")

        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(path, isolation_level=None)
            try:
                for pragma in pragmas:
                    conn.execute(pragma)
            except BaseException:
                conn.close()
                raise
            return conn

        try:
            conn = await asyncio.get_running_loop().run_in_executor(executor, connect)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(executor, conn)

    async def call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(connection)` on the writer thread, outside any transaction (e.g. a checkpoint)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, self._conn)

    async def transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(connection)` in one BEGIN IMMEDIATE … COMMIT; roll back if it raises."""

        def run(conn: sqlite3.Connection) -> T:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
                conn.execute("COMMIT")  # may fail too (a full disk): then roll back as well
            except BaseException:
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise
            return result

        return await self.call(run)

    async def write(self, sql: str, params: Sequence[Any] = ()) -> WriteResult:
        """One statement in its own transaction."""

        def run(conn: sqlite3.Connection) -> WriteResult:
            cursor = conn.execute(sql, params)
            return WriteResult(cursor.rowcount, cursor.lastrowid)

        return await self.transaction(run)

    async def close(self) -> None:
        """Close the connection on its thread, then stop the thread."""
        try:
            await self.call(lambda conn: conn.close())
        finally:
            self._executor.shutdown(wait=True)
