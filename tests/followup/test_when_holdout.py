"""A held-out set of everyday /remind phrasings, written by a native speaker of each language
without looking at the tuned tests or the Duckling corpora (issue 20, i20b).

Each line: `words | expected | text`. The reference moment is Tuesday 10 February 2026, 14:30
local, in the zone of LOCAL_ZONE[lang]. `expected` is local "MM-DD HH:MM" (alternatives
separated by " / "), with a step "+1d" / "+7d" / "+2h" / "+30m" for a repeating reminder (the
second firing); "refuse" when only a refusal is right (a time already passed, a nonsense time).
A sure reading at another time is WRONG; a Yes/No question (`Schedule.unsure`) counts as asked.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.followup.when import ReminderParseError, next_firing, parse_reminder

LOCAL_ZONE = {
    "en": "America/New_York",
    "de": "Europe/Berlin",
    "es": "Europe/Madrid",
    "fr": "Europe/Paris",
    "pt": "America/Sao_Paulo",
    "ru": "Europe/Moscow",
    "uk": "Europe/Kyiv",
    "it": "Europe/Rome",
}

PHRASINGS = {
    "en": """
in 20 minutes check the oven | 02-10 14:50 | check the oven
in 2 hours call mom | 02-10 16:30 | call mom
in half an hour stretch | 02-10 15:00 | stretch
in an hour take pills | 02-10 15:30 | take pills
in 90 min leave for the airport | 02-10 16:00 | leave for the airport
tomorrow at 9am dentist | 02-11 09:00 | dentist
tomorrow 7am weigh in | 02-11 07:00 | weigh in
call mom tomorrow at 5pm | 02-11 17:00 | call mom
tonight at 9 watch the game | 02-10 21:00 | watch the game
at 18:30 protein shake | 02-10 18:30 | protein shake
6pm pick up kids | 02-10 18:00 | pick up kids
on friday at 10am team lunch | 02-13 10:00 | team lunch
friday 3pm haircut | 02-13 15:00 | haircut
this afternoon at 4 pay rent | 02-10 16:00 | pay rent
tomorrow morning at 8 run | 02-11 08:00 | run
tomorrow evening at 7 dinner with sam | 02-11 19:00 | dinner with sam
day after tomorrow at noon submit report | 02-12 12:00 | submit report
next monday 9am standup prep | 02-16 09:00 | standup prep
on the 20th at 2pm car service | 02-20 14:00 | car service
feb 20 at 11am passport appointment | 02-20 11:00 | passport appointment
march 3 buy flowers | 03-03 09:00 | buy flowers
every day at 8am vitamins | 02-11 08:00 +1d | vitamins
every monday at 9am weekly review | 02-16 09:00 +7d | weekly review
every 2 hours drink water | 02-10 16:30 +2h | drink water
every weekday at 7:30 check alarm | 02-11 07:30 +1d | check alarm
me to call john at 4pm | 02-10 16:00 | call john
tmrw at 10am gym | 02-11 10:00 | gym
tomorrow at 3pm london time call grandma | 02-11 10:00 | call grandma
at 9pm CET call the berlin office | 02-10 15:00 | call the berlin office
in 3 days renew parking permit | 02-13 14:30 / 02-13 09:00 | renew parking permit
wednesday next week dentist | 02-18 09:00 | dentist
5pm call mom | 02-10 17:00 | call mom
at 5 call mom | 02-10 17:00 | call mom
tomorrow at noon lunch with anna | 02-11 12:00 | lunch with anna
in 45 mins take the laundry out | 02-10 15:15 | take the laundry out
sunday 10am call grandma | 02-15 10:00 | call grandma
on 2/20 pay visa bill | 02-20 09:00 | pay visa bill
yesterday at 5pm call mom | refuse |
at 25:00 meeting | refuse |
thursday night at 10 take out trash | 02-12 22:00 | take out trash
tomorow at 8am call dr smith | 02-11 08:00 | call dr smith
in 10 min turn off stove | 02-10 14:40 | turn off stove
every morning at 7 meds | 02-11 07:00 +1d | meds
every friday at 5pm timesheet | 02-13 17:00 +7d | timesheet
water the plants every sunday at 10am | 02-15 10:00 +7d | water the plants
""",
    "de": """
