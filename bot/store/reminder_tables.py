"""The reminders and check-ins tables (schema in bot/store/schema.py, values in bot/records.py).

Every write is one transaction on the store's single writer; `mark_sent` is the step that records
Telegram's answer, so a sent reminder is never sent again after a crash (only one whose answer
arrived in the very last milliseconds before a kill can be).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

from bot.records import Reminder, ReminderKind, ReminderState
from bot.store.database import Database, Tables

# Column names only; every value is a bound parameter (the f-strings below add no input).
_COLUMNS = "id, chat_id, kind, text, due_at, rule, start_local, tz, state, sent_count, created_at"


class Reminders(Tables):
    """Reminders and check-ins, and what the follow-up keeps per chat."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        # Chats with a check-in sent and no message since (read at start by `load_awaiting`), so
        # a message from anyone else costs no write.
        self._awaiting: set[int] = set()

    # --- scheduling -----------------------------------------------------------------------------

    async def add(
        self,
        chat_id: int,
        text: str,
        due_at: float,
        *,
        now: float,
        kind: ReminderKind = "reminder",
        rule: str | None = None,
        start_local: str | None = None,
        tz: str = "UTC",
        state: ReminderState = "active",
    ) -> Reminder:
        def add(conn: sqlite3.Connection) -> Reminder:
            row = conn.execute(
                "INSERT INTO reminders (chat_id, kind, text, due_at, rule, start_local, tz, state, "  # noqa: S608
                f"created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}",
                (chat_id, kind, text, due_at, rule, start_local, tz, state, now),
            ).fetchone()
            return Reminder(*row)

        return await self._transaction(add)

    async def get(self, chat_id: int, reminder_id: int) -> Reminder | None:
        rows = await self._rows(
            f"SELECT {_COLUMNS} FROM reminders WHERE id = ? AND chat_id = ?",  # noqa: S608
            (reminder_id, chat_id),
        )
        return Reminder(*rows[0]) if rows else None

    async def for_chat(
        self, chat_id: int, *, kinds: Collection[str] = ("reminder", "checkin")
    ) -> list[Reminder]:
        """The chat's scheduled reminders and check-ins, soonest first."""
        marks = ",".join("?" * len(kinds))
        rows = await self._rows(
            f"SELECT {_COLUMNS} FROM reminders WHERE chat_id = ? AND state = 'active' "  # noqa: S608
            f"AND kind IN ({marks}) "
            "ORDER BY due_at, id",
            (chat_id, *kinds),
        )
        return [Reminder(*row) for row in rows]

    async def activate(self, chat_id: int, reminder_id: int, due_at: float | None = None) -> Reminder | None:
        """A proposed reminder was accepted: schedule it (at `due_at` if given)."""

        def activate(conn: sqlite3.Connection) -> Reminder | None:
            row = conn.execute(
                "UPDATE reminders SET state = 'active', due_at = COALESCE(?, due_at) "  # noqa: S608
                f"WHERE id = ? AND chat_id = ? AND state = 'proposed' RETURNING {_COLUMNS}",
                (due_at, reminder_id, chat_id),
            ).fetchone()
            return Reminder(*row) if row else None

        return await self._transaction(activate)

    async def delete(self, chat_id: int, reminder_id: int) -> bool:
        result = await self._write(
            "DELETE FROM reminders WHERE id = ? AND chat_id = ? AND state != 'sent'", (reminder_id, chat_id)
        )
        return result.rowcount > 0

    async def due(self, now: float, limit: int, exclude: Collection[int] = ()) -> list[Reminder]:
        """Active rows due by `now`, oldest first, leaving out those already being delivered."""
        marks = ",".join("?" * len(exclude))
        rows = await self._rows(
            f"SELECT {_COLUMNS} FROM reminders WHERE state = 'active' AND due_at <= ? "  # noqa: S608
            f"AND id NOT IN ({marks}) ORDER BY due_at, id LIMIT ?",
            (now, *exclude, limit),
        )
        return [Reminder(*row) for row in rows]

    async def still_due(self, reminder: Reminder) -> bool:
        """The row is still there, active, at the same firing (not deleted or moved meanwhile)."""
        rows = await self._rows(
            "SELECT 1 FROM reminders WHERE id = ? AND state = 'active' AND due_at = ?",
            (reminder.id, reminder.due_at),
        )
        return bool(rows)

    async def next_due_at(self, exclude: Collection[int] = ()) -> float | None:
        marks = ",".join("?" * len(exclude))
        rows = await self._rows(
            f"SELECT due_at FROM reminders WHERE state = 'active' AND id NOT IN ({marks}) "  # noqa: S608
            "ORDER BY due_at LIMIT 1",
            tuple(exclude),
        )
        return float(rows[0][0]) if rows else None

    async def mark_sent(self, reminder: Reminder, next_due: float | None, now: float) -> None:
        """Telegram took the message: the next firing of a repeating one, else the row is done.

        A sent check-in keeps a text-less row (for the weekly count) and counts as unanswered
        until the person writes again."""

        def mark(conn: sqlite3.Connection) -> None:
            if next_due is not None:
                conn.execute(
                    "UPDATE reminders SET due_at = ?, sent_count = sent_count + 1 WHERE id = ?",
                    (next_due, reminder.id),
                )
            elif reminder.kind == "checkin":
                conn.execute(
                    "UPDATE reminders SET state = 'sent', text = '', due_at = ?, sent_count = sent_count + 1 "
                    "WHERE id = ?",
                    (now, reminder.id),
                )
                _bump_unanswered(conn, reminder.chat_id)
            else:
                conn.execute("DELETE FROM reminders WHERE id = ?", (reminder.id,))

        await self._transaction(mark)
        if next_due is None and reminder.kind == "checkin":
            self._awaiting.add(reminder.chat_id)

    async def skip(self, reminder: Reminder, next_due: float | None, note: str | None, now: float) -> None:
        """Skip a firing (too late, or a check-in no longer wanted); leave `note` to be sent once."""

        def skip(conn: sqlite3.Connection) -> None:
            if next_due is None:
                conn.execute("DELETE FROM reminders WHERE id = ?", (reminder.id,))
            else:
                conn.execute("UPDATE reminders SET due_at = ? WHERE id = ?", (next_due, reminder.id))
            if note:
                conn.execute(
                    "INSERT INTO reminders (chat_id, kind, text, due_at, tz, created_at) "
                    "VALUES (?, 'note', ?, ?, ?, ?)",
                    (reminder.chat_id, note, now, reminder.tz, now),
                )

        await self._transaction(skip)

    async def postpone(self, reminder_id: int, due_at: float) -> None:
        await self._write("UPDATE reminders SET due_at = ? WHERE id = ?", (due_at, reminder_id))

    async def stop_chat(self, chat_id: int) -> int:
        """The chat blocked the bot: nothing scheduled for it is kept (no repeating into a wall)."""
        result = await self._write("DELETE FROM reminders WHERE chat_id = ? AND state != 'sent'", (chat_id,))
        return result.rowcount

    async def prune(self, proposed_before: float, sent_before: float) -> None:
        """Drop proposals nobody answered and the sent check-ins' marks once past the weekly count."""
        await self._write(
            "DELETE FROM reminders WHERE (state = 'proposed' AND created_at < ?) "
            "OR (state = 'sent' AND due_at < ?)",
            (proposed_before, sent_before),
        )

    # --- check-ins and the per-chat follow-up state --------------------------------------------

    async def checkins_since(self, chat_id: int, since: float) -> int:
        """Check-ins sent since `since` plus those scheduled (the weekly budget counts both)."""
        rows = await self._rows(
            "SELECT COUNT(*) FROM reminders WHERE chat_id = ? AND kind = 'checkin' "
            "AND (state = 'active' OR (state = 'sent' AND due_at >= ?))",
            (chat_id, since),
        )
        return int(rows[0][0])

    async def unanswered(self, chat_id: int) -> int:
        rows = await self._rows("SELECT unanswered FROM followup_chats WHERE chat_id = ?", (chat_id,))
        return int(rows[0][0]) if rows else 0

    async def load_awaiting(self) -> None:
        rows = await self._rows("SELECT chat_id FROM followup_chats WHERE unanswered > 0")
        self._awaiting = {int(row[0]) for row in rows}

    async def answered(self, chat_id: int) -> None:
        """The person wrote: the check-ins sent before count as answered."""
        if chat_id in self._awaiting:
            self._awaiting.discard(chat_id)
            await self._write("UPDATE followup_chats SET unanswered = 0 WHERE chat_id = ?", (chat_id,))

    async def last_offer_at(self, chat_id: int) -> float | None:
        rows = await self._rows("SELECT last_offer_at FROM followup_chats WHERE chat_id = ?", (chat_id,))
        return float(rows[0][0]) if rows and rows[0][0] is not None else None

    async def offered(self, chat_id: int, at: float) -> None:
        await self._write(
            "INSERT INTO followup_chats (chat_id, last_offer_at) VALUES (?, ?) "
            "ON CONFLICT (chat_id) DO UPDATE SET last_offer_at = excluded.last_offer_at",
            (chat_id, at),
        )

    async def note_speaks(self, chat_id: int, language_code: str) -> None:
        """Keep the chat's Telegram language for messages sent later without an update."""
        await self._write(
            "INSERT INTO followup_chats (chat_id, speaks) VALUES (?, ?) "
            "ON CONFLICT (chat_id) DO UPDATE SET speaks = excluded.speaks",
            (chat_id, language_code[:16]),
        )

    async def speaks(self, chat_id: int) -> str | None:
        rows = await self._rows("SELECT speaks FROM followup_chats WHERE chat_id = ?", (chat_id,))
        return str(rows[0][0]) if rows and rows[0][0] is not None else None

    async def timezone_asked(self, chat_id: int) -> bool:
        rows = await self._rows("SELECT tz_asked FROM followup_chats WHERE chat_id = ?", (chat_id,))
        return bool(rows and rows[0][0])

    async def ask_timezone(self, chat_id: int, pending_remind: str | None) -> None:
        """Note that the time zone was asked, keeping the /remind words that wait for the answer."""
        await self._write(
            "INSERT INTO followup_chats (chat_id, tz_asked, pending_remind) VALUES (?, 1, ?) "
            "ON CONFLICT (chat_id) DO UPDATE SET tz_asked = 1, pending_remind = excluded.pending_remind",
            (chat_id, pending_remind),
        )

    async def take_pending_remind(self, chat_id: int) -> str | None:
        def take(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "SELECT pending_remind FROM followup_chats WHERE chat_id = ?", (chat_id,)
            ).fetchone()
            conn.execute("UPDATE followup_chats SET pending_remind = NULL WHERE chat_id = ?", (chat_id,))
            return str(row[0]) if row and row[0] is not None else None

        return await self._transaction(take)


def _bump_unanswered(conn: sqlite3.Connection, chat_id: int) -> None:
    conn.execute(
        "INSERT INTO followup_chats (chat_id, unanswered) VALUES (?, 1) "
        "ON CONFLICT (chat_id) DO UPDATE SET unanswered = unanswered + 1",
        (chat_id,),
    )


def forget_chat(conn: sqlite3.Connection, chat_id: int) -> None:
    """Part of the chat's erasure transaction (Store.forget_chat): every reminder and its state."""
    conn.execute("DELETE FROM reminders WHERE chat_id = ?", (chat_id,))
    conn.execute("DELETE FROM followup_chats WHERE chat_id = ?", (chat_id,))
