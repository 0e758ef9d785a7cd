"""/forget: erase everything remembered about the chat, after a confirmation by the asker."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.handlers.context import BotContext, callback_fields
from bot.memory import MemoryUnavailable

logger = logging.getLogger(__name__)


async def forget(update: Update, context: BotContext) -> None:
    """Ask to confirm erasing everything remembered about this chat."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Yes, erase everything", callback_data=f"forget:yes:{user.id}"),
                InlineKeyboardButton("Cancel", callback_data=f"forget:no:{user.id}"),
            ]
        ]
    )
    await message.reply_text(
        "This erases everything I remember about you, our recent conversation and your settings. "
        "It can't be undone. Are you sure?",
        reply_markup=keyboard,
    )


async def on_forget_answer(update: Update, context: BotContext) -> None:
    """Erase (or not) after the confirmation button; only the person who asked may confirm."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    choice, asker = callback_fields(query.data)
    if str(query.from_user.id) != asker:
        await query.answer("Only the person who asked can confirm this.", show_alert=True)
        return
    if choice != "yes":
        await query.answer("Cancelled")
        await query.edit_message_text("Nothing was erased.")
        return
    try:
        await context.advisor.forget_all(query.message.chat.id)
    except MemoryUnavailable:
        logger.warning("erasing memories failed", exc_info=True)
        await query.answer()
        await query.edit_message_text(
            "I couldn't erase your memories because my memory store is unavailable. "
            "Nothing was lost; please try /forget again in a few minutes."
        )
        return
    await query.answer("Erased")
    await query.edit_message_text("Done: I've forgotten everything about you. We're starting fresh.")
