"""The words of a /remind phrase as tokens: numbers with their suffixes, numeric dates and clocks,
words looked up in the lexicon (longest phrase first), each with its place in the original text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.followup.lexicon import Sense, fold, merged

_TOKEN = re.compile(
    r"(?P<ampm>\b[ap]\.\s?m\b\.?)"
    r"|(?P<elided>(?:l|d|dell|all|nell|dall|sull|un|qu|j|s|c|n)['’ʼ])(?=[^\W\d_])"
    r"|(?P<num>\d+(?:[-:./,hHчЧ]\d+)*)(?P<suffix>-?[^\W\d_]+|[ºª°])?(?P<dot>\.)?"
    r"|(?P<word>[^\W\d_]+(?:['’ʼ][^\W\d_]*)*(?:-[^\W\d_]+)*)"
    r"|(?P<punct>[^\w\s])",
)
# A number's own suffix: an ordinal ("15th", "1er", "18-го", "15ten") or an hour ("15h", "17ч").
ORDINAL_SUFFIXES = frozenset(
    [
        "st",
        "nd",
        "rd",
        "th",
        "er",
        "re",
        "ere",
        "eme",
        "ieme",
        "e",
        "o",
        "a",
        "te",
        "ten",
        "ter",
        "tes",
        "go",
        "ogo",
        "ego",
        "ye",
        "oe",
        "ogo",
        "ого",
        "его",
        "е",
        "ое",
        "ей",
        "го",
        "ий",
        "ого",
        "º",
        "ª",
        "°",
    ]
)
HOUR_SUFFIXES = frozenset({"h", "ч", "uhr"})


@dataclass(slots=True)
class Token:
    text: str  # as written
    start: int
    end: int
    folded: str
    number: int | None = None  # a plain number ("15", "15th", "15h")
    numeric: str | None = None  # digits with separators ("15:30", "15.02.", "2,5", "1/4")
    ordinal: bool = False
    hour_suffix: bool = False
    dot: bool = False  # "15." / "10.12."
    senses: list[Sense] = field(default_factory=list)  # for words: what the lexicon says (one-word)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        if match.group("ampm"):
            value = "am" if match.group("ampm")[0] in "aA" else "pm"
            tokens.append(Token(match.group(), match.start(), match.end(), value))
        elif match.group("num"):
            tokens.extend(_number_tokens(match))
        else:
            tokens.append(Token(match.group(), match.start(), match.end(), fold(match.group())))
    return tokens


def _number_tokens(match: re.Match[str]) -> list[Token]:
    raw, suffix = match.group("num"), match.group("suffix")
    end_num = match.end("num")
    dot = bool(match.group("dot"))
    token = Token(raw, match.start(), end_num, raw, dot=dot and not suffix)
    if raw.isdigit():
        token.number = int(raw)
    else:
        token.numeric = raw.lower()
    if not suffix:
        if dot:
            token.end += 1
            token.text += "."
        return [token]
    folded = fold(suffix).lstrip("-")
    if folded in ORDINAL_SUFFIXES and token.number is not None:
        token.ordinal = True
    elif folded in HOUR_SUFFIXES and token.number is not None:
        token.hour_suffix = True
    else:
        word = Token(suffix, end_num, match.end("suffix"), folded)
        if dot:
            word.end += 1
            word.text += "."
        return [token, word]
    token.end = match.end()
    token.text = match.group()
    return [token]


@dataclass(frozen=True, slots=True)
class Phrase:
    """A run of tokens the lexicon knows, with its meanings."""

    start: int  # token index
    end: int  # token index after the last
    senses: list[Sense]

    def has(self, kind: str) -> bool:
        return any(s.kind == kind for s in self.senses)

    def value(self, kind: str) -> object:
        return next(s.value for s in self.senses if s.kind == kind)


def lookups(tokens: list[Token], lang: str | None) -> list[list[Phrase]]:
    """For each token index, the lexicon phrases starting there, longest first. A trailing "." after
    an abbreviation ("Mo.", "fri.") belongs to the phrase."""
    table, longest = merged(lang)
    found: list[list[Phrase]] = []
    for i in range(len(tokens)):
        here: list[Phrase] = []
        for size in range(min(longest, len(tokens) - i), 0, -1):
            key = tuple(t.folded for t in tokens[i : i + size])
            senses = table.get(key)
            if senses:
                end = i + size
                if end < len(tokens) and tokens[end].folded == "." and size == 1 and len(key[0]) <= 5:
                    end += 1
                here.append(Phrase(i, end, senses))
        found.append(here)
    return found
