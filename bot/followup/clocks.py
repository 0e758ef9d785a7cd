"""The clock rules: "15:30", "at 5", "half past 3", "halb 4", "a las tres y cuarto", "midi moins cinq"."""

from __future__ import annotations

import re

from bot.followup.moment import Clock, Reader

_CLOCK_TOKEN = re.compile(r"(\d{1,2})(?::(\d{2})(?::(\d{2}))?|[.hч](\d{2}))")


def clock(r: Reader, i: int) -> int | None:
    if r.slots.clock is not None:
        return None
    found = _half_before(r, i) or _fraction_first(r, i) or _hour_then_minutes(r, i)
    if found is None:
        return None
    r.slots.clock, end = found
    return end


def _hour(r: Reader, i: int) -> tuple[Clock, int, bool] | None:
    """The hour at i: (clock, next index, written as a word or with "h"/"uhr" so minutes may follow)."""
    if i >= len(r.tokens):
        return None
    token = r.tokens[i]
    noon = r.phrase(i, "noon")
    if noon:
        return Clock(int(noon.value("noon")), explicit=True), noon.end, True  # type: ignore[call-overload]
    if token.numeric and (m := _CLOCK_TOKEN.fullmatch(token.numeric)):
        hour, minute = int(m.group(1)), int(m.group(2) or m.group(4) or 0)
        second = int(m.group(3) or 0)
        if hour > 23 or minute > 59 or second > 59:
            return None  # "25:00" and "24:00" are no time of day we fire at
        explicit = hour == 0 or hour > 12 or token.text.startswith("0")
        return Clock(hour, minute, second, explicit, has_minutes=True, digits=True), i + 1, False
    if token.number is not None and token.hour_suffix:
        if token.number > 23:
            return None
        explicit = token.number > 12 or token.text.startswith("0")
        return Clock(token.number, explicit=explicit, marked=True), i + 1, True
    hhmm_context = r.preceded_by_at(i) or r.phrase(i + 1, "ampm") or (i and r.phrase(i - 1, "approx"))
    if token.number is not None and hhmm_context and len(token.text) in (3, 4) and token.number % 100 < 60:
        hour = token.number // 100
        if hour > 23:
            return None
        return (
            Clock(hour, token.number % 100, explicit=hour > 12, has_minutes=True, digits=True),
            i + 1,
            False,
        )
    found = r.number(i)
    if found is None and r.lang == "uk" and r.preceded_by_at(i) and (ordinal := r.phrase(i, "ordinal")):
        found = (int(ordinal.value("ordinal")), ordinal.end)  # type: ignore[call-overload]  # о дев'ятій
    elif found is None or token.ordinal:
        return None
    if not 0 <= found[0] <= 24:
        return None
    if not _clock_context(r, i, found[1]):
        return None
    value = found[0] % 24
    explicit = found[0] == 0 or found[0] > 12 or token.text.startswith("0")
    return Clock(value, explicit=explicit), found[1], True


def _clock_context(r: Reader, i: int, after: int) -> bool:
    """A plain number is an hour after "at" words, or before "o'clock", am/pm, a part of the day, a
    day ("9 tomorrow"), or minutes joined by "and" ("3 y cuarto")."""
    if r.preceded_by_at(i):
        return True
    approx = r.phrase(after, "approx")
    if approx:
        after = approx.end  # "3ish pm"
    minutes = r.number(after)
    if minutes and 0 < minutes[0] < 60 and r.phrase(minutes[1], "ampm"):
        return True  # "ten thirty am"
    for kind in ("oclock", "ampm", "part", "day"):
        if r.phrase(after, kind):
            return kind != "part" or not r.phrase(after, "unit")
    joiner = r.phrase(after, "and")
    if joiner is None:
        return False
    if r.phrase(joiner.end, "quarter") or r.phrase(joiner.end, "half"):
        return True  # "3 y cuarto"
    return r.lang in ("es", "pt", "it") and r.number(joiner.end) is not None  # "5 e quinze", "3 e 20"


