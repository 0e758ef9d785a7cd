"""The tables of time words /remind reads besides CLDR's month and weekday names, per language.

Phrase blocks are "kind: phrase | phrase=value" lines; a line starting with "|" goes on with the
kind before it. Kinds are read by bot/followup/lexicon.py and used by the grammar (moment.py,
matchers.py, clocks.py, dates.py). Native speakers: this is the file to correct.
"""

from __future__ import annotations

UNITS = {
    "en": "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen",
    "de": "null eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf dreizehn vierzehn fünfzehn "
    "sechzehn siebzehn achtzehn neunzehn",
    "es": "cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince "
    "dieciséis "
    "diecisiete dieciocho diecinueve",
    "fr": "zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize "
    "dix-sept dix-huit dix-neuf",
    "it": "zero uno due tre quattro cinque sei sette otto nove dieci undici dodici tredici quattordici "
    "quindici sedici diciassette diciotto diciannove",
    "pt": "zero um dois três quatro cinco seis sete oito nove dez onze doze treze catorze quinze dezesseis "
    "dezessete dezoito dezenove",
    "ru": "ноль один два три четыре пять шесть семь восемь девять десять одиннадцать двенадцать тринадцать "
    "четырнадцать пятнадцать шестнадцать семнадцать восемнадцать девятнадцать",
    "uk": "нуль один два три чотири п'ять шість сім вісім дев'ять десять одинадцять дванадцять тринадцять "
    "чотирнадцять п'ятнадцять шістнадцять сімнадцять вісімнадцять дев'ятнадцять",
}

TENS = {  # 20 30 40 50
    "en": "twenty thirty forty fifty",
    "de": "zwanzig dreißig vierzig fünfzig",
    "es": "veinte treinta cuarenta cincuenta",
    "fr": "vingt trente quarante cinquante",
    "it": "venti trenta quaranta cinquanta",
    "pt": "vinte trinta quarenta cinquenta",
    "ru": "двадцать тридцать сорок пятьдесят",
    "uk": "двадцять тридцять сорок п'ятдесят",
}

EXTRA_NUMBERS = {
    "en": {
        "oh": 0,
        "a couple of": 2,
        "a couple": 2,
        "couple of": 2,
        "a pair of": 2,
        "a few": 3,
        "few": 3,
        "dozen": 12,
    },
    "de": {"ein": 1, "eine": 1, "einer": 1, "einem": 1, "einen": 1, "ein paar": 2, "zwo": 2, "dreissig": 30},
    "es": {
        "un": 1,
        "una": 1,
        "primero": 1,
        "veintiuno": 21,
        "veintidós": 22,
        "veintitrés": 23,
        "veinticuatro": 24,
        "veinticinco": 25,
        "veintiséis": 26,
        "veintisiete": 27,
        "veintiocho": 28,
        "veintinueve": 29,
        "unos": 1,
        "un par de": 2,
        "unos pocos": 3,
    },
    "fr": {"une": 1, "premier": 1, "1er": 1, "1ere": 1, "quelques": 3},
    "it": {
        "un": 1,
        "una": 1,
        "un'": 1,
        "primo": 1,
        "1º": 1,
        "1°": 1,
        "paio di": 2,
        "un paio di": 2,
        "paio d'": 2,
        "un paio d'": 2,  # "tra un paio d'ore"
    },
    "pt": {
        "uma": 1,
        "primeiro": 1,
        "1o": 1,
        "1º": 1,
        "duas": 2,
        "dezasseis": 16,
        "dezassete": 17,
        "dezanove": 19,
        "zero": 0,
    },
    "ru": {"одна": 1, "одну": 1, "одного": 1, "две": 2, "пару": 2, "пара": 2, "несколько": 3},
    "uk": {"одна": 1, "одну": 1, "однієї": 1, "дві": 2, "пару": 2, "кілька": 3},
}

ORDINALS_EN = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
]

ORDINALS_RU = [
    "первое",
    "второе",
    "третье",
    "четвертое",
    "пятое",
    "шестое",
    "седьмое",
    "восьмое",
    "девятое",
    "десятое",
    "одиннадцатое",
    "двенадцатое",
    "тринадцатое",
    "четырнадцатое",
    "пятнадцатое",
    "шестнадцатое",
    "семнадцатое",
    "восемнадцатое",
    "девятнадцатое",
    "двадцатое",
]

