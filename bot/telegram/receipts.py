"""Showing a person that what they said is now remembered, without a new message: ✍ on their message."""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.constants import ReactionEmoji
from telegram.error import TelegramError

logger = logging.getLogger(__name__)

REMEMBERED = ReactionEmoji.WRITING_HAND  # ✍, one of the reactions every bot may set


async def mark_remembered(bot: Bot, chat_id: int, message_id: int) -> None:
    """Put ✍ on the message (the memory writer calls this once the message changed memory).

    A refusal (the message was deleted, reactions are off in the chat) only costs the mark.
    """
    try:
        await bot.set_message_reaction(chat_id, message_id, REMEMBERED)
    except TelegramError as exc:
        logger.info("chat %s: no ✍ reaction (%s)", chat_id, type(exc).__name__)
