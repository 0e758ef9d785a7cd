"""When a reminder fires: "/remind" phrases parsed deterministically, and repetition rules.

One-shot times ("in 20 minutes", "at 18:30", "tomorrow 7am", "morgen 7:00", "через 20 минут") are
read by `dateparser` with a fixed relative base, a fixed list of languages and future dates
preferred, so the same words at the same moment always mean the same time. Repetition ("every
Monday 07:00", "jeden Tag um 21:00", "cada lunes 7:00") is a small keyword table of our own (the
weekday names of the same languages) turned into a `dateutil.rrule` in the person's wall-clock
time, so "every day at 07:00" stays 07:00 across a daylight-saving change.

What is said back (the confirmation, the parse errors) is in the person's language: descriptions
take a `Translator` (English when none is given), and a ReminderParseError carries its message
untranslated with its fields, for `text(t)` to translate where it is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import dateparser
from dateutil.rrule import DAILY, HOURLY, MINUTELY, WEEKLY, rrule, rrulestr

from bot.errors import Refused
from bot.followup.words import (
    BARE_HOUR,
    DAILY_ALONE,
    DAILY_WORD,
    EVERY,
    HAS_TIME,
    INTERVAL,
    LIST_JOIN,
    PART_OF_DAY,
    RELATIVE,
    WEEKDAY_WORDS,
    WEEKDAYS,
    WEEKDAYS_WORD,
)
from bot.i18n import N_, Translator, translator

LANGUAGES = ["en", "de", "es", "fr", "it", "pt", "ru"]
EXAMPLES = (
    "/remind in 20 minutes stretch\n"
    "/remind at 18:30 protein shake\n"
    "/remind tomorrow 7am weigh in\n"
    "/remind every Monday 07:00 weigh in\n"
    "/remind every day at 21:00 stretch 10 minutes"
)
USAGE = N_("Tell me when and what, for example:\n{examples}")
MAX_TIME_WORDS = 6
MIN_INTERVAL_MINUTES = 10
DEFAULT_HOUR = 9  # a day without a time ("tomorrow weigh in") means 09:00


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
    from `start_local`) for repeating ones; `relative` when the words were "in N minutes"."""

    first: datetime
    tz: str
    rule: str | None = None
    start_local: str | None = None
    relative: bool = False

    def describe(self, text: str, now: datetime, t: Translator | None = None) -> str:
        """What was understood, e.g. "Every Monday at 07:00 (Europe/Berlin): weigh in"."""
        t = t or translator(None)
        return t.gettext("{when}: {what}").format(when=describe_when(self, now, t), what=text)


def parse_reminder(words: str, *, now: datetime, tz: str) -> tuple[Schedule, str]:
    """The schedule and the reminder's text of "/remind <words>"; ReminderParseError if unclear.

    `now` is aware; `tz` the IANA zone in which wall-clock times are meant.
    """
    words = " ".join(words.split())
    if not words:
        raise ReminderParseError(USAGE, examples=EXAMPLES)
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone).replace(tzinfo=None)
    every = EVERY.match(words) or DAILY_ALONE.match(words)
    if every:
        daily_alone = DAILY_ALONE.match(words) is not None
        return _parse_repeating(words[every.end() :], local_now, zone, tz, daily=daily_alone)
    when, text, relative = _leading_time(words, local_now)
    if when is None:
        raise ReminderParseError(
            N_('I couldn\'t tell when from "{words}". Put the time first, for example:\n{examples}'),
            words=_clip(words),
            examples=EXAMPLES,
        )
    if not text:
        raise ReminderParseError(
            N_("What should I remind you of? For example: {example}"), example="/remind in 20 minutes stretch"
        )
    first = _aware(when, zone)
    if first <= now:
        raise ReminderParseError(
            N_("{when} has already passed. Try for example: {example}"),
            when=when,
            example=f"/remind tomorrow 7am {text}",
        )
    return Schedule(first, tz, relative=relative), text


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
        moment = _aware(found, zone)
        if moment > after:
            return moment
        found = rule.after(found, inc=False)
    return None


