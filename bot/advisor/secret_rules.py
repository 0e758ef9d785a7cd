"""Secrets by their shape: gitleaks' rule set, run by RE2 as gitleaks runs it.

The rules (cloud keys, tokens, private keys, webhooks: 222 of them) are gitleaks' own
`config/gitleaks.toml`, vendored as `gitleaks.toml` beside this module with its MIT licence, so a
new kind of key is one file copy away. They are Go (RE2) regular expressions; Google's RE2 runs
them unchanged (mid-pattern `(?i)`, `\\z`, POSIX classes) and in linear time, which matters
because every message a user sends goes through them.

A rule is tried only when one of its keywords occurs in the message (gitleaks does the same); a
found secret still has to pass the rule's entropy threshold and allowlists (stop words, example
values), as in gitleaks. Path rules (a file named `.pypirc`) mean nothing in a chat and are left out.
"""

from __future__ import annotations

import math
import tomllib
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from typing import Any

import re2


@dataclass(frozen=True)
class _Allowlist:
    target: str  # "secret", "match" or "line"
    regexes: tuple[Any, ...]
    stopwords: tuple[str, ...]

    def allows(self, secret: str, match: str, line: str) -> bool:
        text = {"match": match, "line": line}.get(self.target, secret)
        if any(regex.search(text) for regex in self.regexes):
            return True
        lowered = secret.lower()
        return any(word in lowered for word in self.stopwords)


@dataclass(frozen=True, eq=False)
class _Rule:
    id: str
    regex: Any
    group: int
    entropy: float
    allowlists: tuple[_Allowlist, ...]

    def spans(self, text: str, allowed: tuple[_Allowlist, ...]) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for match in self.regex.finditer(text):
            group = self.group or next((i for i, v in enumerate(match.groups(), 1) if v), 0)
            secret = match.group(group)
            if not secret or (self.entropy and not _strong(self, secret)):
                continue
            line_start = text.rfind("\n", 0, match.start()) + 1
            line_end = text.find("\n", match.end())
            line = text[line_start : line_end if line_end >= 0 else len(text)]
            if any(a.allows(secret, match.group(), line) for a in self.allowlists + allowed):
                continue
            # a short first group is a piece of the pattern (webhooks' "([a-z0-9]{4}-){3}"): take it all
            out.append(match.span(group) if self.group or len(secret) >= 8 else match.span())
        return out


def _strong(rule: _Rule, secret: str) -> bool:
    """gitleaks' checks on a found value: Shannon entropy above the rule's, a digit in a generic one."""
    if _entropy(secret) <= rule.entropy:
        return False
    return not rule.id.startswith("generic") or any(c.isdigit() for c in secret)


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _allowlist(spec: dict[str, Any]) -> _Allowlist | None:
    if spec.get("paths") or spec.get("commits"):  # a file or commit: nothing in a chat
        return None
    return _Allowlist(
        target=str(spec.get("regexTarget", "secret")),
        regexes=tuple(re2.compile(r) for r in spec.get("regexes", ())),
        stopwords=tuple(str(w).lower() for w in spec.get("stopwords", ())),
    )


class SecretRules:
    """gitleaks' rules compiled once; `spans(text)` says where secrets are."""

    def __init__(self, config: dict[str, Any]) -> None:
        self._allowed = tuple(a for a in [_allowlist(config.get("allowlist", {}))] if a)
        self._by_keyword: dict[str, list[_Rule]] = {}
        self._always: list[_Rule] = []
        for spec in config["rules"]:
            if not spec.get("regex") or spec.get("path"):
                continue
            rule = _Rule(
                id=str(spec["id"]),
                regex=re2.compile(spec["regex"]),
                group=int(spec.get("secretGroup", 0)),
                entropy=float(spec.get("entropy", 0.0)),
                allowlists=tuple(a for a in map(_allowlist, spec.get("allowlists", ())) if a),
            )
            keywords = [str(k).lower() for k in spec.get("keywords", ())]
            for keyword in keywords:
                self._by_keyword.setdefault(keyword, []).append(rule)
            if not keywords:
                self._always.append(rule)
        alternatives = sorted(self._by_keyword, key=len, reverse=True)
        self._keywords = re2.compile("|".join(re2.escape(k) for k in alternatives))
        # the longest keyword found at a place stands for the shorter ones it starts with ("api_org_", "api")
        self._rules_at = {
            keyword: list(
                dict.fromkeys(r for k in alternatives if keyword.startswith(k) for r in self._by_keyword[k])
            )
            for keyword in alternatives
        }

    @classmethod
    def bundled(cls) -> SecretRules:
        """The rule set vendored beside this module (gitleaks.toml)."""
        text = resources.files("bot.advisor").joinpath("gitleaks.toml").read_text(encoding="utf-8")
        return cls(tomllib.loads(text))

    def _candidates(self, text: str) -> list[_Rule]:
        lowered = text.lower()
        rules = dict.fromkeys(self._always)
        position = 0
        # overlapping keywords ("api" inside "apikey"): search again from each match's next character
        while (match := self._keywords.search(lowered, position)) is not None:
            for rule in self._rules_at[match.group()]:
                rules[rule] = None
            position = match.start() + 1
        return list(rules)

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, rule id) of every secret gitleaks' rules find in `text`."""
        out: list[tuple[int, int, str]] = []
        for rule in self._candidates(text):
            out += [(start, end, rule.id) for start, end in rule.spans(text, self._allowed)]
        return out
