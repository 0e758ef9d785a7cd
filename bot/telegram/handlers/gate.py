"""The gate: runs before every other handler and stops what must not reach them.

In order: updates from chats the bot does not serve (groups when GROUPS_ENABLED is off, group
messages not addressed to the bot), people not in ALLOWED_USER_IDS, senders over
RATE_LIMIT_PER_MINUTE, messages over MAX_INPUT_CHARS, and questions past DAILY_TOKEN_BUDGET.
Each refusal that a person should understand gets one short, friendly answer.
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop

from bot.i18n import N_
from bot.records import utc_day
from bot.telegram.addressing import addressed_text, counted_as, is_command, is_group
from bot.telegram.handlers.context import BotContext

logger = logging.getLogger(__name__)

NOT_ALLOWED_REPLY = N_("Sorry, this is a private bot and you're not on its list of users.")
BUDGET_REPLY = N_(
    "You've used today's AI budget ({budget} tokens). I'll be back to full strength tomorrow "
    "(the budget resets at midnight UTC). /usage shows the details; your commands still work."
)
TOO_LONG_REPLY = N_(
    "That message is too long for me ({length} characters; the limit is {limit}). "
    "Please shorten it or send it in parts."
)


async def gate(update: Update, context: BotContext) -> None:
    """Stop updates the bot must not handle; answer the ones a person should hear about."""
    settings = context.settings
    chat = update.effective_chat
    user = update.effective_user
    message = update.message  # new messages only; edits and channel posts are never answered
    if chat is not None and user is not None:
        # The chat wrote to us, so it can be written to again (e.g. the user unblocked the bot).
        await context.sender.note_incoming(chat.id)
    if message is not None:
        # A caption is what a picture or voice note says (and where a group mentions the bot).
        context.addressed_text = (
            addressed_text(message, context.bot.bot)
            if is_group(message.chat)
            else message.text or message.caption
        )
    if chat is not None and is_group(chat):
        if not settings.groups_enabled:
            raise ApplicationHandlerStop
        if message is not None and not _for_the_bot(message, context):
            raise ApplicationHandlerStop
    if settings.allowed_user_ids and (user is None or user.id not in settings.allowed_user_ids):
        await _refuse_stranger(update, context)
    if message is not None and user is not None:
        await _within_limits(update, message, context)


async def _refuse_stranger(update: Update, context: BotContext) -> None:
    """Someone not in ALLOWED_USER_IDS: told so (a button's alert, a private message), stopped."""
    user, chat, message, query = (
        update.effective_user,
        update.effective_chat,
        update.message,
        update.callback_query,
    )
    if user is not None:
        logger.info("update from user %s refused: not in ALLOWED_USER_IDS", user.id)
    _ = (await context.words(update)).gettext
    if query is not None:
        await query.answer(_(NOT_ALLOWED_REPLY), show_alert=True)
    elif message is not None and chat is not None and chat.type == chat.PRIVATE:
        await message.reply_text(_(NOT_ALLOWED_REPLY))
    raise ApplicationHandlerStop


async def _within_limits(update: Update, message: Message, context: BotContext) -> None:
    """Stop a message over the sender's rate limit, over MAX_INPUT_CHARS, or (for a question to
    the model) past the sender's DAILY_TOKEN_BUDGET; each with one short answer."""
    settings = context.settings
    limiter = context.deps.limiter
    sender = counted_as(message)  # a person, or the chat behind a shared pseudo-sender id
    # An album is one message: its pictures come as messages with one media_group_id.
    wait = limiter.allow_message(sender, message.media_group_id)
    if wait:
        if limiter.should_warn(sender):
            t = await context.words(update)
            seconds = max(1, round(wait))
            note = t.ngettext(
                "You're writing faster than I can coach! Please wait {seconds} second and try again.",
                "You're writing faster than I can coach! Please wait {seconds} seconds and try again.",
                seconds,
            )
            await message.reply_text(note.format(seconds=t.number(seconds)))
        raise ApplicationHandlerStop
    text = message.text or ""
    if len(text) > settings.max_input_chars:
        t = await context.words(update)
        note = t.gettext(TOO_LONG_REPLY)
        await message.reply_text(
            note.format(length=t.number(len(text)), limit=t.number(settings.max_input_chars))
        )
        raise ApplicationHandlerStop
    asks_model = (text and not is_command(message)) or message.effective_attachment is not None
    if settings.daily_token_budget and asks_model:
        today = await context.chats.usage_since(sender, utc_day())
        if today.tokens >= settings.daily_token_budget:
            t = await context.words(update)
            note = t.gettext(BUDGET_REPLY).format(budget=t.number(settings.daily_token_budget))
            await message.reply_text(note)
            raise ApplicationHandlerStop


def _for_the_bot(message: Message, context: BotContext) -> bool:
    """A group message is for the bot when it is a command (to no bot in particular, or to this
    one), or mentions or replies to the bot (a picture or voice note: in its caption, or as a
    reply)."""
    if is_command(message, context.bot.bot):
        return True
    return context.addressed_text is not None
