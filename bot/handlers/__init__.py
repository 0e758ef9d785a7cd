"""Telegram-facing handlers, one module per area; `register` attaches them all in order."""

from __future__ import annotations

from typing import Any

from telegram import BotCommand
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.handlers import conversation, errors, forget, intro, memories, prefs
from bot.handlers.context import BotContext
from bot.handlers.conversation import NON_TEXT_REPLY

__all__ = ["COMMANDS", "NON_TEXT_REPLY", "BotContext", "register"]

COMMANDS = (
    BotCommand("start", "What I am and what I remember"),
    BotCommand("help", "How to use me"),
    BotCommand("memories", "What I remember about you (add words to search)"),
    BotCommand("forget", "Erase everything I remember about you"),
    BotCommand("prefs", "Your settings: reply length and units"),
)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Attach every handler; commands first, then buttons, then plain messages."""
    new_message = filters.UpdateType.MESSAGE  # edited messages and channel posts are not answered
    application.add_handler(CommandHandler("start", intro.start, filters=new_message))
    application.add_handler(CommandHandler("help", intro.help_command, filters=new_message))
    application.add_handler(CommandHandler("memories", memories.memories, filters=new_message))
    application.add_handler(CommandHandler("forget", forget.forget, filters=new_message))
    application.add_handler(CommandHandler("prefs", prefs.prefs, filters=new_message))
    application.add_handler(CallbackQueryHandler(forget.on_forget_answer, pattern=r"^forget:"))
    application.add_handler(CallbackQueryHandler(prefs.on_pref_button, pattern=r"^pref:"))
    application.add_handler(CallbackQueryHandler(errors.on_unknown_button))
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.COMMAND, errors.on_unknown_command)
    )
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, conversation.on_text)
    )
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & ~filters.TEXT, conversation.on_other))
    application.add_error_handler(errors.on_error)
