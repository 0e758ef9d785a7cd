"""How well /remind reads times: Duckling's time corpora sent through bot.followup's parser.

    .venv/bin/python bench/reminders_parse.py /work/ext/duckling [--show wrong,refused,bare] [--lang uk]

The corpus is built from a checkout of facebook/duckling given on the command line:
`Duckling/Time/<LANG>/Corpus.hs` for en es de fr pt ru it uk, the `allExamples` list of each (the
examples Duckling's own tests resolve at its reference time, Tuesday 2013-02-12 04:30 at UTC-2,
`testContext` in Duckling/Testing/Types.hs). Kept: examples of `datetime (…) Grain` with a grain of
Second, Minute, Hour or Day that lie after the reference time (single future points). Left out:
intervals, open intervals, holidays, weeks, months and years, and the past. A phrase listed twice in
a language is kept once (its first value).

Each phrase is sent as `/remind <phrase> call mom`, i.e. `parse_reminder("<phrase> call mom")` at
the reference time in the zone Etc/GMT+2 (UTC-2). Outcomes:

- right: the time is Duckling's (to the second for Second grain, the minute otherwise; a Day
  grain phrase, a date without a time, must fire at 09:00 that day) and the text is "call mom";
- wrong: accepted (or offered for confirmation) at another time, or with words left in the text;
- refused: not scheduled; `misleading` counts the refusals whose reason is false for a future
  moment ("has already passed", "After every…", "What should I remind you of?", …): the honest ones
  say the time could not be read, or that it is too far ahead.

Bare clocks ("3:30", "at 7", "um 8"): an hour from 1 to 12 with no am/pm, no part of the day and no
24-hour form. Duckling reads them as the next such time of either half of the day; a person may mean
either. They are counted apart (not in n) and shown: read as Duckling, 12 h apart, refused, and how
many of them the parser marks as unsure (the bot then asks before scheduling).

The last line: remind_parse n=… right=… wrong=… refused=… misleading=… (plus the bare clocks).
"""

from __future__ import annotations

import argparse
import inspect
import os
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The repository leads sys.path, not bench/: bench/secrets.py would shadow the standard library's secrets.
sys.path[:] = [str(REPO), *(p for p in sys.path if Path(p or ".").resolve() != REPO / "bench")]

from bot.followup.when import ReminderParseError, parse_reminder  # noqa: E402

LANGS = ("en", "es", "de", "fr", "pt", "ru", "it", "uk")
ZONE = "Etc/GMT+2"  # Duckling's reference offset, -2 h
REF_LOCAL = datetime(2013, 2, 12, 4, 30, 0)
REF_UTC = REF_LOCAL + timedelta(hours=2)
TEXT = "call mom"
GRAINS = ("Second", "Minute", "Hour", "Day")
DATE_ONLY_HOUR = 9

_BLOCK = re.compile(
    r"examples\s*\(\s*datetime\s*\(\s*(\d+),\s*(\d+),\s*(\d+),\s*(\d+),\s*(\d+),\s*(\d+)\s*\)\s*(\w+)\s*\)"
    r"\s*\[(.*?)\]",
    re.S,
)
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')

# Words that fix the half of the day (or show a 24-hour clock), in the eight languages.
_HALF_OF_DAY = re.compile(
    r"(?:(?<=\d)|\b)(?:a\.?\s?m\b\.?|p\.?\s?m\b\.?)|\b(?:noon|midnight|morning|afternoon|evening|night|tonight|"
    r"matin|soir|soirée|après-midi|apres-midi|aprem|nuit|midi|minuit|"
    r"madrugada|mañana|manana|tarde|noche|mediodía|mediodia|medianoche|manhã|manha|noite|meio-dia|"
    r"meia-noite|früh|frueh|morgens|vormittags?|nachmittags?|abends?|nachts?|mittags?|mitternacht|"
    r"mattin[ao]|pomeriggio|sera|stasera|notte|mezzogiorno|mezzanotte|"
    r"утра|утром|дня|вечера|вечером|ночи|полдень|полночь|пополудни|полудня|ранку|вечора|ночі|опівдні|"
    r"опівночі|mat)\b",
    re.IGNORECASE,
)
# A clock hour in the phrase: "3:30", "3.30" with minutes, "3h", "at 3" style; captured hour.
_CLOCK = re.compile(
    r"(?<![\d./:-])(\d{1,2})(?:\s?[:h]\s?\d{2}|\s?h\b|(?=\s*(?:o'?clock|uhr|heures?|horas?|ore|час|годин)))"
    r"|(?:\b(?:at|um|à|a\s+las|a\s+la|às|as|alle|alle\s+ore|в|о|об)\s+)(\d{1,2})(?![\d.:/])",
    re.IGNORECASE,
)

