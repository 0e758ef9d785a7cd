"""Reminders and check-ins through the real bot and the fake servers, on a clock the test moves."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.gemini_api import FakeGemini, Fault, GeminiRequest, default_json_responder
from tests.fakes.telegram_api import FakeTelegram
from tests.support.chat import buttons, drained
from tests.support.clock import FakeClock
from tests.support.harness import CHAT, RunningBot, StartBot, say
from tests.support.memory_pipeline import files_containing

START = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)  # Wednesday, 14:00 in Berlin


async def arrives(fake: FakeTelegram, needle: str, count: int = 1, timeout: float = 5.0) -> list[str]:
    """Wait until `count` messages containing `needle` reached the chat; return those texts."""
    async with asyncio.timeout(timeout):
        while True:
            found = [t for t in fake.texts(CHAT) if needle in t]
            if len(found) >= count:
                return found
            await asyncio.sleep(0.01)


def press(fake: FakeTelegram, message: dict[str, Any], data_prefix: str) -> None:
    button = next(b for b in buttons(message) if b["callback_data"].startswith(data_prefix))
    fake.press_button(CHAT, button["callback_data"], message_id=message["message_id"])


async def with_berlin(bot: RunningBot) -> None:
    await bot.services.store.chats.set_pref(CHAT, "timezone", "Europe/Berlin")


async def test_remind_in_minutes_confirms_lists_fires_once_and_leaves_the_list(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    clock = FakeClock(START)
    bot = await start_bot(clock=clock)
    reply = await say(fake_telegram, "/remind in 20 minutes stretch")
    assert reply["text"].startswith("Done. In 20 minutes (at 13:20 UTC): stretch")
    listing = await say(fake_telegram, "/reminders")
    assert "stretch" in listing["text"]
    assert [b["text"] for b in buttons(listing)] == ["🗑 1"]

    clock.advance(20 * 60)
    assert await arrives(fake_telegram, "⏰ Reminder: stretch") == ["⏰ Reminder: stretch"]
    clock.advance(3600)
    await bot.reminders_idle()
    assert len([t for t in fake_telegram.texts(CHAT) if "⏰" in t]) == 1
    assert "No reminders" in (await say(fake_telegram, "/reminders"))["text"]


async def test_each_remind_form_is_confirmed_in_the_persons_time_zone(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    bot = await start_bot(clock=FakeClock(START))
    await with_berlin(bot)
    expected = {
        "/remind at 18:30 protein shake": "Today at 18:30 (Europe/Berlin): protein shake",
        "/remind tomorrow 7am weigh in": "Tomorrow at 07:00 (Europe/Berlin): weigh in",
        "/remind every Monday 07:00 weigh in": "Every Monday at 07:00 (Europe/Berlin): weigh in",
        "/remind every day at 21:00 stretch 10 minutes": (
            "Every day at 21:00 (Europe/Berlin): stretch 10 minutes"
        ),
    }
    for command, confirmation in expected.items():
        assert (await say(fake_telegram, command))["text"].startswith(f"Done. {confirmation}")
    listing = (await say(fake_telegram, "/reminders"))["text"]
    assert listing.index("protein shake") < listing.index("stretch 10") < listing.index("Tomorrow at 07:00")
    bad = await say(fake_telegram, "/remind someday maybe stretch")
    assert "couldn't tell when" in bad["text"]
    assert "/remind every Monday 07:00 weigh in" in bad["text"]
    assert "Usage" not in (await say(fake_telegram, "/remind"))["text"]


async def test_the_time_zone_is_asked_once_and_the_waiting_reminder_is_then_scheduled(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    clock = FakeClock(START)
    bot = await start_bot(clock=clock)
    question = await say(fake_telegram, "/remind at 18:30 protein shake")
    assert "Which time zone" in question["text"]
    assert "tz:Europe/Berlin" in [b["callback_data"] for b in buttons(question)]
    press(fake_telegram, question, "tz:Europe/Berlin")
    edited = await fake_telegram.wait_for_call("editMessageText", lambda c: "Time zone" in c.params["text"])
    assert "Today at 18:30 (Europe/Berlin): protein shake" in edited.params["text"]
    assert (await bot.services.store.chats.get_prefs(CHAT)).timezone == "Europe/Berlin"

    clock.set(datetime(2026, 12, 2, 17, 30, 1, tzinfo=UTC))  # 18:30 in Berlin
    await arrives(fake_telegram, "⏰ Reminder: protein shake")


async def test_prefs_timezone_takes_any_iana_name_in_any_case(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    bot = await start_bot(clock=FakeClock(START))
    saved = await say(fake_telegram, "/prefs timezone america/argentina/buenos_aires")
    assert "Time zone: America/Argentina/Buenos_Aires" in saved["text"]
    assert "Usage" in (await say(fake_telegram, "/prefs timezone Mars/Olympus"))["text"]
    assert (await bot.services.store.chats.get_prefs(CHAT)).timezone == "America/Argentina/Buenos_Aires"
    # Chosen before any reminder: no question later, and wall-clock times are in that zone.
    reply = await say(fake_telegram, "/remind tomorrow 7am run")
    assert "Tomorrow at 07:00 (America/Argentina/Buenos_Aires): run" in reply["text"]


async def test_the_delete_button_cancels_a_reminder(start_bot: StartBot, fake_telegram: FakeTelegram) -> None:
    clock = FakeClock(START)
    bot = await start_bot(clock=clock)
    await say(fake_telegram, "/remind in 5 minutes stretch")
    await say(fake_telegram, "/remind in 10 minutes water")
    listing = await say(fake_telegram, "/reminders")
    press(fake_telegram, listing, "rem:del:")
    edited = await fake_telegram.wait_for_call("editMessageText")
    assert "stretch" not in edited.params["text"]
    assert "water" in edited.params["text"]
    clock.advance(11 * 60)
    await arrives(fake_telegram, "⏰ Reminder: water")
    await bot.reminders_idle()
    assert not [t for t in fake_telegram.texts(CHAT) if t == "⏰ Reminder: stretch"]


async def test_a_restart_between_scheduling_and_firing(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    clock = FakeClock(START)
    bot = await start_bot(clock=clock)
    await say(fake_telegram, "/remind in 30 minutes protein shake")
    await bot.stop()
    clock.advance(30 * 60)
    bot = await start_bot(clock=clock)
    await arrives(fake_telegram, "⏰ Reminder: protein shake")
    await bot.reminders_idle()
    assert len([t for t in fake_telegram.texts(CHAT) if t.startswith("⏰")]) == 1


async def test_a_chat_that_blocked_the_bot_stops_getting_reminders(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    clock = FakeClock(START)
    bot = await start_bot(clock=clock)
    await with_berlin(bot)
    await say(fake_telegram, "/remind every day at 14:30 water")
    fake_telegram.blocked.add(CHAT)
    clock.advance(30 * 60 + 1)
    await fake_telegram.wait_for_call("sendMessage", lambda c: "water" in c.params.get("text", ""))
    for _ in range(100):
        if not await bot.services.store.reminders.for_chat(CHAT):
            break
        await asyncio.sleep(0.02)
    assert await bot.services.store.reminders.for_chat(CHAT) == []
    attempts = len(fake_telegram.calls("sendMessage"))
    clock.advance(24 * 3600)
    await bot.reminders_idle()
    assert len(fake_telegram.calls("sendMessage")) == attempts


async def test_forget_erases_every_byte_of_the_reminders_and_export_includes_them(
    start_bot: StartBot, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    clock = FakeClock(START)
    bot = await start_bot(clock=clock)
    await with_berlin(bot)
    await say(fake_telegram, "/remind every Monday 07:00 zebracorn weigh in")
    await say(fake_telegram, "/remind in 1 minute quokkaberry shake")
    sent = await say(fake_telegram, "/export")
    exported = json.loads(sent["document"].data)
    assert {r["text"] for r in exported["reminders"]} == {"zebracorn weigh in", "quokkaberry shake"}

    confirm = await say(fake_telegram, "/forget")
    press(fake_telegram, confirm, "forget:yes")
    await fake_telegram.wait_for_call("editMessageText", lambda c: "forgotten" in c.params.get("text", ""))
    clock.advance(3600)
    await bot.reminders_idle()
    await bot.stop()
    assert not [t for t in fake_telegram.texts(CHAT) if t.startswith("⏰")]
    assert files_containing(tmp_path / "data", ["zebracorn", "quokkaberry"]) == {}


async def test_remind_me_in_a_plain_message_is_confirmed_with_yes_no(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    clock = FakeClock(START)
    bot = await start_bot(clock=clock)
    await with_berlin(bot)
    offer = await say(fake_telegram, "remind me to stretch every evening at 9")
    assert offer["text"] == "Shall I remind you?\nEvery day at 21:00 (Europe/Berlin): stretch"
    assert fake_gemini.chat_requests() == []  # confirmed instead of answered
    assert await bot.services.store.reminders.for_chat(CHAT) == []  # nothing before Yes
    press(fake_telegram, offer, "rem:yes:")
    await fake_telegram.wait_for_call("editMessageText", lambda c: "Scheduled" in c.params["text"])
    [reminder] = await bot.services.store.reminders.for_chat(CHAT)
    assert reminder.rule is not None
    clock.set(datetime(2026, 12, 2, 20, 0, 1, tzinfo=UTC))
    await arrives(fake_telegram, "⏰ Reminder: stretch")

    declined = await say(fake_telegram, "remind me to drink water at 16:00")
    press(fake_telegram, declined, "rem:no:")
    await fake_telegram.wait_for_call("editMessageText", lambda c: "nothing scheduled" in c.params["text"])
    assert len(await bot.services.store.reminders.for_chat(CHAT)) == 1


@pytest.mark.parametrize("failure", ["outage", "unusable answer"])
async def test_a_reader_that_fails_leaves_the_message_answered_and_is_logged_once(
    start_bot: StartBot,
    fake_telegram: FakeTelegram,
    fake_gemini: FakeGemini,
    caplog: pytest.LogCaptureFixture,
    failure: str,
) -> None:
    """ "remind me to …" while the reader is down (503) or answers JSON its schema refuses (a text
    longer than 300 characters): the message is answered as any other, nothing is proposed or
    scheduled, and the failure is one warning line without a traceback (not one per attempt)."""

    def reader(request: GeminiRequest) -> str:
        if "follow-up extraction" in request.prompt():
            return json.dumps({"reminder": {"text": "x" * 400, "when": "tomorrow at 9"}, "checkin": None})
        return default_json_responder(request)

    bot = await start_bot(clock=FakeClock(START))
    await with_berlin(bot)
    if failure == "outage":
        fake_gemini.enqueue("json", Fault(503), Fault(503), Fault(503), Fault(503))
    else:
        fake_gemini.json_responder = reader
    caplog.clear()
    caplog.set_level(logging.INFO, logger="bot")
    reply = await say(fake_telegram, "remind me to stretch every evening at 9")
    assert reply["text"].startswith("Coach says:")
    assert await bot.services.store.reminders.for_chat(CHAT) == []
    reading = ("bot.llm", "bot.followup")  # the reader's own lines (the memory writer retries apart)
    logged = [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith(reading)]
    assert [r.getMessage().split(":")[0] for r in logged] == [f"chat {CHAT}"]
    assert "no reminder or check-in read" in logged[0].getMessage()
    assert logged[0].exc_info is None


async def test_incognito_sets_no_reminder_from_plain_messages(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    bot = await start_bot(clock=FakeClock(START))
    await say(fake_telegram, "/prefs memory off")
    reply = await say(fake_telegram, "remind me to stretch every evening at 9")
    assert reply["text"].startswith("Coach says:")
    assert not [r for r in fake_gemini.requests("json") if "follow-up extraction" in r.prompt()]
    assert await bot.services.store.reminders.for_chat(CHAT) == []
    # The explicit command still works in incognito.
    assert (await say(fake_telegram, "/remind in 5 minutes stretch"))["text"].startswith("Done.")


async def test_a_plan_brings_one_check_in_offer_written_at_send_time_with_fresh_memories(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    clock = FakeClock(START)
    bot = await start_bot(clock=clock)
    await with_berlin(bot)
    before = len(fake_telegram.sent(CHAT))
    fake_telegram.send_text(CHAT, "I'll run Tuesday and Thursday, training for a 10k race on 14 March.")
    answer, offer = (await fake_telegram.wait_for_messages(CHAT, before + 2))[before:]
    assert answer["text"].startswith("Coach says:")
    assert offer["text"] == "Shall I check in tomorrow about your training?"
    press(fake_telegram, offer, "rem:yes:")
    await fake_telegram.wait_for_call("editMessageText", lambda c: "Scheduled" in c.params["text"])
    assert "check in about your training" in (await say(fake_telegram, "/reminders"))["text"]

    # Said after the offer was accepted: the check-in still knows it (written when it is sent).
    await say(fake_telegram, "My left knee has been sore since yesterday.")
    await bot.settle()
    chats_before = len(fake_gemini.chat_requests())
    clock.set(datetime(2026, 12, 3, 17, 0, 1, tzinfo=UTC))  # 18:00 in Berlin, the next day
    # Until the scheduler records the send (mark_sent, which also counts it unanswered), the
    # message can be at Telegram while the count is still 0: wait for the record, not the message.
    await bot.reminders_idle(timeout=30)
    [checkin] = await arrives(fake_telegram, "scheduled check-in")
    assert checkin.startswith("Coach says:")
    prompt = fake_gemini.chat_requests()[chats_before].prompt()
    assert "knee" in prompt.split("<memories>")[1].lower()
    assert "your training" in prompt
    assert await bot.services.store.reminders.unanswered(CHAT) == 1
    await say(fake_telegram, "It went well, thanks!")  # answered
    assert await bot.services.store.reminders.unanswered(CHAT) == 0


async def test_check_in_offers_respect_the_weekly_budget_and_the_prefs_switch(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    clock = FakeClock(START)
    bot = await start_bot(clock=clock, CHECKINS_PER_WEEK=1)
    await with_berlin(bot)
    plan = "Training for a 10k race on Sunday, I'll run Tuesday."
    before = len(fake_telegram.sent(CHAT))
    fake_telegram.send_text(CHAT, plan)
    offer = (await fake_telegram.wait_for_messages(CHAT, before + 2))[-1]
    press(fake_telegram, offer, "rem:yes:")
    await fake_telegram.wait_for_call("editMessageText", lambda c: "Scheduled" in c.params["text"])
    await say(fake_telegram, plan)  # one offer per two days, whatever the answer
    clock.set(datetime(2026, 12, 3, 17, 0, 1, tzinfo=UTC))  # the check-in is sent: the week's one
    await arrives(fake_telegram, "scheduled check-in")
    clock.advance(2 * 24 * 3600)  # past the gap between offers, within the week
    await say(fake_telegram, plan)
    await drained(bot, fake_telegram)  # an offer would follow the answer in the same handler
    assert not [t for t in fake_telegram.texts(CHAT)[before + 2 :] if t.startswith("Shall I check in")]

    await say(fake_telegram, "/prefs checkins off")
    clock.advance(8 * 24 * 3600)
    await say(fake_telegram, plan)
    await drained(bot, fake_telegram)
    assert len([t for t in fake_telegram.texts(CHAT) if t.startswith("Shall I check in")]) == 1


async def test_a_reminder_whose_answer_is_lost_is_not_sent_again_after_the_retry_delay(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """Telegram took the reminder but the connection dropped before its answer: it may have
    arrived (here it did), so it counts as delivered and the retry 60 s later does not repeat it."""
    clock = FakeClock(START)
    bot = await start_bot(clock=clock)
    await say(fake_telegram, "/remind in 20 minutes stretch")
    fake_telegram.drop_connection_next("sendMessage", chat_id=CHAT)
    clock.advance(20 * 60)
    assert await arrives(fake_telegram, "⏰ Reminder: stretch") == ["⏰ Reminder: stretch"]
    await bot.reminders_idle()
    for _ in range(3):  # past the scheduler's retry delay, more than once
        clock.advance(61)
        await bot.reminders_idle()
    assert [t for t in fake_telegram.texts(CHAT) if "⏰" in t] == ["⏰ Reminder: stretch"]
    assert "No reminders" in (await say(fake_telegram, "/reminders"))["text"]


async def test_a_spanish_user_gets_remind_and_reminders_in_spanish(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """Telegram's language_code "es": the confirmation, the parse error and the listing speak
    Spanish (Babel's times); what the scheduler sends itself follows the chat's /prefs language."""
    clock = FakeClock(START)
    bot = await start_bot(clock=clock)
    await with_berlin(bot)
    spanish: dict[str, Any] = {"language_code": "es"}
    weekly = await say(fake_telegram, "/remind every Monday 07:00 pesarme", **spanish)
    assert weekly["text"] == (
        "Hecho. Cada lunes a las 7:00 (Europe/Berlin): pesarme\n/reminders muestra todos sus recordatorios."
    )
    soon = await say(fake_telegram, "/remind in 20 minutes estirar", **spanish)
    assert soon["text"].startswith("Hecho. Dentro de 20 minutos (a las 14:20 Europe/Berlin): estirar")
    bad = await say(fake_telegram, "/remind someday maybe stretch", **spanish)
    assert bad["text"].startswith("No encuentro el momento en «someday maybe stretch». Ponga primero")
    listing = await say(fake_telegram, "/reminders", **spanish)
    assert listing["text"] == (
        "Sus recordatorios (2):\n\n"
        "1. Hoy a las 14:20 (Europe/Berlin): estirar\n"
        "2. Cada lunes a las 7:00 (Europe/Berlin): pesarme\n\n"
        "Toque 🗑 y un número para eliminar ese recordatorio."
    )
    await bot.services.store.chats.set_pref(CHAT, "language", "es")
    clock.advance(20 * 60)
    assert await arrives(fake_telegram, "⏰ Recordatorio: estirar") == ["⏰ Recordatorio: estirar"]
