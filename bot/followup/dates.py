"""The date rules: "15.02", "2015-03-03", "le 2 mars", "March 3rd 2015", "18 липня 2014", "the 15th",
"20 of next month", "first Tuesday of October", "letzter Montag im März", "the last day of May"."""

from __future__ import annotations

from bot.followup.lexicon import MONTH_FIRST
from bot.followup.moment import Day, Reader, numeric_date


def date(r: Reader, i: int) -> int | None:
    """ "15.02", "2015-03-03", "le 2 mars", "March 3rd 2015", "18 липня 2014", "the 15th"."""
    day = r.slots.day
    if day is not None and (day.weekday is None or day.day is not None or day.mode != "plain"):
        return None
    token = r.tokens[i]
    if token.numeric:
        found = numeric_date(token.numeric, token.dot, r.lang, r.preceded_by_at(i))
        if found is None:
            return None
        year, month, day_ = found
        end = i + 1
        if year is None and (y := _year(r, end)):
            year, end = y
        _set_date(r, year, month, day_)
        assert r.slots.day is not None
        r.slots.day.ambiguous = r.lang in MONTH_FIRST and "." not in token.numeric and month != day_ <= 12
        return end
    return _named_date(r, i)


def _set_date(r: Reader, year: int | None, month: int, day: int) -> None:
    previous = r.slots.day
    r.slots.day = Day(year=year, month=month, day=day, weekday=previous.weekday if previous else None)


def _year(r: Reader, i: int) -> tuple[int, int] | None:
    j = r.skip(i, ("filler",)) if i < len(r.tokens) and r.tokens[i].folded in (",", "de", "del", "of") else i
    if j < len(r.tokens) and (n := r.tokens[j].number) is not None and 1900 <= n <= 2999:
        return n, j + 1
    return None


def _named_date(r: Reader, i: int) -> int | None:
    numbered = r.day_number(i)
    if numbered:
        relative_month = _of_relative_month(r, numbered[0], numbered[1])
        if relative_month is not None:
            return relative_month
        j = r.skip(numbered[1])
        month = r.phrase(j, "month")
        if month:
            end = month.end
            year = _year(r, end) or _short_year(r, end)
            _set_date(r, year[0] if year else None, int(month.value("month")), numbered[0])  # type: ignore[call-overload]
            return year[1] if year else end
        spaced = _spaced_date(r, numbered[0], numbered[1])
        if spaced is not None:
            return spaced
        if _month_day_allowed(r, i):
            _set_date(r, None, 0, numbered[0])
            return numbered[1]
        return None
    month = r.phrase(i, "month")
    if month is None:
        return None
    j = r.skip(month.end)
    numbered = r.day_number(j)
    if numbered is None or r.phrase(numbered[1], "oclock") or r.phrase(numbered[1], "unit"):
        return None
    end = numbered[1]
    year = _year(r, end)
    _set_date(r, year[0] if year else None, int(month.value("month")), numbered[0])  # type: ignore[call-overload]
    return year[1] if year else end


def _of_relative_month(r: Reader, day: int, i: int) -> int | None:
    """ "20 of next month", "20th day of this month"."""
    j = i
    unit = r.phrase(j, "unit")
    if unit and unit.value("unit") == "d":
        j = unit.end
    j = _skip_of(r, j)
    found, end = _month_or_relative(r, j)
    if found is None or found[1] is None or j == i:
        return None
    r.slots.day = Day(day=day, month_offset=found[1])
    return end


def _spaced_date(r: Reader, day: int, i: int) -> int | None:
    """French "le 17 02", "20 2 14", "24 12 2014": day, month and year apart."""
    if r.lang != "fr" or i >= len(r.tokens) or (month := r.tokens[i].number) is None or not 1 <= month <= 12:
        return None
    end, year = i + 1, None
    if end < len(r.tokens) and (n := r.tokens[end].number) is not None and len(r.tokens[end].text) in (2, 4):
        year, end = (n if n > 99 else 2000 + n), end + 1
    _set_date(r, year, month, day)
    return end


