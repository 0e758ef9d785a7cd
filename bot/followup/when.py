"""When a reminder fires: "/remind" phrases read deterministically, in the person's language.

One-shot times ("in 20 minutes", "tomorrow at 5pm", "heute Abend um 8", "15.02", "в пятницу в
9", "amanhã às oito da noite") are read by our own small grammar (bot/followup/moment.py and
matchers) over CLDR's month and weekday names (Babel) and tables of the other time words, in the
person's language and English; the leading words that say when are the time, the rest is the text.
Repetition ("every Monday 07:00", "jeden Tag um 21:00", "toda segunda às 7", "щопонеділка о 8")
becomes a `dateutil.rrule` in the person's wall-clock time (bot/followup/repeat.py), so "every day
at 07:00" stays 07:00 across a daylight-saving change.

Why not dateparser: it reads a whole string as one date, so the words of the reminder have to be
guessed by trying prefixes, and then "15h" is "in 15 hours", "10.12." today 10:12, "tomorrow
afternoon at 5" 05:00 and "do" (Donnerstag) a Sunday: measured on Duckling's corpora
(bench/reminders_parse.py) a third of its readings were wrong. No better-kept Python parser covers
ru and uk (Duckling itself is Haskell; ctparse is en/de only).

A reading can be unsure (a bare 12-hour clock: "at 5"; "next Friday" when this week's is still
ahead): `Schedule.unsure` tells the caller to ask before scheduling. What is said back is in the
person's language: a ReminderParseError carries its message untranslated with its fields, for
`text(t)` to translate where it is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from bot.errors import Refused
from bot.followup.describe import describe_when
from bot.followup.moment import AT_WORDS, Reader, Slots
from bot.followup.resolve import Unreadable, resolve
from bot.followup.tokens import tokenize
from bot.followup.words import DAILY_ALONE, EVERY
from bot.i18n import N_, Translator, translator

EXAMPLES = (
    "/remind in 20 minutes stretch\n"
    "/remind at 18:30 protein shake\n"
    "/remind tomorrow 7am weigh in\n"
    "/remind every Monday 07:00 weigh in\n"
    "/remind every day at 21:00 stretch 10 minutes"
)
USAGE = N_("Tell me when and what, for example:\n{examples}")
NOT_READ = N_('I couldn\'t tell when from "{words}". Put the time first, for example:\n{examples}')
NO_TEXT = N_("What should I remind you of? For example: {example}")
PASSED = N_("{when} has already passed. Try for example: {example}")
TOO_FAR = N_("That is too far ahead: I keep reminders for up to ten years.")
NO_SUCH_DATE = N_('There is no such date in "{words}".')


class ReminderParseError(Refused):
    """What could not be understood, with examples; the message is shown to the person.

    `template` is an English message marked with N_ and `fields` its placeholders; `str(exc)` is
    the English text, `text(t)` the person's (datetimes in `fields` written the language's way)."""

    def __init__(self, template: str, **fields: object) -> None:
        self.template = template
        self.fields = fields
        super().__init__(self.text(translator(None)))

    def text(self, t: Translator) -> str:
        shown = {k: t.moment(v) if isinstance(v, datetime) else v for k, v in self.fields.items()}
        return t.gettext(self.template).format(**shown)


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a reminder fires: `first` (aware, the first firing); `rule` (an RRULE in wall-clock time
    from `start_local`) for repeating ones; `relative` when the words were "in N minutes"; `unsure`
    when the words could as well mean another time (ask before scheduling)."""

    first: datetime
    tz: str
    rule: str | None = None
    start_local: str | None = None
    relative: bool = False
    unsure: bool = False

    def describe(self, text: str, now: datetime, t: Translator | None = None) -> str:
        """What was understood, e.g. "Every Monday at 07:00 (Europe/Berlin): weigh in"."""
        t = t or translator(None)
        return t.gettext("{when}: {what}").format(when=describe_when(self, now, t), what=text)


def parse_reminder(words: str, *, now: datetime, tz: str, lang: str | None = None) -> tuple[Schedule, str]:
    """The schedule and the reminder's text of "/remind <words>"; ReminderParseError if unclear.

    `now` is aware; `tz` the IANA zone in which wall-clock times are meant; `lang` the person's
    language (its words and English are read; every language when None).
    """
    words = " ".join(words.split())
    if not words:
        raise ReminderParseError(USAGE, examples=EXAMPLES)
    every = DAILY_ALONE.match(words) or EVERY.match(words)
    if every:
        from bot.followup.repeat import parse_repeating

        daily = DAILY_ALONE.match(words) is not None
        return parse_repeating(words[every.end() :], now=now, tz=tz, lang=lang, daily=daily)
    reader = Reader(words, lang)
    slots = reader.read()
    text = rest_of(words, reader)
    if slots.empty and (repeating := every_after_text(words, now=now, tz=tz, lang=lang)):
        return repeating  # "water the plants every sunday at 10am"
    if slots.empty:
        reader, text = trailing_time(words, lang)  # "call mom tomorrow at 5pm"
        slots = reader.slots
    if slots.empty:
        raise ReminderParseError(NOT_READ, words=clip(words), examples=EXAMPLES)
    try:
        reading = resolve(slots, now, ZoneInfo(tz), lang)
    except Unreadable as exc:
        raise _refusal(exc, words, text) from None
    if not text:
        raise ReminderParseError(NO_TEXT, example="/remind in 20 minutes stretch")
    if any(token.folded in ZONE_HINTS for token in tokenize(text)[:3]):
        raise ReminderParseError(NOT_READ, words=clip(words), examples=EXAMPLES)  # the model reads it
    unsure = reading.unsure or time_left_in(text, slots, lang)
    return Schedule(reading.moment.astimezone(UTC), tz, relative=slots.relative, unsure=unsure), text


