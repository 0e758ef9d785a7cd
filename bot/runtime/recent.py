"""`Recent`: a bounded mapping that forgets the least recently kept (or used) entry first.

The bot's in-memory caches (a chat's prefs, recent embeddings, kept keyword searches, who holds
memories, the secret spans of recent texts) all keep at most a fixed number of entries this way.
Not thread-safe: a cache used from several threads holds its own lock around it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """At most `size` entries; `put` (and `get`) make an entry the newest, and past `size` the
    oldest goes. `peek` and `in` look without making it newer. Iteration is oldest first."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The entry of `key` (now the newest), or None."""
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def peek(self, key: K) -> V | None:
        """The entry of `key`, or None; its age is left as it is."""
        return self._items.get(key)

    def put(self, key: K, value: V) -> None:
        """Keep `value` under `key` as the newest entry (the oldest goes past `size`)."""
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def pop(self, key: K) -> V | None:
        return self._items.pop(key, None)

    def clear(self) -> None:
        self._items.clear()

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[K]:
        return iter(list(self._items))
