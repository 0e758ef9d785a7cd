"""Secrets by their shape: what the extraction model sees after `bot.advisor.safety.redact`.

Every true positive of gitleaks' rules (literal and generated, bench/gitleaks_samples.py) is put
into two chat sentences, one without a cue and one with:

    here is my key <secret> and I like rowing
    my api token is <secret> and I like rowing

and the redacted sentence is judged: *removed* (no 8-character piece of the secret left), *partial*
(a piece of 8+ characters left) or *kept* (the secret whole). PEM private keys are also counted
apart (removed whole: neither the BEGIN line nor any piece of the body left).

The other side: every LoCoMo dev turn must come out unchanged, phone numbers in common
international formats must never be taken for a card (or anything else), and a handful of
ordinary sentences with numbers ("zip code 10115", "pin to 100") must stay as they are.
The cost: microseconds per message of `redact` on the LoCoMo turns (it runs on every message).

Held out (issue 21b: corpora other projects wrote, never tuned against): detect-secrets' and
trufflehog's test secrets in the two sentences and a bare one ("ok <secret> see you at the gym"),
libphonenumber's example number of every type in every region (E164, INTERNATIONAL, NATIONAL) in
chat sentences of 8 languages, and everyday messages with numbers in en de es fr pt ru uk it.

    .venv/bin/python bench/secrets.py [--gitleaks /work/ext/gitleaks] [--detect-secrets DIR]
        [--trufflehog DIR] [--show 10]

Needs gitleaks' sources (a clone of github.com/gitleaks/gitleaks), a checkout of Yelp/detect-secrets
and trufflehog's pkg/detectors, and exrex and phonenumbers (the bench extra).
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import os
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The repository leads sys.path, not bench/: bench/secrets.py would shadow the standard library's secrets.
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

from bench.gitleaks_samples import build  # noqa: E402
from bot.advisor.safety import clean, redact  # noqa: E402

DEFAULT_GITLEAKS = Path(os.environ.get("GITLEAKS_DIR", "/work/ext/gitleaks"))
DEFAULT_DETECT_SECRETS = Path(os.environ.get("DETECT_SECRETS_DIR", "/tmp/i21b-ext/detect-secrets"))
DEFAULT_TRUFFLEHOG = Path(os.environ.get("TRUFFLEHOG_DIR", "/tmp/i21b-ext/trufflehog"))
DEFAULT_LOCOMO = Path(os.environ.get("LOCOMO_DEV", "/work/shared/data/locomo/locomo-dev.json"))
SENTENCES = {
    "nocue": "here is my key {} and I like rowing",
    "cue": "my api token is {} and I like rowing",
}
# The held-out secrets also go into a sentence with no word before them at all: only their shape tells.
HELDOUT_SENTENCES = {**SENTENCES, "bare": "ok {} see you at the gym"}
ORDINARY = [
    "my zip code 10115 is in Mitte",
    "I moved to zip code 10115 last year",
    "I want to pin to 100 kg on the leg press",
    "set the pin to 100 on the stack",
    "the code 2024 release is out",
    "I ran 10000 steps and 12345 meters this week",
    "my order 4000 1234 5678 arrived",
    "room 1015, floor 3, gym code of conduct",
    "the area code 030 and the dress code 2024 were fine",
    "my new iPhone14ProMax tracks the RTX4090 of heart-rate monitors",
    "#ThankfulForTheLittleThings and #LegDayEveryDay, self-acceptance and well-being",
    "I logged 3x10@80kg and 5x5 on 2023-05-08T18:30 with MyFitnessPal",
    "write to anna.schmidt+gym@example.com about COVID-19 and SM-G998B",
    "my ticket number is 1234567 and order 98765",
    "1,234,567.89 steps and/or 24/7 coaching at 10km/1h05m pace",
    "I ran the Berlin-Marathon-2023 and keep a Narwhalpiccolo-7734 in my gym bag",
]

# Held out: everyday messages with numbers in the bot's languages, written for this check (never
# tuned against): prices, weights, dates, times, order and flight numbers, postcodes, heart rates,
# workout sets, hashtags, @usernames, links, emoji, long compounds and words. None may change.
EVERYDAY = [
    # en
    "Paid $49.99 for the shoes, order #A1B2C3 ships Friday 🏃",
    "Weighed 82.5 kg this morning, down from 84.1 kg on 03/14/2024",
    "Flight BA2490 leaves LHR at 07:45, gate B32, seat 14C",
    "Resting HR 52 bpm, max 187 bpm on the 5x5 squat day (3x8 RDL @ 100 kg)",
    "My postcode is SW1A 1AA and the parcel tracking is 1Z999AA10123456784",
    "Follow @coach_anna and #MondayMotivation, link: https://example.com/plan?week=3",
    "Ran 21.1 km in 1:52:08, avg pace 5:19/km, VO2max 48 💪",
    "Booking ref QX7T2P for 2 nights, check-in 15:00, room 1204",
    # de
    "Ich wiege heute 82,5 kg, Ziel sind 78 kg bis 31.12.2025",
    "Die Schuhe kosten 129,95 €, Bestellnummer 304-1234567-8912345 kommt Dienstag",
    "Flug LH 1234 um 6:40 ab FRA, Sitzplatz 23A, Gepäck 23 kg",
    "Krankenversicherungsbeitragsbemessungsgrenze und Donaudampfschifffahrtsgesellschaftskapitän 😅",
    "Puls in Ruhe 58, beim Intervalltraining 4x4 min bis 176 Schläge pro Minute",
    "Meine PLZ ist 80331, Termin am Mo., 14.04. um 17:30 Uhr im Fitnessstudio",
    "Kniebeugen 5x5 mit 100 kg, Bankdrücken 3x8 mit 72,5 kg #Beintag",
    "Rechtsschutzversicherungsgesellschaften verlangen 19,90 € im Monat",
    # es
    "Pesé 68,3 kg hoy y el objetivo son 65 kg para el 15/08/2025",
    "Pagué 35,50 € por la clase, pedido n.º 45821-ES, llega el jueves",
    "Vuelo IB3166 a las 21:15, puerta K84, código postal 28013 en Madrid",
    "Pulso en reposo 61 lpm, series 4x10 de sentadillas con 60 kg 🏋️",
    "Sígueme en @maria_fit y usa #VidaSana, más info en https://example.es/rutina",
    # fr
    "J'ai payé 59,90 € les baskets, commande n° 7845123, livraison mardi",
    "Je pèse 74,2 kg, objectif 70 kg avant le 01/06/2025 🙂",
    "Vol AF1680 à 9h35, terminal 2E, code postal 75011",
    "Fréquence cardiaque au repos 55 bpm, 3x12 pompes et 4x6 tractions",
    "anticonstitutionnellement, le 14 juillet à 22h00, 3 200 pas de plus",
    # pt
    "Paguei R$ 189,90 no tênis, pedido nº 1234-5678, chega sexta-feira",
    "Estou com 91,4 kg, meta de 85 kg até 20/12/2025 💪",
    "Voo LA3456 às 14:20, portão 12, CEP 01310-100 em São Paulo",
    "Frequência cardíaca 64 bpm em repouso, supino 4x8 com 60 kg #treino",
    # ru
    "Сегодня вешу 82,5 кг, цель 78 кг к 31.12.2025",
    "Заплатил 4 990 ₽ за кроссовки, заказ № 58214-77 приедет в среду",
    "Рейс SU1402 в 06:50, выход 27, индекс 101000, место 12F",
    "Пульс в покое 57 уд/мин, присед 5x5 по 90 кг, жим 3x8 по 60 кг 🏋️",
    "Достопримечательности и человеконенавистничество, превысокомногорассмотрительствующий",
    "Подписывайтесь на @ivan_run и #бег, подробности на https://example.ru/plan",
    # uk
    "Сьогодні важу 71,8 кг, мета 68 кг до 01.09.2025",
    "Заплатила 1 250 грн за абонемент, замовлення № 784512, поштовий індекс 01001",
    "Рейс PS9102 о 08:15, вихід 5, пульс після пробіжки 162 уд/хв",
    "Присідання 4x6 по 80 кг і станова 3x5 по 120 кг 💪 #тренування",
    "Найнезворушливіший і людиноненависницький, а потім 10 000 кроків",
    # it
    "Ho pagato 79,90 € le scarpe, ordine n. 402-998877, arriva lunedì",
    "Peso 77,4 kg, obiettivo 74 kg entro il 30/06/2025 🙂",
    "Volo AZ1025 alle 10:05, gate B12, CAP 20121 a Milano",
    "Frequenza cardiaca a riposo 59 bpm, squat 5x5 con 85 kg #allenamento",
    "precipitevolissimevolmente, poi 12.500 passi e 2,5 litri d'acqua",
]

# --- held out: secrets other projects wrote as true positives (never looked at while writing the rules)

# detect-secrets' plugin tests: `(line, True)` pairs; these plugins' lines are the key, maybe after a
# "name=" / "name: " (the keyword plugin, basic auth in URLs, public IPs and templates are left out).
_DS_SKIP = {"base_test.py", "basic_auth_test.py", "ip_public_test.py", "keyword_test.py"}
# A run of one character repeated 8 times ("AKIAZZZZZZZZZZZZZZZZ", "AP6xxxxxxxxxx") is a test filler,
# not a key anybody sends: counted apart, not judged.
_FILLER = re.compile(r"(.)\1{7}")


def detect_secrets_samples(root: Path) -> tuple[list[tuple[str, str]], int]:
    """(plugin, secret) of detect-secrets' tests/plugins/*_test.py true positives, and fillers left out."""
    found: dict[str, str] = {}
    fillers = 0
    for path in sorted((root / "tests" / "plugins").glob("*_test.py")):
        if path.name in _DS_SKIP:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Tuple) and len(node.elts) >= 2):
                continue
            flag = node.elts[-1]
            if not (isinstance(flag, ast.Constant) and flag.value is True):
                continue
            try:
                line = ast.literal_eval(node.elts[0])
            except ValueError:
                continue
            if not isinstance(line, str) or "{" in line:
                continue
            secret = re.sub(r"^[\w./:-]*?(?:=|: )\s*", "", line.strip(" \"'")).strip(" \"'")
            if _FILLER.search(secret):
                fillers += 1
            elif len(secret) >= 8:
                found.setdefault(secret, path.name.removesuffix("_test.py"))
    return [(plugin, secret) for secret, plugin in found.items()], fillers


