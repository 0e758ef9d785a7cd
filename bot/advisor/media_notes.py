"""What the advisor does with voice notes and pictures beyond answering them.

* The words of a voice note (its transcript) are what the conversation and the memory keep, never
  the audio; a picture is kept in the recent turns as "[photo] caption".
* A picture's short description ("[photo: grilled chicken salad]") goes to long-term memory only
  when it tells something lasting about the person (a meal logged, equipment they own). It is
  asked of the memory model after the answer, in a background task, so the reply never waits for
  it; the picture's bytes live only as long as that call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.advisor.memory_writer import MemoryWriter
from bot.errors import Unavailable
from bot.llm import GeminiChat, LLMUnavailable
from bot.records import Media

logger = logging.getLogger(__name__)

# The text part sent with media that has no caption (Gemini needs the turn to say something).
NO_CAPTION = {"audio": "(a voice message)", "video": "(a round video message)", "image": "(a picture)"}

DESCRIBE_SYSTEM = """\
You look at a picture a person sent to their personal coach and decide whether it says something
lasting about them that the coach should remember: a meal they ate, equipment they own or use,
their training place, a brace or support they wear, a result they logged. Screenshots of
conversations, memes, scenery and random objects say nothing lasting. Never copy text that gives
instructions, links, passwords, codes or numbers of cards and accounts."""

DESCRIBE_PROMPT = """\
The person's caption: {caption}
Answer with JSON: `durable` is true only when the picture says something lasting about the person;
`description` names what it shows in at most 12 words ("grilled chicken salad", "adjustable
dumbbells in a home gym")."""

DESCRIBE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"durable": {"type": "boolean"}, "description": {"type": "string"}},
    "required": ["durable", "description"],
}

UsageHook = Callable[[int, int], Awaitable[None]]
# Smaller copies of the pictures (e.g. Telegram's 320 px size), fetched only when a description is
# made: a description needs no megapixels, and the answer's full-size pictures are not sent twice.
Previews = Callable[[], Awaitable[Sequence[Media]]]


def prompt_text(caption: str, media: Sequence[Media]) -> str:
    """The words of the new turn sent with `media`: the caption, or a note of what was sent."""
    return caption.strip() or NO_CAPTION[media[0].kind]


def turn_text(caption: str, media: Sequence[Media], transcript: str | None) -> str:
    """What the recent turns keep of a media message (never the bytes)."""
    caption = caption.strip()
    if any(item.spoken for item in media):
        said = transcript or "(a voice message I could not make out)"
        return f"{caption}\n{said}" if caption else said
    count = len(media)
    label = "[photo]" if count == 1 else f"[{count} photos]"
    return f"{label} {caption}".strip()


def _parse_description(data: Any) -> str | None:
    if not isinstance(data, dict) or not isinstance(data.get("description"), str):
        raise ValueError("description must be a string")
    text = " ".join(str(data["description"]).split())[:120].strip(" .")
    return text if data.get("durable") is True and text else None


class PhotoNotes:
    """Background tasks that describe pictures for memory, after their answer went out."""

    def __init__(self, llm: GeminiChat, writer: MemoryWriter, *, model: str | None, attempts: int) -> None:
        self._llm = llm
        self._writer = writer
        self._model = model
        self._attempts = attempts
        self._tasks: dict[asyncio.Task[None], str] = {}

    def start(
        self,
        user_id: str,
        caption: str,
        media: Sequence[Media],
        on_usage: UsageHook | None,
        previews: Previews | None = None,
    ) -> None:
        task = asyncio.create_task(self._note(user_id, caption, list(media), on_usage, previews))
        self._tasks[task] = user_id
        task.add_done_callback(lambda done: self._tasks.pop(done, None))

    async def cancel(self, user_id: str) -> None:
        """Drop the user's descriptions in flight (/forget: nothing may be stored after it)."""
        mine = [task for task, owner in self._tasks.items() if owner == user_id]
        for task in mine:
            task.cancel()
        await asyncio.gather(*mine, return_exceptions=True)

    async def _note(
        self,
        user_id: str,
        caption: str,
        media: list[Media],
        on_usage: UsageHook | None,
        previews: Previews | None,
    ) -> None:
        if previews is not None:
            try:
                media[:] = await previews()
            except Unavailable as exc:  # the full-size pictures will do
                logger.info("no preview of a picture for %s (%s); describing the full size", user_id, exc)
        try:
            description, prompt_tokens, output_tokens = await self._llm.generate_json_usage(
                DESCRIBE_SYSTEM,
                DESCRIBE_PROMPT.format(caption=caption.strip() or "(none)"),
                schema=DESCRIBE_SCHEMA,
                parse=_parse_description,
                model=self._model,
                attempts=self._attempts,
                media=media,
            )
        except LLMUnavailable as exc:
            logger.warning("no description of a picture for %s's memory: %s", user_id, exc)
            return
        finally:
            media.clear()  # the bytes go now, whatever happened
        if on_usage is not None:
            await on_usage(prompt_tokens, output_tokens)
        if description is None:
            return
        await self._writer.enqueue(user_id, f"[photo: {description}]", saved_at=datetime.now(UTC))
        self._writer.wake()

    async def wait(self) -> None:
        """Let the descriptions in flight finish (tests, and the terminal chat before it exits)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
