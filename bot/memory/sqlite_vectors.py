"""A Mem0 vector store on one SQLite file whose search cost depends only on the asking user's memories.

Layout (several Mem0 collections share one file; Mem0 opens `<name>_entities` beside `<name>`):
- `collections(id, name, dims)`;
- `vectors(pk, col, id, user_id, agent_id, run_id, vector, payload)`: the vector is a float32 BLOB,
  normalised at write so a dot product is the cosine similarity; the payload is JSON; user, agent
  and run ids are copied out of the payload into indexed columns;
- `vectors_fts`: an FTS5 index (rowid = `vectors.pk`) over the payload's `text_lemmatized`
  (or `data`), for Mem0's hybrid keyword scoring. Its `scope` column holds one opaque numeric token
  per user/agent/run id, so a keyword query ANDs the asking user's token with the words and FTS5
  walks that user's short posting list instead of every user's rows that share a common word.

Search is exact: the rows of the user/agent/run named in the filter are read through their index,
every other filter is applied to their payloads, and numpy scores what remains. No ANN index, so
recall is that of brute force; a user's few hundred memories take well under a millisecond.

Mem0 calls a store from several threads (its `AsyncMemory`, its entity-boost pool; the bot's event
loop and its change thread). Writes go through one connection, under a lock. Reads go through a
connection of the reading thread's own: in WAL mode a reader never waits for a writer, so a read
on the event loop never waits behind a write's fsync (bot/memory/memory_service.py reads there).
Nothing here imports mem0: Mem0 only needs objects with `.id`, `.score` and `.payload` back.

A user's keyword search is kept for a moment (`KeywordMemo`): Mem0's search runs its keyword leg
and our recall asks the same query right after for its own fusion (bot/memory/embedded.py), so the
second is answered from the first. Every write drops the kept searches of the users it touches,
when it starts and again once it is committed, and a search is kept only if no drop came while it
ran: a kept answer is always what the query would return now.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field

from bot.memory.vector_filters import Filters, matches
from bot.runtime.recent import Recent

Vector = Sequence[float] | npt.NDArray[np.floating[Any]]

SCOPE_KEYS = ("user_id", "agent_id", "run_id")
_SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS collections (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    dims INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS vectors (
    pk INTEGER PRIMARY KEY,
    col INTEGER NOT NULL REFERENCES collections(id),
    id TEXT NOT NULL,
    user_id TEXT,
    agent_id TEXT,
    run_id TEXT,
    vector BLOB NOT NULL,
    payload TEXT NOT NULL,
    UNIQUE (col, id)
);
CREATE INDEX IF NOT EXISTS vectors_user ON vectors (col, user_id);
CREATE INDEX IF NOT EXISTS vectors_agent ON vectors (col, agent_id);
CREATE INDEX IF NOT EXISTS vectors_run ON vectors (col, run_id);
CREATE VIRTUAL TABLE IF NOT EXISTS vectors_fts USING fts5(
    text, scope, tokenize = 'porter unicode61 remove_diacritics 2'
);
"""

# Words too common to help a keyword match; the query is raw text (spaCy, which Mem0 would use to
# lemmatize it, is deliberately not installed).
_STOPWORDS = frozenset(
    re.findall(
        r"\w+",
        """a about an and are as at be been but by can could did do does for from had has have he her
        him his how i if in into is it its me my of on or our she so that the their them then there
        they this to was we were what when where which who whom why will with would you your""",
    )
)
_TOKEN = re.compile(r"[^\W_]+")
_MAX_QUERY_TERMS = 32
# Kept keyword searches: how many, and for how long (a write of the user drops them at once; the
# age limit only bounds what another process writing the same file could leave stale).
MEMO_ENTRIES = 256
MEMO_SECONDS = 2.0


class SQLiteVectorConfig(BaseModel):
    """What Mem0 passes to `SQLiteVectorStore(**config.model_dump())`."""

    collection_name: str = Field("mem0", description="Collection (table partition) name")
    path: str = Field(..., description="The SQLite file; its parent folder is created")
    embedding_model_dims: int = Field(1536, ge=1, description="Vector dimensions")
    busy_timeout_ms: int = Field(30_000, ge=0, description="How long a writer waits for another")


@dataclass(frozen=True, slots=True)
class VectorRecord:
    """One stored vector as Mem0 reads it (like Mem0's `OutputData`)."""

    id: str
    score: float | None
    payload: dict[str, Any] = field(default_factory=dict)


