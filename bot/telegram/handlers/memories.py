"""/memories: what is remembered about the chat, newest first, paged and grouped by category, each
memory with the day it was said and buttons to delete (🗑) or correct (✏️, memory_edit.py) it;
`/memories <words>` searches."""

from __future__ import annotations

import logging
import math
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.errors import Unavailable
from bot.i18n import N_, Translator
from bot.records import OTHER_CATEGORY, MemoryItem, category_of
from bot.telegram.handlers.context import BotContext
from bot.telegram.handlers.groups import may_manage
from bot.telegram.handlers.keyboards import button, rows, shortened

logger = logging.getLogger(__name__)

PAGE_SIZE = 8
SEARCH_LIMIT = 8
# The headings of the listing (bot/records.py CATEGORIES); a category from elsewhere shows as written.
HEADINGS = {
    "personal_info": N_("Personal info"),
    "preferences": N_("Preferences"),
    "health": N_("Health"),
    "goals": N_("Goals"),
    "routine": N_("Routine"),
    "events": N_("Events"),
    OTHER_CATEGORY: N_("Other"),
}


async def memories(update: Update, context: BotContext) -> None:
    """Show what is remembered about this chat (a page of it), or what matches the words given."""
    message = update.effective_message
    if message is None:
        return
    query = " ".join(context.args or []).strip()
    t = await context.words(update)
    if query:
        found = await context.controls.memories(message.chat_id, query)
        text, keyboard = render_search(found[:SEARCH_LIMIT], query, t)
        if len(found) > SEARCH_LIMIT:
            text += "\n\n" + more_note(SEARCH_LIMIT, t)
    else:
        items = await context.controls.memories(message.chat_id)
        text, keyboard = render_page(items, 0, t)
    pending = await context.controls.pending_memories(message.chat_id)
    if pending:
        note = t.ngettext(
            "({count} recent message still being processed into memory.)",
            "({count} recent messages still being processed into memory.)",
            pending,
        )
        text += "\n\n" + note.format(count=t.number(pending))
    parked = await context.controls.parked_memories(message.chat_id)
    if parked:
        note = t.ngettext(
            "({count} message could not be turned into memories: the AI model's answers about it were "
            "unusable. It is kept and tried again when I restart; /remember stores a fact directly.)",
            "({count} messages could not be turned into memories: the AI model's answers about them "
            "were unusable. They are kept and tried again when I restart; /remember stores a fact "
            "directly.)",
            parked,
        )
        text += "\n\n" + note.format(count=t.number(parked))
    await message.reply_text(text, reply_markup=keyboard)


