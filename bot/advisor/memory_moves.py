"""A group that became a supergroup, when its new id already has memories: the group's memories
join them (see `Advisor.move_chat`)."""

from __future__ import annotations

from bot.advisor.memory_writer import MemoryWriter
from bot.memory import MemoryService
from bot.store import MemoryOutbox

# Metadata Mem0 sets itself on every memory; not copied when memories move to another user.
MEM0_OWN_METADATA = frozenset({"role", "actor_id", "user_id", "agent_id", "run_id", "hash", "data"})


async def move_memories(
    memory: MemoryService, outbox: MemoryOutbox, writer: MemoryWriter, old_user: str, new_user: str
) -> None:
    """Copy `old_user`'s memories to `new_user` (skipping any copied before a crash), then erase
    `old_user` for real, history included; the memory cap applies to the result. The caller
    holds `writer.paused()`."""
    present = {
        (item.text, item.metadata.get("saved_at"))
        for item in await memory.list_memories(new_user, include_expired=True)
    }
    for item in reversed(await memory.list_memories(old_user, include_expired=True)):  # oldest first
        if (item.text, item.metadata.get("saved_at")) in present:
            continue
        metadata = {k: v for k, v in item.metadata.items() if k not in MEM0_OWN_METADATA}
        expires = metadata.get("expires_at")
        added = await memory.add(
            new_user,
            [{"role": "user", "content": item.text}],
            metadata=metadata,
            infer=False,
            expiration_date=str(expires)[:10] if expires else None,
        )
        await outbox.record_memory_ids(new_user, [saved.id for saved in added])
    known = await outbox.known_memory_ids(old_user)
    await memory.erase_user(old_user, known)
    await outbox.forget_memory_ids(known)
    await writer.enforce_cap(new_user)
