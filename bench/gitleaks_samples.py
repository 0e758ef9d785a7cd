"""gitleaks' own true positives, rebuilt in Python from its rule sources (for bench/secrets.py).

gitleaks keeps, next to each rule (`cmd/generate/config/rules/*.go`), the lines it must find: literal
lines (`huggingface-cli login --token hf_…`) and lines built around a generated secret
(`utils.GenerateSampleSecrets("hf", "hf_" + secrets.NewSecret("[a-zA-Z]{34}"))`). This module reads
those Go expressions with a small evaluator (string literals, `+`, local string variables,
`secrets.NewSecret`, the `utils.*` pattern helpers, `fmt.Sprintf` with `%s`/`%d`), generates each
`NewSecret(regex)` with exrex (seeded), and takes the secret out of every literal line with the
rule's own regex from gitleaks' config/gitleaks.toml (its secret group, run by RE2 as gitleaks runs
it). A line or expression it cannot read is counted, never guessed.
"""

from __future__ import annotations

import ast
import random
import re
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from re import _parser as sre_parse  # the parser exrex walks
from typing import Any

import exrex  # type: ignore[import-untyped]
import re2  # type: ignore[import-untyped]

# Go's \w is ASCII ([0-9A-Za-z_]); exrex draws \w from Latin-1 letters too ("fo1_òøåZ…").
exrex.CATEGORIES[sre_parse.CATEGORY_WORD] = list(string.ascii_letters + string.digits + "_")
exrex.CATEGORIES[sre_parse.CATEGORY_NOT_WORD] = [
    c for c in string.printable if c not in exrex.CATEGORIES[sre_parse.CATEGORY_WORD]
]

_TOKEN = re.compile(
    r"""(?P<ws>\s+|//[^\n]*|/\*.*?\*/)|(?P<raw>`[^`]*`)|(?P<str>"(?:[^"\\\n]|\\.)*")"""
    r"""|(?P<op>:=|\.\.\.|[(){}\[\],+=:;])|(?P<name>[A-Za-z_][\w.]*)|(?P<num>\d+)|(?P<other>.)""",
    re.DOTALL,
)
_HELPERS = {
    "utils.Numeric": "[0-9]{%s}",
    "utils.Hex": "[a-f0-9]{%s}",
    "utils.AlphaNumeric": "[a-z0-9]{%s}",
    "utils.AlphaNumericExtendedShort": "[a-z0-9_-]{%s}",
    "utils.AlphaNumericExtended": "[a-z0-9=_\\-]{%s}",
    "utils.AlphaNumericExtendedLong": "[a-z0-9\\/=_\\+\\-]{%s}",
}


class Unreadable(Exception):
    """An expression this evaluator does not understand."""


@dataclass
class Sample:
    rule: str
    secret: str
    generated: bool


@dataclass
class Samples:
    samples: list[Sample] = field(default_factory=list)
    unreadable: int = 0  # expressions that could not be evaluated
    unmatched: int = 0  # literal lines the rule's own regex (without its path) does not find


def _tokens(source: str) -> list[tuple[str, str]]:
    out = []
    for match in _TOKEN.finditer(source):
        kind = match.lastgroup or "other"
        if kind != "ws":
            out.append((kind, match.group()))
    return out


