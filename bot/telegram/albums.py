"""Albums (media groups): Telegram sends each picture of an album as its own message, with the
same `media_group_id`; the album is answered once, for all of its pictures.

The first message's handler leads: it waits until no new picture of the album arrived for
`quiet_seconds` (at most `max_wait_seconds`), then answers for all of them. The other messages'
handlers wait until the leader is done, so every update of the album stays in the inbox until the
answer went out (a crash replays the whole album). Album messages are not queued behind their
chat's other messages (bot/telegram/ordering.py), or the leader could never see its followers.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

# An album closed this long ago still swallows late pictures (they were answered with it).
CLOSED_SECONDS = 60.0


@dataclass
class _Album(Generic[T]):
    items: list[T]
    last: float
    done: asyncio.Event = field(default_factory=asyncio.Event)


class Albums(Generic[T]):
    def __init__(self, *, quiet_seconds: float = 0.8, max_wait_seconds: float = 5.0) -> None:
        self.quiet_seconds = quiet_seconds
        self.max_wait_seconds = max_wait_seconds
        self._open: dict[tuple[int, str], _Album[T]] = {}
        self._closed: dict[tuple[int, str], float] = {}

    @contextlib.asynccontextmanager
    async def collect(self, chat_id: int, group_id: str, item: T) -> AsyncIterator[list[T] | None]:
        """For the album's leader: all of its items (answer them inside the block). For the other
        members: None, once the leader's block has ended."""
        key = (chat_id, group_id)
        now = time.monotonic()
        album = self._open.get(key)
        if album is not None:
            album.items.append(item)
            album.last = now
            await album.done.wait()
            yield None
            return
        if self._closed.get(key, -CLOSED_SECONDS) > now - CLOSED_SECONDS:
            yield None  # a straggler of an album already answered
            return
        album = _Album([item], now)
        self._open[key] = album
        try:
            deadline = now + self.max_wait_seconds
            while True:
                now = time.monotonic()
                pause = min(album.last + self.quiet_seconds, deadline) - now
                if pause <= 0:
                    break
                await asyncio.sleep(pause)
            del self._open[key]
            self._closed[key] = time.monotonic()
            self._prune()
            yield list(album.items)
        finally:
            self._open.pop(key, None)
            album.done.set()

    def _prune(self) -> None:
        cutoff = time.monotonic() - CLOSED_SECONDS
        for key in [k for k, at in self._closed.items() if at <= cutoff]:
            del self._closed[key]
