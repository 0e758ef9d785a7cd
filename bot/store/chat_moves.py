"""A group that became a supergroup: its rows move to the new chat id (run on the writer thread,
inside one transaction; `Store.migrate_chat` says what moves and when memories merge)."""

from __future__ import annotations

import sqlite3
import time

from bot.records import memory_user_id


def move_chat_rows(conn: sqlite3.Connection, old_chat_id: int, new_chat_id: int) -> None:
    """The statements of `Store.migrate_chat` (one transaction, on the writer thread)."""
    if old_chat_id == new_chat_id:
        return
    # A chat known only by its default user id (memories from /remember, say) gets its
    # row now; ignored when that id is taken (by this same move, done before).
    now = time.time()
    conn.execute(
        "INSERT OR IGNORE INTO chats (chat_id, user_id, first_seen, last_seen, message_count) "
        "VALUES (?, ?, ?, ?, 0)",
        (old_chat_id, memory_user_id(old_chat_id), now, now),
    )
    old = conn.execute(
        "SELECT user_id, first_seen, last_seen, message_count FROM chats WHERE chat_id = ?",
        (old_chat_id,),
    ).fetchone()
    new = conn.execute("SELECT user_id FROM chats WHERE chat_id = ?", (new_chat_id,)).fetchone()
    if old is not None and new is None:
        conn.execute("UPDATE chats SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id))
    elif old is not None:
        conn.execute(
            "UPDATE chats SET first_seen = min(first_seen, ?), last_seen = max(last_seen, ?), "
            "message_count = message_count + ? WHERE chat_id = ?",
            (old[1], old[2], old[3], new_chat_id),
        )
        conn.execute("UPDATE memory_outbox SET user_id = ? WHERE user_id = ?", (new[0], old[0]))
    for table in ("prefs", "sessions"):
        conn.execute(
            f"UPDATE OR IGNORE {table} SET chat_id = ? WHERE chat_id = ?",  # noqa: S608
            (new_chat_id, old_chat_id),
        )
        conn.execute(f"DELETE FROM {table} WHERE chat_id = ?", (old_chat_id,))  # noqa: S608
    conn.execute("UPDATE turns SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id))
    # Reminders and check-ins follow the group (so /reminders in the supergroup lists them).
    conn.execute("UPDATE reminders SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id))
    conn.execute(
        "UPDATE OR IGNORE followup_chats SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id)
    )
    conn.execute("DELETE FROM followup_chats WHERE chat_id = ?", (old_chat_id,))
    # Usage counted for the group itself (its anonymous admins) continues under the new id.
    conn.execute(
        "INSERT INTO usage (user_id, day, messages, prompt_tokens, output_tokens) "
        "SELECT ?, day, messages, prompt_tokens, output_tokens FROM usage WHERE user_id = ? "
        "ON CONFLICT (user_id, day) DO UPDATE SET messages = messages + excluded.messages, "
        "prompt_tokens = prompt_tokens + excluded.prompt_tokens, "
        "output_tokens = output_tokens + excluded.output_tokens",
        (new_chat_id, old_chat_id),
    )
    conn.execute("DELETE FROM usage WHERE user_id = ?", (old_chat_id,))
    conn.execute(
        "INSERT INTO inactive_chats (chat_id, reason, since, moved_to) VALUES (?, 'migrated', ?, ?) "
        "ON CONFLICT (chat_id) DO UPDATE SET reason = 'migrated', moved_to = excluded.moved_to",
        (old_chat_id, now, new_chat_id),
    )
