"""Everyday /remind phrasings in the eight languages of the interface, read at a fixed moment.

Written by us, apart from the Duckling corpus the parser was tuned on (bench/reminders_parse.py):
each gives the local time it must fire and the text left for the reminder, or that it is unsure.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.followup.when import ReminderParseError, parse_reminder

# Wednesday 2 December 2026, 14:00 in Berlin.
NOW = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
BERLIN = "Europe/Berlin"

CASES = {
    "en": [
        ("in 20 minutes stretch", "2026-12-02 14:20", "stretch"),
        ("in an hour and a half take the cake out", "2026-12-02 15:30", "take the cake out"),
        ("tonight at 9 call mom", "2026-12-02 21:00", "call mom"),
        ("tomorrow afternoon at 5 dentist", "2026-12-03 17:00", "dentist"),
        ("on Friday at 6pm pick up the kids", "2026-12-04 18:00", "pick up the kids"),
        ("next Monday at 8:15 standup", "2026-12-07 08:15", "standup"),
        ("on 24 December buy gifts", "2026-12-24 09:00", "buy gifts"),
        ("Dec 24 at 10am call grandma", "2026-12-24 10:00", "call grandma"),
        ("the day after tomorrow at noon lunch with Ana", "2026-12-04 12:00", "lunch with Ana"),
        ("at 7:30 pm yoga", "2026-12-02 19:30", "yoga"),
        ("half past 6 tomorrow evening call dad", "2026-12-03 18:30", "call dad"),
        ("tomorrow 7am 3 sets of squats", "2026-12-03 07:00", "3 sets of squats"),
        ("at 16:00 CET call Bob", "2026-12-02 16:00", "call Bob"),
        ("at 9am EST call New York", "2026-12-02 15:00", "call New York"),
    ],
    "de": [
        ("in 20 Minuten Wäsche aufhängen", "2026-12-02 14:20", "Wäsche aufhängen"),
        ("heute Abend um 8 Mama anrufen", "2026-12-02 20:00", "Mama anrufen"),
        ("morgen früh um 7 joggen", "2026-12-03 07:00", "joggen"),
        ("am Freitag um 18 Uhr Kinder abholen", "2026-12-04 18:00", "Kinder abholen"),
        ("übermorgen um 15:30 Zahnarzt", "2026-12-04 15:30", "Zahnarzt"),
        ("15.02 Steuererklärung", "2027-02-15 09:00", "Steuererklärung"),
        ("am 24.12. um 10 Uhr Geschenke", "2026-12-24 10:00", "Geschenke"),
        ("um halb 8 abends Sport", "2026-12-02 19:30", "Sport"),
        ("nächsten Montag um 9 Uhr Meeting", "2026-12-07 09:00", "Meeting"),
        ("in 2 Stunden Tabletten nehmen", "2026-12-02 16:00", "Tabletten nehmen"),
    ],
    "es": [
        ("en 20 minutos estirar", "2026-12-02 14:20", "estirar"),
        ("mañana a las 8 de la mañana correr", "2026-12-03 08:00", "correr"),
        ("esta noche a las 10 llamar a mamá", "2026-12-02 22:00", "llamar a mamá"),
        ("el viernes a las 6 de la tarde recoger a los niños", "2026-12-04 18:00", "recoger a los niños"),
        ("pasado mañana a las 15:00 dentista", "2026-12-04 15:00", "dentista"),
        ("el 15 de febrero pagar impuestos", "2027-02-15 09:00", "pagar impuestos"),
        ("15.02 renovar el pasaporte", "2027-02-15 09:00", "renovar el pasaporte"),
        ("dentro de 2 horas sacar la ropa", "2026-12-02 16:00", "sacar la ropa"),
        ("a las ocho y media de la noche cenar", "2026-12-02 20:30", "cenar"),
    ],
    "fr": [
        ("dans 20 minutes étirements", "2026-12-02 14:20", "étirements"),
        ("ce soir à 21h appeler maman", "2026-12-02 21:00", "appeler maman"),
        ("demain matin à 7h courir", "2026-12-03 07:00", "courir"),
        ("vendredi à 18h récupérer les enfants", "2026-12-04 18:00", "récupérer les enfants"),
        ("mercredi la semaine prochaine à 10h réunion", "2026-12-09 10:00", "réunion"),
        ("le 15/02 impôts", "2027-02-15 09:00", "impôts"),
        ("après-demain à midi déjeuner", "2026-12-04 12:00", "déjeuner"),
        ("dans une demi-heure sortir le gâteau", "2026-12-02 14:30", "sortir le gâteau"),
        ("à 8 heures du soir yoga", "2026-12-02 20:00", "yoga"),
    ],
    "it": [
        ("tra 20 minuti stretching", "2026-12-02 14:20", "stretching"),
        ("stasera alle 21 chiamare la mamma", "2026-12-02 21:00", "chiamare la mamma"),
        ("domani mattina alle 7 correre", "2026-12-03 07:00", "correre"),
        ("venerdì alle 18 prendere i bambini", "2026-12-04 18:00", "prendere i bambini"),
        ("alle 14 pranzo", "2026-12-03 14:00", "pranzo"),
        ("il 15/02 tasse", "2027-02-15 09:00", "tasse"),
        ("dopodomani alle 15:30 dentista", "2026-12-04 15:30", "dentista"),
        ("tra mezz'ora togliere la torta", "2026-12-02 14:30", "togliere la torta"),
    ],
    "pt": [
        ("em 20 minutos alongar", "2026-12-02 14:20", "alongar"),
        ("amanhã às oito da noite ligar para a mãe", "2026-12-03 20:00", "ligar para a mãe"),
        ("hoje à noite às 22h ler", "2026-12-02 22:00", "ler"),
        ("na sexta às 18h buscar as crianças", "2026-12-04 18:00", "buscar as crianças"),
        ("depois de amanhã às 15:30 dentista", "2026-12-04 15:30", "dentista"),
        ("15/02 pagar impostos", "2027-02-15 09:00", "pagar impostos"),
        ("daqui a 2 horas tirar a roupa", "2026-12-02 16:00", "tirar a roupa"),
    ],
    "ru": [
        ("через 20 минут размяться", "2026-12-02 14:20", "размяться"),
        ("через час позвонить маме", "2026-12-02 15:00", "позвонить маме"),
        ("сегодня в 9 вечера позвонить маме", "2026-12-02 21:00", "позвонить маме"),
        ("завтра в 7 утра пробежка", "2026-12-03 07:00", "пробежка"),
        ("в пятницу в 18:00 забрать детей", "2026-12-04 18:00", "забрать детей"),
        ("послезавтра в 15:30 стоматолог", "2026-12-04 15:30", "стоматолог"),
        ("15.02 налоги", "2027-02-15 09:00", "налоги"),
        ("15 февраля в 10:00 налоги", "2027-02-15 10:00", "налоги"),
        ("в понедельник в 8 утра планёрка", "2026-12-07 08:00", "планёрка"),
        ("в половине восьмого вечера ужин", "2026-12-02 19:30", "ужин"),
    ],
    "uk": [
        ("через 20 хвилин розтяжка", "2026-12-02 14:20", "розтяжка"),
        ("через годину подзвонити мамі", "2026-12-02 15:00", "подзвонити мамі"),
        ("сьогодні о 9 вечора подзвонити мамі", "2026-12-02 21:00", "подзвонити мамі"),
        ("завтра о 7 ранку біг", "2026-12-03 07:00", "біг"),
        ("у п'ятницю о 18:00 забрати дітей", "2026-12-04 18:00", "забрати дітей"),
        ("післязавтра о 15:30 стоматолог", "2026-12-04 15:30", "стоматолог"),
        ("15.02 податки", "2027-02-15 09:00", "податки"),
        ("15 лютого о 10:00 податки", "2027-02-15 10:00", "податки"),
        ("в понеділок о 8 ранку нарада", "2026-12-07 08:00", "нарада"),
        ("о пів восьмої вечора вечеря", "2026-12-02 19:30", "вечеря"),
    ],
}


@pytest.mark.parametrize(
    ("lang", "words", "local", "text"),
    [(lang, *case) for lang, cases in CASES.items() for case in cases],
)
def test_everyday_phrasings_fire_when_meant(lang: str, words: str, local: str, text: str) -> None:
    schedule, got_text = parse_reminder(words, now=NOW, tz=BERLIN, lang=lang)
    assert schedule.first.astimezone(ZoneInfo(BERLIN)).strftime("%Y-%m-%d %H:%M") == local
    assert got_text == text


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "at 5 call mom"), ("de", "um 3 Mama anrufen"), ("en", "3:30 call mom"), ("ru", "в 7 пробежка")],
)
def test_a_bare_twelve_hour_clock_is_unsure(lang: str, words: str) -> None:
    """The bot asks before scheduling "at 5": 05:00 or 17:00."""
    schedule, _ = parse_reminder(words, now=NOW, tz=BERLIN, lang=lang)
    assert schedule.unsure


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "at 17:00 call mom"),
        ("en", "at 5pm call mom"),
        ("de", "um 17 Uhr anrufen"),
        ("en", "tomorrow call"),
    ],
)
def test_a_clear_time_is_sure(lang: str, words: str) -> None:
    schedule, _ = parse_reminder(words, now=NOW, tz=BERLIN, lang=lang)
    assert not schedule.unsure


@pytest.mark.parametrize(
    ("words", "says"),
    [
        ("31.12.9999 23:59 x", "too far ahead"),
        ("in 1000000000 minutes x", "too far ahead"),
        ("30.02. x", "no such date"),
        ("today at 04:00 x", "has already passed"),
        ("soon call mom", "I couldn't tell when"),
    ],
)
def test_a_refusal_names_its_reason(words: str, says: str) -> None:
    with pytest.raises(ReminderParseError) as caught:
        parse_reminder(words, now=NOW, tz="America/Los_Angeles", lang="en")
    assert says in str(caught.value)


@pytest.mark.parametrize(
    ("lang", "words", "rule", "first_local", "text"),
    [
        ("en", "every hour drink water", "FREQ=HOURLY", "2026-12-02 15:00", "drink water"),
        ("en", "every Monday at 7am weigh in", "FREQ=WEEKLY", "2026-12-07 07:00", "weigh in"),
        ("de", "jeden Tag um 21 Uhr dehnen", "FREQ=DAILY", "2026-12-02 21:00", "dehnen"),
        ("de", "alle 2 Stunden trinken", "FREQ=HOURLY;INTERVAL=2", "2026-12-02 16:00", "trinken"),
        ("es", "cada lunes a las 7:00 pesarme", "FREQ=WEEKLY", "2026-12-07 07:00", "pesarme"),
        ("fr", "tous les lundis à 8h réunion", "FREQ=WEEKLY", "2026-12-07 08:00", "réunion"),
        ("it", "ogni lunedì alle 8:00 riunione", "FREQ=WEEKLY", "2026-12-07 08:00", "riunione"),
        ("pt", "toda segunda às 7:00 academia", "FREQ=WEEKLY", "2026-12-07 07:00", "academia"),
        ("pt", "a cada 2 horas beber água", "FREQ=HOURLY;INTERVAL=2", "2026-12-02 16:00", "beber água"),
        ("ru", "каждый день в 21:00 растяжка", "FREQ=DAILY", "2026-12-02 21:00", "растяжка"),
        ("uk", "щопонеділка о 8:00 нарада", "FREQ=WEEKLY", "2026-12-07 08:00", "нарада"),
        ("uk", "щодня о 21:00 розтяжка", "FREQ=DAILY", "2026-12-02 21:00", "розтяжка"),
        ("uk", "щодня о 8 ранку вітаміни", "FREQ=DAILY", "2026-12-03 08:00", "вітаміни"),
    ],
)
def test_repetition_in_every_language(lang: str, words: str, rule: str, first_local: str, text: str) -> None:
    schedule, got_text = parse_reminder(words, now=NOW, tz=BERLIN, lang=lang)
    assert schedule.rule is not None
    assert schedule.rule.startswith(rule)
    assert schedule.first.astimezone(ZoneInfo(BERLIN)).strftime("%Y-%m-%d %H:%M") == first_local
    assert got_text == text


def test_every_hour_reads_every_hour_not_every_1_hour() -> None:
    schedule, text = parse_reminder("every hour drink water", now=NOW, tz=BERLIN, lang="en")
    assert schedule.describe(text, NOW) == "Every hour from 15:00 (Europe/Berlin): drink water"


@pytest.mark.parametrize(
    ("lang", "words", "local", "text"),
    [
        ("en", "call mom tomorrow at 5pm", "2026-12-03 17:00", "call mom"),
        ("en", "me in 20 minutes to stretch", "2026-12-02 14:20", "stretch"),
        ("en", "pay rent on the 1st", "2027-01-01 09:00", "pay rent"),
        ("en", "24/12 gifts", "2026-12-24 09:00", "gifts"),
        ("de", "Mama anrufen morgen um 18 Uhr", "2026-12-03 18:00", "Mama anrufen"),
        ("es", "llamar a mamá mañana a las 5 de la tarde", "2026-12-03 17:00", "llamar a mamá"),
        ("fr", "appeler maman demain à 17h", "2026-12-03 17:00", "appeler maman"),
        ("it", "chiamare mamma domani alle 17", "2026-12-03 17:00", "chiamare mamma"),
        ("pt", "ligar para a mãe amanhã às 17h", "2026-12-03 17:00", "ligar para a mãe"),
        ("ru", "позвонить маме завтра в 17:00", "2026-12-03 17:00", "позвонить маме"),
        ("uk", "подзвонити мамі завтра о 17:00", "2026-12-03 17:00", "подзвонити мамі"),
    ],
)
def test_the_time_may_come_last(lang: str, words: str, local: str, text: str) -> None:
    """People also write "call mom tomorrow at 5pm": the words after which all is time are the time."""
    schedule, got_text = parse_reminder(words, now=NOW, tz=BERLIN, lang=lang)
    assert schedule.first.astimezone(ZoneInfo(BERLIN)).strftime("%Y-%m-%d %H:%M") == local
    assert got_text == text


def test_an_english_date_that_reads_both_ways_is_unsure() -> None:
    """3/4 is 4 March in the US and 3 April in Britain: asked."""
    schedule, _ = parse_reminder("3/4 dentist", now=NOW, tz=BERLIN, lang="en")
    assert schedule.unsure


def test_numbers_in_the_text_stay_text() -> None:
    with pytest.raises(ReminderParseError):
        parse_reminder("buy 3 apples", now=NOW, tz=BERLIN, lang="en")
