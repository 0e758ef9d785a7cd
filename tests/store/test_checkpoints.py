"""WAL checkpoints run on their own thread (bot/store/checkpoints.py): a commit does not copy the
WAL into the database file itself (no write waits for that), and the checkpoint thread does it
soon after, so the WAL does not grow without end."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from bot.store.checkpoints import CHECKPOINT_DELAY_SECONDS, WalCheckpointer
from bot.store.database import Database

MB = 1024 * 1024


def _fill(conn: sqlite3.Connection) -> None:
    """About 6 MB in one transaction: past SQLite's default automatic checkpoint (1,000 pages)."""
    conn.executemany("INSERT INTO blobs VALUES (?)", [(bytes([n]) * 100_000,) for n in range(60)])


async def test_a_commit_leaves_the_checkpoint_to_the_thread_which_runs_it_soon(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    try:
        await db.write("CREATE TABLE blobs (b BLOB)")
        before = path.stat().st_size
        started = time.monotonic()
        await db.transaction(_fill)
        # The commit returned without copying its 6 MB into the database file...
        assert path.stat().st_size - before < MB
        # ...the checkpoint thread copies them about CHECKPOINT_DELAY_SECONDS later.
        while path.stat().st_size - before < 5 * MB and time.monotonic() - started < 10:
            await asyncio.sleep(0.05)
        assert path.stat().st_size - before >= 5 * MB
        assert time.monotonic() - started >= CHECKPOINT_DELAY_SECONDS * 0.9
        rows = await db.rows("SELECT count(*) FROM blobs")
        assert rows[0][0] == 60
    finally:
        await db.close()


async def test_writes_committed_together_share_one_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x INTEGER)")
    checkpointer = WalCheckpointer(path, [], delay=0.2)
    checkpointer.start()
    try:
        for _ in range(50):
            checkpointer.written()
        await asyncio.sleep(0.6)
        assert checkpointer.checkpoints == 1
        checkpointer.written()
        await asyncio.sleep(0.4)
        assert checkpointer.checkpoints == 2
    finally:
        await checkpointer.close()
    assert not checkpointer._thread.is_alive()  # close() ends the thread


async def test_close_does_not_wait_for_the_delay(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite3"
    checkpointer = WalCheckpointer(path, [], delay=30)
    checkpointer.start()
    checkpointer.written()
    started = time.monotonic()
    await checkpointer.close()
    assert time.monotonic() - started < 5
    assert checkpointer.checkpoints == 0
