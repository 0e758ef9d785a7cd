"""/import: bring what another assistant, an earlier server or an export knows into memory.

- Pasted text (whatever its shape): one extraction call with the same guards, grounding and
  de-duplication as a message (bot/advisor/extraction.py); `read_text` returns the facts for a
  preview and stores nothing; `apply_facts` stores them after the person's Import.
- This bot's own /export: memories with their categories and days, reminders with their time
  zones, settings; what is already there is merged, not doubled (`read_export`, `apply_export`).
- A ChatGPT or Claude export: `plan_job` says how many conversations and about how many tokens
  fit under IMPORT_MAX_TOKENS; bot/advisor/import_jobs.py reads them in the background with
  `read_batch` and `apply_facts`.
No Telegram imports.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bot.advisor.export_restore import ExportPlan, ExportRestore, ExportResult, RestoreReminders
from bot.advisor.extraction import Extractor, Fact
from bot.advisor.import_formats import (
    CONVERSATION_CHARS,
    Conversation,
    ImportRejected,
    OwnExport,
)
from bot.advisor.memory_writer import MemoryWriter
from bot.advisor.plans import PlanRunner, fit_facts, normalise
from bot.advisor.recall import RelatedSearch
from bot.advisor.safety import clean, unsafe_reason
from bot.i18n import N_
from bot.memory import MemoryService
from bot.store import ChatTables, MemoryOutbox

BATCH_CHARS = 6_000  # of the person's words read in one extraction call (several short conversations)
BATCH_OVERHEAD_TOKENS = 1_100  # our prompt, related memories and the answer, per call

# TRANSLATORS: what the person pastes into ChatGPT, Claude or Gemini (the person speaks to that
# assistant, so the informal address is natural there); keep it one paragraph.
IMPORT_PROMPT = N_(
    "List everything you know about me: my name, where I live, my work, family, health, diet, "
    "training, goals, habits, preferences and plans, one fact per line, with dates where you know "
    "them. Only facts about me, no advice."
)
# What the extraction sees as the assistant's question the pasted text answers (not shown).
PASTE_CONTEXT = (
    "Please paste what your previous assistant knows about you (its answer is about you, in the "
    "second or third person)."
)
INCOGNITO = N_("Memory is off (incognito), so I import nothing. /prefs memory on turns it back on.")
OVER_LIMIT = N_("Even the newest conversation is over the import limit this bot allows.")


@dataclass(frozen=True, slots=True)
class JobPlan:
    found: int  # conversations with words of the person
    total: int  # the newest ones that fit under the limit
    estimate: int  # tokens for those


class Importer:
    def __init__(
        self,
        *,
        chats: ChatTables,
        outbox: MemoryOutbox,
        memory: MemoryService,
        writer: MemoryWriter,
        extractor: Extractor,
        restore_reminders: RestoreReminders,
        max_tokens: int,
        related_k: int = 10,
    ) -> None:
        self._chats = chats
        self._outbox = outbox
        self._memory = memory
        self._writer = writer
        self._extractor = extractor
        self._plans = PlanRunner(outbox, memory, extractor, related=RelatedSearch(related_k, limit=related_k))
        self._exports = ExportRestore(chats, outbox, memory, writer, restore_reminders)
        self.max_tokens = max_tokens

    async def user_id(self, chat_id: int) -> str:
        return await self._chats.user_id_for(chat_id)

    async def count_tokens(self, usage_user: int, prompt_tokens: int, output_tokens: int) -> None:
        """An import's tokens count in the person's /usage."""
        if prompt_tokens or output_tokens:
            await self._chats.add_tokens(usage_user, prompt_tokens, output_tokens)

    async def check_allowed(self, chat_id: int) -> None:
        """ImportRejected when the chat is incognito (nothing may be stored)."""
        if (await self._chats.get_prefs(chat_id)).memory == "off":
            raise ImportRejected(INCOGNITO)

    # --- pasted text --------------------------------------------------------------------------

    async def read_text(self, chat_id: int, text: str, *, usage_user: int | None) -> list[Fact]:
        """The facts in a pasted text that would change memory, nothing stored; its tokens count
        towards `usage_user`. Raises LLMUnavailable / MemoryUnavailable."""
        await self.check_allowed(chat_id)
        user_id = await self._chats.user_id_for(chat_id)
        plain = plain_text(text)
        facts, prompt_tokens, output_tokens = await self.read_batch(
            user_id, plain, today=datetime.now(UTC).date(), context=PASTE_CONTEXT
        )
        if usage_user is not None:
            await self.count_tokens(usage_user, prompt_tokens, output_tokens)
        known = {
            normalise(item.text) for item in await self._memory.list_memories(user_id, include_expired=True)
        }
        shown: list[Fact] = []
        for fact in facts:
            key = normalise(fact.text)
            if fact.action == "add" and key in known:
                continue  # already remembered word for word
            known.add(key)
            shown.append(fact)
        return shown

    async def read_batch(
        self, user_id: str, text: str, *, today: date, context: str = ""
    ) -> tuple[list[Fact], int, int]:
        """The facts (add / update / merge; "none" left out) in `text` against the user's related
        memories, with the call's tokens. Raises LLMUnavailable / MemoryUnavailable."""
        related = await self._plans.related_memories(user_id, text[:CONVERSATION_CHARS])
        facts, prompt_tokens, output_tokens = await self._extractor.extract_counted(
            text, related, today=today, context=context
        )
        kept = [fact for fact in fit_facts(facts) if fact.action != "none"]
        return kept, prompt_tokens, output_tokens

    async def apply_facts(
        self, chat_id: int, facts: Sequence[Fact], *, source: str, said_at: datetime | None = None
    ) -> int:
        """Store `facts` (read by `read_text` or `read_batch`) as memories of the chat, marked as
        imported from `source` today; return how many changed memory."""
        await self.check_allowed(chat_id)
        user_id = await self._chats.ensure_chat(chat_id)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        origin = {
            "source": "import",
            "imported_from": source,
            "imported_at": now,
            "saved_at": (said_at.isoformat(timespec="seconds") if said_at else now),
        }
        changed = 0
        async with self._writer.paused(user_id):
            # Supersedes and merges one by one (Mem0's update keeps the history); new facts
            # together, one store call per category and expiry (their embeddings in parallel).
            for fact in facts:
                if fact.action != "add":
                    changed += await self._plans.apply_fact(user_id, fact, origin)
            added, count = await self._add_new(user_id, [f for f in facts if f.action == "add"], origin)
            if count > self._writer.max_memories:  # a listing only when over MEMORY_MAX_PER_USER
                await self._writer.enforce_cap(user_id)
        return changed + added

    async def _add_new(
        self, user_id: str, facts: Sequence[Fact], origin: Mapping[str, Any]
    ) -> tuple[int, int]:
        """Add the facts not stored yet word for word (one listing for all); return how many, and
        how many memories the user has now."""
        items = await self._memory.list_memories(user_id, include_expired=True)
        count = len(items)
        known = {normalise(item.text) for item in items}
        groups: dict[tuple[str, date | None], list[str]] = {}
        for fact in facts:
            key = normalise(fact.text)
            if key in known or unsafe_reason(fact.text):
                continue
            known.add(key)
            groups.setdefault((fact.category, fact.expires_on), []).append(fact.text)
        added = 0
        for (category, expires), texts in groups.items():
            expiry = expires.isoformat() if expires else None
            stored = await self._memory.add(
                user_id,
                [{"role": "user", "content": text} for text in texts],
                metadata={"categories": [category], **origin, "expires_at": expiry},
                infer=False,
                expiration_date=expiry,
            )
            await self._outbox.record_memory_ids(user_id, [item.id for item in stored])
            added += len(stored)
        return added, count + added

    # --- this bot's own export (bot/advisor/export_restore.py) ---------------------------------

    async def read_export(self, chat_id: int, export: OwnExport) -> ExportPlan:
        """What importing `export` would add; ImportRejected for another chat's export."""
        await self.check_allowed(chat_id)
        return await self._exports.plan(chat_id, export)

    async def apply_export(self, chat_id: int, plan: ExportPlan) -> ExportResult:
        """Store what `read_export` found. Raises MemoryUnavailable with what was stored kept."""
        await self.check_allowed(chat_id)
        return await self._exports.apply(chat_id, plan)

    # --- a ChatGPT or Claude export -----------------------------------------------------------

    def plan_job(self, conversations: Sequence[Conversation]) -> JobPlan:
        """How many of the (newest first) conversations fit under IMPORT_MAX_TOKENS, and their
        estimated tokens; ImportRejected when not even the first batch does."""
        total = estimate = 0
        for start, end in batches(conversations):
            cost = batch_tokens(conversations[start:end])
            if estimate + cost > self.max_tokens:
                break
            total, estimate = end, estimate + cost
        if total == 0:
            raise ImportRejected(OVER_LIMIT)
        return JobPlan(len(conversations), total, estimate)


