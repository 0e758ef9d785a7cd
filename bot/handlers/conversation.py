"""Plain messages: text is answered by the advisor; anything else gets a polite note."""

from __future__ import annotations

from telegram import Update

from bot.handlers.context import BotContext
from bot.handlers.replies import send_long, typing

NON_TEXT_REPLY = "I can only read text messages for now. Please type your question or update."


async def on_text(update: Update, context: BotContext) -> None:
    """Answer a text message with the advisor's reply."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    async with typing(context, message.chat_id):
        answer = await context.advisor.answer(message.chat_id, message.text)
    await send_long(message, answer.text)
    context.advisor.reply_sent()


async def on_other(update: Update, context: BotContext) -> None:
    """Tell the sender politely that only text is understood."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(NON_TEXT_REPLY)