ORDINALS_UK = [
    "перше",
    "друге",
    "третє",
    "четверте",
    "п'яте",
    "шосте",
    "сьоме",
    "восьме",
    "дев'яте",
    "десяте",
    "одинадцяте",
    "дванадцяте",
    "тринадцяте",
    "чотирнадцяте",
    "п'ятнадцяте",
    "шістнадцяте",
    "сімнадцяте",
    "вісімнадцяте",
    "дев'ятнадцяте",
    "двадцяте",
]

ORDINALS_DE = [
    "erst",
    "zweit",
    "dritt",
    "viert",
    "fünft",
    "sechst",
    "siebt",
    "acht",
    "neunt",
    "zehnt",
    "elft",
    "zwölft",
    "dreizehnt",
    "vierzehnt",
    "fünfzehnt",
    "sechzehnt",
    "siebzehnt",
    "achtzehnt",
    "neunzehnt",
    "zwanzigst",
]

ORDINALS_FR = [
    "premier",
    "deuxième",
    "troisième",
    "quatrième",
    "cinquième",
    "sixième",
    "septième",
    "huitième",
    "neuvième",
    "dixième",
]

COMMON = """
filler: , | - | ( | ) | ~ | @
zone: cet=1 | cest=2 | gmt=0 | utc=0 | bst=1 | wet=0 | west=1 | eet=2 | eest=3 | msk=3 | est=-5 | edt=-4
    | cst=-6 | cdt=-5 | mst=-7 | mdt=-6 | pst=-8 | pdt=-7 | z=0
ampm: am=am | pm=pm | a.m=am | p.m=pm | a m=am | p m=pm
approx: approximately | approx | ish | in etwa | environ | circa | more or less | or so | )
"""

