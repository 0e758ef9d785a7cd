"""Issue 20 item 4: the reminder defects an attack pass found, each through the real bot and the fakes.

A date without a time fires at 09:00; the cap of 50 holds on every path and /reminders pages so that
every reminder can be deleted; in groups only administrators set or delete the group's reminders;
absurd times are refused clearly; forged ids and double taps get a polite answer and no ERROR line.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.support.chat import buttons
from tests.support.clock import FakeClock
from tests.support.harness import CHAT, RunningBot, StartBot, say
from tests.telegram.test_reminders import START, press, with_berlin

GROUP = -1001234567890
ADMIN, MEMBER = 501, 502


async def fill(bot: RunningBot, count: int) -> None:
    """`count` active reminders in the chat, an hour apart from tomorrow on."""
    for n in range(count):
        due = START.timestamp() + 86400 + 3600 * n
        await bot.services.store.reminders.add(
            CHAT, f"task {n + 1}", due, now=START.timestamp(), tz="Europe/Berlin"
        )


async def test_a_date_without_a_time_fires_at_nine_local(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    bot = await start_bot(clock=FakeClock(START))
    await with_berlin(bot)
    reply = await say(fake_telegram, "/remind 24.12.2026 buy gifts")
    assert "at 09:00 (Europe/Berlin): buy gifts" in reply["text"]
    [reminder] = await bot.services.store.reminders.for_chat(CHAT)
    assert reminder.due_at == datetime(2026, 12, 24, 8, 0, tzinfo=UTC).timestamp()


async def test_the_cap_holds_for_remind_me_and_yes(start_bot: StartBot, fake_telegram: FakeTelegram) -> None:
    """50 reminders: "remind me …" + Yes schedules nothing more and says why."""
    bot = await start_bot(clock=FakeClock(START))
    await with_berlin(bot)
    await fill(bot, 49)
    offer = await say(fake_telegram, "remind me to stretch every evening at 9")
    assert "Shall I remind you?" in offer["text"]
    await say(fake_telegram, "/remind tomorrow at 22:00 water")  # the 50th
    press(fake_telegram, offer, "rem:yes:")
    edited = await fake_telegram.wait_for_call("editMessageText", lambda c: "50" in c.params["text"])
    assert "You have 50 reminders already" in edited.params["text"]
    assert len(await bot.services.store.reminders.for_chat(CHAT)) == 50


async def test_reminders_pages_so_every_reminder_can_be_deleted(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    bot = await start_bot(clock=FakeClock(START))
    await with_berlin(bot)
    await fill(bot, 50)
    listing = await say(fake_telegram, "/reminders")
    assert "▶" in [b["text"] for b in buttons(listing)]
    press(fake_telegram, listing, "rem:page:1")
    second = await fake_telegram.wait_for_call("editMessageText", lambda c: "task 50" in c.params["text"])
    deletes = [
        b for row in second.params["reply_markup"]["inline_keyboard"] for b in row if b["text"] == "🗑 50"
    ]
    fake_telegram.press_button(CHAT, deletes[0]["callback_data"], message_id=listing["message_id"])
    await fake_telegram.wait_for_call("editMessageText", lambda c: "(49)" in c.params["text"])
    texts = [r.text for r in await bot.services.store.reminders.for_chat(CHAT)]
    assert "task 50" not in texts
    assert len(texts) == 49


async def test_in_groups_only_administrators_set_or_delete_reminders(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    bot = await start_bot(clock=FakeClock(START), GROUPS_ENABLED=True)
    fake_telegram.admins.add(ADMIN)
    await bot.services.store.chats.set_pref(GROUP, "timezone", "Europe/Berlin")
    group: dict[str, Any] = {"chat_id": GROUP, "chat_type": "supergroup"}
    refused = await say(fake_telegram, "/remind every 10 minutes spam", user_id=MEMBER, **group)
    assert "Only a group administrator" in refused["text"]
    assert await bot.services.store.reminders.for_chat(GROUP) == []
    done = await say(fake_telegram, "/remind tomorrow at 22:00 team call", user_id=ADMIN, **group)
    assert done["text"].startswith("Done.")
    listing = await say(fake_telegram, "/reminders", user_id=MEMBER, **group)
    delete = next(b for b in buttons(listing) if b["callback_data"].startswith("rem:del:"))
    fake_telegram.press_button(
        GROUP, delete["callback_data"], message_id=listing["message_id"], user_id=MEMBER
    )
    answer = await fake_telegram.wait_for_call("answerCallbackQuery")
    assert "Only a group administrator" in answer.params.get("text", "")
    assert len(await bot.services.store.reminders.for_chat(GROUP)) == 1


@pytest.mark.parametrize(
    ("words", "says"),
    [
        ("/remind 31.12.9999 23:59 x", "too far ahead"),
        ("/remind in 99999999999 minutes x", "too far ahead"),
        ("/remind in 1e9 minutes x", "I couldn't tell when"),
    ],
)
async def test_absurd_times_get_a_clear_refusal(
    start_bot: StartBot, fake_telegram: FakeTelegram, caplog: pytest.LogCaptureFixture, words: str, says: str
) -> None:
    """In a zone behind UTC, where the old parser overflowed and said "something went wrong"."""
    caplog.set_level(logging.WARNING)
    bot = await start_bot(clock=FakeClock(START))
    await bot.services.store.chats.set_pref(CHAT, "timezone", "America/Los_Angeles")
    reply = await say(fake_telegram, words)
    assert says in reply["text"]
    assert await bot.services.store.reminders.for_chat(CHAT) == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_forged_ids_and_double_taps_are_answered_politely(
    start_bot: StartBot, fake_telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    bot = await start_bot(clock=FakeClock(START))
    await with_berlin(bot)
    await fill(bot, 2)
    listing = await say(fake_telegram, "/reminders")
    forged = ("rem:del:99999999999999999999999999", "rem:del:-1", "rem:yes:abc", "rem:zap:1")
    for data in forged:
        fake_telegram.press_button(CHAT, data, message_id=listing["message_id"])
    async with asyncio.timeout(5):
        while (
            len([c for c in fake_telegram.calls("answerCallbackQuery") if "out of date" in c.params["text"]])
            < 4
        ):
            await asyncio.sleep(0.02)
    first = next(b["callback_data"] for b in buttons(listing) if b["callback_data"].startswith("rem:del:"))
    fake_telegram.press_button(CHAT, first, message_id=listing["message_id"])
    fake_telegram.press_button(CHAT, first, message_id=listing["message_id"])
    gone = await fake_telegram.wait_for_call(
        "answerCallbackQuery", lambda c: "already gone" in c.params.get("text", "")
    )
    assert gone is not None
    assert len(await bot.services.store.reminders.for_chat(CHAT)) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
