"""Embeddings computed ahead of Mem0's calls, so the slow network call never holds the change thread.

Mem0's embedded stores need their changes in order on one thread (shared/LIBRARY-NOTES.md), and
`Memory.add` / `update` / `search` embed their text on the thread that runs them: with 0.1–0.3 s per
Gemini embedding, one change thread could store at most a few memories per second for everybody.
`PrefetchingEmbedder` wraps Mem0's embedder: `MemoryService` first computes the embedding of the
exact text Mem0 will embed, on the event loop (bot.llm.GeminiEmbedder, `put`: the same request as
Mem0's embedder, no thread, no sync HTTP client) or, without one, on a pool of threads of its own
(`prefetch`), and Mem0's call then takes it from here instead of asking the model again.

A text is embedded once: the last `RECENT_ENTRIES` embeddings are kept for `RECENT_SECONDS` by
(text, action, model), in memory only, so the memory writer's related-memory search of a message
reuses the vector its recall computed a moment before (`reuse`).

Inside `local_only()` (a read run on the event loop), an embedding that was not computed ahead is
never asked of the model: `NeedsNetwork` is raised instead, and the caller runs the read again on a
thread that may wait for it.
"""

from __future__ import annotations

import threading
import time
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot.runtime.recent import Recent

# A prefetched embedding nobody took (the call it was for failed first) is dropped after this.
TTL_SECONDS = 120.0
# Embeddings kept for a repeat of the same text: how many, and for how long.
RECENT_ENTRIES = 256
RECENT_SECONDS = 60.0


class NeedsNetwork(Exception):
    """Under `local_only`: the embedding was not computed ahead, only the model has it."""


class PrefetchingEmbedder:
    """Mem0's embedder with a small store of embeddings computed ahead (`prefetch`), each used once."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self._ready: dict[tuple[str, str | None], list[tuple[float, Any]]] = {}
        # (text, action, model) -> (when, the vector as doubles: exact, a third of a list's size)
        self._recent: Recent[tuple[str, str | None, str], tuple[float, array[float]]] = Recent(RECENT_ENTRIES)
        self._model = str(getattr(getattr(inner, "config", None), "model", None))
        self.hits = 0
        self.reused = 0
        self._thread = threading.local()  # .local_only: this thread may not ask the model now

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
            self._remember(text, memory_action, vector, now)

    def reuse(self, text: str, memory_action: str | None) -> bool:
        """Whether `text` was embedded for `memory_action` in the last RECENT_SECONDS; if so, that
        vector is ready for the next `embed(text, memory_action)` and no model call is needed."""
        key = (text, memory_action, self._model)
        now = time.monotonic()
        with self._lock:
            found = self._recent.peek(key)
            if found is None or now - found[0] > RECENT_SECONDS:
                return False
            self._ready.setdefault((text, memory_action), []).append((now, found[1].tolist()))
            self.reused += 1
            return True

    def _remember(self, text: str, memory_action: str | None, vector: Any, now: float) -> None:
        key = (text, memory_action, self._model)
        self._recent.put(key, (now, array("d", vector)))

    @contextmanager
    def local_only(self) -> Iterator[None]:
        """On this thread, while the block runs, a missing embedding raises NeedsNetwork."""
        self._thread.local_only = True
        try:
            yield
        finally:
            self._thread.local_only = False

    def _network(self) -> None:
        if getattr(self._thread, "local_only", False):
            raise NeedsNetwork

    def embed(self, text: str, memory_action: str | None = None) -> Any:
        with self._lock:
            found = self._ready.get((text, memory_action))
            if found:
                _, vector = found.pop(0)
                if not found:
                    del self._ready[(text, memory_action)]
                self.hits += 1
                return vector
        self._network()
        return self._inner.embed(text, memory_action)

    def embed_batch(self, texts: Any, memory_action: str = "add") -> Any:
        self._network()
        return self._inner.embed_batch(texts, memory_action)

    def _expire(self, now: float) -> None:
        for key in list(self._ready):
            kept = [entry for entry in self._ready[key] if now - entry[0] < TTL_SECONDS]
            if kept:
                self._ready[key] = kept
            else:
                del self._ready[key]
