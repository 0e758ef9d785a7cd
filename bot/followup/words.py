"""The repetition words of /remind ("every", "jeden", "toda", "щопонеділка") and weekday names in
the eight languages of /remind (en de es fr it pt ru uk)."""

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
# Weekday names (and plurals, the case after "every") per language, Monday first.
WEEKDAY_WORDS: dict[str, int] = {}
for _index, _names in enumerate(
    (
        "monday mondays mon montag montags lunes lundi lundis lunedì lunedi segunda segundas понедельник "
        "понеділок понеділка",
        "tuesday tuesdays tue dienstag dienstags martes mardi mardis martedì martedi terça terca terças "
        "вторник вівторок вівторка",
        "wednesday wednesdays wed mittwoch mittwochs miércoles miercoles mercredi mercredis mercoledì "
        "mercoledi quarta quartas среду среда середу середа середи",
        "thursday thursdays thu donnerstag donnerstags jueves jeudi jeudis giovedì giovedi quinta quintas "
        "четверг четвер четверга",
        "friday fridays fri freitag freitags viernes vendredi vendredis venerdì venerdi sexta sextas "
        "пятницу пятница п'ятницю п'ятниця п'ятниці",
        "saturday saturdays sat samstag samstags sábado sabado sábados samedi samedis sabato субботу суббота "
        "суботу субота суботи",
        "sunday sundays sun sonntag sonntags domingo domingos dimanche dimanches domenica воскресенье неділю "
        "неділя неділі",
    )
):
    for _word in _names.split():
        WEEKDAY_WORDS[_word] = _index

EVERY = re.compile(
    r"^(?:every|each|jeden|jede|jedes|alle(?=\s+\d+\s*(?:min|std|stunde))|cada|a\s+cada|todos\s+los|todas\s+las|"
    r"chaque|tous\s+les|toutes\s+les|ogni|tutti\s+i|tutte\s+le|todo|toda|todos\s+os|todas\s+as|todos|todas|"
    r"каждый|каждую|каждое|каждые|каждого|кожен|кожна|кожне|кожні|кожного|кожної|кожну)\s+"
    r"|^що(?=[^\W\d_])",  # щопонеділка, щодня, щогодини
    re.IGNORECASE,
)
DAILY_WORD = re.compile(
    r"^(?:day|days|tag|tage|día|dia|días|dias|jour|jours|giorno|giorni|день|дня|дні|дня)\b", re.IGNORECASE
)
WEEKDAYS_WORD = re.compile(r"^(?:weekdays?|werktag|werktags|workday|workdays)\b", re.IGNORECASE)
DAILY_ALONE = re.compile(
    r"^(?:daily|täglich|taeglich|diario|diariamente|quotidien|quotidiennement|ежедневно|щоденно|щодня)\s+",
    re.IGNORECASE,
)
PART_OF_DAY = re.compile(r"^(morning|evening|night|afternoon)\b", re.IGNORECASE)
INTERVAL = re.compile(
    r"^(\d{1,3})?\s*(minutes?|mins?|hours?|hrs?|h|stunden?|minuten?|minutos?|minuti|horas?|heures?|ore|ora|"
    r"часа|часов|час|минут|минуты|годину|години|годин|година|хвилин|хвилини|годину)(?=\s|$)",
    re.IGNORECASE,
)
LIST_JOIN = re.compile(r"^(?:,|and|und|y|et|e|и|і|та)$", re.IGNORECASE)