PHRASES = {
    "en": """
day: today=0 | tomorrow=1 | tomorrows=1 | tmrw=1 | tmr=1 | tomorow=1 | tommorow=1 | tommorrow=1
    | tomorrw=1 | 2morrow=1 | day after tomorrow=2
    | the day after tomorrow=2 | tonight=0/evening | this morning=0/morning | this afternoon=0/afternoon
    | this evening=0/evening | tomorrow morning=1/morning | tomorrow evening=1/evening
    | tomorrow afternoon=1/afternoon | tomorrow night=1/night
part: morning | in the morning=morning | in the am=morning | in the pm=afternoon | in morning=morning
    | in afternoon=afternoon | in evening=evening | early morning=morning | afternoon
    | in the afternoon=afternoon | evening | in the evening=evening | night=night | at night=night
    | tonight=evening
noon: noon=12 | midday=12 | mid day=12 | mid-day=12 | the midday=12 | midnight=0
in: in | within | in about | in around | in approximately
later: from now | from right now | from today | later | hence | after
next: next | coming | upcoming | the next | this coming
this: this | the | current | the current
after_next: after next
oclock: o'clock | oclock | o clock | h | hours | hour
quarter: quarter | a quarter
half: half
past: past | after
to: to | before | till | til
and: and
and_half: and a half | and an half | and half
three_quarters: three quarters
article: a | an
span: half an hour=30 | a half hour=30 | half hour=30 | a quarter of an hour=15 | quarter of an hour=15
    | a quarter hour=15 | quarter hour=15 | three-quarters of an hour=45 | three quarters of an hour=45
    | an hour and a half=90 | a fortnight=20160
filler: at | on | the | of | around | about | sharp | for | by | at around | at about | exactly | more | me
last: last | the last
""",
    "de": """
day: heute=0 | morgen=1 | übermorgen=2 | heute abend=0/evening | heute nacht=0/night
    | heute morgen=0/morning | heute nachmittag=0/afternoon | morgen früh=1/morning
    | morgen abend=1/evening | morgen nachmittag=1/afternoon
part: morgens=morning | am morgen=morning | früh=morning | vormittag=morning | vormittags=morning
    | am vormittag=morning | nachmittag=afternoon | nachmittags=afternoon | am nachmittag=afternoon
    | abend=evening | abends=evening | am abend=evening | nacht=night | nachts=night
    | in der nacht=night
noon: mittag=12 | mittags=12 | mitternacht=0
in: in | binnen | in zirka | in etwa | in circa | in ca
later: später | ab jetzt
next: nächsten | nächste | nächster | kommenden | kommende
this: diesen | diese | dieser | dieses
after_next: nach dem nächsten | übernächsten | übernächste
oclock: uhr | h
quarter: viertel
half: halb
past: nach
to: vor
and: und
three_quarters: dreiviertel
and_half: ein halb | einhalb | und ein halb
span: einer halben stunde=30 | eine halbe stunde=30 | halbe stunde=30 | einer viertelstunde=15
    | eine viertelstunde=15 | viertelstunde=15 | anderthalb stunden=90 | eineinhalb stunden=90
last: letzter | letzte | letzten
filler: um | am | an | den | der | die | dem | im | zum | gegen | circa | zirka | ca | ca. | etwa
    | ungefähr | so gegen | so um | so circa | so ungefähr | pünktlich | in etwa | punkt
""",
    "es": """
day: hoy=0 | mañana=1 | pasado mañana=2 | esta noche=0/night | esta tarde=0/afternoon | esta mañana=0/morning
part: de la mañana=morning | en la mañana=morning | por la mañana=morning | de la madrugada=night
    | de la tarde=afternoon | en la tarde=afternoon | por la tarde=afternoon | del mediodía=afternoon
    | de la noche=night | en la noche=night | por la noche=night
noon: mediodía=12 | medio día=12 | medio dia=12 | medianoche=0
in: en | dentro de | en unos | en unas
later: después | más tarde | a partir de ahora
next: próximo | próxima | siguiente
next_week: que viene
this: este | esta | ese | esa
oclock: horas | hora | h | en punto
quarter: cuarto
half: media | medio
minus: menos
and: y
and_half: y media | y medio
span: media hora=30 | un cuarto de hora=15 | cuarto de hora=15 | tres cuartos de hora=45 | hora y media=90
last: último | última | el último
filler: a | a las | a la | al | al las | alas | las | la | el | de | del | para las | para la | sobre las
    | hacia las | a eso de las | eso de las | como a las | día | dia
""",
    "fr": """
day: aujourd'hui=0 | demain=1 | après-demain=2 | apres demain=2 | le lendemain=1 | lendemain=1
    | jour suivant=1 | le jour suivant=1 | le jour d'après=1 | jour d'après=1 | ce soir=0/evening
    | ce matin=0/morning | cet après-midi=0/afternoon | cette nuit=0/night | demain matin=1/morning
    | demain soir=1/evening | demain après-midi=1/afternoon
part: matin=morning | du matin=morning | du mat=morning | le matin=morning | après-midi=afternoon
    | de l'après-midi=afternoon | l'après-midi=afternoon | dans l'après-midi=afternoon | soir=evening
    | du soir=evening | le soir=evening | dans la soirée=evening | de la soirée=evening | nuit=night
    | de la nuit=night
noon: midi=12 | minuit=0
in: dans | d'ici | dans environ
later: plus tard | après | d'ici
next: prochain | prochaine
next_week: suivant | suivante | d'après
this: ce | cet | cette
oclock: heures | heure | h
quarter: quart | le quart
half: demi | demie
minus: moins
and: et | passé de | passe de
three_quarters: trois quarts
and_half: et demie | et demi
span: une demi-heure=30 | demi-heure=30 | une demi heure=30 | un quart d'heure=15 | quart d'heure=15
    | trois quarts d'heure=45 | une heure et demie=90
last: dernier | dernière | le dernier | la dernière
filler: à | a | le | la | les | vers | environ | à environ | aux alentours de | autour de | plutôt
    | plutôt vers | de | du | des | pour | sur les
""",
    "it": """
day: oggi=0 | domani=1 | dopodomani=2 | dopo domani=2 | il giorno dopo domani=2 | stasera=0/evening
    | stamattina=0/morning | stanotte=0/night | oggi pomeriggio=0/afternoon | domani mattina=1/morning
    | domani sera=1/evening | domani pomeriggio=1/afternoon
part: mattina=morning | mattino=morning | di mattina=morning | del mattino=morning
    | della mattina=morning | pomeriggio=afternoon | di pomeriggio=afternoon | del pomeriggio=afternoon
    | nel pomeriggio=afternoon | sera=evening | di sera=evening | della sera=evening
    | di stasera=evening | notte=night | di notte=night | della notte=night
noon: mezzogiorno=12 | a mezzogiorno=12 | mezzanotte=0 | a mezzanotte=0
in: tra | fra | in | entro
later: dopo | più tardi | da adesso
next: prossimo | prossima | dopo | seguente
this: questo | questa | quest'
oclock: ore | h
quarter: un quarto | quarto
half: mezza | mezzo
to: a
minus: meno
and: e
three_quarters: tre quarti
and_half: e mezza | e mezzo
span: un'ora=60 | mezz'ora=30 | mezzora=30 | mezz' ora=30 | un quarto d'ora=15 | quarto d'ora=15
    | tre quarti d'ora=45 | un'ora e mezza=90
last: ultimo | ultima | l'ultimo | l'ultima
filler: alle | all' | alle ore | a | il | la | le | lo | l' | di | del | della | dell' | verso
    | verso le | per le | circa | circa alle | ore
""",
    "pt": """
day: hoje=0 | amanhã=1 | amanha=1 | depois de amanhã=2 | depois de amanha=2 | hoje à noite=0/night
    | hoje a noite=0/night | esta noite=0/night | essa noite=0/night | hoje de manhã=0/morning
    | hoje à tarde=0/afternoon | hoje de tarde=0/afternoon | amanhã de manhã=1/morning
    | amanhã à noite=1/night | amanhã à tarde=1/afternoon
part: da manhã=morning | de manhã=morning | pela manhã=morning | da madrugada=night | da tarde=afternoon
    | de tarde=afternoon | pela tarde=afternoon | à tarde=afternoon | da noite=night | de noite=night
    | à noite=night | pela noite=night
noon: meio-dia=12 | meio dia=12 | meiodia=12 | o meio dia=12 | meia-noite=0 | meia noite=0 | meianoite=0
in: em | daqui a | dentro de | daqui
later: depois | mais tarde | a partir de agora
next: próximo | próxima | seguinte
next_week: que vem
this: este | esta | esse | essa
oclock: horas | hora | h | em ponto
quarter: um quarto | quarto
half: meia
to: para | para as | para o
minus: menos
and: e
and_half: e meia | e meio
span: meia hora=30 | meia-hora=30 | um quarto de hora=15 | quarto de hora=15 | três quartos de hora=45
    | uma hora e meia=90
last: último | última
filler: essa | este | esse | esta | às | as | à | a | ao | o | no | na | dia | no dia | de | da | do | pelas
    | por volta das | lá pelas | perto das
""",
    "ru": """
day: сегодня=0 | завтра=1 | послезавтра=2 | послепослезавтра=3 | сегодня вечером=0/evening
    | сегодня утром=0/morning | сегодня днем=0/afternoon | сегодня ночью=0/night
    | завтра утром=1/morning | завтра вечером=1/evening | завтра днем=1/afternoon
part: утра=morning | утром=morning | с утра=morning | дня=afternoon | днем=afternoon | пополудни=afternoon
    | после полудня=afternoon | вечера=evening | вечером=evening | ночи=night | ночью=night
noon: полдень=12 | в полдень=12 | полночь=0 | в полночь=0
in: через | спустя
later: спустя | позже
next: следующий | следующую | следующая | следующее | следующей | след | ближайший | ближайшую
this: этот | эту | это | эта | этой | этого | этом
after_next: после следующего | после следующей
oclock: час | часа | часов | ч
quarter: четверть | четверти
half: половина | пол | половину
past: после
to: без
and: и
and_half: с половиной
span: полчаса=30 | пол часа=30 | четверть часа=15 | полтора часа=90
last: последний | последнюю | последняя | последнее | последнего
filler: в | во | к | около | примерно | на | ровно
""",
    "uk": """
day: сьогодні=0 | завтра=1 | післязавтра=2 | сьогодні ввечері=0/evening | сьогодні вранці=0/morning
    | сьогодні вдень=0/afternoon | сьогодні вночі=0/night | завтра вранці=1/morning
    | завтра ввечері=1/evening | завтра вдень=1/afternoon
part: ранку=morning | зранку=morning | з ранку=morning | вранці=morning | уранці=morning
    | дня=afternoon | вдень=afternoon | удень=afternoon | пополудні=afternoon | після полудня=afternoon
    | вечора=evening | ввечері=evening | увечері=evening | ночі=night | вночі=night | уночі=night
noon: полудень=12 | опівдні=12 | північ=0 | опівночі=0
in: через | за
later: пізніше | потому
next: наступного | наступний | наступну | наступна | наступне | наступної | найближчий | найближчу
this: цей | цю | це | ця | цього | цієї | цьому
after_next: після наступного | після наступної
oclock: година | годину | години | годині | годин | ч
quarter: чверть | чверті
half: половина | пів | половину
past: після | по
to: за | без
and: і | й
and_half: з половиною
span: півгодини=30 | пів години=30 | чверть години=15 | півтори години=90
last: останній | остання | останню | останнього | останньої
filler: о | об | в | у | на | близько | приблизно | рівно
""",
}

