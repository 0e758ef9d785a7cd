"""/remind phrases parsed deterministically; repetition keeps wall-clock time across DST."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.followup.when import ReminderParseError, next_firing, parse_reminder

# Wednesday 2 December 2026, 14:00 in Berlin.
NOW = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
BERLIN = "Europe/Berlin"


@pytest.mark.parametrize(
    ("words", "confirmation", "first_utc"),
    [
        ("in 20 minutes stretch", "In 20 minutes (at 14:20 Europe/Berlin): stretch", "2026-12-02T13:20"),
        ("at 18:30 protein shake", "Today at 18:30 (Europe/Berlin): protein shake", "2026-12-02T17:30"),
        ("tomorrow 7am weigh in", "Tomorrow at 07:00 (Europe/Berlin): weigh in", "2026-12-03T06:00"),
        (
            "every Monday 07:00 weigh in",
            "Every Monday at 07:00 (Europe/Berlin): weigh in",
            "2026-12-07T06:00",
        ),
        (
            "every day at 21:00 stretch 10 minutes",
            "Every day at 21:00 (Europe/Berlin): stretch 10 minutes",
            "2026-12-02T20:00",
        ),
        ("every weekday 06:30 run", "Every weekday at 06:30 (Europe/Berlin): run", "2026-12-03T05:30"),
        (
            "every Monday and Thursday at 18:00 gym",
            "Every Monday and Thursday at 18:00 (Europe/Berlin): gym",
            "2026-12-03T17:00",
        ),
        (
            "tomorrow 7am 3 sets of squats",
            "Tomorrow at 07:00 (Europe/Berlin): 3 sets of squats",
            "2026-12-03T06:00",
        ),
        ("tomorrow weigh in", "Tomorrow at 09:00 (Europe/Berlin): weigh in", "2026-12-03T08:00"),
        # Other languages: the grammar for the time, our weekday table for repetition.
        ("morgen 7:00 wiegen", "Tomorrow at 07:00 (Europe/Berlin): wiegen", "2026-12-03T06:00"),
        ("jeden Montag um 7:00 wiegen", "Every Monday at 07:00 (Europe/Berlin): wiegen", "2026-12-07T06:00"),
        ("cada lunes 7:00 pesarme", "Every Monday at 07:00 (Europe/Berlin): pesarme", "2026-12-07T06:00"),
        ("demain à 7h se peser", "Tomorrow at 07:00 (Europe/Berlin): se peser", "2026-12-03T06:00"),
        ("через 20 минут размяться", "In 20 minutes (at 14:20 Europe/Berlin): размяться", "2026-12-02T13:20"),
    ],
)
def test_each_form_is_understood_and_confirmed(words: str, confirmation: str, first_utc: str) -> None:
    schedule, text = parse_reminder(words, now=NOW, tz=BERLIN)
    assert schedule.describe(text, NOW) == confirmation
    assert schedule.first.astimezone(UTC).strftime("%Y-%m-%dT%H:%M") == first_utc


def test_the_same_words_at_the_same_moment_give_the_same_time() -> None:
    """Deterministic: no hidden "now" (the relative base is the moment given)."""
    results = {parse_reminder("tomorrow 7am weigh in", now=NOW, tz=BERLIN)[0].first for _ in range(3)}
    assert len(results) == 1


@pytest.mark.parametrize(
    ("words", "says"),
    [
        ("", "/remind in 20 minutes stretch"),
        ("stretch sometime", "Put the time first"),
        ("every blah 7 x", 'After "every"'),
        ("every day stretch", "At what time?"),
        ("in 20 minutes", "What should I remind you of?"),
        ("every 2 minutes blink", "every 10 minutes"),
    ],
)
def test_what_is_not_understood_is_said_with_an_example(words: str, says: str) -> None:
    with pytest.raises(ReminderParseError) as caught:
        parse_reminder(words, now=NOW, tz=BERLIN)
    assert says in str(caught.value)
    assert "/remind" in str(caught.value) or "every 10 minutes" in str(caught.value)


def test_a_daily_reminder_keeps_its_wall_clock_time_across_the_dst_change() -> None:
    """07:00 Berlin is 06:00 UTC in winter and 05:00 UTC after the clocks go forward (28 March 2027)."""
    schedule, _ = parse_reminder("every day at 07:00 weigh in", now=NOW, tz=BERLIN)
    assert schedule.rule is not None
    assert schedule.start_local is not None
    before = datetime(2027, 3, 26, 12, 0, tzinfo=UTC)
    saturday = next_firing(schedule.rule, schedule.start_local, BERLIN, before)
    sunday = next_firing(schedule.rule, schedule.start_local, BERLIN, saturday or before)
    assert saturday == datetime(2027, 3, 27, 6, 0, tzinfo=UTC)  # CET
    assert sunday == datetime(2027, 3, 28, 5, 0, tzinfo=UTC)  # CEST from 02:00 that morning
    autumn = next_firing(
        schedule.rule, schedule.start_local, BERLIN, datetime(2027, 10, 31, 7, 0, tzinfo=UTC)
    )
    assert autumn == datetime(2027, 11, 1, 6, 0, tzinfo=UTC)  # back to CET


def test_a_time_skipped_by_dst_fires_once_just_after_the_gap() -> None:
    """02:30 does not exist in Berlin on 28 March 2027: that day it fires at 03:30 CEST, once."""
    schedule, _ = parse_reminder("every day at 02:30 pill", now=NOW, tz=BERLIN)
    assert schedule.rule is not None
    assert schedule.start_local is not None
    found = next_firing(schedule.rule, schedule.start_local, BERLIN, datetime(2027, 3, 27, 12, 0, tzinfo=UTC))
    assert found == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    following = next_firing(schedule.rule, schedule.start_local, BERLIN, found)
    assert following == datetime(2027, 3, 29, 0, 30, tzinfo=UTC)


def test_an_hour_repeated_by_dst_fires_once() -> None:
    """02:30 happens twice in Berlin on 31 October 2027: one reminder, not two."""
    schedule, _ = parse_reminder("every day at 02:30 pill", now=NOW, tz=BERLIN)
    assert schedule.rule is not None
    assert schedule.start_local is not None
    first = next_firing(
        schedule.rule, schedule.start_local, BERLIN, datetime(2027, 10, 30, 12, 0, tzinfo=UTC)
    )
    assert first == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # the first 02:30 (CEST)
    second = next_firing(schedule.rule, schedule.start_local, BERLIN, first)
    assert second == datetime(2027, 11, 1, 1, 30, tzinfo=UTC)
