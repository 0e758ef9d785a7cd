"""The SQLite vector store on its own: every method Mem0 calls, every filter operator, threads."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bot.memory.sqlite_vectors import SQLiteVectorStore, fts_query
from bot.memory.vector_filters import matches

DIMS = 8


def unit(seed: int, dims: int = DIMS) -> list[float]:
    vector = np.random.default_rng(seed).standard_normal(dims)
    return (vector / np.linalg.norm(vector)).tolist()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "memories.sqlite3"


@pytest.fixture
def vectors(db_path: Path) -> Iterator[SQLiteVectorStore]:
    s = SQLiteVectorStore(collection_name="memories", path=str(db_path), embedding_model_dims=DIMS)
    yield s
    s.close()


def add(
    vectors: SQLiteVectorStore, vid: str, user: str, text: str = "", seed: int = 0, **extra: object
) -> None:
    vectors.insert([unit(seed)], [{"user_id": user, "data": text or vid, **extra}], [vid])


# --- schema, pragmas, collections -----------------------------------------------------------------


def test_file_is_created_with_wal_and_secure_delete(vectors: SQLiteVectorStore, db_path: Path) -> None:
    """The file exists under its folder, in WAL mode, with secure_delete and a busy timeout."""
    assert db_path.exists()
    conn = vectors._db()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000


def test_collections_share_one_file_and_stay_apart(vectors: SQLiteVectorStore, db_path: Path) -> None:
    """Mem0's `<name>_entities` collection lives in the same file without seeing the memories."""
    entities = SQLiteVectorStore(
        collection_name="memories_entities", path=str(db_path), embedding_model_dims=DIMS
    )
    try:
        add(vectors, "m1", "alice", "likes tea", seed=1)
        entities.insert([unit(1)], [{"user_id": "alice", "data": "tea"}], ["e1"])
        assert sorted(vectors.list_cols()) == ["memories", "memories_entities"]
        assert [r.id for r in vectors.list({"user_id": "alice"})[0]] == ["m1"]
        assert [r.id for r in entities.search("tea", unit(1), 5, {"user_id": "alice"})] == ["e1"]
        assert vectors.get("e1") is None
        assert vectors.col_info()["count"] == 1
        entities.delete_col()
        assert vectors.list_cols() == ["memories"]
        assert vectors.count() == 1
    finally:
        entities.close()


def test_reopening_with_other_dimensions_is_refused(vectors: SQLiteVectorStore, db_path: Path) -> None:
    """A collection keeps its dimensions: a different embedding model must not mix in."""
    with pytest.raises(ValueError, match="8-d"):
        SQLiteVectorStore(collection_name="memories", path=str(db_path), embedding_model_dims=16)


def test_wrong_vector_length_is_refused(vectors: SQLiteVectorStore) -> None:
    """Inserting a vector of the wrong size raises and stores nothing."""
    with pytest.raises(ValueError, match="dimensions"):
        vectors.insert([[1.0, 2.0]], [{"user_id": "u"}], ["x"])
    assert vectors.count() == 0


def test_only_cosine_is_offered(vectors: SQLiteVectorStore) -> None:
    """Asking for another distance fails loudly instead of scoring wrongly."""
    with pytest.raises(ValueError, match="cosine"):
        vectors.create_col("other", DIMS, "euclid")


def test_closed_store_raises(db_path: Path) -> None:
    """After close() every call fails clearly; close() twice is fine."""
    s = SQLiteVectorStore(collection_name="memories", path=str(db_path), embedding_model_dims=DIMS)
    s.close()
    s.close()
    with pytest.raises(RuntimeError, match="closed"):
        s.get("x")


# --- insert / get / update / delete -------------------------------------------------------------


def test_insert_get_roundtrip_keeps_payload(vectors: SQLiteVectorStore) -> None:
    """get() returns the id and the payload exactly, with no score; unknown ids give None."""
    payload = {"user_id": "u", "data": "Ünïcode ✓", "nested": {"a": [1, 2]}, "n": 3.5}
    vectors.insert([unit(1)], [payload], ["id-1"])
    record = vectors.get("id-1")
    assert record is not None
    assert (record.id, record.score, record.payload) == ("id-1", None, payload)
    assert vectors.get("missing") is None


