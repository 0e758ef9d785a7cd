"""The import jobs table (schema in bot/store/schema.py): one row per import of a ChatGPT or
Claude data export, read in the background (bot/advisor/import_jobs.py).

A row holds the Telegram file id, never the file: a job resumed after a restart downloads the file
again and goes on from `done` (conversations read so far, in the job's fixed order). `done`,
`facts` and `tokens` move together in one transaction after each batch is applied.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import Literal

from bot.store.database import Tables

ImportSource = Literal["chatgpt", "claude"]
ImportState = Literal["confirm", "running", "done", "cancelled", "failed"]

_COLUMNS = (
    "id, chat_id, asker, file_id, source, state, found, total, estimate, done, facts, tokens, "
    "language, message_id, created_at"
)


@dataclass(frozen=True, slots=True)
class ImportJob:
    id: int
    chat_id: int
    asker: int  # the Telegram user whose /usage the job's tokens count towards
    file_id: str
    source: ImportSource
    state: ImportState
    found: int  # conversations in the file
    total: int  # conversations the job reads (the newest ones within IMPORT_MAX_TOKENS)
    estimate: int  # tokens the job was expected to cost
    done: int  # conversations read so far
    facts: int  # memories added or changed so far
    tokens: int  # tokens spent so far
    language: str  # of the progress message
    message_id: int | None  # the progress message, edited in place
    created_at: float


class ImportJobs(Tables):
    """The store's part for import jobs (`store.imports`): reads, and writes of one transaction each."""

    async def create(
        self,
        chat_id: int,
        *,
        asker: int,
        file_id: str,
        source: ImportSource,
        found: int,
        total: int,
        estimate: int,
        language: str,
    ) -> ImportJob:
        """A job waiting for the person's go-ahead (state 'confirm'); an earlier job of the chat
        still waiting for it is dropped."""
        now = time.time()

        def create(conn: sqlite3.Connection) -> ImportJob:
            conn.execute("DELETE FROM import_jobs WHERE chat_id = ? AND state = 'confirm'", (chat_id,))
            row = conn.execute(
                "INSERT INTO import_jobs (chat_id, asker, file_id, source, found, total, estimate, "  # noqa: S608
                "language, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                f"RETURNING {_COLUMNS}",
                (chat_id, asker, file_id, source, found, total, estimate, language, now, now),
            ).fetchone()
            return ImportJob(*row)

        return await self._transaction(create)

    async def get(self, job_id: int) -> ImportJob | None:
        rows = await self._rows(f"SELECT {_COLUMNS} FROM import_jobs WHERE id = ?", (job_id,))  # noqa: S608
        return ImportJob(*rows[0]) if rows else None

    async def running(self) -> list[ImportJob]:
        """Jobs that were being read (to resume at start), oldest first."""
        rows = await self._rows(
            f"SELECT {_COLUMNS} FROM import_jobs WHERE state = 'running' ORDER BY id"  # noqa: S608
        )
        return [ImportJob(*row) for row in rows]

    async def active_for_chat(self, chat_id: int) -> ImportJob | None:
        """The chat's job being read, if any (one at a time per chat)."""
        rows = await self._rows(
            f"SELECT {_COLUMNS} FROM import_jobs WHERE chat_id = ? AND state = 'running' "  # noqa: S608
            "ORDER BY id LIMIT 1",
            (chat_id,),
        )
        return ImportJob(*rows[0]) if rows else None

    async def start(self, job_id: int, message_id: int | None) -> bool:
        """'confirm' → 'running'; False when the job is gone or no longer waiting (a second tap)."""
        result = await self._write(
            "UPDATE import_jobs SET state = 'running', message_id = ?, updated_at = ? "
            "WHERE id = ? AND state = 'confirm'",
            (message_id, time.time(), job_id),
        )
        return result.rowcount == 1

    async def finish(self, job_id: int, state: ImportState) -> bool:
        """End a job ('done', 'cancelled', 'failed'); False when it had already ended."""
        result = await self._write(
            "UPDATE import_jobs SET state = ?, updated_at = ? "
            "WHERE id = ? AND state IN ('confirm', 'running')",
            (state, time.time(), job_id),
        )
        return result.rowcount == 1

    async def advance(self, job_id: int, *, done: int, facts: int, tokens: int) -> None:
        """Record a batch read and applied: `done` conversations so far, plus its facts and tokens."""
        await self._write(
            "UPDATE import_jobs SET done = ?, facts = facts + ?, tokens = tokens + ?, updated_at = ? "
            "WHERE id = ?",
            (done, facts, tokens, time.time(), job_id),
        )

    async def set_message(self, job_id: int, message_id: int) -> None:
        await self._write("UPDATE import_jobs SET message_id = ? WHERE id = ?", (message_id, job_id))

    async def forget_chat(self, chat_id: int) -> None:
        """Every job of the chat (its /forget)."""
        await self._write("DELETE FROM import_jobs WHERE chat_id = ?", (chat_id,))
