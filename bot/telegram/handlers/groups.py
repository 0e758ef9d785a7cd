"""Group chats: who is an administrator (and so may manage the chat's memory and settings), and a
group that becomes a supergroup. When a group message is for the bot: bot/telegram/addressing.py."""

from __future__ import annotations

import logging

from telegram import Chat, Update, User
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.telegram.addressing import PSEUDO_SENDERS, is_group
from bot.telegram.handlers.context import BotContext

logger = logging.getLogger(__name__)


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
