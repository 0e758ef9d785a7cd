"""/memories: what is remembered about the chat, paged and grouped by category, with a button to
delete each memory; `/memories <words>` searches."""

from __future__ import annotations

import logging
import math

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.errors import Unavailable
from bot.records import OTHER_CATEGORY, MemoryItem, category_of
from bot.telegram.handlers.context import BotContext
from bot.telegram.handlers.groups import may_manage
from bot.telegram.handlers.keyboards import button, rows, shortened

logger = logging.getLogger(__name__)

PAGE_SIZE = 8
SEARCH_LIMIT = 8


async def memories(update: Update, context: BotContext) -> None:
    """Show what is remembered about this chat (a page of it), or what matches the words given."""
    message = update.effective_message
    if message is None:
        return
    query = " ".join(context.args or []).strip()
    if query:
        found = await context.advisor.memories(message.chat_id, query)
        text, keyboard = render_search(found[:SEARCH_LIMIT], query)
        if len(found) > SEARCH_LIMIT:
            text += "\n\n" + more_note(SEARCH_LIMIT)
    else:
        items = await context.advisor.memories(message.chat_id)
        text, keyboard = render_page(items, 0)
    pending = await context.advisor.pending_memories(message.chat_id)
    if pending:
        text += f"\n\n({pending} recent message(s) still being processed into memory.)"
    await message.reply_text(text, reply_markup=keyboard)


async def on_memories_button(update: Update, context: BotContext) -> None:
    """Turn a page ("mem:p:<page>") or delete one memory ("mem:d:<id>:<page>") of this chat."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    parts = query.data.split(":")
    chat = query.message.chat
    page = _int(parts[-1])
    if len(parts) == 4 and parts[1] == "d" and page is not None:
        if not await may_manage(context, chat, query.from_user):
            await query.answer("Only a group administrator can delete the group's memories.", show_alert=True)
            return
        deleted = await context.advisor.forget_one(chat.id, parts[2])
        # forget_one checks that the memory belongs to this chat: an id from elsewhere does nothing.
        await query.answer("Deleted" if deleted else "That memory is already gone.")
    elif len(parts) == 3 and parts[1] == "p" and page is not None:
        await query.answer()
    else:
        await query.answer("That button is out of date.")
        return
    try:
        items = await context.advisor.memories(chat.id)
    except Unavailable:  # the deletion is done and answered; the refreshed page can wait
        logger.warning("listing memories failed", exc_info=True)
        return
    text, keyboard = render_page(items, page)
    try:
        await query.edit_message_text(text, reply_markup=keyboard)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


def more_note(shown: int) -> str:
    """Said under a search that matched more memories than it shows."""
    return f"(More memories match; these are the {shown} closest. Add words to narrow it down.)"


def ordered(items: list[MemoryItem]) -> list[MemoryItem]:
    """Grouped by category (alphabetically, "other" last), newest first within a category."""
    newest_first = sorted(items, key=lambda i: i.updated_at or i.created_at or "", reverse=True)
    return sorted(newest_first, key=lambda i: (category_of(i) == OTHER_CATEGORY, category_of(i)))


def render_page(items: list[MemoryItem], page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of the listing, grouped by category, with a delete button per memory."""
    if not items:
        return "I don't remember anything about you yet. Tell me about your goals and habits!", None
    pages = max(1, math.ceil(len(items) / PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = ordered(items)[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    title = f"What I remember about you ({len(items)}"
    title += f", page {page + 1} of {pages}):" if pages > 1 else "):"
    lines = [title, *_grouped_lines(shown, start=page * PAGE_SIZE + 1)]
    lines += ["", "Tap 🗑 and a number to delete that memory; /forget erases everything."]
    keyboard = _delete_rows(shown, start=page * PAGE_SIZE + 1, page=page)
    previous = button("‹ Previous", "mem", "p", page - 1) if page > 0 else None
    following = button("Next ›", "mem", "p", page + 1) if page < pages - 1 else None
    keyboard += rows([previous, following], per_row=2)
    return "\n".join(lines), InlineKeyboardMarkup(keyboard)


def render_search(items: list[MemoryItem], query: str) -> tuple[str, InlineKeyboardMarkup | None]:
    if not items:
        return f'I don\'t remember anything about "{query}".', None
    items = ordered(items)
    lines = [f'What I remember about "{query}":', *_grouped_lines(items, start=1)]
    lines += ["", "Tap 🗑 and a number to delete that memory."]
    return "\n".join(lines), InlineKeyboardMarkup(_delete_rows(items, start=1, page=0))


def _grouped_lines(items: list[MemoryItem], *, start: int) -> list[str]:
    lines: list[str] = []
    current = None
    for number, item in enumerate(items, start=start):
        category = category_of(item)
        if category != current:
            lines += ["", f"{category.replace('_', ' ').capitalize()}:"]
            current = category
        lines.append(f"{number}. {shortened(item.text)}")
    return lines


def _delete_rows(items: list[MemoryItem], *, start: int, page: int) -> list[list[InlineKeyboardButton]]:
    buttons = [button(f"🗑 {n}", "mem", "d", item.id, page) for n, item in enumerate(items, start=start)]
    return rows(buttons, per_row=4)


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 6 else None
