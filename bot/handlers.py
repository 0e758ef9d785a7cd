"""Telegram-facing handlers: thin, each one asks the advisor and formats the answer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    ExtBot,
    MessageHandler,
    filters,
)

from bot.formatting import split_text
from bot.memory import MemoryItem, MemoryUnavailable
from bot.store import Prefs

if TYPE_CHECKING:
    from bot.advisor import Advisor

logger = logging.getLogger(__name__)

COMMANDS = (
    BotCommand("start", "What I am and what I remember"),
    BotCommand("help", "How to use me"),
    BotCommand("memories", "What I remember about you (add words to search)"),
    BotCommand("forget", "Erase everything I remember about you"),
    BotCommand("prefs", "Your settings: reply length and units"),
)

START_TEXT = """\
Hi {name}! I'm your AI fitness advisor, and I remember you between conversations.

Tell me about your goals, preferences, injuries and routines, and ask me anything about training, \
recovery or nutrition: I'll tailor my advice to you.

What I remember: facts you tell me about yourself (e.g. "I train at 6am", "my left knee is weak"). \
I keep them so you don't have to repeat yourself.

Your memory, your control:
/memories shows what I remember (/memories knee searches it)
/forget erases all of it for good
/prefs sets reply length and units
/help lists everything"""

HELP_TEXT = """\
Just write to me in plain text: questions, updates, how your training went.

/memories: what I remember about you; /memories <words> searches it
/forget: erase everything I remember about you (asks to confirm)
/prefs: show your settings; /prefs length short|medium|long, /prefs units metric|imperial
/start: what I am

I only read text messages for now."""

NON_TEXT_REPLY = "I can only read text messages for now. Please type your question or update."
ERROR_REPLY = "Sorry, something went wrong on my side. Please try again."
MEMORY_DOWN_REPLY = "My memory is unavailable right now. Please try again in a few minutes."

_PREF_ALIASES = {"length": "reply_length", "reply_length": "reply_length", "units": "units", "unit": "units"}
_PREF_LABELS = {"reply_length": "Reply length", "units": "Units"}


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The handlers' context, with the advisor the application was built with."""

    @property
    def advisor(self) -> Advisor:
        advisor: Advisor = self.bot_data["advisor"]
        return advisor


# --- conversation ----------------------------------------------------------------------------


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


async def send_long(message: Message, text: str) -> None:
    for chunk in split_text(text) or ["…"]:
        await message.reply_text(chunk)


# --- commands ---------------------------------------------------------------------------------


async def start(update: Update, context: BotContext) -> None:
    """Introduce the bot and what it remembers."""
    user = update.effective_user
    name = user.first_name if user else "there"
    if update.effective_message:
        await update.effective_message.reply_text(START_TEXT.format(name=name))


async def help_command(update: Update, context: BotContext) -> None:
    """List the commands."""
    if update.effective_message:
        await update.effective_message.reply_text(HELP_TEXT)


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


async def prefs(update: Update, context: BotContext) -> None:
    """Show the settings, or set one: /prefs length short, /prefs units imperial."""
    message = update.effective_message
    if message is None:
        return
    args = [a.lower() for a in context.args or []]
    chat_id = message.chat_id
    if args:
        key = _PREF_ALIASES.get(args[0])
        if key is None or len(args) != 2 or args[1] not in Prefs.choices(key):
            await message.reply_text(
                "Usage: /prefs length short|medium|long or /prefs units metric|imperial\n"
                "Or just /prefs to see and change them with buttons."
            )
            return
        current = await context.advisor.set_pref(chat_id, key, args[1])
        await message.reply_text("Saved. " + render_prefs(current), reply_markup=prefs_keyboard(current))
        return
    current = await context.advisor.prefs(chat_id)
    await message.reply_text(render_prefs(current), reply_markup=prefs_keyboard(current))


async def on_pref_button(update: Update, context: BotContext) -> None:
    """Apply a preference chosen with a button."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    key, value = callback_fields(query.data)
    if key not in Prefs.names() or value not in Prefs.choices(key):
        await query.answer("That button is out of date.")
        return
    current = await context.advisor.set_pref(query.message.chat.id, key, value)
    await query.answer("Saved")
    await query.edit_message_text(render_prefs(current), reply_markup=prefs_keyboard(current))


def callback_fields(data: str) -> tuple[str, str]:
    """The two fields after the prefix of "prefix:a:b" callback data ("" where missing)."""
    parts = data.split(":")
    return (parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else "")


def render_prefs(current: Prefs) -> str:
    return (
        "Your settings:\n"
        f"{_PREF_LABELS['reply_length']}: {current.reply_length}\n"
        f"{_PREF_LABELS['units']}: {current.units}\n\n"
        "Tap to change."
    )


def prefs_keyboard(current: Prefs) -> InlineKeyboardMarkup:
    rows = []
    for key in Prefs.names():
        value = getattr(current, key)
        rows.append(
            [
                InlineKeyboardButton(
                    ("✓ " if choice == value else "") + choice, callback_data=f"pref:{key}:{choice}"
                )
                for choice in Prefs.choices(key)
            ]
        )
    return InlineKeyboardMarkup(rows)


async def on_unknown_command(update: Update, context: BotContext) -> None:
    """Point to /help for a command we don't have."""
    if update.effective_message is not None:
        await update.effective_message.reply_text("I don't know that command. /help lists what I can do.")


async def on_unknown_button(update: Update, context: BotContext) -> None:
    """Answer buttons we no longer know, so the client stops its spinner."""
    if update.callback_query is not None:
        await update.callback_query.answer("That button is out of date.")


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure with its traceback and tell the user, if there is one."""
    logger.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        with contextlib.suppress(TelegramError):
            await update.effective_message.reply_text(
                "Sorry, something went wrong on my side. Please try again."
            )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Attach every handler; commands first, then buttons, then plain messages."""
    new_message = filters.UpdateType.MESSAGE  # edited messages and channel posts are not answered
    application.add_handler(CommandHandler("start", start, filters=new_message))
    application.add_handler(CommandHandler("help", help_command, filters=new_message))
    application.add_handler(CommandHandler("memories", memories, filters=new_message))
    application.add_handler(CommandHandler("forget", forget, filters=new_message))
    application.add_handler(CommandHandler("prefs", prefs, filters=new_message))
    application.add_handler(CallbackQueryHandler(on_forget_answer, pattern=r"^forget:"))
    application.add_handler(CallbackQueryHandler(on_pref_button, pattern=r"^pref:"))
    application.add_handler(CallbackQueryHandler(on_unknown_button))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.COMMAND, on_unknown_command))
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, on_text)
    )
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & ~filters.TEXT, on_other))
    application.add_error_handler(on_error)
