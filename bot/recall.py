"""Recall: which of a user's memories go into a prompt, and when not to look at all.

- Messages that cannot need a memory (greetings, thanks, "ok", emoji) skip the lookup entirely;
  `RecallStats` counts how often that happens.
- Otherwise the top `top_k` memories whose semantic score clears `min_score`, ranked by Mem0's
  hybrid score (vector similarity + BM25 keyword score, when the store has keyword search, as
  our SQLite store does), optionally only one category.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.extraction import CATEGORIES
from bot.memory import MemoryItem, MemoryService

OTHER_CATEGORY = "other"

# Whole messages made only of these words are small talk: nothing to recall for them.
_SMALL_TALK = frozenset(
    re.findall(
        r"\S+",
        """
        hi hii hello hey heya hiya yo howdy hallo hola ciao salut greetings morning afternoon evening
        night good gm gn thanks thank thx ty tysm cheers appreciate appreciated you so much very a lot
        ok okay okey k kk alright cool nice great awesome perfect super fine sure yes yep yeah yup no
        nope nah got it understood bye goodbye later see ya cya lol haha hah wow oh ah hmm great sounds
        coach bot there buddy friend mate dear all again really for the help that this is was job well
        done tip tips advice will do
        спасибо привет пока ок хорошо понял ясно здравствуйте добрый день утро вечер отлично
        """,
    )
)


@dataclass
class RecallStats:
    """How many messages looked memories up, and how many skipped the lookup."""

    looked_up: int = 0
    skipped: int = 0

    @property
    def skip_rate(self) -> float:
        total = self.looked_up + self.skipped
        return self.skipped / total if total else 0.0


# Questions about the person as a whole ("what do you know about me?", "my preferences"): no
# single fact matches their words, so the newest memories are shown beside the best matches.
_PROFILE_QUESTION = re.compile(
    r"\b(?:what do you (?:know|remember)|about me\b|remind me|my (?:\w+ )?(?:preferences|profile|details|"
    r"info|information|data|memories|facts|stats|situation))"
    # a question whose answer is a fact about the person: "What am I training for?", "When is my race?"
    r"|\b(?:what|which|when|where|who|how (?:much|many|far|often|long|old))\b[^?.!]{0,40}"
    r"\b(?:am i|do i|did i|have i|was i|is my|are my|my)\b",
    re.IGNORECASE,
)


def is_profile_question(message: str) -> bool:
    """True when the message asks about the person in general rather than one topic."""
    return bool(_PROFILE_QUESTION.search(message))


def needs_memory(message: str) -> bool:
    """False for messages that cannot need a memory: greetings, thanks, acknowledgements, emoji."""
    words = re.findall(r"[^\W\d_]+", message.lower())
    if not words:
        return bool(re.search(r"\d", message))  # only emoji / punctuation: nothing to look up
    return len(words) > 8 or not all(word in _SMALL_TALK for word in words)


class Recaller:
    """Bounded, thresholded hybrid recall with a skip counter."""

    def __init__(self, memory: MemoryService, *, top_k: int = 8, min_score: float = 0.25) -> None:
        self.memory = memory
        self.top_k = top_k
        self.min_score = min_score
        self.stats = RecallStats()

    async def recall(self, user_id: str, message: str, *, category: str | None = None) -> list[MemoryItem]:
        """The memories worth showing the model for `message` (none for small talk).

        Raises MemoryUnavailable when the backend fails (the caller answers without memories).
        """
        if not needs_memory(message):
            self.stats.skipped += 1
            return []
        self.stats.looked_up += 1
        found = await self.search(user_id, message, limit=self.top_k, category=category)
        if is_profile_question(message) and len(found) < self.top_k:
            filters = {"categories": category} if category else None
            newest = await self.memory.list(user_id, limit=self.top_k, filters=filters)
            seen = {item.id for item in found}
            found += [item for item in newest if item.id not in seen][: self.top_k - len(found)]
        return found

    async def search(
        self,
        user_id: str,
        query: str,
        *,
        limit: int,
        category: str | None = None,
        min_score: float | None = None,
    ) -> list[MemoryItem]:
        """Hybrid-ranked memories of the user for `query` above the relevance threshold."""
        filters = {"categories": category} if category else None
        threshold = self.min_score if min_score is None else min_score
        return await self.memory.search(user_id, query, limit=limit, threshold=threshold, filters=filters)


def category_of(item: MemoryItem) -> str:
    """The memory's first known category, or "other" (memories saved before categories existed)."""
    return next((c for c in item.categories if c in CATEGORIES), OTHER_CATEGORY)


def group_by_category(items: Iterable[MemoryItem]) -> dict[str, list[MemoryItem]]:
    """Memories grouped by category, in the fixed order of CATEGORIES, then "other"; each group
    keeps the order it was given (newest first for listings, best first for searches)."""
    groups: dict[str, list[MemoryItem]] = {name: [] for name in (*CATEGORIES, OTHER_CATEGORY)}
    for item in items:
        groups[category_of(item)].append(item)
    return {name: group for name, group in groups.items() if group}