class SQLiteVectorStore:
    """Mem0's `VectorStoreBase` contract over one SQLite file (duck-typed: no mem0 import)."""

    def __init__(
        self,
        collection_name: str,
        path: str,
        embedding_model_dims: int,
        busy_timeout_ms: int = 30_000,
        **_ignored: Any,
    ) -> None:
        self.collection_name = collection_name
        self.path = str(path)
        self.embedding_model_dims = int(embedding_model_dims)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self.memo = KeywordMemo()
        self._busy_timeout_ms = int(busy_timeout_ms)
        self._local = threading.local()  # .conn: this thread's read connection
        self._readers: builtins.list[sqlite3.Connection] = []  # every thread's, closed with the store
        self._readers_lock = threading.Lock()
        self._touched: set[str | None] = set()  # users the write in progress changes
        self._touched_all = False  # ...or every user
        self._conn: sqlite3.Connection | None = self._connect()
        conn = self._conn
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: every commit is on disk before it returns. A memory the bot reports as saved, or an
        # erasure it reports as done, must survive a power cut; NORMAL could roll the last
        # transactions back. Writes are one per message, so the extra fsync is not felt.
        conn.execute("PRAGMA synchronous = FULL")
        # Deleted rows are overwritten with zeros, so erased memories leave no text in free pages.
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA foreign_keys = ON")
        with self._write() as cur:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    cur.execute(statement)
            cur.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
        self._col = self.create_col(collection_name, self.embedding_model_dims)

    # --- connection ----------------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"SQLite vector store {self.path} is closed")
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Cursor]:
        """One write transaction, taken at once (BEGIN IMMEDIATE) so it never fails halfway. The
        users it touches (`_drop`) have their kept searches dropped again once it is over: a
        search that read the rows before the commit is not kept past it."""
        with self._lock:
            conn = self._db()
            cur = conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")
            finally:
                touched, everyone = self._touched, self._touched_all
                self._touched, self._touched_all = set(), False
                if everyone:
                    self.memo.clear()
                for user_id in touched:
                    self.memo.drop(user_id)

    def _drop(self, user_id: str | None, *, everyone: bool = False) -> None:
        """In a write: forget the kept searches of `user_id` (every user's with `everyone`), now
        and when the write is over."""
        if everyone:
            self.memo.clear()
            self._touched_all = True
        else:
            self.memo.drop(user_id)
            self._touched.add(user_id)

    def _connect(self) -> sqlite3.Connection:
        """A connection to the file (autocommit, any thread, SQLite's busy timeout)."""
        conn = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=self._busy_timeout_ms / 1000
        )
        conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
        return conn

    def _read(self) -> sqlite3.Connection:
        """This thread's read connection (opened on its first read). In WAL mode it reads the last
        committed state without waiting for a write in progress; statements on it must be read to
        the end (or closed), so no read keeps an old snapshot (and the WAL) alive."""
        self._db()  # raises once the store is closed
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            conn.execute("PRAGMA query_only = ON")
            with self._readers_lock:
                if self._conn is None:  # closed meanwhile
                    conn.close()
                    self._db()
                self._readers.append(conn)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        """Close the connections (idempotent)."""
        with self._lock:
            self.memo.clear()
            with self._readers_lock:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
                readers, self._readers = self._readers, []
            for conn in readers:
                conn.close()

    # --- collections ---------------------------------------------------------------------------

    def create_col(self, name: str, vector_size: int, distance: str = "cosine") -> int:
        """Create collection `name` if missing; returns its id. Only cosine similarity is offered."""
        if distance.lower() != "cosine":
            raise ValueError(f"SQLite vector store supports cosine distance only, not {distance!r}")
        with self._write() as cur:
            row = cur.execute("SELECT id, dims FROM collections WHERE name = ?", (name,)).fetchone()
            if row is None:
                cur.execute("INSERT INTO collections (name, dims) VALUES (?, ?)", (name, int(vector_size)))
                return int(cur.lastrowid or 0)
        if int(row[1]) != int(vector_size):
            raise ValueError(
                f"collection {name!r} in {self.path} holds {row[1]}-d vectors, not {vector_size}-d: "
                "use another collection or file when changing the embedding model"
            )
        return int(row[0])

    def list_cols(self) -> builtins.list[str]:
        """Names of the collections in this file."""
        rows = self._read().execute("SELECT name FROM collections ORDER BY name").fetchall()
        return [str(r[0]) for r in rows]

    def delete_col(self) -> None:
        """Drop this store's collection and all its vectors."""
        with self._write() as cur:
            self._drop(None, everyone=True)
            cur.execute(
                "DELETE FROM vectors_fts WHERE rowid IN (SELECT pk FROM vectors WHERE col = ?)", (self._col,)
            )
            cur.execute("DELETE FROM vectors WHERE col = ?", (self._col,))
            cur.execute("DELETE FROM collections WHERE id = ?", (self._col,))

    def col_info(self) -> dict[str, Any]:
        """Name, dimensions, row count and file of this collection."""
        (count,) = self._read().execute("SELECT count(*) FROM vectors WHERE col = ?", (self._col,)).fetchone()
        return {
            "name": self.collection_name,
            "dims": self.embedding_model_dims,
            "count": int(count),
            "distance": "cosine",
            "path": self.path,
        }

    def reset(self) -> None:
        """Empty this collection (delete and recreate it)."""
        self.delete_col()
        self._col = self.create_col(self.collection_name, self.embedding_model_dims)

    # --- writes --------------------------------------------------------------------------------

    def insert(
        self,
        vectors: Sequence[Vector],
        payloads: Sequence[Mapping[str, Any] | None] | None = None,
        ids: Sequence[Any] | None = None,
    ) -> None:
        """Insert (or replace, by id) vectors with their payloads, in one transaction."""
        if payloads is not None and len(payloads) != len(vectors):
            raise ValueError("insert: payloads and vectors differ in length")
        if ids is not None and len(ids) != len(vectors):
            raise ValueError("insert: ids and vectors differ in length")
        rows = []
        for i, vector in enumerate(vectors):
            payload = dict(payloads[i] or {}) if payloads is not None else {}
            vector_id = str(ids[i]) if ids is not None else str(uuid.uuid4())
            rows.append((vector_id, self._blob(vector), payload))
        with self._write() as cur:
            for vector_id, blob, payload in rows:
                self._upsert(cur, vector_id, blob, payload)

    def update(
        self, vector_id: Any, vector: Vector | None = None, payload: Mapping[str, Any] | None = None
    ) -> None:
        """Replace the vector and/or the whole payload of `vector_id` (Mem0 always passes a full payload)."""
        with self._write() as cur:
            row = cur.execute(
                "SELECT vector, payload FROM vectors WHERE col = ? AND id = ?", (self._col, str(vector_id))
            ).fetchone()
            if row is None:
                raise KeyError(f"vector {vector_id} not found in collection {self.collection_name}")
            blob = self._blob(vector) if vector is not None else bytes(row[0])
            new_payload = dict(payload) if payload is not None else json.loads(row[1])
            self._upsert(cur, str(vector_id), blob, new_payload)

    def delete(self, vector_id: Any) -> None:
        """Delete one vector by id (no error if it is absent)."""
        with self._write() as cur:
            row = cur.execute(
                "SELECT pk, user_id FROM vectors WHERE col = ? AND id = ?", (self._col, str(vector_id))
            ).fetchone()
            if row is not None:
                self._drop(row[1])
                cur.execute("DELETE FROM vectors_fts WHERE rowid = ?", (row[0],))
                cur.execute("DELETE FROM vectors WHERE pk = ?", (row[0],))

    def delete_scope(
        self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> int:
        """Delete every vector of a user/agent/run through its index; returns how many went.

        Mem0's own `delete_all` lists and deletes one memory at a time (writing its history);
        this is the direct path for erasing a whole user from the store.
        """
        scope = {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}
        if not any(scope.values()):
            raise ValueError("delete_scope needs at least one of user_id, agent_id, run_id")
        where, params = self._scope_sql(scope)
        with self._write() as cur:
            # an agent's or a run's rows are any user's
            self._drop(user_id, everyone=user_id is None)
            fts_sql = f"DELETE FROM vectors_fts WHERE rowid IN (SELECT pk FROM vectors WHERE {where})"  # noqa: S608
            cur.execute(fts_sql, params)
            cur.execute(f"DELETE FROM vectors WHERE {where}", params)  # noqa: S608
            return int(cur.rowcount)

    def scrub_deleted(self) -> None:
        """Leave no deleted text anywhere in the file set (called after an erasure).

        Erasure is real: secure_delete zeroes
        deleted rows, but FTS5 (SQLite < 3.42 has no 'secure-delete' option) keeps a deleted row's
        terms in its index segments until they are merged, and the WAL keeps old page images until
        a checkpoint. 'optimize' merges every segment (dropping deleted entries; the old segment
        pages are zeroed by secure_delete), then TRUNCATE empties the WAL.
        """
        with self._write() as cur:
            cur.execute("INSERT INTO vectors_fts(vectors_fts) VALUES ('optimize')")
        with self._lock:
            # It waits (busy_timeout) for reads in progress on the other connections to end.
            busy, _, _ = self._db().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            raise sqlite3.OperationalError(f"{self.path}: the WAL is still in use, erased pages stay in it")

    def _upsert(self, cur: sqlite3.Cursor, vector_id: str, blob: bytes, payload: dict[str, Any]) -> None:
        scope = [_scope_value(payload.get(key)) for key in SCOPE_KEYS]
        text = payload.get("text_lemmatized") or payload.get("data") or ""
        scope_tokens = " ".join(
            self._scope_token(key, value) for key, value in zip(SCOPE_KEYS, scope, strict=True) if value
        )
        encoded = json.dumps(payload, ensure_ascii=False, default=str)
        row = cur.execute(
            "SELECT pk, user_id FROM vectors WHERE col = ? AND id = ?", (self._col, vector_id)
        ).fetchone()
        self._drop(scope[0])
        if row is not None and row[1] != scope[0]:
            self._drop(row[1])
        if row is None:
            cur.execute(
                "INSERT INTO vectors (col, id, user_id, agent_id, run_id, vector, payload)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (self._col, vector_id, *scope, blob, encoded),
            )
            pk = cur.lastrowid
        else:
            pk = row[0]
            cur.execute(
                "UPDATE vectors SET user_id = ?, agent_id = ?, run_id = ?, vector = ?, payload = ?"
                " WHERE pk = ?",
                (*scope, blob, encoded, pk),
            )
            cur.execute("DELETE FROM vectors_fts WHERE rowid = ?", (pk,))
        if isinstance(text, str) and text:
            cur.execute(
                "INSERT INTO vectors_fts (rowid, text, scope) VALUES (?, ?, ?)", (pk, text, scope_tokens)
            )

    def _blob(self, vector: Vector) -> bytes:
        array = np.asarray(vector, dtype=np.float32).reshape(-1)
        if array.shape[0] != self.embedding_model_dims:
            raise ValueError(
                f"vector has {array.shape[0]} dimensions, collection {self.collection_name} "
                f"expects {self.embedding_model_dims}"
            )
        norm = float(np.linalg.norm(array))
        if norm > 0:
            array = array / np.float32(norm)
        return array.astype(np.float32).tobytes()

    # --- reads ---------------------------------------------------------------------------------

    def get(self, vector_id: Any) -> VectorRecord | None:
        """The vector's id and payload, or None."""
        row = (
            self._read()
            .execute("SELECT id, payload FROM vectors WHERE col = ? AND id = ?", (self._col, str(vector_id)))
            .fetchone()
        )
        return None if row is None else VectorRecord(id=row[0], score=None, payload=json.loads(row[1]))

    def list(
        self, filters: Filters | None = None, top_k: int | None = 100
    ) -> builtins.list[builtins.list[VectorRecord]]:
        """Up to `top_k` vectors matching `filters`, oldest first, wrapped in one list as Mem0 expects."""
        scope_sql, params, residual, _ = self._plan(filters)
        sql = f"SELECT id, payload FROM vectors WHERE {scope_sql} ORDER BY pk"  # noqa: S608
        limit = None if top_k is None else max(int(top_k), 0)
        if not residual and limit is not None:
            sql += " LIMIT ?"
            params = [*params, limit]
        out: builtins.list[VectorRecord] = []
        with closing(self._read().execute(sql, params)) as rows:
            for vector_id, raw in rows:
                if limit is not None and len(out) >= limit:
                    break
                payload = json.loads(raw)
                if residual and not matches(payload, residual):
                    continue
                out.append(VectorRecord(id=vector_id, score=None, payload=payload))
        return [out]

    def search(
        self, query: str, vectors: Vector, top_k: int = 5, filters: Filters | None = None
    ) -> builtins.list[VectorRecord]:
        """Exact cosine search over the rows the filters allow; best first, score = cosine similarity."""
        if top_k <= 0:
            return []
        scope_sql, params, residual, _ = self._plan(filters)
        q = np.frombuffer(self._blob(vectors), dtype=np.float32)
        sql = f"SELECT id, vector, payload FROM vectors WHERE {scope_sql}"  # noqa: S608
        rows = self._read().execute(sql, params).fetchall()
        if residual:
            parsed = [(r[0], r[1], json.loads(r[2])) for r in rows]
            candidates = [(i, v, p) for i, v, p in parsed if matches(p, residual)]
        else:
            candidates = [(r[0], r[1], r[2]) for r in rows]
        if not candidates:
            return []
        matrix = np.frombuffer(b"".join(c[1] for c in candidates), dtype=np.float32)
        scores = matrix.reshape(len(candidates), self.embedding_model_dims) @ q
        k = min(top_k, len(candidates))
        best = np.argpartition(-scores, k - 1)[:k] if k < len(candidates) else np.arange(len(candidates))
        best = best[np.lexsort((best, -scores[best]))]
        out = []
        for index in best.tolist():
            vector_id, _, payload = candidates[index]
            out.append(
                VectorRecord(
                    id=vector_id,
                    score=float(scores[index]),
                    payload=payload if isinstance(payload, dict) else json.loads(payload),
                )
            )
        return out

    def search_batch(
        self,
        queries: Sequence[str],
        vectors_list: Sequence[Vector],
        top_k: int = 1,
        filters: Filters | None = None,
    ) -> builtins.list[builtins.list[VectorRecord]]:
        """`search` for each query vector."""
        return [
            self.search(q, v, top_k=top_k, filters=filters)
            for q, v in zip(queries, vectors_list, strict=True)
        ]

    def keyword_search(
        self, query: str, top_k: int = 5, filters: Filters | None = None
    ) -> builtins.list[VectorRecord]:
        """FTS5 BM25 over the rows the filters allow; score = -bm25() (positive, higher is better),
        ties in the order the rows were stored. A repeat within `MEMO_SECONDS` with no write of
        the user between is answered from the kept result (`KeywordMemo`)."""
        if top_k <= 0:
            return []
        kept = self.memo.get(query, top_k, filters)
        if kept is not None:
            return kept
        since = self.memo.generation  # kept only if no write dropped anything while it ran
        hits = self._keyword_search(query, top_k, filters)
        self.memo.put(query, top_k, filters, hits, since=since)
        return list(hits)

    def _keyword_search(self, query: str, top_k: int, filters: Filters | None) -> builtins.list[VectorRecord]:
        words = fts_query(query)
        if words is None:
            return []
        scope_sql, params, residual, scope = self._plan(filters, table="v")
        match = " AND ".join(
            [f'scope : "{self._scope_token(key, value)}"' for key, value in scope.items()]
            + [f"text : ({words})"]
        )
        sql = (
            "SELECT v.id, v.payload, -bm25(vectors_fts, 1.0, 0.0) AS score FROM vectors_fts"  # noqa: S608
            f" JOIN vectors AS v ON v.pk = vectors_fts.rowid WHERE vectors_fts MATCH ? AND {scope_sql}"
            " ORDER BY score DESC, v.pk"
        )
        all_params: builtins.list[Any] = [match, *params]
        if not residual:
            sql += " LIMIT ?"
            all_params.append(int(top_k))
        out: builtins.list[VectorRecord] = []
        with closing(self._read().execute(sql, all_params)) as rows:
            for vector_id, raw, score in rows:
                payload = json.loads(raw)
                if residual and not matches(payload, residual):
                    continue
                out.append(VectorRecord(id=vector_id, score=float(score), payload=payload))
                if len(out) >= top_k:
                    break
        return out

    def has_any(self, filters: Filters | None = None) -> bool:
        """Whether any vector is in the filters' scope (user / agent / run ids; other filters are
        not checked, so True may still mean no match). One indexed lookup: a recall for a user with
        no memories skips the query's embedding call."""
        scope_sql, params, _, _ = self._plan(filters)
        row = self._read().execute(f"SELECT 1 FROM vectors WHERE {scope_sql} LIMIT 1", params).fetchone()  # noqa: S608
        return row is not None

    def count(self) -> int:
        """How many vectors this collection holds."""
        return int(self.col_info()["count"])

    # --- filters -------------------------------------------------------------------------------

    def _plan(
        self, filters: Filters | None, table: str = ""
    ) -> tuple[str, builtins.list[Any], dict[str, Any], dict[str, str]]:
        """Split filters into indexed SQL (collection + plain user/agent/run ids) and the rest.

        Returns the SQL condition, its parameters, the filters left to check on payloads, and the
        scope ids used.
        """
        residual = dict(filters or {})
        scope: dict[str, str] = {}
        for key in SCOPE_KEYS:
            value = residual.get(key)
            if isinstance(value, Mapping) and set(value) == {"eq"}:
                value = value["eq"]
            if isinstance(value, str) and value != "*":
                scope[key] = value
                residual.pop(key)
        where, params = self._scope_sql(scope, table=table)
        return where, params, residual, scope

    def _scope_token(self, key: str, value: str) -> str:
        """The opaque, purely numeric FTS token for one scope id (digits: no stemming, no syntax)."""
        digest = hashlib.blake2b(f"{self._col}\0{key}\0{value}".encode(), digest_size=8).digest()
        return str(int.from_bytes(digest, "big"))

    def _scope_sql(self, scope: Mapping[str, str | None], table: str = "") -> tuple[str, builtins.list[Any]]:
        prefix = f"{table}." if table else ""
        clauses = [f"{prefix}col = ?"]
        params: builtins.list[Any] = [self._col]
        for key in SCOPE_KEYS:
            value = scope.get(key)
            if value is not None:
                clauses.append(f"{prefix}{key} = ?")
                params.append(value)
        return " AND ".join(clauses), params


def _scope_value(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def fts_query(text: str) -> str | None:
    """An FTS5 MATCH expression: any of the query's words (quoted, so no FTS syntax leaks in)."""
    terms: list[str] = []
    for token in _TOKEN.findall(text.lower()):
        if token not in _STOPWORDS and token not in terms:
            terms.append(token)
    if not terms:
        return None
    return " OR ".join(f'"{t}"' for t in terms[:_MAX_QUERY_TERMS])


class KeywordMemo:
    """Recent keyword searches of single users: (user, query, filters) -> (top_k asked, hits).

    `get` answers a search for at most as many hits as a kept one asked for (the first `top_k` of
    them; the kept answer is ordered completely) or any number when the kept one found fewer than
    it asked (every match). Its own small lock, so the event loop can look without waiting for
    the store's (a write holds that through its fsync). `generation` counts the drops: a search
    is kept only if none came while it ran (`put`'s `since`)."""

    def __init__(self, entries: int = MEMO_ENTRIES, seconds: float = MEMO_SECONDS) -> None:
        self._seconds = seconds
        self._lock = threading.Lock()
        self.generation = 0
        self._kept: Recent[tuple[str, str, str], tuple[float, int, builtins.list[VectorRecord]]] = Recent(
            entries
        )

    @staticmethod
    def _key(query: str, filters: Filters | None) -> tuple[str, str, str] | None:
        user = (filters or {}).get("user_id")
        if not isinstance(user, str) or user == "*":
            return None  # only one user's searches are kept (a write says whose rows it changed)
        return user, query, json.dumps(filters, sort_keys=True, default=str)

    def get(self, query: str, top_k: int, filters: Filters | None) -> builtins.list[VectorRecord] | None:
        """The hits of `keyword_search(query, top_k, filters)` if a kept search answers it, else None."""
        key = self._key(query, filters)
        if key is None:
            return None
        with self._lock:
            entry = self._kept.peek(key)
        if entry is None:
            return None
        at, asked, hits = entry
        if time.monotonic() - at > self._seconds or (top_k > asked and len(hits) >= asked):
            return None
        return hits[:top_k]

    def put(
        self,
        query: str,
        top_k: int,
        filters: Filters | None,
        hits: builtins.list[VectorRecord],
        *,
        since: int,
    ) -> None:
        """Keep a search's hits, unless a write dropped kept searches after `since` (the
        `generation` read before the search started)."""
        key = self._key(query, filters)
        if key is None:
            return
        now = time.monotonic()
        with self._lock:
            if self.generation != since:
                return
            self._kept.put(key, (now, top_k, list(hits)))  # past the count, the oldest goes
            for old in self._kept:  # oldest first: drop what is past its age
                kept = self._kept.peek(old)
                if kept is None or now - kept[0] <= self._seconds:
                    break
                self._kept.pop(old)

    def drop(self, user_id: str | None) -> None:
        """Forget the kept searches of `user_id` (a row without a user is in none); a search
        running meanwhile is not kept. The store calls it when a write of the user's rows starts
        and when it is over."""
        with self._lock:
            self.generation += 1
            if user_id is None:
                return
            for key in self._kept:
                if key[0] == user_id:
                    self._kept.pop(key)

    def clear(self) -> None:
        """Forget every kept search (a write whose users are not known)."""
        with self._lock:
            self.generation += 1
            self._kept.clear()
