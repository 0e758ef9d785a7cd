"""What nothing else handled: unknown commands and buttons, and the one error handler.

Handlers let the bot's two failures through (bot/errors.py) and this module answers them once:
`Unavailable` (a dependency is down: nothing is reported as done) in the words of its cause (Gemini,
the memory, Telegram, the database, an admin check), and `Refused` (not allowed: the reason is
shown).
"""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError

from bot.errors import Refused, Unavailable
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
    """Tell the user what failed (an outage, a refusal, or our own error) and log it."""
    error = context.error
    if isinstance(error, Unavailable):
        # The cause's own words; a button says nothing was changed.
        logger.warning("unavailable (%s): %s", type(error).__name__, error, exc_info=error)
        reply, alert = error.reply, error.button_reply
    elif isinstance(error, Refused):
        reply = alert = str(error)  # a reason marked for translation where it is raised
    else:
        logger.error("error while handling an update", exc_info=error)
        reply = alert = ERROR_REPLY
    if not isinstance(update, Update):
        return
    with contextlib.suppress(TelegramError):
        _ = (await context.words(update)).gettext
        if update.callback_query is not None:
            await update.callback_query.answer(_(alert), show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(_(reply))
