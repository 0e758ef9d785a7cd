"""With MEM0_API_KEY set, the same MemoryService talks to the hosted Mem0 Platform."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.memory import MemoryUnavailable, open_memory
from tests.fakes.mem0_platform import FakeMem0Platform
from tests.support.settings import make_settings


def settings_for(platform: FakeMem0Platform, tmp_path: Path) -> Settings:
    return make_settings(
        tmp_path, TELEGRAM_BOT_TOKEN="1:x", MEM0_API_KEY=platform.api_key, MEM0_HOST=platform.base_url
    )


async def test_platform_backend_round_trip(platform: FakeMem0Platform, tmp_path: Path) -> None:
    """add, search, list, get, delete one and delete all go to the Platform, scoped to the user."""
    memory = await open_memory(settings_for(platform, tmp_path))
    try:
        assert memory.backend == "mem0-platform"
        added = await memory.add("tg-1", [{"role": "user", "content": "I run marathons"}])
        await memory.add("tg-1", [{"role": "user", "content": "I dislike swimming"}])
        await memory.add("tg-2", [{"role": "user", "content": "I run sprints"}])
        assert [m.text for m in added] == ["I run marathons"]

        found = await memory.search("tg-1", "how far do I run", limit=1)
        assert [m.text for m in found] == ["I run marathons"]
        assert {m.text for m in await memory.list_memories("tg-1")} == {
            "I run marathons",
            "I dislike swimming",
        }

        other = (await memory.list_memories("tg-2"))[0]
        assert await memory.get("tg-1", other.id) is None  # ids are not user-scoped upstream
        assert not await memory.delete("tg-1", other.id)
        assert await memory.delete("tg-1", added[0].id)
        assert [m.text for m in await memory.list_memories("tg-1")] == ["I dislike swimming"]
        assert await memory.get("tg-1", added[0].id) is None  # the Platform's 404: it is gone

        await memory.delete_all("tg-1")
        assert await memory.list_memories("tg-1") == []
        assert len(await memory.list_memories("tg-2")) == 1
        assert all(call.authorization == f"Token {platform.api_key}" for call in platform.calls)
        listings = [c for c in platform.calls if c.path == "/v3/memories/"]
        assert all(c.query.get("page_size") == "100" and "top_k" not in c.body for c in listings)
    finally:
        await memory.close()


async def test_platform_outage_raises_memory_unavailable(platform: FakeMem0Platform, tmp_path: Path) -> None:
    memory = await open_memory(settings_for(platform, tmp_path))
    try:
        platform.fail_with = 503
        with pytest.raises(MemoryUnavailable):
            await memory.search("tg-1", "anything", limit=3)
    finally:
        await memory.close()


async def test_platform_listing_reads_every_page_newest_first(
    platform: FakeMem0Platform, tmp_path: Path
) -> None:
    """The Platform pages its listings: all 250 memories are listed, the newest first."""
    memory = await open_memory(settings_for(platform, tmp_path))
    try:
        for n in range(250):
            stamp = f"2025-01-01T00:{n // 60:02d}:{n % 60:02d}+00:00"
            platform.memories[f"m{n}"] = {
                "id": f"m{n}", "memory": f"fact {n}", "user_id": "tg-1", "metadata": {},
                "categories": [], "created_at": stamp, "updated_at": stamp,
            }  # fmt: skip
        listed = await memory.list_memories("tg-1")
        assert [m.text for m in listed] == [f"fact {n}" for n in reversed(range(250))]
        assert [m.text for m in await memory.list_memories("tg-1", limit=2)] == ["fact 249", "fact 248"]
    finally:
        await memory.close()