in 20 Minuten Nudeln abgießen | 02-10 14:50 | Nudeln abgießen
in 2 stunden mama anrufen | 02-10 16:30 | mama anrufen
in einer halben Stunde Wäsche aufhängen | 02-10 15:00 | Wäsche aufhängen
in einer Stunde Tabletten nehmen | 02-10 15:30 | Tabletten nehmen
in anderthalb Stunden los zum Bahnhof | 02-10 16:00 | los zum Bahnhof
morgen um 9 Zahnarzt | 02-11 09:00 | Zahnarzt
morgen früh um 7 joggen | 02-11 07:00 | joggen
heute Abend um 8 Müll rausbringen | 02-10 20:00 | Müll rausbringen
heute abend 20 uhr Tatort | 02-10 20:00 | Tatort
um 18:30 Eiweißshake | 02-10 18:30 | Eiweißshake
17 Uhr Kinder abholen | 02-10 17:00 | Kinder abholen
am Freitag um 10 Uhr Teammeeting | 02-13 10:00 | Teammeeting
Freitag 15 Uhr Friseur | 02-13 15:00 | Friseur
übermorgen um 12 Bericht abgeben | 02-12 12:00 | Bericht abgeben
am 15.02 um 10 Uhr Oma anrufen | 02-15 10:00 | Oma anrufen
15.02. Blumen kaufen | 02-15 09:00 | Blumen kaufen
am 20.2. um 14 Uhr Autowerkstatt | 02-20 14:00 | Autowerkstatt
am 3. März Geburtstagskarte schicken | 03-03 09:00 | Geburtstagskarte schicken
nächsten Montag um 9 Uhr Wochenplanung | 02-16 09:00 | Wochenplanung
Mittwoch nächste Woche Zahnarzt | 02-18 09:00 | Zahnarzt
jeden Tag um 8 Uhr Vitamine | 02-11 08:00 +1d | Vitamine
jeden Montag um 9 Wochenrückblick | 02-16 09:00 +7d | Wochenrückblick
alle 2 Stunden Wasser trinken | 02-10 16:30 +2h | Wasser trinken
täglich um 21 Uhr dehnen | 02-10 21:00 +1d | dehnen
montags um 7 Uhr Mülltonne rausstellen | 02-16 07:00 +7d | Mülltonne rausstellen
Mama anrufen morgen um 17 Uhr | 02-11 17:00 | Mama anrufen
heute nachmittag um 4 Miete überweisen | 02-10 16:00 | Miete überweisen
morgen nachmittag um 3 Paket abholen | 02-11 15:00 | Paket abholen
um halb 8 abendessen kochen | 02-10 19:30 | abendessen kochen
um viertel nach 5 Tim abholen | 02-10 17:15 | Tim abholen
morgen um viertel vor 9 Bus nehmen | 02-11 08:45 | Bus nehmen
am Sonntag um 10 Oma besuchen | 02-15 10:00 | Oma besuchen
in 3 Tagen Parkausweis verlängern | 02-13 14:30 / 02-13 09:00 | Parkausweis verlängern
um 18 Uhr UTC Backup prüfen | 02-10 19:00 | Backup prüfen
heute um 23 uhr schlafen gehen | 02-10 23:00 | schlafen gehen
do 10 uhr physio | 02-12 10:00 | physio
gestern um 5 mama anrufen | refuse |
morgen um 8uhr bäcker | 02-11 08:00 | bäcker
in 10 min herd aus | 02-10 14:40 | herd aus
heute nacht um 1 Uhr Tabletten | 02-11 01:00 | Tabletten
jeden Freitag um 17 Uhr Stundenzettel | 02-13 17:00 +7d | Stundenzettel
alle 30 Minuten Haltung prüfen | 02-10 15:00 +30m | Haltung prüfen
Donnerstag abend um 10 Müll raus | 02-12 22:00 | Müll raus
""",
    "es": """
en 20 minutos sacar la pasta | 02-10 14:50 | sacar la pasta
en 2 horas llamar a mamá | 02-10 16:30 | llamar a mamá
en media hora tender la ropa | 02-10 15:00 | tender la ropa
en una hora tomar las pastillas | 02-10 15:30 | tomar las pastillas
en hora y media ir al aeropuerto | 02-10 16:00 | ir al aeropuerto
mañana a las 9 dentista | 02-11 09:00 | dentista
mañana por la mañana a las 8 correr | 02-11 08:00 | correr
esta noche a las 9 ver el partido | 02-10 21:00 | ver el partido
a las 18:30 batido de proteínas | 02-10 18:30 | batido de proteínas
17h recoger a los niños | 02-10 17:00 | recoger a los niños
el viernes a las 10 reunión de equipo | 02-13 10:00 | reunión de equipo
viernes a las 3 de la tarde peluquería | 02-13 15:00 | peluquería
pasado mañana a mediodía entregar el informe | 02-12 12:00 | entregar el informe
el 15/02 a las 10 llamar a la abuela | 02-15 10:00 | llamar a la abuela
15/02 comprar flores | 02-15 09:00 | comprar flores
el 20 de febrero a las 11 cita del pasaporte | 02-20 11:00 | cita del pasaporte
el próximo lunes a las 9 planificación semanal | 02-16 09:00 | planificación semanal
el miércoles de la semana que viene dentista | 02-18 09:00 | dentista
todos los días a las 8 vitaminas | 02-11 08:00 +1d | vitaminas
cada lunes a las 9 repaso semanal | 02-16 09:00 +7d | repaso semanal
cada 2 horas beber agua | 02-10 16:30 +2h | beber agua
todos los viernes a las 5 de la tarde hoja de horas | 02-13 17:00 +7d | hoja de horas
llamar a mamá mañana a las 5 de la tarde | 02-11 17:00 | llamar a mamá
esta tarde a las 4 pagar el alquiler | 02-10 16:00 | pagar el alquiler
mañana por la tarde a las 3 recoger el paquete | 02-11 15:00 | recoger el paquete
a las 8 y media de la noche cenar | 02-10 20:30 | cenar
a las 5 y cuarto recoger a tim | 02-10 17:15 | recoger a tim
mañana a las 9 menos cuarto coger el bus | 02-11 08:45 | coger el bus
el domingo a las 10 visitar a la abuela | 02-15 10:00 | visitar a la abuela
dentro de 3 días renovar el permiso | 02-13 14:30 / 02-13 09:00 | renovar el permiso
mañana a las 15:00 UTC llamada con Londres | 02-11 16:00 | llamada con Londres
hoy a las 11 de la noche dormir | 02-10 23:00 | dormir
ayer a las 5 llamar a mamá | refuse |
mañana alas 8 panadería | 02-11 08:00 | panadería
en 10 min apagar el horno | 02-10 14:40 | apagar el horno
jueves por la noche a las 10 sacar la basura | 02-12 22:00 | sacar la basura
todas las mañanas a las 7 pastillas | 02-11 07:00 +1d | pastillas
cada 30 minutos revisar la postura | 02-10 15:00 +30m | revisar la postura
manana a las 10 gimnasio | 02-11 10:00 | gimnasio
el lunes que viene a las 9 llamar al banco | 02-16 09:00 | llamar al banco
a las 5 llamar a mamá | 02-10 17:00 | llamar a mamá
""",
    "pt": """
