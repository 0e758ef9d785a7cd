"""Group chats: when the bot is addressed, who is an administrator, who is nobody in particular,
and a group that becomes a supergroup."""

from __future__ import annotations

import logging
import re

from telegram import Chat, Message, MessageEntity, Update, User
from telegram.constants import ChatID, ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

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


def counted_as(message: Message) -> int:
    """Whose rate limit, daily budget and usage a message counts towards: its sender's; for a
    pseudo-sender (an id shared by every group's anonymous admins, or by every channel) the chat
    that speaks: the channel, or the group its anonymous admin speaks for."""
    if message.sender_chat is not None:
        return message.sender_chat.id
    user = message.from_user
    return message.chat.id if user is None or user.id in PSEUDO_SENDERS else user.id


def is_command(message: Message, bot: User | None = None) -> bool:
    """The message is a bot command: it starts with a `bot_command` entity (what Telegram sends
    for "/start", never for "/ how do I…"), addressed to no bot or to `bot` when given."""
    entities = message.entities
    if not entities or entities[0].type != MessageEntity.BOT_COMMAND or entities[0].offset != 0:
        return False
    command = message.parse_entity(entities[0])
    _, _, target = command.partition("@")
    return not target or bot is None or target.lower() == (bot.username or "").lower()


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


async def on_migration(update: Update, context: BotContext) -> None:
    """A group became a supergroup (Telegram's `migrate_to_chat_id` / `migrate_from_chat_id`
    service messages): what the bot keeps about it moves to the new id. Nothing else handles them."""
    message = update.message
    if message is not None:
        if message.migrate_to_chat_id is not None:
            old_id, new_id = message.chat.id, message.migrate_to_chat_id
        elif message.migrate_from_chat_id is not None:
            old_id, new_id = message.migrate_from_chat_id, message.chat.id
        else:
            return
        # The sender follows the chat from now on and has the advisor move what is kept about it:
        # the same path as a send Telegram refuses with the new id.
        await context.sender.follow_migration(old_id, new_id)
    raise ApplicationHandlerStop


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
