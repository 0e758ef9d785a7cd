"""What the handlers ask of reminders and check-ins: schedule, list, cancel, propose, accept."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.errors import Unavailable
from bot.followup.checkins import Intent, IntentReader, might_ask_reminder, might_state_plan
from bot.followup.describe import describe_when
from bot.followup.lexicon import reading_language
from bot.followup.model_reading import TimeReader
from bot.followup.repeat import AFTER_EVERY, AT_WHAT_TIME
from bot.followup.when import NOT_READ, ReminderParseError, Schedule, parse_reminder
from bot.i18n import NN_, Translator, choose, translator
from bot.records import Prefs, Reminder
from bot.runtime.clock import Clock
from bot.store import ChatTables, Reminders

logger = logging.getLogger(__name__)

PROPOSAL_TTL_SECONDS = 24 * 3600
MAX_REMINDERS_PER_CHAT = 50
TOO_MANY = NN_(
    "You have {n} reminder already: /reminders deletes it first.",
    "You have {n} reminders already: /reminders deletes some first.",
)
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
        time_reader: TimeReader | None = None,
        checkins_per_week: int = 2,
        max_unanswered: int = 2,
    ) -> None:
        self._chats = chats
        self._table = reminders
        self._clock = clock
        self._wake = wake
        self._reader = reader
        self._time_reader = time_reader
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
        self, chat_id: int, words: str, t: Translator | None = None, *, speaks: str | None = None
    ) -> Scheduled | NeedsTimezone | Proposal:
        """Schedule "/remind <words>" (`speaks`: the sender's Telegram language); a reading that
        could as well mean another time ("at 5") comes back as a Proposal to confirm first.
        ReminderParseError says what was not understood."""
        t = t or translator(None)
        prefs = await self._chats.get_prefs(chat_id)
        if speaks:
            await self._table.note_speaks(chat_id, speaks)
        now = self.now()
        tz = prefs.timezone or "UTC"
        lang = reading_language(prefs.language if prefs.language != "auto" else None, speaks, t.language)
        try:
            schedule, text = parse_reminder(words, now=now, tz=tz, lang=lang)
        except ReminderParseError as exc:
            return await self._model_reading(chat_id, words, exc, prefs, t)
        await self._check_cap(chat_id)
        guessed = False
        if not prefs.timezone and not schedule.relative:
            if not await self._table.timezone_asked(chat_id):
                await self._table.ask_timezone(chat_id, words)
                return NeedsTimezone()
            guessed = True
        if schedule.unsure:
            return await self._confirm(chat_id, schedule, text, now, t)
        reminder = await self._add(chat_id, schedule, text)
        return Scheduled(reminder, schedule.describe(text, now, t), guessed)

    async def _model_reading(
        self, chat_id: int, words: str, refusal: ReminderParseError, prefs: Prefs, t: Translator
    ) -> NeedsTimezone | Proposal:
        """Words the rules could not read go to the model; its reading is only proposed. Without
        a model, or when it finds no time or is unavailable, the rules' refusal stands."""
        if refusal.template not in (NOT_READ, AFTER_EVERY, AT_WHAT_TIME) or self._time_reader is None:
            raise refusal
        await self._check_cap(chat_id)
        if not prefs.timezone and not await self._table.timezone_asked(chat_id):
            await self._table.ask_timezone(chat_id, words)
            return NeedsTimezone()
        now = self.now()
        try:
            found = await self._time_reader.read(words, now=now, tz=prefs.timezone or "UTC")
        except Unavailable:
            logger.warning("chat %s: the model could not read a reminder's time", chat_id, exc_info=True)
            raise refusal from None
        if found is None:
            raise refusal
        schedule, text = found
        return await self._confirm(chat_id, schedule, text, now, t)

    async def _check_cap(self, chat_id: int) -> None:
        if len(await self._table.for_chat(chat_id)) >= MAX_REMINDERS_PER_CHAT:
            raise ReminderParseError(*TOO_MANY, n=MAX_REMINDERS_PER_CHAT)

    async def _confirm(
        self, chat_id: int, schedule: Schedule, text: str, now: datetime, t: Translator
    ) -> Proposal:
        """Keep a reading as proposed and ask: nothing fires before Yes."""
        reminder = await self._table.add(
            chat_id,
            text,
            schedule.first.timestamp(),
            now=now.timestamp(),
            rule=schedule.rule,
            start_local=schedule.start_local,
            tz=schedule.tz,
            state="proposed",
        )
        question = t.gettext("Shall I remind you?\n{reminder}").format(
            reminder=schedule.describe(text, now, t)
        )
        return Proposal(reminder, question)

    async def set_timezone(
        self, chat_id: int, zone: str, t: Translator | None = None
    ) -> tuple[Prefs, Scheduled | Proposal | None]:
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
        return prefs, scheduled if isinstance(scheduled, Scheduled | Proposal) else None

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

    def may_propose_reminder(self, message: str) -> bool:
        """Whether `propose_reminder` could read a reminder from the message (a keyword gate that
        reads nothing): for most messages, the caller need not look up the chat's language."""
        return self._reader is not None and might_ask_reminder(message)

    async def propose_reminder(
        self, chat_id: int, message: str, t: Translator | None = None, *, speaks: str | None = None
    ) -> Proposal | None:
        """A reminder read from a plain message ("remind me to …"), stored as proposed until Yes;
        None when the message holds none, when memory is off (incognito sets nothing from plain
        messages) or when the reader could not read it."""
        if not self.may_propose_reminder(message):
            return None
        prefs = await self._chats.get_prefs(chat_id)
        if prefs.memory == "off":
            return None
        tz, now = prefs.timezone or "UTC", self.now()
        intent = await self._read(chat_id, message, now, tz)
        if intent is None or intent.reminder is None:
            return None
        proposal = await self._propose_reminder(chat_id, intent.reminder, now, tz, t or translator(None))
        return await self._noted(chat_id, proposal, speaks)

    async def propose_checkin(
        self, chat_id: int, message: str, t: Translator | None = None, *, speaks: str | None = None
    ) -> Proposal | None:
        """A check-in offer for a plan read from a plain message ("a 10k race on 14 March"),
        stored as proposed until Yes; None when the message holds none, when memory or check-ins
        are off or used up, or when the reader could not read it."""
        if self._reader is None or not might_state_plan(message):
            return None
        prefs = await self._chats.get_prefs(chat_id)
        if prefs.memory == "off" or prefs.checkins == "off" or not await self._checkin_allowed(chat_id):
            return None
        tz, now = prefs.timezone or "UTC", self.now()
        intent = await self._read(chat_id, message, now, tz)
        if intent is None or intent.checkin is None:
            return None
        proposal = await self._propose_checkin(chat_id, intent.checkin, now, tz, t or translator(None))
        return await self._noted(chat_id, proposal, speaks)

    async def _read(self, chat_id: int, message: str, now: datetime, tz: str) -> Intent | None:
        """The reader's take on the message; None (one warning line) when it is down or its
        answer unusable: the message is then simply answered."""
        assert self._reader is not None
        local_now = now.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
        try:
            return await self._reader.read(message, local_now=local_now)
        except Unavailable as exc:
            logger.warning("chat %s: no reminder or check-in read from the message: %s", chat_id, exc)
            return None

    async def _noted(self, chat_id: int, proposal: Proposal | None, speaks: str | None) -> Proposal | None:
        if proposal is not None and speaks:
            await self._table.note_speaks(chat_id, speaks)  # what is sent later speaks it too
        return proposal

    async def _propose_reminder(
        self, chat_id: int, found: tuple[str, str], now: datetime, tz: str, t: Translator
    ) -> Proposal | None:
        """The model restated the time in /remind's English forms; the rules read it."""
        text, when = found
        try:
            schedule, _ = parse_reminder(f"{when} {text}", now=now, tz=tz, lang="en")
        except ReminderParseError:
            logger.info("chat %s: the model's time for a reminder did not parse", chat_id)
            return None
        return await self._confirm(chat_id, schedule, text, now, t)

    async def _propose_checkin(
        self, chat_id: int, found: tuple[str, str], now: datetime, tz: str, t: Translator
    ) -> Proposal | None:
        topic, when = found
        try:
            schedule, _ = parse_reminder(f"{when} check-in", now=now, tz=tz, lang="en")
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

    async def accept(
        self, chat_id: int, reminder_id: int, t: Translator | None = None
    ) -> tuple[Reminder, str] | None:
        """Yes to a proposal: it is scheduled. None when it is gone (answered, expired, erased);
        ReminderParseError when the chat already has the most reminders it may (the proposal goes)."""
        try:
            await self._check_cap(chat_id)
        except ReminderParseError:
            await self._table.delete(chat_id, reminder_id)
            raise
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


async def chat_words(chats: ChatTables, reminders: Reminders, chat_id: int) -> Translator:
    """The chat's language for messages sent without an update (the scheduler's): its /prefs
    language, else the Telegram language kept when reminders were set, else English."""
    prefs = await chats.get_prefs(chat_id)
    chosen = prefs.language if prefs.language != "auto" else None
    return translator(choose(chosen, await reminders.speaks(chat_id)))


def describe(reminder: Reminder, now: datetime, t: Translator | None = None) -> str:
    t = t or translator(None)
    schedule = Schedule(
        datetime.fromtimestamp(reminder.due_at, UTC), reminder.tz, reminder.rule, reminder.start_local
    )
    what = reminder.text
    if reminder.kind == "checkin":
        # TRANSLATORS: in /reminders: the bot will ask how it goes; {topic} is the model's short
        # phrase in the person's language: quote it or put it after a colon (no case governs it)
        what = t.gettext("check in about {topic}").format(topic=reminder.text)
    return t.gettext("{when}: {what}").format(when=describe_when(schedule, now, t), what=what)


def _checkin_question(schedule: Schedule, now: datetime, topic: str, t: Translator) -> str:
    """ "Shall I check in …?", {topic} (the model's words, in the person's language) where each
    catalog puts it after a colon, so no case or article governs it."""
    today = now.astimezone(ZoneInfo(schedule.tz)).date()
    local = schedule.first.astimezone(ZoneInfo(schedule.tz))
    if local.date() == today:
        return t.gettext("Shall I check in today about {topic}?").format(topic=topic)
    if (local.date() - today).days == 1:
        return t.gettext("Shall I check in tomorrow about {topic}?").format(topic=topic)
    # TRANSLATORS: {day} is a whole phrase like "on Wednesday, 9 December" ("on Monday, {date}"…)
    return t.gettext("Shall I check in {day} about {topic}?").format(day=t.on_day(local), topic=topic)
