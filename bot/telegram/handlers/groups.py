"""Group chats: when the bot is addressed, who is an administrator, and who is nobody in particular."""

from __future__ import annotations

import logging
import re

from telegram import Chat, Message, User
from telegram.constants import ChatID, ChatMemberStatus
from telegram.error import TelegramError

from bot.telegram.handlers.context import BotContext

logger = logging.getLogger(__name__)

# Senders shared by many people: anonymous group admins and channels posting in a group.
PSEUDO_SENDERS = frozenset({ChatID.ANONYMOUS_ADMIN, ChatID.FAKE_CHANNEL})
GROUP_TYPES = frozenset({Chat.GROUP, Chat.SUPERGROUP})


def is_group(chat: Chat | None) -> bool:
    return chat is not None and chat.type in GROUP_TYPES


def is_pseudo_sender(message: Message) -> bool:
    """The message speaks for an anonymous admin or a channel, not for one identifiable person."""
    user = message.from_user
    return message.sender_chat is not None or user is None or user.id in PSEUDO_SENDERS


def addressed_text(message: Message, bot: User) -> str | None:
    """In a group: the text (or a picture's or voice note's caption) with the bot's @mention
    removed, if the message mentions the bot or replies to one of its messages; None when the
    message is not for the bot."""
    text = message.text or message.caption or ""
    mention = f"@{bot.username}".lower() if bot.username else None
    mentioned = False
    entities = message.parse_entities if message.text is not None else message.parse_caption_entities
    found = list(entities(["mention"]).values())
    if not found and mention:  # clients always send the entity; plain text is a fallback
        found = re.findall(rf"(?i)(?<![\w@]){re.escape(mention)}\b", text)
    for value in found:
        if mention and value.lower() == mention:
            mentioned = True
            text = text.replace(value, " ", 1)
    replied = message.reply_to_message
    to_bot = replied is not None and replied.from_user is not None and replied.from_user.id == bot.id
    if not (mentioned or to_bot):
        return None
    return " ".join(text.split())


async def is_admin(context: BotContext, chat_id: int, user_id: int) -> bool:
    """Whether Telegram says the user administers the chat (False if it cannot be asked)."""
    if user_id in PSEUDO_SENDERS:
        return False
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        logger.warning("could not check the admin status of a user in chat %s", chat_id, exc_info=True)
        return False
    return member.status in {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}


async def may_manage(context: BotContext, chat: Chat, user: User | None) -> bool:
    """Who may erase the chat's memory or change its settings. Private chats: the person. Groups:
    an administrator, identified (not anonymous)."""
    if not is_group(chat):
        return True
    return user is not None and await is_admin(context, chat.id, user.id)