daqui a 20 minutos tirar o bolo do forno | 02-10 14:50 | tirar o bolo do forno
em 2 horas ligar pra mãe | 02-10 16:30 | ligar pra mãe
daqui meia hora estender a roupa | 02-10 15:00 | estender a roupa
em uma hora tomar o remédio | 02-10 15:30 | tomar o remédio
daqui a uma hora e meia ir pro aeroporto | 02-10 16:00 | ir pro aeroporto
amanhã às 9 dentista | 02-11 09:00 | dentista
amanhã de manhã às 8 correr | 02-11 08:00 | correr
hoje à noite às 9 ver o jogo | 02-10 21:00 | ver o jogo
às 18:30 shake de proteína | 02-10 18:30 | shake de proteína
17h buscar as crianças | 02-10 17:00 | buscar as crianças
na sexta às 10 reunião da equipe | 02-13 10:00 | reunião da equipe
sexta-feira às 3 da tarde cabeleireiro | 02-13 15:00 | cabeleireiro
depois de amanhã ao meio-dia entregar o relatório | 02-12 12:00 | entregar o relatório
dia 15/02 às 10 ligar pra vó | 02-15 10:00 | ligar pra vó
15/02 comprar flores | 02-15 09:00 | comprar flores
20 de fevereiro às 11h passaporte | 02-20 11:00 | passaporte
segunda que vem às 9 planejamento da semana | 02-16 09:00 | planejamento da semana
quarta da semana que vem dentista | 02-18 09:00 | dentista
todo dia às 8 vitaminas | 02-11 08:00 +1d | vitaminas
toda segunda às 7 academia | 02-16 07:00 +7d | academia
a cada 2 horas beber água | 02-10 16:30 +2h | beber água
toda sexta às 17h relatório de horas | 02-13 17:00 +7d | relatório de horas
ligar pra mãe amanhã às 5 da tarde | 02-11 17:00 | ligar pra mãe
hoje à tarde às 4 pagar o aluguel | 02-10 16:00 | pagar o aluguel
amanhã à tarde às 3 pegar a encomenda | 02-11 15:00 | pegar a encomenda
às oito e meia da noite jantar | 02-10 20:30 | jantar
amanhã às oito da noite aniversário da ana | 02-11 20:00 | aniversário da ana
amanhã às quinze para as nove pegar o ônibus | 02-11 08:45 | pegar o ônibus
domingo às 10 visitar a vó | 02-15 10:00 | visitar a vó
daqui a 3 dias renovar a cnh | 02-13 14:30 / 02-13 09:00 | renovar a cnh
às 20h UTC conferir o backup | 02-10 17:00 | conferir o backup
hoje às 11 da noite dormir | 02-10 23:00 | dormir
ontem às 5 ligar pra mãe | refuse |
amanha as 8 padaria | 02-11 08:00 | padaria
em 10 min desligar o forno | 02-10 14:40 | desligar o forno
quinta à noite às 10 levar o lixo | 02-12 22:00 | levar o lixo
todas as manhãs às 7 remédio | 02-11 07:00 +1d | remédio
a cada 30 minutos corrigir a postura | 02-10 15:00 +30m | corrigir a postura
depois de amanhã às 14h consulta | 02-12 14:00 | consulta
às 5 ligar pra mãe | 02-10 17:00 | ligar pra mãe
toda segunda-feira às 9h reunião semanal | 02-16 09:00 +7d | reunião semanal
""",
    "fr": """
