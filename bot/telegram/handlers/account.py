"""/remember, /export and /usage: the person's own facts, data and consumption."""

from __future__ import annotations

import json
import logging
import math

from telegram import Update

from bot.errors import Refused
from bot.records import Usage
from bot.telegram.handlers.context import BotContext
from bot.telegram.handlers.groups import counted_as, is_group, is_pseudo_sender

logger = logging.getLogger(__name__)

REMEMBER_USAGE = "Usage: /remember <a fact about you>, e.g. /remember I train at 6am on weekdays"
REMEMBER_MAX_CHARS = 500
PSEUDO_SENDER_REPLY = (
    "Anonymous admins and channels can't store memories: nobody could later see or erase them."
)
REMEMBER_RATE_REPLY = (
    "That's {limit} facts saved in the last hour, my limit. Please wait {minutes} minute(s) before "
    "the next /remember (or just tell me in a message)."
)


async def remember(update: Update, context: BotContext) -> None:
    """Store the fact given exactly as written."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    if is_group(message.chat) and is_pseudo_sender(message):
        await message.reply_text(PSEUDO_SENDER_REPLY)
        return
    parts = message.text.split(maxsplit=1)
    fact = parts[1].strip() if len(parts) > 1 else ""
    if not fact:
        await message.reply_text(REMEMBER_USAGE)
        return
    if len(fact) > REMEMBER_MAX_CHARS:
        await message.reply_text(
            f"That's too long to remember as one fact (at most {REMEMBER_MAX_CHARS} characters)."
        )
        return
    limiter = context.deps.remember_limiter
    wait = limiter.allow(counted_as(message))
    if wait:
        minutes = max(1, math.ceil(wait / 60))
        await message.reply_text(REMEMBER_RATE_REPLY.format(limit=limiter.limit, minutes=minutes))
        return
    try:
        saved = await context.advisor.remember(message.chat_id, fact)
    except Refused as exc:  # the advisor refuses secrets, instructions, links and non-facts
        await message.reply_text(
            f"I won't store that ({exc}): I never keep secrets, links or instructions as memories, "
            "only facts about you in words."
        )
        return
    if saved is None:
        await message.reply_text(
            "Memory is off (incognito), so I didn't store that. /prefs memory on turns it back on."
        )
        return
    await message.reply_text(f"Saved. I'll remember: {fact}")


async def export(update: Update, context: BotContext) -> None:
    """Send a JSON file with every memory and setting of this chat."""
    message = update.effective_message
    if message is None:
        return
    document = await context.advisor.export(message.chat_id)
    data = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    await message.reply_document(
        document=data,
        filename=f"advisor-export-{document['exported_at'][:10]}.json",
        caption=f"Your data: {len(document['memories'])} memories and your settings.",
    )


async def usage(update: Update, context: BotContext) -> None:
    """Show the messages and tokens this person used today and this month."""
    message = update.effective_message
    if message is None:
        return
    today, month = await context.advisor.usage(counted_as(message))
    budget = context.settings.daily_token_budget
    lines = [
        "Your usage:",
        f"Today: {_describe(today)}",
        f"This month: {_describe(month)}",
    ]
    if budget:
        left = max(0, budget - today.tokens)
        lines.append(f"Daily budget: {budget:,} tokens ({left:,} left today).")
    await message.reply_text("\n".join(lines))


def _describe(usage: Usage) -> str:
    return (
        f"{usage.messages} message{'s' if usage.messages != 1 else ''}, {usage.tokens:,} tokens "
        f"({usage.prompt_tokens:,} in, {usage.output_tokens:,} out)"
    )