def test_insert_same_id_replaces(vectors: SQLiteVectorStore) -> None:
    """Inserting an existing id replaces it (Qdrant's upsert), also in the keyword index."""
    add(vectors, "a", "u", "old words", seed=1)
    add(vectors, "a", "u", "new words", seed=2)
    assert vectors.count() == 1
    assert vectors.keyword_search("old", 5, {"user_id": "u"}) == []
    assert [r.id for r in vectors.keyword_search("new", 5, {"user_id": "u"})] == ["a"]


def test_insert_without_ids_generates_them(vectors: SQLiteVectorStore) -> None:
    """Missing ids and payloads are filled in."""
    vectors.insert([unit(1), unit(2)])
    rows = vectors.list()[0]
    assert len(rows) == 2
    assert all(r.id and r.payload == {} for r in rows)


def test_update_vector_and_payload(vectors: SQLiteVectorStore) -> None:
    """update() replaces the payload (and the scope columns), the vector, or both."""
    add(vectors, "a", "alice", "first", seed=1)
    vectors.update("a", payload={"user_id": "bob", "data": "second"})
    record = vectors.get("a")
    assert record is not None
    assert record.payload == {"user_id": "bob", "data": "second"}
    assert vectors.list({"user_id": "alice"})[0] == []
    hits = vectors.search("q", unit(1), 1, {"user_id": "bob"})
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    vectors.update("a", vector=unit(2))
    assert vectors.search("q", unit(2), 1, {"user_id": "bob"})[0].score == pytest.approx(1.0, abs=1e-5)
    assert vectors.get("a").payload["data"] == "second"  # type: ignore[union-attr]
    with pytest.raises(KeyError):
        vectors.update("missing", payload={})


def test_delete_one(vectors: SQLiteVectorStore) -> None:
    """delete() removes the row and its keyword entry; deleting twice is harmless."""
    add(vectors, "a", "u", "hello world", seed=1)
    add(vectors, "b", "u", "hello there", seed=2)
    vectors.delete("a")
    vectors.delete("a")
    assert vectors.get("a") is None
    assert [r.id for r in vectors.keyword_search("hello", 5, {"user_id": "u"})] == ["b"]


def test_delete_scope_removes_only_that_user(vectors: SQLiteVectorStore) -> None:
    """delete_scope(user_id=...) erases that user's rows (and keyword entries) and nobody else's."""
    for i in range(5):
        add(vectors, f"a{i}", "alice", "secret plan", seed=i)
        add(vectors, f"b{i}", "bob", "secret plan", seed=i)
    assert vectors.delete_scope(user_id="alice") == 5
    assert vectors.list({"user_id": "alice"})[0] == []
    assert len(vectors.list({"user_id": "bob"})[0]) == 5
    conn = vectors._db()
    assert conn.execute("SELECT count(*) FROM vectors_fts").fetchone()[0] == 5
    with pytest.raises(ValueError, match="at least one"):
        vectors.delete_scope()


def test_reset_empties_the_collection_only(vectors: SQLiteVectorStore, db_path: Path) -> None:
    """reset() empties this collection and keeps it usable; other collections stay."""
    other = SQLiteVectorStore(collection_name="other", path=str(db_path), embedding_model_dims=DIMS)
    try:
        add(vectors, "a", "u", seed=1)
        other.insert([unit(1)], [{"user_id": "u"}], ["o"])
        vectors.reset()
        assert vectors.count() == 0
        assert other.count() == 1
        add(vectors, "b", "u", seed=2)
        assert vectors.count() == 1
    finally:
        other.close()


# --- list / search / keyword_search ----------------------------------------------------------------