def _short_year(r: Reader, i: int) -> tuple[int, int] | None:
    """ "14th April 15", "18. Juli 14": two digits right after a month name, nothing after them."""
    if i >= len(r.tokens) or (n := r.tokens[i].number) is None or len(r.tokens[i].text) != 2:
        return None
    after = i + 1
    if after < len(r.tokens) and (r.tokens[after].number is not None or r.phrase(after, "number")):
        return None
    if any(r.phrase(after, kind) for kind in ("oclock", "unit", "part")):
        return None
    return 2000 + n, after


def _month_day_allowed(r: Reader, i: int) -> bool:
    """A day of the month alone: "the 15th", "am 15ten", "le 16", "il 19", "el 17", "dia 17"."""
    token = r.tokens[i]
    if (
        r.phrase(i + 1, "oclock")
        or r.phrase(i + 1, "unit")
        or r.phrase(i + 1, "ampm")
        or r.phrase(i + 1, "part")
    ):
        return False
    before = r.tokens[i - 1].folded if i else ""
    if i >= 2 and r.tokens[i - 2].folded in ("verso", "per", "vers", "alle", "around", "at"):
        return False  # "verso le 15" is a clock
    return token.ordinal or before in (
        "the",
        "le",
        "il",
        "el",
        "dia",
        "am",
        "den",
        "der",
        "no",
        "essa",
        "este",
        "esse",
        "dia",
        "giorno",
        "día",
    )


_OF = frozenset(
    [
        "of",
        "in",
        "im",
        "di",
        "del",
        "della",
        "dell'",
        "du",
        "de",
        "d'",
        "у",
        "в",
        "mese",
        "mois",
        "month",
        "the",
        "la",
        "le",
        "el",
        "do",
        "da",
    ]
)


def _skip_of(r: Reader, j: int) -> int:
    """Past "of", "in", "del mese di" to a month ("… du mois prochain" stops at "mois")."""
    while j < len(r.tokens) and r.tokens[j].folded in _OF and _month_or_relative(r, j)[0] is None:
        j += 1
    return j


def nth_in_month(r: Reader, i: int) -> int | None:
    """ "first Tuesday of October", "letzter Montag im März", "l'ultimo giorno di ottobre 2015",
    "третій день у жовтні", "le premier mercredi du mois prochain"."""
    if r.slots.day is not None:
        return None
    last = r.phrase(i, "last")
    ordinal = r.phrase(i, "ordinal")
    token = r.tokens[i]
    if last:
        nth, j = -1, last.end
    elif ordinal:
        nth, j = int(ordinal.value("ordinal")), ordinal.end  # type: ignore[call-overload]
    elif token.ordinal and token.number is not None:
        nth, j = token.number, i + 1
    else:
        return None
    if last is None and (counted := r.phrase(j, "last")):  # "the 5th last day of May"
        nth, j = -nth, counted.end
    weekday = r.phrase(j, "weekday")
    unit = r.phrase(j, "unit")
    if weekday is None and not (unit and unit.value("unit") == "d"):
        return None
    j = _skip_of(r, (weekday or unit).end)  # type: ignore[union-attr]
    month, end = _month_or_relative(r, j)
    if month is None:
        return None
    day = Day(weekday=int(weekday.value("weekday")) if weekday else None, nth=nth)  # type: ignore[call-overload]
    day.month, day.month_offset = month
    year = _year(r, end)
    if year:
        day.year, end = year
    r.slots.day = day
    return end


def _month_or_relative(r: Reader, j: int) -> tuple[tuple[int | None, int | None] | None, int]:
    """A month name (its number), or "next month" / "mois prochain" / "this month" (an offset)."""
    month = r.phrase(j, "month")
    if month:
        return (int(month.value("month")), None), month.end  # type: ignore[call-overload]
    for first, second in (("next", "unit"), ("this", "unit"), ("unit", "next"), ("unit", "this")):
        a = r.phrase(j, first)
        b = r.phrase(a.end, second) if a else None
        if a and b:
            unit = a if first == "unit" else b
            if unit.value("unit") == "mo":
                return (None, 0 if "this" in (first, second) else 1), b.end
    return None, j
