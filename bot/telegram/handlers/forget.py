"""/forget: erase everything remembered about the chat, or pick memories matching some words.

Only the person who asked can confirm; in a group, only an administrator may ask.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.errors import Unavailable
from bot.i18n import N_
from bot.telegram.addressing import is_group
from bot.telegram.handlers.context import BotContext
from bot.telegram.handlers.groups import may_manage
from bot.telegram.handlers.keyboards import button, callback_fields, rows, shortened
from bot.telegram.handlers.memories import SEARCH_LIMIT, more_note

logger = logging.getLogger(__name__)

ADMIN_ONLY_REPLY = N_("Only a group administrator can erase the group's memory.")
ANONYMOUS_REPLY = N_(
    "I can't tell anonymous admins apart, so I can't let one confirm an erasure. "
    'Please send /forget without "Remain anonymous".'
)
ONLY_ASKER = N_("Only the person who asked can confirm this.")


async def forget(update: Update, context: BotContext) -> None:
    """Ask to confirm erasing everything, or offer the memories that match the words given."""
    message = update.message
    user = update.effective_user
    if message is None or user is None:
        return
    _ = (await context.words(update)).gettext
    if is_group(message.chat):
        if message.sender_chat is not None:
            await message.reply_text(_(ANONYMOUS_REPLY))
            return
        if not await may_manage(context, message.chat, user):
            await message.reply_text(_(ADMIN_ONLY_REPLY))
            return
    words = " ".join(context.args or []).strip()
    if words:
        await _offer_matches(message.chat_id, words, user.id, update, context)
        return
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Yes, erase everything"), callback_data=f"forget:yes:{user.id}"),
                InlineKeyboardButton(_("Cancel"), callback_data=f"forget:no:{user.id}"),
            ]
        ]
    )
    if is_group(message.chat):
        question = _(
            "This erases everything I remember about this group, our recent conversation and the "
            "settings. It can't be undone. Are you sure?"
        )
    else:
        question = _(
            "This erases everything I remember about you, our recent conversation and the settings. "
            "It can't be undone. Are you sure?"
        )
    await message.reply_text(question, reply_markup=keyboard)


async def _offer_matches(chat_id: int, words: str, asker: int, update: Update, context: BotContext) -> None:
    message = update.message
    assert message is not None
    t = await context.words(update)
    _ = t.gettext
    found = await context.controls.memories(chat_id, words, closest=True)
    if not found:
        await message.reply_text(
            _('I don\'t remember anything about "{words}". Nothing to forget.').format(words=words)
        )
        return
    items = found[:SEARCH_LIMIT]
    lines = [_('The memories closest to "{words}". Tap a number to forget it:').format(words=words), ""]
    lines += [f"{number}. {shortened(item.text)}" for number, item in enumerate(items, start=1)]
    if len(found) > SEARCH_LIMIT:
        lines += ["", more_note(SEARCH_LIMIT, t)]
    keyboard = rows([button(f"🗑 {n}", "fo", item.id, asker) for n, item in enumerate(items, start=1)], 4)
    keyboard += rows([button(_("Done"), "forget", "no", asker)], per_row=1)
    await message.reply_text("\n".join(lines), reply_markup=InlineKeyboardMarkup(keyboard))


async def on_forget_answer(update: Update, context: BotContext) -> None:
    """Erase (or not) after the confirmation button; only the person who asked may confirm."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    choice, asker = callback_fields(query.data)
    _ = (await context.words(update)).gettext
    if str(query.from_user.id) != asker:
        await query.answer(_(ONLY_ASKER), show_alert=True)
        return
    if choice != "yes":
        await query.answer(_("Cancelled") if choice == "no" else _("That button is out of date."))
        await query.edit_message_text(_("Nothing more was erased."))
        return
    chat = query.message.chat
    if not await may_manage(context, chat, query.from_user):
        await query.answer(_(ADMIN_ONLY_REPLY), show_alert=True)
        return
    try:
        await context.deps.import_runner.forget_chat(chat.id)  # no import lands after the erasure
        await context.controls.forget_all(chat.id)
    except Unavailable as exc:  # in the words of what failed (the memory, the database)
        logger.warning("erasing memories failed", exc_info=True)
        await query.answer()
        await query.edit_message_text(_(exc.button_reply))
        return
    await query.answer(_("Erased"))
    if is_group(chat):
        done = _("Done: I've forgotten everything about this group. We're starting fresh.")
    else:
        done = _("Done: I've forgotten everything about you. We're starting fresh.")
    await query.edit_message_text(done)


async def on_forget_one(update: Update, context: BotContext) -> None:
    """Forget one memory picked from `/forget <words>` ("fo:<id>:<asker>")."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    memory_id, asker = callback_fields(query.data)
    _ = (await context.words(update)).gettext
    if str(query.from_user.id) != asker:
        await query.answer(_(ONLY_ASKER), show_alert=True)
        return
    chat = query.message.chat
    if not await may_manage(context, chat, query.from_user):
        await query.answer(_(ADMIN_ONLY_REPLY), show_alert=True)
        return
    deleted = await context.controls.forget_one(chat.id, memory_id)
    await query.answer(_("Forgotten") if deleted else _("That memory is already gone."))
    markup = query.message.reply_markup if hasattr(query.message, "reply_markup") else None
    if markup is None:
        return
    rows = [
        [button for button in row if button.callback_data != query.data] for row in markup.inline_keyboard
    ]
    await query.edit_message_reply_markup(InlineKeyboardMarkup([row for row in rows if row]))
