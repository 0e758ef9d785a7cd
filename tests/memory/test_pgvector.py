"""The scale path for real: Mem0's pgvector store on a running PostgreSQL (the session's pgserver),
through the bot's MemoryService, writer, recall and /forget."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.advisor.recall import Recaller
from bot.cli.check import run_checks
from bot.memory import pgvector
from tests.fakes.gemini_api import FakeGemini, embed_text
from tests.fakes.telegram_api import FakeTelegram
from tests.support.chat import buttons, say
from tests.support.harness import StartBot, bot_env, make_settings, run_cli
from tests.support.memory_pipeline import Pipeline, files_containing, open_pipeline
from tests.support.postgres import Postgres, relation_files, where_found

# A real PostgreSQL server (pgserver): slow, and under `make test`'s two workers all of these run on
# one of them (--dist loadgroup), so one server starts, once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("postgres")]


@pytest.fixture
async def pg_pipeline(fake_gemini: FakeGemini, tmp_path: Path, postgres_url: str) -> AsyncIterator[Pipeline]:
    """The real memory layer (Mem0 on pgvector) against the fake Gemini embeddings."""
    pipe = await open_pipeline(fake_gemini, tmp_path / "data", VECTOR_STORE_URL=postgres_url)
    yield pipe
    await pipe.close()


async def remember(pipe: Pipeline, user_id: str, text: str, at: str = "2025-03-03T09:00:00+00:00") -> str:
    (item,) = await pipe.memory.add(
        user_id, [{"role": "user", "content": text}], metadata={"saved_at": at}, infer=False
    )
    return item.id


def rows_by_user(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT payload->>'user_id', count(*) FROM memories GROUP BY 1").fetchall()
    return {str(user): int(count) for user, count in rows}


async def test_memory_round_trip_through_the_memory_service(pg_pipeline: Pipeline, postgres_url: str) -> None:
    """Add, search (user filter), keyword scores, list, update with history, delete, erase a user:
    each touches only the asking user's rows in PostgreSQL."""
    assert pg_pipeline.memory.backend == "mem0-oss/pgvector"
    knee = await remember(pg_pipeline, "u1", "Has a sore left knee")
    await remember(pg_pipeline, "u1", "Swims on Tuesday mornings")
    other = await remember(pg_pipeline, "u2", "Has a sore left knee after skiing")
    assert rows_by_user(postgres_url) == {"u1": 2, "u2": 1}

    found = await pg_pipeline.memory.search("u1", "sore knee", limit=5, explain=True)
    assert found[0].text == "Has a sore left knee"
    assert {i.user_id for i in found} == {"u1"}
    assert found[0].semantic_score is not None
    scores = await pg_pipeline.memory.keyword_scores("u1", "knee", limit=10)
    assert set(scores) == {knee}
    assert await pg_pipeline.texts("u1") == {"Has a sore left knee", "Swims on Tuesday mornings"}

    assert await pg_pipeline.memory.update("u1", knee, "Has a healed left knee")
    assert await pg_pipeline.texts("u1") == {"Has a healed left knee", "Swims on Tuesday mornings"}
    events = [row["event"] for row in await pg_pipeline.memory.history("u1", knee)]
    assert events == ["ADD", "UPDATE"]

    # ids are not user-scoped in Mem0: another user's id is refused, not deleted
    assert not await pg_pipeline.memory.delete("u1", other)
    assert await pg_pipeline.memory.get("u1", other) is None
    assert await pg_pipeline.memory.delete("u1", knee)
    assert await pg_pipeline.texts("u1") == {"Swims on Tuesday mornings"}

    await remember(pg_pipeline, "u1", "Runs 5 km on Sundays")
    assert await pg_pipeline.memory.erase_user("u1", [knee]) == 2
    assert await pg_pipeline.memory.list_memories("u1") == []
    assert await pg_pipeline.memory.history("u1", knee) == []
    assert rows_by_user(postgres_url) == {"u2": 1}
    assert [i.text for i in await pg_pipeline.memory.list_memories("u2")] == [
        "Has a sore left knee after skiing"
    ]


