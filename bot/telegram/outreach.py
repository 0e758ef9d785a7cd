"""Messages the bot starts (reminders, check-ins): sent through the one Sender, so they share its
pacing (about 30/s overall, 1/s per chat) and its handling of Telegram's refusals."""

from __future__ import annotations

import logging

from telegram.error import BadRequest, TelegramError

from bot.followup.scheduler import Outcome
from bot.telegram.sender import Delivery, Sender

logger = logging.getLogger(__name__)

_OUTCOMES = {
    Delivery.SENT: Outcome.SENT,
    Delivery.MAYBE_SENT: Outcome.MAYBE_SENT,
    Delivery.BLOCKED: Outcome.BLOCKED,
    Delivery.NOT_SENT: Outcome.FAILED,
}


class Outreach:
    """The scheduler's `deliver`: send one text, say whether Telegram took it (or may have)."""

    def __init__(self, sender: Sender) -> None:
        self._sender = sender

    async def __call__(self, chat_id: int, text: str) -> Outcome:
        try:
            sent = await self._sender.send(chat_id, text)
        except BadRequest as exc:  # "chat not found" and the like: this chat cannot be written to
            logger.info("chat %s: Telegram refused a reminder (%s)", chat_id, exc.message)
            return Outcome.BLOCKED
        except TelegramError:
            logger.warning("chat %s: sending a reminder failed", chat_id, exc_info=True)
            return Outcome.FAILED
        return _OUTCOMES[sent.delivery]