def test_list_is_wrapped_and_limited(vectors: SQLiteVectorStore) -> None:
    """list() returns [rows] (Mem0's delete_all reads [0]), oldest first, at most top_k, None = all."""
    for i in range(7):
        add(vectors, f"m{i}", "u", seed=i)
    result = vectors.list({"user_id": "u"}, top_k=3)
    assert isinstance(result, list)
    assert len(result) == 1
    assert [r.id for r in result[0]] == ["m0", "m1", "m2"]
    assert len(vectors.list({"user_id": "u"}, top_k=None)[0]) == 7
    assert len(vectors.list({"user_id": "u", "data": {"in": ["m5", "m6"]}}, top_k=1)[0]) == 1


def test_search_scores_are_cosine_best_first(vectors: SQLiteVectorStore) -> None:
    """Scores are cosine similarities (scale-free), sorted best first, at most top_k."""
    vectors.insert(
        [
            [1, 0, 0, 0, 0, 0, 0, 0],
            [3, 3, 0, 0, 0, 0, 0, 0],
            [0, 5, 0, 0, 0, 0, 0, 0],
            [-1, 0, 0, 0, 0, 0, 0, 0],
        ],
        [{"user_id": "u", "data": str(i)} for i in range(4)],
        ["x", "xy", "y", "-x"],
    )
    hits = vectors.search("q", [2, 0, 0, 0, 0, 0, 0, 0], top_k=3, filters={"user_id": "u"})
    assert [h.id for h in hits] == ["x", "xy", "y"]
    assert [h.score for h in hits] == pytest.approx([1.0, 0.7071068, 0.0], abs=1e-6)
    assert hits[0].payload == {"user_id": "u", "data": "0"}
    assert vectors.search("q", unit(1), top_k=0, filters={"user_id": "u"}) == []
    assert vectors.search("q", unit(1), top_k=5, filters={"user_id": "nobody"}) == []


def test_search_recall_equals_brute_force(vectors: SQLiteVectorStore) -> None:
    """For every user, the top 10 are exactly brute force over that user's vectors."""
    rng = np.random.default_rng(7)
    users = [f"user{u}" for u in range(12)]
    points = rng.standard_normal((600, DIMS)).astype(np.float32)
    owners = [users[i % len(users)] for i in range(600)]
    vectors.insert(
        list(points),
        [{"user_id": o, "data": f"m{i}"} for i, o in enumerate(owners)],
        [f"m{i}" for i in range(600)],
    )
    normed = points / np.linalg.norm(points, axis=1, keepdims=True)
    for query in rng.standard_normal((20, DIMS)).astype(np.float32):
        q = query / np.linalg.norm(query)
        for user in users[:4]:
            idx = [i for i, o in enumerate(owners) if o == user]
            truth = sorted(idx, key=lambda i: -float(normed[i] @ q))[:10]
            got = vectors.search("q", query.tolist(), top_k=10, filters={"user_id": user})
            assert [h.id for h in got] == [f"m{i}" for i in truth]


def test_users_are_isolated(vectors: SQLiteVectorStore) -> None:
    """A user never sees another user's memories, even when those are much closer to the query."""
    add(vectors, "mine", "alice", "far", seed=1)
    for i in range(50):
        vectors.insert([unit(2)], [{"user_id": "bob", "data": f"b{i}"}], [f"b{i}"])
    assert [h.id for h in vectors.search("q", unit(2), 10, {"user_id": "alice"})] == ["mine"]
    assert [h.id for h in vectors.keyword_search("far", 10, {"user_id": "bob"})] == []
    assert [r.id for r in vectors.list({"user_id": "alice"})[0]] == ["mine"]


def test_agent_and_run_scopes(vectors: SQLiteVectorStore) -> None:
    """agent_id and run_id narrow like user_id, alone or combined."""
    vectors.insert(
        [unit(1), unit(2), unit(3)],
        [
            {"user_id": "u", "run_id": "r1", "data": "a"},
            {"user_id": "u", "run_id": "r2", "data": "b"},
            {"agent_id": "coach", "data": "c"},
        ],
        ["a", "b", "c"],
    )
    assert [r.id for r in vectors.list({"user_id": "u", "run_id": "r2"})[0]] == ["b"]
    assert [r.id for r in vectors.list({"agent_id": "coach"})[0]] == ["c"]
    assert [h.id for h in vectors.search("q", unit(1), 5, {"run_id": {"eq": "r1"}})] == ["a"]
    assert vectors.delete_scope(agent_id="coach") == 1


