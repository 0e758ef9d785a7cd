"""Benchmark the memory vector stores: our SQLite store against Mem0's embedded default (Qdrant local)
or against PostgreSQL + pgvector (`--store pgvector`, a private server started by pgserver).

For each size, in a fresh child process per store (so RSS is that store's alone; for pgvector a
fresh database on the one server): insert rate (batches of 1,000, one transaction each, as the
store commits them), single-row insert latency (one commit per memory, as Mem0's `add` does),
per-user search p50/p95, keyword search p50, recall@10 against exact brute force over the asking
user's vectors, delete-user time (pgvector: and the VACUUM after it), the bot's RSS, the server's
memory (PSS of its processes), bytes per memory on disk. Vectors are random unit vectors; 100
memories per user; rows of different users are interleaved on insert (the worst case for
locality: chats write in turns).

    python bench/memory_store.py --sizes 2000,20000
    python bench/memory_store.py --store pgvector --sizes 20000,100000,1000000

The last line is a machine-readable summary of the compared store (pgvector) or of ours at the
largest size.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
# The repository leads sys.path, not bench/: bench/secrets.py would shadow the standard library's secrets.
sys.path[:] = [str(REPO), *(p for p in sys.path if Path(p or ".").resolve() != REPO / "bench")]

from bench.store_adapters import PgvectorAdapter, QdrantAdapter, SQLiteAdapter  # noqa: E402

BATCH = 1_000
WORDS = re.findall(
    r"\w+",
    "run swim bike lift squat knee back shoulder protein sleep coffee tea water meal vegan keto "
    "goal weight marathon morning evening gym yoga stretch injury doctor diet sugar salt steps "
    "walk hike dog cat wife husband son daughter work office travel berlin paris london tokyo",
)


def rss_mb() -> float:
    """Current resident set size of this process, from /proc."""
    with Path("/proc/self/statm").open() as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class Workload:
    """Deterministic rows: row i belongs to user i % users; vectors come in seeded chunks."""

    def __init__(self, n: int, per_user: int, dims: int, queries: int, seed: int = 1) -> None:
        self.n, self.dims = n, dims
        self.users = max(1, n // per_user)
        rng = np.random.default_rng(seed)
        self.query_users = rng.integers(0, self.users, size=queries)
        q = rng.standard_normal((queries, dims))
        self.queries = (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)
        self.seed = seed
        # running exact top-10 per query: (scores, row indices)
        self.best_scores = [np.empty(0) for _ in range(queries)]
        self.best_rows = [np.empty(0, dtype=np.int64) for _ in range(queries)]

    def chunks(self) -> Any:
        now = datetime.now(UTC).isoformat()
        for start in range(0, self.n, BATCH):
            stop = min(start + BATCH, self.n)
            rng = np.random.default_rng((self.seed, start))
            raw = rng.standard_normal((stop - start, self.dims))
            vectors = (raw / np.linalg.norm(raw, axis=1, keepdims=True)).astype(np.float32)
            rows = np.arange(start, stop)
            self._track_truth(rows, vectors)
            words = rng.integers(0, len(WORDS), size=(stop - start, 6))
            payloads = []
            for i, row in enumerate(rows.tolist()):
                text = " ".join(WORDS[w] for w in words[i])
                payloads.append(
                    {
                        "user_id": f"user{row % self.users}",
                        "data": text,
                        "text_lemmatized": text,
                        "hash": hashlib.md5(text.encode()).hexdigest(),
                        "created_at": now,
                        "updated_at": now,
                        "role": "user",
                    }
                )
            yield [memory_id(r) for r in rows.tolist()], vectors, payloads

    def _track_truth(self, rows: np.ndarray, vectors: np.ndarray) -> None:
        owners = rows % self.users
        for qi, user in enumerate(self.query_users.tolist()):
            mask = owners == user
            if not mask.any():
                continue
            scores = vectors[mask].astype(np.float64) @ self.queries[qi].astype(np.float64)
            all_scores = np.concatenate([self.best_scores[qi], scores])
            all_rows = np.concatenate([self.best_rows[qi], rows[mask]])
            keep = np.argsort(-all_scores)[:10]
            self.best_scores[qi], self.best_rows[qi] = all_scores[keep], all_rows[keep]

    def truth(self, qi: int) -> set[str]:
        return {memory_id(r) for r in self.best_rows[qi].tolist()}


def memory_id(row: int) -> str:
    return f"00000000-0000-4000-8000-{row:012d}"


def make_adapter(store: str, folder: Path, dims: int, url: str | None) -> Any:
    if store == "sqlite":
        return SQLiteAdapter(folder, dims)
    if store == "qdrant":
        return QdrantAdapter(folder, dims)
    assert url is not None, "pgvector needs the server's URL"
    return PgvectorAdapter(url, dims, hnsw=store == "pgvector-hnsw")


def run_child(
    store: str, n: int, per_user: int, dims: int, queries: int, folder: Path, url: str | None
) -> dict[str, Any]:
    """Fill one store with n memories and measure it (runs in its own process)."""
    import logging

    logging.disable(logging.WARNING)
    adapter = make_adapter(store, folder, dims, url)
    work = Workload(n, per_user, dims, queries)
    t0 = time.perf_counter()
    for ids, vectors, payloads in work.chunks():
        adapter.insert(ids, vectors, payloads)
    insert_s = time.perf_counter() - t0

    # searches: a warm-up pass over a few queries, then the timed pass
    for qi in range(min(20, queries)):
        adapter.search(work.queries[qi], f"user{work.query_users[qi]}")
    latencies, hits = [], 0
    for qi in range(queries):
        user = f"user{work.query_users[qi]}"
        start = time.perf_counter()
        got = adapter.search(work.queries[qi], user)
        latencies.append((time.perf_counter() - start) * 1000)
        hits += len(set(got) & work.truth(qi))
    recall = hits / (10 * queries)
    rss_after_search = rss_mb()
    server_mb = adapter.server_mb()

    kw_latencies = []
    rng = np.random.default_rng(5)
    for qi in range(min(100, queries)):
        text = " ".join(WORDS[w] for w in rng.integers(0, len(WORDS), size=4))
        start = time.perf_counter()
        adapter.keyword(text, f"user{work.query_users[qi]}")
        kw_latencies.append((time.perf_counter() - start) * 1000)

    disk = adapter.disk_bytes()

    # one memory at a time, each its own commit, as Mem0's add(infer=False) writes
    singles = []
    rng_single = np.random.default_rng(9)
    for i in range(50):
        v = rng_single.standard_normal((1, dims)).astype(np.float32)
        payload = {"user_id": "single", "data": f"single {i}", "text_lemmatized": f"single {i}"}
        start = time.perf_counter()
        adapter.insert([memory_id(10**11 + i)], v, [payload])
        singles.append((time.perf_counter() - start) * 1000)

    deletes = []
    spare = sorted(set(range(work.users)) - set(work.query_users.tolist()))[:11] or [0]
    for user in spare[:10]:
        start = time.perf_counter()
        adapter.delete_user(f"user{user}")
        deletes.append((time.perf_counter() - start) * 1000)
    adapter.after_deletes(f"user{spare[-1]}")
    adapter.close()
    return {
        "store": adapter.name,
        "n": n,
        "users": work.users,
        "insert_per_s": n / insert_s,
        "single_insert_p50_ms": statistics.median(singles),
        "search_p50_ms": statistics.median(latencies),
        "search_p95_ms": float(np.percentile(latencies, 95)),
        "keyword_p50_ms": statistics.median(kw_latencies) if kw_latencies else 0.0,
        "recall@10": recall,
        "delete_user_ms": statistics.median(deletes),
        "first_vacuum_ms": getattr(adapter, "first_vacuum_ms", 0.0),
        "vacuum_ms": getattr(adapter, "vacuum_ms", 0.0),
        "vacuum_full_ms": getattr(adapter, "vacuum_full_ms", 0.0),
        "rss_mb": rss_after_search,
        "server_mb": server_mb,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "bytes_per_memory": disk / n,
    }


@contextlib.contextmanager
def postgres(scratch: Path) -> Iterator[Any]:
    """A private PostgreSQL with pgvector (pgserver; as root it runs as its own `pgserver` user)."""
    import pgserver

    pgdata = Path(tempfile.mkdtemp(prefix="bench-pg-", dir=scratch))
    server = pgserver.get_server(pgdata, cleanup_mode="delete")
    try:
        yield server
    finally:
        server.cleanup()


def fresh_database(server: Any, name: str) -> str:
    import psycopg

    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return str(server.get_uri(name))


def summary(r: dict[str, Any]) -> str:
    return (
        f"store={r['store']} n={r['n']} search_p50_ms={r['search_p50_ms']:.3f} "
        f"search_p95_ms={r['search_p95_ms']:.3f} recall@10={r['recall@10']:.3f} "
        f"insert_per_s={r['insert_per_s']:.0f} rss_mb={r['rss_mb']:.1f} server_mb={r['server_mb']:.1f} "
        f"bytes_per_memory={r['bytes_per_memory']:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="2000,20000,100000,1000000", help="comma-separated memory counts")
    parser.add_argument(
        "--store",
        choices=["qdrant", "pgvector"],
        default="qdrant",
        help="the store compared with ours (SQLite) in the same run: Qdrant local, or pgvector on a "
        "real PostgreSQL (as the bot sets it up, and with Mem0's HNSW default up to --hnsw-max)",
    )
    parser.add_argument("--per-user", type=int, default=100, help="memories per user")
    parser.add_argument("--dims", type=int, default=384, help="vector dimensions")
    parser.add_argument("--queries", type=int, default=200, help="timed searches per size")
    parser.add_argument(
        "--qdrant-max", type=int, default=20_000, help="largest size also run on Qdrant local"
    )
    parser.add_argument(
        "--hnsw-max", type=int, default=100_000, help="largest size also run on pgvector with Mem0's HNSW"
    )
    parser.add_argument("--dir", type=Path, default=None, help="scratch folder (default: a temp dir)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--url", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    if args.child:
        store, n = args.child.split(":")
        result = run_child(store, int(n), args.per_user, args.dims, args.queries, args.dir, args.url)
        print(json.dumps(result))
        return

    scratch = Path(tempfile.mkdtemp(prefix="bench-memory-", dir=args.dir))
    header = (
        f"{'store':<14}{'n':>9}{'users':>7}{'insert/s':>10}{'1-row ms':>9}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'kw p50':>8}{'rec@10':>7}{'del ms':>8}{'vac1 ms':>9}{'vac ms':>8}{'full ms':>9}{'rss MB':>8}"
        f"{'srv MB':>8}{'B/mem':>7}"
    )
    print(header, flush=True)
    results = []
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, scratch, True)
        server = stack.enter_context(postgres(scratch)) if args.store == "pgvector" else None
        for n in sizes:
            stores = ["sqlite", "pgvector", "pgvector-hnsw"] if server is not None else ["sqlite", "qdrant"]
            for store in stores:
                if (store == "qdrant" and n > args.qdrant_max) or (
                    store == "pgvector-hnsw" and n > args.hnsw_max
                ):
                    continue
                folder = scratch / f"{store}-{n}"
                folder.mkdir()
                url = fresh_database(server, f"bench_{n}") if store.startswith("pgvector") else None
                cmd = [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--child",
                    f"{store}:{n}",
                    "--dir",
                    str(folder),
                    "--per-user",
                    str(args.per_user),
                    "--dims",
                    str(args.dims),
                    "--queries",
                    str(args.queries),
                    *(["--url", url] if url else []),
                ]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                r = json.loads(out.strip().splitlines()[-1])
                results.append(r)
                print(
                    f"{r['store']:<14}{r['n']:>9}{r['users']:>7}{r['insert_per_s']:>10.0f}"
                    f"{r['single_insert_p50_ms']:>9.2f}{r['search_p50_ms']:>8.2f}{r['search_p95_ms']:>8.2f}"
                    f"{r['keyword_p50_ms']:>8.2f}{r['recall@10']:>7.3f}{r['delete_user_ms']:>8.2f}"
                    f"{r['first_vacuum_ms']:>9.0f}{r['vacuum_ms']:>8.1f}{r['vacuum_full_ms']:>9.0f}"
                    f"{r['rss_mb']:>8.0f}{r['server_mb']:>8.0f}{r['bytes_per_memory']:>7.0f}",
                    flush=True,
                )
                shutil.rmtree(folder, ignore_errors=True)
                if url is not None:
                    fresh_database(server, f"bench_{n}")  # drop the data before the next store runs
    ours = [r for r in results if r["store"] == "sqlite"]
    compared = [r for r in results if r["store"] == "pgvector"]
    if ours:
        print(summary(ours[-1]))
    if compared:
        print(summary(compared[-1]))


if __name__ == "__main__":
    main()
