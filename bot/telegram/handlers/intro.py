"""/start and /help: what the bot is, what it remembers and how to control it."""

from __future__ import annotations

from telegram import Update

from bot.i18n import N_
from bot.telegram.handlers.context import BotContext

START_TEXT = N_("""\
Hi {name}! I'm your AI advisor, and I remember you between conversations.

Tell me about your goals, preferences and routines, and ask me anything: I'll tailor my advice \
to you.

What I remember: facts you tell me about yourself (e.g. "I train at 6am", "my left knee is weak"). \
I keep them so you don't have to repeat yourself.

Your memory, your control:
/memories shows what I remember (/memories knee searches it)
/forget erases all of it for good (/forget knee picks what to erase)
/prefs sets reply length, units, language, style, and memory on/off
/help lists everything""")

HELP_TEXT = N_("""\
Just write to me in plain text: questions, updates, how it went.

/memories: what I remember about you; /memories <words> searches it
/remember <fact>: store a fact exactly as you write it
/forget: erase everything I remember about you (asks to confirm); /forget <words> picks
/prefs: your settings with buttons; e.g. /prefs length short, /prefs memory off (incognito)
/remind <when> <what>: a reminder, e.g. /remind every Monday 07:00 weigh in, /remind in 20 minutes stretch
/reminders: what is scheduled, with a delete button each
/new: start a fresh conversation (memories stay)
/export: a JSON file of your memories, reminders and settings
/import: bring in what another assistant or an /export file knows about you
/usage: messages and tokens used today and this month
/start: what I am

In groups I answer when mentioned or replied to, and the group has its own memory.
Besides text, I understand voice messages, audio files, round video messages and photos.""")


async def start(update: Update, context: BotContext) -> None:
    """Introduce the bot and what it remembers."""
    t = await context.words(update)
    user = update.effective_user
    # TRANSLATORS: the {name} of "Hi {name}!" for someone Telegram gives no name
    name = user.first_name if user else t.gettext("there")
    if update.effective_message:
        await update.effective_message.reply_text(t.gettext(START_TEXT).format(name=name))


async def help_command(update: Update, context: BotContext) -> None:
    """List the commands."""
    if update.effective_message:
        t = await context.words(update)
        await update.effective_message.reply_text(t.gettext(HELP_TEXT))
