"""The words /remind understands beside dateparser's: repetition keywords and weekday names in
the same languages (English, German, Spanish, French, Italian, Portuguese, Russian)."""

from __future__ import annotations

import re

from dateutil.rrule import FR as _FR
from dateutil.rrule import MO as _MO
from dateutil.rrule import SA as _SA
from dateutil.rrule import SU as _SU
from dateutil.rrule import TH as _TH
from dateutil.rrule import TU as _TU
from dateutil.rrule import WE as _WE
from dateutil.rrule import weekday

WEEKDAYS: tuple[weekday, ...] = (_MO, _TU, _WE, _TH, _FR, _SA, _SU)
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Weekday names (and plurals) per language, Monday first.
WEEKDAY_WORDS: dict[str, int] = {}
for _index, _names in enumerate(
    (
        "monday mondays mon montag montags lunes lundi lundis lunedì lunedi segunda понедельник",
        "tuesday tuesdays tue dienstag dienstags martes mardi mardis martedì martedi terça terca вторник",
        "wednesday wednesdays wed mittwoch mittwochs miércoles miercoles mercredi mercredis mercoledì "
        "mercoledi quarta среду среда",
        "thursday thursdays thu donnerstag donnerstags jueves jeudi jeudis giovedì giovedi quinta четверг",
        "friday fridays fri freitag freitags viernes vendredi vendredis venerdì venerdi sexta "
        "пятницу пятница",
        "saturday saturdays sat samstag samstags sábado sabado sábados samedi samedis sabato субботу суббота",
        "sunday sundays sun sonntag sonntags domingo domingos dimanche dimanches domenica воскресенье",
    )
):
    for _word in _names.split():
        WEEKDAY_WORDS[_word] = _index

EVERY = re.compile(
    r"^(?:every|each|jeden|jede|jedes|alle(?=\s+\d+\s*(?:min|std|stunde))|cada|todos\s+los|todas\s+las|chaque|tous\s+les|toutes\s+les|"
    r"ogni|tutti\s+i|todo\s+dia|todos\s+os|todas\s+as|каждый|каждую|каждое|каждые)\s+",
    re.IGNORECASE,
)
DAILY_WORD = re.compile(
    r"^(?:day|days|tag|tage|día|dia|días|dias|jour|jours|giorno|giorni|день|дня)\b", re.IGNORECASE
)
WEEKDAYS_WORD = re.compile(r"^(?:weekdays?|werktag|werktags|workday|workdays)\b", re.IGNORECASE)
DAILY_ALONE = re.compile(r"^(?:daily|täglich|taeglich|diario|quotidien|ежедневно)\s+", re.IGNORECASE)
PART_OF_DAY = re.compile(r"^(morning|evening|night|afternoon)\b", re.IGNORECASE)
INTERVAL = re.compile(
    r"^(\d{1,3})\s*(minutes?|mins?|hours?|hrs?|h|stunden?|minuten?|horas?|heures?|ore|часа|часов|минут)\b",
    re.IGNORECASE,
)
LIST_JOIN = re.compile(r"^(?:,|and|und|y|et|e|и)$", re.IGNORECASE)
BARE_HOUR = re.compile(r"\b(at|um|a las|à|alle|às|в)\s+(\d{1,2})(?=\s|$)", re.IGNORECASE)
RELATIVE = re.compile(r"^(?:in|en|dans|tra|fra|em|daqui a|через)\s", re.IGNORECASE)
HAS_TIME = re.compile(r"\d|\b(?:noon|midnight|mittag|mitternacht|midi|minuit)\b", re.IGNORECASE)
