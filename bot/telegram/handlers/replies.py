"""Sending replies: the typing indicator, streamed drafts, and answers formatted as entities."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence

from telegram import InlineKeyboardMarkup, Message
from telegram.constants import ChatAction
from telegram.error import TelegramError

from bot.runtime.tasks import cancel_and_wait
from bot.telegram.formatting import TELEGRAM_TEXT_LIMIT, Chunk, render
from bot.telegram.handlers.context import BotContext

logger = logging.getLogger(__name__)

DRAFT_INTERVAL_SECONDS = 0.6  # at most this often a draft is updated (about 1 message/s per chat)
# The first draft waits this long after the answer's first words: an answer complete by then goes
# out as the final message alone (no draft request, no draft flashing just before the message).
FIRST_DRAFT_DELAY_SECONDS = 0.3
# "typing…" is first sent this long after the answer is started: by then the model's request is on
# its way (the indicator's request no longer goes ahead of it), and an answer ready sooner needs
# no indicator at all. A model answers in 0.5-2 s, so the person still sees it almost at once.
TYPING_DELAY_SECONDS = 0.15


class Typing:
    """Shows "typing…" from TYPING_DELAY_SECONDS on until `stop` (Telegram clears it after ~5 s,
    so it is repeated). Make it inside the running event loop."""

    def __init__(self, context: BotContext, chat_id: int) -> None:
        self._task = asyncio.create_task(self._keep(context, chat_id))

    @staticmethod
    async def _keep(context: BotContext, chat_id: int) -> None:
        await asyncio.sleep(TYPING_DELAY_SECONDS)
        while True:
            with contextlib.suppress(TelegramError):
                await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
            await asyncio.sleep(4.5)

    async def stop(self) -> None:
        """No more "typing…" (again: nothing)."""
        await cancel_and_wait(self._task)


@contextlib.asynccontextmanager
async def typing(context: BotContext, chat_id: int) -> AsyncIterator[None]:
    """`Typing` while the block runs."""
    typist = Typing(context, chat_id)
    try:
        yield
    finally:
        await typist.stop()


async def send_long(
    context: BotContext, message: Message, text: str, *, reply_markup: InlineKeyboardMarkup | None = None
) -> list[Message]:
    """Send Markdown `text` as one or more formatted messages in the chat of `message`."""
    return await send_chunks(context, message, render(text) or [Chunk("…")], reply_markup=reply_markup)


async def send_chunks(
    context: BotContext,
    message: Message,
    chunks: Sequence[Chunk],
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> list[Message]:
    """Send prepared chunks in order (entities, never a parse mode); the markup goes on the last.

    In groups the first chunk replies to the message it answers, so the thread stays readable.
    """
    reply_to = message.message_id if message.chat.type != message.chat.PRIVATE else None
    sent: list[Message] = []
    for index, chunk in enumerate(chunks):
        markup = reply_markup if index == len(chunks) - 1 else None
        out = await context.sender.send_text(
            message.chat_id,
            chunk.text,
            reply_to=reply_to if index == 0 else None,
            entities=list(chunk.entities),
            reply_markup=markup,
            message_thread_id=message.message_thread_id if message.is_topic_message else None,
        )
        if out is not None:
            sent.append(out)
    return sent


class DraftStream:
    """Shows an answer as it is generated with sendMessageDraft (private chats, Bot API 9.5+).

    `update` only records the latest text; a background task sends it at most every
    DRAFT_INTERVAL_SECONDS (the first one FIRST_DRAFT_DELAY_SECONDS after the first words), so
    generation never waits for Telegram. If a draft is refused, the
    stream stops quietly and the final message is still sent normally.
    """

    def __init__(self, context: BotContext, chat_id: int, draft_id: int) -> None:
        self._context = context
        self._chat_id = chat_id
        self._draft_id = draft_id
        self._latest = ""
        self._shown = ""
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._failed = False
        self._task: asyncio.Task[None] | None = None
        self.drafts_sent = 0

    async def update(self, text: str) -> None:
        self._latest = text
        self._changed.set()
        if self._task is None and not self._failed:
            self._task = asyncio.create_task(self._pump())

    async def close(self) -> None:
        """Stop updating (the caller now sends the final message).

        A draft request already on its way is allowed to finish: cancelling it mid-request leaks
        one of PTB's pooled connections, and after enough of them no reply can be sent at all.
        """
        self._closing.set()
        self._changed.set()
        if self._task is not None:
            await self._task

    async def _pump(self) -> None:
        due = time.monotonic() + FIRST_DRAFT_DELAY_SECONDS
        while not self._failed and not self._closing.is_set():
            await self._changed.wait()
            self._changed.clear()
            pause = due - time.monotonic()
            if pause > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), pause)
            if self._closing.is_set():
                return
            text = self._latest
            if text == self._shown:
                continue
            chunks = render(text, TELEGRAM_TEXT_LIMIT)
            if not chunks:
                continue
            try:
                await self._context.bot.send_message_draft(
                    self._chat_id, self._draft_id, chunks[-1].text, entities=list(chunks[-1].entities)
                )
            except TelegramError as exc:
                logger.info(
                    "chat %s: draft refused (%s); sending the answer without streaming", self._chat_id, exc
                )
                self._failed = True
                return
            self._shown = text
            self.drafts_sent += 1
            due = time.monotonic() + DRAFT_INTERVAL_SECONDS
