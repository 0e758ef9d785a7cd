"""One place that sends text to Telegram: paced per chat, and calm about Telegram's refusals.

* 429 "retry after N": that chat waits N seconds and the message is resent; other chats go on.
* 403 (the user blocked the bot, or it was removed from the group): the chat is marked inactive
  in the store and nothing more is sent to it until it writes to us again.
* 400 "can't parse entities": resent once as plain text.
* chat migrated (a group became a supergroup): resent to the new chat id, which is remembered,
  and `on_migrated` moves the chat's memories, settings and turns (`follow_migration`; Telegram's
  service messages about the migration take the same path).
* a request that never left (`RequestNotSent`: no connection could be made; PTB's pool timeout):
  retried with backoff, `network_attempts` times in all.
* any other network failure (a dropped connection, a timeout, a 5xx): NOT resent, because
  Telegram may have received the request and a double answer is worse than a missing one. It
  is logged and the send reports None. Every message is therefore sent at most once.

`send_text` answers the sent Message or None; `send` answers a `Sent` that also says which kind of
None it was (`Delivery`): NOT_SENT (certainly not delivered: flood control gave up, no connection
could be made), BLOCKED (the chat refuses messages) or MAYBE_SENT (the request left and its answer
was lost; it may have arrived). Messages the bot starts itself (reminders) read the difference:
a MAYBE_SENT one counts as delivered, so it is not sent a second time.
"""

from __future__ import annotations

import datetime as dtm
import enum
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBDeprecationWarning

from bot.runtime.clock import Clock, SystemClock
from bot.store import ChatTables
from bot.telegram.ordering import current_update_id
from bot.telegram.transport import RequestNotSent

logger = logging.getLogger(__name__)

MigrationHook = Callable[[int, int], Awaitable[None]]
AnsweredHook = Callable[[int], Awaitable[None]]
ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply


class Delivery(enum.Enum):
    SENT = "sent"
    NOT_SENT = "not sent"  # certainly not delivered: sending again cannot duplicate it
    BLOCKED = "blocked"  # the chat refuses messages (403); it is marked inactive
    MAYBE_SENT = "maybe sent"  # the request left, its answer was lost: it may have arrived


@dataclass(frozen=True, slots=True)
class Sent:
    """What became of one send: the Message when Telegram answered, else why not."""

    delivery: Delivery
    message: Message | None = None


class _Pace:
    """A generic cell rate limiter: `rate` sends per second on average, bursts of up to `burst`."""

    __slots__ = ("burst", "interval", "next_free")

    def __init__(self, rate: float, burst: int) -> None:
        self.interval = 1.0 / rate
        self.burst = burst
        self.next_free = 0.0  # the theoretical time of the next send at the average rate

    def reserve(self, now: float) -> float:
        """Book the next slot; return how long to wait for it (0 when within the burst)."""
        start = max(self.next_free, now)
        wait = max(0.0, start - (self.burst - 1) * self.interval - now)
        self.next_free = start + self.interval
        return wait