def describe_when(schedule: Schedule, now: datetime, t: Translator | None = None) -> str:
    t = t or translator(None)
    zone = ZoneInfo(schedule.tz)
    local = schedule.first.astimezone(zone)
    if schedule.rule is not None:
        return f"{_describe_rule(schedule.rule, local, t)} ({schedule.tz})"
    if schedule.relative:
        seconds = round((schedule.first - now).total_seconds())
        minutes = round(seconds / 60)
        span = t.ngettext("{n} minute", "{n} minutes", minutes).format(n=t.number(minutes))
        if seconds < 60:
            span = t.ngettext("{n} second", "{n} seconds", seconds).format(n=t.number(seconds))
        elif minutes >= 120:
            span = t.gettext("{n} hours").format(n=t.number(round(minutes / 60, 1)))
        return t.gettext("In {span} (at {time} {zone})").format(
            span=span, time=clock(local, t), zone=schedule.tz
        )
    return t.gettext("{day} at {time} ({zone})").format(
        day=describe_day(schedule, now, t), time=clock(local, t), zone=schedule.tz
    )


def describe_day(schedule: Schedule, now: datetime, t: Translator) -> str:
    """ "Today", "Tomorrow" or the weekday and date of a one-shot's day, in the person's language."""
    zone = ZoneInfo(schedule.tz)
    local = schedule.first.astimezone(zone)
    today = now.astimezone(zone).date()
    if local.date() == today:
        return t.gettext("Today")
    if local.date() == today + timedelta(days=1):
        return t.gettext("Tomorrow")
    return t.day(local)


def clock(local: datetime, t: Translator) -> str:
    """A reminder's time of day: 24-hour "07:00" in English (the way /remind is written), the
    language's own short time (Babel) otherwise."""
    return f"{local:%H:%M}" if t.language == "en" else t.time(local)


def _describe_rule(rule: str, first_local: datetime, t: Translator) -> str:
    parts = dict(part.split("=", 1) for part in rule.split(";"))
    at = clock(first_local, t)
    interval = int(parts.get("INTERVAL", "1"))
    if parts["FREQ"] == "MINUTELY":
        return t.ngettext("Every {n} minute from {time}", "Every {n} minutes from {time}", interval).format(
            n=t.number(interval), time=at
        )
    if parts["FREQ"] == "HOURLY":
        return t.ngettext("Every {n} hour from {time}", "Every {n} hours from {time}", interval).format(
            n=t.number(interval), time=at
        )
    if parts["FREQ"] == "DAILY":
        if interval == 1:
            return t.gettext("Every day at {time}").format(time=at)
        return t.ngettext("Every {n} day at {time}", "Every {n} days at {time}", interval).format(
            n=t.number(interval), time=at
        )
    days = parts.get("BYDAY", "").split(",")
    if days == ["MO", "TU", "WE", "TH", "FR"]:
        return t.gettext("Every weekday at {time}").format(time=at)
    names = [t.weekday([str(w) for w in WEEKDAYS].index(d)) for d in days]
    joined = names[0]
    if len(names) > 1:
        joined = t.gettext("{first} and {last}").format(first=", ".join(names[:-1]), last=names[-1])
    return t.gettext("Every {days} at {time}").format(days=joined, time=at)


def _parse_repeating(
    rest: str, local_now: datetime, zone: ZoneInfo, tz: str, *, daily: bool
) -> tuple[Schedule, str]:
    freq: Literal[0, 1, 2, 3, 4, 5, 6] = DAILY
    days, evening = list[int](), False
    if not daily:
        if match := INTERVAL.match(rest):
            return _parse_interval(match, rest[match.end() :].strip(), local_now, zone, tz)
        if match := DAILY_WORD.match(rest):
            rest = rest[match.end() :].strip()
        elif match := WEEKDAYS_WORD.match(rest):
            freq, days = WEEKLY, [0, 1, 2, 3, 4]
            rest = rest[match.end() :].strip()
        elif match := PART_OF_DAY.match(rest):
            evening = match.group(1).lower() in {"evening", "night", "afternoon"}
            rest = rest[match.end() :].strip()
        else:
            days, rest = _weekday_list(rest)
            if not days:
                raise ReminderParseError(
                    N_(
                        'After "every" I understand: day, weekday, a day of the week (Monday, Montag, '
                        'lunes…), or "2 hours". For example:\n{examples}'
                    ),
                    examples=(
                        "/remind every Monday 07:00 weigh in\n/remind every day at 21:00 stretch 10 minutes"
                    ),
                )
            freq = WEEKLY
    hour_minute, text = _leading_clock(rest, local_now)
    if hour_minute is None:
        raise ReminderParseError(
            N_("At what time? For example: {example}, or {other}"),
            example="/remind every Monday 07:00 weigh in",
            other="/remind every day at 21:00 stretch",
        )
    hour, minute = hour_minute
    if evening and hour < 12:
        hour += 12
    if not text:
        raise ReminderParseError(
            N_("What should I remind you of? For example: {example}"),
            example="/remind every day at 21:00 stretch",
        )
    start = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    byweekday = [WEEKDAYS[d] for d in sorted(set(days))] or None
    rule = rrule(freq, dtstart=start, byweekday=byweekday, byhour=hour, byminute=minute, bysecond=0)
    return _repeating(rule, start, zone, tz, local_now), text


