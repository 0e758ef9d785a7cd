"""The bounded mapping behind the bot's in-memory caches."""

from __future__ import annotations

import pytest

from bot.runtime.recent import Recent


def test_past_its_size_the_least_recently_kept_or_used_goes() -> None:
    kept: Recent[str, int] = Recent(2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1  # used: now the newest
    kept.put("c", 3)
    assert list(kept) == ["a", "c"]
    assert kept.peek("a") == 1  # looked at only: still the oldest
    kept.put("d", 4)
    assert list(kept) == ["c", "d"]
    assert "a" not in kept
    assert len(kept) == 2


def test_entries_can_be_dropped_while_iterating() -> None:
    kept: Recent[int, str] = Recent(10)
    for n in range(5):
        kept.put(n, str(n))
    for n in kept:
        if n % 2:
            kept.pop(n)
    assert list(kept) == [0, 2, 4]
    assert kept.pop(7) is None
    kept.clear()
    assert len(kept) == 0


def test_a_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Recent(0)
