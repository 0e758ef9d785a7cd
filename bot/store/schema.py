"""The bot's SQLite schema: ordered migrations, per-connection pragmas, the start-up check."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite

# Ordered migrations: index i brings the schema from version i to i + 1. Never edit a shipped one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE chats (
        chat_id       INTEGER PRIMARY KEY,
        user_id       TEXT    NOT NULL UNIQUE,
        first_seen    REAL    NOT NULL,
        last_seen     REAL    NOT NULL,
        message_count INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE prefs (
        chat_id INTEGER NOT NULL,
        key     TEXT    NOT NULL,
        value   TEXT    NOT NULL,
        PRIMARY KEY (chat_id, key)
    );
    CREATE TABLE turns (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id    INTEGER NOT NULL,
        role       TEXT    NOT NULL CHECK (role IN ('user', 'model')),
        text       TEXT    NOT NULL,
        created_at REAL    NOT NULL
    );
    CREATE INDEX turns_by_chat ON turns (chat_id, id);
    CREATE TABLE memory_outbox (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id       TEXT    NOT NULL,
        payload       TEXT    NOT NULL,
        attempts      INTEGER NOT NULL DEFAULT 0,
        next_attempt  REAL    NOT NULL,
        last_error    TEXT,
        created_at    REAL    NOT NULL
    );
    CREATE INDEX outbox_due ON memory_outbox (next_attempt, id);
    CREATE INDEX outbox_by_user ON memory_outbox (user_id);
    """,
    # 2: the durable inbox of Telegram updates (stored before their offset is confirmed), and
    # chats Telegram no longer lets us write to (blocked by the user, kicked, migrated).
    """
    CREATE TABLE inbox (
        update_id   INTEGER PRIMARY KEY,
        chat_id     INTEGER,
        payload     TEXT,
        state       TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
        attempts    INTEGER NOT NULL DEFAULT 0,
        received_at REAL    NOT NULL,
        finished_at REAL
    );
    CREATE INDEX inbox_pending ON inbox (state, update_id);
    CREATE TABLE inactive_chats (
        chat_id    INTEGER PRIMARY KEY,
        reason     TEXT    NOT NULL,
        since      REAL    NOT NULL,
        moved_to   INTEGER
    );
    """,
    # Messages and Gemini tokens per Telegram user (the sender, also in groups) and UTC day:
    # /usage and DAILY_TOKEN_BUDGET read it.
    """
    CREATE TABLE usage (
        user_id       INTEGER NOT NULL,
        day           TEXT    NOT NULL,
        messages      INTEGER NOT NULL DEFAULT 0,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, day)
    );
    """,
    # Which Mem0 memory ids each user ever had (so an erasure also scrubs the history of
    # memories deleted earlier by a supersede, merge, expiry or cap), and when each chat's current
    # short-term session started (/new).
    """
    CREATE TABLE memory_ledger (
        memory_id  TEXT    PRIMARY KEY,
        user_id    TEXT    NOT NULL,
        created_at REAL    NOT NULL
    );
    CREATE INDEX memory_ledger_by_user ON memory_ledger (user_id);
    CREATE TABLE sessions (
        chat_id    INTEGER PRIMARY KEY,
        started_at REAL    NOT NULL
    );
    """,
    # A memory write whose model answers stayed unusable after its attempts is parked: kept, shown
    # in /memories, retried once at each start, never retried in a loop. Writes are taken per user
    # in order (the oldest unparked one first).
    """
    ALTER TABLE memory_outbox ADD COLUMN parked INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX outbox_head ON memory_outbox (parked, user_id, id);
    """,
    # Reminders and check-ins (bot/followup): one row per scheduled message, its next firing in UTC
    # (`due_at`) and, when it repeats, an RRULE in the person's wall-clock time from `start_local`.
    # 'proposed' rows wait for a Yes; a sent one-shot row is deleted in the same transaction that
    # records Telegram's answer. `followup_chats`: the time-zone question asked once, a /remind
    # waiting for that answer, check-ins sent without a reply since, the last check-in offer.
    """
    CREATE TABLE reminders (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id     INTEGER NOT NULL,
        kind        TEXT    NOT NULL DEFAULT 'reminder' CHECK (kind IN ('reminder', 'checkin', 'note')),
        text        TEXT    NOT NULL,
        due_at      REAL    NOT NULL,
        rule        TEXT,
        start_local TEXT,
        tz          TEXT    NOT NULL DEFAULT 'UTC',
        state       TEXT    NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'proposed', 'sent')),
        sent_count  INTEGER NOT NULL DEFAULT 0,
        created_at  REAL    NOT NULL
    );
    CREATE INDEX reminders_due ON reminders (state, due_at);
    CREATE INDEX reminders_by_chat ON reminders (chat_id);
    CREATE TABLE followup_chats (
        chat_id        INTEGER PRIMARY KEY,
        tz_asked       INTEGER NOT NULL DEFAULT 0,
        pending_remind TEXT,
        unanswered     INTEGER NOT NULL DEFAULT 0,
        last_offer_at  REAL
    );
    """,
    # The Telegram language_code of whoever last used reminders in the chat, so what the scheduler
    # sends later (no update at hand) speaks their language when /prefs leaves it on "auto".
    """
    ALTER TABLE followup_chats ADD COLUMN speaks TEXT;
    """,
    # Imports of a ChatGPT or Claude data export (bot/store/import_tables.py): one row per job, read
    # in the background and resumed after a restart. The file itself is never stored: its
    # Telegram file id is, and the job downloads it again to resume from `done`.
    """
    CREATE TABLE import_jobs (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id     INTEGER NOT NULL,
        asker       INTEGER NOT NULL,
        file_id     TEXT    NOT NULL,
        source      TEXT    NOT NULL CHECK (source IN ('chatgpt', 'claude')),
        state       TEXT    NOT NULL DEFAULT 'confirm'
                    CHECK (state IN ('confirm', 'running', 'done', 'cancelled', 'failed')),
        found       INTEGER NOT NULL,
        total       INTEGER NOT NULL,
        estimate    INTEGER NOT NULL,
        done        INTEGER NOT NULL DEFAULT 0,
        facts       INTEGER NOT NULL DEFAULT 0,
        tokens      INTEGER NOT NULL DEFAULT 0,
        language    TEXT    NOT NULL DEFAULT 'en',
        message_id  INTEGER,
        created_at  REAL    NOT NULL,
        updated_at  REAL    NOT NULL
    );
    CREATE INDEX import_jobs_by_state ON import_jobs (state);
    CREATE INDEX import_jobs_by_chat ON import_jobs (chat_id);
    """,
)


class StoreCorrupt(Exception):
    """The database failed its integrity check at start; the message says what to do."""


async def check_integrity(conn: aiosqlite.Connection, path: Path) -> None:
    """Refuse to run on a damaged database rather than make the damage worse."""
    try:
        async with conn.execute("PRAGMA integrity_check(5)") as cursor:
            problems = [str(row[0]) for row in await cursor.fetchall()]
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and "malformed" not in str(exc):
            raise
        problems = [str(exc)]
    if problems != ["ok"]:
        raise StoreCorrupt(
            f"the database {path} is damaged ({'; '.join(problems)}). Stop the bot, move the file "
            "aside (with its -wal and -shm files) and restore a backup, or start with an empty one."
        )


# Per connection: the writer's own connection needs them too (secure_delete above all).
CONNECTION_PRAGMAS = (
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA secure_delete=ON",
)