# Words after a clock that say its zone ("3pm london time") when the zone itself was not read: the
# clock may be meant in another zone, so the rules refuse and the model reads it (a proposal).
ZONE_HINTS = frozenset(
    {
        *("time", "zeit", "uhrzeit", "hora", "horario", "horário", "heure", "ora", "время", "времени"),
        *("часу", "utc", "gmt", "cet", "cest", "msk", "мск", "est", "edt", "pst", "pdt", "cst", "cdt"),
        *("bst", "wet", "eet"),
    }
)
AT_OR_TYPO = AT_WORDS | {"alas", "ás", "ao", "ala"}
# After a day without a clock ("tomorrow after work", "amanhã cedo", "demain en fin de matinée",
# "завтра с утра"): words that narrow the time of that day, so 09:00 is only proposed.
NARROWING = frozenset(
    {
        *("after", "before", "by", "end", "early", "late", "first", "nach", "vor", "früh", "spät", "ende"),
        *("anfang", "después", "antes", "temprano", "tarde", "primera", "en", "après", "avant", "tôt"),
        *("tard", "fin", "début", "cedo", "depois", "fim", "dopo", "prima", "presto", "tardi", "fine"),
        *("с", "после", "до", "рано", "поздно", "под", "з", "після", "пізно"),
    }
)


def time_left_in(text: str, slots: Slots, lang: str | None) -> bool:
    """Whether the reminder's text starts with time words the grammar did not take when no clock
    was read ("mañana a la 8 pan", "завтра в обед …"): the day alone (at 09:00) may not be meant."""
    tokens = tokenize(text)[:3]
    if slots.clock is not None or not tokens:
        return False
    first = tokens[0]
    if first.number is not None or first.numeric:
        return True
    if first.folded in NARROWING or (first.folded in AT_OR_TYPO and len(tokens) > 1):
        return True  # "mañana alas 8", "amanhã ao meio-dia", "завтра в обед", "tomorrow at 99pm"
    for start in tokens[:2]:
        clock = Reader(text[start.start :], lang).read().clock
        if clock is not None:
            return True
    return False


def _refusal(exc: Unreadable, words: str, text: str) -> ReminderParseError:
    if exc.reason == "passed" and exc.moment is not None:
        return ReminderParseError(PASSED, when=exc.moment, example=f"/remind tomorrow 7am {text or '…'}")
    if exc.reason == "too_far":
        return ReminderParseError(TOO_FAR)
    if exc.reason == "no_date":
        return ReminderParseError(NO_SUCH_DATE, words=clip(words))
    return ReminderParseError(NOT_READ, words=clip(words), examples=EXAMPLES)


def trailing_time(words: str, lang: str | None) -> tuple[Reader, str]:
    """The time at the end ("call mom tomorrow at 5pm"): the earliest word from which the rest of
    the words all read as a time; the words before it are the text."""
    tokens = Reader(words, lang).tokens
    for start in range(1, len(tokens)):
        if tokens[start - 1].folded == "'":
            continue
        tail = Reader(words[tokens[start].start :], lang)
        slots = tail.read()
        if not slots.empty and slots.used == len(tail.tokens):
            return tail, strip_joiner(
                re.sub(r"\s+(?:to|at|on|um|am|à|a|в|о)$", "", words[: tokens[start].start].strip())
            )
    return Reader("", lang), words


def every_after_text(words: str, *, now: datetime, tz: str, lang: str | None) -> tuple[Schedule, str] | None:
    """A repetition said after the text ("call mom every sunday at 10"): read when all the words
    from "every" on are time words, the words before it being the text."""
    from bot.followup.repeat import parse_repeating

    for token in Reader(words, lang).tokens[1:]:
        tail = words[token.start :]
        every = DAILY_ALONE.match(tail) or EVERY.match(tail)
        if every is None:
            continue
        head = strip_joiner(re.sub(r"\s+(?:to|at|on|um|am|à|a|в|о)$", "", words[: token.start].strip()))
        try:
            schedule, text = parse_repeating(
                tail[every.end() :] + " " + head, now=now, tz=tz, lang=lang, daily=every.re is DAILY_ALONE
            )
        except ReminderParseError:
            continue
        if head and text == head:
            return schedule, text
    return None


def rest_of(words: str, reader: Reader) -> str:
    """The words after the time: the reminder's text."""
    used = reader.slots.used
    if used >= len(reader.tokens):
        return ""
    return strip_joiner(words[reader.tokens[used].start :])


def next_firing(schedule_rule: str, start_local: str, tz: str, after: datetime) -> datetime | None:
    """The first firing of a repeating rule strictly after `after` (aware), or None when it ended."""
    zone = ZoneInfo(tz)
    start = datetime.fromisoformat(start_local)
    local_after = after.astimezone(zone).replace(tzinfo=None)
    rule = rrulestr(schedule_rule, dtstart=start)
    found = rule.after(local_after, inc=False)
    # A wall-clock time skipped by a DST change resolves to the instant just after the gap; one
    # repeated by it fires once (fold 0, the first).
    while found is not None:
        moment = aware(found, zone)
        if moment > after:
            return moment
        found = rule.after(found, inc=False)
    return None


def strip_joiner(text: str) -> str:
    """Drop a leading "to" / ":" / "-" ("at 9 to stretch", "every day 21:00: stretch")."""
    return re.sub(r"^(?:(?:me\s+)?(?:to|that)\s+|[:\-–—,]\s*)", "", text.strip()).strip()


def aware(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
