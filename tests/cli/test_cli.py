"""`python -m bot` as a real process: settings errors, a rejected token, polling, restart recall."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.__main__ import EXIT_SETTINGS, main
from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram
from tests.support.harness import REPO, BotProcess, bot_env, run_cli

CHAT = 2002


@pytest.fixture
def processes() -> Iterator[list[BotProcess]]:
    started: list[BotProcess] = []
    yield started
    for proc in started:
        proc.stop()


def test_a_first_run_names_every_missing_setting_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make run` on a fresh clone (.env copied from .env.example, nothing filled in): exit code 2,
    and one message names both TELEGRAM_BOT_TOKEN and GOOGLE_API_KEY with where to get each (it
    used to name GOOGLE_API_KEY, and the token only on the next run)."""
    for name in os.environ:
        if name.startswith(("TELEGRAM_", "GOOGLE_", "GEMINI_", "MEM0_")):
            monkeypatch.delenv(name)
    shutil.copy(REPO / ".env.example", tmp_path / ".env")
    monkeypatch.chdir(tmp_path)
    assert main([]) == EXIT_SETTINGS
    err = capsys.readouterr().err
    assert "TELEGRAM_BOT_TOKEN is not set" in err
    assert "@BotFather" in err
    assert "GOOGLE_API_KEY is not set" in err
    assert "Google AI Studio" in err

    # The terminal chat needs no token; a key given is never echoed.
    assert main(["chat"]) == EXIT_SETTINGS
    assert "TELEGRAM_BOT_TOKEN" not in capsys.readouterr().err
    monkeypatch.setenv("GOOGLE_API_KEY", "k-123456")
    assert main([]) == EXIT_SETTINGS
    captured = capsys.readouterr()
    assert "TELEGRAM_BOT_TOKEN is not set" in captured.err
    assert "GOOGLE_API_KEY" not in captured.err
    assert "k-123456" not in captured.err + captured.out


@pytest.mark.slow
def test_rejected_token_exits_non_zero_without_printing_it(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    fake_telegram.reject_token = True
    result = run_cli(bot_env(fake_telegram, fake_gemini, tmp_path / "data"), tmp_path)
    assert result.returncode == 3
    output = result.stdout + result.stderr
    assert "rejected TELEGRAM_BOT_TOKEN" in output
    assert fake_telegram.token not in output
    assert fake_telegram.token.split(":")[1] not in output


@pytest.mark.slow
async def test_bot_process_polls_answers_and_recalls_after_restart(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path, processes: list[BotProcess]
) -> None:
    """python -m bot polls within 10 s, answers, remembers across a restart, never logs secrets."""
    env = bot_env(fake_telegram, fake_gemini, tmp_path / "data")
    started = time.monotonic()
    first = BotProcess(env, tmp_path)
    processes.append(first)
    await fake_telegram.wait_for_call("getUpdates", timeout=10)
    assert time.monotonic() - started < 10

    fake_telegram.send_text(CHAT, "I prefer kettlebell training. I am allergic to peanuts.")
    await fake_telegram.wait_for_messages(CHAT, 1, timeout=20)
    await fake_gemini.wait_for_requests("json", 1, timeout=20)  # memory extraction ran
    await _wait_for_empty_outbox(tmp_path / "data" / "bot.sqlite3")
    assert first.stop() == 0

    second = BotProcess(env, tmp_path)
    processes.append(second)
    fake_telegram.send_text(CHAT, "Give me my fitness preferences")
    messages = await fake_telegram.wait_for_messages(CHAT, 2, timeout=30)
    assert messages[-1]["text"].startswith("Coach says:")
    memories = fake_gemini.last_chat_prompt().split("<memories>")[1].lower()
    assert "kettlebell" in memories
    assert "peanuts" in memories
    assert second.stop() == 0

    logs = first.output() + second.output()
    assert "Application started" in logs or "services ready" in logs
    for secret in (fake_telegram.token, fake_telegram.token.split(":")[1], fake_gemini.api_key):
        assert secret not in logs
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert fake_telegram.token.encode() not in data, path
            assert fake_gemini.api_key.encode() not in data, path


async def _wait_for_empty_outbox(db: Path, timeout: float = 20) -> None:
    import asyncio
    import sqlite3

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(db) as conn:
            if conn.execute("SELECT COUNT(*) FROM memory_outbox").fetchone()[0] == 0:
                return
        await asyncio.sleep(0.1)
    raise AssertionError("the memory outbox did not empty")


@pytest.mark.slow
def test_terminal_chat_remembers_across_runs(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    """`python -m bot chat` answers in the terminal and its memory persists to the next run."""
    env = bot_env(fake_telegram, fake_gemini, tmp_path / "data")
    del env["TELEGRAM_BOT_TOKEN"]  # the terminal needs no Telegram token
    first = run_cli(env, tmp_path, "chat", input="I train for a triathlon in June.\nexit\n", timeout=90)
    assert first.returncode == 0, first.stderr
    assert "AI Fitness Advisor" in first.stdout
    assert "Advisor: Coach says:" in first.stdout
    assert "Goodbye" in first.stdout

    second = run_cli(env, tmp_path, "chat", input="What am I training for?\nexit\n", timeout=90)
    assert second.returncode == 0, second.stderr
    assert "triathlon" in fake_gemini.last_chat_prompt().split("<memories>")[1]


@pytest.mark.slow
def test_terminal_chat_takes_photo_and_voice_lines(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    """`/photo PATH caption` and `/voice PATH` go through the same pipeline: the picture and the
    recording reach Gemini as inline parts; a bad path or type gets a clear line, nothing crashes."""
    env = bot_env(fake_telegram, fake_gemini, tmp_path / "data")
    del env["TELEGRAM_BOT_TOKEN"]
    (tmp_path / "lunch.jpg").write_bytes(b"\xff\xd8\xff\xe0 grilled chicken salad")
    (tmp_path / "note.ogg").write_bytes(b"OggS I did forty push-ups today.")
    (tmp_path / "plan.pdf").write_bytes(b"%PDF")
    lines = ["/photo lunch.jpg Lunch after my run", "/voice note.ogg", "/photo plan.pdf"]
    lines.append("/voice missing.ogg")
    result = run_cli(env, tmp_path, "chat", input="\n".join([*lines, "exit", ""]), timeout=90)
    assert result.returncode == 0, result.stderr
    assert "Advisor: Coach says: I see grilled chicken salad. You said: Lunch after my run" in result.stdout
    assert "🎙 I heard: OggS I did forty push-ups today." in result.stdout
    assert "plan.pdf: not a file I understand here" in result.stdout
    assert "Cannot read missing.ogg" in result.stdout
    sent = [r.media() for r in fake_gemini.requests() if r.media() and "description" not in r.schema_fields()]
    assert sent == [
        [("image/jpeg", b"\xff\xd8\xff\xe0 grilled chicken salad")],
        [("audio/ogg", b"OggS I did forty push-ups today.")],
    ]