_GO_VALID = re.compile(r'^\s*(\w*[vV]alid\w*)\s*=\s*"((?:[^"\\\n]|\\.)*)"', re.M)
_GO_WANT = re.compile(r'want:\s*\[\]string\{\s*"((?:[^"\\\n]|\\.)*)"\s*\}')


def trufflehog_samples(root: Path) -> list[tuple[str, str]]:
    """(detector, secret) from trufflehog's pkg/detectors/*/*_test.go: `validPattern = "…"` string
    literals and one-string `want: []string{"…"}`; one token of 8+ characters with a digit or both
    cases (a word such as "redirect_uri_mismatch" is an error name, not a key), no URL, no escapes."""
    found: dict[str, str] = {}
    for path in sorted((root / "pkg" / "detectors").rglob("*_test.go")):
        if "integration" in path.name:
            continue
        text = path.read_text(errors="replace")
        values = [m.group(2) for m in _GO_VALID.finditer(text) if "nvalid" not in m.group(1)]
        values += [m.group(1) for m in _GO_WANT.finditer(text)]
        for value in values:
            if not re.fullmatch(r"[^\s\\%]{8,}", value) or "://" in value:
                continue
            mixed = re.search(r"\d", value) or (re.search(r"[a-z]", value) and re.search(r"[A-Z]", value))
            if mixed and not _FILLER.search(value):
                found.setdefault(value, path.parent.name)
    return [(detector, secret) for secret, detector in found.items()]


