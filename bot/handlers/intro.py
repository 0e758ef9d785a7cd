"""/start and /help: what the bot is, what it remembers and how to control it."""

from __future__ import annotations

from telegram import Update

from bot.handlers.context import BotContext

START_TEXT = """\
Hi {name}! I'm your AI fitness advisor, and I remember you between conversations.

Tell me about your goals, preferences, injuries and routines, and ask me anything about training, \
recovery or nutrition: I'll tailor my advice to you.

What I remember: facts you tell me about yourself (e.g. "I train at 6am", "my left knee is weak"). \
I keep them so you don't have to repeat yourself.

Your memory, your control:
/memories shows what I remember (/memories knee searches it)
/forget erases all of it for good
/prefs sets reply length and units
/help lists everything"""

HELP_TEXT = """\
Just write to me in plain text: questions, updates, how your training went.

/memories: what I remember about you; /memories <words> searches it
/forget: erase everything I remember about you (asks to confirm)
/prefs: show your settings; /prefs length short|medium|long, /prefs units metric|imperial
/start: what I am

I only read text messages for now."""


async def start(update: Update, context: BotContext) -> None:
    """Introduce the bot and what it remembers."""
    user = update.effective_user
    name = user.first_name if user else "there"
    if update.effective_message:
        await update.effective_message.reply_text(START_TEXT.format(name=name))


async def help_command(update: Update, context: BotContext) -> None:
    """List the commands."""
    if update.effective_message:
        await update.effective_message.reply_text(HELP_TEXT)
