"""Repeating reminders: "every Monday 07:00", "jeden Tag um 21:00", "a cada 2 horas", "ogni lunedì
alle 8", "щопонеділка о 8" as a `dateutil.rrule` in the person's wall-clock time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, HOURLY, MINUTELY, WEEKLY, rrule

from bot.followup.moment import Reader
from bot.followup.resolve import MARKED_24_HOUR, TWELVE_HOUR_LANGUAGES, _hour_of_day
from bot.followup.when import NO_TEXT, ReminderParseError, Schedule, aware, next_firing, rest_of, strip_joiner
from bot.followup.words import (
    DAILY_WORD,
    HALF_HOUR,
    INTERVAL,
    LIST_JOIN,
    PART_OF_DAY,
    PART_OF_WORD,
    WEEK_THEN_DAY,
    WEEKDAY_WORDS,
    WEEKDAYS,
    WEEKDAYS_WORD,
)
from bot.i18n import N_

MIN_INTERVAL_MINUTES = 10
AFTER_EVERY = N_(
    'After "every" I understand: day, weekday, a day of the week (Monday, Montag, lunes…), or "2 hours". '
    "For example:\n{examples}"
)
AT_WHAT_TIME = N_("At what time? For example: {example}, or {other}")


def parse_repeating(
    rest: str, *, now: datetime, tz: str, lang: str | None, daily: bool
) -> tuple[Schedule, str]:
    """ "every <rest>": a day, weekdays, a weekday list or an interval, then a clock and the text."""
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone).replace(tzinfo=None)
    if not daily and (match := HALF_HOUR.match(rest)):
        return _interval(30, "minutes", rest[match.end() :], local_now, tz)
    if not daily and (match := WEEK_THEN_DAY.match(rest)) and weekday_list(rest[match.end() :])[0]:
        rest = rest[match.end() :]
    if not daily and (match := INTERVAL.match(rest)):
        return _interval(int(match.group(1) or 1), match.group(2).lower(), rest[match.end() :], local_now, tz)
    freq: Literal[0, 1, 2, 3, 4, 5, 6] = DAILY
    days: list[int] = []
    part: str | None = None
    if daily:
        pass
    elif match := DAILY_WORD.match(rest):
        rest = rest[match.end() :].strip()
    elif match := WEEKDAYS_WORD.match(rest):
        freq, days, rest = WEEKLY, [0, 1, 2, 3, 4], rest[match.end() :].strip()
    elif match := PART_OF_DAY.match(rest):
        part = PART_OF_WORD[match.group(1).lower()]
        rest = rest[match.end() :].strip()
    else:
        days, rest = weekday_list(rest)
        if not days:
            raise ReminderParseError(
                AFTER_EVERY,
                examples="/remind every Monday 07:00 weigh in\n/remind every day at 21:00 stretch 10 minutes",
            )
        freq = WEEKLY
    return _at_clock(rest, freq, days, part, local_now, tz, lang)


def _at_clock(
    rest: str,
    freq: Literal[0, 1, 2, 3, 4, 5, 6],
    days: list[int],
    part: str | None,
    local_now: datetime,
    tz: str,
    lang: str | None,
) -> tuple[Schedule, str]:
    reader = Reader(rest, lang)
    slots = reader.read()
    if slots.clock is None:
        raise ReminderParseError(
            AT_WHAT_TIME,
            example="/remind every Monday 07:00 weigh in",
            other="/remind every day at 21:00 stretch",
        )
    at, bare = _hour_of_day(slots.clock, slots.part or part)
    if slots.clock.marked and lang in MARKED_24_HOUR and at.hour >= 7:
        bare = False  # "jeden Montag um 9 Uhr", "tous les lundis à 9h": 09:00; "um 5 Uhr" is asked
    if slots.clock.digits and lang not in TWELVE_HOUR_LANGUAGES:
        bare = False  # "кожної середи о 8:00" is 08:00
    text = rest_of(rest, reader)
    if not text:
        raise ReminderParseError(NO_TEXT, example="/remind every day at 21:00 stretch")
    start = local_now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    byweekday = [WEEKDAYS[d] for d in sorted(set(days))] or None
    rule = rrule(freq, dtstart=start, byweekday=byweekday, byhour=at.hour, byminute=at.minute, bysecond=0)
    return _repeating(rule, start, tz, local_now, unsure=bare), text


def _interval(amount: int, unit: str, rest: str, local_now: datetime, tz: str) -> tuple[Schedule, str]:
    minutes = unit.startswith(("min", "мин", "хв"))
    if amount < 1 or (minutes and amount < MIN_INTERVAL_MINUTES):
        raise ReminderParseError(
            N_("The shortest repetition I keep is every {n} minutes."), n=MIN_INTERVAL_MINUTES
        )
    if amount > (60 * 24 * 7 if minutes else 24 * 7):
        raise ReminderParseError(N_("The longest interval I repeat in hours is a week; say the day instead."))
    text = strip_joiner(rest)
    if not text:
        raise ReminderParseError(NO_TEXT, example="/remind every 2 hours drink water")
    start = local_now.replace(second=0, microsecond=0) + timedelta(minutes=amount if minutes else 60 * amount)
    rule = rrule(MINUTELY if minutes else HOURLY, interval=amount, dtstart=start)
    return _repeating(rule, start, tz, local_now), text


def _repeating(
    rule: rrule, start: datetime, tz: str, local_now: datetime, *, unsure: bool = False
) -> Schedule:
    text_rule = str(rule).split("\n")[-1].removeprefix("RRULE:")
    start_local = start.isoformat()
    first = next_firing(text_rule, start_local, tz, aware(local_now, ZoneInfo(tz)))
    if first is None:  # an rrule without COUNT or UNTIL never ends
        raise ReminderParseError(N_("That repetition never fires."))
    return Schedule(first, tz, rule=text_rule, start_local=start_local, unsure=unsure)


def weekday_list(rest: str) -> tuple[list[int], str]:
    """ "Monday and Thursday …" → ([0, 3], "…")."""
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
