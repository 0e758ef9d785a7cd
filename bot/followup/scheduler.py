"""The durable scheduler: a timer to the next due reminder, deliveries paced by the sender.

The reminders live in SQLite (bot/store/reminder_tables.py); nothing is held only in memory, so a
restart re-arms them by reading the next due time. The loop sleeps until the soonest `due_at`
(or until woken: a reminder added, deleted, a delivery finished), then hands due rows to at most
`concurrency` delivery tasks. Idle, it does no work however many reminders wait.

A delivery sends through `deliver` (the Telegram sender, with its pacing) and, when Telegram has
taken the message, records it in one transaction (`Reminders.mark_sent`): a crash before that
sends it again at start (the last-milliseconds case), a crash after it never does. A send whose
answer was lost after the request left (a timeout, a dropped connection, a 5xx) may have arrived,
so it is recorded the same way (at most once: such a reminder may be lost, never doubled); only a
send that certainly did not reach Telegram (flood control gave up, no connection could be made) is
tried again RETRY_SECONDS later. A reminder more
than `grace_seconds` late (the bot was down) is skipped and a note says so, once. A chat that
blocked the bot loses its reminders, so nothing repeats into a wall.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.errors import Unavailable
from bot.followup.checkins import QuietHours
from bot.followup.describe import clock
from bot.followup.when import next_firing
from bot.i18n import Translator, translator
from bot.records import Reminder
from bot.runtime.clock import Clock
from bot.store.reminder_tables import Reminders

logger = logging.getLogger(__name__)

RETRY_SECONDS = 60.0  # a delivery that failed (network, flood control) is tried again this much later
STOP_WAIT_SECONDS = 10.0


class Outcome(enum.Enum):
    SENT = "sent"
    BLOCKED = "blocked"  # the chat refuses messages (403, chat not found): stop for good
    FAILED = "failed"  # certainly not delivered (flood control, no connection): try again later
    MAYBE_SENT = "maybe sent"  # the request left and its answer was lost: counted as delivered


Deliver = Callable[[int, str], Awaitable[Outcome]]
ComposeCheckin = Callable[[int, str], Awaitable[str]]
ChatWords = Callable[[int], Awaitable[Translator]]


@dataclass
class SchedulerStats:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    blocked: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


class Scheduler:
    """Delivers due reminders, notes and check-ins; one per bot."""

    def __init__(
        self,
        table: Reminders,
        deliver: Deliver,
        *,
        clock: Clock,
        grace_seconds: float = 3600.0,
        quiet: QuietHours | None = None,
        compose_checkin: ComposeCheckin | None = None,
        max_unanswered: int = 2,
        concurrency: int = 32,
        words: ChatWords | None = None,
    ) -> None:
        """`words`: the chat's language for the frame of what is sent (English when None)."""
        self._table = table
        self._deliver = deliver
        self._clock = clock
        self._grace = grace_seconds
        self._quiet = quiet or QuietHours()
        self._compose_checkin = compose_checkin
        self._max_unanswered = max_unanswered
        self._concurrency = concurrency
        self._words = words
        self._wake = asyncio.Event()
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None
        self.stats = SchedulerStats()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="reminder-scheduler")

    def wake(self) -> None:
        """Something changed (a reminder added or deleted): look at the next due time again."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop taking due reminders; let deliveries under way finish (briefly), then cancel them."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        running = list(self._inflight.values())
        if running:
            _, late = await asyncio.wait(running, timeout=STOP_WAIT_SECONDS)
            for pending in late:
                pending.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                moment = await self._dispatch_due()
            except Exception:
                logger.exception("reading due reminders failed; trying again shortly")
                moment = self._clock.now() + 5.0
            if moment is None and len(self._inflight) >= self._concurrency:
                await self._wake.wait()  # every slot busy: a finishing delivery wakes us
                continue
            await self._clock.sleep_until(
                moment if moment is not None else self._clock.now() + 3600, self._wake
            )

    async def _dispatch_due(self) -> float | None:
        """Start deliveries for due rows while slots are free; return when the next one is due."""
        while (free := self._concurrency - len(self._inflight)) > 0:
            now = self._clock.now()
            due = await self._table.due(now, free, exclude=self._inflight.keys())
            for reminder in due:
                self._inflight[reminder.id] = asyncio.create_task(self._deliver_one(reminder))
            if len(due) < free:
                return await self._table.next_due_at(exclude=self._inflight.keys())
        return None

    async def _deliver_one(self, reminder: Reminder) -> None:
        try:
            await self._handle(reminder)
        except Exception:
            self.stats.failed += 1
            logger.exception("reminder %d: delivery failed; trying again later", reminder.id)
            try:
                await self._table.postpone(reminder.id, self._clock.now() + RETRY_SECONDS)
            except Exception:  # it stays due: the next pass of the loop tries it again
                logger.warning(
                    "reminder %d: could not postpone it after the failure", reminder.id, exc_info=True
                )
        finally:
            self._inflight.pop(reminder.id, None)
            self._wake.set()

    async def _handle(self, reminder: Reminder) -> None:
        now = self._clock.now()
        if reminder.kind != "note" and now - reminder.due_at > self._grace:
            self.stats.skipped += 1
            logger.info(
                "reminder %d: %.0f min late (the bot was down); skipped",
                reminder.id,
                (now - reminder.due_at) / 60,
            )
            note = (
                _missed_note(reminder, await self._chat_words(reminder.chat_id))
                if reminder.kind == "reminder"
                else None
            )
            await self._table.skip(reminder, self._next_due(reminder, now), note, now)
            return
        if reminder.kind == "checkin":
            if await self._table.unanswered(reminder.chat_id) >= self._max_unanswered:
                logger.info("check-in %d dropped: the last ones went unanswered", reminder.id)
                await self._table.skip(reminder, None, None, now)
                return
            quiet_end = self._quiet.ends_after(now, reminder.tz)
            if quiet_end is not None:
                await self._table.postpone(reminder.id, quiet_end)
                return
        text = await self._text(reminder)
        if not await self._table.still_due(reminder):
            return  # deleted (🗑, /forget) or answered while this delivery waited
        outcome = await self._deliver(reminder.chat_id, text)
        if outcome is Outcome.MAYBE_SENT:
            logger.warning(
                "reminder %d: Telegram's answer was lost (timeout or dropped connection); counted as "
                "delivered and not resent, it may not have arrived",
                reminder.id,
            )
        if outcome in (Outcome.SENT, Outcome.MAYBE_SENT):
            # The step that records Telegram's answer: from here on it is never sent again.
            await self._table.mark_sent(reminder, self._next_due(reminder, now), self._clock.now())
            self.stats.sent += 1
            self.stats.by_kind[reminder.kind] = self.stats.by_kind.get(reminder.kind, 0) + 1
        elif outcome is Outcome.BLOCKED:
            self.stats.blocked += 1
            dropped = await self._table.stop_chat(reminder.chat_id)
            logger.info("chat %s refuses messages; %d reminders dropped", reminder.chat_id, dropped)
        else:
            self.stats.failed += 1
            await self._table.postpone(reminder.id, now + RETRY_SECONDS)

    async def _chat_words(self, chat_id: int) -> Translator:
        if self._words is None:
            return translator(None)
        try:
            return await self._words(chat_id)
        except Unavailable:  # the language is never worth losing a reminder: English will do
            logger.warning("chat %s: settings unreadable; the reminder goes out in English", chat_id)
            return translator(None)

    async def _text(self, reminder: Reminder) -> str:
        if reminder.kind == "note":
            return reminder.text
        if reminder.kind == "checkin" and self._compose_checkin is not None:
            return await self._compose_checkin(reminder.chat_id, reminder.text)
        t = await self._chat_words(reminder.chat_id)
        if reminder.kind == "checkin":
            return t.gettext("Checking in about {topic}: how is it going?").format(topic=reminder.text)
        return t.gettext("⏰ Reminder: {text}").format(text=reminder.text)

    def _next_due(self, reminder: Reminder, now: float) -> float | None:
        if reminder.rule is None or reminder.start_local is None:
            return None
        after = datetime.fromtimestamp(max(now, reminder.due_at), UTC)
        found = next_firing(reminder.rule, reminder.start_local, reminder.tz, after)
        return found.timestamp() if found else None


def _missed_note(reminder: Reminder, t: Translator) -> str:
    due = datetime.fromtimestamp(reminder.due_at, UTC)
    local = due.astimezone(ZoneInfo(reminder.tz))
    note = t.gettext("I was offline at {time} on {date} ({zone}) and missed your reminder: {text}.").format(
        time=clock(local, t), date=t.date(local), zone=reminder.tz, text=reminder.text
    )
    if reminder.repeats:
        note += " " + t.gettext("I'll remind you again next time.")
    return note
