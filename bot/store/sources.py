"""What a forgotten memory came from, erased from the bot's database (run on the writer thread,
inside one transaction): the exchange its message was part of, turns repeating its text, and
pending memory writes of those messages. See `Advisor.forget_one`."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from bot.records import unix_time

# Turns and memory writes of one message share its arrival time (within this many seconds).
SAME_MOMENT = 0.001


def erase_exchanges(
    conn: sqlite3.Connection, chat_id: int, user_id: str, *, at: float | None, needles: Sequence[str]
) -> list[str]:
    """Delete the chat's turns dated `at` or holding one of `needles` (and the rest of their
    exchange), and the user's pending writes of those messages; return the user messages deleted."""

    lowered = [n.lower() for n in needles if n.strip()]

    rows = conn.execute("SELECT created_at, role, text FROM turns WHERE chat_id = ?", (chat_id,)).fetchall()
    moments = [at] if at is not None else []
    moments += [float(c) for c, _, text in rows if any(n in text.lower() for n in lowered)]

    def linked(moment: float | None) -> bool:
        return moment is not None and any(abs(moment - m) < SAME_MOMENT for m in moments)

    erased = [str(text) for c, role, text in rows if role == "user" and linked(float(c))]
    conn.executemany(
        "DELETE FROM turns WHERE chat_id = ? AND created_at BETWEEN ? AND ?",
        [(chat_id, m - SAME_MOMENT, m + SAME_MOMENT) for m in moments],
    )
    said = {t.lower() for t in [*erased, *needles] if t.strip()}
    pending = conn.execute("SELECT id, payload FROM memory_outbox WHERE user_id = ?", (user_id,))
    for write_id, raw in pending.fetchall():
        payload = json.loads(raw)
        texts = [str(m.get("content", "")).lower() for m in payload.get("messages", [])]
        if linked(unix_time(payload.get("saved_at"))) or any(n in t for t in texts for n in said):
            conn.execute("DELETE FROM memory_outbox WHERE id = ?", (write_id,))
    return erased
