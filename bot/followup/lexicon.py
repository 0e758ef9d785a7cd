"""The words of times in the eight languages /remind reads (en de es fr it pt ru uk), as meanings.

Month and weekday names come from CLDR through Babel (every inflected "format" and "stand-alone"
form, wide and abbreviated); the rest (numbers, units, parts of the day, "tomorrow", "next", the
little words around a clock) are small tables here. Every entry is folded the way the input is
(`fold`: lower case, accents dropped, ’ as '), so "Mittwoch", "miércoles" and "п'ятниця" match
however they are typed. A phrase may mean several things ("second": an ordinal and a unit); the
grammar (bot/followup/moment.py) picks by position.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

from babel.dates import get_day_names, get_month_names

from bot.followup.time_words import (
    COMMON,
    EXTRA_MONTHS,
    EXTRA_NUMBERS,
    EXTRA_WEEKDAYS,
    NOT_WEEKDAYS,
    ORDINALS_DE,
    ORDINALS_EN,
    ORDINALS_FR,
    ORDINALS_RU,
    ORDINALS_UK,
    PHRASES,
    TENS,
    UNIT_WORDS,
    UNITS,
)

LANGUAGES = ("en", "de", "es", "fr", "it", "pt", "ru", "uk")
# Languages whose numeric dates put the day first ("15.02", "15/2"); English reads 2/15.
MONTH_FIRST = frozenset({"en"})


@dataclass(frozen=True, slots=True)
class Sense:
    """One meaning of a phrase: `kind` (day, weekday, month, number, ordinal, unit, part, …) and value."""

    kind: str
    value: object = None


def fold(text: str) -> str:
    """Lower case without accents (Cyrillic й and ё kept apart from и and е: they fold the same way
    on both sides, so matching still works)."""
    text = text.lower().replace("’", "'").replace("`", "'").replace("ʼ", "'")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# --- numbers ---------------------------------------------------------------------------------------


def _compose(lang: str, tens: str, unit: str, n: int) -> list[str]:
    """The spellings of tens + unit (21-59) in `lang`."""
    if lang == "de":
        first = "ein" if unit == "eins" else unit
        return [f"{first}und{tens}"]
    if lang == "fr":
        joiner = " et " if n % 10 == 1 else "-"
        return [f"{tens}{joiner}{unit}", f"{tens}{joiner.replace('-', ' ')}{unit}"]
    if lang in ("es", "pt"):
        return [f"{tens} {'y' if lang == 'es' else 'e'} {unit}"]
    if lang == "it":
        stem = tens[:-1] if unit in ("uno", "otto") else tens
        return [stem + unit, f"{tens} {unit}"]
    return [f"{tens} {unit}", f"{tens}-{unit}"]


@cache
def numbers(lang: str) -> dict[str, int]:
    """Number words 0-59 of `lang` (and a few like "a couple of"), folded."""
    units = UNITS[lang].split()
    table = {word: n for n, word in enumerate(units)}
    for index, tens in enumerate(TENS[lang].split()):
        base = 20 + 10 * index
        table[tens] = base
        for n in range(1, 10):
            for spelling in _compose(lang, tens, units[n], base + n):
                table[spelling] = base + n
    table.update(EXTRA_NUMBERS[lang])
    return {fold(word): n for word, n in table.items()}


def _slavic_ordinal_forms(word: str) -> list[str]:
    if word.endswith("ье"):  # третье
        stem = word[:-2]
        return [word, stem + "ьего", stem + "ьему", stem + "ья", stem + "ью", stem + "ьей"]
    if word.endswith("тє"):  # третє: третя (година), о третій, на третю, до третьої
        return [word, word[:-1] + "ього", word[:-1] + "ьому", "третя", "третю", "третьої", "третій"]
    stem = word[:-2] if word.endswith(("ое", "ее")) else word[:-1]
    return [
        word,
        stem + "ого",
        stem + "ому",
        stem + "ая",
        stem + "ый",
        stem + "ий",
        stem + "а",
        stem + "у",
        stem + "ої",
        stem + "ій",  # о дев'ятій (at nine), о першій
    ]


@cache
def ordinals(lang: str) -> dict[str, int]:
    """Ordinal words 1-31 where people write them for a day of the month."""
    table: dict[str, int] = {}
    if lang == "en":
        for n, word in enumerate(ORDINALS_EN, start=1):
            table[word] = n
        for n, unit in enumerate(ORDINALS_EN[:9], start=1):
            table[f"twenty {unit}"] = table[f"twenty-{unit}"] = 20 + n
        table["thirtieth"], table["thirty first"], table["thirty-first"] = 30, 31, 31
    elif lang in ("ru", "uk"):
        table.update({"третій": 3, "третя": 3, "третю": 3} if lang == "uk" else {"третий": 3, "третья": 3})
        base = ORDINALS_RU if lang == "ru" else ORDINALS_UK
        tens = ("двадцать", "тридцать") if lang == "ru" else ("двадцять", "тридцять")
        for n, word in enumerate(base, start=1):
            for form in _slavic_ordinal_forms(word):
                table[form] = n
                if n < 10:
                    table[f"{tens[0]} {form}"] = 20 + n
                    if n == 1:
                        table[f"{tens[1]} {form}"] = 31
        for form in _slavic_ordinal_forms("тридцатое" if lang == "ru" else "тридцяте"):
            table[form] = 30
    elif lang == "de":
        for n, stem in enumerate(ORDINALS_DE, start=1):
            for ending in ("er", "e", "en", "es", "ter", "te", "ten"):
                if not (stem.endswith("t") and ending.startswith("t")):
                    table[stem + ending] = n
        for stem, n in (("dreißigst", 30), ("dreissigst", 30), ("einunddreißigst", 31)):
            for ending in ("er", "e", "en"):
                table[stem + ending] = n
    elif lang == "fr":
        for n, word in enumerate(ORDINALS_FR, start=1):
            table[word] = n
        table.update({"1er": 1, "1ere": 1, "premiere": 1})
    elif lang == "es":
        table.update({"primero": 1, "primer": 1, "1ro": 1, "1º": 1})
    elif lang == "it":
        table.update({"primo": 1, "secondo": 2, "terzo": 3, "1º": 1, "1°": 1})
    elif lang == "pt":
        table.update({"primeiro": 1, "1o": 1, "1º": 1})
    return {fold(word): n for word, n in table.items()}


# --- phrases ---------------------------------------------------------------------------------------
# "kind: phrase, phrase, …" per language; a phrase is words separated by spaces. Values in _VALUES.


def reading_language(*codes: str | None) -> str:
    """The first of `codes` (a /prefs language, a Telegram language_code such as "pt-br", the
    interface language) whose time words /remind knows; English otherwise."""
    for code in codes:
        if code and code[:2].lower() in LANGUAGES:
            return code[:2].lower()
    return "en"


def _add(table: dict[tuple[str, ...], list[Sense]], phrase: str, sense: Sense) -> None:
    from bot.followup.tokens import tokenize  # the keys are cut the way the input is

    key = tuple(token.folded for token in tokenize(phrase))
    if key and sense not in table.setdefault(key, []):
        table[key].append(sense)


def _value(kind: str, raw: str | None) -> object:
    if raw is None:
        return None
    if kind == "day":
        offset, _, part = raw.partition("/")
        return (int(offset), part or None)
    if kind in ("noon", "span", "zone"):
        return int(raw)
    return raw


def _parse_block(table: dict[tuple[str, ...], list[Sense]], block: str) -> None:
    """ "kind: a | b=value" lines; a line starting with "|" goes on with the kind before it."""
    kind = ""
    for line in block.strip().splitlines():
        if line.strip().startswith("|"):
            entries = line.strip()[1:]
        else:
            kind, _, entries = line.partition(":")
        for entry in entries.split(" | "):
            phrase, _, raw = entry.strip().partition("=")
            if kind == "part" and not raw:
                raw = phrase
            _add(table, phrase, Sense(kind, _value(kind, raw or None)))


def _calendar_names(table: dict[tuple[str, ...], list[Sense]], lang: str) -> None:
    skip = NOT_WEEKDAYS.get(lang, set())
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for index, name in get_day_names(width, context=context, locale=lang).items():
                word = fold(name).rstrip(".")
                if word not in skip:
                    _add(table, word, Sense("weekday", index))
            for number, name in get_month_names(width, context=context, locale=lang).items():
                _add(table, name.rstrip("."), Sense("month", number))
    for kind, block in (("weekday", EXTRA_WEEKDAYS[lang]), ("month", EXTRA_MONTHS[lang])):
        for entry in block.split():
            word, _, number = entry.partition("=")
            _add(table, word.replace("_", " "), Sense(kind, int(number)))


@cache
def phrases(lang: str) -> dict[tuple[str, ...], list[Sense]]:
    """Every phrase of `lang` with its meanings, keyed by folded words."""
    table: dict[tuple[str, ...], list[Sense]] = {}
    _parse_block(table, COMMON)
    _parse_block(table, PHRASES[lang])
    _calendar_names(table, lang)
    for entry in UNIT_WORDS[lang].split():
        word, _, unit = entry.rpartition("=")
        _add(table, word, Sense("unit", unit))
    for word, n in numbers(lang).items():
        _add(table, word, Sense("number", n))
    for word, n in ordinals(lang).items():
        _add(table, word, Sense("ordinal", n))
    return table


@cache
def merged(lang: str | None) -> tuple[dict[tuple[str, ...], list[Sense]], int]:
    """The phrases of `lang` and English (people mix them), or of every language when unknown; and
    the longest phrase's length in words."""
    langs = LANGUAGES if lang is None else tuple(dict.fromkeys((lang, "en")))
    table: dict[tuple[str, ...], list[Sense]] = {}
    for one in langs:
        for key, senses in phrases(one).items():
            for sense in senses:
                if sense not in table.setdefault(key, []):
                    table[key].append(sense)
    return table, max(len(key) for key in table)
