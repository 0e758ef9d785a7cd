"""/memories: what is remembered about the chat, or what matches some words."""

from __future__ import annotations

import logging

from telegram import Update

from bot.handlers.context import BotContext
from bot.handlers.replies import send_long
from bot.memory import MemoryItem, MemoryUnavailable

logger = logging.getLogger(__name__)

MEMORY_DOWN_REPLY = "My memory is unavailable right now. Please try again in a few minutes."


async def memories(update: Update, context: BotContext) -> None:
    """Show what is remembered about this chat, or what matches the words given."""
    message = update.effective_message
    if message is None:
        return
    query = " ".join(context.args or []).strip()
    try:
        items = await context.advisor.memories(message.chat_id, query or None)
        pending = await context.advisor.pending_memories(message.chat_id)
    except MemoryUnavailable:
        logger.warning("listing memories failed", exc_info=True)
        await message.reply_text(MEMORY_DOWN_REPLY)
        return
    await send_long(message, render_memories(items, query, pending))


def render_memories(items: list[MemoryItem], query: str, pending: int) -> str:
    if not items:
        text = (
            f'I don\'t remember anything about "{query}".'
            if query
            else "I don't remember anything about you yet. Tell me about your goals and habits!"
        )
    else:
        title = f'What I remember about "{query}":' if query else "What I remember about you:"
        lines = [title, ""]
        lines += [f"{number}. {item.text}" for number, item in enumerate(items, start=1)]
        lines += ["", "/forget erases all of it."]
        text = "\n".join(lines)
    if pending:
        text += f"\n\n({pending} recent message(s) still being processed into memory.)"
    return text
