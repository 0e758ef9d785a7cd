"""/prefs: the chat's settings with an inline keyboard, or one set from the command's arguments."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.followup.service import Proposal
from bot.i18n import N_, Translator
from bot.records import Prefs, timezone_named
from bot.telegram.handlers.context import BotContext
from bot.telegram.handlers.groups import may_manage
from bot.telegram.handlers.keyboards import callback_fields, rows
from bot.telegram.handlers.reminders import offer

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
    "reactions": "reactions",
    "reaction": "reactions",
    "receipts": "reactions",
    "heard": "heard",
    "voice": "heard",
    "transcript": "heard",
    "timezone": "timezone",
    "tz": "timezone",
    "zone": "timezone",
    "checkins": "checkins",
    "checkin": "checkins",
}
LABELS = {
    "reply_length": N_("Reply length"),
    "units": N_("Units"),
    "language": N_("Language"),
    "coaching_style": N_("Coaching style"),
    "memory": N_("Memory"),
    # TRANSLATORS: the setting that puts a ✍ reaction on a message once it is in memory
    "reactions": N_("✍ when remembered"),
    # TRANSLATORS: the setting that shows "🎙 I heard: …" (the transcript) above answers to voice notes
    "heard": N_("Show what I heard"),
    "timezone": N_("Time zone"),
    "checkins": N_("Check-ins"),
}
_SHORT_NAMES = {
    "reply_length": "length",
    "units": "units",
    "language": "language",
    "coaching_style": "style",
    "memory": "memory",
    "reactions": "reactions",
    "heard": "heard",
    "timezone": "timezone",
    "checkins": "checkins",
}
# Languages are named in their own words (a person looks for "Deutsch", not "German"); the rest is translated.
_VALUE_LABELS = {
    "short": N_("short"),
    "medium": N_("medium"),
    "long": N_("long"),
    "metric": N_("metric"),
    "imperial": N_("imperial"),
    "balanced": N_("balanced"),
    "gentle": N_("gentle"),
    "tough": N_("tough"),
    # TRANSLATORS: the "language" setting's default: answers in the language the person writes in
    "auto": N_("same as mine"),
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "de": "Deutsch",
    "it": "Italiano",
    "pt": "Português",
    "ru": "Русский",
    "uk": "Українська",
    "on": N_("on"),
    "off": N_("off (incognito)"),
    # TRANSLATORS: the time zone before the person chose one
    "": N_("not set"),
}

ADMIN_ONLY_REPLY = N_("Only a group administrator can change the group's settings.")


def usage_text(t: Translator) -> str:
    """How to set a preference by command (the settings and values are typed as written here)."""
    return "\n".join(
        [t.gettext("Usage: /prefs <setting> <value>, or just /prefs for buttons. Settings:")]
        + [f"/prefs {_SHORT_NAMES[key]} {_usage_values(key)}" for key in Prefs.names()]
    )


def _usage_values(key: str) -> str:
    return "Area/City (Europe/Berlin)" if key == "timezone" else "|".join(Prefs.choices(key))


async def prefs(update: Update, context: BotContext) -> None:
    """Show the settings with buttons, or set one: /prefs length short, /prefs memory off."""
    message = update.effective_message
    if message is None:
        return
    args = [a.lower() for a in context.args or []]
    chat_id = message.chat_id
    if args:
        key = ALIASES.get(args[0])
        if key == "timezone" and len(args) == 2:
            args[1] = timezone_named(args[1]) or args[1]  # IANA names are case-sensitive
        if key is None or len(args) != 2 or not Prefs.accepts(key, args[1]):
            await message.reply_text(usage_text(await context.words(update)))
            return
        if not await may_manage(context, message.chat, message.from_user):
            await message.reply_text((await context.words(update)).gettext(ADMIN_ONLY_REPLY))
            return
        current, extra = await _set(update, context, chat_id, key, args[1], await context.words(update))
        t = await context.words(update, current)  # a new language speaks at once
        saved = t.gettext("Saved.") + " " + render_prefs(current, t) + extra
        await message.reply_text(saved, reply_markup=prefs_keyboard(current, t))
        return
    current = await context.chats.get_prefs(chat_id)
    t = await context.words(update, current)
    await message.reply_text(render_prefs(current, t), reply_markup=prefs_keyboard(current, t))


async def on_pref_button(update: Update, context: BotContext) -> None:
    """Apply a preference chosen with a button ("pref:<key>:<value>")."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    key, value = callback_fields(query.data)
    if key not in Prefs.names() or value not in Prefs.choices(key):
        await query.answer((await context.words(update)).gettext("That button is out of date."))
        return
    if not await may_manage(context, query.message.chat, query.from_user):
        await query.answer((await context.words(update)).gettext(ADMIN_ONLY_REPLY), show_alert=True)
        return
    current, extra = await _set(
        update, context, query.message.chat.id, key, value, await context.words(update)
    )
    t = await context.words(update, current)  # a new language speaks at once
    await query.answer(t.gettext("Saved"))
    await _show(query.edit_message_text, render_prefs(current, t) + extra, prefs_keyboard(current, t))


