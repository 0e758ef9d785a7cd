"""The handlers' typed context and the dependencies it carries."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.errors import Unavailable
from bot.i18n import Translator, choose, translator

if TYPE_CHECKING:
    from bot.advisor.controls import MemoryControls
    from bot.advisor.import_jobs import ImportRunner
    from bot.advisor.importer import Importer
    from bot.advisor.pipeline import Advisor
    from bot.config import Settings
    from bot.followup.service import Followup
    from bot.records import Prefs, Usage
    from bot.telegram.attachments import MediaDeps
    from bot.telegram.rate_limit import RateLimiter
    from bot.telegram.sender import Sender

logger = logging.getLogger(__name__)


class ChatSettings(Protocol):
    """What the handlers read and change of a chat directly, with nothing to decide on the way: its
    settings, its session and its usage (bot/store/chats.py's ChatTables, given by bot/app.py;
    declared here so that the handlers import nothing of bot.store)."""

    async def get_prefs(self, chat_id: int) -> Prefs: ...

    async def set_pref(self, chat_id: int, key: str, value: str) -> Prefs: ...

    async def start_session(self, chat_id: int, at: float | None = None) -> None: ...

    async def usage_since(self, user_id: int, first_day: str) -> Usage: ...


@dataclass(frozen=True, slots=True)
class HandlerDeps:
    """What the handlers use, built once at start by the composition root (bot/app.py)."""

    settings: Settings
    advisor: Advisor  # answers and check-ins
    controls: MemoryControls  # what a person does with their memory: list, edit, forget, export
    chats: ChatSettings  # a chat's settings, session and usage
    sender: Sender  # every reply goes through it: pacing, 429 / 403 / 400 / migration handling
    limiter: RateLimiter
    remember_limiter: RateLimiter  # /remember's own limit (REMEMBER_PER_HOUR)
    media: MediaDeps  # voice notes and pictures: downloads, albums, how many at once
    followup: Followup  # reminders and check-ins (bot/followup)
    importer: Importer  # /import: pasted text, this bot's export, ChatGPT / Claude exports
    import_runner: ImportRunner  # ChatGPT / Claude exports read in the background


class AdvisorApplication(Application[Any, Any, Any, Any, Any, Any]):
    """PTB's Application, carrying the handlers' dependencies from the moment it is built."""

    def __init__(self, *, deps: HandlerDeps, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deps = deps


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The handlers' context, with the advisor the application was built with.

    PTB makes one context per update and hands it to every handler group, so what the gate works
    out about a message (`addressed_text`) is computed once and read by the handler after it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The message's text as meant for the bot (a group's @mention removed), or None when a
        #: group message is not for the bot; set by the gate for new messages.
        self.addressed_text: str | None = None

    @property
    def deps(self) -> HandlerDeps:
        application = self.application
        assert isinstance(application, AdvisorApplication), "built by bot.app.build_application"
        return application.deps

    @property
    def advisor(self) -> Advisor:
        return self.deps.advisor

    @property
    def controls(self) -> MemoryControls:
        return self.deps.controls

    @property
    def chats(self) -> ChatSettings:
        return self.deps.chats

    @property
    def settings(self) -> Settings:
        return self.deps.settings

    @property
    def sender(self) -> Sender:
        return self.deps.sender

    @property
    def followup(self) -> Followup:
        return self.deps.followup

    async def words(self, update: object, prefs: Prefs | None = None) -> Translator:
        """The interface language of this update: the chat's /prefs language if it has a catalog,
        else the sender's Telegram language, else English. `prefs`: the chat's settings, if known."""
        if not isinstance(update, Update):
            return translator(None)
        user = update.effective_user
        chat = update.effective_chat
        chosen = None
        if prefs is None and chat is not None:
            try:
                prefs = await self.chats.get_prefs(chat.id)
            except Unavailable:  # the language is never worth failing a reply: Telegram's will do
                logger.warning(
                    "chat %s: settings unreadable; using the Telegram language", chat.id, exc_info=True
                )
        if prefs is not None and prefs.language != "auto":
            chosen = prefs.language
        return translator(choose(chosen, user.language_code if user is not None else None))
