"""A clock the test moves by hand, for the reminder scheduler (bot/runtime/clock.py)."""

from __future__ import annotations

import asyncio
from datetime import datetime


class FakeClock:
    """`now()` stays where the test puts it; `advance` moves it and wakes every sleeper."""

    def __init__(self, start: datetime) -> None:
        self._now = start.timestamp()
        self._sleepers: set[asyncio.Event] = set()

    def now(self) -> float:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment.timestamp()
        for wake in self._sleepers:
            wake.set()

    def advance(self, seconds: float) -> None:
        self._now += seconds
        for wake in self._sleepers:
            wake.set()

    async def sleep_until(self, moment: float, wake: asyncio.Event) -> None:
        self._sleepers.add(wake)
        try:
            while self._now < moment and not wake.is_set():
                await wake.wait()
        finally:
            self._sleepers.discard(wake)
