"""Long-term memory: the only package that imports mem0.

One async interface (`MemoryService`, memory_service.py) over two backends, built by setup.py:
- embedded Mem0 OSS (default): every file under DATA_DIR, telemetry off, Gemini for extraction and
  embeddings, our SQLite vector store (or Qdrant local, or PostgreSQL + pgvector: pgvector.py);
- the hosted Mem0 Platform when MEM0_API_KEY is set.
items.py is what the rest of the bot sees of a memory; erasure.py removes what Mem0 keeps after a
delete.
"""

from bot.memory.items import MemoryRateLimited, MemoryUnavailable, dated_text, undated_text
from bot.memory.memory_service import PLATFORM_BACKEND, MemoryService
from bot.memory.setup import (
    SQLITE_PROVIDER,
    build_memory,
    mem0_config,
    open_memory,
    prepare_environment,
    register_sqlite_vector_store,
    server_vector_store,
)
from bot.records import MemoryItem

__all__ = [
    "PLATFORM_BACKEND",
    "SQLITE_PROVIDER",
    "MemoryItem",
    "MemoryRateLimited",
    "MemoryService",
    "MemoryUnavailable",
    "build_memory",
    "dated_text",
    "mem0_config",
    "open_memory",
    "prepare_environment",
    "register_sqlite_vector_store",
    "server_vector_store",
    "undated_text",
]
