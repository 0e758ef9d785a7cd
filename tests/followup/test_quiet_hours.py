"""Quiet hours: when check-ins wait, in each person's own time zone; the setting is validated."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings
from bot.followup.checkins import QuietHours, might_ask_reminder, might_state_plan


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()


def test_a_window_across_midnight_ends_at_its_end_in_the_persons_zone() -> None:
    quiet = QuietHours.parse("22:00-07:00")
    # 23:30 in Berlin (22:30 UTC): quiet until 07:00 Berlin = 06:00 UTC the next day.
    assert quiet.ends_after(at(2026, 12, 2, 22, 30), "Europe/Berlin") == at(2026, 12, 3, 6, 0)
    # 03:00 in Berlin: the same night's end.
    assert quiet.ends_after(at(2026, 12, 3, 2, 0), "Europe/Berlin") == at(2026, 12, 3, 6, 0)
    # 21:59 and 07:00 are outside.
    assert quiet.ends_after(at(2026, 12, 2, 20, 59), "Europe/Berlin") is None
    assert quiet.ends_after(at(2026, 12, 3, 6, 0), "Europe/Berlin") is None
    # The same moment is daytime in Tokyo.
    assert quiet.ends_after(at(2026, 12, 2, 22, 30), "Asia/Tokyo") is None


def test_off_means_never_quiet() -> None:
    assert QuietHours.parse("off").ends_after(at(2026, 12, 2, 23, 0), "UTC") is None


def test_a_malformed_quiet_hours_setting_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="QUIET_HOURS"):
        load_settings(_env_file=None, DATA_DIR=tmp_path, GOOGLE_API_KEY="k-1", QUIET_HOURS="late")
    ok = load_settings(_env_file=None, DATA_DIR=tmp_path, GOOGLE_API_KEY="k-1", QUIET_HOURS="23:30-06:15")
    assert ok.quiet_hours == "23:30-06:15"


@pytest.mark.parametrize(
    "message", ["remind me to stretch at 9", "Erinnere mich morgen ans Wiegen", "напомни мне завтра"]
)
def test_remind_me_is_noticed_in_several_languages(message: str) -> None:
    assert might_ask_reminder(message)


def test_only_plans_with_a_day_cost_a_model_call() -> None:
    assert might_state_plan("10k race on 14 March")
    assert might_state_plan("I'll run Tuesday and Thursday")
    assert not might_state_plan("How do I warm up?")
    assert not might_state_plan("I'll try that")  # a plan word, but no day
