"""Time, injectable so tests control it: wall-clock moments for what is scheduled at a moment
(reminders), and monotonic time for pauses (the memory writer's 429 pause, the sender's pacing)."""

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

    def monotonic(self) -> float:
        """Seconds from an arbitrary start that never go back: for pauses and rates."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Return after `seconds` of monotonic time."""
        ...


class SystemClock:
    """The real clock: `time.time()`, and a timer (not a poll) to the moment asked."""

    def now(self) -> float:
        return time.time()

    async def sleep_until(self, moment: float, wake: asyncio.Event) -> None:
        delay = min(max(0.0, moment - time.time()), MAX_NAP_SECONDS)
        # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation that
        # arrives as `wake` is set, and the task then sleeps on (a stop waited 60 s for the writer).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await wake.wait()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
