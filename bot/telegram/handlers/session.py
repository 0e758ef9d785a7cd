"""/new: start a fresh conversation; what is remembered long-term stays."""

from __future__ import annotations

from telegram import Update

from bot.i18n import N_
from bot.telegram.handlers.context import BotContext

NEW_REPLY = N_(
    "Fresh start: I've set our recent conversation aside. I still remember what I know about you "
    "(/memories shows it)."
)


async def new(update: Update, context: BotContext) -> None:
    """Start a new conversation: earlier turns leave the prompt, long-term memory stays."""
    message = update.effective_message
    if message is None:
        return
    await context.chats.start_session(message.chat_id)
    await message.reply_text((await context.words(update)).gettext(NEW_REPLY))
