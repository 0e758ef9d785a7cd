"""Which memories go when a person is over the cap, and which have expired (pure rules; the memory
writer applies them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.records import MemoryItem

# What goes first when a user is over the cap: expired, then soonest to expire, then the least
# recently confirmed. Health facts (injuries, allergies) are kept longest: forgetting them is unsafe.
KEEP_LONGEST = frozenset({"health"})


def expires_on(item: MemoryItem) -> date | None:
    value = item.metadata.get("expires_at") or item.metadata.get("expiration_date")
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def is_expired(item: MemoryItem, today: date) -> bool:
    """Past its last day (the same rule as Mem0's `expiration_date`)."""
    last_day = expires_on(item)
    return last_day is not None and last_day < today


def cap_victims(items: Sequence[MemoryItem], count: int, today: date) -> list[MemoryItem]:
    """The `count` memories to delete first: expired, then soonest to expire, then the oldest
    (by last update), health memories after every other category."""

    def order(item: MemoryItem) -> tuple[int, str, str]:
        last_day = expires_on(item)
        if last_day is not None and last_day < today:
            rank = 0
        elif last_day is not None:
            rank = 1
        elif not KEEP_LONGEST.intersection(item.categories):
            rank = 2
        else:
            rank = 3
        return rank, last_day.isoformat() if last_day else "", item.updated_at or item.created_at or ""

    return sorted(items, key=order)[:count]