class _Reader:
    def __init__(self, tokens: list[tuple[str, str]], rng: random.Random) -> None:
        self.tokens = tokens
        self.rng = rng
        self.pos = 0
        self.names: dict[str, Any] = {}
        self.generated = False

    def peek(self, ahead: int = 0) -> tuple[str, str]:
        index = self.pos + ahead
        return self.tokens[index] if index < len(self.tokens) else ("eof", "")

    def take(self, text: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if text is not None and token[1] != text:
            raise Unreadable(f"expected {text!r}, got {token[1]!r}")
        self.pos += 1
        return token

    def skip_to_close(self) -> None:
        """Skip to after the bracket that closes the one just taken."""
        depth = 1
        while depth and self.peek()[0] != "eof":
            value = self.take()[1]
            depth += value in "([{"
            depth -= value in ")]}"

    def args(self) -> list[Any]:
        self.take("(")
        out: list[Any] = []
        while self.peek()[1] != ")":
            out.append(self.expr())
            if self.peek()[1] == "...":
                self.take()
            if self.peek()[1] == ",":
                self.take()
        self.take(")")
        return out

    def expr(self) -> Any:
        value = self.term()
        while self.peek()[1] == "+":
            self.take()
            right = self.term()
            if not isinstance(value, str) or not isinstance(right, str):
                raise Unreadable("+ on a non-string")
            value += right
        return value

    def term(self) -> Any:
        kind, text = self.take()
        if kind == "raw":
            return text[1:-1]
        if kind == "str":
            return ast.literal_eval(text)
        if kind == "num":
            return text
        if text == "[" and self.peek()[1] == "]":  # []string{...}
            self.take("]")
            self.take()
            self.take("{")
            items: list[Any] = []
            while self.peek()[1] != "}":
                items.append(self.safe_expr())
                if self.peek()[1] == ",":
                    self.take()
            self.take("}")
            return _flatten(items)
        if kind == "name":
            return self.call(text)
        raise Unreadable(f"token {text!r}")

    def safe_expr(self) -> Any:
        """One element of a list: an unreadable one becomes None and reading goes on after it."""
        start = self.pos
        self.generated = False
        try:
            return _triples(self.expr(), self.generated)
        except Unreadable:
            self.pos = start
            depth = 0
            while self.peek()[0] != "eof":
                value = self.peek()[1]
                if depth == 0 and value in ",})":
                    break
                depth += value in "([{"
                depth -= value in ")]}"
                self.take()
            return [None]

    def call(self, name: str) -> Any:
        if self.peek()[1] != "(":
            if name in self.names:
                return self.names[name]
            raise Unreadable(f"name {name}")
        if name == "append":
            self.take("(")
            self.take()  # the name of the list appended to
            items: list[Any] = []
            while self.peek()[1] == ",":
                self.take()
                if self.peek()[1] == ")":
                    break
                items.append(self.safe_expr())
                if self.peek()[1] == "...":
                    self.take()
            self.take(")")
            return _flatten(items)
        args = self.args()
        if name == "secrets.NewSecret":
            self.generated = True
            return exrex.getone(_python_regex(_text(args[0])), limit=40)
        if name in _HELPERS:
            return _HELPERS[name] % _text(args[0])
        if name == "utils.Hex8_4_4_4_12":
            return "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
        if name == "utils.GenerateSampleSecret":
            return (f'{_text(args[0])}_api_token = "{_text(args[1])}"', _text(args[1]))
        if name == "utils.GenerateSampleSecrets":
            return [(f'{_text(args[0])}_api_token = "{_text(args[1])}"', _text(args[1]))]
        if name == "fmt.Sprintf":
            values = iter(args[1:])
            return re.sub(r"%[sdv]", lambda _: str(_text(next(values))), _text(args[0]))
        if name == "strings.Repeat":
            return _text(args[0]) * int(_text(args[1]))
        raise Unreadable(f"call {name}")


def _text(value: Any) -> str:
    if isinstance(value, tuple):
        return str(value[0])
    if not isinstance(value, str):
        raise Unreadable("not a string")
    return value


def _flatten(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        out += item if isinstance(item, list) else [item]
    return out


def _python_regex(go: str) -> str:
    """Go's regex syntax as far as exrex needs it (POSIX classes, \\z)."""
    return go.replace("[[:alnum:]]", "[a-zA-Z0-9]").replace("\\z", "\\Z")


def _rule_regexes(gitleaks: Path) -> dict[str, tuple[Any, int]]:
    config = tomllib.loads((gitleaks / "config" / "gitleaks.toml").read_text())
    return {
        rule["id"]: (re2.compile(rule["regex"]), int(rule.get("secretGroup", 0)))
        for rule in config["rules"]
        if rule.get("regex")
    }


def _secret_of(line: str, regex: Any, group: int) -> str | None:
    match = regex.search(line)
    if not match:
        return None
    if group:
        return str(match.group(group))
    for value in match.groups():
        if value:
            # as the bot redacts: a short first group is a piece of the pattern, not the secret
            return str(value) if len(value) >= 8 else str(match.group())
    return str(match.group())


def _functions(source: str) -> list[str]:
    return source.split("\nfunc ")[1:]


def _rule_id(body: str) -> str | None:
    ids = re.findall(r'RuleID:\s*"([^"]+)"', body)
    return ids[0] if len(ids) == 1 else None


def build(gitleaks: Path, seed: int = 21) -> Samples:
    """Every true positive of every rule (one secret each, duplicates dropped)."""
    rng = random.Random(seed)
    random.seed(seed)  # exrex draws from the module's generator
    regexes = _rule_regexes(gitleaks)
    out = Samples()
    seen: set[tuple[str, str]] = set()
    for path in sorted((gitleaks / "cmd" / "generate" / "config" / "rules").glob("*.go")):
        for body in _functions(path.read_text()):
            rule = _rule_id(body)
            if rule is None or rule not in regexes:
                continue
            for line, known, generated in _true_positives(body, rng, out):
                secret = known if known is not None else _secret_of(line, *regexes[rule])
                if secret is None:
                    out.unmatched += 1
                elif (rule, secret) not in seen:
                    seen.add((rule, secret))
                    out.samples.append(Sample(rule, secret, generated))
    return out


def _true_positives(body: str, rng: random.Random, out: Samples) -> list[tuple[str, str | None, bool]]:
    """(line, its secret when known, generated) for every `tps` element of one rule function."""
    tokens = _tokens(body)
    reader = _Reader(tokens, rng)
    found: list[tuple[str, str | None, bool]] = []
    while reader.peek()[0] != "eof":
        kind, text = reader.take()
        if kind != "name" or reader.peek()[1] not in (":=", "="):
            continue
        reader.take()
        reader.generated = False
        try:
            value = reader.expr()
        except Unreadable:
            if text.startswith("tp"):
                out.unreadable += 1
            continue
        if not text.startswith("tp"):
            reader.names[text] = value
            continue
        for item in _triples(value, reader.generated):
            if item is None:
                out.unreadable += 1
            else:
                found.append(item)
    return found


def _triples(value: Any, generated: bool) -> list[Any]:
    """A value read from the source as (line, secret or None, generated) items (None: unreadable)."""
    out: list[Any] = []
    for item in value if isinstance(value, list) else [value]:
        if item is None or (isinstance(item, tuple) and len(item) == 3):
            out.append(item)
        elif isinstance(item, tuple):
            out.append((item[0], item[1], generated))
        elif isinstance(item, str):
            out.append((item, None, generated))
    return out
