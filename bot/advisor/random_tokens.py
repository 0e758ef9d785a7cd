"""Keys nobody announced: a run of characters that looks drawn at random, not written.

gitleaks' rules (bot/advisor/secret_rules.py) know a key by its prefix (`hf_`, `AKIA`, `xoxb-`)
or by the word before it in a config file (`adafruit_key = …`). In a chat message a key often comes
bare ("here is my key tiokyjzcas3m5o94d"), so a token (a run without spaces, quotes or brackets) is
also taken for a secret when its characters alternate the way random ones do and words never do:

- letters and digits mixed (3+ switches between them in 12+ characters, 5+ in 10+):
  `29x2s7wfb1kf1wy`, `Sk94HG7f6KB`; a UUID;
- a long run of digits that is no phone number or card (16+, not `00…`): client ids;
- letters whose case flips inside runs the way random case does (14+): `hf_jCBaQngSHiHDRY…`;
- a digit and 8+ letters, under a quarter of them vowels (14+): `ndbtzgoosdfyij9`;
- upper, lower, digit and a symbol together, digits among the letters (10+): `P@ssw0rd$1`.

Each also needs a Shannon entropy of 2.5 bits per character or more ("aaaa1111bbbb2222" is no key).
A parcel's UPS tracking number or a car's VIN whose check digit holds never counts.
Words with hyphens and apostrophes (`self-acceptance`, `neighborhood's`), links, e-mail addresses and
phone numbers (`+4915…`) never count. None of the 1,451 LoCoMo dev turns has such a token
(bench/secrets.py).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from itertools import pairwise

_TOKEN = re.compile(r"[^\s\"'`«»“”„()\[\]{}<>,;]{10,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_SYMBOLS = frozenset("!@#$%^&*~+=/\\|?:._-")
_UUID = re.compile(r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}", re.IGNORECASE)


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _kind(char: str) -> str:
    if char.isdigit():
        return "d"
    if char.isupper():
        return "U"
    if char.islower():
        return "l"
    return "s"


def _runs(token: str) -> list[tuple[str, int]]:
    runs: list[tuple[str, int]] = []
    for char in token:
        kind = _kind(char)
        if runs and runs[-1][0] == kind:
            runs[-1] = (kind, runs[-1][1] + 1)
        else:
            runs.append((kind, 1))
    return runs


def _random_case(runs: list[tuple[str, int]]) -> bool:
    """Case that flips like random letters: capitals in twos before small letters, lone small ones.

    CamelCase ("ThankfulForTheLittleThings") has one capital then 2+ small letters; random case has
    runs of two or more capitals followed by small ones, and small letters alone between capitals.
    """
    odd = 0
    digits = any(kind == "d" for kind, _ in runs)
    for index, (kind, length) in enumerate(runs):
        following = runs[index + 1][0] if index + 1 < len(runs) else ""
        previous = runs[index - 1][0] if index else ""
        capitals_then_small = kind == "U" and length >= 2 and following == "l"
        lone_small = kind == "l" and length == 1 and previous == "U" and following == "U"
        odd += capitals_then_small or lone_small
    return odd >= (2 if digits else 3)


def _few_vowels(token: str) -> bool:
    """Letters drawn at random are a fifth vowels; written words are two fifths."""
    letters = [c for c in token.lower() if c.isalpha()]
    return sum(c in "aeiou" for c in letters) < 0.25 * len(letters)


_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMNPR", (1, 2, 3, 4, 5, 7, 9), strict=True)),
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def _label_code(token: str) -> bool:
    """A code printed on a label whose check digit holds, as a card's Luhn digit does: a UPS
    tracking number (`1Z999AA10123456784`) or a vehicle's VIN (`1HGCM82633A004352`). Random
    capitals and digits pass one of the checks one time in ten, and only at exactly that length."""
    if len(token) == 18 and token.startswith("1Z") and token[2:].isalnum() and token.isupper():
        values = [int(c) if c.isdigit() else (ord(c) - 63) % 10 for c in token[2:17]]
        total = sum(v * 2 if i % 2 else v for i, v in enumerate(values))
        return token[17] == str((10 - total % 10) % 10)
    if len(token) == 17 and all(c in _VIN_VALUES for c in token):
        total = sum(_VIN_VALUES[c] * w for c, w in zip(token, _VIN_WEIGHTS, strict=True)) % 11
        return token[8] == ("X" if total == 10 else str(total))
    return False


def looks_random(token: str) -> bool:
    """True when `token` (no spaces) looks like a key or password rather than a word or number."""
    if "://" in token or token.lower().startswith("www.") or _EMAIL.fullmatch(token):
        return False
    if token.isdigit():
        return len(token) >= 16 and not token.startswith("00")
    if _UUID.fullmatch(token):
        return True
    letters = sum(c.isalpha() for c in token)
    digits = sum(c.isdigit() for c in token)
    if not letters or _entropy(token) < 2.5 or _label_code(token):
        return False
    runs = _runs(token)
    switches = sum(1 for a, b in pairwise(runs) if {a[0], b[0]} in ({"d", "l"}, {"d", "U"}))
    if digits >= 2 and (switches >= 5 or (len(token) >= 12 and switches >= 3)):
        return True
    if len(token) >= 14 and _random_case(runs):
        return True
    if len(token) >= 14 and digits and letters >= 8 and _few_vowels(token):
        return True
    kinds = {kind for kind, _ in runs}
    # "Berlin-Marathon-2023" has all four too, but its digits do not sit among its letters
    return kinds == {"U", "l", "d", "s"} and switches >= 2 and any(c in _SYMBOLS for c in token)


def random_token_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every token in `text` that looks random (trailing sentence marks left out)."""
    out: list[tuple[int, int]] = []
    for match in _TOKEN.finditer(text):
        token = match.group().rstrip(".!?:")
        if len(token) >= 10 and looks_random(token):
            out.append((match.start(), match.start() + len(token)))
    return out
