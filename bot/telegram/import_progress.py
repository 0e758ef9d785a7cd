"""The one message that shows an import job's progress ("142 of 880 conversations…"), sent once
and then edited in place, with a Stop button while it runs (bot/advisor/import_jobs.py calls it)."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest

from bot.i18n import Translator, translator
from bot.store.import_tables import ImportJob
from bot.telegram.handlers.keyboards import button, rows

logger = logging.getLogger(__name__)

SOURCES = {"chatgpt": "ChatGPT", "claude": "Claude"}


def progress_text(t: Translator, job: ImportJob) -> str:
    """What the job's message says in its state."""
    values = {
        "source": SOURCES.get(job.source, job.source),
        "done": t.number(job.done),
        "total": t.number(job.total),
    }
    facts = {"count": t.number(job.facts)}
    if job.state == "running":
        head = t.ngettext(
            "Importing from {source}: {done} of {total} conversation read…",
            "Importing from {source}: {done} of {total} conversations read…",
            job.total,
        )
        tail = t.ngettext("{count} fact imported so far.", "{count} facts imported so far.", job.facts)
    elif job.state == "done":
        head = t.ngettext(
            "Import from {source} finished: {total} conversation read.",
            "Import from {source} finished: {total} conversations read.",
            job.total,
        )
        tail = t.ngettext(
            "{count} fact imported; /memories shows them.",
            "{count} facts imported; /memories shows them.",
            job.facts,
        )
    elif job.state == "cancelled":
        head = t.ngettext(
            "Import from {source} stopped after {done} of {total} conversation.",
            "Import from {source} stopped after {done} of {total} conversations.",
            job.total,
        )
        tail = t.ngettext(
            "{count} fact imported before that stays.", "{count} facts imported before that stay.", job.facts
        )
    else:
        head = t.gettext(
            "The import from {source} stopped: I couldn't download or read the file again. "
            "Send it with /import to try once more."
        )
        tail = t.ngettext(
            "{count} fact imported before that stays.", "{count} facts imported before that stay.", job.facts
        )
    return head.format(**values) + "\n" + tail.format(**facts)


def stop_keyboard(t: Translator, job: ImportJob) -> InlineKeyboardMarkup | None:
    if job.state != "running":
        return None
    # TRANSLATORS: a button that stops an import running in the background
    return InlineKeyboardMarkup(rows([button(t.gettext("Stop"), "imp", "x", job.id)], 1))


class ImportProgress:
    """`Progress` of bot/advisor/import_jobs.py: edits the job's message, or sends one."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def __call__(self, job: ImportJob) -> int | None:
        t = translator(job.language)
        text, markup = progress_text(t, job), stop_keyboard(t, job)
        if job.message_id is not None:
            try:
                await self._bot.edit_message_text(
                    text, chat_id=job.chat_id, message_id=job.message_id, reply_markup=markup
                )
            except BadRequest as exc:
                if "not modified" in exc.message.lower():
                    return job.message_id
                logger.info(
                    "import %d: progress message not editable (%s); sending a new one", job.id, exc.message
                )
            else:
                return job.message_id
        sent = await self._bot.send_message(job.chat_id, text, reply_markup=markup)
        return sent.message_id
