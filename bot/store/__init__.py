"""The bot's own SQLite database (aiosqlite): database.py (connection, the one writer, migrations
from schema.py), and one module per table family, each a part of `Store`: `store.chats` (chats.py:
chats, preferences, turns, sessions, usage), `store.outbox` (outbox.py: pending memory writes and
the memory-id ledger), `store.inbox` (inbox_tables.py: incoming updates), `store.reminders`
(reminder_tables.py: reminders and check-ins), `store.imports` (import_tables.py: /import jobs of
ChatGPT and Claude exports). Each part of the bot takes the part it uses.
"""

from __future__ import annotations

from pathlib import Path

from bot.store.chats import ChatTables
from bot.store.database import Database, StoreUnavailable
from bot.store.import_tables import ImportJobs
from bot.store.inbox_tables import UpdateInbox
from bot.store.outbox import MemoryOutbox
from bot.store.reminder_tables import Reminders

__all__ = [
    "ChatTables",
    "ImportJobs",
    "MemoryOutbox",
    "Reminders",
    "Store",
    "StoreUnavailable",
    "UpdateInbox",
]


class Store:
    """The one database and its table families, opened and closed together."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.chats = ChatTables(db)
        self.outbox = MemoryOutbox(db)
        self.inbox = UpdateInbox(db)
        self.reminders = Reminders(db)
        self.imports = ImportJobs(db)

    @classmethod
    async def open(cls, path: Path) -> Store:
        """Open (creating or migrating) the database at `path`."""
        return cls(await Database.open(path))

    async def close(self) -> None:
        await self._db.close()