def _parse_interval(
    match: re.Match[str], rest: str, local_now: datetime, zone: ZoneInfo, tz: str
) -> tuple[Schedule, str]:
    """ "every 2 hours drink water": from now on, every `amount` hours or minutes."""
    amount, unit = int(match.group(1)), match.group(2).lower()
    minutes = unit.startswith(("min", "мин"))
    if amount < 1 or (minutes and amount < MIN_INTERVAL_MINUTES):
        raise ReminderParseError(
            N_("The shortest repetition I keep is every {n} minutes."), n=MIN_INTERVAL_MINUTES
        )
    text = _strip_joiner(rest)
    if not text:
        raise ReminderParseError(
            N_("What should I remind you of? For example: {example}"),
            example="/remind every 2 hours drink water",
        )
    start = local_now.replace(second=0, microsecond=0) + timedelta(minutes=amount if minutes else 60 * amount)
    rule = rrule(MINUTELY if minutes else HOURLY, interval=amount, dtstart=start)
    return _repeating(rule, start, zone, tz, local_now), text


def _repeating(rule: rrule, start: datetime, zone: ZoneInfo, tz: str, local_now: datetime) -> Schedule:
    text_rule = str(rule).split("\n")[-1].removeprefix("RRULE:")
    start_local = start.isoformat()
    first = next_firing(text_rule, start_local, tz, _aware(local_now, zone))
    if first is None:  # an rrule without COUNT or UNTIL never ends
        raise ReminderParseError(N_("That repetition never fires."))
    return Schedule(first, tz, rule=text_rule, start_local=start_local)


def _weekday_list(rest: str) -> tuple[list[int], str]:
    days: list[int] = []
    tokens = rest.replace(",", " , ").split()
    used = 0
    for token in tokens:
        word = token.lower().strip(".")
        if word in WEEKDAY_WORDS:
            days.append(WEEKDAY_WORDS[word])
        elif not (LIST_JOIN.match(word) and days):
            break
        used += 1
    # A joiner at the end ("Monday and") belongs to the text, not the list.
    while used and LIST_JOIN.match(tokens[used - 1]):
        used -= 1
    return days, " ".join(tokens[used:]).replace(" , ", ", ")


def _leading_clock(rest: str, local_now: datetime) -> tuple[tuple[int, int] | None, str]:
    """A time of day at the start of `rest` ("07:00", "at 21:00", "9pm", "um 7 Uhr") and what follows."""
    when, text, _ = _leading_time(rest, local_now, clock_only=True)
    return ((when.hour, when.minute) if when else None), text


def _leading_time(
    words: str, local_now: datetime, *, clock_only: bool = False
) -> tuple[datetime | None, str, bool]:
    """The longest run of leading words that reads as a time, the rest as text, and whether it was
    relative ("in 20 minutes"). A prefix that ends in a bare number ("tomorrow 7am 3") is not
    tried: the number belongs to the text."""
    tokens = words.split()
    settings = {
        "RELATIVE_BASE": local_now,
        "PREFER_DATES_FROM": "future",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "DATE_ORDER": "DMY",
    }
    for size in range(min(MAX_TIME_WORDS, len(tokens)), 0, -1):
        phrase = " ".join(tokens[:size])
        if re.fullmatch(r"\d+", tokens[size - 1]) and not BARE_HOUR.search(phrase):
            continue
        if clock_only and not HAS_TIME.search(phrase):
            continue
        normalised = BARE_HOUR.sub(lambda m: f"{m.group(1)} {m.group(2)}:00", phrase)
        parsed = dateparser.parse(normalised, languages=LANGUAGES, settings=settings)
        if parsed is None:
            continue
        relative = RELATIVE.match(phrase) is not None
        if not relative and not HAS_TIME.search(phrase):
            parsed = parsed.replace(hour=DEFAULT_HOUR, minute=0, second=0)
        if not relative:
            parsed = parsed.replace(second=0, microsecond=0)
        return parsed, _strip_joiner(" ".join(tokens[size:])), relative
    return None, words, False


def _strip_joiner(text: str) -> str:
    """Drop a leading "to" / ":" / "-" ("at 9 to stretch", "every day 21:00: stretch")."""
    return re.sub(r"^(?:to|:|-|–|—)\s+", "", text.strip()).strip()


def _aware(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
