"""How often one sender may write: a sliding window per sender (RATE_LIMIT_PER_MINUTE, and
/remember's REMEMBER_PER_HOUR), an album counted once, one warning per window. Used by the gate."""

from __future__ import annotations

import time
from collections import deque

WINDOW_SECONDS = 60.0


class RateLimiter:
    """At most `limit` events per key in any `window`-second window (0 = unlimited)."""

    def __init__(self, limit: int, window: float = WINDOW_SECONDS) -> None:
        self.limit = limit
        self.window = window
        self._events: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}
        self._albums: dict[str, float] = {}  # albums already counted, and when

    def allow(self, key: int, now: float | None = None) -> float:
        """0 when allowed (and counted); else the seconds until the next one would be."""
        if self.limit <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return events[0] + self.window - now
        events.append(now)
        if len(self._events) > 10_000:  # forget idle senders now and then
            for idle in [k for k, v in self._events.items() if not v or v[-1] <= now - self.window]:
                del self._events[idle]
        return 0.0

    def allow_message(self, key: int, album: str | None, now: float | None = None) -> float:
        """`allow`, counting an album once: its pictures come as messages with one media_group_id."""
        now = time.monotonic() if now is None else now
        if album is not None:
            if album in self._albums:
                return 0.0
            if len(self._albums) > 1000:
                for old in [a for a, at in self._albums.items() if at <= now - WINDOW_SECONDS]:
                    del self._albums[old]
        wait = self.allow(key, now)
        if album is not None and not wait:
            self._albums[album] = now
        return wait

    def should_warn(self, key: int, now: float | None = None) -> bool:
        """Warn a sender once per window, not once per dropped message."""
        now = time.monotonic() if now is None else now
        if self._warned.get(key, -self.window) > now - self.window:
            return False
        self._warned[key] = now
        return True
