"""One memory write, applied: extraction → a saved plan → Mem0's add / update / delete, step by step.

1. find the user's memories related to the message (`RelatedSearch`: the recall's own search,
   answered from the recall's kept result when nothing changed since);
2. ask our extractor (Gemini structured output) for the facts in the USER's words, each with a
   category, an optional expiry and an action against those memories (add / update / merge / none);
   a fact longer than MAX_FACT_CHARS is split at sentence ends (or shortened at a word);
3. save that plan in the outbox row, then apply it step by step through Mem0 with `infer=False`
   (so Mem0 does no extraction of its own) and Mem0's update/delete (so its history shows each
   supersede and merge), recording progress after each step.

A saved plan is resumed where it stopped, and adds are skipped when the same text is already
stored, so nothing is applied twice. The scheduling (who, when, how many at once) is memory_writer.py's.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from bot.advisor.extraction import Extractor, Fact
from bot.advisor.recall import RelatedSearch
from bot.advisor.safety import unsafe_reason
from bot.llm import LLMBadOutput
from bot.memory import MemoryService
from bot.records import MemoryItem, PendingWrite
from bot.store import MemoryOutbox

# Longer facts are split or shortened: a memory is one fact, read back in prompts and listings.
MAX_FACT_CHARS = 500


class PlanRunner:
    """Applies one outbox write for its user; the caller holds that user's lock."""

    def __init__(
        self, store: MemoryOutbox, memory: MemoryService, extractor: Extractor, *, related: RelatedSearch
    ) -> None:
        self._store = store
        self._memory = memory
        self._extractor = extractor
        self._related = related

    async def run(self, write: PendingWrite) -> bool:
        """Apply the write; True when memory changed (a fact added, replaced or merged).

        Raises LLMUnavailable / LLMBadOutput / MemoryUnavailable with the row left for a retry; a
        bad answer is counted in the row (`bad_answers`) before it is raised.
        """
        payload = dict(write.payload)
        user_id = write.user_id
        saved_at = parse_time(payload.get("saved_at"))
        plan = payload.get("plan")
        if plan is None:
            text = "\n".join(
                str(m.get("content", "")) for m in payload.get("messages", []) if m.get("role") == "user"
            )
            related = await self.related_memories(user_id, text)
            context = "\n".join(
                str(m.get("content", "")) for m in payload.get("messages", []) if m.get("role") == "assistant"
            )
            try:
                facts = await self._extractor.extract(text, related, today=saved_at.date(), context=context)
            except LLMBadOutput:
                payload["bad_answers"] = int(payload.get("bad_answers", 0)) + 1
                await self._store.update_memory_write(write.id, payload)
                raise
            plan = [fact_to_json(fact) for fact in fit_facts(facts)]
            payload.update(plan=plan, done=0)
            if plan:
                # Saved before any step, so a retry applies this plan, not a new (different)
                # answer. A plan without steps is not saved: the write is completed next, and
                # should that fail, nothing of it was applied that a new answer could contradict.
                await self._store.update_memory_write(write.id, payload)
        done = int(payload.get("done", 0))
        for index in range(done, len(plan)):
            if await self._apply_fact(user_id, fact_from_json(plan[index]), write.id, saved_at):
                payload["changed"] = True
            payload["done"] = index + 1
            await self._store.update_memory_write(write.id, payload)
        return bool(payload.get("changed"))

    async def related_memories(self, user_id: str, text: str) -> list[MemoryItem]:
        """The user's memories the facts of `text` may concern, best first."""
        search = self._related
        found = await self._memory.search(
            user_id, text, limit=search.limit, threshold=search.threshold, explain=search.explain
        )
        return found[: search.k]

    async def _apply_fact(self, user_id: str, fact: Fact, write_id: int, saved_at: datetime) -> bool:
        """Apply one step of a plan; True when it changed memory."""
        return await self.apply_fact(
            user_id, fact, {"source": "chat", "saved_at": saved_at.isoformat(), "write_id": write_id}
        )

    async def apply_fact(self, user_id: str, fact: Fact, origin: Mapping[str, Any]) -> bool:
        """Apply one fact (add, or supersede / merge with history kept; an exact duplicate is not
        added twice); `origin` says where it came from ("source", "saved_at", …). True when it
        changed memory. The caller holds the user's writer lock."""
        if unsafe_reason(fact.text):  # a plan saved by an older version is checked again
            return False
        metadata: dict[str, Any] = {
            "categories": [fact.category],
            **origin,
            "expires_at": fact.expires_on.isoformat() if fact.expires_on else None,
        }
        expiry = fact.expires_on.isoformat() if fact.expires_on else None
        if fact.action == "none":
            return False
        if fact.action in ("update", "merge"):
            target, *rest = fact.targets
            if await self._memory.update(
                user_id, target, fact.text, metadata=metadata, expiration_date=expiry
            ):
                for duplicate in rest:
                    await self._memory.delete(user_id, duplicate)
                return True
            # The target is gone (deleted meanwhile): keep the fact as a new memory.
        if await self._already_stored(user_id, fact.text):
            return False
        added = await self._memory.add(
            user_id,
            [{"role": "user", "content": fact.text}],
            metadata=metadata,
            infer=False,
            expiration_date=expiry,
        )
        await self._store.record_memory_ids(user_id, [item.id for item in added])
        return bool(added)

    async def _already_stored(self, user_id: str, text: str) -> bool:
        """The user has a memory with this text (a listing: no embedding call, exact)."""
        key = normalise(text)
        items = await self._memory.list_memories(user_id, limit=10_000, include_expired=True)
        return any(normalise(item.text) == key for item in items)


def normalise(text: str) -> str:
    """Text compared for exact duplicates: lower case, single spaces, no end punctuation."""
    return re.sub(r"\s+", " ", text.strip().rstrip(".!").strip().lower())


def fit_facts(facts: list[Fact], limit: int = MAX_FACT_CHARS) -> list[Fact]:
    """Each fact at most `limit` characters: a longer one is split at sentence ends into facts of
    its category (the first keeps its action), a longer sentence is shortened at a word."""
    fitted: list[Fact] = []
    for fact in facts:
        if len(fact.text) <= limit:
            fitted.append(fact)
            continue
        pieces: list[str] = []
        current = ""
        for sentence in re.split(r"(?<=[.!?;])\s+", fact.text):
            sentence = shorten(sentence, limit)
            if current and len(current) + 1 + len(sentence) > limit:
                pieces.append(current)
                current = sentence
            else:
                current = f"{current} {sentence}".strip()
        if current:
            pieces.append(current)
        fitted.append(replace(fact, text=pieces[0]))
        fitted += [Fact(p, fact.category, "add", (), fact.expires_on) for p in pieces[1:]]
    return fitted


def shorten(text: str, limit: int) -> str:
    """`text` cut at a word to at most `limit` characters, with "…" when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def fact_to_json(fact: Fact) -> dict[str, Any]:
    return {
        "text": fact.text,
        "category": fact.category,
        "action": fact.action,
        "targets": list(fact.targets),
        "expires_on": fact.expires_on.isoformat() if fact.expires_on else None,
    }


def fact_from_json(data: dict[str, Any]) -> Fact:
    expires = data.get("expires_on")
    return Fact(
        text=str(data["text"]),
        category=str(data["category"]),
        action=data.get("action", "add"),
        targets=tuple(str(t) for t in data.get("targets") or ()),
        expires_on=date.fromisoformat(expires) if expires else None,
    )


def parse_time(value: Any) -> datetime:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            parsed = datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC)
