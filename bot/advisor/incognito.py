"""The recent turns of incognito chats, kept in this process only.

With memory off nothing reaches the disk, but a conversation still needs its thread ("and the
second exercise?"). These turns give the prompt the same short-term context as any chat; they are
never written anywhere and vanish with a restart, `/forget`, memory switched back on, or when the
chat is among the least recently active past `max_chats`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from bot.records import Turn
from bot.runtime.recent import Recent


class IncognitoTurns:
    """At most `per_chat` turns for each of at most `max_chats` chats, in memory."""

    def __init__(self, *, per_chat: int, max_chats: int = 10_000) -> None:
        self._per_chat = max(per_chat, 0)
        self._chats: Recent[int, deque[Turn]] = Recent(max(max_chats, 1))

    def recent(self, chat_id: int) -> list[Turn]:
        """The chat's kept turns, oldest first."""
        return list(self._chats.peek(chat_id) or ())

    def add(self, chat_id: int, turns: Sequence[Turn], now: float) -> None:
        if self._per_chat == 0 or not turns:
            return
        kept = self._chats.peek(chat_id) or deque(maxlen=self._per_chat)
        kept.extend(Turn(turn.role, turn.text, now) for turn in turns)
        self._chats.put(chat_id, kept)  # now the most recently active

    def drop(self, chat_id: int) -> None:
        self._chats.pop(chat_id)

    def __len__(self) -> int:
        return len(self._chats)
