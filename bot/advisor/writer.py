"""Durable, retried writes to long-term memory, off the reply's critical path.

Each message worth remembering is first stored in the SQLite outbox. A background task then:
1. finds the user's memories related to the message;
2. asks our extractor (Gemini structured output) for the facts in the USER's words, each with a
   category, an optional expiry and an action against those memories (add / update / merge / none);
3. saves that plan in the outbox row, then applies it step by step through Mem0 with `infer=False`
   (so Mem0 does no extraction of its own) and Mem0's update/delete (so its history shows each
   supersede and merge), recording progress after each step;
4. keeps each user under the memory cap, and deletes the row only when all of that succeeded.

A failure (Gemini down or answering malformed JSON, Mem0 error) leaves the row for a later attempt
with exponential backoff, so a crash or an outage loses nothing; a saved plan is resumed where it
stopped and adds are skipped when the same text is already stored, so nothing is applied twice.
The same loop deletes expired memories for real, about every `expiry_interval` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import UTC, date, datetime
from typing import Any

from bot.advisor.extraction import Extractor, Fact, unsafe_reason
from bot.llm import LLMUnavailable
from bot.memory import MemoryItem, MemoryService, MemoryUnavailable
from bot.records import PendingWrite
from bot.runtime.tasks import cancel_and_wait
from bot.store import Store

logger = logging.getLogger(__name__)

# What goes first when a user is over the cap: expired, then soonest to expire, then the least
# recently confirmed. Health facts (injuries, allergies) are kept longest: forgetting them is unsafe.
KEEP_LONGEST = frozenset({"health"})


class MemoryWriter:
    def __init__(
        self,
        store: Store,
        memory: MemoryService,
        extractor: Extractor,
        *,
        base_delay: float = 5.0,
        max_delay: float = 900.0,
        idle_poll: float = 30.0,
        max_memories: int = 200,
        expiry_interval: float = 3600.0,
        related_k: int = 10,
    ) -> None:
        self._store = store
        self._memory = memory
        self._extractor = extractor
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._idle_poll = idle_poll
        self.max_memories = max_memories
        self._expiry_interval = expiry_interval
        self._related_k = related_k
        self._next_expiry = 0.0
        self._wake = asyncio.Event()
        # Held while a write is applied; /forget takes it so no write can land after an erasure.
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def enqueue(self, user_id: str, text: str, *, saved_at: datetime, context: str = "") -> int:
        """Queue `text` for extraction; `context` is the assistant's message it answers."""
        messages = [{"role": "assistant", "content": context}] if context else []
        messages.append({"role": "user", "content": text})
        payload = {"messages": messages, "saved_at": saved_at.isoformat()}
        return await self._store.enqueue_memory_write(user_id, payload)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="memory-writer")

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The background task (None before start and after stop), for a supervisor to watch."""
        return self._task

    async def stop(self) -> None:
        died = await cancel_and_wait(self._task)
        if died is not None:
            logger.error("the memory writer had died", exc_info=died)
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
                await self._attempt(write)
            attempted += 1
        return attempted

    async def _attempt(self, write: PendingWrite) -> None:
        try:
            await self._apply(write)
        except (MemoryUnavailable, LLMUnavailable) as exc:
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

    async def _apply(self, write: PendingWrite) -> None:
        payload = dict(write.payload)
        user_id = write.user_id
        saved_at = _parse_time(payload.get("saved_at"))
        plan = payload.get("plan")
        if plan is None:
            text = "\n".join(
                str(m.get("content", "")) for m in payload.get("messages", []) if m.get("role") == "user"
            )
            related = await self._memory.search(user_id, text, limit=self._related_k, threshold=0.0)
            context = "\n".join(
                str(m.get("content", "")) for m in payload.get("messages", []) if m.get("role") == "assistant"
            )
            facts = await self._extractor.extract(text, related, today=saved_at.date(), context=context)
            plan = [_fact_to_json(fact) for fact in facts]
            payload.update(plan=plan, done=0)
            # Saved before any step, so a retry applies this plan, not a new (different) answer.
            await self._store.update_memory_write(write.id, payload)
        done = int(payload.get("done", 0))
        for index in range(done, len(plan)):
            await self._apply_fact(user_id, _fact_from_json(plan[index]), write.id, saved_at)
            payload["done"] = index + 1
            await self._store.update_memory_write(write.id, payload)
        if plan:
            await self.enforce_cap(user_id, today=saved_at.date())

    async def _apply_fact(self, user_id: str, fact: Fact, write_id: int, saved_at: datetime) -> None:
        if unsafe_reason(fact.text):  # a plan saved by an older version is checked again
            return
        metadata: dict[str, Any] = {
            "categories": [fact.category],
            "source": "chat",
            "saved_at": saved_at.isoformat(),
            "expires_at": fact.expires_on.isoformat() if fact.expires_on else None,
            "write_id": write_id,
        }
        expiry = fact.expires_on.isoformat() if fact.expires_on else None
        if fact.action == "none":
            return
        if fact.action in ("update", "merge"):
            target, *rest = fact.targets
            if await self._memory.update(
                user_id, target, fact.text, metadata=metadata, expiration_date=expiry
            ):
                for duplicate in rest:
                    await self._memory.delete(user_id, duplicate)
                return
            # The target is gone (deleted meanwhile): keep the fact as a new memory.
        if await self._already_stored(user_id, fact.text):
            return
        added = await self._memory.add(
            user_id,
            [{"role": "user", "content": fact.text}],
            metadata=metadata,
            infer=False,
            expiration_date=expiry,
        )
        await self._store.record_memory_ids(user_id, [item.id for item in added])

    async def _already_stored(self, user_id: str, text: str) -> bool:
        key = normalise(text)
        found = await self._memory.search(user_id, text, limit=5, threshold=0.0)
        return any(normalise(item.text) == key for item in found)

    # --- cap and expiry ------------------------------------------------------------------------

    async def enforce_cap(
        self, user_id: str, *, today: date | None = None, keep: Collection[str] = ()
    ) -> int:
        """Delete the user's memories beyond `max_memories` (see KEEP_LONGEST); return how many.

        Sees every memory of the user (however far over the cap), and is called on every path
        that adds one: the writer's plans and /remember (`Advisor.remember`). Ids in `keep` (the
        memory just saved) are never the ones to go."""
        items = await self._memory.list(user_id, include_expired=True)
        excess = len(items) - self.max_memories
        if excess <= 0:
            return 0
        candidates = [item for item in items if item.id not in keep]
        victims = cap_victims(candidates, excess, today or datetime.now(UTC).date())
        deleted = await self._memory.erase(user_id, [item.id for item in victims])
        await self._store.forget_memory_ids([item.id for item in victims])
        logger.info("memory cap: %d memories of %s deleted (cap %d)", deleted, user_id, self.max_memories)
        return deleted

    async def purge_expired(self, *, today: date | None = None) -> int:
        """Delete, for real, every memory whose expiry date has passed; return how many."""
        today = today or datetime.now(UTC).date()
        total = 0
        for user_id in await self._store.memory_user_ids():
            async with self._lock:
                items = await self._memory.list(user_id, include_expired=True)
                expired = [item.id for item in items if is_expired(item, today)]
                if expired:
                    total += await self._memory.erase(user_id, expired)
                    await self._store.forget_memory_ids(expired)
        if total:
            logger.info("deleted %d expired memories", total)
        return total

    async def _run(self) -> None:
        while True:
            try:
                await self.process_due()
                if time.monotonic() >= self._next_expiry:
                    self._next_expiry = time.monotonic() + self._expiry_interval
                    await self.purge_expired()
                next_at = await self._store.next_memory_write_at()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("memory writer loop failed; retrying")
                next_at = None
            wait = min(self._idle_poll, max(0.05, self._next_expiry - time.monotonic()))
            if next_at is not None:
                wait = max(0.05, min(wait, next_at - time.time()))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()
            self._wake.clear()


def normalise(text: str) -> str:
    """Text compared for exact duplicates: lower case, single spaces, no end punctuation."""
    return re.sub(r"\s+", " ", text.strip().rstrip(".!").strip().lower())


def expires_on(item: MemoryItem) -> date | None:
    value = item.metadata.get("expires_at") or item.metadata.get("expiration_date")
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def is_expired(item: MemoryItem, today: date) -> bool:
    """Past its last day (the same rule as Mem0's `expiration_date`)."""
    last_day = expires_on(item)
    return last_day is not None and last_day < today


def cap_victims(items: Sequence[MemoryItem], count: int, today: date) -> list[MemoryItem]:
    """The `count` memories to delete first: expired, then soonest to expire, then the oldest
    (by last update), health memories after every other category."""

    def order(item: MemoryItem) -> tuple[int, str, str]:
        last_day = expires_on(item)
        if last_day is not None and last_day < today:
            rank = 0
        elif last_day is not None:
            rank = 1
        elif not KEEP_LONGEST.intersection(item.categories):
            rank = 2
        else:
            rank = 3
        return rank, last_day.isoformat() if last_day else "", item.updated_at or item.created_at or ""

    return sorted(items, key=order)[:count]


def _fact_to_json(fact: Fact) -> dict[str, Any]:
    return {
        "text": fact.text,
        "category": fact.category,
        "action": fact.action,
        "targets": list(fact.targets),
        "expires_on": fact.expires_on.isoformat() if fact.expires_on else None,
    }


def _fact_from_json(data: dict[str, Any]) -> Fact:
    expires = data.get("expires_on")
    return Fact(
        text=str(data["text"]),
        category=str(data["category"]),
        action=data.get("action", "add"),
        targets=tuple(str(t) for t in data.get("targets") or ()),
        expires_on=date.fromisoformat(expires) if expires else None,
    )


def _parse_time(value: Any) -> datetime:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            parsed = datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC)
