"""Leave-one-conversation-out for `bench/locomo.py`: is the bot's recall tuned to the dev set?

For every question the expensive part of a recall is done once per store (plain and dated turns):
Mem0's candidate pool with cosine scores and our store's BM25 scores, exactly as
`bot.advisor.recall.Recaller` asks for them. Every weight setting of the grid is then ranked with
the bot's own functions (`fuse`, `boost_by_conversation`, `with_context`), so the grid costs no
extra search. For each dev conversation the setting with the best recall@10 on the OTHER
conversations is chosen and its recall on the held-out one is reported, beside the bot's
defaults and the best setting for that conversation itself (what tuning on it would give).
Context (followers shown after each hit) stays at the bot's value: more context always raises
recall by showing more, so it is a token budget, not a weight to tune; its effect per
conversation is reported with the other techniques'.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

KEYWORD_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
CONVERSATION_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
TEMPORAL = 2


@dataclass(frozen=True)
class Setting:
    dates: bool
    keyword_weight: float
    conversation_weight: float
    context: int

    def label(self) -> str:
        return (
            f"dates={'on' if self.dates else 'off'} kw={self.keyword_weight:g} "
            f"conv={self.conversation_weight:g} ctx={self.context}"
        )


@dataclass
class Candidates:
    """One question's recall inputs for one store: Mem0's pool (with cosine scores), BM25 scores,
    the user's memories in saved order and their conversations."""

    pool: Sequence[Any]
    keyword: Mapping[str, float]
    saved: Sequence[Any]
    conversation_of: Mapping[str, int]


@dataclass
class Question:
    conversation: str
    category: int
    evidence: set[str]
    candidates: dict[bool, Candidates]  # by dates on/off


@dataclass
class Grid:
    questions: list[Question] = field(default_factory=list)

    def add(self, question: Question) -> None:
        self.questions.append(question)


def grid_settings(context: int) -> list[Setting]:
    return [
        Setting(dates, kw, conv, context)
        for dates, kw, conv in itertools.product((True, False), KEYWORD_WEIGHTS, CONVERSATION_WEIGHTS)
    ]


def recall_at(question: Question, setting: Setting, k: int = 10) -> float:
    """The question's evidence recall@k when the bot ranks with `setting`."""
    from bot.advisor.recall import boost_by_conversation, fuse, with_context

    found = question.candidates[setting.dates]
    ranked = fuse(found.pool, found.keyword, weight=setting.keyword_weight)
    if setting.conversation_weight > 0 and len(ranked) > 1:
        ranked = boost_by_conversation(ranked, found.conversation_of, weight=setting.conversation_weight)
    hits = ranked[:k]
    if setting.context:
        hits = with_context(hits, found.saved, after=setting.context)
    shown = {str(item.metadata.get("dia_id")) for item in hits}
    return len(question.evidence & shown) / len(question.evidence)


def report(grid: Grid, default: Setting) -> None:
    """Print the leave-one-conversation-out table and each technique's effect per conversation."""
    settings = grid_settings(default.context)
    if default not in settings:
        settings.append(default)
    conversations = list(dict.fromkeys(q.conversation for q in grid.questions))
    if len(conversations) < 2:
        print("\nleave-one-conversation-out: skipped, it needs at least two conversations")
        return
    # recall[setting][conversation] = list of (category, recall@10)
    table: dict[Setting, dict[str, list[tuple[int, float]]]] = defaultdict(lambda: defaultdict(list))
    for question in grid.questions:
        for setting in settings:
            table[setting][question.conversation].append((question.category, recall_at(question, setting)))

    def mean(setting: Setting, convs: Sequence[str], category: int | None = None) -> float:
        values = [r for c in convs for cat, r in table[setting][c] if category is None or cat == category]
        return statistics.fmean(values) if values else 0.0

    print()
    print(
        "leave-one-conversation-out: recall@10 on the held-out conversation, weights chosen on the other two"
    )
    print(
        f"{'held out':<10}{'n':>5}  {'chosen on the others':<40}{'LOO':>7}{'LOO temp':>10}"
        f"{'defaults':>10}{'def temp':>10}{'own best':>10}"
    )
    loo_all: list[tuple[int, float]] = []
    default_all: list[tuple[int, float]] = []
    for held in conversations:
        others = [c for c in conversations if c != held]
        chosen = max(settings, key=lambda s: (round(mean(s, others), 6), s == default))
        own_best = max(mean(s, [held]) for s in settings)
        n = len(table[chosen][held])
        loo_all += table[chosen][held]
        default_all += table[default][held]
        print(
            f"{held:<10}{n:>5}  {chosen.label():<40}{mean(chosen, [held]):>7.3f}"
            f"{mean(chosen, [held], TEMPORAL):>10.3f}{mean(default, [held]):>10.3f}"
            f"{mean(default, [held], TEMPORAL):>10.3f}{own_best:>10.3f}"
        )

    def pooled(rows: list[tuple[int, float]], category: int | None = None) -> float:
        values = [r for cat, r in rows if category is None or cat == category]
        return statistics.fmean(values) if values else 0.0

    print(
        f"{'all':<10}{len(loo_all):>5}  {'(each conversation its own choice)':<40}{pooled(loo_all):>7.3f}"
        f"{pooled(loo_all, TEMPORAL):>10.3f}{pooled(default_all):>10.3f}"
        f"{pooled(default_all, TEMPORAL):>10.3f}"
    )

    print()
    print(f"each technique at the defaults ({default.label()}): recall@10 with - without, per conversation")
    off = {
        "dates": Setting(False, default.keyword_weight, default.conversation_weight, default.context),
        "fusion (BM25)": Setting(default.dates, 0.0, default.conversation_weight, default.context),
        "conversation": Setting(default.dates, default.keyword_weight, 0.0, default.context),
        "context": Setting(default.dates, default.keyword_weight, default.conversation_weight, 0),
    }
    for setting in off.values():
        if setting not in table:
            for question in grid.questions:
                table[setting][question.conversation].append(
                    (question.category, recall_at(question, setting))
                )
    print(f"{'technique':<16}" + "".join(f"{c:>10}" for c in conversations) + f"{'temporal':>10}  every?")
    for name, setting in off.items():
        deltas = [mean(default, [c]) - mean(setting, [c]) for c in conversations]
        temporal = mean(default, conversations, TEMPORAL) - mean(setting, conversations, TEMPORAL)
        verdict = "helps on every one" if all(d > 0 for d in deltas) else "not on every one"
        print(f"{name:<16}" + "".join(f"{d:>+10.3f}" for d in deltas) + f"{temporal:>+10.3f}  {verdict}")
    print(
        f"locomo_loo recall@10={pooled(loo_all):.3f} temporal={pooled(loo_all, TEMPORAL):.3f} "
        f"defaults={pooled(default_all):.3f}"
    )
