"""/remember, /export and /usage: the person's own facts, data and consumption."""

from __future__ import annotations

import json
import logging
import math

from telegram import Update

from bot.errors import Refused
from bot.i18n import N_, Translator
from bot.records import Usage, utc_day
from bot.telegram.addressing import counted_as, is_group, is_pseudo_sender
from bot.telegram.handlers.context import BotContext

logger = logging.getLogger(__name__)

REMEMBER_USAGE = N_("Usage: /remember <a fact about you>, e.g. /remember I train at 6am on weekdays")
REMEMBER_MAX_CHARS = 500
PSEUDO_SENDER_REPLY = N_(
    "Anonymous admins and channels can't store memories: nobody could later see or erase them."
)


async def remember(update: Update, context: BotContext) -> None:
    """Store the fact given exactly as written."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    t = await context.words(update)
    _ = t.gettext
    if is_group(message.chat) and is_pseudo_sender(message):
        await message.reply_text(_(PSEUDO_SENDER_REPLY))
        return
    parts = message.text.split(maxsplit=1)
    fact = parts[1].strip() if len(parts) > 1 else ""
    if not fact:
        await message.reply_text(_(REMEMBER_USAGE))
        return
    if len(fact) > REMEMBER_MAX_CHARS:
        await message.reply_text(
            _("That's too long to remember as one fact (at most {limit} characters).").format(
                limit=REMEMBER_MAX_CHARS
            )
        )
        return
    limiter = context.deps.remember_limiter
    wait = limiter.allow(counted_as(message))
    if wait:
        minutes = max(1, math.ceil(wait / 60))
        saved_note = t.ngettext(
            "That's {limit} fact saved in the last hour, my limit.",
            "That's {limit} facts saved in the last hour, my limit.",
            limiter.limit,
        )
        wait_note = t.ngettext(
            "Please wait {minutes} minute before the next /remember (or just tell me in a message).",
            "Please wait {minutes} minutes before the next /remember (or just tell me in a message).",
            minutes,
        )
        await message.reply_text(
            saved_note.format(limit=t.number(limiter.limit))
            + " "
            + wait_note.format(minutes=t.number(minutes))
        )
        return
    try:
        saved = await context.controls.remember(message.chat_id, fact)
    except Refused as exc:  # the advisor refuses secrets, instructions, links and non-facts
        await message.reply_text(
            _(
                "I won't store that ({reason}): I never keep secrets, links or instructions as memories, "
                "only facts about you in words."
            ).format(reason=_(str(exc)))
        )
        return
    if saved is None:
        await message.reply_text(
            _("Memory is off (incognito), so I didn't store that. /prefs memory on turns it back on.")
        )
        return
    await message.reply_text(_("Saved. I'll remember: {fact}").format(fact=fact))


async def export(update: Update, context: BotContext) -> None:
    """Send a JSON file with everything kept about this chat: memories, settings, recent turns,
    memory writes still waiting, usage and reminders."""
    message = update.effective_message
    if message is None:
        return
    t = await context.words(update)
    document = await context.controls.export(message.chat_id, usage_user=counted_as(message))
    document["reminders"] = await context.followup.export(message.chat_id)
    data = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    await message.reply_document(
        document=data,
        filename=f"advisor-export-{document['exported_at'][:10]}.json",
        caption=t.ngettext(
            "Your data: {count} memory and your settings.",
            "Your data: {count} memories and your settings.",
            len(document["memories"]),
        ).format(count=t.number(len(document["memories"]))),
    )


async def usage(update: Update, context: BotContext) -> None:
    """Show the messages and tokens this person used today and this month."""
    message = update.effective_message
    if message is None:
        return
    t = await context.words(update)
    _ = t.gettext
    user, day = counted_as(message), utc_day()  # the day and the month are UTC's
    today = await context.chats.usage_since(user, day)
    month = await context.chats.usage_since(user, day[:8] + "01")
    budget = context.settings.daily_token_budget
    lines = [
        _("Your usage:"),
        _("Today: {usage}").format(usage=_describe(t, today)),
        _("This month: {usage}").format(usage=_describe(t, month)),
    ]
    if budget:
        left = max(0, budget - today.tokens)
        lines.append(
            t.ngettext(
                "Daily budget: {budget} token ({left} left today).",
                "Daily budget: {budget} tokens ({left} left today).",
                budget,
            ).format(budget=t.number(budget), left=t.number(left))
        )
    await message.reply_text("\n".join(lines))


def _describe(t: Translator, usage: Usage) -> str:
    messages = t.ngettext("{count} message", "{count} messages", usage.messages)
    tokens = t.ngettext(
        "{count} token ({prompt} in, {output} out)",
        "{count} tokens ({prompt} in, {output} out)",
        usage.tokens,
    )
    numbers = {"prompt": t.number(usage.prompt_tokens), "output": t.number(usage.output_tokens)}
    return (
        f"{messages.format(count=t.number(usage.messages))}, "
        f"{tokens.format(count=t.number(usage.tokens), **numbers)}"
    )
