"""One voice per language, checked: the register, the glossary's words, French spacing, buttons that
fit a phone, /remind examples the parser understands, and what Babel writes for us (sizes,
durations, spans, weekdays). docs/i18n/<language>.md is what these tests hold the catalogs to."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot import i18n
from bot.followup.lexicon import LANGUAGES
from bot.followup.when import (
    EVERY_2_HOURS,
    EVERY_DAY,
    EVERY_EXAMPLES,
    EVERY_MONDAY,
    EXAMPLES,
    IN_20_MINUTES,
    ReminderParseError,
    parse_reminder,
)
from bot.i18n import languages, translator
from bot.records import Prefs
from bot.telegram.handlers.memory_edit import EDIT_MARK, EDIT_PROMPT
from bot.telegram.handlers.prefs import choices_keyboard, prefs_keyboard

TRANSLATED = [code for code in languages() if code != "en"]
NOW = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)  # a Wednesday
# The informal "you" of each language (the catalogs speak formally: Sie / usted / vous / Lei /
# você / вы / ви); a whole word, in any case.
INFORMAL = {
    "de": r"du|dich|dir|dein|deine|deinen|deinem|deiner|deines|kannst|schick|versuch",
    "es": r"tú|te|ti|tu|tus|contigo|puedes|quieres|tienes|toca|envía|prueba",
    "fr": r"tu|te|toi|ton|ta|tes|peux-tu|veux-tu|envoie|essaie",
    "it": r"tu|ti|te|tuo|tua|tuoi|tue|puoi|vuoi|tocca|invia|riprova",
    "pt": r"tu|te|ti|teu|tua|teus|tuas|contigo",
    "pt_PT": r"tu|te|ti|teu|tua|teus|tuas|contigo|podes|queres",
    "ru": r"ты|тебя|тебе|тобой|твой|твоя|твоё|твои|твоих|твоего|твоей|твоим"
    r"|можешь|пришли|напиши|отправь|попробуй",
    "uk": r"ти|тебе|тобі|тобою|твій|твоя|твоє|твої|твоїх|твого|твоєї|твоїм|можеш|надішли|напиши|спробуй",
}


def catalog(language: str) -> Catalog:
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po").open("rb") as source:
        return read_po(source, locale=language)


# The person's own words to another assistant (the /import prompt they copy to ChatGPT): written as
# people talk to a chatbot, not in the bot's voice.
NOT_THE_BOTS_VOICE = ("List everything you know about me",)


def translations(language: str) -> list[tuple[str, str]]:
    """(English msgid, one translated form) for every form of every entry in the bot's voice."""
    found = []
    for message in catalog(language):
        if not message.id or str(message.id).startswith(NOT_THE_BOTS_VOICE):
            continue
        english = message.id if isinstance(message.id, str) else message.id[0]
        forms = [message.string] if isinstance(message.string, str) else list(message.string or ())
        found += [(english, form) for form in forms if form]
    return found


@pytest.mark.parametrize("language", TRANSLATED)
def test_one_register_throughout(language: str) -> None:
    """No informal "you" anywhere: the four file-limit messages once switched to ты / ти / tu."""
    informal = re.compile(rf"(?<![\w’'-])(?:{INFORMAL[language]})(?![\w’'-])", re.IGNORECASE)
    assert [form for _, form in translations(language) if informal.search(form)] == []


def test_german_keeps_memory_and_reminder_apart() -> None:
    """German: a stored memory is an "Eintrag", the feature "Gedächtnis"; "Erinnerung" is a reminder."""
    for english, german in translations("de"):
        memories = re.search(r"\bmemor(y|ies)\b", english, re.IGNORECASE)
        reminders = re.search(r"\bremind", english, re.IGNORECASE)
        if memories and not reminders:
            assert "Erinnerung" not in german, english
        if reminders and not memories:
            assert "Eintr" not in german, english


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_reaction_setting_is_never_called_incognito(language: str) -> None:
    """pgettext: "off" for memory means incognito, for the ✍ reaction it is just off."""
    t = translator(language)
    reaction_off = t.pgettext("reaction", "off")
    assert reaction_off != t.pgettext("memory", "off (incognito)")
    assert not re.search("incogn|инкогн|інкогн|anôn|anón", reaction_off, re.IGNORECASE)


