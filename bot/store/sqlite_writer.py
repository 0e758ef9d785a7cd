"""The one writer of the bot's SQLite database: its own connection on its own thread.

Each write transaction is one plain function run there between BEGIN IMMEDIATE and COMMIT, so it
costs the event loop one hand-over however many statements it holds. (Through aiosqlite each
statement, and BEGIN and COMMIT, was a hand-over of its own, and a busy event loop held the write
lock for all of them: ~2 ms per transaction under load, the limit of bench/load.py's burst.) The
thread runs one function at a time, so transactions never interleave and need no asyncio lock.

The thread takes every function queued when it looks, runs them one after the other (each its own
transaction, committed before the next starts), and hands all their results back to the event loop
in one call: under load, one wake-up of the loop for many writes instead of one each (and none of
an executor's future chaining).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# A function queued for the thread, and the future (of the loop that queued it) for its result.
_Job = tuple[Callable[[sqlite3.Connection], Any], asyncio.Future[Any]]
# What the thread hands back: each job's future with its result or its exception.
_Outcome = tuple[asyncio.Future[Any], Any, BaseException | None]


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a single-statement write reports back."""

    rowcount: int
    lastrowid: int | None


class SQLiteWriter:
    """A sqlite3 connection used only by one thread; `call` and `transaction` run work there."""

    def __init__(
        self, path: Path, pragmas: Sequence[str], on_commit: Callable[[], None] | None = None
    ) -> None:
        self._path = path
        self._pragmas = tuple(pragmas)
        self._on_commit = on_commit  # told on the thread after each batch of jobs (the checkpointer)
        self._jobs: list[_Job] = []
        self._queued = threading.Condition()
        self._closed = False
        self._ended = False  # the thread is done (its connection closed)
        self._on_end: list[asyncio.Future[None]] = []  # close() calls waiting for that
        self._thread = threading.Thread(target=self._serve, name="sqlite-writer", daemon=True)

    @classmethod
    async def open(
        cls, path: Path, pragmas: Sequence[str], on_commit: Callable[[], None] | None = None
    ) -> SQLiteWriter:
        """Start the thread, which connects (the connection is only ever used there) and applies
        `pragmas`; raises what connecting raised. `on_commit` is called on the thread after each
        batch of jobs has run (cheap, must not raise)."""
        writer = cls(path, pragmas, on_commit)
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        writer._jobs.append((lambda conn: None, ready))
        writer._thread.start()
        try:
            await ready
        except BaseException:
            await writer.close()
            raise
        return writer

    def _serve(self) -> None:
        """The thread: connect, then run what is queued, batch by batch, until closed."""
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=True)
            for pragma in self._pragmas:
                conn.execute(pragma)
        except BaseException as exc:
            if conn is not None:
                conn.close()
            self._fail_all(exc)
            return
        try:
            while True:
                with self._queued:
                    while not self._jobs and not self._closed:
                        self._queued.wait()
                    jobs, self._jobs = self._jobs, []
                    if not jobs:  # closed and nothing left
                        return
                _settle_later([(future, *_run(fn, conn, future)) for fn, future in jobs])
                if self._on_commit is not None:
                    self._on_commit()
        finally:
            conn.close()
            self._end()

    def _fail_all(self, exc: BaseException) -> None:
        with self._queued:
            jobs, self._jobs = self._jobs, []
            self._closed = True
        _settle_later([(future, None, exc) for _, future in jobs])
        self._end()

    def _end(self) -> None:
        with self._queued:
            self._ended = True
            waiting, self._on_end = self._on_end, []
        _settle_later([(future, None, None) for future in waiting])

    async def call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(connection)` on the writer thread, outside any transaction (e.g. a checkpoint)."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        with self._queued:
            if self._closed:
                raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
            self._jobs.append((fn, future))
            self._queued.notify()
        return await future

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
        """Run what is queued, close the connection on its thread and end the thread."""
        ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        with self._queued:
            self._closed = True
            if not self._ended:
                self._on_end.append(ended)
                self._queued.notify()
            else:
                ended.set_result(None)
        await ended
        # The thread has settled everything; it may still be returning: close() ends it, as it says.
        if self._thread.is_alive():
            await asyncio.to_thread(self._thread.join)


def _run(
    fn: Callable[[sqlite3.Connection], Any], conn: sqlite3.Connection, future: asyncio.Future[Any]
) -> tuple[Any, BaseException | None]:
    """One job on the thread: its result, or what it raised. A job whose caller is gone already
    (cancelled before the thread reached it) is not run, as an executor would not have run it."""
    if future.cancelled():
        return None, asyncio.CancelledError()
    try:
        return fn(conn), None
    except BaseException as exc:
        return None, exc


def _settle_later(outcomes: list[_Outcome]) -> None:
    """Hand the outcomes to each loop that queued them: one call per loop for the whole batch."""
    by_loop: defaultdict[asyncio.AbstractEventLoop, list[_Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_loop[outcome[0].get_loop()].append(outcome)
    for loop, theirs in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
            loop.call_soon_threadsafe(_settle, theirs)


def _settle(outcomes: list[_Outcome]) -> None:
    """On the loop: each future gets its result or exception (unless its caller gave up)."""
    for future, result, exc in outcomes:
        if future.cancelled():
            continue
        if exc is None:
            future.set_result(result)
        else:
            future.set_exception(exc)
