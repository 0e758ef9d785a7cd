"""The memory outbox answers the writer's questions in one database call each: which writes are
due and when the next is (one read), and, with a write's completion, the user's next write."""

from __future__ import annotations

import time

from bot.store import Store


async def enqueue(store: Store, user_id: str, text: str) -> int:
    return await store.outbox.enqueue_memory_write(user_id, {"messages": [{"role": "user", "content": text}]})


async def test_the_schedule_gives_due_heads_and_when_the_next_other_write_is_due(store: Store) -> None:
    """Each user's oldest write only, earliest due first, at most `limit`, users being written
    left out; and the due time of the first write it did not give (None when there is none)."""
    a1 = await enqueue(store, "tg-a", "a1")
    await enqueue(store, "tg-a", "a2")  # waits behind a1: never in the schedule while a1 is
    b1 = await enqueue(store, "tg-b", "b1")
    c1 = await enqueue(store, "tg-c", "c1")
    await store.outbox.retry_memory_write(c1, delay=60, error="boom")

    writes, next_at = await store.outbox.memory_write_schedule(5)
    assert [(w.id, w.user_id, w.payload["messages"][0]["content"]) for w in writes] == [
        (a1, "tg-a", "a1"),
        (b1, "tg-b", "b1"),
    ]
    assert next_at is not None
    assert time.time() + 55 < next_at <= time.time() + 60  # c1, retried in a minute

    writes, next_at = await store.outbox.memory_write_schedule(1)
    assert [w.id for w in writes] == [a1]
    assert next_at is not None
    assert next_at <= time.time()  # b1 is due already: there was no slot for it

    writes, next_at = await store.outbox.memory_write_schedule(5, skip={"tg-a", "tg-b"})
    assert writes == []
    assert next_at is not None
    assert next_at > time.time() + 55  # the users being written do not count

    writes, next_at = await store.outbox.memory_write_schedule(0)
    assert writes == []
    assert next_at is not None
    assert next_at <= time.time()  # no slot: only when the next is due

    for write_id in (a1, b1, c1):
        await store.outbox.park_memory_write(write_id, "parked")
    writes, next_at = await store.outbox.memory_write_schedule(5, skip={"tg-a"})
    assert (writes, next_at) == ([], None)  # tg-a's a2 is skipped, the rest parked


async def test_completing_a_write_returns_the_users_next_due_write(store: Store) -> None:
    """The completion deletes the write and reads the same user's next one, if it is due; another
    user's writes are never returned, and a write completed twice returns nothing."""
    a1 = await enqueue(store, "tg-a", "a1")
    b1 = await enqueue(store, "tg-b", "b1")
    a2 = await enqueue(store, "tg-a", "a2")
    a3 = await enqueue(store, "tg-a", "a3")

    following = await store.outbox.complete_memory_write(a1)
    assert following is not None
    content = following.payload["messages"][0]["content"]
    assert (following.id, following.user_id, content) == (a2, "tg-a", "a2")
    assert following == await store.outbox.memory_write_head("tg-a")

    await store.outbox.park_memory_write(a2, "unusable")
    await store.outbox.retry_memory_write(a3, delay=60, error="boom")
    assert await store.outbox.complete_memory_write(a2) is None  # a3 is not due for a minute
    assert not await store.outbox.memory_write_exists(a2)
    assert await store.outbox.complete_memory_write(a2) is None
    assert await store.outbox.complete_memory_write(b1) is None  # tg-b had one write
    assert await store.outbox.pending_memory_writes() == 1
