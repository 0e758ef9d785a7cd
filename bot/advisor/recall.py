"""Recall: which of a user's memories go into a prompt, and when not to look at all.

- Messages that cannot need a memory (greetings, thanks, "ok", emoji) skip the lookup entirely;
  `RecallStats` counts how often that happens.
- Otherwise the top `top_k` memories whose semantic score clears `min_score`, optionally only one
  category, ranked by our own fusion (`fuse`): Mem0 returns a pool of `pool` candidates (from the
  top 4 × pool of the vector leg), each scored cosine + `keyword_weight` × BM25 / the query's best
  BM25, when the store has keyword search (our SQLite store does).
- Memories of the conversation that holds the best match rank higher (`boost_by_conversation`):
  each candidate gains `conversation_weight` × the best fused score among the candidates said in
  the same conversation (memories each within `CONTEXT_WINDOW` of the previous one), so what was
  said around a strong match outranks a scattered, equally weak match.
- Each hit is followed by its context (`with_context`): the memory saved right after it in the
  same conversation, which often holds the answer to what the hit asked or said.
The stored text of each memory starts with the day it was said (`bot.memory.dated_text`).
Measured on LoCoMo in BENCHMARKS.md (`bench/locomo.py` switches each technique on and off).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.memory import MemoryItem, MemoryService
from bot.records import CATEGORIES, OTHER_CATEGORY, category_of

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


# Fusion: weight of the keyword leg (its BM25 divided by the best BM25 for the query) beside the
# cosine similarity; LoCoMo dev, MiniLM: 0.3-0.5 best, Mem0's own squashed BM25 does worse.
KEYWORD_WEIGHT = 0.5
# Memories asked of Mem0 before our re-ranking (Mem0 scores the vector leg's top 4 × this; LoCoMo:
# 50 → 0.783, 150 → 0.790 recall@10: a relevant memory low in Mem0's order is not lost).
POOL = 150
# Keyword hits read for the fusion (only their best score and those in the pool matter).
KEYWORD_POOL = 200
# Context: how many memories saved right after a hit follow it, and how far apart in time they may be
# to count as the same conversation.
CONTEXT_AFTER = 1
CONTEXT_WINDOW = timedelta(hours=1)
# Conversation boost: weight of the best fused score among the candidates of a memory's conversation
# (LoCoMo dev, MiniLM, with context: 0 → 0.790, 0.3 → 0.797, 0.5 → 0.806 recall@10, 0.7 → 0.804).
CONVERSATION_WEIGHT = 0.5


def fuse(items: Sequence[MemoryItem], keyword: Mapping[str, float], *, weight: float) -> list[MemoryItem]:
    """`items` re-ranked by cosine + weight × BM25 / the best BM25 in `keyword`, best first.

    The cosine is `semantic_score` (Mem0's combined `score` when the backend gave none); an item
    without keyword match gets only its cosine. Ties keep the given order. Each returned item's
    `score` is its fused score.
    """
    best = max(keyword.values(), default=0.0)

    def fused(item: MemoryItem) -> float:
        semantic = item.semantic_score if item.semantic_score is not None else item.score or 0.0
        bonus = weight * keyword.get(item.id, 0.0) / best if best > 0 else 0.0
        return semantic + bonus

    scored = [dataclasses.replace(item, score=fused(item)) for item in items]
    return sorted(scored, key=lambda item: -(item.score or 0.0))


def conversations(saved: Sequence[MemoryItem], *, window: timedelta = CONTEXT_WINDOW) -> dict[str, int]:
    """Memory id → its conversation's number; `saved` is in the order the memories were stored.

    A conversation is a run of memories each said within `window` of the previous one ("saved_at"
    metadata, else created_at); a memory without a known time is a conversation of its own.
    """
    out: dict[str, int] = {}
    number = -1
    previous: MemoryItem | None = None
    for item in saved:
        if previous is None or not _same_conversation(previous, item, window):
            number += 1
        out[item.id] = number
        previous = item
    return out


def boost_by_conversation(
    items: Sequence[MemoryItem], conversation_of: Mapping[str, int], *, weight: float
) -> list[MemoryItem]:
    """`items` (scored, e.g. by `fuse`) re-ranked by score + weight × the best score among the
    items of the same conversation (`conversation_of`; an unknown id is its own conversation).

    The best match of each conversation gains weight × its own score, so the order between
    conversations' best matches is kept; the others move up with their conversation. Ties keep
    the given order; each returned item's `score` is its boosted score.
    """
    if weight <= 0:
        return list(items)

    def key(item: MemoryItem) -> tuple[str, int | str]:
        number = conversation_of.get(item.id)
        return ("conversation", number) if number is not None else ("memory", item.id)

    best: dict[tuple[str, int | str], float] = {}
    for item in items:
        best[key(item)] = max(best.get(key(item), float("-inf")), item.score or 0.0)
    boosted = [
        dataclasses.replace(item, score=(item.score or 0.0) + weight * best[key(item)]) for item in items
    ]
    return sorted(boosted, key=lambda item: -(item.score or 0.0))


def with_context(
    hits: Sequence[MemoryItem],
    saved: Sequence[MemoryItem],
    *,
    after: int = CONTEXT_AFTER,
    window: timedelta = CONTEXT_WINDOW,
) -> list[MemoryItem]:
    """Each hit followed by the (up to `after`) memories saved right after it, no memory twice.

    `saved` is every memory in the order it was stored; a follower counts only when it was said
    within `window` of the hit (the same conversation; "saved_at" metadata, else created_at).
    """
    position = {item.id: index for index, item in enumerate(saved)}
    out: list[MemoryItem] = []
    shown: set[str] = set()
    for hit in hits:
        group = [hit]
        start = position.get(hit.id)
        if start is not None:
            for follower in saved[start + 1 : start + 1 + after]:
                if not _same_conversation(saved[start], follower, window):
                    break
                group.append(follower)
        for item in group:
            if item.id not in shown:
                shown.add(item.id)
                out.append(item)
    return out


def saved_order(items: Iterable[MemoryItem]) -> list[MemoryItem]:
    """Memories in the order they were stored (created_at; an update keeps its place)."""
    return sorted(items, key=lambda item: item.created_at or item.updated_at or "")


def _said_at(item: MemoryItem) -> datetime | None:
    """When the memory was said, as a naive UTC time (a naive value is taken as UTC)."""
    for value in (item.metadata.get("saved_at"), item.created_at):
        try:
            moment = datetime.fromisoformat(str(value)) if value else None
        except ValueError:
            continue
        if moment is not None:
            return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    return None


def _same_conversation(first: MemoryItem, second: MemoryItem, window: timedelta) -> bool:
    a, b = _said_at(first), _said_at(second)
    return a is not None and b is not None and abs(b - a) <= window


@dataclass(frozen=True, slots=True)
class RelatedSearch:
    """How the memory writer finds the memories a message's new facts may update, add to or
    repeat: Mem0's search with these parameters, of which the first `k` go to the extractor.
    `Recaller.related_search` gives the recall's own search, so that the writer's (the same call,
    moments later) is answered from the recall's kept result (bot/memory/kept_reads.py)."""

    k: int = 10
    limit: int = 10
    threshold: float = 0.0
    explain: bool = False


class Recaller:
    """Bounded, thresholded hybrid recall with context and a skip counter.

    `keyword_weight=0` keeps Mem0's own ranking; `conversation_weight=0` ranks without the
    conversation boost; `context_after=0` shows the hits alone.
    """

    def __init__(
        self,
        memory: MemoryService,
        *,
        top_k: int = 8,
        min_score: float = 0.25,
        keyword_weight: float = KEYWORD_WEIGHT,
        pool: int = POOL,
        context_after: int = CONTEXT_AFTER,
        conversation_weight: float = CONVERSATION_WEIGHT,
    ) -> None:
        self.memory = memory
        self.top_k = top_k
        self.min_score = min_score
        self.keyword_weight = keyword_weight
        self.pool = pool
        self.context_after = context_after
        self.conversation_weight = conversation_weight
        self.stats = RecallStats()

    def related_search(self, k: int) -> RelatedSearch:
        """The Mem0 search `recall` starts from (no category), of which the writer shows `k`; the
        writer's own (`RelatedSearch(k)`) where the recall leaves its threshold to Mem0."""
        if not self._filters_itself:
            return RelatedSearch(k, limit=k)
        return RelatedSearch(k, limit=max(self.top_k, self.pool), threshold=0.0, explain=True)

    @property
    def _filters_itself(self) -> bool:
        """Whether the recall asks Mem0 with no threshold and drops the hits whose cosine is below
        it itself (Mem0 gates on the cosine too): then the writer's search, which wants every
        related memory, is the same call."""
        return self.keyword_weight > 0 and self.memory.explains

    async def recall(self, user_id: str, message: str, *, category: str | None = None) -> list[MemoryItem]:
        """The memories worth showing the model for `message`. The caller skips small talk
        (`needs_memory`), so this always looks up.

        Raises MemoryUnavailable when the backend fails (the caller answers without memories).
        """
        self.stats.looked_up += 1
        found, saved = await self._ranked(user_id, message, limit=self.top_k, category=category)
        found = await self.context(user_id, found, category=category, saved=saved)
        if is_profile_question(message) and len(found) < self.top_k:
            filters = {"categories": category} if category else None
            newest = await self.memory.list_memories(user_id, limit=self.top_k, filters=filters)
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
        found, _ = await self._ranked(user_id, query, limit=limit, category=category, min_score=min_score)
        return found

    async def _ranked(
        self,
        user_id: str,
        query: str,
        *,
        limit: int,
        category: str | None = None,
        min_score: float | None = None,
    ) -> tuple[list[MemoryItem], list[MemoryItem] | None]:
        """The `search` hits and, when the ranking listed them, the user's memories in saved order
        (so that `context` does not list them again)."""
        filters = {"categories": category} if category else None
        threshold = self.min_score if min_score is None else min_score
        if self.keyword_weight <= 0:
            found = await self.memory.search(
                user_id, query, limit=limit, threshold=threshold, filters=filters
            )
            return found, None
        itself = self._filters_itself
        found = await self.memory.search(
            user_id,
            query,
            limit=max(limit, self.pool),
            threshold=0.0 if itself else threshold,
            filters=filters,
            explain=True,
        )
        if itself:
            found = [item for item in found if (item.semantic_score or 0.0) >= threshold]
        saved: list[MemoryItem] | None = None
        if found:
            keyword = await self.memory.keyword_scores(user_id, query, limit=KEYWORD_POOL)
            found = fuse(found, keyword, weight=self.keyword_weight)
            if self.conversation_weight > 0 and len(found) > 1:
                saved = await self._saved(user_id, category)
                found = boost_by_conversation(found, conversations(saved), weight=self.conversation_weight)
        return found[:limit], saved

    async def _saved(self, user_id: str, category: str | None) -> list[MemoryItem]:
        """The user's memories (of `category`, if given) in the order they were stored."""
        filters = {"categories": category} if category else None
        return saved_order(await self.memory.list_memories(user_id, limit=100_000, filters=filters))

    async def context(
        self,
        user_id: str,
        hits: Sequence[MemoryItem],
        *,
        category: str | None = None,
        saved: Sequence[MemoryItem] | None = None,
    ) -> list[MemoryItem]:
        """`hits`, each followed by its context (see `with_context`); the hits alone when off.

        `saved`: the user's memories in saved order when already listed, else they are listed here.
        """
        if self.context_after <= 0 or not hits:
            return list(hits)
        if saved is None:
            saved = await self._saved(user_id, category)
        return with_context(hits, saved, after=self.context_after)


def group_by_category(items: Iterable[MemoryItem]) -> dict[str, list[MemoryItem]]:
    """Memories grouped by category: CATEGORIES in their order, others alphabetically, "other"
    last; each group keeps the order it was given (newest first for listings, best first for
    searches)."""
    groups: dict[str, list[MemoryItem]] = {name: [] for name in CATEGORIES}
    for item in items:
        groups.setdefault(category_of(item), []).append(item)
    # Our categories in their fixed order, then any others alphabetically, "other" last.
    order = {name: (0, index, "") for index, name in enumerate(CATEGORIES)}
    ranked = sorted(groups, key=lambda n: order.get(n, (2, 0, "") if n == OTHER_CATEGORY else (1, 0, n)))
    return {name: groups[name] for name in ranked if groups[name]}
