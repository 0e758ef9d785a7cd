"""The advisor pipeline: recall → compose → generate → remember. No Telegram imports."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from bot import prompts
from bot.llm import GeminiChat, LLMUnavailable
from bot.memory import MemoryItem, MemoryService, MemoryUnavailable
from bot.memory_writer import MemoryWriter
from bot.store import Prefs, Store, memory_user_id

logger = logging.getLogger(__name__)

UNAVAILABLE_REPLY = (
    "Sorry, I can't reach my AI model right now. I've kept your message; please try again in a minute."
)


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    memories_used: int
    recall_failed: bool = False
    generated: bool = True


class Advisor:
    """Answers a chat's message with the help of what it remembers, then remembers what it learned."""

    def __init__(
        self,
        *,
        store: Store,
        memory: MemoryService,
        llm: GeminiChat,
        writer: MemoryWriter,
        persona: str,
        top_k: int = 8,
        recent_turns: int = 6,
    ) -> None:
        self.store = store
        self.memory = memory
        self.llm = llm
        self.writer = writer
        self.persona = persona
        self.top_k = top_k
        self.recent_turns = recent_turns

    async def answer(self, chat_id: int, message: str) -> Answer:
        """Recall, compose and generate; the message is queued (durably) for long-term memory."""
        chat = await self.store.touch_chat(chat_id)
        prefs = await self.store.get_prefs(chat_id)
        memories, recall_failed = await self._recall(chat.user_id, message)
        recent = await self.store.recent_turns(chat_id, self.recent_turns)
        system = prompts.system_prompt(self.persona, prefs, memories)
        # Queued before generating, so a failed or blocked answer still keeps what the user said.
        await self.writer.enqueue(chat.user_id, message, saved_at=datetime.now(UTC))
        try:
            reply = await self.llm.generate(system, prompts.conversation(recent, message))
        except LLMUnavailable as exc:
            logger.warning("chat %s: no answer from the model: %s", chat_id, exc)
            await self.store.add_turns(chat_id, [("user", message)])
            return Answer(UNAVAILABLE_REPLY, len(memories), recall_failed, generated=False)
        if reply.blocked or reply.empty:
            await self.store.add_turns(chat_id, [("user", message)])
        else:
            await self.store.add_turns(chat_id, [("user", message), ("model", reply.text)])
        return Answer(reply.text, len(memories), recall_failed, generated=not (reply.blocked or reply.empty))

    def reply_sent(self) -> None:
        """The reply is out: let the memory writer work now (never before, so nobody waits for it)."""
        self.writer.wake()

    async def _recall(self, user_id: str, message: str) -> tuple[list[MemoryItem], bool]:
        try:
            return await self.memory.search(user_id, message, limit=self.top_k, threshold=0.0), False
        except MemoryUnavailable:
            logger.warning("recall failed for %s; answering without memories", user_id, exc_info=True)
            return [], True

    # --- what the user sees and controls ------------------------------------------------------

    async def memories(self, chat_id: int, query: str | None = None) -> list[MemoryItem]:
        """What is remembered about the chat, or the part of it that matches `query`."""
        user_id = memory_user_id(chat_id)
        if query:
            return await self.memory.search(user_id, query, limit=20, threshold=0.0)
        return await self.memory.list(user_id)

    async def pending_memories(self, chat_id: int) -> int:
        return await self.store.pending_memory_writes(memory_user_id(chat_id))

    async def forget_all(self, chat_id: int) -> None:
        """Erase every memory, turn, preference and pending write of the chat."""
        user_id = memory_user_id(chat_id)
        async with self.writer.paused():
            await self.store.forget_chat(chat_id)
            await self.memory.delete_all(user_id)

    async def forget_one(self, chat_id: int, memory_id: str) -> bool:
        return await self.memory.delete(memory_user_id(chat_id), memory_id)

    async def prefs(self, chat_id: int) -> Prefs:
        return await self.store.get_prefs(chat_id)

    async def set_pref(self, chat_id: int, key: str, value: str) -> Prefs:
        return await self.store.set_pref(chat_id, key, value)
