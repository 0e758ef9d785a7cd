"""What the handlers ask of reminders and check-ins: schedule, list, cancel, propose, accept."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.errors import Unavailable
from bot.followup.checkins import IntentReader, might_ask_reminder, might_state_plan
from bot.followup.when import ReminderParseError, Schedule, describe_day, describe_when, parse_reminder
from bot.i18n import N_, Translator, choose, translator
from bot.records import Prefs, Reminder
from bot.runtime.clock import Clock
from bot.store import ChatTables, Reminders

logger = logging.getLogger(__name__)

PROPOSAL_TTL_SECONDS = 24 * 3600
MAX_REMINDERS_PER_CHAT = 50
OFFER_GAP_SECONDS = 2 * 24 * 3600  # at most one check-in offer per chat in this time, Yes or No
WEEK_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Scheduled:
    reminder: Reminder
    description: str  # "Every Monday at 07:00 (Europe/Berlin): weigh in"
    zone_guessed: bool = False  # no time zone chosen yet: UTC was used


@dataclass(frozen=True, slots=True)
class NeedsTimezone:
    """The words need a time zone and none is set: ask (once); they wait for the answer."""


@dataclass(frozen=True, slots=True)
class Proposal:
    """A reminder or check-in read from a plain message, waiting for Yes / No."""

    reminder: Reminder
    question: str


class Followup:
    """Reminders and check-ins of every chat; the scheduler delivers them."""

    def __init__(
        self,
        chats: ChatTables,
        reminders: Reminders,
        *,
        clock: Clock,
        wake: Callable[[], None],
        reader: IntentReader | None = None,
        checkins_per_week: int = 2,
        max_unanswered: int = 2,
    ) -> None:
        self._chats = chats
        self._table = reminders
        self._clock = clock
        self._wake = wake
        self._reader = reader
        self._checkins_per_week = checkins_per_week
        self._max_unanswered = max_unanswered

    async def load(self) -> None:
        """Read which chats have unanswered check-ins; drop stale proposals."""
        now = self._clock.now()
        await self._table.prune(now - PROPOSAL_TTL_SECONDS, now - WEEK_SECONDS)
        await self._table.load_awaiting()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.now(), UTC)

    # --- /remind ----------------------------------------------------------------------------

    async def remind(
        self, chat_id: int, words: str, t: Translator | None = None
    ) -> Scheduled | NeedsTimezone:
        """Schedule "/remind <words>"; ReminderParseError says what was not understood."""
        t = t or translator(None)
        prefs = await self._chats.get_prefs(chat_id)
        now = self.now()
        tz = prefs.timezone or "UTC"
        schedule, text = parse_reminder(words, now=now, tz=tz)
        if len(await self._table.for_chat(chat_id)) >= MAX_REMINDERS_PER_CHAT:
            raise ReminderParseError(
                N_("You have {n} reminders already: /reminders deletes some first."), n=MAX_REMINDERS_PER_CHAT
            )
        guessed = False
        if not prefs.timezone and not schedule.relative:
            if not await self._table.timezone_asked(chat_id):
                await self._table.ask_timezone(chat_id, words)
                return NeedsTimezone()
            guessed = True
        reminder = await self._add(chat_id, schedule, text)
        return Scheduled(reminder, schedule.describe(text, now, t), guessed)

    async def set_timezone(
        self, chat_id: int, zone: str, t: Translator | None = None
    ) -> tuple[Prefs, Scheduled | None]:
        """Keep the time zone; schedule the /remind that waited for it, if any."""
        prefs = await self._chats.set_pref(chat_id, "timezone", zone)
        words = await self._table.take_pending_remind(chat_id)
        if words is None:
            await self._table.ask_timezone(chat_id, None)  # asked and answered: never asked again
            return prefs, None
        try:
            scheduled = await self.remind(chat_id, words, t)
        except ReminderParseError:
            return prefs, None
        return prefs, scheduled if isinstance(scheduled, Scheduled) else None

    async def _add(self, chat_id: int, schedule: Schedule, text: str, **kwargs: Any) -> Reminder:
        reminder = await self._table.add(
            chat_id,
            text,
            schedule.first.timestamp(),
            now=self._clock.now(),
            rule=schedule.rule,
            start_local=schedule.start_local,
            tz=schedule.tz,
            **kwargs,
        )
        self._wake()
        return reminder

    # --- /reminders -------------------------------------------------------------------------

    async def scheduled(self, chat_id: int, t: Translator | None = None) -> list[tuple[Reminder, str]]:
        """The chat's reminders and accepted check-ins, soonest first, each with its description."""
        now = self.now()
        return [(r, describe(r, now, t)) for r in await self._table.for_chat(chat_id)]

    async def cancel(self, chat_id: int, reminder_id: int) -> bool:
        deleted = await self._table.delete(chat_id, reminder_id)
        if deleted:
            self._wake()
        return deleted

    async def export(self, chat_id: int) -> list[dict[str, Any]]:
        now = self.now()
        return [
            {
                "id": r.id,
                "kind": r.kind,
                "text": r.text,
                "next_at": datetime.fromtimestamp(r.due_at, UTC).isoformat(timespec="seconds"),
                "repeats": r.rule,
                "time_zone": r.tz,
                "description": describe(r, now),
            }
            for r in await self._table.for_chat(chat_id)
        ]

    # --- plain messages: "remind me to …" and plans worth a check-in ----------------------------

    async def note_message(self, chat_id: int) -> None:
        """The person wrote: check-ins sent so far count as answered."""
        await self._table.answered(chat_id)

    async def propose(
        self, chat_id: int, message: str, *, want: str, t: Translator | None = None
    ) -> Proposal | None:
        """A reminder (`want="reminder"`) or check-in offer (`want="checkin"`) read from a plain
        message, stored as proposed until Yes; None when the message holds none, when memory is
        off (incognito sets nothing from plain messages) or check-ins are off or used up."""
        if self._reader is None:
            return None
        if want == "reminder" and not might_ask_reminder(message):
            return None
        if want == "checkin" and not might_state_plan(message):
            return None
        prefs = await self._chats.get_prefs(chat_id)
        if prefs.memory == "off":
            return None
        if want == "checkin" and (prefs.checkins == "off" or not await self._checkin_allowed(chat_id)):
            return None
        tz = prefs.timezone or "UTC"
        now = self.now()
        t = t or translator(None)
        try:
            intent = await self._reader.read(
                message, local_now=now.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
            )
        except Unavailable:
            logger.warning("chat %s: reading a reminder from a message failed", chat_id, exc_info=True)
            return None
        if want == "reminder" and intent.reminder is not None:
            text, when = intent.reminder
            try:
                schedule, _ = parse_reminder(f"{when} {text}", now=now, tz=tz)
            except ReminderParseError:
                logger.info("chat %s: the model's time for a reminder did not parse", chat_id)
                return None
            reminder = await self._table.add(
                chat_id,
                text,
                schedule.first.timestamp(),
                now=now.timestamp(),
                rule=schedule.rule,
                start_local=schedule.start_local,
                tz=tz,
                state="proposed",
            )
            question = t.gettext("Shall I remind you?\n{reminder}").format(
                reminder=schedule.describe(text, now, t)
            )
            return Proposal(reminder, question)
        if want == "checkin" and intent.checkin is not None:
            topic, when = intent.checkin
            try:
                schedule, _ = parse_reminder(f"{when} check-in", now=now, tz=tz)
            except ReminderParseError:
                return None
            if schedule.rule is not None:
                return None
            reminder = await self._table.add(
                chat_id,
                topic,
                schedule.first.timestamp(),
                now=now.timestamp(),
                kind="checkin",
                tz=tz,
                state="proposed",
            )
            await self._table.offered(chat_id, now.timestamp())
            return Proposal(reminder, _checkin_question(schedule, now, topic, t))
        return None

    async def accept(
        self, chat_id: int, reminder_id: int, t: Translator | None = None
    ) -> tuple[Reminder, str] | None:
        """Yes to a proposal: it is scheduled. None when it is gone (answered, expired, erased)."""
        reminder = await self._table.activate(chat_id, reminder_id)
        if reminder is None:
            return None
        self._wake()
        return reminder, describe(reminder, self.now(), t)

    async def decline(self, chat_id: int, reminder_id: int) -> bool:
        return await self._table.delete(chat_id, reminder_id)

    async def _checkin_allowed(self, chat_id: int) -> bool:
        """At most CHECKINS_PER_WEEK, none after `max_unanswered` went unanswered in a row, and one
        offer per OFFER_GAP_SECONDS (a "No" is not asked again the next day)."""
        if await self._table.unanswered(chat_id) >= self._max_unanswered:
            return False
        last_offer = await self._table.last_offer_at(chat_id)
        if last_offer is not None and self._clock.now() - last_offer < OFFER_GAP_SECONDS:
            return False
        since = self._clock.now() - WEEK_SECONDS
        return await self._table.checkins_since(chat_id, since) < self._checkins_per_week