def test_keyword_search_scores_positive_and_ranks_by_bm25(vectors: SQLiteVectorStore) -> None:
    """keyword_search returns -bm25() (positive, higher better), any word matching, ranked."""
    add(vectors, "a", "u", "I ran a marathon in Berlin last spring", seed=1)
    add(vectors, "b", "u", "marathon training plan for Berlin: marathon pace runs", seed=2)
    add(vectors, "c", "u", "likes green tea", seed=3)
    add(vectors, "d", "other", "Berlin marathon", seed=4)
    hits = vectors.keyword_search("Which marathon did she run in Berlin?", top_k=5, filters={"user_id": "u"})
    assert {h.id for h in hits} == {"a", "b"}
    assert all(h.score is not None and h.score > 0 for h in hits)
    assert hits[0].score >= hits[1].score  # type: ignore[operator]
    assert vectors.keyword_search("marathon", top_k=1, filters={"user_id": "u"})[0].id in {"a", "b"}
    assert vectors.keyword_search("the of and ???", 5, {"user_id": "u"}) == []


def test_keyword_search_stems_and_ignores_fts_syntax(vectors: SQLiteVectorStore) -> None:
    """Porter stemming matches running/runs; quotes, NEAR, '*' or ':' in a query are just text."""
    add(vectors, "a", "u", "She enjoys running", seed=1)
    assert [h.id for h in vectors.keyword_search("runs", 5, {"user_id": "u"})] == ["a"]
    for nasty in ['"unbalanced', "NEAR(x y)", "data:*", "a AND OR NOT", "-running ^"]:
        vectors.keyword_search(nasty, 5, {"user_id": "u"})
    assert fts_query('say "hi" NEAR') == '"say" OR "hi" OR "near"'
    assert fts_query("?! the") is None


def test_keyword_search_honours_other_filters(vectors: SQLiteVectorStore) -> None:
    """Metadata filters apply to keyword hits too."""
    add(vectors, "a", "u", "pizza night", seed=1, categories=["food"])
    add(vectors, "b", "u", "pizza oven", seed=2, categories=["tools"])
    hits = vectors.keyword_search("pizza", 5, {"user_id": "u", "categories": "food"})
    assert [h.id for h in hits] == ["a"]


# --- the filter language Mem0 passes ---------------------------------------------------------------

PAYLOADS = {
    "a": {
        "user_id": "u",
        "data": "Runs in Paris",
        "n": 1,
        "categories": ["health", "sport"],
        "day": "2024-01-05",
    },
    "b": {
        "user_id": "u",
        "data": "Lives in London",
        "n": 5,
        "categories": ["home"],
        "day": "2024-03-01T10:00:00Z",
    },
    "c": {"user_id": "u", "data": "paris trip", "n": 10, "day": "2023-12-31"},
}


