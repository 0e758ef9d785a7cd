"""The leading words of a /remind phrase that say when: a small grammar over the lexicon's meanings.

The phrase is read from its first word while words keep adding to one of five slots: a relative
span ("in 2 hours", "через 20 минут"), a day ("tomorrow", "am Freitag", "15.02", "le 2 mars"), a
clock ("at 5", "halb 4", "a las tres y media", "17ч10"), a part of the day ("abends", "de la
tarde") and a zone ("CET"). Little words ("at", "um", "le", "в") are passed over only between
such parts; the first word that adds nothing ends the time, and the rest is the reminder's text.
What the slots mean as a date-time is worked out in bot/followup/resolve.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.followup.lexicon import MONTH_FIRST
from bot.followup.tokens import Phrase, Token, lookups, tokenize

UNIT_SECONDS = {"s": 1, "min": 60, "h": 3600, "d": 86400, "w": 604800, "f": 1209600}
AT_WORDS = frozenset(
    [
        "at",
        "@",
        "for",
        "um",
        "à",
        "a",
        "las",
        "alas",  # "a las" typed together
        "às",
        "as",
        "alle",
        "alle",
        "ore",
        "в",
        "о",
        "об",
        "to",
        "per",
        "para",
        "gegen",
        "vers",
        "verso",
        "around",
        "about",
        "hacia",
        "sobre",
        "circa",
        "zirka",
        "около",
        "близько",
        "le",
        "la",
    ]
)


@dataclass(slots=True)
class Clock:
    hour: int
    minute: int = 0
    second: int = 0
    explicit: bool = False  # 24-hour form ("15:00", "07:30", "noon"): no am/pm question
    has_minutes: bool = False
    digits: bool = False  # written "7:30": a 24-hour language means 07:30
    ampm: str | None = None
    marked: bool = False  # "9h", "9 Uhr", "9 heures": the written 24-hour form of de es fr it pt


@dataclass(slots=True)
class Day:
    """One of: offset (0 today, 1 tomorrow), weekday (+ mode), date (y, m, d), month day."""

    offset: int | None = None
    weekday: int | None = None
    mode: str = "plain"  # plain this next after_next next_week this_week plus
    plus_days: int = 0
    year: int | None = None
    month: int | None = None
    day: int | None = None
    nth: int | None = None  # the nth weekday (or day) of the month; -1 the last
    ambiguous: bool = False  # "3/4" in English: 4 March or 3 April
    month_offset: int | None = None  # 0 this month, 1 next month


@dataclass(slots=True)
class Slots:
    span_seconds: float | None = None
    span_months: int = 0  # months and years: calendar arithmetic
    day: Day | None = None
    clock: Clock | None = None
    part: str | None = None
    zone: int | None = None
    used: int = 0  # tokens read
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.span_seconds is None and not self.span_months and self.day is None and self.clock is None

    @property
    def relative(self) -> bool:
        return self.span_seconds is not None or bool(self.span_months)


class Reader:
    """Reads the slots from the tokens of one phrase."""

    def __init__(self, text: str, lang: str | None) -> None:
        self.tokens: list[Token] = tokenize(text)
        self.phrases = lookups(self.tokens, lang)
        self.lang = lang
        self.slots = Slots()

    # --- helpers ---------------------------------------------------------------------------------

    def phrase(self, i: int, kind: str) -> Phrase | None:
        """The phrase of `kind` at i, when it is the longest there ("so gegen" is not Sunday)."""
        if i >= len(self.tokens) or not self.phrases[i]:
            return None
        longest = self.phrases[i][0].end
        return next((p for p in self.phrases[i] if p.end == longest and p.has(kind)), None)

    def number(self, i: int, *, words: bool = True) -> tuple[int, int] | None:
        """A cardinal at i (digits or words): (value, next index)."""
        if i >= len(self.tokens):
            return None
        token = self.tokens[i]
        if token.number is not None and not token.hour_suffix:
            return token.number, i + 1
        found = self.phrase(i, "number") if words else None
        return (int(found.value("number")), found.end) if found else None  # type: ignore[call-overload]

    def day_number(self, i: int) -> tuple[int, int] | None:
        """A day of the month at i: "15", "15th", "fifteenth", "quinze", "пятнадцатое"."""
        if i >= len(self.tokens):
            return None
        token = self.tokens[i]
        if token.number is not None and not token.hour_suffix and 1 <= token.number <= 31:
            return token.number, i + 1
        for kind in ("ordinal", "number"):
            found = self.phrase(i, kind)
            if found and 1 <= int(found.value(kind)) <= 31:  # type: ignore[call-overload]
                return int(found.value(kind)), found.end  # type: ignore[call-overload]
        return None

    def skip(self, i: int, kinds: tuple[str, ...] = ("filler",)) -> int:
        while i < len(self.tokens) and any(self.phrase(i, k) for k in kinds):
            found = next(self.phrase(i, k) for k in kinds if self.phrase(i, k))
            i = found.end  # type: ignore[union-attr]
        return i

    def preceded_by_at(self, i: int) -> bool:
        return i > 0 and self.tokens[i - 1].folded in AT_WORDS

    # --- the loop ---------------------------------------------------------------------------------

    def read(self) -> Slots:
        from bot.followup.matchers import MATCHERS

        i = 0
        while i < len(self.tokens):
            for matcher in MATCHERS:
                after = matcher(self, i)
                if after is not None:
                    i = self.slots.used = after
                    break
            else:
                approx = self.phrase(i, "approx")
                if approx is not None and not self.slots.empty:
                    i = self.slots.used = approx.end  # "3pm approximately", "15 uhr in etwa"
                    continue
                filler = self.phrase(i, "filler")
                if filler is None:
                    break
                i = filler.end
        return self.slots


def numeric_date(raw: str, dot: bool, lang: str | None, after_at: bool) -> tuple[int | None, int, int] | None:
    """ "15.02", "10.12.", "2/15", "1-3-2013", "2015-03-03" as (year, month, day); None when it is a
    clock ("15.30", "um 10.10") or no date."""
    parts = re.split(r"[-./]", raw)
    if not all(p.isdigit() for p in parts) or len(parts) not in (2, 3):
        return None
    numbers = [int(p) for p in parts]
    if len(parts[0]) == 4 and len(parts) == 3:
        return numbers[0], numbers[1], numbers[2]
    if len(parts) == 2 and "." in raw and (after_at or (not dot and len(parts[1]) == 2 and numbers[1] > 12)):
        return None
    day, month = numbers[0], numbers[1]
    if lang in MONTH_FIRST and "." not in raw and numbers[0] <= 12:
        day, month = month, day  # "2/15"; "24/12" can only be day first
    year = None
    if len(parts) == 3:
        year = numbers[2] + (2000 if numbers[2] < 100 else 0)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return year, month, day