async def chat_words(chats: ChatTables, chat_id: int) -> Translator:
    """The chat's language for messages sent without an update (the scheduler's): its /prefs
    language, else English (Telegram's language_code is known only while handling an update and
    is not stored)."""
    prefs = await chats.get_prefs(chat_id)
    return translator(choose(prefs.language if prefs.language != "auto" else None))


def describe(reminder: Reminder, now: datetime, t: Translator | None = None) -> str:
    t = t or translator(None)
    schedule = Schedule(
        datetime.fromtimestamp(reminder.due_at, UTC), reminder.tz, reminder.rule, reminder.start_local
    )
    what = reminder.text
    if reminder.kind == "checkin":
        what = t.gettext("check in about {topic}").format(topic=reminder.text)
    return t.gettext("{when}: {what}").format(when=describe_when(schedule, now, t), what=what)


def _checkin_question(schedule: Schedule, now: datetime, topic: str, t: Translator) -> str:
    today = now.astimezone(ZoneInfo(schedule.tz)).date()
    day = schedule.first.astimezone(ZoneInfo(schedule.tz)).date()
    if day == today:
        return t.gettext("Shall I check in today about {topic}?").format(topic=topic)
    if (day - today).days == 1:
        return t.gettext("Shall I check in tomorrow about {topic}?").format(topic=topic)
    return t.gettext("Shall I check in on {day} about {topic}?").format(
        day=describe_day(schedule, now, t), topic=topic
    )
