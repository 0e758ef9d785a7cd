"""A clock the test moves by hand (bot/runtime/clock.py), for the reminder scheduler, the memory
writer's pauses and the sender's pacing: no test waits on the wall clock for them."""

from __future__ import annotations

import asyncio
from datetime import datetime


class FakeClock:
    """`now()` stays where the test puts it; `advance` moves it and wakes every sleeper.

    Monotonic time is the same number (it only moves forward here). With `autojump`, `sleep`
    moves the clock by itself instead of waiting for the test (trio's autojump clock): for code
    that must pause and go on, where the test checks how long it paused (`slept`).
    """

    def __init__(self, start: datetime, *, autojump: bool = False) -> None:
        self._now = start.timestamp()
        self._autojump = autojump
        self._sleepers: dict[asyncio.Event, float] = {}  # wake → the moment it sleeps until
        self.slept: list[float] = []  # every `sleep(seconds)` asked for, in order

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment.timestamp()
        self._wake_all()

    def advance(self, seconds: float) -> None:
        self._now += seconds
        self._wake_all()

    def _wake_all(self) -> None:
        for wake in self._sleepers:
            wake.set()

    async def sleep_until(self, moment: float, wake: asyncio.Event) -> None:
        self._sleepers[wake] = moment
        try:
            while self._now < moment and not wake.is_set():
                await wake.wait()
        finally:
            self._sleepers.pop(wake, None)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if self._autojump:
            self.advance(seconds)
            await asyncio.sleep(0)
            return
        moment = self._now + seconds
        while self._now < moment:
            await self.sleep_until(moment, asyncio.Event())

    def sleeping_until(self) -> list[float]:
        """The moments the sleepers not yet woken wait for."""
        return [moment for wake, moment in self._sleepers.items() if not wake.is_set()]

    def asleep(self) -> int:
        """How many sleepers wait for a later moment and have not been woken (every one of them
        has looked at the time since the clock last moved)."""
        return sum(1 for wake, moment in self._sleepers.items() if moment > self._now and not wake.is_set())
