"""/memories and /forget buttons through the real bot: pages, categories, deletion, ownership."""

from __future__ import annotations

import contextlib
import sqlite3

from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram
from tests.support.chat import buttons
from tests.support.harness import CHAT, RunningBot, StartBot, add_memory, say
from tests.support.memory_pipeline import files_containing, scripted

OTHER_CHAT = 2002


async def test_memories_are_paged_and_grouped_by_category(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """Ten memories make two pages; each page groups by category; Next shows the rest."""
    bot = await start_bot()
    for n in range(6):
        await add_memory(bot, CHAT, f"Training fact number {n}", "training")
    for n in range(4):
        await add_memory(bot, CHAT, f"Health fact number {n}", "health")
    first = await say(fake_telegram, "/memories")
    text = first["text"]
    assert "page 1 of 2" in text
    assert text.index("Health:") < text.index("Training:")
    assert text.count("fact number") == 8
    data = [b["callback_data"] for b in buttons(first)]
    assert sum(d.startswith("mem:d:") for d in data) == 8
    assert "mem:p:1" in data
    assert all(len(d.encode()) <= 64 for d in data)

    fake_telegram.press_button(CHAT, "mem:p:1", message_id=first["message_id"])
    edited = await fake_telegram.wait_for_call("editMessageText", lambda c: "page 2 of 2" in c.params["text"])
    assert edited.params["text"].count("fact number") == 2
    shown = {line.split(". ", 1)[1] for line in text.splitlines() if "fact number" in line}
    shown |= {line.split(". ", 1)[1] for line in edited.params["text"].splitlines() if "fact number" in line}
    assert len(shown) == 10


async def test_delete_button_removes_one_memory(start_bot: StartBot, fake_telegram: FakeTelegram) -> None:
    """The 🗑 button deletes that memory and the listing is redrawn without it."""
    bot = await start_bot()
    keep = await add_memory(bot, CHAT, "I cycle to work")
    drop = await add_memory(bot, CHAT, "I hate lunges")
    listing = await say(fake_telegram, "/memories")
    fake_telegram.press_button(CHAT, f"mem:d:{drop.id}:0", message_id=listing["message_id"])
    await fake_telegram.wait_for_call("editMessageText", lambda c: "lunges" not in c.params["text"])
    remaining = [item.id for item in await bot.controls.memories(CHAT)]
    assert remaining == [keep.id]


async def test_a_memory_id_from_another_chat_is_never_deleted(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """Callback data naming another chat's memory deletes nothing (ownership is checked)."""
    bot = await start_bot()
    theirs = await add_memory(bot, OTHER_CHAT, "Other person's secret: allergic to nuts")
    mine = await add_memory(bot, CHAT, "I run on Sundays")
    listing = await say(fake_telegram, "/memories")
    fake_telegram.press_button(CHAT, f"mem:d:{theirs.id}:0", message_id=listing["message_id"])
    answer = await fake_telegram.wait_for_call("answerCallbackQuery")
    assert "already gone" in answer.params["text"]
    assert [i.id for i in await bot.controls.memories(OTHER_CHAT)] == [theirs.id]
    assert [i.id for i in await bot.controls.memories(CHAT)] == [mine.id]
    listing_text = fake_telegram.message(CHAT, listing["message_id"])
    assert listing_text is not None
    assert "allergic" not in listing_text["text"]


async def test_forget_words_offers_matches_and_only_the_asker_can_pick(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """/forget knee lists matching memories; another user's tap is refused, the asker's deletes."""
    bot = await start_bot()
    knee = await add_memory(bot, CHAT, "My left knee hurts after squats")
    await add_memory(bot, CHAT, "I like oat milk")
    offer = await say(fake_telegram, "/forget knee")
    assert "knee" in offer["text"]
    pick = next(b for b in buttons(offer) if b["callback_data"].startswith(f"fo:{knee.id}:"))

    fake_telegram.press_button(CHAT, pick["callback_data"], message_id=offer["message_id"], user_id=999)
    refused = await fake_telegram.wait_for_call("answerCallbackQuery")
    assert "Only the person who asked" in refused.params["text"]
    assert knee.id in [i.id for i in await bot.controls.memories(CHAT)]

    fake_telegram.press_button(CHAT, pick["callback_data"], message_id=offer["message_id"])
    await fake_telegram.wait_for_call("editMessageReplyMarkup")
    assert [i.text for i in await bot.controls.memories(CHAT)] == ["I like oat milk"]
    after = fake_telegram.message(CHAT, offer["message_id"])
    assert after is not None
    assert pick["callback_data"] not in [b["callback_data"] for b in buttons(after)]


async def test_forget_words_with_nothing_remembered_says_so(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """/forget with words when nothing is remembered in this chat says there is nothing to forget."""
    bot = await start_bot()
    await add_memory(bot, OTHER_CHAT, "I like oat milk")
    reply = await say(fake_telegram, "/forget oat milk")
    assert "Nothing to forget" in reply["text"]
    assert "oat" not in reply["text"].split("about")[0]
    assert len(await bot.controls.memories(OTHER_CHAT)) == 1


async def test_memories_search_shows_only_relevant_memories(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """/memories <words> lists what matches, not the nearest unrelated memories; /forget <words>
    still offers the closest ones to pick from."""
    bot = await start_bot()
    await add_memory(bot, CHAT, "My left knee hurts after squats")
    await add_memory(bot, CHAT, "I like oat milk")
    found = await say(fake_telegram, "/memories knee")
    assert "knee hurts" in found["text"]
    assert "oat milk" not in found["text"]
    nothing = await say(fake_telegram, "/memories swimming")
    assert nothing["text"] == 'I don\'t remember anything about "swimming".'
    closest = await say(fake_telegram, "/forget swimming")
    assert "oat milk" in closest["text"]
    assert "knee hurts" in closest["text"]
    assert len(await bot.controls.memories(CHAT)) == 2


def turn_and_write_texts(bot: RunningBot) -> str:
    """Every recent turn and pending memory write of the bot's database, as one string."""
    with contextlib.closing(sqlite3.connect(bot.settings.db_path)) as db:
        turns = db.execute("SELECT text FROM turns").fetchall()
        writes = db.execute("SELECT payload FROM memory_outbox").fetchall()
    return repr(turns + writes)


async def test_forgetting_one_memory_drops_the_message_it_came_from(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """/forget Zorblax → 🗑: the memory goes, and so does the exchange it was extracted from, so
    the very next prompt carries nothing of it; other turns stay."""
    bot = await start_bot()
    fake_gemini.enqueue("json", scripted([{"text": "Has a cat called Zorblax", "category": "personal_info"}]))
    await say(fake_telegram, "My cat is called Zorblax. Can cats run with me?")
    await bot.settle()
    await say(fake_telegram, "Also, I like long walks.")
    await bot.settle()
    assert "Zorblax" in turn_and_write_texts(bot)

    offer = await say(fake_telegram, "/forget Zorblax")
    [pick] = [b for b in buttons(offer) if b["text"] == "🗑 1"]
    assert "Has a cat called Zorblax" in offer["text"]
    fake_telegram.press_button(CHAT, pick["callback_data"], message_id=offer["message_id"])
    answer = await fake_telegram.wait_for_call("answerCallbackQuery")
    assert answer.params["text"] == "Forgotten"

    await say(fake_telegram, "What should I do today?")
    prompt = fake_gemini.last_chat_prompt()
    assert "Zorblax" not in prompt
    assert "long walks" in prompt
    assert "Zorblax" not in turn_and_write_texts(bot)
    assert files_containing(bot.settings.data_dir / "mem0", ["Zorblax"]) == {}


async def test_forgetting_a_remembered_fact_drops_the_turns_and_writes_repeating_it(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """A /remember fact has no exchange of its own: deleting it (🗑 in /memories) erases the turns
    that repeat it word for word and the pending write that would store it again."""
    bot = await start_bot()
    await say(fake_telegram, "/remember My dog is named Quibble")
    await bot.services.writer.stop()  # the next message's write stays pending
    await say(fake_telegram, "As I said, my dog is named Quibble. Which toys suit him?")
    assert await bot.controls.pending_memories(CHAT) == 1
    listing = await say(fake_telegram, "/memories")
    [delete] = [b for b in buttons(listing) if b["callback_data"].startswith("mem:d:")]
    fake_telegram.press_button(CHAT, delete["callback_data"], message_id=listing["message_id"])
    answer = await fake_telegram.wait_for_call("answerCallbackQuery")
    assert answer.params["text"] == "Deleted"
    assert await bot.controls.pending_memories(CHAT) == 0
    assert "Quibble" not in turn_and_write_texts(bot)
    await say(fake_telegram, "Any tips for today?")
    assert "Quibble" not in fake_gemini.last_chat_prompt()


async def test_forget_words_says_when_more_memories_match_than_it_shows(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """/forget <words> offers the 8 closest of 10 memories and says that more match."""
    bot = await start_bot()
    for n in range(10):
        await add_memory(bot, CHAT, f"Knee exercise number {n}")
    offer = await say(fake_telegram, "/forget knee exercise")
    assert sum(b["text"].startswith("🗑") for b in buttons(offer)) == 8
    assert "More memories match; these are the 8 closest." in offer["text"]


async def test_a_corrected_memory_deleted_later_takes_its_source_message_along(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """N3: ✏️ re-dates a memory's text, yet 🗑 afterwards still erases the exchange it was
    extracted from: the next prompt carries nothing of it."""
    bot = await start_bot()
    fake_gemini.enqueue("json", scripted([{"text": "Has a cat called Zorblax", "category": "personal_info"}]))
    await say(fake_telegram, "My cat is called Zorblax. Can cats run with me?")
    await bot.settle()
    listing = await say(fake_telegram, "/memories")
    edit = next(b["callback_data"] for b in buttons(listing) if b["text"] == "✏️ 1")
    before = len(fake_telegram.sent(CHAT))
    fake_telegram.press_button(CHAT, edit, message_id=listing["message_id"])
    prompt = (await fake_telegram.wait_for_messages(CHAT, before + 1))[before]
    done = await say(fake_telegram, "Has a cat called Zorby", reply_to={"message_id": prompt["message_id"]})
    assert done["text"].startswith("Saved.")

    listing = await say(fake_telegram, "/memories")
    [delete] = [b for b in buttons(listing) if b["callback_data"].startswith("mem:d:")]
    fake_telegram.press_button(CHAT, delete["callback_data"], message_id=listing["message_id"])
    answer = await fake_telegram.wait_for_call(
        "answerCallbackQuery", lambda c: c.params.get("text") == "Deleted"
    )
    assert answer.params["text"] == "Deleted"
    await say(fake_telegram, "What should I do today?")
    assert "Zorblax" not in fake_gemini.last_chat_prompt()
    assert "Zorblax" not in turn_and_write_texts(bot)
