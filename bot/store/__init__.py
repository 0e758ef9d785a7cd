"""The bot's own SQLite database (aiosqlite): schema, the one writer, and the tables."""