def judge_all(samples: list[tuple[str, str]]) -> tuple[dict[str, dict[str, int]], list[str]]:
    counts = {kind: {"removed": 0, "partial": 0, "kept": 0} for kind in HELDOUT_SENTENCES}
    misses = []
    for source, secret in samples:
        for kind, template in HELDOUT_SENTENCES.items():
            out = redact(template.format(secret))
            verdict = judge(secret, out)
            counts[kind][verdict] += 1
            if verdict != "removed":
                misses.append(f"{verdict:7} {kind:5} {source}: {out[:140]!r}")
    return counts, misses


# Chat sentences around a phone number, in the bot's languages.
PHONE_SENTENCES = [
    "my number is {}",
    "call me at {} after the gym",
    "ruf mich an unter {}, danke",
    "meine Handynummer: {}",
    "мой номер {}",
    "мій номер {}, дзвоніть",
    "mi número es {}",
    "mon numéro est le {}",
    "meu número é {} (WhatsApp)",
    "il mio numero è {}",
]


def region_phone_numbers() -> list[tuple[str, str]]:
    """(region:type:format, number): libphonenumber's example number of every type in every region
    (and every non-geographic calling code) as E164, INTERNATIONAL and NATIONAL."""
    import phonenumbers
    from phonenumbers import PhoneNumberFormat, PhoneNumberType

    types = [
        (name, value)
        for name, value in vars(PhoneNumberType).items()
        if name.isupper() and value not in (PhoneNumberType.UNKNOWN, PhoneNumberType.FIXED_LINE_OR_MOBILE)
    ]
    examples: list[tuple[str, object]] = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for name, value in types:
            number = phonenumbers.example_number_for_type(region, value)
            if number is not None:
                examples.append((f"{region}:{name}", number))
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        number = phonenumbers.example_number_for_non_geo_entity(code)
        if number is not None:
            examples.append((f"+{code}:NON_GEO", number))
    out = []
    for label, number in examples:
        for fmt in ("E164", "INTERNATIONAL", "NATIONAL"):
            text = phonenumbers.format_number(number, getattr(PhoneNumberFormat, fmt))
            out.append((f"{label}:{fmt}", text))
    return list(dict.fromkeys(out))


