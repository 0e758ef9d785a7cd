"""Incognito chats' recent turns: in memory only, bounded per chat and in chats (bot/advisor/incognito.py)."""

from __future__ import annotations

from bot.advisor.incognito import IncognitoTurns
from bot.records import Turn


def test_keeps_the_last_turns_of_each_chat_oldest_first() -> None:
    turns = IncognitoTurns(per_chat=3)
    turns.add(1, [Turn("user", "q1"), Turn("model", "a1")], now=10.0)
    turns.add(1, [Turn("user", "q2"), Turn("model", "a2")], now=20.0)
    turns.add(2, [Turn("user", "other")], now=15.0)
    assert [(t.text, t.created_at) for t in turns.recent(1)] == [("a1", 10.0), ("q2", 20.0), ("a2", 20.0)]
    assert [t.text for t in turns.recent(2)] == ["other"]
    assert turns.recent(3) == []


def test_the_least_recently_active_chat_goes_first_past_the_limit() -> None:
    turns = IncognitoTurns(per_chat=2, max_chats=2)
    turns.add(1, [Turn("user", "one")], now=1.0)
    turns.add(2, [Turn("user", "two")], now=2.0)
    turns.add(1, [Turn("user", "one again")], now=3.0)
    turns.add(3, [Turn("user", "three")], now=4.0)
    assert len(turns) == 2
    assert turns.recent(2) == []
    assert [t.text for t in turns.recent(1)] == ["one", "one again"]


def test_drop_and_no_turns_at_all() -> None:
    turns = IncognitoTurns(per_chat=2)
    turns.add(1, [Turn("user", "q")], now=1.0)
    turns.drop(1)
    turns.drop(1)
    assert turns.recent(1) == []
    none = IncognitoTurns(per_chat=0)
    none.add(1, [Turn("user", "q")], now=1.0)
    assert none.recent(1) == []
    assert len(none) == 0