dans 20 minutes sortir le gâteau | 02-10 14:50 | sortir le gâteau
dans 2 heures appeler maman | 02-10 16:30 | appeler maman
dans une demi-heure étendre le linge | 02-10 15:00 | étendre le linge
dans une heure prendre les médicaments | 02-10 15:30 | prendre les médicaments
dans 1h30 partir à l'aéroport | 02-10 16:00 | partir à l'aéroport
demain à 9h dentiste | 02-11 09:00 | dentiste
demain matin à 8h courir | 02-11 08:00 | courir
ce soir à 21h regarder le match | 02-10 21:00 | regarder le match
ce soir à 9 heures sortir le chien | 02-10 21:00 | sortir le chien
à 18h30 shake protéiné | 02-10 18:30 | shake protéiné
17h chercher les enfants | 02-10 17:00 | chercher les enfants
vendredi à 10h réunion d'équipe | 02-13 10:00 | réunion d'équipe
vendredi à 15h coiffeur | 02-13 15:00 | coiffeur
après-demain à midi rendre le rapport | 02-12 12:00 | rendre le rapport
le 15/02 à 10h appeler mamie | 02-15 10:00 | appeler mamie
15.02 acheter des fleurs | 02-15 09:00 | acheter des fleurs
le 20 février à 11h rdv passeport | 02-20 11:00 | rdv passeport
lundi prochain à 9h planning de la semaine | 02-16 09:00 | planning de la semaine
mercredi la semaine prochaine dentiste | 02-18 09:00 | dentiste
tous les jours à 8h vitamines | 02-11 08:00 +1d | vitamines
tous les lundis à 9h bilan de la semaine | 02-16 09:00 +7d | bilan de la semaine
toutes les 2 heures boire de l'eau | 02-10 16:30 +2h | boire de l'eau
chaque vendredi à 17h feuille de temps | 02-13 17:00 +7d | feuille de temps
appeler maman demain à 17h | 02-11 17:00 | appeler maman
cet après-midi à 16h payer le loyer | 02-10 16:00 | payer le loyer
demain après-midi à 3h récupérer le colis | 02-11 15:00 | récupérer le colis
à 20h30 dîner | 02-10 20:30 | dîner
demain à 9h moins le quart prendre le bus | 02-11 08:45 | prendre le bus
à 17h15 chercher tim | 02-10 17:15 | chercher tim
dimanche à 10h voir mamie | 02-15 10:00 | voir mamie
dans 3 jours renouveler la carte | 02-13 14:30 / 02-13 09:00 | renouveler la carte
à 18h UTC vérifier la sauvegarde | 02-10 19:00 | vérifier la sauvegarde
aujourd'hui à 23h dormir | 02-10 23:00 | dormir
hier à 17h appeler maman | refuse |
demain a 8h boulangerie | 02-11 08:00 | boulangerie
dans 10 min éteindre le four | 02-10 14:40 | éteindre le four
jeudi soir à 22h sortir les poubelles | 02-12 22:00 | sortir les poubelles
chaque matin à 7h médicaments | 02-11 07:00 +1d | médicaments
toutes les 30 minutes vérifier la posture | 02-10 15:00 +30m | vérifier la posture
ce soir à 8h appeler maman | 02-10 20:00 | appeler maman
demain midi déjeuner avec anne | 02-11 12:00 | déjeuner avec anne
le 3 mars anniversaire de paul | 03-03 09:00 | anniversaire de paul
""",
    "ru": """
через 20 минут выключить духовку | 02-10 14:50 | выключить духовку
через 2 часа позвонить маме | 02-10 16:30 | позвонить маме
через полчаса повесить бельё | 02-10 15:00 | повесить бельё
через час выпить таблетки | 02-10 15:30 | выпить таблетки
через полтора часа выезжать в аэропорт | 02-10 16:00 | выезжать в аэропорт
завтра в 9 стоматолог | 02-11 09:00 | стоматолог
завтра утром в 8 пробежка | 02-11 08:00 | пробежка
сегодня вечером в 9 посмотреть матч | 02-10 21:00 | посмотреть матч
в 9 вечера вынести мусор | 02-10 21:00 | вынести мусор
в 18:30 протеин | 02-10 18:30 | протеин
в 17:00 забрать детей | 02-10 17:00 | забрать детей
в пятницу в 10 планёрка | 02-13 10:00 | планёрка
пятница 15:00 парикмахер | 02-13 15:00 | парикмахер
послезавтра в 12 сдать отчёт | 02-12 12:00 | сдать отчёт
15.02 в 10:00 позвонить бабушке | 02-15 10:00 | позвонить бабушке
15.02 купить цветы | 02-15 09:00 | купить цветы
20 февраля в 11 паспортный стол | 02-20 11:00 | паспортный стол
в следующий понедельник в 9 планирование | 02-16 09:00 | планирование
в среду на следующей неделе стоматолог | 02-18 09:00 | стоматолог
каждый день в 8 витамины | 02-11 08:00 +1d | витамины
каждый понедельник в 9 итоги недели | 02-16 09:00 +7d | итоги недели
каждые 2 часа пить воду | 02-10 16:30 +2h | пить воду
по пятницам в 17:00 табель | 02-13 17:00 +7d | табель
позвонить маме завтра в 5 вечера | 02-11 17:00 | позвонить маме
сегодня днём в 4 заплатить за квартиру | 02-10 16:00 | заплатить за квартиру
завтра в 3 часа дня забрать посылку | 02-11 15:00 | забрать посылку
в половине девятого вечера ужин | 02-10 20:30 | ужин
завтра без четверти девять автобус | 02-11 08:45 | автобус
в воскресенье в 10 к бабушке | 02-15 10:00 | к бабушке
через 3 дня продлить пропуск | 02-13 14:30 / 02-13 09:00 | продлить пропуск
в 12:00 по UTC проверить бэкап | 02-10 15:00 | проверить бэкап
сегодня в 23:00 спать | 02-10 23:00 | спать
вчера в 5 позвонить маме | refuse |
завтра в8 хлеб | 02-11 08:00 | хлеб
через 10 мин выключить плиту | 02-10 14:40 | выключить плиту
в четверг вечером в 10 вынести мусор | 02-12 22:00 | вынести мусор
каждое утро в 7 таблетки | 02-11 07:00 +1d | таблетки
каждые 30 минут осанка | 02-10 15:00 +30m | осанка
в 5 позвонить маме | 02-10 17:00 | позвонить маме
ежедневно в 21:00 растяжка | 02-10 21:00 +1d | растяжка
3 марта поздравить папу | 03-03 09:00 | поздравить папу
в понедельник в 7 утра вынести мусор | 02-16 07:00 | вынести мусор
""",
    "uk": """
