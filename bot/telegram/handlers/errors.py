"""What nothing else handled: unknown commands and buttons, and the one error handler."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError

from bot.i18n import N_
from bot.telegram.handlers.context import BotContext

logger = logging.getLogger(__name__)

ERROR_REPLY = N_("Sorry, something went wrong on my side. Please try again.")


async def on_unknown_command(update: Update, context: BotContext) -> None:
    """Point to /help for a command we don't have."""
    if update.effective_message is not None:
        _ = (await context.words(update)).gettext
        await update.effective_message.reply_text(_("I don't know that command. /help lists what I can do."))


async def on_unknown_button(update: Update, context: BotContext) -> None:
    """Answer buttons we no longer know, so the client stops its spinner."""
    if update.callback_query is not None:
        _ = (await context.words(update)).gettext
        await update.callback_query.answer(_("That button is out of date."))


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure with its traceback and tell the user, if there is one."""
    logger.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        with contextlib.suppress(TelegramError):
            _ = (await context.words(update)).gettext
            await update.effective_message.reply_text(_(ERROR_REPLY))
