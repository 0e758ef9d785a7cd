"""The handlers' typed context and small helpers every handler area shares."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import CallbackContext, ExtBot

from bot.i18n import Translator, choose, translator

if TYPE_CHECKING:
    from bot.advisor.pipeline import Advisor
    from bot.config import Settings
    from bot.records import Prefs

logger = logging.getLogger(__name__)


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
    def advisor(self) -> Advisor:
        advisor: Advisor = self.bot_data["advisor"]
        return advisor

    @property
    def settings(self) -> Settings:
        settings: Settings = self.bot_data["settings"]
        return settings

    async def words(self, update: object, prefs: Prefs | None = None) -> Translator:
        """The interface language of this update: the chat's /prefs language if it has a catalog,
        else the sender's Telegram language, else English. `prefs`: the chat's settings, if known."""
        if not isinstance(update, Update):
            return translator(None)
        user = update.effective_user
        chat = update.effective_chat
        chosen = None
        if prefs is None and chat is not None and "advisor" in self.bot_data:
            try:
                prefs = await self.advisor.prefs(chat.id)
            except Exception:  # the language is never worth failing a reply: Telegram's will do
                logger.warning(
                    "chat %s: settings unreadable; using the Telegram language", chat.id, exc_info=True
                )
        if prefs is not None and prefs.language != "auto":
            chosen = prefs.language
        return translator(choose(chosen, user.language_code if user is not None else None))


def callback_fields(data: str) -> tuple[str, str]:
    """The two fields after the prefix of "prefix:a:b" callback data ("" where missing)."""
    parts = data.split(":")
    return (parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else "")
