"""The metadata store: migrations, chats, preferences, turns and the memory outbox."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from bot.records import Prefs, Turn, memory_user_id
from bot.store import Store, StoreUnavailable
from bot.store.database import Database
from bot.store.schema import MIGRATIONS


async def test_migrations_run_once_and_record_the_version(tmp_path: Path) -> None:
    """Opening twice migrates once; user_version equals the number of migrations."""
    path = tmp_path / "bot.sqlite3"
    for _ in range(2):
        store = await Store.open(path)
        await store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_begin_message_counts_messages_and_maps_the_user(store: Store) -> None:
    """A chat row is created on first contact and counts every message after."""
    first = (await store.chats.begin_message(42, recent=0)).chat
    second = (await store.chats.begin_message(42, recent=0)).chat
    assert first.message_count == 1
    assert second.message_count == 2
    assert second.user_id == memory_user_id(42) == "tg-42"
    assert second.first_seen == first.first_seen
    assert second.last_seen >= first.last_seen


async def test_begin_message_reads_prefs_turns_and_session_in_one_go(store: Store) -> None:
    """What answering needs comes back with the message's arrival: settings, last turns, session."""
    await store.chats.set_pref(9, "units", "imperial")
    await store.chats.finish_message(9, [Turn("user", "q"), Turn("model", "a")], usage=(900, 12, 34))
    await store.chats.start_session(9, at=123.0)
    context = await store.chats.begin_message(9, recent=6)
    assert context.prefs.units == "imperial"
    assert [(t.role, t.text) for t in context.recent] == [("user", "q"), ("model", "a")]
    assert context.session_started_at == 123.0
    today = await store.chats.usage_since(900, "2000-01-01")
    assert (today.messages, today.prompt_tokens, today.output_tokens) == (1, 12, 34)


async def test_prefs_default_then_persist(store: Store) -> None:
    """Preferences start at their defaults and keep what was set; bad values are refused."""
    assert await store.chats.get_prefs(7) == Prefs()
    await store.chats.set_pref(7, "units", "imperial")
    assert (await store.chats.get_prefs(7)).units == "imperial"
    assert (await store.chats.get_prefs(8)).units == "metric"
    with pytest.raises(ValueError, match="units must be one of"):
        await store.chats.set_pref(7, "units", "furlongs")
    with pytest.raises(ValueError, match="unknown preference"):
        await store.chats.set_pref(7, "colour", "blue")


async def test_recent_turns_are_the_last_ones_oldest_first(store: Store) -> None:
    """The turns a message arrives with are the tail of the conversation in order, per chat."""
    for i in range(5):
        await store.chats.finish_message(1, [Turn("user", f"q{i}"), Turn("model", f"a{i}")])
    await store.chats.finish_message(2, [Turn("user", "other chat")])
    turns = (await store.chats.begin_message(1, recent=3)).recent
    assert [t.text for t in turns] == ["a3", "q4", "a4"]
    assert (await store.chats.begin_message(1, recent=0)).recent == []


async def test_recent_turns_expire_in_every_chat(store: Store) -> None:
    """Turns older than `expire_before` are deleted: the answering chat's at once, every other
    chat's with the first answer (then about hourly), so an idle chat's words do not stay forever."""
    now = time.time()
    await store.chats.finish_message(1, [Turn("user", "old words in chat one")], at=now - 3 * 86400)
    await store.chats.finish_message(2, [Turn("user", "old words in chat two")], at=now - 3 * 86400)
    await store.chats.finish_message(2, [Turn("user", "recent words in chat two")], at=now - 60)
    await store.chats.finish_message(1, [Turn("user", "new")], at=now, expire_before=now - 86400)
    assert [t.text for t in (await store.chats.begin_message(1, recent=10)).recent] == ["new"]
    assert [t.text for t in (await store.chats.begin_message(2, recent=10)).recent] == [
        "recent words in chat two"
    ]


async def test_outbox_retries_and_completes(store: Store) -> None:
    """A pending write is due at once, backs off after a failure and disappears when done."""
    write_id = await store.outbox.enqueue_memory_write(
        "tg-1", {"messages": [{"role": "user", "content": "hi"}]}
    )
    due = await store.outbox.due_memory_writes()
    assert [w.id for w in due] == [write_id]
    assert due[0].payload["messages"][0]["content"] == "hi"
    await store.outbox.retry_memory_write(write_id, delay=60, error="boom")
    assert await store.outbox.due_memory_writes() == []
    assert await store.outbox.pending_memory_writes("tg-1") == 1
    await store.outbox.complete_memory_write(write_id)
    assert await store.outbox.pending_memory_writes() == 0


async def test_forget_chat_erases_turns_prefs_and_pending_writes(store: Store, tmp_path: Path) -> None:
    """After forget_chat nothing of the chat's text remains in the database files."""
    canary = "canary-zebra-7731"
    await store.chats.begin_message(5, recent=0)
    await store.chats.finish_message(5, [Turn("user", f"my secret is {canary}")])
    await store.chats.set_pref(5, "units", "imperial")
    await store.outbox.enqueue_memory_write("tg-5", {"messages": [{"role": "user", "content": canary}]})
    await store.chats.finish_message(6, [Turn("user", "unrelated")])
    await store.chats.forget_chat(5)
    after = await store.chats.begin_message(5, recent=10)
    assert after.recent == []
    assert after.prefs == Prefs()
    assert await store.outbox.pending_memory_writes("tg-5") == 0
    assert len((await store.chats.begin_message(6, recent=10)).recent) == 1
    for path in tmp_path.iterdir():
        assert canary.encode() not in path.read_bytes(), path.name


async def test_a_full_database_is_an_outage_and_a_bad_statement_is_not(tmp_path: Path) -> None:
    """SQLite refusing a write because the database is full is StoreUnavailable (told to the person
    as "I can't reach my database"), never a bare sqlite3 error; a statement that is wrong (a bug)
    is raised as it is, not disguised as an outage."""
    db = await Database.open(tmp_path / "bot.sqlite3")
    store = Store(db)
    try:
        [(pages,)] = await db.rows("PRAGMA page_count")
        await db.transaction(lambda conn: conn.execute(f"PRAGMA max_page_count = {pages}"))
        with pytest.raises(StoreUnavailable, match="full"):
            await store.outbox.enqueue_memory_write("tg-1", {"text": "x" * 100_000})
        assert await store.outbox.pending_memory_writes() == 0
        with pytest.raises(sqlite3.OperationalError, match="no such column"):
            await db.rows("SELECT no_such_column FROM chats")
    finally:
        await store.close()