UNIT_WORDS = {
    "en": "second=s seconds=s sec=s secs=s s=s minute=min minutes=min min=min mins=min '=min hour=h "
    "hours=h hr=h hrs=h "
    'h=h day=d days=d week=w weeks=w fortnight=f fortnights=f month=mo months=mo year=y years=y "=s',
    "de": "sekunde=s sekunden=s sek=s minute=min minuten=min min=min stunde=h stunden=h std=h h=h tag=d "
    "tage=d "
    "tagen=d woche=w wochen=w monat=mo monate=mo monaten=mo jahr=y jahre=y jahren=y",
    "es": "segundo=s segundos=s minuto=min minutos=min min=min hora=h horas=h h=h día=d días=d dia=d dias=d "
    "semana=w semanas=w mes=mo meses=mo año=y años=y",
    "fr": "seconde=s secondes=s sec=s minute=min minutes=min min=min mn=min heure=h heures=h h=h jour=d "
    "jours=d "
    "semaine=w semaines=w mois=mo an=y ans=y année=y années=y \"=s '=min",
    "it": "secondo=s secondi=s minuto=min minuti=min min=min ora=h ore=h h=h giorno=d giorni=d settimana=w "
    "settimane=w mese=mo mesi=mo anno=y anni=y",
    "pt": "segundo=s segundos=s minuto=min minutos=min min=min hora=h horas=h h=h dia=d dias=d semana=w "
    "semanas=w mês=mo meses=mo ano=y anos=y",
    "ru": "секунда=s секунду=s секунды=s секунд=s сек=s минута=min минуту=min минуты=min минут=min мин=min "
    "час=h часа=h часов=h ч=h день=d дня=d дней=d сутки=d неделя=w неделю=w недели=w недель=w неделе=w "
    "месяц=mo месяца=mo месяцев=mo год=y года=y лет=y",
    "uk": "секунда=s секунду=s секунди=s секунд=s сек=s хвилина=min хвилину=min хвилини=min хвилин=min "
    "хв=min "
    "година=h годину=h години=h годин=h год=h день=d дні=d днів=d доба=d тиждень=w тижні=w тижнів=w "
    "тижня=w місяць=mo місяці=mo місяців=mo рік=y роки=y років=y",
}