async def on_memories_button(update: Update, context: BotContext) -> None:
    """Turn a page ("mem:p:<page>") or delete one memory ("mem:d:<id>:<page>") of this chat."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    parts = query.data.split(":")
    chat = query.message.chat
    page = _int(parts[-1])
    t = await context.words(update)
    _ = t.gettext
    if len(parts) == 4 and parts[1] == "d" and page is not None:
        if not await may_manage(context, chat, query.from_user):
            await query.answer(
                _("Only a group administrator can delete the group's memories."), show_alert=True
            )
            return
        deleted = await context.controls.forget_one(chat.id, parts[2])
        # forget_one checks that the memory belongs to this chat: an id from elsewhere does nothing.
        await query.answer(_("Deleted") if deleted else _("That memory is already gone."))
    elif len(parts) == 3 and parts[1] == "p" and page is not None:
        await query.answer()
    else:
        await query.answer(_("That button is out of date."))
        return
    try:
        items = await context.controls.memories(chat.id)
    except Unavailable:  # the deletion is done and answered; the refreshed page can wait
        logger.warning("listing memories failed", exc_info=True)
        return
    text, keyboard = render_page(items, page, t)
    try:
        await query.edit_message_text(text, reply_markup=keyboard)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


def more_note(shown: int, t: Translator) -> str:
    """Said under a search that matched more memories than it shows."""
    # TRANSLATORS: {count} is SEARCH_LIMIT (8), never 1
    note = t.gettext("(More memories match; these are the {count} closest. Add words to narrow it down.)")
    return note.format(count=t.number(shown))


def ordered(items: list[MemoryItem]) -> list[MemoryItem]:
    """Newest first, grouped by category: the category of the newest memory first, then the
    category of the newest one left, and so on; newest first within a category."""
    newest_first = sorted(items, key=lambda i: i.updated_at or i.created_at or "", reverse=True)
    rank: dict[str, int] = {}
    for item in newest_first:
        rank.setdefault(category_of(item), len(rank))
    return sorted(newest_first, key=lambda i: rank[category_of(i)])


def render_page(items: list[MemoryItem], page: int, t: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of the listing, grouped by category, with a delete button per memory."""
    _ = t.gettext
    if not items:
        return _("I don't remember anything about you yet. Tell me about your goals and habits!"), None
    pages = max(1, math.ceil(len(items) / PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = ordered(items)[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    if pages > 1:
        title = t.ngettext(
            "What I remember about you ({count} memory, page {page} of {pages}):",
            "What I remember about you ({count} memories, page {page} of {pages}):",
            len(items),
        )
    else:
        title = t.ngettext(
            "What I remember about you ({count} memory):",
            "What I remember about you ({count} memories):",
            len(items),
        )
    title = title.format(count=t.number(len(items)), page=t.number(page + 1), pages=t.number(pages))
    lines = [title, *_grouped_lines(shown, t, start=page * PAGE_SIZE + 1, dated=True)]
    lines += [
        "",
        _("Tap 🗑 and a number to delete that memory, ✏️ to correct its wording; /forget erases everything."),
    ]
    keyboard = _item_rows(shown, start=page * PAGE_SIZE + 1, page=page)
    previous = button(_("‹ Previous"), "mem", "p", page - 1) if page > 0 else None
    following = button(_("Next ›"), "mem", "p", page + 1) if page < pages - 1 else None
    keyboard += rows([previous, following], per_row=2)
    return "\n".join(lines), InlineKeyboardMarkup(keyboard)


def render_search(
    items: list[MemoryItem], query: str, t: Translator
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The memories matching `query`, grouped by category, each with the day it was said."""
    _ = t.gettext
    if not items:
        return _('I don\'t remember anything about "{query}".').format(query=query), None
    items = ordered(items)
    lines = [
        _('What I remember about "{query}":').format(query=query),
        *_grouped_lines(items, t, start=1, dated=True),
    ]
    lines += ["", _("Tap 🗑 and a number to delete that memory, ✏️ to correct its wording.")]
    return "\n".join(lines), InlineKeyboardMarkup(_item_rows(items, start=1, page=0))


def heading(category: str, t: Translator) -> str:
    """A category's heading in the person's language ("personal_info" → "Personal info")."""
    if category in HEADINGS:
        return t.gettext(HEADINGS[category])
    return category.replace("_", " ").capitalize()


def _grouped_lines(items: list[MemoryItem], t: Translator, *, start: int, dated: bool = False) -> list[str]:
    lines: list[str] = []
    current = None
    for number, item in enumerate(items, start=start):
        category = category_of(item)
        if category != current:
            lines += ["", f"{heading(category, t)}:"]
            current = category
        text = shortened(item.text)
        said = _said_on(item) if dated else None
        imported = _imported(item) if dated else None
        if imported is not None:
            text = imported_note(t, text, *imported)
        elif said is not None:
            text = t.gettext("{memory} (said on {date})").format(memory=text, date=t.date(said))
        lines.append(f"{number}. {text}")
    return lines


def _imported(item: MemoryItem) -> tuple[str, datetime] | None:
    """Where an imported memory came from and when it was imported (a memory restored from an
    /export file keeps the day it was said instead)."""
    source = item.metadata.get("imported_from")
    if item.metadata.get("source") != "import" or source not in ("chatgpt", "claude", "text"):
        return None
    try:
        return str(source), datetime.fromisoformat(str(item.metadata.get("imported_at")))
    except ValueError:
        return None


def imported_note(t: Translator, text: str, source: str, day: datetime) -> str:
    """ "Lives in Berlin (imported from ChatGPT on 6 Dec 2026)"."""
    if source == "text":
        return t.gettext("{memory} (imported on {date})").format(memory=text, date=t.date(day))
    names = {"chatgpt": "ChatGPT", "claude": "Claude"}
    return t.gettext("{memory} (imported from {source} on {date})").format(
        memory=text, source=names[source], date=t.date(day)
    )


def _said_on(item: MemoryItem) -> datetime | None:
    """When the memory was said (saved_at, else created_at), if that is known."""
    for value in (item.metadata.get("saved_at"), item.created_at):
        if value:
            try:
                return datetime.fromisoformat(str(value))
            except ValueError:
                continue
    return None


def _item_rows(items: list[MemoryItem], *, start: int, page: int) -> list[list[InlineKeyboardButton]]:
    """🗑 and ✏️ for each memory, two memories a row."""
    buttons = []
    for number, item in enumerate(items, start=start):
        delete = button(f"🗑 {number}", "mem", "d", item.id, page)
        edit = button(f"✏️ {number}", "mem", "e", item.id, page)
        if delete is not None and edit is not None:  # both or neither: their data is as long
            buttons += [delete, edit]
    return rows(buttons, per_row=4)


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 6 else None