@pytest.fixture
def filled(vectors: SQLiteVectorStore) -> SQLiteVectorStore:
    for i, (vid, payload) in enumerate(PAYLOADS.items()):
        vectors.insert([unit(i)], [payload], [vid])
    add(vectors, "z", "someone-else", "Paris", n=1, categories=["health"])
    return vectors


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, {"a", "b", "c"}),
        ({"n": 5}, {"b"}),
        ({"categories": "health"}, {"a"}),
        ({"categories": ["home", "nothing"]}, {"b"}),
        ({"n": {"eq": 10}}, {"c"}),
        ({"n": {"ne": 1}}, {"b", "c"}),
        ({"n": {"in": [1, 10]}}, {"a", "c"}),
        ({"n": {"nin": [1, 10]}}, {"b"}),
        ({"categories": {"nin": ["health"]}}, {"b"}),
        ({"n": {"gt": 1}}, {"b", "c"}),
        ({"n": {"gte": 5}}, {"b", "c"}),
        ({"n": {"lt": 5}}, {"a"}),
        ({"n": {"lte": 5}}, {"a", "b"}),
        ({"n": {"gte": 2, "lte": 9}}, {"b"}),
        ({"day": {"gte": "2024-01-01"}}, {"a", "b"}),
        ({"day": {"lt": "2024-03-01T11:00:00+01:00"}}, {"a", "c"}),
        ({"data": {"contains": "Paris"}}, {"a"}),
        ({"data": {"icontains": "PARIS"}}, {"a", "c"}),
        ({"categories": "*"}, {"a", "b"}),
        ({"missing": {"ne": 1}}, set()),
        ({"$or": [{"n": 1}, {"n": {"gt": 9}}]}, {"a", "c"}),
        ({"$not": [{"n": 1}, {"categories": "home"}]}, {"c"}),
        ({"OR": [{"data": {"icontains": "london"}}]}, {"b"}),
        ({"NOT": [{"n": {"lt": 10}}]}, {"c"}),
        ({"AND": [{"n": {"gte": 1}}, {"categories": "sport"}]}, {"a"}),
        ({"$or": [{"n": 1}, {"n": 5}], "$not": [{"categories": "home"}]}, {"a"}),
    ],
)
def test_filter_operators(filled: SQLiteVectorStore, extra: dict[str, object], expected: set[str]) -> None:
    """Each operator Mem0 may pass selects the same rows in list, search and keyword_search."""
    filters = {"user_id": "u", **extra}
    assert {r.id for r in filled.list(filters)[0]} == expected
    assert {h.id for h in filled.search("q", unit(0), 10, filters)} == expected
    keyword = {h.id for h in filled.keyword_search("paris london runs trip", 10, filters)}
    assert keyword == expected


def test_wildcard_user_and_no_scope_scan_the_collection(filled: SQLiteVectorStore) -> None:
    """user_id '*' means any user; no filter at all lists the whole collection."""
    assert len(filled.list({"user_id": "*"})[0]) == 4
    assert len(filled.list(None)[0]) == 4
    assert {h.id for h in filled.search("q", unit(0), 10, {"user_id": {"in": ["u"]}, "n": 1})} == {"a"}


def test_unknown_operator_raises() -> None:
    """An operator we do not know is an error, not a silent match-all."""
    with pytest.raises(ValueError, match="unsupported"):
        matches({"n": 1}, {"n": {"regex": "x"}})
    with pytest.raises(ValueError, match="list"):
        matches({"n": 1}, {"$or": {"n": 1}})


# --- threads ------------------------------------------------------------------------------------


