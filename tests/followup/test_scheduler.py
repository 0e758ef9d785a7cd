"""The durable scheduler over the real SQLite store, with a clock the test moves by hand."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.followup.checkins import QuietHours
from bot.followup.scheduler import Outcome, Scheduler
from bot.followup.when import parse_reminder
from bot.i18n import Translator
from bot.records import Reminder
from bot.store import Store, StoreUnavailable
from tests.support.clock import FakeClock

START = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)  # 14:00 in Berlin
CHAT = 42
HOUR = 3600.0


class Outbox:
    """The scheduler's `deliver`: records what it was given; blocked chats answer BLOCKED."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []
        self.blocked: set[int] = set()

    async def __call__(self, chat_id: int, text: str) -> Outcome:
        if chat_id in self.blocked:
            return Outcome.BLOCKED
        self.sent.append((chat_id, text))
        return Outcome.SENT

    def texts(self) -> list[str]:
        return [text for _, text in self.sent]


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


async def settle() -> None:
    """Let the scheduler look at the clock and finish what it started."""
    for _ in range(20):
        await asyncio.sleep(0.01)


def make_scheduler(store: Store, outbox: Outbox, clock: FakeClock, **kwargs: object) -> Scheduler:
    scheduler = Scheduler(store.reminders, outbox, clock=clock, **kwargs)  # type: ignore[arg-type]
    scheduler.start()
    return scheduler


