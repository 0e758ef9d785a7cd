"""`KeptReads`: a user's searches and listings kept for a moment, exact until their memories change.

A returning person's message reads their memories twice with the same text: the recall searches
it for the prompt, and moments to seconds later the memory writer searches it again for the
memories the new facts may update (bot/advisor/plans.py asks with the recall's parameters for
that reason). And each recall lists the person's memories (the conversation boost, the context),
the same listing for every message until something changes. The repeats are answered from the
first, unless the user's memories changed in between:

- every change of a user's memories is bracketed by `changing(user_id)`, which forgets what was
  kept of that user when the change starts and when it ends;
- a read only keeps its result if no change of that user started or ended while it ran.

So a kept result is always what the read would return now, as long as every change goes through
this process's MemoryService (our SQLite store: one process owns the file). Something else
writing the same store (a CLI import while the bot runs) could leave a result stale for at most
`seconds`; a memory that expires at midnight, likewise.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager

from bot.records import MemoryItem
from bot.runtime.recent import Recent

# How many results are kept, and for how long (the writer's search comes after the answer, and
# after the writes queued before it: seconds under load).
KEPT_READS = 1_024
KEPT_SECONDS = 60.0
# Users whose last change is remembered (a read in flight during a change must see it).
CHANGES_KEPT = 100_000

Key = tuple[str, Hashable]


class KeptReads:
    """Read results by (user id, the read's parameters); used on the event loop only. With
    `seconds` <= 0 nothing is kept (a backend that others may change too)."""

    def __init__(
        self,
        *,
        entries: int = KEPT_READS,
        seconds: float = KEPT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._results: Recent[Key, tuple[float, tuple[MemoryItem, ...]]] = Recent(entries)
        self._seconds = seconds
        self._clock = clock
        self._counter = 0  # counts every change's start and end, of any user
        self._changed: Recent[str, int] = Recent(CHANGES_KEPT)  # the counter at a user's last change
        self.hits = 0  # reads answered from a kept result

    async def read(
        self, user_id: str, params: Hashable, compute: Callable[[], Awaitable[list[MemoryItem]]]
    ) -> list[MemoryItem]:
        """The kept result of this read, else `compute()`'s (kept, unless a change of the user
        started or ended while it ran)."""
        if self._seconds <= 0:
            return await compute()
        key = (user_id, params)
        kept = self._results.peek(key)
        if kept is not None and self._clock() - kept[0] <= self._seconds:
            self.hits += 1
            return list(kept[1])
        started = self._counter
        items = await compute()
        last = self._changed.peek(user_id)
        if last is None or last <= started:
            self._results.put(key, (self._clock(), tuple(items)))
        return items

    @contextmanager
    def changing(self, user_id: str) -> Iterator[None]:
        """Around a change of the user's memories (successful or not)."""
        self._forget(user_id)
        try:
            yield
        finally:
            self._forget(user_id)

    def _forget(self, user_id: str) -> None:
        self._counter += 1
        self._changed.put(user_id, self._counter)
        for key in self._results:
            if key[0] == user_id:
                self._results.pop(key)
