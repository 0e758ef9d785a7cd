"""The hosted Mem0 Platform (`MemoryClient`, MEM0_API_KEY): extraction and storage happen there;
nothing of it is kept under DATA_DIR, so erasure is the Platform's delete."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.memory.items import result_rows, to_item
from bot.memory.memory_service import MemoryService

# A listing reads at most this many pages.
PLATFORM_PAGE = 100
MAX_PAGES = 10_000


class PlatformMemory(MemoryService):
    """The MemoryService over the hosted Mem0 Platform."""

    async def _history_is_theirs(self, user_id: str, memory_id: str) -> bool:
        return await self.get(user_id, memory_id) is not None

    async def forget_messages(self, user_id: str, needles: Sequence[str]) -> int:
        """The Platform keeps no raw messages on our side: nothing to remove here."""
        return 0

    def _erase(self, user_id: str, memory_ids: list[str], whole_user: bool) -> int:
        # The hosted Platform erases on its side; it keeps no files here.
        if whole_user:
            self._client.delete_all(user_id=user_id)
            return 0
        deleted = 0
        for memory_id in memory_ids:
            row = self._client.get(memory_id)
            if row and to_item(row, None).user_id == user_id:
                self._client.delete(memory_id)
                deleted += 1
        return deleted

    async def keyword_scores(self, user_id: str, query: str, *, limit: int) -> dict[str, float]:
        """The Platform has no keyword search of its own to ask."""
        return {}

    async def _list_rows(self, filters: Mapping[str, Any], include_expired: bool) -> list[dict[str, Any]]:
        return await self._run(_pages, self._client, filters)


def _pages(client: Any, filters: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every page of a Platform listing (run on a change thread)."""
    rows: list[dict[str, Any]] = []
    for page in range(1, MAX_PAGES + 1):
        result = client.get_all(filters=dict(filters), page=page, page_size=PLATFORM_PAGE)
        found = result_rows(result)
        rows += found
        if not found or not isinstance(result, Mapping) or not result.get("next"):
            break
    return rows
