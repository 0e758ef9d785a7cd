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
from datetime import date, datetime
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time, get_day_names
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


@cache
def languages() -> tuple[str, ...]:
    """The languages the interface speaks: English, then every catalog in bot/i18n/locale."""
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (ENGLISH, *(code for code in found if code != ENGLISH))


def language_of(code: str | None) -> str | None:
    """The catalog for a Telegram language_code ("pt-br" → "pt", "uk" → "uk"), or None."""
    if not code:
        return None
    code = code.replace("_", "-").lower()
    for candidate in (code, code.split("-")[0]):
        if candidate in languages():
            return candidate
    return None


def choose(*codes: str | None) -> str:
    """The first of `codes` the interface speaks (e.g. the chosen one, then Telegram's), else English."""
    return next((found for found in map(language_of, codes) if found), ENGLISH)


# (below this many seconds, unit, seconds in the unit)
_SPANS = ((60, "second", 1), (7200, "minute", 60), (172800, "hour", 3600))


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

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The form for `n` (Russian and Ukrainian have three); format `{n}` with `number`."""
        return self._catalog.ngettext(singular, plural, n)

    def number(self, value: float) -> str:
        """A count as the language writes it: 12,345 / 12.345 / 12 345."""
        return format_decimal(value, locale=self._locale)

    def duration(self, seconds: float) -> str:
        """A span in the unit that suits it, written by CLDR: "45 seconds", "20 minutes", "3 hours",
        "2 days" ("3 Stunden", "3 часа"); minutes up to 2 hours, hours up to 2 days."""
        unit, size = next(
            ((unit, size) for limit, unit, size in _SPANS if seconds < limit),
            ("day", 86400),
        )
        value = round(seconds / size) if unit != "hour" else round(seconds / size, 1)
        return format_unit(value, f"duration-{unit}", length="long", locale=self._locale)

    def date(self, value: date | datetime) -> str:
        """A calendar day in words: "May 8, 2026", "8 de mayo de 2026", "8 мая 2026 г."."""
        return format_date(value, format="long", locale=self._locale)

    def time(self, value: datetime) -> str:
        """A time of day as the language writes it: "6:30 PM", "18:30" (`value`'s own time zone)."""
        return format_time(value, format="short", locale=self._locale)

    def day(self, value: datetime) -> str:
        """A weekday and day of the month: "Wednesday 9 December", "miércoles, 9 de diciembre"."""
        if self.language == ENGLISH:  # the form the reminder confirmations always had
            return format_date(value, format="EEEE d MMMM", locale=self._locale)
        return f"{self.weekday(value.weekday())}, {format_skeleton('MMMMd', value, locale=self._locale)}"

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