def test_french_spacing_is_one_rule() -> None:
    """U+202F before ; ! ? » and after «, U+00A0 before a colon (not in 18:30): never a plain space,
    never none."""
    wrong = []
    for english, french in translations("fr"):
        checks = [
            r"[^\u202f][;!?»]",
            r"«[^\u202f]",
            r"(?<![\d\u00a0]):(?!\d)",
            r"\u00a0[;!?»]",
            r"\u202f:",
        ]
        wrong += [(english, french) for pattern in checks if re.search(pattern, french)]
    assert wrong == []


@pytest.mark.parametrize("language", languages())
def test_prefs_buttons_fit_a_phone(language: str) -> None:
    """Every /prefs button, whatever a setting's value (a time zone by its longest common city), is
    at most 30 characters; a choice button at most 24."""
    t = translator(language)
    too_wide = []
    for key in Prefs.names():
        values = Prefs.choices(key) if key != "timezone" else ("", "America/Los_Angeles", "America/Sao_Paulo")
        for value in values:
            current = dataclasses.replace(Prefs(), **{key: value})  # type: ignore[arg-type]
            labels = [b.text for row in prefs_keyboard(current, t).inline_keyboard for b in row]
            if key != "timezone":
                labels += [b.text for row in choices_keyboard(current, key, t).inline_keyboard for b in row]
            too_wide += [label for label in labels if len(label) > 30]
    assert too_wide == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_remind_examples_are_in_the_language_and_understood(language: str) -> None:
    """Every /remind example a catalog shows parses; where the parser knows the language, the
    examples are written in it (not left in English)."""
    t = translator(language)
    reader = language.split("_")[0]  # what /remind reads for this person: their words and English
    for msgid in (EXAMPLES, IN_20_MINUTES, EVERY_2_HOURS, EVERY_DAY, EVERY_MONDAY, EVERY_EXAMPLES):
        shown = t.gettext(msgid)
        if language.split("_")[0] in LANGUAGES:
            assert shown != msgid, msgid
        for line in shown.splitlines():
            assert line.startswith("/remind "), line
            try:
                parse_reminder(line.removeprefix("/remind "), now=NOW, tz="Europe/Berlin", lang=reader)
            except ReminderParseError as exc:
                pytest.fail(f"{language}: {line!r} is not understood: {exc}")
    passed = t.gettext("{when} has already passed. Try for example: /remind tomorrow 7am {text}")
    example = passed.split("/remind ", 1)[1].format(text="Yoga")
    assert parse_reminder(example, now=NOW, tz="Europe/Berlin", lang=reader)[1] == "Yoga"


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_correction_prompt_keeps_its_mark(language: str) -> None:
    """A reply to the ✏️ prompt is recognised by its first characters in every language."""
    assert translator(language).gettext(EDIT_PROMPT).startswith(EDIT_MARK)


def test_sizes_durations_spans_and_days_are_written_by_the_language() -> None:
    """What code used to build in English ("30.0 MB", "5 min 30 s", "in 21 minutes", a weekday
    after a preposition) comes from CLDR, inflected."""
    assert translator("en").megabytes(int(30.5 * 2**20)) == "30.5 MB"
    assert translator("fr").megabytes(25 * 2**20) == "25\u202fMo"
    assert translator("ru").megabytes(int(30.5 * 2**20)) == "30,5 МБ"
    assert translator("en").short_duration(330) == "5 min 30 sec"
    assert translator("ru").short_duration(330) == "5 мин 30 с"
    assert translator("de").short_duration(45) == "45 Sek."
    assert translator("ru").relative(timedelta(minutes=21)) == "Через 21 минуту"
    assert translator("uk").relative(timedelta(minutes=1)) == "Через 1 хвилину"
    assert translator("es").relative(timedelta(hours=3)) == "Dentro de 3 horas"
    wednesday = datetime(2026, 12, 9, 9, 0)
    assert translator("ru").on_day(wednesday) == "в среду, 9 декабря"
    assert translator("pt").on_day(datetime(2026, 12, 12, 9, 0)) == "no sábado, 12 de dezembro,"
    assert translator("de").on_day(wednesday) == "am Mittwoch, 9. Dezember,"
    assert translator("en").on_day(wednesday) == "on Wednesday, December 9"
    assert translator("pt").listing(["segunda-feira", "quinta-feira"]) == "segunda-feira e quinta-feira"