async def on_pref_menu(update: Update, context: BotContext) -> None:
    """Open the choices of one setting ("prefm:<key>"), or go back to all of them ("prefm:")."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    key, _value = callback_fields(query.data)
    current = await context.chats.get_prefs(query.message.chat.id)
    t = await context.words(update, current)
    await query.answer()
    if key in Prefs.names():
        title = t.gettext("{setting}: choose one.").format(setting=t.gettext(LABELS[key]))
        await _show(query.edit_message_text, title, choices_keyboard(current, key, t))
    else:
        await _show(query.edit_message_text, render_prefs(current, t), prefs_keyboard(current, t))


async def _set(
    update: Update, context: BotContext, chat_id: int, key: str, value: str, t: Translator
) -> tuple[Prefs, str]:
    """Save one setting; a time zone also schedules a /remind that waited for it (or asks about
    it with Yes / No when its time could be read two ways)."""
    if key != "timezone":
        return await context.chats.set_pref(chat_id, key, value), ""
    current, scheduled = await context.followup.set_timezone(chat_id, value, t)
    if scheduled is None:
        return current, ""
    if isinstance(scheduled, Proposal):
        if update.effective_message is not None:
            await offer(update.effective_message, scheduled, t)
        return current, ""
    return current, "\n\n" + t.gettext("Done. {reminder}").format(reminder=scheduled.description)


async def _show(edit: object, text: str, keyboard: InlineKeyboardMarkup) -> None:
    """Edit the settings message; pressing a choice already shown is not an error."""
    try:
        await edit(text, reply_markup=keyboard)  # type: ignore[operator]
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


def value_label(value: str, t: Translator, key: str = "") -> str:
    if key in ("heard", "checkins"):  # not memory's "on" / "off (incognito)"
        return t.gettext(N_("yes")) if value == "on" else t.gettext(N_("no"))
    label = _VALUE_LABELS.get(value, value)
    endonym = value in Prefs.choices("language") and value != "auto"
    return label if endonym else t.gettext(label)


def setting_line(current: Prefs, key: str, t: Translator) -> str:
    """ "Reply length: medium", in the person's language."""
    return f"{t.gettext(LABELS[key])}: {value_label(getattr(current, key), t, key)}"


def render_prefs(current: Prefs, t: Translator) -> str:
    _ = t.gettext
    lines = [_("Your settings:")]
    lines += [setting_line(current, key, t) for key in Prefs.names()]
    if current.memory == "off":
        lines += [
            "",
            _(
                "Incognito: I don't recall or store anything while memory is off; I only follow our "
                "recent conversation, and forget it when memory is back on."
            ),
        ]
    lines += ["", _("Tap a setting to change it.")]
    return "\n".join(lines)


def prefs_keyboard(current: Prefs, t: Translator) -> InlineKeyboardMarkup:
    """One button per setting, showing its value; each opens that setting's choices."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(setting_line(current, key, t), callback_data=f"prefm:{key}")]
            for key in Prefs.names()
        ]
    )


def choices_keyboard(current: Prefs, key: str, t: Translator) -> InlineKeyboardMarkup:
    value = getattr(current, key)
    buttons = [
        InlineKeyboardButton(
            ("✓ " if choice == value else "") + value_label(choice, t, key),
            callback_data=f"pref:{key}:{choice}",
        )
        for choice in Prefs.choices(key)
    ]
    keyboard = rows(buttons, per_row=3)
    keyboard.append([InlineKeyboardButton(t.gettext("‹ Back"), callback_data="prefm:")])
    return InlineKeyboardMarkup(keyboard)
