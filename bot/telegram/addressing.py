"""Who speaks and to whom: a group or a private chat, whose count a message goes to (a person, or
the chat behind a shared pseudo-sender), whether it is a command, and the text meant for the bot."""

from __future__ import annotations

import re

from telegram import Chat, Message, MessageEntity, User
from telegram.constants import ChatID

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


def replied_bot_text(message: Message) -> str | None:
    """The text of the bot's message this one replies to ("" for one without text); None when it
    replies to no message of a bot."""
    reply = message.reply_to_message
    if reply is None or reply.from_user is None or not reply.from_user.is_bot:
        return None
    return reply.text or ""
