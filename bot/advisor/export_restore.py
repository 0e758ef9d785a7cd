"""This bot's own /export file coming back through /import: memories with their categories and the
days they were said, reminders with their time zones, settings. What is already there is merged,
not doubled: a memory with the same text is not added again, a reminder already scheduled is not
added again (bot/followup/restore.py), a setting the chat already changed is kept. No Telegram
imports."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from bot.advisor.grounding import shape_reason
from bot.advisor.import_formats import ImportRejected, OwnExport, as_dict
from bot.advisor.memory_writer import MemoryWriter
from bot.advisor.plans import MAX_FACT_CHARS, normalise, parse_time
from bot.advisor.safety import clean, unsafe_reason
from bot.i18n import N_
from bot.memory import MemoryItem, MemoryService
from bot.records import Prefs
from bot.store import ChatTables, MemoryOutbox

# Reminders from an export: (chat id, the export's reminder rows, apply) → how many are new (and
# were added, when applying).
RestoreReminders = Callable[[int, Sequence[Mapping[str, Any]], bool], Awaitable[int]]

ADDS_AT_ONCE = 8  # memories of an export stored at once (their embeddings are computed in parallel)

OTHER_CHAT = N_("That export is of another chat, so I won't import it here. Nothing was stored.")


@dataclass(frozen=True, slots=True)
class ExportPlan:
    memories: tuple[Mapping[str, Any], ...]  # new ones, cleaned
    known: int  # already remembered (not added again)
    skipped: int  # refused by the guards, expired, or empty
    reminders: tuple[Mapping[str, Any], ...]  # the export's
    new_reminders: int  # of them, how many the chat does not have yet
    preferences: Mapping[str, str]  # the settings that would change


@dataclass(frozen=True, slots=True)
class ExportResult:
    memories: int
    reminders: int
    settings: int


class ExportRestore:
    """Plans and applies the import of an /export file into one chat (`Importer` holds one)."""

    def __init__(
        self,
        chats: ChatTables,
        outbox: MemoryOutbox,
        memory: MemoryService,
        writer: MemoryWriter,
        restore_reminders: RestoreReminders,
    ) -> None:
        self._chats = chats
        self._outbox = outbox
        self._memory = memory
        self._writer = writer
        self._restore_reminders = restore_reminders

    async def plan(self, chat_id: int, export: OwnExport) -> ExportPlan:
        """What importing `export` would add; ImportRejected for another chat's export."""
        if export.chat_id != chat_id:
            raise ImportRejected(OTHER_CHAT)
        user_id = await self._chats.user_id_for(chat_id)
        known_texts = {
            normalise(i.text) for i in await self._memory.list_memories(user_id, include_expired=True)
        }
        today = datetime.now(UTC).date()
        new: list[Mapping[str, Any]] = []
        known = skipped = 0
        for raw in export.memories:
            text = " ".join(clean(str(raw.get("text") or "")).split())
            metadata = as_dict(raw.get("metadata"))
            expires = _day(metadata.get("expires_at") or metadata.get("expiration_date"))
            unusable = not text or len(text) > MAX_FACT_CHARS or unsafe_reason(text) or shape_reason(text)
            if unusable or (expires is not None and expires < today):
                skipped += 1
            elif normalise(text) in known_texts:
                known += 1
            else:
                known_texts.add(normalise(text))
                new.append({**raw, "text": text, "expires_on": expires})
        current = await self._chats.get_prefs(chat_id)
        reminders = await self._restore_reminders(chat_id, export.reminders, False)
        return ExportPlan(
            tuple(new),
            known,
            skipped,
            export.reminders,
            reminders,
            _changed_prefs(current, export.preferences),
        )

    async def apply(self, chat_id: int, plan: ExportPlan) -> ExportResult:
        """Store what `plan` found: memories (with their days and categories), reminders,
        settings. Raises MemoryUnavailable with the memories stored so far kept."""
        user_id = await self._chats.ensure_chat(chat_id)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        slots = asyncio.Semaphore(ADDS_AT_ONCE)

        async def add(raw: Mapping[str, Any]) -> list[MemoryItem]:
            async with slots:
                return await self._add_exported(user_id, raw, now)

        async with self._writer.paused(user_id):
            added = [item for items in await asyncio.gather(*map(add, plan.memories)) for item in items]
            await self._outbox.record_memory_ids(user_id, [item.id for item in added])
            if added:
                await self._writer.enforce_cap(user_id)
        reminders = await self._restore_reminders(chat_id, plan.reminders, True) if plan.reminders else 0
        for key, value in plan.preferences.items():
            await self._chats.set_pref(chat_id, key, value)
        return ExportResult(len(added), reminders, len(plan.preferences))

    async def _add_exported(self, user_id: str, raw: Mapping[str, Any], now: str) -> list[MemoryItem]:
        metadata = as_dict(raw.get("metadata"))
        categories = [str(c) for c in raw.get("categories") or () if isinstance(c, str)][:3]
        said = metadata.get("saved_at") or raw.get("created_at") or now
        expires: date | None = raw.get("expires_on")
        return await self._memory.add(
            user_id,
            [{"role": "user", "content": str(raw["text"])}],
            metadata={
                "categories": categories,
                "source": str(metadata.get("source") or "import"),
                "saved_at": parse_time(said).isoformat(timespec="seconds"),
                "imported_from": "export",
                "imported_at": now,
                "expires_at": expires.isoformat() if expires else None,
            },
            infer=False,
            expiration_date=expires.isoformat() if expires else None,
        )


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _changed_prefs(current: Prefs, imported: Mapping[str, Any]) -> dict[str, str]:
    """The imported settings to apply: valid ones, where this chat still has the default (its own
    choices win). Incognito is never turned on by an import."""
    defaults, now = asdict(Prefs()), asdict(current)
    changed = {}
    for key in Prefs.names():
        value = imported.get(key)
        if key == "memory" or not isinstance(value, str) or value == now[key]:
            continue
        if now[key] == defaults[key] and Prefs.accepts(key, value):
            changed[key] = value
    return changed
