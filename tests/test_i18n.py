"""The catalogs against the code's strings, extracted afresh, and the language choice."""

from __future__ import annotations

import string
from datetime import date, datetime
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from bot import i18n
from bot.i18n import choose, languages, translator

BOT_DIR = Path(i18n.__file__).parent.parent
# The ones the issue promised at launch; a new catalog only adds to them.
LAUNCH_LANGUAGES = {"en", "es", "de", "pt", "ru", "fr", "uk"}


@cache
def extracted() -> Catalog:
    """The code's strings now, extracted like `make messages` does (not the last saved template)."""
    template = Catalog()
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(BOT_DIR), keywords={**DEFAULT_KEYWORDS, **i18n.KEYWORDS}
    ):
        template.add(message, locations=[(filename, lineno)], context=context)
    return template


def catalog(language: str) -> Catalog:
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po").open("rb") as source:
        return read_po(source, locale=language)


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def problems(template: Catalog, translated: Catalog) -> list[str]:
    """What keeps `translated` from being complete: missing, empty or fuzzy translations, the
    wrong number of plural forms, and placeholders that differ from the English ones."""
    found = []
    for wanted in template:
        if not wanted.id:
            continue
        key = wanted.id if isinstance(wanted.id, str) else wanted.id[0]
        have: Message | None = translated.get(key, wanted.context)
        string = None if have is None else have.string
        forms = [] if not string else [string] if isinstance(string, str) else list(string)
        if have is None or not any(forms):
            found.append(f"missing: {key!r}")
            continue
        if have.fuzzy:
            found.append(f"fuzzy: {key!r}")
        english = [wanted.id] if isinstance(wanted.id, str) else list(wanted.id)
        if isinstance(wanted.id, str) != isinstance(have.id, str):
            found.append(f"plural mismatch: {key!r}")
            continue
        if not isinstance(wanted.id, str) and len(forms) != translated.num_plurals:
            found.append(f"{len(forms)} plural forms, {translated.num_plurals} wanted: {key!r}")
        expected = set().union(*map(placeholders, english))
        for form in forms:
            if not form:
                found.append(f"empty form: {key!r}")
            elif placeholders(form) != expected:
                found.append(f"placeholders {sorted(placeholders(form))} != {sorted(expected)}: {key!r}")
    return found


def test_the_template_holds_the_bots_strings() -> None:
    """Extraction finds the marked strings of handlers, the advisor and the model stand-ins."""
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in extracted() if m.id}
    assert len(ids) > 90
    assert any(text.startswith("Hi {name}! I'm your AI advisor") for text in ids)
    assert "What I remember about you ({count} memory):" in ids  # a plural
    assert "Personal info" in ids  # a category heading
    assert "What I am and what I remember" in ids  # a command description
    assert any(text.startswith("Sorry, I can't reach my AI model") for text in ids)  # bot/advisor


def test_the_launch_languages_ship() -> None:
    assert set(languages()) >= LAUNCH_LANGUAGES
    assert languages()[0] == "en"


@pytest.mark.parametrize("language", [code for code in languages() if code != "en"])
def test_every_catalog_is_complete(language: str) -> None:
    """Each catalog translates every string the code has now, with the same placeholders."""
    assert problems(extracted(), catalog(language)) == []


def test_the_completeness_check_catches_what_it_should() -> None:
    """A missing string, a fuzzy one, a renamed placeholder and a missing plural form all fail."""
    template = Catalog()
    template.add("Saved.")
    template.add("Hi {name}!")
    template.add("Erased")
    template.add(("{count} memory", "{count} memories"))
    broken = Catalog(locale="ru")
    broken.add("Hi {name}!", "Привет, {имя}!")
    broken.add("Erased", "Стёрто", flags=["fuzzy"])
    broken.add(("{count} memory", "{count} memories"), ("{count} воспоминание", "{count} воспоминания", ""))
    assert problems(template, broken) == [
        "missing: 'Saved.'",
        "placeholders ['имя'] != ['name']: 'Hi {name}!'",
        "fuzzy: 'Erased'",
        "empty form: '{count} memory'",
    ]


def test_a_language_is_chosen_in_order_and_falls_back_to_english() -> None:
    """The /prefs language first, then Telegram's (regional variants fold), else English."""
    assert choose("de", "es") == "de"
    assert choose(None, "pt-BR") == "pt"
    assert choose("xx", "uk") == "uk"  # no such catalog: the Telegram language is next
    assert choose("it", "uk") == "it"  # Italian has its catalog: eight languages
    assert choose("zh-hans", "ko") == "en"
    assert choose(None, "pt") == "pt"  # Telegram's Portuguese is Brazilian
    assert choose(None, "pt-pt") == ("pt_PT" if "pt_PT" in languages() else "pt")
    assert choose(None, "es-MX") == choose(None, "es-419") == "es"
    assert choose(None, None) == "en"
    assert translator("xx").language == "en"


def test_plurals_numbers_and_dates_follow_the_language() -> None:
    """Russian has three plural forms; each language writes numbers and dates its own way."""
    ru = translator("ru")
    forms = [ru.ngettext("{count} message", "{count} messages", n).format(count=n) for n in (1, 3, 5, 21)]
    assert forms == ["1 сообщение", "3 сообщения", "5 сообщений", "21 сообщение"]
    assert translator("en").number(12345) == "12,345"
    assert translator("de").number(12345) == "12.345"
    assert translator("es").date(date(2026, 5, 8)) == "8 de mayo de 2026"
    assert translator("en").date(date(2026, 5, 8)) == "May 8, 2026"
    evening = datetime(2026, 5, 8, 18, 30)
    assert translator("de").moment(evening) == "8. Mai 2026, 18:30"
    assert translator("en").time(evening).replace("\u202f", " ") == "6:30 PM"
    assert translator("uk").gettext("Personal info") == "Особисте"