через 20 хвилин вимкнути духовку | 02-10 14:50 | вимкнути духовку
через 2 години подзвонити мамі | 02-10 16:30 | подзвонити мамі
через пів години повісити білизну | 02-10 15:00 | повісити білизну
через годину випити таблетки | 02-10 15:30 | випити таблетки
через півтори години їхати в аеропорт | 02-10 16:00 | їхати в аеропорт
завтра о 9 стоматолог | 02-11 09:00 | стоматолог
завтра вранці о 8 пробіжка | 02-11 08:00 | пробіжка
сьогодні ввечері о 9 подивитися матч | 02-10 21:00 | подивитися матч
о 9 вечора винести сміття | 02-10 21:00 | винести сміття
о 18:30 протеїн | 02-10 18:30 | протеїн
о 17:00 забрати дітей | 02-10 17:00 | забрати дітей
у п'ятницю о 10 планерка | 02-13 10:00 | планерка
в пʼятницю о 15:00 перукар | 02-13 15:00 | перукар
післязавтра о 12 здати звіт | 02-12 12:00 | здати звіт
15.02 о 10:00 подзвонити бабусі | 02-15 10:00 | подзвонити бабусі
15.02 купити квіти | 02-15 09:00 | купити квіти
20 лютого об 11 паспортний сервіс | 02-20 11:00 | паспортний сервіс
наступного понеділка о 9 планування | 02-16 09:00 | планування
у середу наступного тижня стоматолог | 02-18 09:00 | стоматолог
щодня о 8 вітаміни | 02-11 08:00 +1d | вітаміни
щопонеділка о 9 підсумки тижня | 02-16 09:00 +7d | підсумки тижня
кожні 2 години пити воду | 02-10 16:30 +2h | пити воду
щоп'ятниці о 17:00 табель | 02-13 17:00 +7d | табель
подзвонити мамі завтра о 5 вечора | 02-11 17:00 | подзвонити мамі
сьогодні вдень о 4 заплатити за квартиру | 02-10 16:00 | заплатити за квартиру
завтра о 3 дня забрати посилку | 02-11 15:00 | забрати посилку
о пів на дев'яту вечора вечеря | 02-10 20:30 | вечеря
завтра за чверть дев'ята автобус | 02-11 08:45 | автобус
в неділю о 10 до бабусі | 02-15 10:00 | до бабусі
через 3 дні продовжити перепустку | 02-13 14:30 / 02-13 09:00 | продовжити перепустку
о 13:00 за UTC перевірити бекап | 02-10 15:00 | перевірити бекап
сьогодні о 23:00 спати | 02-10 23:00 | спати
вчора о 5 подзвонити мамі | refuse |
завтра в 8 хліб | 02-11 08:00 | хліб
через 10 хв вимкнути плиту | 02-10 14:40 | вимкнути плиту
у четвер увечері о 10 винести сміття | 02-12 22:00 | винести сміття
щоранку о 7 таблетки | 02-11 07:00 +1d | таблетки
кожні 30 хвилин постава | 02-10 15:00 +30m | постава
о 5 подзвонити мамі | 02-10 17:00 | подзвонити мамі
щодня о 21:00 розтяжка | 02-10 21:00 +1d | розтяжка
3 березня привітати тата | 03-03 09:00 | привітати тата
у понеділок о 7 ранку винести сміття | 02-16 07:00 | винести сміття
""",
    "it": """
tra 20 minuti togliere la torta dal forno | 02-10 14:50 | togliere la torta dal forno
fra 2 ore chiamare la mamma | 02-10 16:30 | chiamare la mamma
tra mezz'ora stendere i panni | 02-10 15:00 | stendere i panni
tra un'ora prendere le medicine | 02-10 15:30 | prendere le medicine
tra un'ora e mezza partire per l'aeroporto | 02-10 16:00 | partire per l'aeroporto
domani alle 9 dentista | 02-11 09:00 | dentista
domani mattina alle 8 corsa | 02-11 08:00 | corsa
stasera alle 9 vedere la partita | 02-10 21:00 | vedere la partita
alle 9 di sera portare fuori il cane | 02-10 21:00 | portare fuori il cane
alle 18:30 frullato proteico | 02-10 18:30 | frullato proteico
alle 17 prendere i bambini | 02-10 17:00 | prendere i bambini
venerdì alle 10 riunione | 02-13 10:00 | riunione
venerdi alle 15 parrucchiere | 02-13 15:00 | parrucchiere
dopodomani a mezzogiorno consegnare la relazione | 02-12 12:00 | consegnare la relazione
il 15/02 alle 10 chiamare la nonna | 02-15 10:00 | chiamare la nonna
15.02 comprare i fiori | 02-15 09:00 | comprare i fiori
il 20 febbraio alle 11 passaporto | 02-20 11:00 | passaporto
lunedì prossimo alle 9 pianificazione | 02-16 09:00 | pianificazione
mercoledì della settimana prossima dentista | 02-18 09:00 | dentista
ogni giorno alle 8 vitamine | 02-11 08:00 +1d | vitamine
ogni lunedì alle 9 resoconto settimanale | 02-16 09:00 +7d | resoconto settimanale
ogni 2 ore bere acqua | 02-10 16:30 +2h | bere acqua
tutti i venerdì alle 17 foglio ore | 02-13 17:00 +7d | foglio ore
chiamare la mamma domani alle 17 | 02-11 17:00 | chiamare la mamma
oggi pomeriggio alle 4 pagare l'affitto | 02-10 16:00 | pagare l'affitto
domani pomeriggio alle 3 ritirare il pacco | 02-11 15:00 | ritirare il pacco
alle 8 e mezza di sera cena | 02-10 20:30 | cena
domani alle 9 meno un quarto autobus | 02-11 08:45 | autobus
domenica alle 10 dalla nonna | 02-15 10:00 | dalla nonna
tra 3 giorni rinnovare il permesso | 02-13 14:30 / 02-13 09:00 | rinnovare il permesso
alle 18 UTC controllare il backup | 02-10 19:00 | controllare il backup
oggi alle 23 dormire | 02-10 23:00 | dormire
ieri alle 5 chiamare la mamma | refuse |
domani alle otto panetteria | 02-11 08:00 | panetteria
tra 10 min spegnere il forno | 02-10 14:40 | spegnere il forno
giovedì sera alle 10 portare fuori la spazzatura | 02-12 22:00 | portare fuori la spazzatura
ogni mattina alle 7 medicine | 02-11 07:00 +1d | medicine
ogni 30 minuti controllare la postura | 02-10 15:00 +30m | controllare la postura
alle 5 chiamare la mamma | 02-10 17:00 | chiamare la mamma
tutti i giorni alle 21 stretching | 02-10 21:00 +1d | stretching
il 3 marzo compleanno di paolo | 03-03 09:00 | compleanno di paolo
lunedì alle 7 di mattina buttare la spazzatura | 02-16 07:00 | buttare la spazzatura
""",
}


# Set B: written after the parser was fixed on set A (so still unseen by it), run once as a second
# held-out score; then kept as a regression set.
PHRASINGS_B = {
    "en": """