class Sender:
    """Sends text messages for every handler; one instance per bot."""

    def __init__(
        self,
        bot: Bot,
        *,
        store: ChatTables | None = None,
        global_per_second: float = 30.0,
        private_per_second: float = 1.0,
        group_per_minute: float = 20.0,
        burst: int = 3,
        max_wait: float = 60.0,
        network_attempts: int = 3,
        on_migrated: MigrationHook | None = None,
        on_answered: AnsweredHook | None = None,
        clock: Clock | None = None,
    ) -> None:
        """`clock`: the time pacing, flood-control holds and resend pauses are measured in (the
        system clock by default; tests pass one they move by hand)."""
        self._bot = bot
        self._clock = clock or SystemClock()
        self._store = store
        self._global = _Pace(global_per_second, max(1, int(global_per_second))) if global_per_second else None
        self._private_rate = private_per_second
        self._group_rate = group_per_minute / 60.0
        self._burst = burst
        self._max_wait = max_wait
        self._network_attempts = network_attempts
        self._on_migrated = on_migrated
        # Told the id of the update being handled once a reply to it is out (the inbox marks it
        # done there and then, so a crash after this point cannot answer it twice).
        self.on_answered = on_answered
        self._paces: dict[int, _Pace] = {}
        self._held_until: dict[int, float] = {}  # chat id → the clock's monotonic time its 429 ends
        self._inactive: dict[int, str] = {}
        self._moved: dict[int, int] = {}

    async def load(self) -> None:
        """Read which chats are inactive or moved (from earlier runs)."""
        if self._store is None:
            return
        for chat_id, (reason, moved_to) in (await self._store.inactive_chats()).items():
            if moved_to is not None:
                self._moved[chat_id] = moved_to
            else:
                self._inactive[chat_id] = reason

    def is_active(self, chat_id: int) -> bool:
        return self._target(chat_id) not in self._inactive

    async def note_incoming(self, chat_id: int) -> None:
        """The chat wrote to us, so it can be written to again (e.g. the user unblocked the bot)."""
        if self._inactive.pop(chat_id, None) is not None:
            logger.info("chat %s is active again", chat_id)
            if self._store is not None:
                await self._store.set_chat_active(chat_id)

    async def send_text(
        self,
        chat_id: int,
        text: str,
        *,
        reply_to: int | None = None,
        entities: Sequence[MessageEntity] | None = None,
        reply_markup: ReplyMarkup | None = None,
        message_thread_id: int | None = None,
    ) -> Message | None:
        """Send `text` to the chat; None when Telegram would not take it (blocked, gave up) or its
        answer was lost (`send` tells these apart)."""
        sent = await self.send(
            chat_id,
            text,
            reply_to=reply_to,
            entities=entities,
            reply_markup=reply_markup,
            message_thread_id=message_thread_id,
        )
        return sent.message

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        reply_to: int | None = None,
        entities: Sequence[MessageEntity] | None = None,
        reply_markup: ReplyMarkup | None = None,
        message_thread_id: int | None = None,
    ) -> Sent:
        """Send `text` to the chat and say what became of it (see `Delivery`). Telegram's other
        refusals (a 400 other than unparsable formatting) are raised as before."""
        target = self._target(chat_id)
        waited, network_failures = 0.0, 0
        while True:
            if target in self._inactive:
                logger.debug("not sending to inactive chat %s (%s)", target, self._inactive[target])
                return Sent(Delivery.BLOCKED)
            delay = self._reserve(target)
            if delay:
                waited += delay
                await self._clock.sleep(delay)
            try:
                sent = await self._bot.send_message(
                    target,
                    text,
                    entities=entities,
                    reply_markup=reply_markup,
                    message_thread_id=message_thread_id,
                    reply_parameters=(
                        ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
                    ),
                )
                await self._answered()
                return Sent(Delivery.SENT, sent)
            except RetryAfter as exc:
                if not self._hold(target, retry_after_seconds(exc), waited):
                    return Sent(Delivery.NOT_SENT)
            except Forbidden as exc:
                await self._deactivate(target, "blocked", str(exc))
                return Sent(Delivery.BLOCKED)
            except ChatMigrated as exc:
                new_id = int(exc.new_chat_id)
                await self.follow_migration(target, new_id)
                target, reply_to = new_id, None  # the replied-to message lives in the old chat
            except BadRequest as exc:
                if "can't parse entities" in str(exc).lower() and entities:
                    logger.warning(
                        "chat %s: Telegram could not parse the formatting; resending as plain text", target
                    )
                    entities = None
                    continue
                raise
            except NetworkError as exc:
                network_failures += 1
                pause = self._resend_pause(target, exc, network_failures)
                if pause is None:
                    return Sent(Delivery.NOT_SENT if _never_sent(exc) else Delivery.MAYBE_SENT)
                waited += pause
                await self._clock.sleep(pause)

    def _hold(self, target: int, seconds: float, waited: float) -> bool:
        """Flood control asked to wait `seconds`: hold the chat that long and resend (True), unless
        that is more than this message may wait in all (False: dropped)."""
        if waited + seconds > self._max_wait:
            logger.warning("chat %s: flood control for %.0fs; message dropped", target, seconds)
            return False
        logger.info("chat %s: flood control, resending in %.1fs", target, seconds)
        self._held_until[target] = self._clock.monotonic() + seconds
        return True

    def _resend_pause(self, target: int, exc: NetworkError, failures: int) -> float | None:
        """How long to wait before resending after a network error; None when it must not be
        resent: it may have arrived (the request left), or it failed `_network_attempts` times."""
        if not _never_sent(exc):
            logger.warning(
                "chat %s: sending failed after the request left (%s); not resent, it may have arrived",
                target,
                type(exc).__name__,
                exc_info=True,
            )
            return None
        if failures >= self._network_attempts:
            logger.error("chat %s: not sent after %d attempts: %s", target, failures, exc)
            return None
        pause = 0.5 * 2.0 ** (failures - 1)
        logger.warning("chat %s: could not connect to Telegram, resending in %.1fs", target, pause)
        return pause

    async def _answered(self) -> None:
        update_id = current_update_id.get()
        if update_id is not None and self.on_answered is not None:
            try:
                await self.on_answered(update_id)
            except Exception:
                logger.exception("could not mark update %d as answered", update_id)

    def _target(self, chat_id: int) -> int:
        seen = {chat_id}
        while chat_id in self._moved and self._moved[chat_id] not in seen:
            chat_id = self._moved[chat_id]
            seen.add(chat_id)
        return chat_id

    def _reserve(self, chat_id: int) -> float:
        """Book this chat's next slot (and a global one); return the wait. Never blocks other chats."""
        now = self._clock.monotonic()
        pace = self._paces.get(chat_id)
        if pace is None:
            if len(self._paces) > 10_000:
                self._paces = {k: p for k, p in self._paces.items() if p.next_free > now}
            rate = self._private_rate if chat_id > 0 else self._group_rate
            pace = self._paces[chat_id] = _Pace(rate, self._burst)
        held = self._held_until.get(chat_id, 0.0)
        if held <= now:
            self._held_until.pop(chat_id, None)
        wait = max(pace.reserve(now), held - now)
        if self._global is not None:
            wait += self._global.reserve(now + wait)
        return wait

    async def _deactivate(self, chat_id: int, reason: str, detail: str) -> None:
        logger.info("chat %s refuses messages (%s); not writing to it any more", chat_id, detail)
        self._inactive[chat_id] = reason
        if self._store is not None:
            try:
                await self._store.set_chat_inactive(chat_id, reason)
            except Exception:
                logger.exception("could not record chat %s as inactive", chat_id)

    async def follow_migration(self, old_id: int, new_id: int) -> None:
        """The chat moved to `new_id` (a group became a supergroup), as a send's 400 or Telegram's
        service messages say: send there from now on, and let `on_migrated` (the advisor) move
        what the bot keeps about the chat. Safe to call more than once."""
        if self._moved.get(old_id) != new_id:
            logger.info("chat %s moved to %s (became a supergroup)", old_id, new_id)
        self._moved[old_id] = new_id
        try:
            if self._on_migrated is not None:
                await self._on_migrated(old_id, new_id)
            elif self._store is not None:
                await self._store.migrate_chat(old_id, new_id)
        except Exception:
            logger.exception("could not move what is kept about chat %s to %s", old_id, new_id)


def _never_sent(exc: NetworkError) -> bool:
    """True when Telegram cannot have received the request (so resending cannot duplicate it)."""
    # PTB's own httpx transport says so in its pool timeout's message.
    return isinstance(exc, RequestNotSent) or (isinstance(exc, TimedOut) and "not* sent" in str(exc))


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)
