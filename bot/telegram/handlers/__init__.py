"""Telegram-facing handlers, one module per area; `register` attaches them all in order."""

from __future__ import annotations

from typing import Any

from telegram import Bot, BotCommand
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.i18n import ENGLISH, N_, Translator, languages, translator
from bot.telegram.handlers import (
    account,
    conversation,
    forget,
    gate,
    groups,
    import_buttons,
    imports,
    intro,
    media_messages,
    memories,
    memory_edit,
    prefs,
    reminders,
    session,
    unhandled,
)
from bot.telegram.handlers.context import BotContext
from bot.telegram.handlers.media_messages import NON_TEXT_REPLY

__all__ = ["COMMANDS", "NON_TEXT_REPLY", "BotContext", "commands", "publish_commands", "register"]

COMMANDS = (
    ("start", N_("What I am and what I remember")),
    ("help", N_("How to use me")),
    ("memories", N_("What I remember about you (add words to search)")),
    ("remember", N_("Remember a fact exactly as you write it")),
    ("forget", N_("Erase memories: all, or the ones matching some words")),
    ("prefs", N_("Your settings: length, units, language, style, memory")),
    ("new", N_("Start a fresh conversation (memories stay)")),
    ("export", N_("Download everything I keep about you")),
    ("import", N_("Bring what ChatGPT, Claude or an /export file knows about you")),
    ("usage", N_("Messages and tokens used today and this month")),
    ("remind", N_("Set a reminder: /remind every Monday 07:00 weigh in")),
    ("reminders", N_("Your reminders, with a delete button each")),
)


def commands(t: Translator) -> list[BotCommand]:
    """The command menu in one language."""
    return [BotCommand(name, t.gettext(description)) for name, description in COMMANDS]


async def publish_commands(bot: Bot) -> None:
    """Register the command menu in every language with a catalog; English for everyone else."""
    for language in languages():
        code = None if language == ENGLISH else language
        await bot.set_my_commands(commands(translator(language)), language_code=code)


MIGRATION_GROUP = -2  # a group's move to a supergroup id, before the gate (which drops service messages)
GATE_GROUP = -1  # runs before every other handler (but the migration); stops with ApplicationHandlerStop


def register_imports(
    application: Application[Any, Any, Any, Any, Any, Any], new_message: filters.BaseFilter
) -> None:
    """The other assistant's answer, or an import file: replying to /import's prompt, or a file
    with /import as its caption."""
    import_prompt = imports.RepliesToImportPrompt()
    application.add_handler(
        MessageHandler(new_message & filters.TEXT & ~filters.COMMAND & import_prompt, imports.on_import_text)
    )
    application.add_handler(
        MessageHandler(
            new_message & filters.Document.ALL & (import_prompt | imports.ImportCaption()),
            imports.on_import_file,
        )
    )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Attach every handler: the gate first, then commands, buttons and plain messages."""
    application.add_handler(
        MessageHandler(filters.StatusUpdate.MIGRATE, groups.on_migration), group=MIGRATION_GROUP
    )
    application.add_handler(TypeHandler(object, gate.gate), group=GATE_GROUP)
    new_message = filters.UpdateType.MESSAGE  # edited messages and channel posts are not answered
    commands = {
        "start": intro.start,
        "help": intro.help_command,
        "memories": memories.memories,
        "remember": account.remember,
        "forget": forget.forget,
        "prefs": prefs.prefs,
        "new": session.new,
        "export": account.export,
        "import": imports.start_import,
        "usage": account.usage,
        "remind": reminders.remind,
        "reminders": reminders.reminders,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=new_message))
    buttons = {
        r"^forget:": forget.on_forget_answer,
        r"^imp:": import_buttons.on_import_button,
        r"^fo:": forget.on_forget_one,
        r"^mem:e:": memory_edit.on_edit_button,  # before "^mem:", which takes the other mem: buttons
        r"^mem:": memories.on_memories_button,
        r"^pref:": prefs.on_pref_button,
        r"^prefm:": prefs.on_pref_menu,
        r"^rem:": reminders.on_reminder_button,
        r"^tz:": reminders.on_timezone_button,
    }
    for pattern, callback in buttons.items():
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern))
    application.add_handler(CallbackQueryHandler(unhandled.on_unknown_button))
    private = filters.ChatType.PRIVATE
    application.add_handler(
        MessageHandler(new_message & filters.COMMAND & private, unhandled.on_unknown_command)
    )
    register_imports(application, new_message)  # before plain messages and media take them
    # A reply giving a memory's new wording (after ✏️), before plain messages take it.
    edit_reply = new_message & filters.TEXT & ~filters.COMMAND & memory_edit.RepliesToEditPrompt()
    application.add_handler(MessageHandler(edit_reply, memory_edit.on_edit_reply))
    application.add_handler(
        MessageHandler(new_message & filters.TEXT & ~filters.COMMAND, conversation.on_text)
    )
    # Voice notes, audio, round videos and pictures are answered; other kinds get a short note.
    application.add_handler(MessageHandler(new_message & ~filters.TEXT, media_messages.on_media))
    application.add_error_handler(unhandled.on_error)
