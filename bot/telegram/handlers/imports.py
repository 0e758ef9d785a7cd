"""/import: the prompt to paste into another assistant, then its answer (a reply, or text after
/import), this bot's /export file, or a ChatGPT / Claude export (a reply, or a file with /import as
its caption). Text and export files get a preview with Import / Cancel and nothing is stored
before Import; a ChatGPT or Claude export says what it will read and asks to go on, then runs in
the background (bot/advisor/import_jobs.py). The product logic is in bot/advisor/importer.py.

Who may: the person in a private chat; in a group, an administrator (into the group's memory).
Incognito refuses imports.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from telegram import ForceReply, InlineKeyboardMarkup, Message, Update
from telegram.ext import filters

from bot.advisor.export_restore import ExportPlan
from bot.advisor.extraction import Fact
from bot.advisor.import_formats import TOO_BIG, Conversations, ImportRejected, OwnExport, read_upload_apart
from bot.advisor.importer import IMPORT_PROMPT
from bot.errors import Unavailable
from bot.i18n import N_, Translator
from bot.records import TELEGRAM_DOWNLOAD_LIMIT
from bot.telegram.addressing import is_group, is_pseudo_sender, replied_bot_text
from bot.telegram.attachments import DOWNLOAD_FAILED_REPLY, DownloadFailed
from bot.telegram.handlers.account import PSEUDO_SENDER_REPLY
from bot.telegram.handlers.context import BotContext
from bot.telegram.handlers.groups import may_manage
from bot.telegram.handlers.keyboards import button, rows, shortened
from bot.telegram.import_progress import SOURCES

logger = logging.getLogger(__name__)

# The "send me the answer" prompt starts with this in every language: how a reply to it is known.
PROMPT_MARK = "📥 "
PENDING_KEY = "imports"  # chat_data: preview id → PendingImport
PREVIEW_TTL_SECONDS = 60 * 60
SHOWN_FACTS = 30
CAPTION = re.compile(r"^/import(?:@\w+)?(?:\s|$)", re.IGNORECASE)

ADMIN_ONLY = N_("Only a group administrator can import into the group's memory.")
BUSY = N_("An import is already running in this chat; its progress message has a Stop button.")
NOTHING_STORED = N_("Nothing was stored.")


@dataclass(frozen=True, slots=True)
class PendingImport:
    """A preview waiting for Import / Cancel (in memory: a restart expires it)."""

    asker: int
    created: float
    facts: tuple[Fact, ...] = ()
    export: ExportPlan | None = None


class RepliesToImportPrompt(filters.MessageFilter):
    """A message answering the bot's "send me its answer" prompt."""

    def filter(self, message: Message) -> bool:
        replied = replied_bot_text(message)
        return replied is not None and replied.startswith(PROMPT_MARK)


class ImportCaption(filters.MessageFilter):
    """A file sent with /import as its caption."""

    def filter(self, message: Message) -> bool:
        return CAPTION.match(message.caption or "") is not None


async def start_import(update: Update, context: BotContext) -> None:
    """/import: read the text after it, or show the prompt to paste into the old assistant."""
    message = update.message
    if message is None or message.text is None:
        return
    t = await context.words(update)
    if not await _may_import(update, context, t):
        return
    parts = message.text.split(maxsplit=1)
    if len(parts) > 1 and parts[1].strip():
        await _preview_text(update, context, t, parts[1])
        return
    _ = t.gettext
    await message.reply_text(
        _("To bring what ChatGPT, Claude or Gemini knows about you, ask it this:") + "\n\n" + _(IMPORT_PROMPT)
    )
    await message.reply_text(
        PROMPT_MARK
        + _(
            "Then send me its answer as a reply to this message (a long one as a .txt file). "
            "This bot's /export file, or the ZIP of a ChatGPT or Claude data export, works too."
        ),
        reply_markup=ForceReply(selective=True),
        do_quote=True,
    )


async def on_import_text(update: Update, context: BotContext) -> None:
    """The other assistant's answer, replying to the prompt: preview its facts."""
    message = update.message
    if message is None or message.text is None:
        return
    t = await context.words(update)
    if await _may_import(update, context, t):
        await _preview_text(update, context, t, message.text)


