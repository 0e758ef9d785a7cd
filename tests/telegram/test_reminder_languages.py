"""Issue 20 item 5: every reminder text in the person's language, including what the scheduler
sends later (the chat's Telegram language is kept), and issue 20 item 3's confirmation of a reading
the rules are unsure of."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.fakes.gemini_api import TIME_READING_MARKER, FakeGemini, Fault
from tests.fakes.telegram_api import FakeTelegram
from tests.support.chat import buttons
from tests.support.clock import FakeClock
from tests.support.harness import CHAT, StartBot, say
from tests.telegram.test_reminders import START, arrives, press, with_berlin

RUSSIAN: dict[str, Any] = {"language_code": "ru"}


async def test_a_russian_user_gets_every_reminder_text_in_russian(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """The time-zone question, the confirmation right after it, and the reminder the scheduler sends
    a day later (no update at hand: the chat's kept Telegram language)."""
    clock = FakeClock(START)
    bot = await start_bot(clock=clock)
    question = await say(fake_telegram, "/remind завтра в 7:00 пробежка", **RUSSIAN)
    assert "часов" in question["text"].lower()
    press(fake_telegram, question, "tz:Europe/Moscow")
    edited = await fake_telegram.wait_for_call(
        "editMessageText", lambda c: "Europe/Moscow" in c.params["text"]
    )
    assert edited.params["text"].startswith("Часовой пояс: Europe/Moscow")
    assert "Готово. Завтра в 07:00 (Europe/Moscow): пробежка" in edited.params["text"]
    assert (await bot.services.store.chats.get_prefs(CHAT)).language == "auto"
    clock.set(datetime(2026, 12, 3, 4, 0, 1, tzinfo=UTC))  # 07:00 in Moscow
    assert await arrives(fake_telegram, "пробежка") == ["⏰ Напоминание: пробежка"]


async def test_every_hour_is_said_so_in_the_persons_language(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    bot = await start_bot(clock=FakeClock(START))
    await with_berlin(bot)
    english = await say(fake_telegram, "/remind every hour drink water")
    assert english["text"].startswith("Done. Every hour from 15:00 (Europe/Berlin): drink water")
    russian = await say(fake_telegram, "/remind каждый час пить воду", **RUSSIAN)
    assert russian["text"].startswith("Готово. Каждый час, начиная с 15:00 (Europe/Berlin): пить воду")


async def test_a_bare_clock_is_asked_about_and_nothing_is_scheduled_before_yes(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    clock = FakeClock(START)
    bot = await start_bot(clock=clock)
    await with_berlin(bot)
    offer = await say(fake_telegram, "/remind at 5 call mom")
    assert offer["text"] == "Shall I remind you?\nToday at 17:00 (Europe/Berlin): call mom"
    assert [b["text"] for b in buttons(offer)] == ["Yes", "No"]
    assert await bot.services.store.reminders.for_chat(CHAT) == []
    press(fake_telegram, offer, "rem:yes:")
    await fake_telegram.wait_for_call("editMessageText", lambda c: "Scheduled" in c.params["text"])
    [reminder] = await bot.services.store.reminders.for_chat(CHAT)
    assert reminder.due_at == datetime(2026, 12, 2, 16, 0, tzinfo=UTC).timestamp()


async def test_words_the_rules_cannot_read_are_read_by_the_model_and_confirmed(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """Issue 20 item 3: one structured call, the reading shown with Yes / No, nothing before Yes."""
    clock = FakeClock(START)
    bot = await start_bot(clock=clock)
    await with_berlin(bot)
    offer = await say(fake_telegram, "/remind after lunch on Friday call the bank")
    assert offer["text"] == "Shall I remind you?\nFriday 4 December at 13:30 (Europe/Berlin): call the bank"
    [request] = [r for r in fake_gemini.requests("json") if TIME_READING_MARKER in r.prompt()]
    assert "after lunch on Friday call the bank" in request.prompt()
    assert await bot.services.store.reminders.for_chat(CHAT) == []
    press(fake_telegram, offer, "rem:yes:")
    await fake_telegram.wait_for_call("editMessageText", lambda c: "Scheduled" in c.params["text"])
    [reminder] = await bot.services.store.reminders.for_chat(CHAT)
    assert reminder.due_at == datetime(2026, 12, 4, 12, 30, tzinfo=UTC).timestamp()


async def test_a_repetition_only_the_model_reads_is_confirmed_too(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    bot = await start_bot(clock=FakeClock(START))
    await with_berlin(bot)
    offer = await say(fake_telegram, "/remind every other day water the plants")
    assert offer["text"] == "Shall I remind you?\nEvery 2 days at 09:00 (Europe/Berlin): water the plants"
    assert await bot.services.store.reminders.for_chat(CHAT) == []


async def test_when_the_model_finds_no_time_or_is_down_the_refusal_says_so(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    bot = await start_bot(clock=FakeClock(START))
    await with_berlin(bot)
    nothing = await say(fake_telegram, "/remind someday maybe stretch")
    assert nothing["text"].startswith('I couldn\'t tell when from "someday maybe stretch"')
    fake_gemini.enqueue("json", Fault(503, "overloaded"), Fault(503, "overloaded"), Fault(503, "overloaded"))
    down = await say(fake_telegram, "/remind after lunch call the bank")
    assert down["text"].startswith("I couldn't tell when")
    assert await bot.services.store.reminders.for_chat(CHAT) == []
