"""/prefs: show the chat's settings with buttons, or set one from the command's arguments."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.handlers.context import BotContext, callback_fields
from bot.store import Prefs

_PREF_ALIASES = {"length": "reply_length", "reply_length": "reply_length", "units": "units", "unit": "units"}
_PREF_LABELS = {"reply_length": "Reply length", "units": "Units"}


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
