"""/prefs: the chat's settings with an inline keyboard, or one set from the command's arguments."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.records import Prefs
from bot.telegram.handlers.context import BotContext
from bot.telegram.handlers.groups import may_manage
from bot.telegram.handlers.keyboards import callback_fields, rows

ALIASES = {
    "length": "reply_length",
    "reply_length": "reply_length",
    "units": "units",
    "unit": "units",
    "language": "language",
    "lang": "language",
    "style": "coaching_style",
    "coaching": "coaching_style",
    "coaching_style": "coaching_style",
    "memory": "memory",
    "heard": "heard",
    "voice": "heard",
    "transcript": "heard",
}
LABELS = {
    "reply_length": "Reply length",
    "units": "Units",
    "language": "Language",
    "coaching_style": "Coaching style",
    "memory": "Memory",
    "heard": "🎙 Show what I heard",
}
_SHORT_NAMES = {
    "reply_length": "length",
    "units": "units",
    "language": "language",
    "coaching_style": "style",
    "memory": "memory",
    "heard": "heard",
}
_VALUE_LABELS = {
    "auto": "same as mine",
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "de": "Deutsch",
    "it": "Italiano",
    "pt": "Português",
    "ru": "Русский",
    "on": "on",
    "off": "off",
}
_MEMORY_VALUE_LABELS = {"off": "off (incognito)"}

ADMIN_ONLY_REPLY = "Only a group administrator can change the group's settings."

USAGE = "\n".join(
    ["Usage: /prefs <setting> <value>, or just /prefs for buttons. Settings:"]
    + [f"/prefs {_SHORT_NAMES[key]} {'|'.join(Prefs.choices(key))}" for key in Prefs.names()]
)


async def prefs(update: Update, context: BotContext) -> None:
    """Show the settings with buttons, or set one: /prefs length short, /prefs memory off."""
    message = update.effective_message
    if message is None:
        return
    args = [a.lower() for a in context.args or []]
    chat_id = message.chat_id
    if args:
        key = ALIASES.get(args[0])
        if key is None or len(args) != 2 or args[1] not in Prefs.choices(key):
            await message.reply_text(USAGE)
            return
        if not await may_manage(context, message.chat, message.from_user):
            await message.reply_text(ADMIN_ONLY_REPLY)
            return
        current = await context.advisor.set_pref(chat_id, key, args[1])
        await message.reply_text("Saved. " + render_prefs(current), reply_markup=prefs_keyboard(current))
        return
    current = await context.advisor.prefs(chat_id)
    await message.reply_text(render_prefs(current), reply_markup=prefs_keyboard(current))


async def on_pref_button(update: Update, context: BotContext) -> None:
    """Apply a preference chosen with a button ("pref:<key>:<value>")."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    key, value = callback_fields(query.data)
    if key not in Prefs.names() or value not in Prefs.choices(key):
        await query.answer("That button is out of date.")
        return
    if not await may_manage(context, query.message.chat, query.from_user):
        await query.answer(ADMIN_ONLY_REPLY, show_alert=True)
        return
    current = await context.advisor.set_pref(query.message.chat.id, key, value)
    await query.answer("Saved")
    await _show(query.edit_message_text, render_prefs(current), prefs_keyboard(current))


async def on_pref_menu(update: Update, context: BotContext) -> None:
    """Open the choices of one setting ("prefm:<key>"), or go back to all of them ("prefm:")."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    key, _ = callback_fields(query.data)
    current = await context.advisor.prefs(query.message.chat.id)
    await query.answer()
    if key in Prefs.names():
        await _show(query.edit_message_text, f"{LABELS[key]}: choose one.", choices_keyboard(current, key))
    else:
        await _show(query.edit_message_text, render_prefs(current), prefs_keyboard(current))


async def _show(edit: object, text: str, keyboard: InlineKeyboardMarkup) -> None:
    """Edit the settings message; pressing a choice already shown is not an error."""
    try:
        await edit(text, reply_markup=keyboard)  # type: ignore[operator]
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


def value_label(value: str, key: str = "") -> str:
    if key == "memory" and value in _MEMORY_VALUE_LABELS:
        return _MEMORY_VALUE_LABELS[value]
    return _VALUE_LABELS.get(value, value)


def render_prefs(current: Prefs) -> str:
    lines = ["Your settings:"]
    lines += [f"{LABELS[key]}: {value_label(getattr(current, key), key)}" for key in Prefs.names()]
    if current.memory == "off":
        lines += [
            "",
            "Incognito: I don't recall or store anything while memory is off; I only follow our "
            "recent conversation, and forget it when memory is back on.",
        ]
    lines += ["", "Tap a setting to change it."]
    return "\n".join(lines)


def prefs_keyboard(current: Prefs) -> InlineKeyboardMarkup:
    """One button per setting, showing its value; each opens that setting's choices."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    f"{LABELS[key]}: {value_label(getattr(current, key), key)}", callback_data=f"prefm:{key}"
                )
            ]
            for key in Prefs.names()
        ]
    )


def choices_keyboard(current: Prefs, key: str) -> InlineKeyboardMarkup:
    value = getattr(current, key)
    buttons = [
        InlineKeyboardButton(
            ("✓ " if choice == value else "") + value_label(choice, key),
            callback_data=f"pref:{key}:{choice}",
        )
        for choice in Prefs.choices(key)
    ]
    keyboard = rows(buttons, per_row=3)
    keyboard.append([InlineKeyboardButton("‹ Back", callback_data="prefm:")])
    return InlineKeyboardMarkup(keyboard)
