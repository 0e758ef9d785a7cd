"""Correcting a memory: ✏️ in /memories asks for the new wording (ForceReply); the reply replaces
the memory through the advisor (Mem0's update: its history keeps the old text).

Who may: the person in a private chat; in a group, an administrator, and only the one who tapped
✏️ may answer. The same guards as /remember apply (no secrets, instructions or links).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from telegram import ForceReply, Message, MessageEntity, Update
from telegram.ext import filters

from bot.errors import Refused, Unavailable
from bot.telegram.handlers.context import BotContext
from bot.telegram.handlers.groups import is_group, may_manage

logger = logging.getLogger(__name__)

EDIT_MARK = "✏️ New wording for:"
EDITS_KEY = "memory_edits"  # chat_data: prompt message id → PendingEdit
EDIT_TTL_SECONDS = 15 * 60
MAX_CHARS = 500  # as /remember
MEMORY_DOWN_REPLY = (
    "My memory is unavailable right now, so nothing was changed. Please try again in a few minutes."
)
ADMIN_ONLY_REPLY = "Only a group administrator can change the group's memories."
EXPIRED_REPLY = "That correction has expired. Open /memories and tap ✏️ again."
NOT_YOURS_REPLY = "Only the person who tapped ✏️ can give the new wording."
GONE_REPLY = "That memory is gone (deleted meanwhile), so there was nothing to change."
INCOGNITO_REPLY = "Memory is off (incognito), so I didn't change anything. /prefs memory on turns it back on."


@dataclass(frozen=True, slots=True)
class PendingEdit:
    memory_id: str
    user_id: int
    asked_at: float


class RepliesToEditPrompt(filters.MessageFilter):
    """A message answering one of the bot's "new wording" prompts."""

    def filter(self, message: Message) -> bool:
        reply = message.reply_to_message
        return (
            reply is not None
            and reply.from_user is not None
            and reply.from_user.is_bot
            and EDIT_MARK in (reply.text or "")
        )


async def on_edit_button(update: Update, context: BotContext) -> None:
    """✏️ on a memory ("mem:e:<id>:<page>"): ask for its new wording with a forced reply."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    parts = query.data.split(":")
    if len(parts) != 4:
        await query.answer("That button is out of date.")
        return
    chat, user = query.message.chat, query.from_user
    if not await may_manage(context, chat, user):
        await query.answer(ADMIN_ONLY_REPLY, show_alert=True)
        return
    item = await context.advisor.one_memory(chat.id, parts[2])  # an outage: errors.on_error says so
    if item is None:  # not this chat's, or deleted meanwhile
        await query.answer("That memory is already gone.")
        return
    await query.answer()
    text = f"{EDIT_MARK} “{item.text}”\nReply to this message with how it should read."
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
        reply_markup=ForceReply(selective=True, input_field_placeholder="The corrected memory"),
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
    edits = _edits(context)
    pending = edits.get(message.reply_to_message.message_id)
    if pending is None or time.monotonic() - pending.asked_at > EDIT_TTL_SECONDS:
        await message.reply_text(EXPIRED_REPLY)
        return
    if message.from_user is None or message.from_user.id != pending.user_id:
        await message.reply_text(NOT_YOURS_REPLY)
        return
    if not await may_manage(context, message.chat, message.from_user):
        await message.reply_text(ADMIN_ONLY_REPLY)
        return
    text = " ".join(message.text.split())
    if not text or len(text) > MAX_CHARS:
        await message.reply_text(
            f"Please send the new wording as one fact of at most {MAX_CHARS} characters."
        )
        return
    if (await context.advisor.prefs(message.chat_id)).memory == "off":
        await message.reply_text(INCOGNITO_REPLY)
        return
    try:
        item = await context.advisor.edit_memory(message.chat_id, pending.memory_id, text)
    except Unavailable:
        logger.warning("editing a memory failed", exc_info=True)
        await message.reply_text(MEMORY_DOWN_REPLY)  # the prompt stays open: replying again retries
        return
    except Refused as exc:  # its message names the kind, never the text
        await message.reply_text(
            f"I won't store that ({exc}): I never keep secrets, instructions or links as memories. "
            "The memory is unchanged."
        )
        return
    edits.pop(message.reply_to_message.message_id, None)
    if item is None:
        await message.reply_text(GONE_REPLY)
        return
    await message.reply_text(f"Updated. I'll remember: {item.text}")


def _edits(context: BotContext) -> dict[int, PendingEdit]:
    """The chat's open prompts (in memory: after a restart a reply gets EXPIRED_REPLY)."""
    if context.chat_data is None:
        return {}
    edits: dict[int, PendingEdit] = context.chat_data.setdefault(EDITS_KEY, {})
    return edits
