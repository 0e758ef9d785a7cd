"""Durable, retried writes to long-term memory, off the reply's critical path, many users at once.

Each message worth remembering is first stored in the SQLite outbox; bot/advisor/plans.py turns
one write into memories (extraction, then Mem0's changes). This module decides when:
- writes of different users run at once, at most `concurrency` (MEMORY_WRITE_CONCURRENCY): the
  extraction call (a second or two) is the slow part, so one at a time the bot could remember about
  one message a second for everybody. Mem0's store changes still run one at a time, on the memory
  service's own thread (bot/memory/memory_service.py);
- one user's writes are applied in order, one at a time (each user's oldest write first): a later
  fact may replace an earlier one. `/forget` waits only for that user's write in flight;
- a failure (Gemini or Mem0 down) leaves the row for a later attempt with exponential backoff, so a
  crash or an outage loses nothing; a 429 from Gemini pauses new extractions for the delay it asks
  for and halves how many run at once (each success adds one back) instead of retrying at once;
- a write whose model answers stay unusable `bad_output_attempts` times is parked: kept, counted
  in /memories, retried once at the next start, never in a loop;
- when a write changed memory and its message asked for it (`notify`: private chats), the
  `on_changed` callback hears of it (the Telegram side marks the message with ✍), unless the
  chat turned that off in /prefs.
The same loop keeps each user under the memory cap and deletes expired memories for real, about
every `expiry_interval` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from datetime import UTC, date, datetime
from typing import Any

from bot.advisor.extraction import Extractor
from bot.advisor.plans import PlanRunner, normalise, parse_time
from bot.advisor.recall import RelatedSearch
from bot.advisor.safety import redact
from bot.advisor.upkeep import KEEP_LONGEST, cap_victims, expires_on, is_expired
from bot.errors import RateLimited
from bot.llm import LLMBadOutput, LLMUnavailable
from bot.memory import MemoryService, MemoryUnavailable
from bot.records import PendingWrite
from bot.runtime.clock import Clock, SystemClock
from bot.runtime.tasks import cancel_and_wait
from bot.store import ChatTables, MemoryOutbox

__all__ = ["KEEP_LONGEST", "MemoryWriter", "cap_victims", "expires_on", "is_expired", "normalise"]

logger = logging.getLogger(__name__)

# (chat id, message id) of the message whose write changed memory.
OnChanged = Callable[[int, int], Awaitable[None]]


class MemoryWriter:
    def __init__(
        self,
        outbox: MemoryOutbox,
        chats: ChatTables,
        memory: MemoryService,
        extractor: Extractor,
        *,
        base_delay: float = 5.0,
        max_delay: float = 900.0,
        idle_poll: float = 30.0,
        max_memories: int = 200,
        expiry_interval: float = 3600.0,
        related: RelatedSearch | None = None,
        concurrency: int = 96,
        bad_output_attempts: int = 3,
        on_changed: OnChanged | None = None,
        clock: Clock | None = None,
    ) -> None:
        """`clock`: the time its pauses and backoff are measured in (the system clock by default;
        tests pass one they move by hand). `related`: how a write finds the memories its facts
        may update (`Recaller.related_search`, so the recall's search answers it)."""
        self._outbox = outbox
        self._chats = chats
        self._clock = clock or SystemClock()
        self._memory = memory
        self._plans = PlanRunner(outbox, memory, extractor, related=related or RelatedSearch())
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._idle_poll = idle_poll
        self.max_memories = max_memories
        self._expiry_interval = expiry_interval
        self._next_expiry = 0.0
        self._concurrency = max(1, concurrency)
        self._limit = float(self._concurrency)  # lowered by a 429, raised again by each success
        self._resume_at = 0.0  # the clock's monotonic time before which no write starts (a 429 asked for it)
        self._bad_output_attempts = bad_output_attempts
        self._on_changed = on_changed
        self._wake = asyncio.Event()
        # One worker task per user with writes being applied, and one lock per user: held while
        # one of the user's writes is applied; /forget takes it so nothing lands after an erasure.
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        # paused() without a user: how many such pauses hold, and the writes in flight they wait for.
        self._halts = 0
        # How many pauses (of one user or of everybody) ended so far: a write read from the outbox
        # before one ended is read again before it is applied (the pause may have erased it).
        self._pauses_ended = 0
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._in_flight = 0
        self._settled = asyncio.Event()
        self._settled.set()
        self._task: asyncio.Task[None] | None = None
        self._purge: asyncio.Task[int] | None = None
        self.peak_workers = 0  # most users written at once so far (bench/load.py reports it)

    async def enqueue(
        self,
        user_id: str,
        text: str,
        *,
        saved_at: datetime,
        context: str = "",
        notify: tuple[int, int] | None = None,
    ) -> int:
        """Queue `text` for extraction; `context` is the assistant's message it answers. With
        `notify` = (chat id, message id), `on_changed` hears of it when it changed memory.
        The queue is on disk: it holds the texts with their secrets already replaced
        (`safety.redact`, as the extraction model would see them anyway)."""
        messages = [{"role": "assistant", "content": redact(context)}] if context else []
        messages.append({"role": "user", "content": redact(text)})
        payload: dict[str, Any] = {"messages": messages, "saved_at": saved_at.isoformat()}
        if notify is not None:
            payload["notify"] = {"chat_id": notify[0], "message_id": notify[1]}
        return await self._outbox.enqueue_memory_write(user_id, payload)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="memory-writer")

    @property
    def applying(self) -> int:
        """How many writes are being applied now (past any pause)."""
        return self._in_flight

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The background task (None before start and after stop), for a supervisor to watch."""
        return self._task

    async def stop(self) -> None:
        await cancel_and_wait(self._task, "memory writer")
        self._task = None
        await cancel_and_wait(self._purge)
        for worker in list(self._workers.values()):
            await cancel_and_wait(worker)

    @contextlib.asynccontextmanager
    async def paused(self, user_id: str | None = None) -> AsyncIterator[None]:
        """No write of `user_id` is applied while the block runs (theirs in flight finishes
        first); other users' writes go on. Without a user: no write of anybody's (for the rare
        changes that span users, such as a group's move to a supergroup)."""
        if user_id is not None:
            async with self._lock_for(user_id):
                try:
                    yield
                finally:
                    self._pauses_ended += 1
            return
        self._halts += 1
        self._resumed.clear()
        try:
            while self._in_flight:
                await self._settled.wait()
            yield
        finally:
            self._pauses_ended += 1
            self._halts -= 1
            if not self._halts:
                self._resumed.set()

    @contextlib.asynccontextmanager
    async def _writing(self, user_id: str) -> AsyncIterator[None]:
        """Held while one of the user's writes (or expiry deletions) is applied."""
        async with self._lock_for(user_id):
            while self._halts:
                await self._resumed.wait()
            self._in_flight += 1
            self._settled.clear()
            try:
                yield
            finally:
                self._in_flight -= 1
                if not self._in_flight:
                    self._settled.set()

    def _lock_for(self, user_id: str) -> asyncio.Lock:
        # Kept while someone holds or waits for it (their frame references it), then collected.
        lock = self._locks.get(user_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[user_id] = lock
        return lock

    async def drain(self, seconds: float) -> int:
        """Apply every due write now; return how many are still pending (e.g. after failures)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while True:
                    started = await self.process_due()
                    if self._workers:
                        await asyncio.wait(list(self._workers.values()))
                    elif not started:
                        break
        return await self._outbox.pending_memory_writes()

    async def process_due(self) -> int:
        """Start a worker for each user with a due write, as many as allowed; return how many."""
        started, _ = await self._schedule()
        return started

    async def _schedule(self) -> tuple[int, float | None]:
        """`process_due`, and when (wall clock) the next write not started is due: None when no
        write waits, or when every slot is busy (a finishing worker wakes the loop). One read."""
        paused = self._clock.monotonic() < self._resume_at
        free = 0 if paused else int(self._limit) - len(self._workers)
        if free <= 0 and not paused:
            return 0, None
        pauses_ended = self._pauses_ended
        writes, next_at = await self._outbox.memory_write_schedule(free, skip=set(self._workers))
        started = 0
        for write in writes:
            if write.user_id in self._workers or len(self._workers) >= int(self._limit):
                continue  # taken meanwhile by another caller
            task = asyncio.create_task(self._work(write, pauses_ended), name="memory-write")
            self._workers[write.user_id] = task
            task.add_done_callback(functools.partial(self._worker_done, write.user_id))
            started += 1
        self.peak_workers = max(self.peak_workers, len(self._workers))
        return started, next_at

    def _worker_done(self, user_id: str, task: asyncio.Task[None]) -> None:
        if self._workers.get(user_id) is task:
            del self._workers[user_id]
        if not task.cancelled() and task.exception() is not None:
            logger.error("memory writes of %s failed", user_id, exc_info=task.exception())
        self._wake.set()  # a slot is free

    async def _work(self, head: PendingWrite, read_at: int) -> None:
        """Apply the user's due writes, oldest first, one at a time, starting with `head` (their
        oldest write, read from the outbox when `read_at` pauses had ended)."""
        user_id = head.user_id
        write: PendingWrite | None = head
        while self._clock.monotonic() >= self._resume_at and len(self._workers) <= int(self._limit):
            async with self._writing(user_id):
                if self._pauses_ended != read_at:
                    # A pause (/forget, a move) ended since the write was read: it may have
                    # removed or moved the user's writes, so read the head again under the lock.
                    write = await self._outbox.memory_write_head(user_id)
                if write is None:
                    return
                read_at = self._pauses_ended
                applied, write = await self._attempt(write)
                if not applied:
                    return

    async def _attempt(self, write: PendingWrite) -> tuple[bool, PendingWrite | None]:
        """Apply one write. When it was applied or parked: (True, the user's next write if it is
        due), read with the completion; when the user's writes wait (a failure, a 429): (False, None)."""
        try:
            changed = await self._plans.run(write)
            if changed:
                await self.enforce_cap(write.user_id, today=parse_time(write.payload.get("saved_at")).date())
        except RateLimited as exc:  # Gemini's 429, for the extraction or for an embedding
            delay = exc.retry_after if exc.retry_after is not None else self._base_delay
            self._slow_down(delay)
            logger.warning(
                "memory writes slowed down by a Gemini rate limit: next in %.0fs, at most %d at once",
                delay,
                int(self._limit),
            )
            await self._outbox.retry_memory_write(write.id, delay, str(exc))
            return False, None
        except (MemoryUnavailable, LLMUnavailable) as exc:
            bad = int(write.payload.get("bad_answers", 0)) + 1
            if isinstance(exc, LLMBadOutput) and bad >= self._bad_output_attempts:
                logger.warning(
                    "memory write %d for %s parked: the model's answers were unusable %d times: %s",
                    write.id,
                    write.user_id,
                    bad,
                    exc,
                )
                await self._outbox.park_memory_write(write.id, str(exc))
                return True, await self._outbox.memory_write_head(write.user_id)  # the later ones go on
            delay = min(self._max_delay, self._base_delay * 2**write.attempts)
            logger.warning(
                "memory write %d for %s failed (attempt %d), retrying in %.0fs: %s",
                write.id,
                write.user_id,
                write.attempts + 1,
                delay,
                exc,
            )
            await self._outbox.retry_memory_write(write.id, delay, str(exc))
            return False, None
        except Exception as exc:  # a bug must not make a hot loop of one write: back off as well
            delay = min(self._max_delay, self._base_delay * 2**write.attempts)
            logger.exception(
                "memory write %d for %s failed unexpectedly; retrying in %.0fs",
                write.id,
                write.user_id,
                delay,
            )
            await self._outbox.retry_memory_write(write.id, delay, type(exc).__name__)
            return False, None
        following = await self._outbox.complete_memory_write(write.id)
        self._limit = min(float(self._concurrency), self._limit + 1)
        if changed:
            await self._notify(write)
        return True, following

    def _slow_down(self, delay: float) -> None:
        now = self._clock.monotonic()
        if now >= self._resume_at:  # once per pause: the other writes in flight hit it too
            self._limit = max(1.0, self._limit / 2)
        self._resume_at = max(self._resume_at, now + delay)

    async def _notify(self, write: PendingWrite) -> None:
        notify = write.payload.get("notify")
        if self._on_changed is None or not isinstance(notify, dict):
            return
        chat_id, message_id = int(notify["chat_id"]), int(notify["message_id"])
        prefs = await self._chats.get_prefs(chat_id)
        if prefs.memory != "on" or prefs.reactions != "on":
            return
        try:
            await self._on_changed(chat_id, message_id)
        except Exception:
            logger.warning("could not show chat %s that a message was remembered", chat_id, exc_info=True)

    # --- cap and expiry ------------------------------------------------------------------------

    async def enforce_cap(
        self, user_id: str, *, today: date | None = None, keep: Collection[str] = ()
    ) -> int:
        """Delete the user's memories beyond `max_memories` (see KEEP_LONGEST); return how many.

        Sees every memory of the user (however far over the cap), and is called on every path
        that adds one: the writer's plans and /remember (`Advisor.remember`). Ids in `keep` (the
        memory just saved) are never the ones to go."""
        items = await self._memory.list_memories(user_id, include_expired=True)
        excess = len(items) - self.max_memories
        if excess <= 0:
            return 0
        candidates = [item for item in items if item.id not in keep]
        victims = cap_victims(candidates, excess, today or datetime.now(UTC).date())
        deleted = await self._memory.erase(user_id, [item.id for item in victims])
        await self._outbox.forget_memory_ids([item.id for item in victims])
        logger.info("memory cap: %d memories of %s deleted (cap %d)", deleted, user_id, self.max_memories)
        return deleted

    async def purge_expired(self, *, today: date | None = None) -> int:
        """Delete, for real, every memory whose expiry date has passed; return how many."""
        today = today or datetime.now(UTC).date()
        total = 0
        for user_id in await self._outbox.memory_user_ids():
            async with self._writing(user_id):
                items = await self._memory.list_memories(user_id, include_expired=True)
                expired = [item.id for item in items if is_expired(item, today)]
                if expired:
                    total += await self._memory.erase(user_id, expired)
                    await self._outbox.forget_memory_ids(expired)
        if total:
            logger.info("deleted %d expired memories", total)
        return total

    async def _run(self) -> None:
        while True:
            try:
                _, next_at = await self._schedule()
                now = self._clock.monotonic()
                if now >= self._next_expiry and (self._purge is None or self._purge.done()):
                    self._next_expiry = now + self._expiry_interval
                    # Its own task: it takes each user's lock in turn and must not hold up new writes.
                    self._purge = asyncio.create_task(self.purge_expired(), name="memory-expiry")
                    self._purge.add_done_callback(_log_failure)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("memory writer loop failed; retrying")
                next_at = None
            wait = min(self._idle_poll, max(0.05, self._next_expiry - self._clock.monotonic()))
            if next_at is not None and len(self._workers) < int(self._limit):
                wait = max(0.05, min(wait, next_at - time.time()))  # the outbox keeps wall-clock times
            # All slots busy: a finishing worker wakes the loop. Paused by a 429: not before the end.
            wait = max(wait, self._resume_at - self._clock.monotonic())
            await self._clock.sleep_until(self._clock.now() + wait, self._wake)
            self._wake.clear()


def _log_failure(task: asyncio.Task[int]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("deleting expired memories failed", exc_info=task.exception())
