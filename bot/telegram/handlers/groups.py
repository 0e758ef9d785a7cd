"""Group chats: who is an administrator (and so may manage the chat's memory and settings), and a
group that becomes a supergroup. When a group message is for the bot: bot/telegram/addressing.py."""

from __future__ import annotations

from telegram import Chat, Update, User
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.errors import Unavailable
from bot.i18n import N_
from bot.telegram.addressing import PSEUDO_SENDERS, is_group
from bot.telegram.handlers.context import BotContext


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


class AdminCheckFailed(Unavailable):
    """Telegram could not say whether the user administers the chat (getChatMember failed): an
    outage, never read as "not an admin"."""

    reply = N_("I couldn't check who is an administrator of this group. Please try again in a minute.")
    button_reply = N_(
        "I couldn't check who is an administrator of this group, so nothing was changed yet. "
        "Please try again in a minute."
    )


async def is_admin(context: BotContext, chat_id: int, user_id: int) -> bool:
    """Whether Telegram says the user administers the chat; AdminCheckFailed when it cannot say."""
    if user_id in PSEUDO_SENDERS:
        return False
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError as exc:
        raise AdminCheckFailed(f"getChatMember failed in chat {chat_id}: {type(exc).__name__}") from exc
    return member.status in {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}


async def may_manage(context: BotContext, chat: Chat, user: User | None) -> bool:
    """Who may erase the chat's memory or change its settings. Private chats: the person. Groups:
    an administrator, identified (not anonymous)."""
    if not is_group(chat):
        return True
    return user is not None and await is_admin(context, chat.id, user.id)
