"""How many times each chat was erased (/forget), so an answer in flight knows it was overtaken.

A message is answered while /forget may run: an album (answered outside the chat's order, see
bot/telegram/albums.py), a slow download, a long generation. The answer notes the count when its
message arrived; if the count changed before it stores anything (the write to memory, the turns,
a picture's description), it stores nothing: "Erased" covers everything that was in flight.
"""

from __future__ import annotations


class Erasures:
    """A counter per chat, in this process (an answer in flight does not outlive it)."""

    def __init__(self) -> None:
        self._counts: dict[int, int] = {}

    def count(self, chat_id: int) -> int:
        return self._counts.get(chat_id, 0)

    def erase(self, chat_id: int) -> None:
        """The chat is being erased: every answer that began before now stores nothing."""
        self._counts[chat_id] = self.count(chat_id) + 1
