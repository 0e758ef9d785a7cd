"""The bot's own SQLite database (aiosqlite): database.py (connection, the one writer, migrations
from schema.py), and one module per table family: chats.py (chats, preferences, turns, sessions,
usage), outbox.py (pending memory writes and the memory-id ledger), inbox.py (incoming updates),
reminder_tables.py (reminders and check-ins, reached as `store.reminders`).
"""

from __future__ import annotations

import aiosqlite

from bot.store.chats import ChatTables
from bot.store.inbox import UpdateInbox
from bot.store.outbox import MemoryOutbox
from bot.store.reminder_tables import Reminders
from bot.store.sqlite_writer import SQLiteWriter

__all__ = ["ChatTables", "MemoryOutbox", "Reminders", "Store", "UpdateInbox"]


class Store(ChatTables, MemoryOutbox, UpdateInbox):
    """All the tables over one database; parts of the bot that need one family take that class."""

    def __init__(self, conn: aiosqlite.Connection, writer: SQLiteWriter) -> None:
        super().__init__(conn, writer)
        self.reminders = Reminders(conn, writer)
