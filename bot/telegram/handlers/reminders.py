"""/remind, /reminders, and the buttons of reminders: delete, Yes / No to a proposal, time zone."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.followup.service import NeedsTimezone, Proposal
from bot.followup.when import EVERY_DAY, EXAMPLES, USAGE, ReminderParseError
from bot.i18n import N_, Translator
from bot.records import COMMON_TIMEZONES
from bot.telegram.handlers.context import BotContext
from bot.telegram.handlers.groups import may_manage
from bot.telegram.handlers.keyboards import callback_fields

logger = logging.getLogger(__name__)

TIMEZONE_QUESTION = N_(
    "Which time zone are you in? I need it to remind you at the right hour.\n"
    "Tap one, or send /prefs timezone Area/City (for example /prefs timezone Europe/Berlin)."
)
GUESSED_ZONE_NOTE = N_("(That is UTC: /prefs timezone Europe/Berlin sets yours.)")
LISTS_THEM = N_("/reminders lists them.")
OUT_OF_DATE = N_("That button is out of date.")
MAX_LISTED = 30  # one message stays well under Telegram's 4096 characters
EMPTY_LIST = N_("No reminders scheduled. For example: {example}")


async def remind(update: Update, context: BotContext) -> None:
    """Schedule a reminder from the command's words, and say what was understood."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    t = await context.words(update)
    _ = t.gettext
    parts = message.text.split(maxsplit=1)
    words = parts[1].strip() if len(parts) > 1 else ""
    if not words:
        await message.reply_text(_(USAGE).format(examples=_(EXAMPLES)))
        return
    try:
        result = await context.followup.remind(message.chat_id, words, t)
    except ReminderParseError as exc:
        await message.reply_text(exc.text(t))
        return
    if isinstance(result, NeedsTimezone):
        await message.reply_text(_(TIMEZONE_QUESTION), reply_markup=timezone_keyboard())
        return
    lines = [_("Done. {reminder}").format(reminder=result.description)]
    if result.zone_guessed:
        lines.append(_(GUESSED_ZONE_NOTE))
    lines.append(_(LISTS_THEM))
    await message.reply_text("\n".join(lines))


async def reminders(update: Update, context: BotContext) -> None:
    """List the chat's reminders with a 🗑 button each."""
    message = update.effective_message
    if message is None:
        return
    text, keyboard = await _listing(context, message.chat_id, await context.words(update))
    await message.reply_text(text, reply_markup=keyboard)


async def on_reminder_button(update: Update, context: BotContext) -> None:
    """ "rem:del:<id>" deletes; "rem:yes:<id>" / "rem:no:<id>" answer a proposal."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    t = await context.words(update)
    _ = t.gettext
    action, raw_id = callback_fields(query.data)
    chat_id = query.message.chat.id
    if not raw_id.isdigit():
        await query.answer(_(OUT_OF_DATE))
        return
    reminder_id = int(raw_id)
    if action == "del":
        deleted = await context.followup.cancel(chat_id, reminder_id)
        gone = _("That reminder is already gone.")
        await query.answer(t.pgettext("a reminder", "Deleted") if deleted else gone)
        text, keyboard = await _listing(context, chat_id, t)
        await query.edit_message_text(text, reply_markup=keyboard)
    elif action == "yes":
        accepted = await context.followup.accept(chat_id, reminder_id, t)
        await query.answer(_("Scheduled") if accepted else _("That offer has expired."))
        if accepted is not None:
            scheduled = _("Scheduled. {reminder}").format(reminder=accepted[1])
            await query.edit_message_text(f"{scheduled}\n{_(LISTS_THEM)}")
        else:
            await query.edit_message_text(_("That offer has expired; nothing was scheduled."))
    elif action == "no":
        await context.followup.decline(chat_id, reminder_id)
        await query.answer(_("OK"))
        await query.edit_message_text(_("OK, nothing scheduled."))
    else:
        await query.answer(_(OUT_OF_DATE))


async def on_timezone_button(update: Update, context: BotContext) -> None:
    """ "tz:<zone>": keep the time zone, and schedule the /remind that waited for it."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    t = await context.words(update)
    _ = t.gettext
    zone = query.data.split(":", 1)[1]
    if zone not in COMMON_TIMEZONES:
        await query.answer(_(OUT_OF_DATE))
        return
    if not await may_manage(context, query.message.chat, query.from_user):
        await query.answer(_("Only a group administrator can change the group's settings."), show_alert=True)
        return
    _prefs, scheduled = await context.followup.set_timezone(query.message.chat.id, zone, t)
    await query.answer(_("Saved"))
    text = _("Time zone: {zone} (/prefs timezone changes it).").format(zone=zone)
    if scheduled is not None:
        text += "\n" + _("Done. {reminder}").format(reminder=scheduled.description)
    await query.edit_message_text(text)


async def offer(message: Message, proposal: Proposal, t: Translator) -> None:
    """Ask Yes / No about a reminder or check-in read from a plain message."""
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t.gettext("Yes"), callback_data=f"rem:yes:{proposal.reminder.id}"),
                InlineKeyboardButton(t.gettext("No"), callback_data=f"rem:no:{proposal.reminder.id}"),
            ]
        ]
    )
    await message.reply_text(proposal.question, reply_markup=keyboard)


def timezone_keyboard() -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(zone, callback_data=f"tz:{zone}") for zone in COMMON_TIMEZONES]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


async def _listing(
    context: BotContext, chat_id: int, t: Translator
) -> tuple[str, InlineKeyboardMarkup | None]:
    scheduled = await context.followup.scheduled(chat_id, t)
    if not scheduled:
        return t.gettext(EMPTY_LIST).format(example=t.gettext(EVERY_DAY)), None
    count = len(scheduled)
    title = t.ngettext("Your reminders ({count}):", "Your reminders ({count}):", count)
    lines = [title.format(count=t.number(count)), ""]
    buttons = []
    for number, (reminder, description) in enumerate(scheduled[:MAX_LISTED], start=1):
        shown = description if len(description) <= 110 else description[:109] + "…"
        lines.append(f"{number}. {shown}")
        buttons.append(InlineKeyboardButton(f"🗑 {number}", callback_data=f"rem:del:{reminder.id}"))
    if count > MAX_LISTED:
        later = count - MAX_LISTED
        more = t.ngettext("… and {n} later one.", "… and {n} later ones.", later)
        lines.append(more.format(n=t.number(later)))
    lines += ["", t.gettext("Tap 🗑 and a number to delete that reminder.")]
    rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    return "\n".join(lines), InlineKeyboardMarkup(rows)
