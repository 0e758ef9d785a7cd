"""A basic group that becomes a supergroup keeps what the bot knows about it, under its new id:
memories, settings and recent turns, merged when the new id already has some; and /forget in the
supergroup erases all of it (raw-byte scan of DATA_DIR)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import BOT_USERNAME, FakeTelegram
from tests.support.chat import buttons, drained, say
from tests.support.harness import StartBot
from tests.support.memory_pipeline import files_containing

GROUP = -555
SUPERGROUP = -1000000000555
MEMBER = 7007
ADMIN = 8008


async def in_chat(fake: FakeTelegram, chat_id: int, text: str, user_id: int = MEMBER) -> dict[str, Any]:
    kind = "group" if chat_id == GROUP else "supergroup"
    return await say(fake, text, chat_id=chat_id, user_id=user_id, chat_type=kind)


async def erase_as_admin(fake: FakeTelegram, chat_id: int) -> None:
    confirm = await in_chat(fake, chat_id, "/forget", user_id=ADMIN)
    [yes] = [b for b in buttons(confirm) if b["callback_data"].startswith("forget:yes")]
    fake.press_button(chat_id, yes["callback_data"], message_id=confirm["message_id"], user_id=ADMIN)
    await fake.wait_for_call("editMessageText", lambda c: "forgotten" in c.params["text"])


async def test_a_migrated_group_keeps_its_memory_and_settings_and_forget_erases_them(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    """After migrate_to_chat_id / migrate_from_chat_id, the supergroup lists the basic group's
    memory and keeps its settings and recent turns; its admin's /forget leaves no byte of it."""
    bot = await start_bot(GROUPS_ENABLED=True)
    fake_telegram.chat_admins[GROUP] = {ADMIN}
    canary = "Quagganstride"
    await in_chat(fake_telegram, GROUP, f"/remember We train at the {canary} track")
    await in_chat(fake_telegram, GROUP, "/prefs units imperial", user_id=ADMIN)
    await in_chat(fake_telegram, GROUP, f"@{BOT_USERNAME} Is the {canary} track long enough?")

    fake_telegram.migrate_group(GROUP, SUPERGROUP, user_id=ADMIN)
    await drained(bot, fake_telegram)

    listing = await in_chat(fake_telegram, SUPERGROUP, "/memories")
    assert canary in listing["text"]
    assert (await bot.services.store.chats.get_prefs(SUPERGROUP)).units == "imperial"
    await in_chat(fake_telegram, SUPERGROUP, f"@{BOT_USERNAME} And how many laps?")
    assert f"Is the {canary} track long enough?" in fake_gemini.last_chat_prompt()

    await erase_as_admin(fake_telegram, SUPERGROUP)
    assert await bot.controls.memories(SUPERGROUP) == []
    assert await bot.controls.memories(GROUP) == []
    assert files_containing(tmp_path / "data", [canary]) == {}


async def test_a_group_migrating_into_a_supergroup_with_memories_merges_them(
    start_bot: StartBot, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    """When the supergroup's id already has memories of its own (its messages were handled before
    the migration's), both sets end up under the supergroup, and /forget there erases both."""
    bot = await start_bot(GROUPS_ENABLED=True)
    fake_telegram.chat_admins[GROUP] = {ADMIN}
    old, new = "Brontowhistle", "Capybaraloom"
    await in_chat(fake_telegram, GROUP, f"/remember Our coach is {old}")
    await in_chat(fake_telegram, SUPERGROUP, f"/remember Our gym is {new}")

    fake_telegram.migrate_group(GROUP, SUPERGROUP, user_id=ADMIN)
    await drained(bot, fake_telegram)

    texts = {item.text for item in await bot.controls.memories(SUPERGROUP)}
    assert texts == {f"Our coach is {old}", f"Our gym is {new}"}
    await erase_as_admin(fake_telegram, SUPERGROUP)
    assert await bot.controls.memories(SUPERGROUP) == []
    assert files_containing(tmp_path / "data", [old, new]) == {}


async def test_a_send_refused_with_the_new_id_moves_the_memory_too(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """Without the service messages (missed), the first reply refused with migrate_to_chat_id
    takes the same path: the reply goes to the supergroup and the memory follows it."""
    bot = await start_bot(GROUPS_ENABLED=True)
    await in_chat(fake_telegram, GROUP, "/remember We stretch for ten minutes")
    fake_telegram.migrated[GROUP] = SUPERGROUP  # Telegram refuses the old id from now on
    fake_telegram.send_text(GROUP, f"@{BOT_USERNAME} hello", user_id=MEMBER, chat_type="group")
    (moved,) = await fake_telegram.wait_for_messages(SUPERGROUP, 1)
    assert moved["text"] == "Coach says: hello"
    assert [m.text for m in await bot.controls.memories(SUPERGROUP)] == ["We stretch for ten minutes"]


async def test_a_merge_cut_short_is_finished_and_stray_memories_join(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """A merge a crash interrupted (chats moved, memories not yet) is finished at the next start;
    memories under the new id's default user (stored before it had a row) join the chat's."""
    bot = await start_bot(GROUPS_ENABLED=True)
    memory, store = bot.services.memory, bot.services.store
    await memory.add("tg--555001", [{"role": "user", "content": "Old group fact"}], infer=False)
    await store.chats.ensure_chat(-555001)
    await store.chats.ensure_chat(-1000000555001)
    await store.chats.migrate_chat(-555001, -1000000555001)  # the process died right after this
    assert await bot.controls.finish_moves() == 1
    assert [m.text for m in await bot.controls.memories(-1000000555001)] == ["Old group fact"]
    assert await memory.list_memories("tg--555001") == []

    await memory.add("tg--1000000000777", [{"role": "user", "content": "Stray fact"}], infer=False)
    await bot.controls.move_chat(-777, -1000000000777)
    assert [m.text for m in await bot.controls.memories(-1000000000777)] == ["Stray fact"]
