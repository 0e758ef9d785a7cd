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

    .venv/bin/python bench/secrets.py [--gitleaks /work/ext/gitleaks] [--show 10]

Needs gitleaks' sources (a clone of github.com/gitleaks/gitleaks) and exrex (the bench extra).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file shares its name with the standard library's `secrets`: its folder goes to the end of the
# path, so a library importing `secrets` gets the standard one.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))

from gitleaks_samples import build  # noqa: E402

from bot.advisor.safety import clean, redact  # noqa: E402

DEFAULT_GITLEAKS = Path(os.environ.get("GITLEAKS_DIR", "/work/ext/gitleaks"))
DEFAULT_LOCOMO = Path(os.environ.get("LOCOMO_DEV", "/work/shared/data/locomo/locomo-dev.json"))
SENTENCES = {
    "nocue": "here is my key {} and I like rowing",
    "cue": "my api token is {} and I like rowing",
}
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
    if args.show:
        for kind in SENTENCES:
            for line in misses[kind][: args.show]:
                print(f"  miss {kind}: {line}")
        for line in changed[: args.show]:
            print(f"  locomo: {line[:160]!r} -> {redact(line)[:160]!r}")
        for line in (phone_changed + ordinary_changed)[: args.show]:
            print(f"  changed: {line}")
    partial = counts["nocue"]["partial"] + counts["cue"]["partial"]
    kept = counts["nocue"]["kept"] + counts["cue"]["kept"]
    print(
        f"secrets n={n} removed_nocue={pct(counts['nocue']['removed'], n)} "
        f"removed_cue={pct(counts['cue']['removed'], n)} "
        f"partial={pct(partial, 2 * n)} kept={pct(kept, 2 * n)} "
        f"locomo_changed={len(changed)} phones_changed={len(phone_changed)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
