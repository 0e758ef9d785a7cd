"""Embeddings computed ahead of Mem0's calls, so the slow network call never holds the change thread.

Mem0's embedded stores need their changes in order on one thread (shared/LIBRARY-NOTES.md), and
`Memory.add` / `update` / `search` embed their text on the thread that runs them: with 0.1–0.3 s per
Gemini embedding, one change thread could store at most a few memories per second for everybody.
`PrefetchingEmbedder` wraps Mem0's embedder: `MemoryService` first computes the embedding of the
exact text Mem0 will embed, on the event loop (bot.llm.GeminiEmbedder, `put`: the same request as
Mem0's embedder, no thread, no sync HTTP client) or, without one, on a pool of threads of its own
(`prefetch`), and Mem0's call then takes it from here instead of asking the model again.
"""

from __future__ import annotations

import threading
import time
from typing import Any

# A prefetched embedding nobody took (the call it was for failed first) is dropped after this.
TTL_SECONDS = 120.0


class PrefetchingEmbedder:
    """Mem0's embedder with a small store of embeddings computed ahead (`prefetch`), each used once."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self._ready: dict[tuple[str, str | None], list[tuple[float, Any]]] = {}
        self.hits = 0

    def __getattr__(self, name: str) -> Any:
        # config, dims and anything else Mem0 reads from its embedder
        return getattr(self._inner, name)

    def prefetch(self, text: str, memory_action: str | None) -> None:
        """Embed `text` now (on the caller's thread) for the next `embed(text, memory_action)`."""
        self.put(text, memory_action, self._inner.embed(text, memory_action))

    def put(self, text: str, memory_action: str | None, vector: Any) -> None:
        """Keep `vector` (computed on the event loop) for the next `embed(text, memory_action)`."""
        now = time.monotonic()
        with self._lock:
            if len(self._ready) > 1000:
                self._expire(now)
            self._ready.setdefault((text, memory_action), []).append((now, vector))

    def embed(self, text: str, memory_action: str | None = None) -> Any:
        with self._lock:
            found = self._ready.get((text, memory_action))
            if found:
                _, vector = found.pop(0)
                if not found:
                    del self._ready[(text, memory_action)]
                self.hits += 1
                return vector
        return self._inner.embed(text, memory_action)

    def embed_batch(self, texts: Any, memory_action: str = "add") -> Any:
        return self._inner.embed_batch(texts, memory_action)

    def _expire(self, now: float) -> None:
        for key in list(self._ready):
            kept = [entry for entry in self._ready[key] if now - entry[0] < TTL_SECONDS]
            if kept:
                self._ready[key] = kept
            else:
                del self._ready[key]