def phone_numbers(rng: random.Random, each: int) -> list[str]:
    """Numbers in the ways people write them in DE, US, UK, FR, RU, UA, BR, IN, ES, IT, CN, JP."""

    def d(count: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(count))

    formats = [
        lambda: f"+49 151 {d(4)} {d(4)}",
        lambda: f"+49 1512 {d(7)}",
        lambda: f"+49 (0)171 {d(7)}",
        lambda: f"0049 160 {d(8)}",
        lambda: f"+49 30 {d(8)}",
        lambda: f"+4915{d(9)}",
        lambda: f"+1 {d(3)} {d(3)} {d(4)}",
        lambda: f"+1 ({d(3)}) {d(3)}-{d(4)}",
        lambda: f"+1-{d(3)}-{d(3)}-{d(4)}",
        lambda: f"+44 7{d(3)} {d(6)}",
        lambda: f"+44 (0)20 {d(4)} {d(4)}",
        lambda: f"+33 6 {d(2)} {d(2)} {d(2)} {d(2)}",
        lambda: f"+7 9{d(2)} {d(3)}-{d(2)}-{d(2)}",
        lambda: f"+7 (9{d(2)}) {d(3)}-{d(2)}-{d(2)}",
        lambda: f"+380 {d(2)} {d(3)} {d(4)}",
        lambda: f"+55 11 9{d(4)}-{d(4)}",
        lambda: f"+91 {d(5)} {d(5)}",
        lambda: f"+34 6{d(2)} {d(2)} {d(2)} {d(2)}",
        lambda: f"+39 3{d(2)} {d(3)} {d(4)}",
        lambda: f"+86 13{d(1)} {d(4)} {d(4)}",
        lambda: f"+81 90-{d(4)}-{d(4)}",
        lambda: f"+351 9{d(2)} {d(3)} {d(3)}",
    ]
    return [fmt() for fmt in formats for _ in range(each)]


def judge(secret: str, out: str) -> str:
    secret = clean(secret)
    if secret in out:
        return "kept"
    if len(secret) >= 8 and any(secret[i : i + 8] in out for i in range(len(secret) - 7)):
        return "partial"
    return "removed"


