"""Sending replies: the typing indicator, and answers formatted as entities and split to fit."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from telegram import Message
from telegram.constants import ChatAction
from telegram.error import TelegramError

from bot.formatting import Chunk, render
from bot.handlers.context import BotContext


@contextlib.asynccontextmanager
async def typing(context: BotContext, chat_id: int) -> AsyncIterator[None]:
    """Show "typing…" until the block ends (Telegram clears it after ~5 s, so it is repeated)."""

    async def keep_typing() -> None:
        while True:
            with contextlib.suppress(TelegramError):
                await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
            await asyncio.sleep(4.5)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def send_long(message: Message, text: str) -> list[Message]:
    """Send Markdown `text` as one or more formatted messages in the chat of `message`."""
    return await send_chunks(message, render(text) or [Chunk("…")])


async def send_chunks(message: Message, chunks: list[Chunk]) -> list[Message]:
    """Send prepared chunks in order (entities, never a parse mode: nothing can fail to parse)."""
    return [await message.reply_text(chunk.text, entities=list(chunk.entities)) for chunk in chunks]
