"""Wall-clock time for things scheduled at a moment (reminders), injectable so tests control it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Protocol

# The longest single nap: a timer to the next due reminder, re-checked at least this often, so a
# clock that jumps (a suspended machine) is noticed without polling per reminder.
MAX_NAP_SECONDS = 300.0


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (UTC)."""
        ...

    async def sleep_until(self, moment: float, wake: asyncio.Event) -> None:
        """Return at `moment` (epoch seconds), or earlier when `wake` is set."""
        ...


class SystemClock:
    """The real clock: `time.time()`, and a timer (not a poll) to the moment asked."""

    def now(self) -> float:
        return time.time()

    async def sleep_until(self, moment: float, wake: asyncio.Event) -> None:
        delay = min(max(0.0, moment - time.time()), MAX_NAP_SECONDS)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), delay)
