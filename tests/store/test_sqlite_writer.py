"""The writer thread (bot/store/sqlite_writer.py) takes what is queued in batches: each function
still is its own transaction, with its own result or error, and nothing queued is lost at close."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.store.sqlite_writer import SQLiteWriter


async def test_a_batch_keeps_each_transaction_apart(tmp_path: Path) -> None:
    """Writes queued together (while the thread is busy) each commit or roll back on their own:
    the failing ones leave nothing, the others all land, and each caller gets its own result."""
    path = tmp_path / "w.sqlite3"
    writer = await SQLiteWriter.open(path, ["PRAGMA journal_mode=WAL"])
    busy, release = threading.Event(), threading.Event()
    try:
        await writer.write("CREATE TABLE t (x INTEGER)")

        def hold(conn: sqlite3.Connection) -> None:
            busy.set()
            release.wait(10)

        def insert(x: int) -> Callable[[sqlite3.Connection], int]:
            def run(conn: sqlite3.Connection) -> int:
                conn.execute("INSERT INTO t VALUES (?)", (x,))
                if x % 3 == 0:
                    raise ValueError(f"no {x}")
                return x * 10

            return run

        held = asyncio.create_task(writer.call(hold))
        await asyncio.to_thread(busy.wait, 10)
        queued = [asyncio.create_task(writer.transaction(insert(x))) for x in range(1, 13)]
        await asyncio.sleep(0.05)  # all queued behind the one the thread is running
        release.set()
        await held
        results = await asyncio.gather(*queued, return_exceptions=True)
        for x, result in zip(range(1, 13), results, strict=True):
            if x % 3 == 0:
                assert isinstance(result, ValueError)
                assert str(result) == f"no {x}"
            else:
                assert result == x * 10
        with sqlite3.connect(path) as reader:
            stored = [row[0] for row in reader.execute("SELECT x FROM t ORDER BY x")]
        assert stored == [x for x in range(1, 13) if x % 3]
    finally:
        release.set()
        await writer.close()


async def test_a_write_given_up_before_it_ran_is_not_run(tmp_path: Path) -> None:
    """A caller cancelled while its write still waited in the queue: the write is not made (as
    an executor would not have run it); one already running completes."""
    path = tmp_path / "w.sqlite3"
    writer = await SQLiteWriter.open(path, ["PRAGMA journal_mode=WAL"])
    busy, release = threading.Event(), threading.Event()
    try:
        await writer.write("CREATE TABLE t (x INTEGER)")

        def hold(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO t VALUES (1)")
            busy.set()
            release.wait(10)

        running = asyncio.create_task(writer.call(hold))
        await asyncio.to_thread(busy.wait, 10)
        waiting = asyncio.create_task(writer.write("INSERT INTO t VALUES (2)"))
        await asyncio.sleep(0.02)
        waiting.cancel()
        running.cancel()
        release.set()
        await asyncio.gather(running, waiting, return_exceptions=True)
        await writer.write("INSERT INTO t VALUES (3)")
        with sqlite3.connect(path) as reader:
            assert [row[0] for row in reader.execute("SELECT x FROM t ORDER BY x")] == [1, 3]
    finally:
        release.set()
        await writer.close()


async def test_close_runs_what_is_queued_then_refuses_more(tmp_path: Path) -> None:
    """Writes queued before close are made; after close a write raises instead of hanging."""
    path = tmp_path / "w.sqlite3"
    writer = await SQLiteWriter.open(path, ["PRAGMA journal_mode=WAL"])
    await writer.write("CREATE TABLE t (x INTEGER)")
    queued = [asyncio.create_task(writer.write("INSERT INTO t VALUES (?)", (x,))) for x in range(5)]
    await asyncio.sleep(0)
    await writer.close()
    assert [result.rowcount for result in await asyncio.gather(*queued)] == [1] * 5
    with pytest.raises(sqlite3.ProgrammingError):
        await writer.write("INSERT INTO t VALUES (9)")
    with sqlite3.connect(path) as reader:
        assert reader.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 5


async def test_a_database_that_cannot_be_opened_raises_at_open(tmp_path: Path) -> None:
    """Connecting happens on the thread; its failure is raised by open, and no thread is left."""
    with pytest.raises(sqlite3.OperationalError):
        await SQLiteWriter.open(tmp_path / "missing-dir" / "w.sqlite3", [])
    assert not [thread for thread in threading.enumerate() if thread.name == "sqlite-writer"]
