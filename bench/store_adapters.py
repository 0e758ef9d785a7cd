"""The vector stores bench/memory_store.py compares, behind one small interface: our SQLite store,
Mem0's Qdrant in local mode, and Mem0's pgvector store on a PostgreSQL server (configured as the bot
configures it, or with Mem0's defaults: an HNSW index)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def dir_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class SQLiteAdapter:
    name = "sqlite"

    def __init__(self, folder: Path, dims: int) -> None:
        sys.path.insert(0, str(ROOT))
        from bot.memory.sqlite_vectors import SQLiteVectorStore

        self.path = folder / "memories.sqlite3"
        self.store = SQLiteVectorStore(
            collection_name="memories", path=str(self.path), embedding_model_dims=dims
        )

    def insert(self, ids: list[str], vectors: np.ndarray, payloads: list[dict[str, Any]]) -> None:
        self.store.insert(vectors, payloads, ids)

    def search(self, vector: np.ndarray, user: str) -> list[str]:
        return [r.id for r in self.store.search("", vector, top_k=10, filters={"user_id": user})]

    def keyword(self, text: str, user: str) -> int:
        return len(self.store.keyword_search(text, top_k=60, filters={"user_id": user}))

    def delete_user(self, user: str) -> None:
        self.store.delete_scope(user_id=user)

    def disk_bytes(self) -> int:
        self.store._db().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return sum(dir_bytes(p) for p in self.path.parent.glob("memories.sqlite3*"))

    def after_deletes(self, spare_user: str) -> None:
        """Nothing to do: the store scrubs as it deletes."""

    def server_mb(self) -> float:
        return 0.0  # embedded: all in the bot's process

    def close(self) -> None:
        self.store.close()


class QdrantAdapter:
    name = "qdrant-local"

    def __init__(self, folder: Path, dims: int) -> None:
        os.environ["MEM0_TELEMETRY"] = "false"
        os.environ["MEM0_DIR"] = str(folder / "mem0")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from mem0.vector_stores.qdrant import Qdrant

        self.path = folder / "qdrant"
        # as bot.memory.mem0_config configures it
        self.store = Qdrant(
            collection_name="memories", embedding_model_dims=dims, path=str(self.path), on_disk=True
        )

    def insert(self, ids: list[str], vectors: np.ndarray, payloads: list[dict[str, Any]]) -> None:
        self.store.insert(vectors.tolist(), payloads, ids)

    def search(self, vector: np.ndarray, user: str) -> list[str]:
        return [
            str(p.id) for p in self.store.search("", vector.tolist(), top_k=10, filters={"user_id": user})
        ]

    def keyword(self, text: str, user: str) -> int:
        return len(self.store.keyword_search(text, top_k=60, filters={"user_id": user}) or [])

    def delete_user(self, user: str) -> None:
        from qdrant_client import models

        self.store.client.delete(
            collection_name="memories",
            points_selector=models.FilterSelector(filter=self.store._create_filter({"user_id": user})),
        )

    def disk_bytes(self) -> int:
        return dir_bytes(self.path)

    def after_deletes(self, spare_user: str) -> None:
        """Nothing to do here (the bot VACUUMs Qdrant's files on erasure; not timed)."""

    def server_mb(self) -> float:
        return 0.0  # embedded: all in the bot's process

    def close(self) -> None:
        self.store.client.close()


class PgvectorAdapter:
    """Mem0's pgvector store on a running server. `hnsw=False` is the bot's set-up
    (`bot.memory.pgvector`: no HNSW, a btree on the user id); `hnsw=True` is Mem0's default."""

    def __init__(self, url: str, dims: int, *, hnsw: bool) -> None:
        sys.path.insert(0, str(ROOT))
        os.environ["MEM0_TELEMETRY"] = "false"
        from mem0.vector_stores.pgvector import PGVector

        from bot.memory import pgvector

        self.name = "pgvector-hnsw" if hnsw else "pgvector"
        self.url = url
        self.store = PGVector(
            dbname="", collection_name="memories", embedding_model_dims=dims, user=None, password=None,
            host=None, port=None, diskann=False, hnsw=hnsw, connection_string=url,
        )  # fmt: skip
        if hnsw:
            self.store.create_col()  # Mem0's defaults: HNSW + GIN, no index on the user id
        else:
            pgvector.prepare(self.store)
        self.first_vacuum_ms = self.vacuum_ms = self.vacuum_full_ms = 0.0

    def insert(self, ids: list[str], vectors: np.ndarray, payloads: list[dict[str, Any]]) -> None:
        self.store.insert(vectors.tolist(), payloads, ids)

    def search(self, vector: np.ndarray, user: str) -> list[str]:
        return [r.id for r in self.store.search("", vector.tolist(), top_k=10, filters={"user_id": user})]

    def keyword(self, text: str, user: str) -> int:
        return len(self.store.keyword_search(text, top_k=60, filters={"user_id": user}) or [])

    def delete_user(self, user: str) -> None:
        """As the bot erases: Mem0 deletes the user's memories one by one (VACUUM timed apart)."""
        (rows,) = self.store.list(filters={"user_id": user}, top_k=100_000)
        for row in rows:
            self.store.delete(row.id)

    def after_deletes(self, spare_user: str) -> None:
        """The bot's VACUUM after an erasure, timed twice: the first one after the bulk load (it
        visits every page) and, after erasing one more user, a steady-state one; then the
        VACUUM FULL an operator may run to drop the freed bytes (it locks the table meanwhile)."""
        from bot.memory import pgvector

        start = time.perf_counter()
        pgvector.vacuum(self.store)
        self.first_vacuum_ms = (time.perf_counter() - start) * 1000
        self.delete_user(spare_user)
        start = time.perf_counter()
        pgvector.vacuum(self.store)
        self.vacuum_ms = (time.perf_counter() - start) * 1000
        if self.name == "pgvector":
            start = time.perf_counter()
            with self.store.connection_pool.connection() as conn:
                conn.autocommit = True
                conn.execute("VACUUM FULL memories")
                conn.autocommit = False
            self.vacuum_full_ms = (time.perf_counter() - start) * 1000

    def disk_bytes(self) -> int:
        with self.store.connection_pool.connection() as conn:
            row = conn.execute("SELECT pg_total_relation_size('memories')").fetchone()
        return int(row[0]) if row else 0

    def server_mb(self) -> float:
        """Proportional set size (shared memory split between processes) of the server's processes."""
        import psutil

        with self.store.connection_pool.connection() as conn:
            row = conn.execute("SELECT pg_postmaster_start_time(), pg_backend_pid()").fetchone()
            assert row is not None
            backend = psutil.Process(int(row[1]))
        postmaster = backend.parent()
        total = 0
        for proc in [postmaster, *postmaster.children()]:
            try:
                for line in Path(f"/proc/{proc.pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
            except (OSError, psutil.Error):
                continue
        return total / 2**20

    def close(self) -> None:
        self.store.connection_pool.close()