in 5 mins check email | 02-10 14:35 | check email
in a couple of hours move the car | 02-10 16:30 | move the car
at 7:45pm yoga | 02-10 19:45 | yoga
thu at 8:30am dentist | 02-12 08:30 | dentist
this friday 6pm drinks | 02-13 18:00 | drinks
sat morning at 9 farmers market | 02-14 09:00 | farmers market
on feb 14 at 7pm dinner reservation | 02-14 19:00 | dinner reservation
Feb 28 pay taxes | 02-28 09:00 | pay taxes
in 1 week follow up with landlord | 02-17 14:30 / 02-17 09:00 | follow up with landlord
every tuesday and thursday at 6pm soccer | 02-10 18:00 +2d | soccer
every 3 hours stretch | 02-10 17:30 +3h | stretch
me in 15 minutes to flip the laundry | 02-10 14:45 | flip the laundry
pay the electric bill on friday | 02-13 09:00 | pay the electric bill
at 9:15 tomorrow meeting w boss | 02-11 09:15 | meeting w boss
sunday 8:15pm call dad | 02-15 20:15 | call dad
""",
    "de": """
in 5 Minuten Tee | 02-10 14:35 | Tee
in zwei Stunden Auto umparken | 02-10 16:30 | Auto umparken
um 19:45 Yoga | 02-10 19:45 | Yoga
Do um 8:30 Zahnarzt | 02-12 08:30 | Zahnarzt
diesen Freitag um 18 Uhr Feierabendbier | 02-13 18:00 | Feierabendbier
Samstag früh um 9 Markt | 02-14 09:00 | Markt
am 14. Februar um 19 Uhr Tisch reserviert | 02-14 19:00 | Tisch reserviert
28.2. Steuererklärung | 02-28 09:00 | Steuererklärung
in einer Woche beim Vermieter nachhaken | 02-17 14:30 / 02-17 09:00 | beim Vermieter nachhaken
jeden Dienstag und Donnerstag um 18 Uhr Fußball | 02-10 18:00 +2d | Fußball
alle 3 Stunden dehnen | 02-10 17:30 +3h | dehnen
Stromrechnung bezahlen am Freitag | 02-13 09:00 | Stromrechnung bezahlen
morgen um 9:15 Meeting mit Chef | 02-11 09:15 | Meeting mit Chef
heute um Mitternacht Formular abschicken | 02-11 00:00 | Formular abschicken
Sonntag 20:15 Tatort | 02-15 20:15 | Tatort
""",
    "es": """
en 5 minutos mirar el correo | 02-10 14:35 | mirar el correo
en un par de horas mover el coche | 02-10 16:30 | mover el coche
a las 19:45 yoga | 02-10 19:45 | yoga
el jueves a las 8:30 dentista | 02-12 08:30 | dentista
este viernes a las 18:00 cañas | 02-13 18:00 | cañas
el sábado por la mañana a las 9 mercado | 02-14 09:00 | mercado
el 14 de febrero a las 7 de la tarde cena | 02-14 19:00 | cena
28/02 pagar impuestos | 02-28 09:00 | pagar impuestos
dentro de una semana llamar al casero | 02-17 14:30 / 02-17 09:00 | llamar al casero
todos los martes y jueves a las 18h fútbol | 02-10 18:00 +2d | fútbol
cada 3 horas estirar | 02-10 17:30 +3h | estirar
pagar la luz el viernes | 02-13 09:00 | pagar la luz
mañana a las 9:15 reunión con el jefe | 02-11 09:15 | reunión con el jefe
a medianoche enviar el formulario | 02-11 00:00 | enviar el formulario
domingo 21:30 serie | 02-15 21:30 | serie
""",
    "pt": """
em 5 minutos ver o email | 02-10 14:35 | ver o email
daqui a duas horas tirar o carro | 02-10 16:30 | tirar o carro
às 19:45 yoga | 02-10 19:45 | yoga
quinta às 8:30 dentista | 02-12 08:30 | dentista
essa sexta às 18h happy hour | 02-13 18:00 | happy hour
sábado de manhã às 9 feira | 02-14 09:00 | feira
14 de fevereiro às 7 da noite jantar | 02-14 19:00 | jantar
28/02 pagar imposto | 02-28 09:00 | pagar imposto
daqui a uma semana cobrar o proprietário | 02-17 14:30 / 02-17 09:00 | cobrar o proprietário
toda terça e quinta às 18h futebol | 02-10 18:00 +2d | futebol
a cada 3 horas alongar | 02-10 17:30 +3h | alongar
pagar a conta de luz na sexta | 02-13 09:00 | pagar a conta de luz
amanhã às 9:15 reunião com o chefe | 02-11 09:15 | reunião com o chefe
à meia-noite enviar o formulário | 02-11 00:00 | enviar o formulário
domingo 21:30 série | 02-15 21:30 | série
""",
    "fr": """
