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
        "monday mondays mon montag montags lunes lundi lundis lunedì lunedi segunda segundas segunda-feira "
        "segundas-feiras понедельник понедельникам понеділок понеділка понеділках",
        "tuesday tuesdays tue dienstag dienstags martes mardi mardis martedì martedi terça terca terças "
        "terça-feira terca-feira terças-feiras вторник вторникам вівторок вівторка вівторках",
        "wednesday wednesdays wed mittwoch mittwochs miércoles miercoles mercredi mercredis mercoledì "
        "mercoledi quarta quartas quarta-feira quartas-feiras среду среда средам середу середа середи "
        "середах",
        "thursday thursdays thu donnerstag donnerstags jueves jeudi jeudis giovedì giovedi quinta quintas "
        "quinta-feira quintas-feiras четверг четвергам четвер четверга четвергах",
        "friday fridays fri freitag freitags viernes vendredi vendredis venerdì venerdi sexta sextas "
        "sexta-feira sextas-feiras пятницу пятница пятницам п'ятницю п'ятниця п'ятниці п'ятницях",
        "saturday saturdays sat samstag samstags sábado sabado sábados samedi samedis sabato субботу суббота "
        "субботам суботу субота суботи суботах",
        "sunday sundays sun sonntag sonntags domingo domingos dimanche dimanches domenica воскресенье "
        "воскресеньям неділю неділя неділі неділях",
    )
):
    for _word in _names.split():
        WEEKDAY_WORDS[_word] = _index

EVERY = re.compile(
    r"^(?:every|each|jeden|jede|jedes|alle(?=\s+\d+\s*(?:min|std|stunde))|cada|a\s+cada|todos\s+los|todas\s+las|"
    r"chaque|tous\s+les|toutes\s+les|ogni|tutti\s+i|tutte\s+le|todo|toda|todos\s+os|todas\s+as|todos|todas|"
    r"каждый|каждую|каждое|каждые|каждого|кожен|кожна|кожне|кожні|кожного|кожної|кожну)\s+"
    r"|^(?=(?:montags|dienstags|mittwochs|donnerstags|freitags|samstags|sonntags|mondays|tuesdays|"
    r"wednesdays|thursdays|fridays|saturdays|sundays)\b)"  # "montags um 7", "mondays at 9": each week
    r"|^що(?=[^\W\d_])"  # щопонеділка, щодня, щогодини
    r"|^по\s+(?=(?:понедельникам|вторникам|средам|четвергам|пятницам|субботам|воскресеньям|понеділках|"
    r"вівторках|середах|четвергах|п'ятницях|суботах|неділях|будням|буднях)\b)",  # по пятницам
    re.IGNORECASE,
)
DAILY_WORD = re.compile(
    r"^(?:day|days|tag|tage|día|dia|días|dias|jour|jours|giorno|giorni|день|дня|дні|дня)\b", re.IGNORECASE
)
WEEKDAYS_WORD = re.compile(
    r"^(?:weekdays?|werktag|werktags|workday|workdays|будний\s+день|будним\s+дням|будням|будни|"
    r"будній\s+день|робочий\s+день|робочого\s+дня|буднях|будні|día\s+laborable|dia\s+útil|"
    r"jour\s+ouvré|giorno\s+feriale)(?=\s|$)",
    re.IGNORECASE,
)
# "every week on Monday", "щотижня в понеділок", "каждую неделю в понедельник": the week word goes.
WEEK_THEN_DAY = re.compile(
    r"^(?:week|woche|semana|semaine|settimana|неделю|тиждень|тижня)\s+(?:(?:on|am|el|le|il|в|у|во|на)\s+)?",
    re.IGNORECASE,
)
# "every half hour", "каждые полчаса", "кожні пів години": 30 minutes.
HALF_HOUR = re.compile(
    r"^(?:half\s+an?\s+hour|half\s+hour|halbe\s+stunde|media\s+hora|meia\s+hora|demi-heure|"
    r"demi\s+heure|mezz'ora|mezzora|полчаса|пол\s+часа|півгодини|пів\s+години)(?=\s|$)",
    re.IGNORECASE,
)
DAILY_ALONE = re.compile(
    r"^(?:daily|täglich|taeglich|diario|diariamente|quotidien|quotidiennement|ежедневно|щоденно|щодня)\s+",
    re.IGNORECASE,
)
# "every morning", "todas las mañanas", "chaque soir", "каждый вечер", "щоранку" (що + ранку): the
# part of the day each repetition falls in (a bare "at 7" after "morning" is 07:00, after "evening" 19:00).
PARTS_OF_DAY = {
    "morning": "morning mornings morgen vormittag mañana mañanas manana mananas matin matins mattina mattine "
    "mattino manhã manhãs manha manhas утро утром ранку ранок вранці",
    "afternoon": "afternoon afternoons nachmittag tarde tardes après-midi pomeriggio pomeriggi день дня "
    "вдень",
    "evening": "evening evenings abend soir soirs sera sere вечер вечером вечора вечір ввечері",
    "night": "night nights nacht noche noches nuit nuits notte notti noite noites ночь ночью ночі ніч",
}
PART_OF_DAY = re.compile(
    r"^(" + "|".join(w for words in PARTS_OF_DAY.values() for w in words.split()) + r")(?=[\s,.:]|$)",
    re.IGNORECASE,
)
PART_OF_WORD = {w: part for part, words in PARTS_OF_DAY.items() for w in words.split()}
INTERVAL = re.compile(
    r"^(\d{1,3})?\s*(minutes?|mins?|hours?|hrs?|h|stunden?|minuten?|minutos?|minuti|horas?|heures?|ore|ora|"
    r"часа|часов|час|минут|минуты|годину|години|годин|година|хвилин|хвилини|годину)(?=\s|$)",
    re.IGNORECASE,
)
LIST_JOIN = re.compile(r"^(?:,|and|und|y|et|e|и|і|та)$", re.IGNORECASE)