def test_many_threads_hammering_one_file(db_path: Path) -> None:
    """Twelve threads adding, searching, listing and deleting at once: no error, consistent counts."""
    stores = [
        SQLiteVectorStore(collection_name="memories", path=str(db_path), embedding_model_dims=DIMS),
        SQLiteVectorStore(collection_name="memories_entities", path=str(db_path), embedding_model_dims=DIMS),
    ]
    errors: list[BaseException] = []
    per_thread = 60

    def work(t: int) -> None:
        try:
            store = stores[0]  # most threads share one store (its write connection under its lock)
            for i in range(per_thread):
                user = f"user{t}"
                store.insert(
                    [unit(t * 1000 + i)], [{"user_id": user, "data": f"note {i} of {t}"}], [f"{t}-{i}"]
                )
                store.search("q", unit(i), 5, {"user_id": user})
                store.keyword_search("note", 5, {"user_id": user})
                if i % 10 == 0:
                    store.delete(f"{t}-{i}")
                    stores[1].insert([unit(i)], [{"user_id": user, "data": "entity"}], [f"e{t}-{i}"])
                    store.list({"user_id": user}, top_k=1000)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for s in stores:
        s.close()
    assert errors == []
    expected = 12 * (per_thread - per_thread // 10)
    reopened = SQLiteVectorStore(collection_name="memories", path=str(db_path), embedding_model_dims=DIMS)
    try:
        assert reopened.count() == expected
        assert len(reopened.list({"user_id": "user3"}, top_k=None)[0]) == per_thread - per_thread // 10
        conn = reopened._db()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM vectors_fts").fetchone()[0] == expected + 12 * 6
    finally:
        reopened.close()
    check = sqlite3.connect(db_path)
    try:
        assert check.execute("SELECT count(*) FROM vectors").fetchone()[0] == expected + 12 * 6
    finally:
        check.close()


class Held:
    """A payload value whose JSON encoding waits until `release`: the insert holding it is a write
    in progress (its transaction begun, earlier rows written, nothing committed) meanwhile."""

    def __init__(self) -> None:
        self.encoding = threading.Event()
        self.release = threading.Event()

    def __str__(self) -> str:
        self.encoding.set()
        self.release.wait(30)
        return "held"


def write_held(store: SQLiteVectorStore, held: Held) -> threading.Thread:
    """On another thread, insert a row "b" of u1, then a row "c" of u2: the write stops inside its
    transaction, on the second row, before it touches u2 (u1's kept searches are dropped already)."""
    rows = [{"user_id": "u1", "data": "knee surgery"}, {"user_id": "u2", "data": "knee brace", "note": held}]
    writer = threading.Thread(target=store.insert, args=([unit(1), unit(2)], rows, ["b", "c"]))
    writer.start()
    assert held.encoding.wait(10)
    return writer


def test_reads_never_wait_for_a_write_in_progress(vectors: SQLiteVectorStore) -> None:
    """While a write holds the store (as it does through its commit's fsync), every read answers at
    once with what was committed: the event loop reads this store itself (MemoryService)."""
    add(vectors, "a", "u1", "knee pain", seed=3)
    held = Held()
    writer = write_held(vectors, held)
    seen: dict[str, object] = {}

    def read() -> None:
        mine = {"user_id": "u1"}
        seen["get"] = vectors.get("b")
        seen["list"] = [r.id for r in vectors.list(mine, top_k=None)[0]]
        seen["search"] = [r.id for r in vectors.search("q", unit(1), 5, mine)]
        seen["keyword"] = [r.id for r in vectors.keyword_search("knee", 5, mine)]
        seen["any"] = vectors.has_any({"user_id": "u1"})
        seen["count"] = vectors.count()

    reader = threading.Thread(target=read)
    try:
        reader.start()
        reader.join(10)
        assert not reader.is_alive(), "a read waited for the write in progress"
    finally:
        held.release.set()
        writer.join()
        reader.join()
    assert seen == {"get": None, "list": ["a"], "search": ["a"], "keyword": ["a"], "any": True, "count": 1}
    assert [r.id for r in vectors.list({"user_id": "u1"}, top_k=None)[0]] == ["a", "b"]


def test_a_keyword_search_during_a_write_is_not_kept_past_it(vectors: SQLiteVectorStore) -> None:
    """A keyword search that read the user's rows while a write of them was in progress answers
    with what was committed; once the write is committed, the same search sees the new rows."""
    add(vectors, "a", "u1", "knee pain")
    mine = {"user_id": "u1"}
    held = Held()
    writer = write_held(vectors, held)
    try:
        assert [r.id for r in vectors.keyword_search("knee", 5, mine)] == ["a"]
    finally:
        held.release.set()
        writer.join()
    assert vectors.memo.get("knee", 5, mine) is None
    assert sorted(r.id for r in vectors.keyword_search("knee", 5, mine)) == ["a", "b"]


def test_reading_threads_have_their_own_connections_closed_with_the_store(db_path: Path) -> None:
    """Each thread that reads opens one connection of its own, read-only; `close` closes them all,
    and a read after it fails clearly."""
    store = SQLiteVectorStore(collection_name="memories", path=str(db_path), embedding_model_dims=DIMS)
    add(store, "a", "u1")
    errors: list[BaseException] = []

    def read() -> None:
        try:
            assert store.has_any({"user_id": "u1"})
            assert store.get("a") is not None
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.has_any({"user_id": "u1"})
    assert len(store._readers) == 4  # three threads and this one
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        store._readers[0].execute("DELETE FROM vectors")
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        store.get("a")