# "in 3 hours" is not a clock.
_RELATIVE = re.compile(
    r"\b(?:in|within|from now|hence|dans|en|em|daqui|dentro|tra|fra|через|за|binnen|plus tard|later|después|"
    r"depois|dopo|après|from today)\b",
    re.IGNORECASE,
)

# Holidays are left out of the corpus as the issue says; Italian lists them as plain dates.
HOLIDAYS = re.compile(
    r"christmas|easter|thanksgiving|ides|navidad|nochevieja|a[nñ]o nuevo|natal|ano novo|reveillon|"
    r"v[eé]spera|no[eë]l|toussaint|jour de l'an|nouvel an|f[eê]te|morts|weihnachten|natale|vigilia|"
    r"capodanno|idi di|morti|silvestro|epifania|befana|valentino|festa|liberazione|repubblica|ferragosto|"
    r"assunzione|"
    r"halloween|santi|defunti|immacolata|stefano|dell'anno|innamorati|giuseppe|lavoratori|primo maggio|"
    r"різдва|рождества",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Example:
    lang: str
    phrase: str
    grain: str
    expected: datetime  # local wall-clock time at UTC-2

    @property
    def bare_clock(self) -> bool:
        """An hour of 1-12 with nothing saying which half of the day."""
        if self.grain == "Day" or _HALF_OF_DAY.search(self.phrase) or _RELATIVE.search(self.phrase):
            return False
        hours = [int(a or b) for a, b in _CLOCK.findall(self.phrase)]
        return bool(hours) and all(1 <= h <= 12 for h in hours) and not re.search(r"\b0\d[:h.]", self.phrase)


def build_corpus(duckling: Path, langs: tuple[str, ...] = LANGS) -> list[Example]:
    corpus: list[Example] = []
    for lang in langs:
        source = (duckling / "Duckling" / "Time" / lang.upper() / "Corpus.hs").read_text(encoding="utf-8")
        source = source[source.index("allExamples :: [Example]") :]
        seen: set[str] = set()
        for block in _BLOCK.finditer(source):
            *numbers, grain, strings = block.groups()
            if grain not in GRAINS:
                continue
            expected = datetime(*(int(n) for n in numbers))  # type: ignore[misc]
            if expected <= REF_LOCAL:
                continue
            if grain == "Day":
                expected = expected.replace(hour=DATE_ONLY_HOUR)
            for raw in _STRING.findall(strings):
                phrase = raw.replace('\\"', '"')
                if phrase.lower() not in seen and not HOLIDAYS.search(phrase):
                    seen.add(phrase.lower())
                    corpus.append(Example(lang, phrase, grain, expected))
    return corpus


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: str  # right | wrong | refused
    got: str  # what the parser said
    misleading: bool = False
    unsure: bool = False
    twelve_apart: bool = False


_HONEST = ("I couldn't tell when", "too far ahead", "I can't tell", "more than")


def judge(example: Example) -> Outcome:
    try:
        schedule, text = parse_reminder(
            f"{example.phrase} {TEXT}", now=_ref_aware(), tz=ZONE, **_lang(example)
        )
    except ReminderParseError as exc:
        message = str(exc).splitlines()[0]
        honest = any(marker in message for marker in _HONEST)
        return Outcome("refused", message, misleading=not honest)
    local = schedule.first.astimezone(_zone()).replace(tzinfo=None)
    unsure = bool(getattr(schedule, "unsure", False))
    got = f"{local:%Y-%m-%d %H:%M:%S} | {text}"
    delta = abs((local - example.expected).total_seconds())
    if example.grain == "Second":
        time_right = local == example.expected
    elif example.grain == "Hour":  # Duckling cuts "in 7 days" to the hour
        time_right = local.replace(minute=0, second=0) == example.expected
    elif example.grain == "Day" and _RELATIVE.search(example.phrase):  # "in a week": the time of day kept
        time_right = local.date() == example.expected.date() and local.time() in (
            example.expected.time(),
            REF_LOCAL.time(),
        )
    else:
        time_right = local.replace(second=0) == example.expected.replace(second=0)
    apart = abs(delta - 12 * 3600) < 60
    kind = "right" if time_right and text == TEXT else "wrong"
    return Outcome(kind, got, unsure=unsure, twelve_apart=apart)


def _lang(example: Example) -> dict[str, str]:
    """The person's language, as the bot passes it (the parser before issue 20 took none)."""
    return {"lang": example.lang} if "lang" in inspect.signature(parse_reminder).parameters else {}


def _zone():  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo(ZONE)


def _ref_aware() -> datetime:
    from datetime import UTC

    return REF_UTC.replace(tzinfo=UTC)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"


def report(results: list[tuple[Example, Outcome]]) -> str:
    rows = [
        "| lang | n | right | wrong | refused | misleading "
        "| bare clocks: n / as Duckling / 12 h apart / unsure / refused |"
    ]
    rows.append("|---|---|---|---|---|---|---|")
    total: Counter[str] = Counter()
    for lang in [*LANGS, "all"]:
        mine = [(e, o) for e, o in results if lang in (e.lang, "all")]
        if not mine:
            continue
        plain = [o for e, o in mine if not e.bare_clock]
        bare = [o for e, o in mine if e.bare_clock]
        c = Counter(o.kind for o in plain)
        mis = sum(o.misleading for o in plain)
        b = Counter(o.kind for o in bare)
        bare_cell = (
            f"{len(bare)} / {b['right']} / {sum(o.twelve_apart for o in bare)} / "
            f"{sum(o.unsure for o in bare)} / {b['refused']}"
        )
        n = len(plain)
        rows.append(
            f"| {lang} | {n} | {c['right']} ({_pct(c['right'], n)}) | {c['wrong']} ({_pct(c['wrong'], n)}) | "
            f"{c['refused']} ({_pct(c['refused'], n)}) | {mis} | {bare_cell} |"
        )
        if lang == "all":
            total.update(c)
            total["misleading"] = mis
            total["n"] = n
            total["bare"] = len(bare)
            total["bare_duckling"] = b["right"]
            total["bare_apart"] = sum(o.twelve_apart for o in bare)
            total["bare_unsure"] = sum(o.unsure for o in bare)
    rows.append("")
    rows.append(
        f"remind_parse n={total['n']} right={total['right']} wrong={total['wrong']} "
        f"refused={total['refused']} "
        f"misleading={total['misleading']} bare={total['bare']} bare_as_duckling={total['bare_duckling']} "
        f"bare_12h_apart={total['bare_apart']} bare_unsure={total['bare_unsure']}"
    )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("duckling", type=Path, help="a checkout of github.com/facebook/duckling")
    parser.add_argument(
        "--lang", default=",".join(LANGS), help="comma-separated subset of " + ",".join(LANGS)
    )
    parser.add_argument(
        "--show", default="", help="print examples of these outcomes: wrong,refused,bare,right"
    )
    args = parser.parse_args()
    langs = tuple(lang for lang in args.lang.split(",") if lang)
    corpus = build_corpus(args.duckling, langs)
    started = time.process_time()
    results = [(example, judge(example)) for example in corpus]
    cpu = time.process_time() - started
    show = set(args.show.split(",")) - {""}
    for example, outcome in results:
        label = "bare" if example.bare_clock else outcome.kind
        if label in show or (outcome.misleading and "misleading" in show):
            flags = " (unsure)" if outcome.unsure else ""
            print(
                f"{label:7} {example.lang} {example.phrase!r:40} want {example.expected:%Y-%m-%d %H:%M:%S} "
                f"got {outcome.got}{flags}"
            )
    print(
        f"{len(corpus)} phrases, {cpu:.1f} s CPU ({1000 * cpu / max(1, len(corpus)):.1f} ms each), "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(report(results))


if __name__ == "__main__":
    main()
