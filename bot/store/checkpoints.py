"""WAL checkpoints on a thread of their own, so that no write waits for one.

In WAL mode every commit appends to the -wal file, and by default the commit that takes the WAL
past 1,000 pages also copies it into the database file and syncs it to disk, on the writer's
thread. Every write queued behind it waits: in bench/load.py's one-message-at-a-time run, traced,
a few replies in every few hundred were held up 2.5-4.3 ms that way on this machine's disk, and it
takes far longer on an SD card or a busy network volume.

So the writer's connection checkpoints itself only past `WAL_SAFETY_PAGES` (should this thread
fall far behind), and this thread, with a connection of its own, runs a PASSIVE checkpoint
`delay` seconds after a write was committed (at most one per `delay`, none while nothing is
written). A PASSIVE checkpoint takes no lock a writer or a reader waits for: it copies what no
reader still needs and leaves the rest for the next one. The WAL starts over from its beginning
once a checkpoint has copied all of it.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

logger = logging.getLogger(__name__)

# The writer's own automatic checkpoint, as a safety net only: about 40 MB of WAL (4 KB pages).
WAL_SAFETY_PAGES = 10_000
# Seconds from a commit to the checkpoint that copies it: writes committed meanwhile share it.
CHECKPOINT_DELAY_SECONDS = 1.0


class WalCheckpointer:
    """Checkpoints the WAL of the database at `path` on its own thread (see the module's doc).

    `written()` (from any thread, cheap) says a write was committed. `close()` ends the thread;
    the last connection to close checkpoints whatever is left, as SQLite always does."""

    def __init__(
        self, path: Path, pragmas: Sequence[str], *, delay: float = CHECKPOINT_DELAY_SECONDS
    ) -> None:
        self._path = path
        self._pragmas = tuple(pragmas)
        self._delay = delay
        self._state = threading.Condition()
        self._due = False
        self._closed = False
        self.checkpoints = 0  # how many ran (the tests read it)
        self._thread = threading.Thread(target=self._serve, name="sqlite-checkpoints", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def written(self) -> None:
        """A write was committed: copy it into the database file within `delay` seconds."""
        with self._state:
            if not self._due:
                self._due = True
                self._state.notify()

    def _serve(self) -> None:
        try:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=True)
        except sqlite3.Error:
            logger.warning(
                "no checkpoint thread (%s); the writer checkpoints itself", self._path, exc_info=True
            )
            return
        try:
            for pragma in self._pragmas:
                conn.execute(pragma)
            while self._next_due():
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self.checkpoints += 1
                except sqlite3.Error:  # e.g. a full disk: the next write asks again
                    logger.warning("WAL checkpoint failed; retried after the next write", exc_info=True)
        except sqlite3.Error:
            logger.warning("the checkpoint thread stopped; the writer checkpoints itself", exc_info=True)
        finally:
            conn.close()

    def _next_due(self) -> bool:
        """Wait until a write is due for a checkpoint and `delay` has passed; False once closed."""
        with self._state:
            while not self._due and not self._closed:
                self._state.wait()
            if not self._closed:
                self._state.wait_for(lambda: self._closed, timeout=self._delay)
            self._due = False
            return not self._closed

    async def close(self) -> None:
        with self._state:
            self._closed = True
            self._state.notify()
        if self._thread.is_alive():
            await asyncio.to_thread(self._thread.join)
