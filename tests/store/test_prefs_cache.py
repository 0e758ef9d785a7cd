"""A chat's preferences are read from the database once, then from memory (bot/store/chats.py):
every change of the prefs table must show at once, and the copy held stays bounded."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.records import Prefs
from bot.store import ChatTables, Store
from bot.store.database import Database


async def test_a_pref_change_is_seen_at_once(store: Store) -> None:
    """Prefs already held (read by a message, then by get_prefs) show a change the moment
    set_pref returns, through both ways of reading them."""
    assert (await store.chats.begin_message(3, recent=0)).prefs == Prefs()
    assert (await store.chats.get_prefs(3)).units == "metric"
    assert (await store.chats.set_pref(3, "units", "imperial")).units == "imperial"
    assert (await store.chats.get_prefs(3)).units == "imperial"
    assert (await store.chats.begin_message(3, recent=0)).prefs.units == "imperial"
    await store.chats.set_pref(3, "memory", "off")
    assert (await store.chats.get_prefs(3)).memory == "off"
    assert (await store.chats.get_prefs(3)).units == "imperial"


async def test_an_erased_chat_has_its_prefs_gone(store: Store) -> None:
    """After /forget (forget_chat) the chat's prefs held in memory are gone too: defaults again."""
    await store.chats.set_pref(4, "language", "de")
    assert (await store.chats.get_prefs(4)).language == "de"
    await store.chats.forget_chat(4)
    assert await store.chats.get_prefs(4) == Prefs()
    assert (await store.chats.begin_message(4, recent=0)).prefs == Prefs()


async def test_a_migrated_groups_prefs_follow_it(store: Store) -> None:
    """A group that became a supergroup: the new id has the group's prefs at once, the old id
    none, though both were read (and held) before the move."""
    await store.chats.begin_message(-100, recent=0)
    await store.chats.set_pref(-100, "reply_length", "short")
    assert (await store.chats.get_prefs(-100)).reply_length == "short"
    assert await store.chats.get_prefs(-1_000_100) == Prefs()
    await store.chats.migrate_chat(-100, -1_000_100)
    assert (await store.chats.get_prefs(-1_000_100)).reply_length == "short"
    assert (await store.chats.begin_message(-1_000_100, recent=0)).prefs.reply_length == "short"
    assert await store.chats.get_prefs(-100) == Prefs()


async def test_a_read_overtaken_by_a_change_is_not_kept(store: Store) -> None:
    """Reads racing a change: whatever they returned, the prefs read after the change are the new
    ones. (A read that ran before the commit but came back after it must not be held: that
    interleaving needs a thread to be preempted at the wrong moment, so this test does not force
    it; it does catch a change that leaves the held prefs in place.)"""
    for round_ in range(20):
        value = "imperial" if round_ % 2 == 0 else "metric"
        await asyncio.gather(
            store.chats.get_prefs(11),
            store.chats.begin_message(11, recent=0),
            store.chats.set_pref(11, "units", value),
            store.chats.get_prefs(11),
        )
        assert (await store.chats.get_prefs(11)).units == value
        assert (await store.chats.begin_message(11, recent=0)).prefs.units == value


async def test_the_prefs_held_stay_bounded(tmp_path: Path) -> None:
    """With many chats, only the most recently used ones' prefs are held; a chat that dropped out
    is read again, with what the database holds."""
    db = await Database.open(tmp_path / "bot.sqlite3")
    chats = ChatTables(db, prefs_cached=50)
    try:
        await chats.set_pref(0, "units", "imperial")
        for chat_id in range(200):
            await chats.begin_message(chat_id, recent=0)
            await chats.get_prefs(chat_id)
            assert chats.prefs_cached <= 50
        assert chats.prefs_cached == 50
        assert (await chats.get_prefs(0)).units == "imperial"
        assert (await chats.get_prefs(199)).units == "metric"
        with sqlite3.connect(tmp_path / "bot.sqlite3") as conn:
            assert conn.execute("SELECT COUNT(*) FROM chats").fetchone()[0] == 200
    finally:
        await db.close()