def batches(conversations: Sequence[Conversation], start: int = 0) -> list[tuple[int, int]]:
    """[start, end) index ranges of consecutive conversations read in one extraction call each:
    as many as fit in BATCH_CHARS (at least one). The same ranges from any range's start."""
    found: list[tuple[int, int]] = []
    first, chars = start, 0
    for index in range(start, len(conversations)):
        size = len(conversations[index].said) + 2
        if index > first and chars + size > BATCH_CHARS:
            found.append((first, index))
            first, chars = index, 0
        chars += size
    if first < len(conversations):
        found.append((first, len(conversations)))
    return found


def batch_text(conversations: Sequence[Conversation]) -> str:
    return "\n\n".join(conversation.said for conversation in conversations)


def batch_tokens(conversations: Sequence[Conversation]) -> int:
    """About how many tokens one extraction call over these conversations costs (4 characters a
    token, plus our prompt and the answer)."""
    return len(batch_text(conversations)) // 4 + BATCH_OVERHEAD_TOKENS


_MARKUP = re.compile(r"^\s*(?:[-*•+>]+|\d+[.)])\s*")
_HEADING = re.compile(r"^\s*#+\s")


def plain_text(text: str) -> str:
    """A pasted text without headings, "Here is what I know:" lines, list markers or emphasis,
    one line each: what another assistant's markdown answer says about the person, in words."""
    lines = []
    for line in clean(text).splitlines():
        if _HEADING.match(line):
            continue
        line = _MARKUP.sub("", line).replace("**", "").replace("__", "").replace("`", "").strip()
        if line and not line.endswith(":"):
            lines.append(line)
    return "\n".join(lines)