async def on_import_file(update: Update, context: BotContext) -> None:
    """A file for /import: this bot's export, a ChatGPT / Claude export, or a text."""
    message = update.message
    if message is None or message.document is None:
        return
    t = await context.words(update)
    if not await _may_import(update, context, t):
        return
    _ = t.gettext
    document = message.document
    if document.file_size is not None and document.file_size > TELEGRAM_DOWNLOAD_LIMIT:
        await message.reply_text(_(TOO_BIG) + " " + _(NOTHING_STORED))
        return
    try:
        data = await context.deps.media.downloader.fetch_file(document.file_id)
        upload = await read_upload_apart(data, document.file_name)
        del data
        if isinstance(upload, OwnExport):
            await _preview_export(update, context, t, upload)
        elif isinstance(upload, Conversations):
            await _offer_job(update, context, t, upload, document.file_id)
        else:
            await _preview_text(update, context, t, upload.text)
    except DownloadFailed:
        logger.warning("an import file could not be downloaded", exc_info=True)
        await message.reply_text(_(DOWNLOAD_FAILED_REPLY))
    except ImportRejected as exc:
        await message.reply_text(_(str(exc)) + " " + _(NOTHING_STORED))


async def _may_import(update: Update, context: BotContext, t: Translator) -> bool:
    """Say why not when this person may not import here now (incognito, not an admin, busy)."""
    message = update.message
    assert message is not None
    _ = t.gettext
    if is_group(message.chat) and is_pseudo_sender(message):
        await message.reply_text(_(PSEUDO_SENDER_REPLY))
        return False
    if not await may_manage(context, message.chat, message.from_user):
        await message.reply_text(_(ADMIN_ONLY))
        return False
    try:
        await context.deps.importer.check_allowed(message.chat_id)
    except ImportRejected as exc:
        await message.reply_text(_(str(exc)))
        return False
    if await context.deps.import_runner.jobs.active_for_chat(message.chat_id) is not None:
        await message.reply_text(_(BUSY))
        return False
    return True


async def _preview_text(update: Update, context: BotContext, t: Translator, text: str) -> None:
    message = update.message
    assert message is not None
    assert message.from_user is not None
    _ = t.gettext
    try:
        facts = await context.deps.importer.read_text(message.chat_id, text, usage_user=message.from_user.id)
    except ImportRejected as exc:
        await message.reply_text(_(str(exc)) + " " + _(NOTHING_STORED))
        return
    except Unavailable as exc:
        logger.warning("reading a pasted text for /import failed", exc_info=True)
        await message.reply_text(_(exc.reply) + " " + _(NOTHING_STORED))
        return
    if not facts:
        await message.reply_text(
            _(
                "I found no new facts in that: what it says is remembered already, or it holds no "
                "facts about you. Nothing was stored."
            )
        )
        return
    shown = [f"• {shortened(fact.text, 200)}" for fact in facts[:SHOWN_FACTS]]
    more = len(facts) - len(shown)
    if more:
        shown.append(
            t.ngettext("…and {count} more.", "…and {count} more.", more).format(count=t.number(more))
        )
    head = t.ngettext(
        "I found {count} fact to import:", "I found {count} facts to import:", len(facts)
    ).format(count=t.number(len(facts)))
    pending = PendingImport(message.from_user.id, time.time(), facts=tuple(facts))
    await message.reply_text("\n".join([head, *shown]), reply_markup=_keep(context, t, pending))


async def _preview_export(update: Update, context: BotContext, t: Translator, export: OwnExport) -> None:
    message = update.message
    assert message is not None
    assert message.from_user is not None
    plan = await context.deps.importer.read_export(message.chat_id, export)  # a refusal: on_import_file
    lines = [t.gettext("Your /export file holds:"), *export_lines(t, plan)]
    if not (plan.memories or plan.new_reminders or plan.preferences):
        lines.append(t.gettext("Everything in it is here already. Nothing was stored."))
        await message.reply_text("\n".join(lines))
        return
    pending = PendingImport(message.from_user.id, time.time(), export=plan)
    await message.reply_text("\n".join(lines), reply_markup=_keep(context, t, pending))