async def add(
    store: Store, clock: FakeClock, words: str, tz: str = "Europe/Berlin", **kwargs: object
) -> Reminder:
    schedule, text = parse_reminder(words, now=datetime.fromtimestamp(clock.now(), UTC), tz=tz)
    return await store.reminders.add(
        CHAT,
        text,
        schedule.first.timestamp(),
        now=clock.now(),
        rule=schedule.rule,
        start_local=schedule.start_local,
        tz=tz,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_a_one_shot_reminder_fires_once_and_leaves_the_list(store: Store) -> None:
    clock, outbox = FakeClock(START), Outbox()
    scheduler = make_scheduler(store, outbox, clock)
    await add(store, clock, "in 20 minutes stretch")
    scheduler.wake()
    clock.advance(19 * 60)
    await settle()
    assert outbox.sent == []
    clock.advance(60)
    await until(lambda: len(outbox.sent) == 1)
    assert outbox.sent == [(CHAT, "⏰ Reminder: stretch")]
    clock.advance(24 * HOUR)
    await settle()
    assert len(outbox.sent) == 1
    assert await store.reminders.for_chat(CHAT) == []
    await scheduler.stop()


async def test_a_repeating_reminder_fires_again_at_its_next_time(store: Store) -> None:
    clock, outbox = FakeClock(START), Outbox()
    scheduler = make_scheduler(store, outbox, clock)
    reminder = await add(store, clock, "every day at 21:00 stretch")
    scheduler.wake()
    clock.set(datetime(2026, 12, 2, 20, 0, 1, tzinfo=UTC))
    await until(lambda: len(outbox.sent) == 1)
    [kept] = await store.reminders.for_chat(CHAT)
    assert kept.id == reminder.id
    assert kept.due_at == datetime(2026, 12, 3, 20, 0, tzinfo=UTC).timestamp()
    clock.set(datetime(2026, 12, 3, 20, 0, 30, tzinfo=UTC))
    await until(lambda: len(outbox.sent) == 2)
    assert outbox.texts() == ["⏰ Reminder: stretch", "⏰ Reminder: stretch"]
    await scheduler.stop()


async def test_a_restart_between_scheduling_and_firing_loses_nothing(tmp_path: Path) -> None:
    clock, outbox = FakeClock(START), Outbox()
    store = await Store.open(tmp_path / "restart.sqlite3")
    first = make_scheduler(store, outbox, clock)
    await add(store, clock, "in 30 minutes protein shake")
    await first.stop()
    await store.close()

    reopened = await Store.open(tmp_path / "restart.sqlite3")
    try:
        clock.advance(30 * 60)
        second = make_scheduler(reopened, outbox, clock)
        await until(lambda: len(outbox.sent) == 1)
        await settle()
        assert outbox.texts() == ["⏰ Reminder: protein shake"]
        await second.stop()
    finally:
        await reopened.close()


async def test_due_while_down_inside_the_grace_window_is_sent_at_start(store: Store) -> None:
    clock, outbox = FakeClock(START), Outbox()
    await add(store, clock, "in 20 minutes stretch")
    clock.advance(20 * 60 + 59 * 60)  # 59 minutes late
    scheduler = make_scheduler(store, outbox, clock, grace_seconds=HOUR)
    await until(lambda: len(outbox.sent) == 1)
    assert outbox.texts() == ["⏰ Reminder: stretch"]
    await scheduler.stop()


async def test_due_while_down_past_the_grace_window_is_skipped_and_mentioned_once(store: Store) -> None:
    clock, outbox = FakeClock(START), Outbox()
    await add(store, clock, "in 20 minutes stretch")
    repeating = await add(store, clock, "every day at 14:30 water")
    clock.advance(3 * HOUR)
    scheduler = make_scheduler(store, outbox, clock, grace_seconds=HOUR)
    await until(lambda: len(outbox.sent) == 2)
    await settle()
    texts = outbox.texts()
    assert len(texts) == 2
    assert all(text.startswith("I was offline") for text in texts)
    assert any("stretch" in text and "again" not in text for text in texts)
    assert any("water" in text and "I'll remind you again next time" in text for text in texts)
    # The repeating one waits for tomorrow; nothing else is sent.
    [kept] = await store.reminders.for_chat(CHAT)
    assert kept.id == repeating.id
    assert kept.due_at == datetime(2026, 12, 3, 13, 30, tzinfo=UTC).timestamp()
    clock.advance(60)
    await settle()
    assert len(outbox.sent) == 2
    await scheduler.stop()


async def test_a_chat_that_blocked_the_bot_gets_no_more_repeats(store: Store) -> None:
    clock, outbox = FakeClock(START), Outbox()
    outbox.blocked.add(CHAT)
    scheduler = make_scheduler(store, outbox, clock)
    await add(store, clock, "every day at 14:30 water")
    await add(store, clock, "every Monday 07:00 weigh in")
    scheduler.wake()
    clock.set(datetime(2026, 12, 2, 13, 30, 5, tzinfo=UTC))
    await until(lambda: scheduler.stats.blocked == 1)
    assert await store.reminders.for_chat(CHAT) == []
    outbox.blocked.clear()
    clock.advance(8 * 24 * HOUR)
    await settle()
    assert outbox.sent == []
    await scheduler.stop()


async def test_check_ins_wait_out_quiet_hours_but_reminders_do_not(store: Store) -> None:
    clock, outbox = FakeClock(datetime(2026, 12, 2, 21, 0, tzinfo=UTC)), Outbox()  # 22:00 in Berlin
    scheduler = make_scheduler(store, outbox, clock, quiet=QuietHours.parse("22:00-07:00"))
    await add(store, clock, "in 30 minutes stretch")
    await store.reminders.add(
        CHAT, "your 10k", clock.now() + 1800, now=clock.now(), kind="checkin", tz="Europe/Berlin"
    )
    scheduler.wake()
    clock.advance(30 * 60)
    await until(lambda: len(outbox.sent) == 1)
    await settle()
    assert outbox.texts() == ["⏰ Reminder: stretch"]  # 22:30 Berlin: the reminder, not the check-in
    [checkin] = await store.reminders.for_chat(CHAT)
    assert checkin.due_at == datetime(2026, 12, 3, 6, 0, tzinfo=UTC).timestamp()  # 07:00 Berlin
    clock.set(datetime(2026, 12, 3, 6, 0, 1, tzinfo=UTC))
    await until(lambda: len(outbox.sent) == 2)
    assert "your 10k" in outbox.texts()[1]
    await scheduler.stop()


async def test_no_check_in_after_two_in_a_row_went_unanswered(store: Store) -> None:
    clock, outbox = FakeClock(START), Outbox()
    scheduler = make_scheduler(store, outbox, clock)
    for hours in (1, 2, 3):
        await store.reminders.add(
            CHAT, f"plan {hours}", clock.now() + hours * HOUR, now=clock.now(), kind="checkin", tz="UTC"
        )
    scheduler.wake()
    for hours in (1, 2, 3):
        clock.set(datetime.fromtimestamp(START.timestamp() + hours * HOUR + 1, UTC))
        await settle()
    assert [text.split(": ")[0] for text in outbox.texts()] == [
        "Checking in about plan 1",
        "Checking in about plan 2",
    ]
    assert await store.reminders.unanswered(CHAT) == 2
    assert await store.reminders.for_chat(CHAT) == []  # the third was dropped, not postponed

    await store.reminders.answered(CHAT)  # the person wrote again
    await store.reminders.add(CHAT, "plan 4", clock.now() + 60, now=clock.now(), kind="checkin", tz="UTC")
    scheduler.wake()
    clock.advance(61)
    await until(lambda: len(outbox.sent) == 3)
    await scheduler.stop()


async def test_a_reminder_erased_while_its_delivery_was_under_way_is_not_sent(store: Store) -> None:
    """/forget while a check-in is being written: the check-in is not sent."""
    clock, outbox = FakeClock(START), Outbox()

    async def compose(chat_id: int, topic: str) -> str:
        await store.chats.forget_chat(chat_id)  # the person erased everything meanwhile
        return f"How is {topic} going?"

    scheduler = make_scheduler(store, outbox, clock, compose_checkin=compose)
    await store.reminders.add(CHAT, "your 10k", clock.now() + 60, now=clock.now(), kind="checkin", tz="UTC")
    scheduler.wake()
    clock.advance(61)
    await settle()
    assert outbox.sent == []
    await scheduler.stop()


async def test_a_group_that_became_a_supergroup_keeps_its_reminders(store: Store) -> None:
    clock = FakeClock(START)
    await store.reminders.add(-100, "team run", clock.now() + 60, now=clock.now())
    await store.chats.migrate_chat(-100, -1_000_100)
    assert [r.text for r in await store.reminders.for_chat(-1_000_100)] == ["team run"]
    assert await store.reminders.for_chat(-100) == []


async def test_the_chats_language_falls_back_to_english_on_an_outage_only(store: Store) -> None:
    """Settings that cannot be read (the database unavailable) send the reminder in English; a
    bug reading them is not hidden behind English: the delivery fails, is counted and retried."""
    clock, outbox = FakeClock(START), Outbox()

    async def unreadable(chat_id: int) -> Translator:
        raise StoreUnavailable("SQLite: disk I/O error")

    scheduler = make_scheduler(store, outbox, clock, words=unreadable)
    await add(store, clock, "in 20 minutes stretch")
    scheduler.wake()
    clock.advance(20 * 60)
    await until(lambda: len(outbox.sent) == 1)
    assert outbox.texts() == ["⏰ Reminder: stretch"]
    await scheduler.stop()

    async def broken(chat_id: int) -> Translator:
        raise KeyError("a bug")

    scheduler = make_scheduler(store, outbox, clock, words=broken)
    await add(store, clock, "in 20 minutes stretch again")
    scheduler.wake()
    clock.advance(20 * 60)
    await until(lambda: scheduler.stats.failed == 1)
    assert outbox.texts() == ["⏰ Reminder: stretch"]
    [kept] = await store.reminders.for_chat(CHAT)
    assert kept.text == "stretch again"
    assert kept.due_at > clock.now()
    await scheduler.stop()
