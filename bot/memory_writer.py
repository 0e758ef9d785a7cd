"""Durable, retried writes to long-term memory, off the reply's critical path.

Each message worth remembering is first stored in the SQLite outbox; a background task hands it to
Mem0 (which extracts the facts with Gemini) and deletes the row only when Mem0 succeeded. A failure
(Gemini down, Mem0 error) leaves the row for a later attempt with exponential backoff, so a crash
or an outage loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from datetime import datetime

from bot.memory import MemoryService, MemoryUnavailable
from bot.store import PendingWrite, Store

logger = logging.getLogger(__name__)


class MemoryWriter:
    def __init__(
        self,
        store: Store,
        memory: MemoryService,
        *,
        base_delay: float = 5.0,
        max_delay: float = 900.0,
        idle_poll: float = 30.0,
    ) -> None:
        self._store = store
        self._memory = memory
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._idle_poll = idle_poll
        self._wake = asyncio.Event()
        # Held while a write is applied; /forget takes it so no write can land after an erasure.
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def enqueue(self, user_id: str, text: str, *, saved_at: datetime) -> int:
        payload = {"messages": [{"role": "user", "content": text}], "saved_at": saved_at.isoformat()}
        return await self._store.enqueue_memory_write(user_id, payload)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="memory-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @contextlib.asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """No write is applied while the block runs (the one in flight finishes first)."""
        async with self._lock:
            yield

    async def drain(self, seconds: float) -> int:
        """Apply every due write now; return how many are still pending (e.g. after failures)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while await self.process_due():
                    pass
        return await self._store.pending_memory_writes()

    async def process_due(self) -> int:
        """Apply the writes that are due; return how many were attempted."""
        attempted = 0
        for write in await self._store.due_memory_writes():
            async with self._lock:
                # /forget may have cancelled it while we waited for the lock.
                if not await self._store.memory_write_exists(write.id):
                    continue
                await self._apply(write)
            attempted += 1
        return attempted

    async def _apply(self, write: PendingWrite) -> None:
        metadata = {"source": "chat", "saved_at": write.payload.get("saved_at")}
        try:
            await self._memory.add(write.user_id, write.payload["messages"], metadata=metadata, infer=True)
        except MemoryUnavailable as exc:
            delay = min(self._max_delay, self._base_delay * 2**write.attempts)
            logger.warning(
                "memory write %d for %s failed (attempt %d), retrying in %.0fs: %s",
                write.id,
                write.user_id,
                write.attempts + 1,
                delay,
                exc,
            )
            await self._store.retry_memory_write(write.id, delay, str(exc))
            return
        await self._store.complete_memory_write(write.id)

    async def _run(self) -> None:
        while True:
            try:
                await self.process_due()
                next_at = await self._store.next_memory_write_at()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("memory writer loop failed; retrying")
                next_at = None
            wait = self._idle_poll
            if next_at is not None:
                wait = max(0.05, min(self._idle_poll, next_at - time.time()))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()
            self._wake.clear()
