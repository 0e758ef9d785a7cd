"""/remind, /reminders, and the buttons of reminders: delete, Yes / No to a proposal, time zone."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.followup.service import NeedsTimezone, Proposal
from bot.followup.when import EXAMPLES, USAGE, ReminderParseError
from bot.i18n import N_, Translator
from bot.records import COMMON_TIMEZONES
from bot.telegram.addressing import is_group
from bot.telegram.handlers.context import BotContext
from bot.telegram.handlers.groups import may_manage

logger = logging.getLogger(__name__)

TIMEZONE_QUESTION = N_(
    "Which time zone are you in? I need it to remind you at the right hour.\n"
    "Tap one, or send /prefs timezone Area/City (for example /prefs timezone Europe/Berlin)."
)
GUESSED_ZONE_NOTE = N_("(That is UTC: /prefs timezone Europe/Berlin sets yours.)")
LISTS_THEM = N_("/reminders lists them.")
OUT_OF_DATE = N_("That button is out of date.")
PAGE_SIZE = 25  # one message stays well under Telegram's 4096 characters
EMPTY_LIST = N_("No reminders scheduled. For example: {example}")
ADMINS_ONLY = N_("Only a group administrator can set or delete the group's reminders.")
MAX_ID = 2**63 - 1  # SQLite's largest row id: a larger "id" in callback data is forged


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
        await message.reply_text(_(USAGE).format(examples=EXAMPLES))
        return
    if is_group(message.chat) and not await may_manage(context, message.chat, message.from_user):
        await message.reply_text(_(ADMINS_ONLY))
        return
    speaks = message.from_user.language_code if message.from_user else None
    try:
        result = await context.followup.remind(message.chat_id, words, t, speaks=speaks)
    except ReminderParseError as exc:
        await message.reply_text(exc.text(t))
        return
    if isinstance(result, Proposal):
        await offer(message, result, t)
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
    """ "rem:del:<id>:<page>" deletes; "rem:page:<n>" turns the list; "rem:yes:<id>" / "rem:no:<id>"
    answer a proposal. Forged or stale data gets a polite answer; in groups only administrators act."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    t = await context.words(update)
    parts = query.data.split(":")
    action = parts[1] if len(parts) > 1 else ""
    numbers = [int(p) for p in parts[2:] if p.isdigit() and int(p) <= MAX_ID]
    if action not in ("del", "page", "yes", "no") or not numbers or len(numbers) != len(parts) - 2:
        await query.answer(t.gettext(OUT_OF_DATE))
        return
    chat = query.message.chat
    if action != "page" and not await may_manage(context, chat, query.from_user):
        await query.answer(t.gettext(ADMINS_ONLY), show_alert=True)
        return
    if action in ("del", "page"):
        await _delete_or_turn(query, context, t, action, numbers)
    elif action == "yes":
        await _accept(query, context, t, numbers[0])
    else:
        await context.followup.decline(chat.id, numbers[0])
        await query.answer(t.gettext("OK"))
        await _edit(query, t.gettext("OK, nothing scheduled."))


async def _delete_or_turn(
    query: CallbackQuery, context: BotContext, t: Translator, action: str, numbers: list[int]
) -> None:
    chat_id = query.message.chat.id if query.message else 0
    page = numbers[-1] if action == "page" or len(numbers) > 1 else 0
    if action == "del":
        deleted = await context.followup.cancel(chat_id, numbers[0])
        await query.answer(t.gettext("Deleted") if deleted else t.gettext("That reminder is already gone."))
    else:
        await query.answer()
    text, keyboard = await _listing(context, chat_id, t, page)
    await _edit(query, text, keyboard)


async def _accept(query: CallbackQuery, context: BotContext, t: Translator, reminder_id: int) -> None:
    _ = t.gettext
    chat_id = query.message.chat.id if query.message else 0
    try:
        accepted = await context.followup.accept(chat_id, reminder_id, t)
    except ReminderParseError as exc:  # the cap of reminders per chat
        await query.answer()
        await _edit(query, exc.text(t))
        return
    await query.answer(_("Scheduled") if accepted else _("That offer has expired."))
    if accepted is not None:
        scheduled = _("Scheduled. {reminder}").format(reminder=accepted[1])
        await _edit(query, f"{scheduled}\n{_(LISTS_THEM)}")
    else:
        await _edit(query, _("That offer has expired; nothing was scheduled."))


async def _edit(query: CallbackQuery, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
    """Edit the message the button was on; a double tap that changes nothing is not an error."""
    try:
        await query.edit_message_text(text, reply_markup=keyboard)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise
        logger.debug("reminder button: the message already showed that")


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
    if isinstance(scheduled, Proposal):
        await _edit(query, f"{text}\n{scheduled.question}", _yes_no(scheduled, t))
        return
    if scheduled is not None:
        text += "\n" + _("Done. {reminder}").format(reminder=scheduled.description)
    await _edit(query, text)


async def offer(message: Message, proposal: Proposal, t: Translator) -> None:
    """Ask Yes / No about a reminder or check-in read from a plain message, or a /remind whose
    time could be read two ways."""
    await message.reply_text(proposal.question, reply_markup=_yes_no(proposal, t))


def _yes_no(proposal: Proposal, t: Translator) -> InlineKeyboardMarkup:
    yes = InlineKeyboardButton(t.gettext("Yes"), callback_data=f"rem:yes:{proposal.reminder.id}")
    no = InlineKeyboardButton(t.gettext("No"), callback_data=f"rem:no:{proposal.reminder.id}")
    return InlineKeyboardMarkup([[yes, no]])


def timezone_keyboard() -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(zone, callback_data=f"tz:{zone}") for zone in COMMON_TIMEZONES]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


async def _listing(
    context: BotContext, chat_id: int, t: Translator, page: int = 0
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of the chat's reminders with a 🗑 each, and ◀ / ▶ when there are more pages."""
    scheduled = await context.followup.scheduled(chat_id, t)
    if not scheduled:
        return t.gettext(EMPTY_LIST).format(example="/remind every day at 21:00 stretch"), None
    count = len(scheduled)
    pages = (count + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(page, pages - 1)
    title = t.ngettext("Your reminders ({count}):", "Your reminders ({count}):", count)
    lines = [title.format(count=t.number(count)), ""]
    buttons = []
    first = page * PAGE_SIZE
    for number, (reminder, description) in enumerate(scheduled[first : first + PAGE_SIZE], start=first + 1):
        shown = description if len(description) <= 110 else description[:109] + "…"
        lines.append(f"{number}. {shown}")
        buttons.append(InlineKeyboardButton(f"🗑 {number}", callback_data=f"rem:del:{reminder.id}:{page}"))
    lines += ["", t.gettext("Tap 🗑 and a number to delete that reminder.")]
    rows = [buttons[i : i + 5] for i in range(0, len(buttons), 5)]
    if pages > 1:
        lines.append(
            t.gettext("Page {page} of {pages}.").format(page=t.number(page + 1), pages=t.number(pages))
        )
        turn = [InlineKeyboardButton("◀", callback_data=f"rem:page:{page - 1}")] if page else []
        if page + 1 < pages:
            turn.append(InlineKeyboardButton("▶", callback_data=f"rem:page:{page + 1}"))
        rows.append(turn)
    return "\n".join(lines), InlineKeyboardMarkup(rows)