def _hour_then_minutes(r: Reader, i: int) -> tuple[Clock, int] | None:
    found = _hour(r, i)
    if found is None:
        return None
    result, j, open_minutes = found
    oclock = r.phrase(j, "oclock")
    if oclock and not (r.slots.relative and r.phrase(j, "unit")):
        j, open_minutes, result.marked = oclock.end, True, True
    minutes = _minutes_after(r, j, open_minutes)
    if minutes is not None and not result.has_minutes:
        delta, j = minutes
        total = result.hour * 60 + delta
        result.hour, result.minute, result.has_minutes = (total // 60) % 24, total % 60, True
    return result, j


def _minutes_after(r: Reader, j: int, open_minutes: bool) -> tuple[int, int] | None:
    """ "y cuarto" (+15), "et demie" (+30), "moins le quart" (-15), "menos cinco" (-5), "e venti",
    "trente", "15" after "uhr" / a word hour, "passé de 15 minutes"."""
    half = r.phrase(j, "and_half")
    if half:
        return 30, half.end  # "y media", "et demie", "e mezza"
    quarters = r.phrase(j, "three_quarters")
    if quarters and open_minutes:
        return 45, quarters.end  # "onze heures trois quarts"
    for kind, sign in (("and", 1), ("minus", -1)):
        joiner = r.phrase(j, kind)
        if joiner is not None and (amount := _fraction(r, joiner.end)) is not None:
            return sign * amount[0], amount[1]
    if open_minutes and j + 1 < len(r.tokens) and r.tokens[j].folded in ("0", "oh", "cero", "zero"):
        number = r.number(j + 1)  # "six oh five", "seis cero dos", "6 0 2"
        if number is not None and 0 < number[0] < 10:
            return number[0], number[1]
    if open_minutes:
        number = r.number(j)
        if (
            number is not None
            and 0 < number[0] < 60
            and (r.tokens[j].number is None or len(r.tokens[j].text) == 2)
        ):
            unit = r.phrase(number[1], "unit")
            end = unit.end if unit and unit.value("unit") == "min" else number[1]
            return number[0], end
    return None


def _fraction(r: Reader, k: int) -> tuple[int, int] | None:
    """ "quarter" 15, "half" 30, "three quarters" 45, "20 (minutes)" 20."""
    quarter = r.phrase(k, "quarter")
    if quarter:
        return 15, quarter.end
    half = r.phrase(k, "half")
    if half:
        return 30, half.end
    number = r.number(k)
    if number is not None and 0 < number[0] < 60:
        unit = r.phrase(number[1], "unit")
        if unit and unit.value("unit") == "min":
            return number[0], unit.end
        if unit is None:
            return number[0], number[1]
    return None


def _half_before(r: Reader, i: int) -> tuple[Clock, int] | None:
    """Russian "половина восьмого", "пол восьмого" and Ukrainian "пів на восьму", "пів восьмої":
    half an hour before the named (ordinal) hour."""
    if r.lang not in ("ru", "uk") or r.tokens[i].folded not in ("половине", "половина", "пол", "пів", "пiв"):
        return None
    j = i + 1
    if j < len(r.tokens) and r.tokens[j].folded == "на":
        j += 1
    hour = r.phrase(j, "ordinal")
    if hour is None or not 1 <= int(hour.value("ordinal")) <= 12:  # type: ignore[call-overload]
        return None
    return _shift(Clock(int(hour.value("ordinal"))), -30), hour.end  # type: ignore[call-overload]


def _fraction_first(r: Reader, i: int) -> tuple[Clock, int] | None:
    """ "half past 3", "quarter to noon", "20 minutes to 2pm", "viertel nach 3", "halb 4" (3:30),
    "un quarto a mezzogiorno", "quinze para o meio dia", "без четверти 12"."""
    if r.phrase(i, "to") and r.lang in ("ru", "uk"):  # "без четверти 12", "без 5 12"
        amount = _fraction(r, r.phrase(i, "to").end)  # type: ignore[union-attr]
        if amount is not None and (hour := _hour_word_or_number(r, amount[1])) is not None:
            return _shift(hour[0], -amount[0]), hour[1]
    amount = _fraction(r, i)
    if amount is None:
        return None
    j = amount[1]
    if r.phrase(i, "half") and r.lang == "de" and (hour := _hour_word_or_number(r, j)) is not None:
        return _shift(hour[0], -30), hour[1]
    for kind, sign in (("past", 1), ("to", -1)):
        joiner = r.phrase(j, kind)
        if joiner and (hour := _hour_word_or_number(r, joiner.end)) is not None:
            return _shift(hour[0], sign * amount[0]), hour[1]
    if r.lang == "it" and j < len(r.tokens) and r.tokens[j].folded == "a" and (noon := r.phrase(j, "noon")):
        return _shift(Clock(int(noon.value("noon")), explicit=True), -amount[0]), noon.end  # type: ignore[call-overload]
    if r.phrase(i, "half") and r.lang == "en" and (hour := _hour_word_or_number(r, j)) is not None:
        return _shift(hour[0], 30), hour[1]
    return None


def _hour_word_or_number(r: Reader, i: int) -> tuple[Clock, int] | None:
    if i >= len(r.tokens):
        return None
    noon = r.phrase(i, "noon")
    if noon:
        return Clock(int(noon.value("noon")), explicit=True), noon.end  # type: ignore[call-overload]
    token = r.tokens[i]
    found = r.number(i)
    if found is None and token.hour_suffix and token.number is not None:
        found = (token.number, i + 1)  # "past 15h"
    if found is None and r.lang == "uk" and (ordinal := r.phrase(i, "ordinal")):
        found = (int(ordinal.value("ordinal")), ordinal.end)  # type: ignore[call-overload]  # за чверть дев'ята
    if found is None or not 0 <= found[0] <= 24:
        return None
    end = found[1]
    oclock = r.phrase(end, "oclock")
    explicit = found[0] > 12 or (token.hour_suffix and found[0] == 0)
    return Clock(found[0] % 24, explicit=explicit), (oclock.end if oclock else end)


def _shift(base: Clock, minutes: int) -> Clock:
    total = (base.hour * 60 + minutes) % (24 * 60)
    hour = total // 60
    return Clock(hour, total % 60, explicit=base.explicit, has_minutes=True)