async def test_a_user_with_few_memories_gets_them_among_many_closer_ones(
    pg_pipeline: Pipeline, postgres_url: str
) -> None:
    """Search reads the asking user's rows through the user index (no HNSW post-filter): a user
    with 3 memories gets all 3 back although 3,000 of other users' memories are closer; the
    query plan uses the index."""
    mine = {await remember(pg_pipeline, "few", text) for text in ("Knee brace", "Knee tape", "Knee ice")}
    store = pg_pipeline.memory._client.vector_store
    texts = [f"Has a sore left knee {i}" for i in range(3000)]
    vectors = [embed_text(t, pg_pipeline.settings.embedding_dims) for t in texts]
    payloads = [{"user_id": f"crowd{i % 30}", "data": t, "text_lemmatized": t} for i, t in enumerate(texts)]
    ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(3000)]
    store.insert(vectors, payloads, ids)

    found = await pg_pipeline.memory.search("few", "Has a sore left knee", limit=10, threshold=0.0)
    assert {i.id for i in found} == mine

    with psycopg.connect(postgres_url) as conn:
        conn.execute("ANALYZE memories")
        indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename='memories'")}
        plan = "\n".join(
            r[0]
            for r in conn.execute(
                "EXPLAIN SELECT id, vector <=> %s::vector AS distance, payload FROM memories "
                "WHERE payload->>'user_id' = %s ORDER BY distance LIMIT 40",
                (str(vectors[0]), "few"),
            )
        )
    assert indexes == {"memories_pkey", "memories_user_id_idx"}
    assert "memories_user_id_idx" in plan


async def test_a_table_made_with_mem0_defaults_loses_its_hnsw_and_text_indexes(
    fake_gemini: FakeGemini, tmp_path: Path, postgres_url: str
) -> None:
    """A deployment that ran Mem0's defaults before: the HNSW index (which drops a user's rows
    after the graph walk) and the GIN index (which keeps erased words as keys) are dropped at start."""
    from mem0.vector_stores.pgvector import PGVector

    old = PGVector(
        dbname="x", collection_name="memories", embedding_model_dims=768, user=None, password=None,
        host=None, port=None, diskann=False, hnsw=True, connection_string=postgres_url,
    )  # fmt: skip
    old.create_col()
    old.connection_pool.close()
    with psycopg.connect(postgres_url) as conn:
        before = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename='memories'")}
    assert {"memories_hnsw_idx", "memories_text_lemmatized_idx"} <= before

    pipe = await open_pipeline(fake_gemini, tmp_path / "data", VECTOR_STORE_URL=postgres_url)
    await pipe.close()
    with psycopg.connect(postgres_url) as conn:
        after = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename='memories'")}
    assert after == {"memories_pkey", "memories_user_id_idx"}


async def test_vacuum_removes_the_dead_tuple_a_delete_leaves(
    pg_pipeline: Pipeline, postgres: Postgres, postgres_url: str
) -> None:
    """A DELETE alone leaves the text in a dead tuple of the table file; `pgvector.vacuum` removes
    it (read from the files, line pointer by line pointer)."""
    memory_id = await remember(pg_pipeline, "u1", "Keeps a Quokkaharbour membership card")
    await remember(pg_pipeline, "u1", "Something else entirely")
    client: Any = pg_pipeline.memory._client
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        assert where_found(relation_files(conn, postgres.pgdata, "memories"), "Quokkaharbour") == {
            "memories": "tuple"
        }
        client.delete(memory_id)  # Mem0's delete, without the bot's erasure
        assert where_found(relation_files(conn, postgres.pgdata, "memories"), "Quokkaharbour") == {
            "memories": "tuple"
        }, "a deleted row stays as a dead tuple until VACUUM"
        # The dead-tuple count PostgreSQL reports can lag on a busy machine (another backend's
        # statistics are flushed later, or an older snapshot is still open): VACUUM again until it
        # reports none, for at most 5 s. The file check below is what proves the text is gone.
        dead = [pgvector.vacuum(client.vector_store)]
        while dead[-1] and len(dead) < 50:
            await asyncio.sleep(0.1)
            dead.append(pgvector.vacuum(client.vector_store))
        assert dead[-1] == 0, dead
        left = where_found(relation_files(conn, postgres.pgdata, "memories"), "Quokkaharbour")
    assert "tuple" not in left.values()


