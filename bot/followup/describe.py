"""What a schedule is called in the person's language: "Tomorrow at 07:00 (Europe/Berlin)", "Every
Monday at 07:00", "In 20 minutes (at 14:20 Europe/Berlin)". Spans are written by Babel
(`Translator.duration`), so "2 hours" and "2 Stunden" come from CLDR."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.followup.words import WEEKDAYS
from bot.i18n import Translator, translator

if TYPE_CHECKING:
    from bot.followup.when import Schedule


def describe_when(schedule: Schedule, now: datetime, t: Translator | None = None) -> str:
    t = t or translator(None)
    zone = ZoneInfo(schedule.tz)
    local = schedule.first.astimezone(zone)
    if schedule.rule is not None:
        return f"{describe_rule(schedule.rule, local, t)} ({schedule.tz})"
    if schedule.relative:
        seconds = round((schedule.first - now).total_seconds())
        return t.gettext("In {span} (at {time} {zone})").format(
            span=t.duration(seconds), time=clock(local, t), zone=schedule.tz
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


def describe_rule(rule: str, first_local: datetime, t: Translator) -> str:
    parts = dict(part.split("=", 1) for part in rule.split(";"))
    at = clock(first_local, t)
    interval = int(parts.get("INTERVAL", "1"))
    if parts["FREQ"] == "MINUTELY":  # at least every 10 minutes: never one
        return t.ngettext("Every {n} minute from {time}", "Every {n} minutes from {time}", interval).format(
            n=t.number(interval), time=at
        )
    if parts["FREQ"] == "HOURLY":
        if interval == 1:  # "Every hour", not "Every 1 hour"
            return t.gettext("Every hour from {time}").format(time=at)
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
