"""The grammar's rules: each reads one part of a time at token i and fills its slot, or declines."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.followup.moment import UNIT_SECONDS, Day, Reader

NEXT_WEEK_CONVENTION = frozenset({"en", "es", "it"})  # "next Friday" is next week's Friday


def _amount(r: Reader, i: int) -> tuple[float, int] | None:
    """ "2", "2,5", "1/2", "two", "a couple of", optionally "and a half"."""
    if i >= len(r.tokens):
        return None
    token = r.tokens[i]
    value: float
    if token.numeric and re.fullmatch(r"\d+[,.]\d+", token.numeric):
        value, i = float(token.numeric.replace(",", ".")), i + 1
    elif token.numeric and re.fullmatch(r"\d/\d", token.numeric):
        top, bottom = token.numeric.split("/")
        value, i = int(top) / int(bottom), i + 1
    elif (found := r.number(i)) is not None:
        value, i = found
    elif (article := r.phrase(i, "article")) is not None:
        value, i = 1, article.end
    else:
        return None
    half = r.phrase(i, "and_half")
    if half:
        return value + 0.5, half.end
    return value, i


def relative(r: Reader, i: int) -> int | None:
    """ "in 20 minutes", "через час", "2 hours from now", "in half an hour", "dans 2'"."""
    day = r.slots.day
    if r.slots.relative or r.slots.clock is not None or (day is not None and day.offset != 0):
        return None  # "today in one hour" is still relative
    start = r.phrase(i, "in")
    j = start.end if start else i
    seconds, months, j2 = _span(r, j)
    if j2 is None:
        return None
    later = r.phrase(j2, "later")
    if not start and not later:
        return None
    r.slots.span_seconds, r.slots.span_months = seconds, months
    return later.end if later else j2


def _span(r: Reader, j: int) -> tuple[float, int, int | None]:
    hours = r.tokens[j].number if j < len(r.tokens) and r.tokens[j].hour_suffix else None
    if hours is not None:
        return hours * 3600.0, 0, j + 1  # "in 1h"
    numeric = r.tokens[j].numeric if j < len(r.tokens) else None
    if numeric and (m := re.fullmatch(r"(\d{1,2})[hч](\d{2})", numeric)) and int(m.group(2)) < 60:
        return int(m.group(1)) * 3600.0 + int(m.group(2)) * 60, 0, j + 1  # "dans 1h30"
    span = r.phrase(j, "span")
    if span:
        return float(span.value("span")) * 60, 0, span.end  # type: ignore[arg-type]
    amount = _amount(r, j)
    k = amount[1] if amount else j
    unit = r.phrase(k, "unit")
    if unit is None:
        return 0, 0, None
    value = amount[0] if amount else 1
    if amount is None and r.tokens[j].number is None and r.lang not in ("ru", "uk"):
        return 0, 0, None  # "in hours" is not a time; "через час" is
    end = unit.end
    half = r.phrase(end, "and_half")
    if half:
        value, end = value + 0.5, half.end
    name = str(unit.value("unit"))
    if name in ("mo", "y"):
        return 0, int(value * (12 if name == "y" else 1)), end
    return value * UNIT_SECONDS[name], 0, end


def day_word(r: Reader, i: int) -> int | None:
    """ "tomorrow", "übermorgen", "tonight" (today, evening), "demain soir"."""
    found = r.phrase(i, "day")
    if found is None or r.slots.day is not None:
        return None
    value = found.value("day")
    assert isinstance(value, tuple)
    offset: int = value[0]
    part: str | None = value[1]
    if part and r.slots.part:
        return None
    r.slots.day = Day(offset=offset)
    if part:
        r.slots.part = part
    return found.end


def part_of_day(r: Reader, i: int) -> int | None:
    found = r.phrase(i, "part")
    if found is None or r.slots.part is not None:
        return None
    if r.phrase(i, "unit") and r.slots.clock is None:
        return None  # "2 дня" are days
    r.slots.part = str(found.value("part"))
    return found.end


def zone(r: Reader, i: int) -> int | None:
    if i < len(r.tokens) and r.tokens[i].folded in ("по", "за") and r.phrase(i + 1, "zone"):
        i += 1  # "в 12:00 по UTC", "о 13:00 за UTC"
    found = r.phrase(i, "zone")
    if found is None or r.slots.zone is not None or r.slots.clock is None:
        return None
    offset, end = int(found.value("zone")), found.end  # type: ignore[call-overload]
    if end + 1 < len(r.tokens) and r.tokens[end].folded in "+-" and r.tokens[end + 1].number is not None:
        sign = 1 if r.tokens[end].folded == "+" else -1
        offset, end = offset + sign * (r.tokens[end + 1].number or 0), end + 2
    r.slots.zone = offset
    return end


def ampm(r: Reader, i: int) -> int | None:
    clock = r.slots.clock
    if clock is None or clock.ampm is not None or i >= len(r.tokens):
        return None
    found = r.phrase(i, "ampm")
    if found is None or clock.hour > 12:
        return None
    clock.ampm = str(found.value("ampm"))
    return found.end


def weekday(r: Reader, i: int) -> int | None:
    """ "Friday", "am Freitag", "next Tuesday", "mercredi prochain", "в следующую среду", "jeudi 15"."""
    day = r.slots.day
    if day is not None and (day.weekday is not None or day.month is None):
        return None
    mode, j = "plain", i
    for kind in ("next", "this", "after_next"):
        found = r.phrase(i, kind)
        if found and r.phrase(found.end, "weekday"):
            mode, j = kind, found.end
            break
    found = r.phrase(j, "weekday")
    if found is None:
        return None
    value = int(found.value("weekday"))  # type: ignore[call-overload]
    if day is not None:  # "Jul 18, Fri": the date's weekday, said again
        day.weekday = value
        return found.end
    day = r.slots.day = Day(weekday=value, mode=mode)
    end = found.end
    k = (
        end + 1
        if end < len(r.tokens) and r.tokens[end].folded in (",", "the", "den", "der", "el", "le", "il")
        else end
    )
    numbered = r.day_number(k)
    if numbered and _lone_day_number(r, numbered[1]):
        day.day, end = numbered[0], numbered[1]
    return _weekday_tail(r, day, end)


def _lone_day_number(r: Reader, after: int) -> bool:
    """A number after a weekday is its day of the month ("jeudi 15") unless a month, a clock word
    or a unit follows ("Monday 18 February" is a date, "Friday 5 pm" a clock)."""
    j = r.skip(after)
    if r.phrase(j, "month") or (after < len(r.tokens) and r.tokens[after].folded in (":", ".")):
        return False
    return not any(r.phrase(after, kind) for kind in ("oclock", "unit", "ampm", "part", "zone"))


def _weekday_tail(r: Reader, day: Day, end: int) -> int:
    """What may follow a weekday: "next week", "of this week", "after next", "en huit", "prochain"."""
    j = r.skip(end)
    for kind, mode in (("next", "next_week"), ("this", "this_week")):
        found = r.phrase(j, kind)
        if found and (unit := r.phrase(found.end, "unit")) and unit.value("unit") == "w":
            day.mode = mode
            return unit.end
    if (
        (unit := r.phrase(j, "unit"))
        and unit.value("unit") == "w"
        and (k := r.phrase(unit.end, "next") or r.phrase(unit.end, "next_week"))
    ):
        day.mode = "next_week"  # "la semana que viene", "de la semaine prochaine"
        return k.end
    if (unit := r.phrase(j, "unit")) and unit.value("unit") == "w" and (k := r.phrase(unit.end, "this")):
        day.mode = "this_week"
        return k.end
    found = r.phrase(end, "next_week")
    if found and day.mode == "plain":
        day.mode = "next_week"  # "mercredi suivant", "quarta que vem"
        return found.end
    found = r.phrase(end, "after_next")
    if found:
        day.mode = "after_next"
        return found.end
    found = r.phrase(end, "next")
    if found and day.mode == "plain":
        day.mode = "next"
        return found.end
    if r.tokens[end - 1 if end else 0] and end < len(r.tokens) and r.tokens[end].folded in ("en", "in"):
        weeks = _weeks_ahead(r, end + 1)
        if weeks:
            day.mode, day.plus_days = "plus", weeks[0]
            return weeks[1]
    return end


def _weeks_ahead(r: Reader, i: int) -> tuple[int, int] | None:
    """ "en huit" (+7), "en quinze" (+14), "in 2 Wochen"."""
    found = r.number(i)
    if found is None:
        return None
    value, j = found
    unit = r.phrase(j, "unit")
    if unit and unit.value("unit") == "w":
        return 7 * value, unit.end
    if value in (8, 15) and not unit:
        return (7 if value == 8 else 14), j
    return None


from bot.followup.clocks import clock  # noqa: E402
from bot.followup.dates import date, nth_in_month  # noqa: E402

MATCHERS: tuple[Callable[[Reader, int], int | None], ...] = (
    relative,
    day_word,
    nth_in_month,
    weekday,
    date,
    clock,
    part_of_day,
    ampm,
    zone,
)
