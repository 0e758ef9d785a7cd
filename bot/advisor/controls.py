"""What a person sees and controls of what the advisor remembers: listing and searching, one
memory, correcting it, forgetting one or everything, /remember, /export, and a group's memories
following it when it becomes a supergroup. No Telegram imports."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from bot.advisor import media_notes
from bot.advisor.erasures import Erasures
from bot.advisor.grounding import shape_reason
from bot.advisor.import_formats import EXPORT_FORMAT, EXPORT_VERSION
from bot.advisor.incognito import IncognitoTurns
from bot.advisor.memory_moves import move_memories
from bot.advisor.memory_writer import MemoryWriter
from bot.advisor.recall import Recaller
from bot.advisor.safety import MemoryRefused, clean, unsafe_reason
from bot.i18n import N_
from bot.memory import MemoryItem, MemoryService
from bot.records import memory_user_id, unix_time
from bot.store import ChatTables, MemoryOutbox

logger = logging.getLogger(__name__)


class MemoryControls:
    """What a person does with their memory. Built by the composition root with the parts it
    shares with the `Advisor` (the recaller, the incognito turns, the photo notes in flight)."""

    def __init__(
        self,
        *,
        chats: ChatTables,
        outbox: MemoryOutbox,
        memory: MemoryService,
        writer: MemoryWriter,
        recaller: Recaller,
        incognito_turns: IncognitoTurns,
        photo_notes: media_notes.PhotoNotes,
        erasures: Erasures,
    ) -> None:
        self._chats = chats
        self._outbox = outbox
        self._memory = memory
        self._writer = writer
        self._recaller = recaller
        self._incognito_turns = incognito_turns
        self._photo_notes = photo_notes
        self._erasures = erasures

    async def memories(
        self, chat_id: int, query: str | None = None, category: str | None = None, *, closest: bool = False
    ) -> list[MemoryItem]:
        """What is remembered about the chat (newest first), or the part that matches `query`
        (best first, as relevant as a recall needs; with `closest`, the nearest whatever their
        relevance, for picking one to forget), optionally of one category. Each item's
        `categories` names its group; `bot.advisor.recall.group_by_category` groups a listing for display."""
        user_id = await self._chats.user_id_for(chat_id)
        if query:
            threshold = 0.0 if closest else None  # None: the recall threshold (MEMORY_MIN_SCORE)
            return await self._recaller.search(
                user_id, query, limit=20, category=category, min_score=threshold
            )
        filters = {"categories": category} if category else None
        return await self._memory.list_memories(user_id, filters=filters)

    async def one_memory(self, chat_id: int, memory_id: str) -> MemoryItem | None:
        """One of the chat's memories by id; None when it is not (or no longer) the chat's."""
        return await self._memory.get(await self._chats.user_id_for(chat_id), memory_id)

    async def pending_memories(self, chat_id: int) -> int:
        """How many of the chat's messages are still to be turned into memories."""
        return await self._outbox.pending_memory_writes(await self._chats.user_id_for(chat_id))

    async def parked_memories(self, chat_id: int) -> int:
        """How many of the chat's messages were given up on for now: the model's answers about
        them stayed unusable (kept, retried once at the next start)."""
        return await self._outbox.parked_memory_writes(await self._chats.user_id_for(chat_id))

    async def forget_all(self, chat_id: int) -> None:
        """Erase every memory, turn, preference and pending write of the chat (also the memories
        of a group that became this supergroup, if they were not merged yet)."""
        user_id = await self._chats.user_id_for(chat_id)
        self._erasures.erase(chat_id)  # answers still in flight (an album, a download) store nothing
        self._incognito_turns.drop(chat_id)
        await self._photo_notes.cancel(user_id)
        async with self._writer.paused(user_id):  # only this chat's write in flight is waited for
            await self._chats.forget_chat(chat_id)
            # Also the history of memories deleted earlier (superseded, merged, expired): no file
            # under DATA_DIR keeps the erased text (Mem0's history DB, free pages, WAL included).
            for user in [user_id, *await self._chats.merging_user_ids(chat_id)]:
                known = await self._outbox.known_memory_ids(user)
                await self._memory.erase_user(user, known)
                await self._outbox.forget_memory_ids(known)

    async def forget_one(self, chat_id: int, memory_id: str) -> bool:
        """Erase one memory of the chat (its history too) and what it came from: the exchange it
        was extracted from, in the recent turns, pending writes and Mem0's saved messages, so no
        later prompt carries it. False if it is not this chat's."""
        user_id = await self._chats.user_id_for(chat_id)
        item = await self._memory.get(user_id, memory_id)
        if item is None:
            return False
        # A corrected memory keeps when its source was said ("said_at"): the edit re-dates the text.
        said_at = unix_time(item.metadata.get("said_at") or item.metadata.get("saved_at"))
        async with self._writer.paused(user_id):
            await self._memory.erase(user_id, [memory_id])
            await self._outbox.forget_memory_ids([memory_id])
            # A fact the user typed in (/remember) has no exchange of its own: its text finds
            # the turns and writes that repeat it.
            erased = await self._chats.forget_exchanges(chat_id, user_id, at=said_at, needles=[item.text])
            await self._memory.forget_messages(user_id, [*erased, item.text])
        return True

    async def edit_memory(self, chat_id: int, memory_id: str, text: str) -> MemoryItem | None:
        """Replace one memory's text with the person's own wording, through Mem0's update (its
        history keeps the old text). None when it is not (or no longer) the chat's memory.

        Raises MemoryRefused (a secret, an instruction, a link; or memory is off) and
        MemoryUnavailable (nothing changed).
        """
        # The guards of /remember: no secret, instruction, link or non-fact, invisible characters out.
        text = " ".join(clean(text).split())
        reason = unsafe_reason(text) or shape_reason(text)
        if reason:
            raise MemoryRefused(reason)
        if (await self._chats.get_prefs(chat_id)).memory == "off":
            # TRANSLATORS: why a memory was not corrected (shown in brackets after "I won't store that")
            raise MemoryRefused(N_("memory is off (incognito)"))
        user_id = await self._chats.user_id_for(chat_id)
        item = await self._memory.get(user_id, memory_id)
        if item is None:
            return None
        metadata = {"source": "edit", "saved_at": datetime.now(UTC).isoformat()}
        source_at = item.metadata.get("said_at") or item.metadata.get("saved_at")
        if source_at:  # so 🗑 after ✏️ still finds the exchange the memory came from
            metadata["said_at"] = str(source_at)
        # The expiry stays what it was: the person changed the words, not how long they matter.
        expiry = item.metadata.get("expiration_date") or item.metadata.get("expires_at")
        if not await self._memory.update(
            user_id, memory_id, text, metadata=metadata, expiration_date=str(expiry)[:10] if expiry else None
        ):
            return None
        return await self._memory.get(user_id, memory_id)

    # --- a group that became a supergroup ------------------------------------------------------

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """The chat now has another id (a group became a supergroup): its memories, settings and
        recent turns follow it; if the new id already has memories, the old ones join them.
        Safe to call again (Telegram announces a migration twice, and a send may report it)."""
        async with self._writer.paused():
            await self._chats.migrate_chat(old_chat_id, new_chat_id)
            self._incognito_turns.drop(old_chat_id)
            await self._merge_moved()
            # Memories stored under the new id's default user id before it had a row of its own.
            current, default = await self._chats.user_id_for(new_chat_id), memory_user_id(new_chat_id)
            if current != default and await self._memory.list_memories(
                default, include_expired=True, limit=1
            ):
                await move_memories(self._memory, self._outbox, self._writer, default, current)

    async def finish_moves(self) -> int:
        """Complete merges a crash interrupted (at start); return how many chats were merged."""
        async with self._writer.paused():
            return await self._merge_moved()

    async def _merge_moved(self) -> int:
        merges = await self._chats.pending_merges()
        for old_chat_id, old_user, new_user in merges:
            if old_user != new_user:
                await move_memories(self._memory, self._outbox, self._writer, old_user, new_user)
            await self._chats.finish_merge(old_chat_id, old_user, new_user)
            logger.info("chat %s: memories merged into its new chat's", old_chat_id)
        return len(merges)

    async def remember(self, chat_id: int, fact: str) -> MemoryItem | None:
        """Store `fact` exactly as given (no extraction); None when memory is off (incognito)."""
        if (await self._chats.get_prefs(chat_id)).memory == "off":
            return None
        # Secrets, instructions aimed at the bot, links and non-facts (a bare date, markup, JSON)
        # are never stored, whoever asks; invisible characters are dropped before anything else.
        fact = " ".join(clean(fact).split())
        reason = unsafe_reason(fact) or shape_reason(fact)
        if reason:
            raise MemoryRefused(reason)
        user_id = await self._chats.ensure_chat(chat_id)  # a row, so a group's migration finds it
        async with self._writer.paused(user_id):  # the cap pass sees a settled list (no write in flight)
            saved = await self._memory.add(
                user_id,
                [{"role": "user", "content": fact}],
                metadata={"source": "remember", "saved_at": datetime.now(UTC).isoformat()},
                infer=False,
            )
            await self._outbox.record_memory_ids(user_id, [item.id for item in saved])
            # MEMORY_MAX_PER_USER holds here too, not only for what the writer extracts.
            await self._writer.enforce_cap(user_id, keep=[item.id for item in saved])
        return saved[0] if saved else None

    async def export(self, chat_id: int, usage_user: int | None = None) -> dict[str, Any]:
        """Everything kept about the chat that a person can take away: memories (all of them, the
        newest first), settings, the recent turns, the memory writes still waiting, and the usage
        counted for `usage_user` (the person asking; the chat itself by default)."""
        user_id = await self._chats.user_id_for(chat_id)
        items = await self._memory.list_memories(user_id)
        tables = await self._chats.exportable(chat_id, chat_id if usage_user is None else usage_user)
        return {
            # /import reads every version back (bot/advisor/import_formats.py).
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "chat_id": chat_id,
            "chat": tables["chat"],
            "preferences": asdict(await self._chats.get_prefs(chat_id)),
            "recent_turns": tables["recent_turns"],
            "pending_memory_writes": await self._outbox.memory_writes_of(user_id),
            "usage": tables["usage"],
            "memories": [
                {
                    "id": item.id,
                    "text": item.text,
                    "categories": list(item.categories),
                    "created_at": item.created_at,
                    "updated_at": item.updated_at,
                    "metadata": dict(item.metadata),
                }
                for item in items
            ],
        }