def cost_us(function: Callable[[str], str], messages: list[str], passes: int = 5) -> float:
    """Microseconds per message of `function`, best of `passes` (the machine is shared)."""
    best = float("inf")
    for _ in range(passes):
        start = time.perf_counter()
        for message in messages:
            function(message)
        best = min(best, time.perf_counter() - start)
    return best / len(messages) * 1e6


def locomo_turns(path: Path) -> list[str]:
    data = json.loads(path.read_text())
    turns = []
    for sample in data:
        conv = sample["conversation"]
        for key, value in conv.items():
            if key.startswith("session_") and isinstance(value, list):
                turns += [turn["text"] for turn in value]
    return turns


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gitleaks", type=Path, default=DEFAULT_GITLEAKS)
    parser.add_argument("--locomo", type=Path, default=DEFAULT_LOCOMO)
    parser.add_argument("--detect-secrets", type=Path, default=DEFAULT_DETECT_SECRETS)
    parser.add_argument("--trufflehog", type=Path, default=DEFAULT_TRUFFLEHOG)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--show", type=int, default=0, help="print up to N misses of each kind")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another safety.py (e.g. main's): its redact is timed alternately with this one's on LoCoMo",
    )
    args = parser.parse_args()

    built = build(args.gitleaks, seed=args.seed)
    samples = built.samples
    n = len(samples)
    counts = {kind: {"removed": 0, "partial": 0, "kept": 0} for kind in SENTENCES}
    misses: dict[str, list[str]] = {kind: [] for kind in SENTENCES}
    pem = pem_whole = 0
    for sample in samples:
        is_pem = "PRIVATE KEY" in sample.secret
        pem += is_pem
        whole = True
        for kind, template in SENTENCES.items():
            out = redact(template.format(sample.secret))
            verdict = judge(sample.secret, out)
            counts[kind][verdict] += 1
            whole = whole and verdict == "removed" and "BEGIN" not in out
            if verdict != "removed":
                misses[kind].append(f"{verdict:7} {sample.rule}: {out[:160]!r}")
        pem_whole += is_pem and whole
    # the same secrets with no word before them ("here is my key" names a key since issue 21b)
    bare = {"removed": 0, "partial": 0, "kept": 0}
    for sample in samples:
        bare[judge(sample.secret, redact(HELDOUT_SENTENCES["bare"].format(sample.secret)))] += 1

    turns = locomo_turns(args.locomo)
    changed = [turn for turn in turns if redact(turn) != clean(turn)]
    per_message_us = cost_us(redact, turns)

    phones = phone_numbers(random.Random(args.seed), 40)
    phone_changed = []
    for phone in phones:
        sentence = f"call me at {phone} after the gym"
        if redact(sentence) != clean(sentence):
            phone_changed.append(f"{sentence!r} -> {redact(sentence)!r}")
    ordinary_changed = [f"{s!r} -> {redact(s)!r}" for s in ORDINARY if redact(s) != clean(s)]
    everyday_changed = [f"{s!r} -> {redact(s)!r}" for s in EVERYDAY if redact(s) != clean(s)]
    region_phones = region_phone_numbers()
    region_changed: dict[str, str] = {}
    region_sentences_changed = 0
    for label, number in region_phones:
        for template in PHONE_SENTENCES:
            sentence = template.format(number)
            if (out := redact(sentence)) != clean(sentence):
                region_sentences_changed += 1
                region_changed.setdefault(label, f"{label} {sentence!r} -> {out!r}")
    ds_samples, ds_fillers = detect_secrets_samples(args.detect_secrets)
    th_samples = trufflehog_samples(args.trufflehog)
    heldout = {"detect-secrets": judge_all(ds_samples), "trufflehog": judge_all(th_samples)}
    heldout_n = {"detect-secrets": len(ds_samples), "trufflehog": len(th_samples)}

    def pct(value: int, total: int) -> str:
        return f"{100 * value / total:.1f}%" if total else "n/a"

    print(
        f"gitleaks samples: {n} secrets from {len({s.rule for s in samples})} rules "
        f"({sum(s.generated for s in samples)} generated; {built.unreadable} expressions unreadable, "
        f"{built.unmatched} literal lines unmatched)"
    )
    print()
    print("| sentence | removed | a piece of 8+ characters left | kept whole |")
    print("|---|---|---|---|")
    for kind, c in counts.items():
        print(f"| {kind} | {pct(c['removed'], n)} | {pct(c['partial'], n)} | {pct(c['kept'], n)} |")
    cells = " | ".join(pct(bare[verdict], n) for verdict in ("removed", "partial", "kept"))
    print(f"| bare (no word before it) | {cells} |")
    print()
    print(f"PEM private keys removed whole: {pem_whole}/{pem}")
    print(f"LoCoMo dev turns changed: {len(changed)}/{len(turns)}")
    print(f"redact: {per_message_us:.0f} µs per message (best of 5 passes over the {len(turns)} turns)")
    if args.baseline:
        spec = importlib.util.spec_from_file_location("baseline_safety", args.baseline)
        assert spec is not None
        assert spec.loader is not None
        baseline = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(baseline)
        pairs = [(cost_us(baseline.redact, turns), cost_us(redact, turns)) for _ in range(3)]
        print(
            "alternating (baseline µs, this µs): "
            + ", ".join(f"({a:.0f}, {b:.0f})" for a, b in pairs)
            + f"; ratio {min(b for _, b in pairs) / min(a for a, _ in pairs):.2f}"
        )
    print(f"phone numbers changed: {len(phone_changed)}/{len(phones)}")
    print(f"ordinary sentences changed: {len(ordinary_changed)}/{len(ORDINARY)}")
    print(
        f"libphonenumber example numbers changed: {len(region_changed)}/{len(region_phones)} "
        f"(every region and type, E164 / INTERNATIONAL / NATIONAL; "
        f"{region_sentences_changed}/{len(region_phones) * len(PHONE_SENTENCES)} sentences in 8 languages)"
    )
    print(f"everyday messages (en de es fr pt ru uk it) changed: {len(everyday_changed)}/{len(EVERYDAY)}")
    print()
    print(
        f"held out: detect-secrets' plugin tests ({heldout_n['detect-secrets']} secrets, "
        f"{ds_fillers} fillers left out), trufflehog's detector tests ({heldout_n['trufflehog']} secrets "
        f"of {len({d for d, _ in th_samples})} detectors)"
    )
    print()
    print("| source | sentence | removed | a piece of 8+ characters left | kept whole |")
    print("|---|---|---|---|---|")
    for source, (c_by_kind, _) in heldout.items():
        m = heldout_n[source]
        for kind, c in c_by_kind.items():
            cells = " | ".join(pct(c[verdict], m) for verdict in ("removed", "partial", "kept"))
            print(f"| {source} | {kind} | {cells} |")
    if args.show:
        for kind in SENTENCES:
            for line in misses[kind][: args.show]:
                print(f"  miss {kind}: {line}")
        for line in changed[: args.show]:
            print(f"  locomo: {line[:160]!r} -> {redact(line)[:160]!r}")
        for line in (phone_changed + ordinary_changed + everyday_changed)[: args.show]:
            print(f"  changed: {line}")
        for line in list(region_changed.values())[: args.show]:
            print(f"  phone: {line}")
        for source, (_, source_misses) in heldout.items():
            for line in source_misses[: args.show]:
                print(f"  miss {source}: {line}")
    partial = counts["nocue"]["partial"] + counts["cue"]["partial"]
    kept = counts["nocue"]["kept"] + counts["cue"]["kept"]
    print(
        f"secrets n={n} removed_nocue={pct(counts['nocue']['removed'], n)} "
        f"removed_cue={pct(counts['cue']['removed'], n)} "
        f"partial={pct(partial, 2 * n)} kept={pct(kept, 2 * n)} "
        f"locomo_changed={len(changed)} phones_changed={len(phone_changed)} "
        f"removed_bare={pct(bare['removed'], n)} "
        + " ".join(
            f"{source.replace('-', '_')}_removed_{kind}={pct(c['removed'], heldout_n[source])}"
            for source, (counts_, _) in heldout.items()
            for kind, c in counts_.items()
        )
        + f" region_phones_changed={len(region_changed)} everyday_changed={len(everyday_changed)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
