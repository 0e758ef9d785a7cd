"""What the slots of a phrase mean at a given moment: a wall-clock date-time, or why there is none.

Conventions (each a choice a person could make differently, so some readings are marked unsure and
the bot asks before scheduling them):
- a date without a time is 09:00 that day; "in 3 days" keeps the time of day;
- a bare clock in the 12-hour range ("at 5", "um 3", "3:30") is the next such time of either half of
  the day, except that languages written with a 24-hour clock take "7:30" as written;
- a weekday alone is the next one after today; "next Friday" is next week's Friday in en/es/it and
  the coming one elsewhere (Duckling's readings), unsure when those differ;
- a zone named in the text ("4pm CET") places the clock in that zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from dateutil.relativedelta import relativedelta

from bot.followup.matchers import NEXT_WEEK_CONVENTION
from bot.followup.moment import Clock, Day, Slots

DEFAULT_HOUR = 9
MAX_YEARS_AHEAD = 10
TWELVE_HOUR_LANGUAGES = frozenset({"en"})
# Languages whose written "9h" / "9 Uhr" / "9 heures" is the 24-hour clock: 09:00, 21h is 21:00.
MARKED_24_HOUR = frozenset({"de", "es", "fr", "it", "pt"})


@dataclass(frozen=True, slots=True)
class Reading:
    """A moment (aware) and whether the reading is one of several a person could mean."""

    moment: datetime
    unsure: bool = False
    dated: bool = False  # a date without a time: 09:00 was chosen


class Unreadable(Exception):
    """The slots name no moment: `reason` is "passed", "no_date", "too_far"."""

    def __init__(self, reason: str, moment: datetime | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.moment = moment


def resolve(slots: Slots, now: datetime, zone: tzinfo, lang: str | None) -> Reading:
    """The moment the slots name, seen from `now` (aware) by a person in `zone`."""
    frame: tzinfo = timezone(timedelta(hours=slots.zone)) if slots.zone is not None else zone
    local_now = now.astimezone(frame).replace(tzinfo=None)
    if slots.relative:
        if slots.day is not None and slots.day.offset != 0:
            raise Unreadable("mixed")  # "in 2 weeks on Monday": not one of the two alone
        return _relative(slots, now, local_now, frame)
    unsure = False
    day = None
    if slots.day is not None:
        day, unsure = _day(slots.day, local_now.date(), lang)
    if slots.clock is None:
        if day is None:
            raise Unreadable("no_date")
        hour = _part_hour(slots.part)
        return _finish(datetime.combine(day, time(hour)), frame, now, unsure, dated=slots.part is None)
    clock, bare = _hour_of_day(slots.clock, slots.part)
    bare = bare and not (
        slots.clock.digits and lang not in TWELVE_HOUR_LANGUAGES
    )  # "7:30" in German is 07:30
    if bare and slots.clock.marked and lang in MARKED_24_HOUR:  # "Freitag um 10 Uhr", "demain à 9h"
        bare = datetime.combine(day or local_now.date(), clock) <= local_now  # "um 5 Uhr" at 14:30: ask
    if day is not None and slots.day is not None:
        day, unsure = _small_hours(day, clock, slots, unsure)
    moment = _next_clock(clock, bare, local_now) if day is None else _on_day(clock, bare, day, local_now)
    return _finish(moment, frame, now, unsure or bare)


def _small_hours(day: date, clock: time, slots: Slots, unsure: bool) -> tuple[date, bool]:
    """ "tonight at 12" and "heute Nacht um 1" are after midnight, the next day; "tomorrow night at
    2" may be either night, so it is asked."""
    assert slots.clock is not None
    assert slots.day is not None
    if clock.hour == 0 and slots.part in ("evening", "night") and not slots.clock.explicit:
        return day + timedelta(days=1), unsure
    if clock == time(0) and slots.clock.explicit and slots.part is None:  # "heute um Mitternacht"
        return (day + timedelta(days=1), unsure) if slots.day.offset == 0 else (day, True)
    if slots.part in ("evening", "night") and clock.hour < 6:
        if slots.day.offset == 0:
            return day + timedelta(days=1), unsure
        return day, True
    return day, unsure


def _relative(slots: Slots, now: datetime, local_now: datetime, frame: tzinfo) -> Reading:
    seconds = slots.span_seconds or 0.0
    if seconds > MAX_YEARS_AHEAD * 366 * 86400 or slots.span_months > MAX_YEARS_AHEAD * 12:
        raise Unreadable("too_far")
    moment = local_now + relativedelta(months=slots.span_months) + timedelta(seconds=seconds)
    if slots.clock is not None:
        clock, bare = _hour_of_day(slots.clock, slots.part)
        moment = datetime.combine(moment.date(), clock)
        return _finish(moment, frame, now, bare)
    return Reading(moment.replace(tzinfo=frame).astimezone(now.tzinfo))


def _finish(moment: datetime, frame: tzinfo, now: datetime, unsure: bool, *, dated: bool = False) -> Reading:
    if moment.year > now.year + MAX_YEARS_AHEAD:
        raise Unreadable("too_far")
    aware = moment.replace(tzinfo=frame, fold=0).astimezone(now.tzinfo)
    if aware <= now:
        raise Unreadable("passed", aware)
    return Reading(aware, unsure=unsure, dated=dated)


def _part_hour(part: str | None) -> int:
    return {"morning": 9, "afternoon": 15, "evening": 19, "night": 21}.get(part or "", DEFAULT_HOUR)


