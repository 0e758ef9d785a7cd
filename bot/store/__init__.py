"""The bot's own SQLite database (aiosqlite): database.py (connection, the one writer, migrations
from schema.py), and one module per table family: chats.py (chats, preferences, turns, sessions,
usage), outbox.py (pending memory writes and the memory-id ledger), inbox.py (incoming updates).
"""

from __future__ import annotations

from bot.store.chats import ChatTables
from bot.store.inbox import UpdateInbox
from bot.store.outbox import MemoryOutbox

__all__ = ["ChatTables", "MemoryOutbox", "Store", "UpdateInbox"]


class Store(ChatTables, MemoryOutbox, UpdateInbox):
    """All the tables over one database; parts of the bot that need one family take that class."""
