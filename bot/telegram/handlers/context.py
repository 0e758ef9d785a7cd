"""The handlers' typed context and small helpers every handler area shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telegram.ext import CallbackContext, ExtBot

if TYPE_CHECKING:
    from bot.advisor.pipeline import Advisor
    from bot.config import Settings
    from bot.followup.service import Followup


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The handlers' context, with the advisor the application was built with."""

    @property
    def advisor(self) -> Advisor:
        advisor: Advisor = self.bot_data["advisor"]
        return advisor

    @property
    def followup(self) -> Followup:
        followup: Followup = self.bot_data["followup"]
        return followup

    @property
    def settings(self) -> Settings:
        settings: Settings = self.bot_data["settings"]
        return settings


def callback_fields(data: str) -> tuple[str, str]:
    """The two fields after the prefix of "prefix:a:b" callback data ("" where missing)."""
    parts = data.split(":")
    return (parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else "")