ERASED, KEPT = 3001, 3002
CANARIES = ("Zanzibarquokka", "Ottertrellis")


async def test_forget_on_pgvector_erases_rows_and_their_dead_tuples(
    start_bot: StartBot,
    fake_telegram: FakeTelegram,
    fake_gemini: FakeGemini,
    postgres: Postgres,
    postgres_url: str,
    tmp_path: Path,
) -> None:
    """Through the fake Telegram: what a chat says is extracted by the writer into pgvector and
    recalled into a later prompt; /forget (confirmed) deletes its rows and VACUUMs the table, so
    no live or dead tuple (nor any index) holds its words and no file under DATA_DIR does; the
    other chat's memories stay and are still recalled."""
    bot = await start_bot(VECTOR_STORE_URL=postgres_url)
    await say(fake_telegram, "I swim at the Zanzibarquokka pool. I lift at Ottertrellis.", chat_id=ERASED)
    await say(fake_telegram, "I train at the Platypusfjord gym.", chat_id=KEPT)
    await bot.settle()
    assert rows_by_user(postgres_url) == {f"tg-{ERASED}": 2, f"tg-{KEPT}": 1}

    await say(fake_telegram, "Where do I swim at the pool?", chat_id=ERASED)
    assert "zanzibarquokka" in fake_gemini.last_chat_prompt().split("<memories>")[1].lower()

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        vacuums_before = conn.execute(
            "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'memories'"
        ).fetchone()
        files = relation_files(conn, postgres.pgdata, "memories")
    assert where_found(files, "Zanzibarquokka") == {"memories": "tuple"}

    confirm = await say(fake_telegram, "/forget", chat_id=ERASED)
    yes = next(b for b in buttons(confirm) if b["callback_data"].startswith("forget:yes"))
    fake_telegram.press_button(ERASED, yes["callback_data"], message_id=confirm["message_id"])
    await fake_telegram.wait_for_call(
        "editMessageText", lambda call: "forgotten" in call.params.get("text", "")
    )

    assert rows_by_user(postgres_url) == {f"tg-{KEPT}": 1}
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        vacuums_after = conn.execute(
            "SELECT vacuum_count, n_dead_tup FROM pg_stat_user_tables WHERE relname = 'memories'"
        ).fetchone()
        files = relation_files(conn, postgres.pgdata, "memories")
    assert vacuums_before is not None
    assert vacuums_after is not None
    assert vacuums_after[0] > vacuums_before[0], "no VACUUM ran after /forget"
    assert vacuums_after[1] == 0
    for word in CANARIES:
        for needle in (word, word.lower()):
            assert "tuple" not in where_found(files, needle).values(), needle
            assert set(where_found(files, needle)) <= {"memories"}, "an index keeps the word"
    assert files_containing(tmp_path / "data", list(CANARIES)) == {}
    assert any("Platypusfjord" in i.text for i in await bot.controls.memories(KEPT))

    await say(fake_telegram, "Which gym do I train at?", chat_id=KEPT)
    assert "platypusfjord" in fake_gemini.last_chat_prompt().split("<memories>")[1].lower()
    await say(fake_telegram, "Where do I swim at the pool?", chat_id=ERASED)
    assert "<memories>" not in fake_gemini.last_chat_prompt()