dans 5 minutes regarder les mails | 02-10 14:35 | regarder les mails
dans deux heures déplacer la voiture | 02-10 16:30 | déplacer la voiture
à 19h45 yoga | 02-10 19:45 | yoga
jeudi à 8h30 dentiste | 02-12 08:30 | dentiste
ce vendredi à 18h apéro | 02-13 18:00 | apéro
samedi matin à 9h marché | 02-14 09:00 | marché
le 14 février à 19h dîner | 02-14 19:00 | dîner
28/02 payer les impôts | 02-28 09:00 | payer les impôts
dans une semaine relancer le proprio | 02-17 14:30 / 02-17 09:00 | relancer le proprio
tous les mardis et jeudis à 18h foot | 02-10 18:00 +2d | foot
toutes les 3 heures s'étirer | 02-10 17:30 +3h | s'étirer
payer l'électricité vendredi | 02-13 09:00 | payer l'électricité
demain à 9h15 réunion avec le chef | 02-11 09:15 | réunion avec le chef
à minuit envoyer le formulaire | 02-11 00:00 | envoyer le formulaire
dimanche 21h30 série | 02-15 21:30 | série
""",
    "ru": """
через 5 минут проверить почту | 02-10 14:35 | проверить почту
через пару часов переставить машину | 02-10 16:30 | переставить машину
в 19:45 йога | 02-10 19:45 | йога
в четверг в 8:30 стоматолог | 02-12 08:30 | стоматолог
в эту пятницу в 18:00 встреча с друзьями | 02-13 18:00 | встреча с друзьями
в субботу утром в 9 рынок | 02-14 09:00 | рынок
14 февраля в 19:00 ужин | 02-14 19:00 | ужин
28.02 заплатить налоги | 02-28 09:00 | заплатить налоги
через неделю напомнить хозяину | 02-17 14:30 / 02-17 09:00 | напомнить хозяину
каждый вторник и четверг в 18:00 футбол | 02-10 18:00 +2d | футбол
каждые 3 часа размяться | 02-10 17:30 +3h | размяться
оплатить свет в пятницу | 02-13 09:00 | оплатить свет
завтра в 9:15 встреча с шефом | 02-11 09:15 | встреча с шефом
в полночь отправить форму | 02-11 00:00 | отправить форму
в воскресенье в 21:30 сериал | 02-15 21:30 | сериал
""",
    "uk": """
через 5 хвилин перевірити пошту | 02-10 14:35 | перевірити пошту
через пару годин переставити машину | 02-10 16:30 | переставити машину
о 19:45 йога | 02-10 19:45 | йога
у четвер о 8:30 стоматолог | 02-12 08:30 | стоматолог
цієї п'ятниці о 18:00 зустріч з друзями | 02-13 18:00 | зустріч з друзями
у суботу вранці о 9 ринок | 02-14 09:00 | ринок
14 лютого о 19:00 вечеря | 02-14 19:00 | вечеря
28.02 сплатити податки | 02-28 09:00 | сплатити податки
через тиждень нагадати власнику | 02-17 14:30 / 02-17 09:00 | нагадати власнику
кожного вівторка і четверга о 18:00 футбол | 02-10 18:00 +2d | футбол
кожні 3 години розім'ятися | 02-10 17:30 +3h | розім'ятися
оплатити світло в п'ятницю | 02-13 09:00 | оплатити світло
завтра о 9:15 зустріч з шефом | 02-11 09:15 | зустріч з шефом
опівночі надіслати форму | 02-11 00:00 | надіслати форму
в неділю о 21:30 серіал | 02-15 21:30 | серіал
""",
    "it": """
tra 5 minuti controllare la posta | 02-10 14:35 | controllare la posta
tra un paio d'ore spostare la macchina | 02-10 16:30 | spostare la macchina
alle 19:45 yoga | 02-10 19:45 | yoga
giovedì alle 8:30 dentista | 02-12 08:30 | dentista
questo venerdì alle 18 aperitivo | 02-13 18:00 | aperitivo
sabato mattina alle 9 mercato | 02-14 09:00 | mercato
il 14 febbraio alle 19 cena | 02-14 19:00 | cena
28/02 pagare le tasse | 02-28 09:00 | pagare le tasse
tra una settimana sentire il padrone di casa | 02-17 14:30 / 02-17 09:00 | sentire il padrone di casa
ogni martedì e giovedì alle 18 calcetto | 02-10 18:00 +2d | calcetto
ogni 3 ore fare stretching | 02-10 17:30 +3h | fare stretching
pagare la luce venerdì | 02-13 09:00 | pagare la luce
domani alle 9:15 riunione col capo | 02-11 09:15 | riunione col capo
a mezzanotte inviare il modulo | 02-11 00:00 | inviare il modulo
domenica alle 21:30 serie | 02-15 21:30 | serie
""",
}

# Defects found while fixing set A (a crash, a refusal saying "passed" for a time ahead, a day
# read without the clock after it): each failed on the parser as delivered.
REGRESSIONS = {
    "en": """