EXTRA_WEEKDAYS = {
    "en": "mon=0 tues=1 tue=1 weds=2 wed=2 thur=3 thurs=3 thu=3 fri=4 sat=5 sun=6",
    "de": "mo=0 di=1 mi=2 do=3 fr=4 sa=5 so=6 montags=0 dienstags=1 mittwochs=2 donnerstags=3 freitags=4 "
    "samstags=5 "
    "sonntags=6",
    "es": "mié=2 mx=2",
    "fr": "",
    "it": "lunedi=0 martedi=1 mercoledi=2 giovedi=3 venerdi=4",
    "pt": "segunda=0 terça=1 terca=1 quarta=2 quinta=3 sexta=4 seg=0 ter=1 qua=2 qui=3 sex=4 sab=5 sáb=5 "
    "dom=6 "
    "segunda_feira=0 terça_feira=1 terca_feira=1 quarta_feira=2 quinta_feira=3 sexta_feira=4 terca-feira=1",
    "ru": "среду=2 пятницу=4 субботу=5 понедельника=0 вторника=1 среды=2 четверга=3 пятницы=4 субботы=5 "
    "воскресенья=6",
    "uk": "середу=2 п'ятницю=4 суботу=5 неділю=6 понеділка=0 вівторка=1 середи=2 четверга=3 п'ятниці=4 "
    "суботи=5 "
    "неділі=6",
}

EXTRA_MONTHS = {
    "en": "sept=9",
    "de": "maerz=3 sept=9",
    "es": "sept=9 setiembre=9",
    "fr": "fev=2 juil=7 sept=9",
    "it": "",
    "pt": "",
    "ru": "фев=2 авг=8 сен=9 сент=9 ноя=11 дек=12 январе=1 феврале=2 марте=3 апреле=4 мае=5 июне=6 июле=7 "
    "августе=8 сентябре=9 октябре=10 ноябре=11 декабре=12",
    "uk": "лют=2 бер=3 сер=8 вер=9 січні=1 лютому=2 березні=3 квітні=4 травні=5 червні=6 липні=7 серпні=8 "
    "вересні=9 жовтні=10 листопаді=11 грудні=12",
}

# Weekday abbreviations that are everyday words in the language ("mi" my, "ma", "sa") are left out.
NOT_WEEKDAYS = {"es": {"mi", "ma", "do", "sa", "lu", "ju", "vi"}, "pt": set(), "it": set()}
