"""Correcting a memory: ✏️ in /memories asks for the new wording (ForceReply); the reply replaces
the memory through the advisor (Mem0's update: its history keeps the old text).

Who may: the person in a private chat; in a group, an administrator, and only the one who tapped
✏️ may answer. The same guards as /remember apply (no secrets, instructions, links or non-facts).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass

from telegram import ForceReply, Message, MessageEntity, Update
from telegram.ext import filters

from bot.errors import Refused, Unavailable
from bot.i18n import N_
from bot.telegram.addressing import is_group, replied_bot_text
from bot.telegram.handlers.account import REMEMBER_MAX_CHARS
from bot.telegram.handlers.context import BotContext
from bot.telegram.handlers.groups import may_manage

logger = logging.getLogger(__name__)

# The prompt starts with "✏️ " in every language (after "Name, " in a group): how a reply to it
# is told from a reply to any other message of the bot (tests/test_i18n.py checks every catalog).
EDIT_MARK = "✏️ "
# TRANSLATORS: keep "✏️ " at the very start; the quotes are your language's («…», „…“)
EDIT_PROMPT = N_("✏️ “{memory}”\nReply to this message with the new wording.")
_PROMPT = re.compile(r"^(?:[^\n]{0,80}, )?" + re.escape(EDIT_MARK))
EDITS_KEY = "memory_edits"  # chat_data: prompt message id → PendingEdit
EDIT_TTL_SECONDS = 15 * 60


@dataclass(frozen=True, slots=True)
class PendingEdit:
    memory_id: str
    user_id: int
    asked_at: float


class RepliesToEditPrompt(filters.MessageFilter):
    """A message answering one of the bot's "new wording" prompts."""

    def filter(self, message: Message) -> bool:
        replied = replied_bot_text(message)
        return replied is not None and _PROMPT.match(replied) is not None


async def on_edit_button(update: Update, context: BotContext) -> None:
    """✏️ on a memory ("mem:e:<id>:<page>"): ask for its new wording with a forced reply."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    _ = (await context.words(update)).gettext
    parts = query.data.split(":")
    if len(parts) != 4:
        await query.answer(_("That button is out of date."))
        return
    chat, user = query.message.chat, query.from_user
    if not await may_manage(context, chat, user):
        await query.answer(_("Only a group administrator can change the group's memories."), show_alert=True)
        return
    item = await context.controls.one_memory(chat.id, parts[2])  # an outage: errors.on_error says so
    if item is None:  # not this chat's, or deleted meanwhile
        await query.answer(_("That memory is already gone."))
        return
    await query.answer()
    text = _(EDIT_PROMPT).format(memory=item.text)
    entities = []
    if is_group(chat):  # the mention makes the forced reply show for this person only (selective)
        name = user.first_name
        text = f"{name}, {text}"
        length = len(name.encode("utf-16-le")) // 2  # Telegram counts UTF-16 code units
        entities.append(MessageEntity(MessageEntity.TEXT_MENTION, 0, length, user=user))
    prompt = await context.bot.send_message(
        chat.id,
        text,
        entities=entities,
        reply_markup=ForceReply(selective=True),
        message_thread_id=getattr(query.message, "message_thread_id", None),
    )
    edits = _edits(context)
    now = time.monotonic()
    for stale in [k for k, v in edits.items() if now - v.asked_at > EDIT_TTL_SECONDS]:
        del edits[stale]
    edits[prompt.message_id] = PendingEdit(item.id, user.id, now)


async def on_edit_reply(update: Update, context: BotContext) -> None:
    """The new wording, replying to a prompt: replace the memory, or say why not."""
    message = update.message
    if message is None or message.text is None or message.reply_to_message is None:
        return
    t = await context.words(update)
    _ = t.gettext
    edits = _edits(context)
    pending = edits.get(message.reply_to_message.message_id)
    if pending is None or time.monotonic() - pending.asked_at > EDIT_TTL_SECONDS:
        await message.reply_text(_("That correction has expired. Open /memories and tap ✏️ again."))
        return
    if message.from_user is None or message.from_user.id != pending.user_id:
        await message.reply_text(_("Only the person who tapped ✏️ can give the new wording."))
        return
    if not await may_manage(context, message.chat, message.from_user):
        await message.reply_text(_("Only a group administrator can change the group's memories."))
        return
    text = " ".join(message.text.split())
    if len(text) > REMEMBER_MAX_CHARS:
        await message.reply_text(
            t.ngettext(
                "That's too long to remember as one fact (at most {limit} character).",
                "That's too long to remember as one fact (at most {limit} characters).",
                REMEMBER_MAX_CHARS,
            ).format(limit=t.number(REMEMBER_MAX_CHARS))
        )
        return
    if (await context.chats.get_prefs(message.chat_id)).memory == "off":
        await message.reply_text(
            _("Memory is off (incognito), so I didn't store that. /prefs memory on turns it back on.")
        )
        return
    try:
        item = await context.controls.edit_memory(message.chat_id, pending.memory_id, text)
    except Unavailable as exc:
        logger.warning("editing a memory failed", exc_info=True)
        await message.reply_text(_(exc.button_reply))  # the prompt stays open: reply again
        return
    except Refused as exc:  # its message names the kind, never the text
        await message.reply_text(
            _(
                "I won't store that ({reason}): I never keep secrets, links or instructions as memories, "
                "only facts about you in words."
            ).format(reason=_(str(exc)))
        )
        return
    edits.pop(message.reply_to_message.message_id, None)
    if item is None:
        await message.reply_text(_("That memory is already gone."))
        return
    await message.reply_text(_("Saved. I'll remember: {fact}").format(fact=item.text))


def _edits(context: BotContext) -> dict[int, PendingEdit]:
    """The chat's open prompts (in memory: after a restart a reply gets the "expired" answer)."""
    if context.chat_data is None:
        return {}
    edits: dict[int, PendingEdit] = context.chat_data.setdefault(EDITS_KEY, {})
    return edits
