"""The advisor pipeline: recall → compose → generate → remember. No Telegram imports."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.advisor import media_notes, prompts
from bot.advisor.erasures import Erasures
from bot.advisor.incognito import IncognitoTurns
from bot.advisor.memory_writer import MemoryWriter
from bot.advisor.recall import Recaller, RecallStats, needs_memory
from bot.advisor.safety import redact, unsafe_reason
from bot.i18n import N_, choose, translator
from bot.llm import GeminiChat, LLMUnavailable, Reply
from bot.memory import MemoryItem, MemoryService, MemoryUnavailable
from bot.records import Media, MessageContext, Turn
from bot.store import ChatTables

logger = logging.getLogger(__name__)

TURNS_KEPT_AFTER_SESSION = 24 * 3600.0
# Marked for translation; the Telegram side translates an answer that was not generated.
UNAVAILABLE_REPLY = N_(
    "Sorry, I can't reach my AI model right now. I've kept your message; please try again in a minute."
)


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    prompt_tokens: int = 0
    output_tokens: int = 0
    # False when `text` is one of our stand-ins (no model, blocked, empty): the Telegram side
    # translates those into the person's language; the model's own words are shown as they are.
    generated: bool = True
    heard: str | None = None  # a voice note's transcript


class Advisor:
    """Answers a chat's message with the help of what it remembers, then remembers what it learned;
    writes check-ins. What a person sees and controls of their memory (list, edit, forget, export)
    is `MemoryControls` (controls.py), built beside it with the parts they share."""

    def __init__(
        self,
        *,
        chats: ChatTables,
        memory: MemoryService,
        llm: GeminiChat,
        writer: MemoryWriter,
        recaller: Recaller,
        incognito_turns: IncognitoTurns,
        photo_notes: media_notes.PhotoNotes,
        erasures: Erasures,
        persona: str,
        recent_turns: int = 6,
        session_idle_minutes: float = 30.0,
    ) -> None:
        self._chats = chats
        self._memory = memory
        self._llm = llm
        self._writer = writer
        self._recaller = recaller
        self._incognito_turns = incognito_turns
        self._photo_notes = photo_notes
        self._erasures = erasures
        self._persona = persona
        self._recent_turns = recent_turns
        self._session_idle_seconds = session_idle_minutes * 60
        # Recent turns are deleted a day after their session could have ended.
        self._turns_kept_seconds = self._session_idle_seconds + TURNS_KEPT_AFTER_SESSION

    async def answer(
        self,
        chat_id: int,
        message: str,
        *,
        media: Sequence[Media] = (),
        previews: media_notes.Previews | None = None,
        on_text: Callable[[str], Awaitable[None]] | None = None,
        remember: bool = True,
        usage_user: int | None = None,
        acknowledge: int | None = None,
        erasures: int | None = None,
        deliver: Callable[[Answer], Awaitable[object]] | None = None,
    ) -> Answer:
        """Recall, compose and generate; the message is queued (durably) for long-term memory.

        `media` (a voice note, round video or pictures, with `message` as their caption, maybe
        empty) go to the model as inline parts of the message; `previews` gives smaller copies of
        pictures for their description for memory (bot/advisor/media_notes.py). A voice note is
        answered with its transcript (`Answer.heard`), which stands for it in the recent turns
        and in memory. With `on_text` the answer is streamed: it gets the text so far as it grows
        (not for voice notes: their answer comes with the transcript). With `remember` false (a
        message nobody can own) nothing goes to long-term memory. In incognito (the "memory"
        preference off) nothing is recalled and nothing is stored; the recent turns are kept in
        memory only (bot/advisor/incognito.py). With `usage_user` (a Telegram user id) the message
        and its tokens count towards that user's usage, answered or not (the tokens are spent).
        With `acknowledge` (the id of the user's message), the writer's `on_changed` hears of it
        once what it said changed memory. `erasures`: the chat's erasure count when the message
        arrived; if /forget ran since, nothing is stored (erasures.py). `deliver` sends the answer
        before the exchange is kept in the recent turns: the person waits for the reply only."""
        arrived = time.time()  # dates the turns and the memory write alike (see forget_one)
        seen = self._erasures.count(chat_id) if erasures is None else erasures
        context = await self._chats.begin_message(chat_id, self._recent_turns)
        chat, prefs = context.chat, context.prefs
        incognito = prefs.memory == "off"
        spoken = any(item.spoken for item in media)
        # Greetings, thanks and "ok" hold no fact and need none: no lookup and no extraction call.
        worth_memory = bool(message.strip()) and needs_memory(message)
        memories, recent = await self._context(chat_id, context, message, worth_memory, media=bool(media))
        system = prompts.system_prompt(self._persona, prefs, memories)
        storing = remember and not incognito and self._erasures.count(chat_id) == seen
        # The assistant's last message, so a short answer ("Mornings.") can be understood.
        asked = recent[-1].text if recent and recent[-1].role == "model" else ""
        notify = (chat_id, acknowledge) if acknowledge is not None else None
        said_at = datetime.fromtimestamp(arrived, UTC)
        enqueue = self._writer.enqueue if storing and worth_memory else None
        write = enqueue and enqueue(chat.user_id, message, saved_at=said_at, context=asked, notify=notify)
        turns = prompts.conversation(recent, media_notes.prompt_text(message, media) if media else message)
        reply, heard = await self._generate(write, chat_id, system, turns, media, on_text)
        answer = _answer_of(reply, heard)
        storing = storing and self._erasures.count(chat_id) == seen  # not if /forget ran meanwhile
        if storing and heard and needs_memory(heard):
            # What the person said in the voice note goes the way of typed text.
            await self._writer.enqueue(chat.user_id, heard, saved_at=said_at, context=asked, notify=notify)
        if storing and media and not spoken and reply is not None and not reply.blocked:
            self._photo_notes.start(chat.user_id, message, media, self._usage_hook(usage_user), previews)
        said = media_notes.turn_text(message, media, heard) if media else message
        keep = self._finish(chat_id, said, answer, arrived, seen, incognito=incognito, usage_user=usage_user)
        await _deliver_then(deliver, answer, keep)
        return answer

    async def _finish(
        self,
        chat_id: int,
        said: str,
        answer: Answer,
        arrived: float,
        seen: int,
        *,
        incognito: bool,
        usage_user: int | None,
    ) -> None:
        """Keep the exchange in the recent turns (in incognito: in memory only) and count the usage.
        The model saw the message as sent; the turns keep it with its secrets replaced, and the
        answer too, should the model have repeated one. If the chat was erased since the message
        arrived (`seen`: its erasure count then), only the usage counts."""
        keep = [
            Turn("user", redact(said)),
            *([Turn("model", redact(answer.text))] if answer.generated else []),
        ]
        if self._erasures.count(chat_id) != seen:  # /forget ran while this was answered
            keep = []
        usage = None if usage_user is None else (usage_user, answer.prompt_tokens, answer.output_tokens)
        if incognito:
            self._incognito_turns.add(chat_id, keep, time.time())
            keep = []  # nothing of an incognito chat reaches the disk
        await self._chats.finish_message(
            chat_id, keep, usage=usage, at=arrived, expire_before=time.time() - self._turns_kept_seconds
        )

    async def _context(
        self, chat_id: int, context: MessageContext, message: str, worth: bool, *, media: bool
    ) -> tuple[list[MemoryItem], list[Turn]]:
        """What the prompt holds besides the message: the memories recalled for it (none in
        incognito) and the turns of the current session (in incognito, kept in memory only)."""
        user_id = context.chat.user_id
        if context.prefs.memory == "off":
            memories: list[MemoryItem] = []
            earlier = self._incognito_turns.recent(chat_id)
        else:
            self._incognito_turns.drop(chat_id)  # memory is on again: the in-memory turns go
            memories = await self._recall(user_id, message, worth, media=media)
            earlier = context.recent
        recent = current_session(
            earlier,
            now=time.time(),
            idle_seconds=self._session_idle_seconds,
            started_at=context.session_started_at,
        )
        # A memory stored before today's guards (or by another path) never reaches the prompt
        # if it is a secret, an instruction or a link.
        return [item for item in memories if not unsafe_reason(item.text)], recent

    async def _generate(
        self,
        write: Coroutine[Any, Any, int] | None,
        chat_id: int,
        system: str,
        turns: list[Turn],
        media: Sequence[Media],
        on_text: Callable[[str], Awaitable[None]] | None,
    ) -> tuple[Reply | None, str | None]:
        """The model's reply (None when it is unavailable) and, for a voice note, what it heard.
        Meanwhile `write` queues the message for long-term memory (durably, in the outbox): a
        failed or blocked answer still keeps what the user said, and the update stays in the
        inbox until both are done, should the bot stop meanwhile."""
        queued = asyncio.ensure_future(write) if write is not None else None
        try:
            if any(item.spoken for item in media):
                result = await self._llm.hear(system, turns, media)
                return result.reply, result.transcript
            if on_text is None:
                return await self._llm.generate(system, turns, media), None
            return await self._llm.stream_reply(system, turns, on_text, media), None
        except LLMUnavailable as exc:
            logger.warning("chat %s: no answer from the model: %s", chat_id, exc)
            return None, None
        finally:
            if queued is not None:
                await queued

    async def checkin_text(self, chat_id: int, topic: str) -> str:
        """A check-in message about `topic`, written now with the person's current memories, so it
        is never stale ("How did Tuesday's run go? Last week the knee was sore."). Degrades to a
        plain question when memory or the model is unavailable."""
        user_id = await self._chats.user_id_for(chat_id)
        prefs = await self._chats.get_prefs(chat_id)
        # The chat's /prefs language, else English (Telegram's language_code is not kept).
        t = translator(choose(prefs.language if prefs.language != "auto" else None))
        fallback = t.gettext("Checking in about {topic}: how is it going?").format(topic=topic)
        memories: list[MemoryItem] = []
        if prefs.memory != "off":
            memories = await self._recall(user_id, topic, worth=True)
        system = prompts.system_prompt(self._persona, prefs, memories)
        ask = prompts.checkin_request(topic)
        try:
            reply = await self._llm.generate(system, [Turn("user", ask)])
        except LLMUnavailable:
            logger.warning("chat %s: check-in written without the model", chat_id)
            return fallback
        return fallback if reply.blocked or reply.empty or not reply.text.strip() else reply.text.strip()

    def _usage_hook(self, usage_user: int | None) -> media_notes.UsageHook | None:
        if usage_user is None:
            return None

        async def count(prompt_tokens: int, output_tokens: int) -> None:
            await self._chats.add_tokens(usage_user, prompt_tokens, output_tokens)

        return count

    def erasures_of(self, chat_id: int) -> int:
        """How many times the chat was erased so far (note it when a message arrives, see `answer`)."""
        return self._erasures.count(chat_id)

    def reply_sent(self) -> None:
        """The reply is out: let the memory writer work now (never before, so nobody waits for it)."""
        self._writer.wake()

    async def _recall(
        self, user_id: str, message: str, worth: bool, *, media: bool = False
    ) -> list[MemoryItem]:
        if not worth and not media:
            self._recaller.stats.skipped += 1
            return []
        try:
            if not worth:
                # A voice note or picture without words: what it is about is unknown until the
                # model sees it, so the newest memories stand in for a search.
                return await self._memory.list_memories(user_id, limit=self._recaller.top_k)
            return await self._recaller.recall(user_id, message)
        except MemoryUnavailable:
            logger.warning("recall failed for %s; answering without memories", user_id, exc_info=True)
            return []

    @property
    def recall_stats(self) -> RecallStats:
        """How many messages looked memories up and how many skipped it (greetings, thanks)."""
        return self._recaller.stats


async def _deliver_then(
    deliver: Callable[[Answer], Awaitable[object]] | None, answer: Answer, then: Awaitable[None]
) -> None:
    """`deliver(answer)` if given, then `then`, even if delivering raised."""
    try:
        if deliver is not None:
            await deliver(answer)
    finally:
        await then


def _answer_of(reply: Reply | None, heard: str | None) -> Answer:
    if reply is None:
        return Answer(UNAVAILABLE_REPLY, generated=False)
    generated = not (reply.blocked or reply.empty)
    return Answer(reply.text, reply.prompt_tokens, reply.output_tokens, generated=generated, heard=heard)


def current_session(
    turns: Sequence[Turn], *, now: float, idle_seconds: float, started_at: float | None = None
) -> list[Turn]:
    """The tail of `turns` (oldest first) in the current session: after `started_at` (/new) and
    after the last pause longer than `idle_seconds` (also the pause until `now`)."""
    kept: list[Turn] = []
    later = now
    for turn in reversed(turns):
        if later - turn.created_at > idle_seconds:
            break
        if started_at is not None and turn.created_at < started_at:
            break
        kept.append(turn)
        later = turn.created_at
    return kept[::-1]