def _hour_of_day(clock: Clock, part: str | None) -> tuple[time, bool]:
    """The 24-hour time, and whether it is a bare 12-hour clock (am or pm unknown)."""
    hour = clock.hour
    if clock.ampm == "pm" and hour < 12:
        hour += 12
    elif clock.ampm == "am" and hour == 12:
        hour = 0
    elif clock.ampm is None and not clock.explicit:
        if part in ("evening", "night") and hour == 12:
            hour = 0  # "tonight at 12" is midnight
        elif (part in ("afternoon", "evening") and hour < 12) or (part == "night" and 6 <= hour < 12):
            hour += 12
    bare = clock.ampm is None and part is None and not clock.explicit and 1 <= clock.hour <= 12
    return time(hour, clock.minute, clock.second), bare


def _next_clock(clock: time, either_half: bool, local_now: datetime) -> datetime:
    """The next time the clock shows `clock` (in either half of the day when asked)."""
    today = local_now.date()
    candidates = [clock]
    if either_half and clock.hour < 12:
        candidates.append(clock.replace(hour=clock.hour + 12))
    for day in (today, today + timedelta(days=1)):
        for option in sorted(candidates):
            moment = datetime.combine(day, option)
            if moment > local_now:
                return moment
    return datetime.combine(today + timedelta(days=1), clock)


def _on_day(clock: time, bare: bool, day: date, local_now: datetime) -> datetime:
    moment = datetime.combine(day, clock)
    if bare and moment <= local_now and clock.hour < 12:
        return moment + timedelta(hours=12)  # "today at 5" at 09:00 is 17:00
    return moment


def _day(spec: Day, today: date, lang: str | None) -> tuple[date, bool]:
    """The date a day phrase names, and whether another reading was as likely."""
    if spec.offset is not None:
        return today + timedelta(days=spec.offset), False
    if spec.nth is not None:
        return _nth_in_month(spec, today), False
    if spec.month_offset is not None and spec.day is not None:
        try:
            return (today.replace(day=1) + relativedelta(months=spec.month_offset)).replace(
                day=spec.day
            ), False
        except ValueError:
            raise Unreadable("no_date") from None
    if spec.month is not None and spec.day is not None:
        return _calendar_day(spec, today), spec.ambiguous
    if spec.weekday is None:
        raise Unreadable("no_date")
    if spec.day is not None:
        return _weekday_and_day(spec.weekday, spec.day, today), False
    return _weekday(spec, today, lang)


def _calendar_day(spec: Day, today: date) -> date:
    assert spec.month is not None
    assert spec.day is not None
    if spec.month == 0:  # "the 15th": this month's if still ahead, else next month's
        for ahead in range(3):
            first = today.replace(day=1) + relativedelta(months=ahead)
            try:
                found = first.replace(day=spec.day)
            except ValueError:
                continue
            if found > today:
                return found
        raise Unreadable("no_date")
    year = spec.year if spec.year is not None else today.year
    if spec.year is not None and year > today.year + MAX_YEARS_AHEAD:
        raise Unreadable("too_far")
    try:
        found = date(year, spec.month, spec.day)
    except ValueError:
        raise Unreadable("no_date") from None
    if spec.year is None and found < today:
        found = found.replace(year=year + 1)
    if spec.year is None and spec.weekday is not None:  # "Fri, Jul 18": the next Jul 18 on a Friday
        for ahead in range(12):
            candidate = _same_day_in(found, ahead)
            if candidate is not None and candidate.weekday() == spec.weekday:
                return candidate
    return found


def _same_day_in(day: date, years: int) -> date | None:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return None


def _nth_in_month(spec: Day, today: date) -> date:
    """The nth (or last) weekday or day of a month; a month without a year is the next one to come."""
    for years in range(2):
        if spec.month_offset is not None:
            first = today.replace(day=1) + relativedelta(months=spec.month_offset)
        else:
            assert spec.month is not None
            first = date((spec.year or today.year) + years, spec.month, 1)
        days = [
            first + timedelta(days=n) for n in range(31) if (first + timedelta(days=n)).month == first.month
        ]
        if spec.weekday is not None:
            days = [d for d in days if d.weekday() == spec.weekday]
        assert spec.nth is not None
        if not -len(days) <= (spec.nth if spec.nth < 0 else spec.nth - 1) < len(days):
            raise Unreadable("no_date")
        found = days[spec.nth if spec.nth < 0 else spec.nth - 1]
        if found >= today or spec.year is not None or spec.month_offset is not None:
            return found
    raise Unreadable("no_date")


def _weekday_and_day(weekday: int, day: int, today: date) -> date:
    """ "jeudi 15", "Martedì 19": the next 15th that is a Thursday."""
    first = today.replace(day=1)
    for ahead in range(60):
        month = first + relativedelta(months=ahead)
        try:
            found = month.replace(day=day)
        except ValueError:
            continue
        if found >= today and found.weekday() == weekday:
            return found
    raise Unreadable("no_date")


def _weekday(spec: Day, today: date, lang: str | None) -> tuple[date, bool]:
    assert spec.weekday is not None
    ahead = (spec.weekday - today.weekday()) % 7
    coming = today + timedelta(days=ahead or 7)  # strictly after today
    this_week = today - timedelta(days=today.weekday()) + timedelta(days=spec.weekday)
    next_week = this_week + timedelta(days=7)
    if spec.mode == "this":
        return today + timedelta(days=ahead), False
    if spec.mode == "this_week":
        return this_week, False
    if spec.mode == "next_week":
        return next_week, False
    if spec.mode == "after_next":
        return coming + timedelta(days=7), False
    if spec.mode == "plus":
        return today + timedelta(days=ahead) + timedelta(days=spec.plus_days), False
    if spec.mode == "next":
        reading = next_week if lang in NEXT_WEEK_CONVENTION else coming
        return reading, next_week != coming
    return coming, ahead == 0  # "Tuesday" said on a Tuesday: today's or next week's, asked