def export_lines(t: Translator, plan: ExportPlan) -> list[str]:
    """One line per kind of thing an export brings (new memories, known ones, reminders, settings)."""
    counts = [
        (
            len(plan.memories),
            t.ngettext("• {count} new memory", "• {count} new memories", len(plan.memories)),
        ),
        (
            plan.known,
            t.ngettext("• {count} memory I already have", "• {count} memories I already have", plan.known),
        ),
        (plan.new_reminders, t.ngettext("• {count} reminder", "• {count} reminders", plan.new_reminders)),
        (len(plan.preferences), t.ngettext("• {count} setting", "• {count} settings", len(plan.preferences))),
    ]
    return [text.format(count=t.number(count)) for count, text in counts if count]


def result_lines(t: Translator, memories: int, reminders: int, settings: int) -> list[str]:
    """What an export's import added, one line per kind (or that nothing was new)."""
    counts = [
        (memories, t.ngettext("• {count} new memory", "• {count} new memories", memories)),
        (reminders, t.ngettext("• {count} reminder", "• {count} reminders", reminders)),
        (settings, t.ngettext("• {count} setting", "• {count} settings", settings)),
    ]
    lines = [text.format(count=t.number(count)) for count, text in counts if count]
    return lines or [t.gettext("Everything in it is here already. Nothing was stored.")]


async def _offer_job(
    update: Update, context: BotContext, t: Translator, upload: Conversations, file_id: str
) -> None:
    message = update.message
    assert message is not None
    assert message.from_user is not None
    plan = context.deps.importer.plan_job(upload.items)  # over the limit: on_import_file says so
    job = await context.deps.import_runner.jobs.create(
        message.chat_id,
        asker=message.from_user.id,
        file_id=file_id,
        source=upload.source,
        found=plan.found,
        total=plan.total,
        estimate=plan.estimate,
        language=t.language,
    )
    values = {
        "source": SOURCES[upload.source],
        "count": t.number(plan.found),
        "tokens": t.number(plan.estimate),
        "limit": t.number(context.deps.importer.max_tokens),
    }
    lines = [
        t.ngettext(
            "Your {source} export holds {count} conversation with your messages.",
            "Your {source} export holds {count} conversations with your messages.",
            plan.found,
        ).format(**values)
    ]
    if plan.total < plan.found:
        lines.append(
            t.ngettext(
                "All of them would pass the limit of {limit} tokens per import, so I'll read the newest "
                "{count} conversation (about {tokens} tokens).",
                "All of them would pass the limit of {limit} tokens per import, so I'll read the newest "
                "{count} conversations (about {tokens} tokens).",
                plan.total,
            ).format(**{**values, "count": t.number(plan.total)})
        )
    else:
        lines.append(
            t.ngettext(
                "Reading them takes about {tokens} token.",
                "Reading them takes about {tokens} tokens.",
                plan.estimate,
            ).format(**values)
        )
    lines.append(t.gettext("Go on? It runs in the background; you can keep talking to me meanwhile."))
    keyboard = [
        button(t.gettext("Start"), "imp", "go", job.id),
        button(t.gettext("Cancel"), "imp", "x", job.id),
    ]
    await message.reply_text("\n".join(lines), reply_markup=InlineKeyboardMarkup(rows(keyboard, 2)))


def _keep(context: BotContext, t: Translator, pending: PendingImport) -> InlineKeyboardMarkup:
    """Keep the preview for its buttons; Import / Cancel."""
    kept = previews(context)
    now = time.time()
    for stale in [k for k, v in kept.items() if now - v.created > PREVIEW_TTL_SECONDS]:
        del kept[stale]
    key = secrets.token_hex(4)
    kept[key] = pending
    # TRANSLATORS: the button that stores what an import preview lists
    keyboard = [button(t.gettext("Import"), "imp", "ok", key), button(t.gettext("Cancel"), "imp", "no", key)]
    return InlineKeyboardMarkup(rows(keyboard, 2))


def previews(context: BotContext) -> dict[str, PendingImport]:
    if context.chat_data is None:
        return {}
    found: dict[str, Any] = context.chat_data.setdefault(PENDING_KEY, {})
    return found