async def test_writer_and_recall_survive_a_restart_on_pgvector(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini, postgres_url: str
) -> None:
    """Facts the memory writer stored in PostgreSQL are recalled by a restarted bot; a Recaller
    over the same store ranks the matching memory first."""
    bot = await start_bot(VECTOR_STORE_URL=postgres_url)
    await say(fake_telegram, "I prefer morning workouts. I am vegetarian. My left knee is injured.")
    await bot.settle()
    await bot.stop()

    bot = await start_bot(VECTOR_STORE_URL=postgres_url)
    await say(fake_telegram, "Give me my fitness preferences")
    prompt = fake_gemini.last_chat_prompt().split("<memories>")[1].lower()
    for fact in ("morning workouts", "vegetarian", "knee"):
        assert fact in prompt
    recaller = Recaller(bot.services.memory, top_k=1, min_score=0.0, context_after=0)
    (hit,) = await recaller.recall("tg-1001", "my injured left knee")
    assert "knee" in hit.text.lower()


def test_an_unusable_postgres_stops_the_bot_with_its_reason(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, postgres: Postgres, tmp_path: Path
) -> None:
    """A refused connection or a missing database: exit code 6 at once, PostgreSQL's reason and
    the server named, the password never."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    refused = f"postgresql://advisor:hunter2@127.0.0.1:{closed_port}/memories"
    missing = postgres.url("no_such_database")
    for url, reason in (
        (refused, "Connection refused"),
        (missing, 'database "no_such_database" does not exist'),
    ):
        env = bot_env(fake_telegram, fake_gemini, tmp_path / "data", VECTOR_STORE_URL=url)
        result = run_cli(env, tmp_path, "chat", input="exit\n", timeout=60)
        output = result.stdout + result.stderr
        assert result.returncode == 6, output
        assert "Cannot start: the PostgreSQL of VECTOR_STORE_URL" in output
        assert reason in output
        assert "hunter2" not in output
        assert "Traceback" not in output


async def test_check_reports_the_memory_store(
    fake_telegram: FakeTelegram,
    fake_gemini: FakeGemini,
    postgres: Postgres,
    postgres_url: str,
    tmp_path: Path,
) -> None:
    """`python -m bot check` connects to VECTOR_STORE_URL and names the pgvector version."""
    settings = make_settings(
        tmp_path, telegram=fake_telegram, gemini=fake_gemini, VECTOR_STORE_URL=postgres_url
    )
    store = next(c for c in await run_checks(settings) if c.name == "memory store")
    assert store.ok, store.detail
    assert "pgvector 0.6.2" in store.detail
    bad = make_settings(
        tmp_path, telegram=fake_telegram, gemini=fake_gemini, VECTOR_STORE_URL=postgres.url("gone")
    )
    store = next(c for c in await run_checks(bad) if c.name == "memory store")
    assert not store.ok
    assert "does not exist" in store.detail


MALFORMED = [
    ("postgresql://advisor:hunter2 secret@127.0.0.1:5/memories", "a space"),
    ("postgresql://advisor:hunter2%secret@127.0.0.1:5/memories", "%25"),
    ("postgresql://advisor:hunter2%00secret@127.0.0.1:5/memories", "%00"),
    ("postgresql://advisor:hunter2[secret@127.0.0.1:5/memories", "host or port cannot be read"),
    ("postgresql://advisor:hunter2#secret@127.0.0.1:5/memories", "host or port cannot be read"),
    ("postgresql://advisor:hunter2/secret@127.0.0.1:5/memories", "host or port cannot be read"),
]


@pytest.mark.parametrize(("url", "reason"), MALFORMED)
def test_a_malformed_url_exits_6_with_its_reason_and_never_shows_the_password(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path, url: str, reason: str
) -> None:
    """N1: a password holding a space, a bare %, %00, an unclosed [ (or an unescaped # or /):
    exit code 6 with what is wrong, at start and in `check`; no password, no traceback."""
    env = bot_env(fake_telegram, fake_gemini, tmp_path / "data", VECTOR_STORE_URL=url)
    result = run_cli(env, tmp_path, "chat", input="exit\n", timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode == 6, output
    assert reason in output
    assert "Traceback" not in output
    checked = run_cli(env, tmp_path, "check", timeout=60)
    assert reason in checked.stdout + checked.stderr
    for shown in (output, checked.stdout + checked.stderr):
        assert "hunter2" not in shown
        assert "secret@" not in shown
