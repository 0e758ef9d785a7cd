"""What Mem0 leaves behind after a delete, removed (run on the memory worker thread): history and
saved messages, entity texts, free pages, full-text segments and WAL files of the vector store."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.memory import pgvector


def scrub_history(client: Any, user_id: str, memory_ids: Sequence[str], *, whole_user: bool) -> None:
    """Remove the text Mem0 keeps after a delete: `history` rows of these memories and, for a whole
    user, the `messages` rows of their session scope ("user_id=<id>").

    The history connection runs with secure_delete on (see `_build_embedded`), so the rows are
    overwritten with zeros, not just unlinked.
    """
    db = getattr(client, "db", None)
    connection = getattr(db, "connection", None)
    if connection is None:
        return
    lock = getattr(db, "_lock", None) or contextlib.nullcontext()
    with lock:
        connection.execute("PRAGMA secure_delete = ON")
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.executemany("DELETE FROM history WHERE memory_id = ?", [(i,) for i in memory_ids])
            if whole_user:
                connection.execute(
                    "DELETE FROM messages WHERE session_scope = ? OR session_scope LIKE ?",
                    (f"user_id={user_id}", f"%user_id={user_id}&%"),
                )
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")


def scrub_messages(client: Any, user_id: str, needles: Sequence[str]) -> int:
    """Remove the user's raw messages Mem0 saved (the `messages` table, kept by inferring adds)
    that hold one of `needles`; return how many went."""
    db = getattr(client, "db", None)
    connection = getattr(db, "connection", None)
    wanted = [n.lower() for n in needles if n.strip()]
    if connection is None or not wanted:
        return 0
    lock = getattr(db, "_lock", None) or contextlib.nullcontext()
    with lock:
        rows = connection.execute(
            "SELECT id, content FROM messages WHERE session_scope = ? OR session_scope LIKE ?",
            (f"user_id={user_id}", f"%user_id={user_id}&%"),
        ).fetchall()
        doomed = [(row[0],) for row in rows if any(n in str(row[1] or "").lower() for n in wanted)]
        if doomed:
            connection.execute("PRAGMA secure_delete = ON")
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.executemany("DELETE FROM messages WHERE id = ?", doomed)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
    return len(doomed)


def erase_entities(client: Any, user_id: str) -> None:
    """Mem0's entity collection (used only when spaCy is installed) holds entity texts per user."""
    store = getattr(client, "_entity_store", None)
    if store is None:
        return
    listed = store.list(filters={"user_id": user_id}, top_k=100_000)
    rows = listed[0] if listed and isinstance(listed[0], list) else listed
    for row in rows or []:
        store.delete(vector_id=row.id)


def compact_vector_store(client: Any) -> None:
    """Leave no erased text in free pages, full-text segments or the WAL of the vector store (our
    SQLite store, embedded Qdrant), or in the dead tuples of the pgvector table."""
    for store in (getattr(client, "vector_store", None), getattr(client, "_entity_store", None)):
        if pgvector.is_pgvector(store):
            pgvector.vacuum(store)  # no dead tuple keeps the text (see bot/memory/pgvector.py)
            continue
        scrub = getattr(store, "scrub_deleted", None)
        if callable(scrub):
            scrub()
            continue
        path = _qdrant_path(store)
        if path is not None:
            # Embedded Qdrant pickles points into plain SQLite files without secure_delete; a
            # VACUUM rewrites them without the deleted rows. Mem0 calls are serialised on this
            # thread, so Qdrant holds no open transaction now.
            for file in sorted(path.rglob("storage.sqlite")):
                with contextlib.closing(sqlite3.connect(file, isolation_level=None)) as conn:
                    conn.execute("VACUUM")


def _qdrant_path(store: Any) -> Path | None:
    inner = getattr(getattr(store, "client", None), "_client", None)
    location = getattr(inner, "location", None)
    return Path(location) if isinstance(location, str) and Path(location).is_dir() else None
