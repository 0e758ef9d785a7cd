"""The bot's own words in the person's language: gettext catalogs, plurals, numbers and dates.

Catalogs are the `.po` files in bot/i18n/locale/<language>/LC_MESSAGES/bot.po. They are compiled in
memory the first time a language is used (no `.mo` file to build or forget to rebuild); fuzzy or
empty translations fall back to the English text. Strings are marked in code with `_()` /
`ngettext()` on a `Translator`, or with `N_()` where the text is defined and translated where shown.
docs/languages.md has the three commands that add a language.
"""

from __future__ import annotations

import gettext
import io
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Literal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time, format_timedelta, get_day_names
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.units import format_unit

DOMAIN = "bot"
LOCALE_DIR = Path(__file__).parent / "locale"
ENGLISH = "en"  # the language the strings are written in; it needs no catalog


def N_(message: str) -> str:
    """Mark `message` for translation where it is defined; it is translated where it is shown."""
    return message


def NN_(singular: str, plural: str) -> tuple[str, str]:
    """N_ for a count: both English forms, for `Translator.ngettext(*forms, n)` where it is shown
    (extracted as one plural entry: `make messages` and tests/test_i18n.py know the keyword)."""
    return singular, plural


KEYWORDS = {"NN_": (1, 2)}  # extraction keywords beside Babel's defaults (N_, ngettext, pgettext, …)


@cache
def languages() -> tuple[str, ...]:
    """The languages the interface speaks: English, then every catalog in bot/i18n/locale."""
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (ENGLISH, *(code for code in found if code != ENGLISH))


def language_of(code: str | None) -> str | None:
    """The catalog for a Telegram language_code, or None: "pt-br" and "pt" → "pt" (Brazilian),
    "pt-pt" → "pt_PT" (European Portuguese, when that catalog exists), "es-mx" → "es"."""
    if not code:
        return None
    parts = code.replace("_", "-").lower().split("-")
    region = f"{parts[0]}_{parts[1].upper()}" if len(parts) > 1 else ""
    for candidate in (region, parts[0]):
        if candidate and candidate in languages():
            return candidate
    return None


def choose(*codes: str | None) -> str:
    """The first of `codes` the interface speaks (e.g. the chosen one, then Telegram's), else English."""
    return next((found for found in map(language_of, codes) if found), ENGLISH)


class Translator:
    """One language's words: gettext, ngettext, and numbers and dates written its way."""

    def __init__(self, language: str, catalog: gettext.NullTranslations) -> None:
        self.language = language
        self._catalog = catalog
        try:
            self._locale = Locale.parse(language)
        except (ValueError, UnknownLocaleError):
            self._locale = Locale.parse(ENGLISH)

    def gettext(self, message: str) -> str:
        return self._catalog.gettext(message)

    def pgettext(self, context: str, message: str) -> str:
        """`message` where the same English words mean another thing elsewhere ("on" for memory,
        "on" for the ✍ reaction): `context` tells them apart in the catalogs."""
        return self._catalog.pgettext(context, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The form for `n` (Russian and Ukrainian have three); format `{n}` with `number`."""
        return self._catalog.ngettext(singular, plural, n)

    def number(self, value: float) -> str:
        """A count as the language writes it: 12,345 / 12.345 / 12 345."""
        return format_decimal(value, locale=self._locale)

    def megabytes(self, size: float) -> str:
        """A file size in bytes as megabytes, one decimal at most: "30.5 MB", "30,5 Mo", "30,5 МБ"."""
        amount = round(size / 2**20, 1)
        return format_unit(amount, "digital-megabyte", length="short", locale=self._locale)

    def short_duration(self, seconds: int) -> str:
        """A recording's length in the language's short units: "5 min 30 sec", "5 мин 30 с", "45 s"."""
        minutes, rest = divmod(max(0, seconds), 60)
        parts = [(minutes, "duration-minute"), (rest, "duration-second")]
        shown = [format_unit(n, unit, length="short", locale=self._locale) for n, unit in parts if n]
        shown = shown or [format_unit(0, "duration-second", length="short", locale=self._locale)]
        return format_list(shown, style="unit-narrow", locale=self._locale)

    def relative(self, delta: timedelta) -> str:
        """How far ahead, as a sentence starts it: "In 20 minutes", "Через 21 минуту", "Dans 2 heures"
        (CLDR's own inflected forms; minutes up to 2 hours, hours up to 2 days)."""
        unit: Literal["second", "minute"] = "second" if abs(delta.total_seconds()) < 60 else "minute"
        text = format_timedelta(delta, granularity=unit, threshold=2, add_direction=True, locale=self._locale)
        return text[:1].upper() + text[1:]

    def listing(self, items: list[str]) -> str:
        """Items joined the language's way: "Monday and Thursday", "lunes y jueves"."""
        return format_list(items, style="standard", locale=self._locale)

    def date(self, value: date | datetime) -> str:
        """A calendar day in words: "May 8, 2026", "8 de mayo de 2026", "8 мая 2026 г."."""
        return format_date(value, format="long", locale=self._locale)

    def time(self, value: datetime) -> str:
        """A time of day as the language writes it: "6:30 PM", "18:30" (`value`'s own time zone)."""
        return format_time(value, format="short", locale=self._locale)

    def day(self, value: datetime) -> str:
        """A weekday and day of the month, as a line starts: "Wednesday 9 December",
        "Miércoles, 9 de diciembre"."""
        if self.language == ENGLISH:  # the form the reminder confirmations always had
            return format_date(value, format="EEEE d MMMM", locale=self._locale)
        shown = f"{self.weekday(value.weekday())}, {format_skeleton('MMMMd', value, locale=self._locale)}"
        return shown[:1].upper() + shown[1:]  # it starts a line: "Mercoledì, 9 dicembre alle 07:00"

    def on_day(self, value: datetime) -> str:
        """ "On a day" as a sentence's adverbial: "on Wednesday, 9 December", "в среду, 9 декабря",
        "na quarta-feira, 9 de dezembro" (each weekday its own msgid: prepositions and cases differ)."""
        when = format_skeleton("MMMMd", value, locale=self._locale)
        phrase = (
            self.pgettext("on a day", "on Monday, {date}"),
            self.pgettext("on a day", "on Tuesday, {date}"),
            self.pgettext("on a day", "on Wednesday, {date}"),
            self.pgettext("on a day", "on Thursday, {date}"),
            self.pgettext("on a day", "on Friday, {date}"),
            self.pgettext("on a day", "on Saturday, {date}"),
            self.pgettext("on a day", "on Sunday, {date}"),
        )[value.weekday()]
        return phrase.format(date=when)

    def weekday(self, index: int) -> str:
        """The name of a day of the week, Monday = 0: "Monday", "lunes", "понедельник"."""
        return str(get_day_names("wide", context="format", locale=self._locale)[index])

    def moment(self, value: datetime) -> str:
        """A day and a time, e.g. for reminders: "May 8, 2026, 6:30 PM", "8. Mai 2026, 18:30"."""
        pattern = str(self._locale.datetime_formats["long"]).replace("'", "")
        return pattern.replace("{0}", self.time(value)).replace("{1}", self.date(value))


def translator(language: str | None) -> Translator:
    """The words of `language` (a catalog code or a Telegram language_code); English if unknown."""
    return _translator(choose(language))


@cache
def _translator(language: str) -> Translator:
    return Translator(language, _compiled(language))


def _compiled(language: str) -> gettext.NullTranslations:
    """The language's .po file compiled in memory (English: the strings as written)."""
    if language == ENGLISH:
        return gettext.NullTranslations()
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)