at 24:00 meeting | refuse |
at 2500 meeting | refuse |
tomorrow at 99pm meeting | ask |
tonight at 1am take pills | 02-11 01:00 | take pills
stretch daily at 9pm | 02-10 21:00 +1d | stretch
in 2 weeks on monday call the bank | refuse |
tomorrow after work gym | ask |
""",
    "uk": """
завтра о першій обід | ask |
о дев'ятій вечора кіно | 02-10 21:00 | кіно
о третій дня зустріч | 02-10 15:00 | зустріч
по понеділках о 9:00 звіт | 02-16 09:00 +7d | звіт
щотижня в понеділок о 9:00 нарада | 02-16 09:00 +7d | нарада
кожні пів години вода | 02-10 15:00 +30m | вода
у вівторок о 19:00 тренування | ask |
завтра уранці о 7 біг | 02-11 07:00 | біг
""",
    "ru": """
сегодня ночью в 2 проверить сервер | 02-11 02:00 | проверить сервер
каждые полчаса размяться | 02-10 15:00 +30m | размяться
по будням в 8:00 зарядка | 02-11 08:00 +1d | зарядка
завтра в обед позвонить | ask |
завтра с утра позвонить в банк | 02-11 09:00 | позвонить в банк
""",
    "pt": """
regar as plantas toda segunda às 7h | 02-16 07:00 +7d | regar as plantas
""",
}


# ----------------------------------------------------------------------------------------------
# Scoring: `python -m tests.followup.test_when_holdout` prints the per-language table.


STEPS = {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
OUTCOMES = ("right", "text", "wrong", "asked", "refused", "crash")


@dataclass(frozen=True)
class Case:
    set: str
    lang: str
    words: str
    expected: str
    text: str

    @property
    def id(self) -> str:
        return f"{self.set}:{self.lang}:{self.words}"


SETS = {"A": PHRASINGS, "B": PHRASINGS_B, "regressions": REGRESSIONS}


def cases(only: str | None = None) -> list[Case]:
    found = []
    for name, phrasings in SETS.items():
        if only not in (None, name):
            continue
        for lang, block in phrasings.items():
            for line in block.strip().splitlines():
                words, expected, text = (part.strip() for part in line.split("|"))
                found.append(Case(name, lang, words, expected, text))
    return found


def _norm(text: str) -> str:
    return re.sub(r"[\s.,!:;]+$", "", text.strip()).casefold()


def _times(expected: str) -> tuple[set[str], timedelta | None]:
    step = None
    if m := re.search(r"\s\+(\d+)([dhm])$", expected):
        step = int(m.group(1)) * STEPS[m.group(2)]
        expected = expected[: m.start()]
    return {f"2026-{part.strip()}" for part in expected.split("/")}, step


def judge(case: Case) -> tuple[str, str]:
    """The outcome of one phrasing (right / text / wrong / asked / refused) and what was read."""
    zone = ZoneInfo(LOCAL_ZONE[case.lang])
    now = datetime(2026, 2, 10, 14, 30, tzinfo=zone)
    try:
        schedule, text = parse_reminder(case.words, now=now, tz=zone.key, lang=case.lang)
    except ReminderParseError as exc:
        return ("right" if case.expected == "refuse" else "refused"), f"refused: {exc}"
    except Exception as exc:  # counted: the bot would answer "something went wrong"
        return "crash", f"{type(exc).__name__}: {exc}"
    first = schedule.first.astimezone(zone)
    seen = f"{first:%Y-%m-%d %H:%M}"
    step_seen = None
    if schedule.rule and schedule.start_local:
        after = next_firing(schedule.rule, schedule.start_local, zone.key, schedule.first)
        step_seen = None if after is None else after - schedule.first
        seen += f" then +{step_seen}"
    seen += f" {'(unsure) ' if schedule.unsure else ''}text={text!r}"
    if schedule.unsure:
        return "asked", seen
    if case.expected in ("refuse", "ask"):
        return "wrong", seen
    times, step = _times(case.expected)
    if f"{first:%Y-%m-%d %H:%M}" not in times or step != step_seen:
        return "wrong", seen
    return ("right" if _norm(text) == _norm(case.text) else "text"), seen


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.id)
def test_no_wrong_time(case: Case) -> None:
    """A sure reading at another time than a native speaker means is the one thing never allowed."""
    outcome, seen = judge(case)
    assert outcome not in {"wrong", "crash"}, f"{case.words!r}: expected {case.expected}, got {seen}"


def table(only: str) -> str:
    counts: dict[str, Counter[str]] = {}
    for case in cases(only):
        counts.setdefault(case.lang, Counter())[judge(case)[0]] += 1
    total: Counter[str] = sum(counts.values(), Counter())
    rows = ["| lang | n | " + " | ".join(OUTCOMES) + " |", "|---|---|" + "---|" * len(OUTCOMES)]
    for lang, c in [*counts.items(), ("all", total)]:
        n = sum(c.values())
        cells = " | ".join(f"{c[o]} ({100 * c[o] / n:.0f} %)" for o in OUTCOMES)
        rows.append(f"| {lang} | {n} | {cells} |")
    return "\n".join(rows)


if __name__ == "__main__":
    import sys

    only = next((a for a in sys.argv[1:] if a in SETS), "A")
    if "-v" in sys.argv:
        for case in cases(only):
            outcome, seen = judge(case)
            if outcome != "right":
                print(
                    f"{outcome:8} {case.lang} {case.words!r} expected {case.expected} {case.text!r} -> {seen}"
                )
    print(table(only))
