"""The buttons of /import: Import / Cancel under a preview ("imp:ok:<id>", "imp:no:<id>"), Start
under a ChatGPT / Claude export's offer ("imp:go:<job>"), and Cancel / Stop of a job ("imp:x:<job>").
Only the person who sent the import (in a group, while still an administrator) may press them."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update

from bot.errors import Refused, Unavailable
from bot.telegram.handlers.context import BotContext
from bot.telegram.handlers.groups import may_manage
from bot.telegram.handlers.imports import PendingImport, previews, result_lines
from bot.telegram.handlers.keyboards import callback_fields
from bot.telegram.import_progress import progress_text, stop_keyboard

logger = logging.getLogger(__name__)


async def on_import_button(update: Update, context: BotContext) -> None:
    """Import, Cancel, Start or Stop."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    t = await context.words(update)
    _ = t.gettext
    action, key = callback_fields(query.data)
    if not await may_manage(context, query.message.chat, query.from_user):
        await query.answer(
            _("Only a group administrator can import into the group's memory."), show_alert=True
        )
        return
    if action in ("ok", "no"):
        pending = previews(context).get(key)
        if pending is None:
            await query.answer(_("That preview has expired: send the text or file again."), show_alert=True)
            return
        if pending.asker != query.from_user.id:
            await query.answer(_("Only the person who sent it can import it."), show_alert=True)
            return
        if action == "no":
            previews(context).pop(key, None)
            await query.answer()
            await query.edit_message_text(_("Cancelled: nothing was stored."))
            return
        await _import(query, context, key, pending)
        return
    if not key.isdigit():
        await query.answer(_("That button is out of date."))
        return
    await _job_button(query, context, action, int(key))


async def _import(query: CallbackQuery, context: BotContext, key: str, pending: PendingImport) -> None:
    """Store what the preview listed."""
    t = await context.words(query)
    chat_id = query.message.chat.id if query.message is not None else 0
    importer = context.deps.importer
    try:
        if pending.export is not None:
            result = await importer.apply_export(chat_id, pending.export)
            lines = result_lines(t, result.memories, result.reminders, result.settings)
            text = "\n".join([t.gettext("Imported from your /export file:"), *lines])
        else:
            changed = await importer.apply_facts(chat_id, pending.facts, source="text")
            text = t.ngettext(
                "Imported {count} fact; /memories shows it.",
                "Imported {count} facts; /memories shows them.",
                changed,
            ).format(count=t.number(changed))
    except Unavailable as exc:
        logger.warning("an import could not be stored", exc_info=True)
        await query.answer(t.gettext(exc.button_reply), show_alert=True)  # the preview stays
        return
    except Refused as exc:  # memory was turned off since the preview
        await query.answer(t.gettext(str(exc)), show_alert=True)
        return
    previews(context).pop(key, None)
    await query.answer()
    await query.edit_message_text(text)


async def _job_button(query: CallbackQuery, context: BotContext, action: str, job_id: int) -> None:
    """Start a waiting job, or cancel / stop one."""
    t = await context.words(query)
    _ = t.gettext
    runner = context.deps.import_runner
    job = await runner.jobs.get(job_id)
    chat_id = query.message.chat.id if query.message is not None else None
    if job is None or job.chat_id != chat_id or job.state not in ("confirm", "running"):
        await query.answer(_("That button is out of date."))
        return
    if job.asker != query.from_user.id:
        await query.answer(_("Only the person who sent it can import it."), show_alert=True)
        return
    await query.answer()
    message_id = query.message.message_id if query.message is not None else None
    if action == "go":
        if await runner.begin(job_id, message_id):
            started = await runner.jobs.get(job_id)
            if started is not None:
                await query.edit_message_text(
                    progress_text(t, started), reply_markup=stop_keyboard(t, started)
                )
        return
    if action == "x":
        if job.state == "confirm":
            await runner.jobs.finish(job_id, "cancelled")
            await query.edit_message_text(_("Cancelled: nothing was stored."))
            return
        await runner.cancel(job_id)  # edits the progress message to say what was imported
