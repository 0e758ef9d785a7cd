"""Webhook mode against the real tornado server on 127.0.0.1: the secret token, /healthz,
deduplication, a generated secret, SIGTERM in a real process, and `python -m bot check`."""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.telegram.webhook import SECRET_HEADER, WebhookServer, webhook_path
from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram
from tests.support.harness import REPO, bot_env, run_cli
from tests.telegram.conftest import StartWebhook

CHAT = 4004
URL = "https://bot.example.com/hook/telegram"
SECRET = "s3cret_Token-for-tests"


def pending_update(fake: FakeTelegram, text: str) -> dict[str, Any]:
    """An update as Telegram would POST it (made by the fake, never fetched by polling)."""
    fake.send_text(CHAT, text)
    return fake.pending_updates[-1]


async def post(server: WebhookServer, update: dict[str, Any], secret: str | None, **headers: str) -> int:
    sent = {"Content-Type": "application/json", **headers}
    if secret is not None:
        sent[SECRET_HEADER] = secret
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"http://127.0.0.1:{server.port}{server.path}", content=json.dumps(update), headers=sent
        )
    return response.status_code


async def test_webhook_with_secret_accepts_only_the_secret(
    start_hook: StartWebhook, fake_telegram: FakeTelegram
) -> None:
    """setWebhook gets URL and secret; requests without or with a wrong secret get 403 and are dropped."""
    server = await start_hook(WEBHOOK_SECRET=SECRET)
    registered = await fake_telegram.wait_for_call("setWebhook")
    assert registered.params["url"] == URL
    assert registered.params["secret_token"] == SECRET
    assert server.path == "/hook/telegram"

    update = pending_update(fake_telegram, "How do I deadlift?")
    assert await post(server, update, None) == 403
    assert await post(server, update, "wrong") == 403
    assert await post(server, update, SECRET, **{"Content-Type": "text/plain"}) == 403
    assert await post(server, {"update_id": "x"}, SECRET) == 400
    assert fake_telegram.sent(CHAT) == []

    assert await post(server, update, SECRET) == 200
    assert await post(server, update, SECRET) == 200  # Telegram retried: handled once
    [reply] = await fake_telegram.wait_for_messages(CHAT, 1)
    assert reply["text"] == "Coach says: How do I deadlift?"
    second = pending_update(fake_telegram, "/help")
    assert await post(server, second, SECRET) == 200
    messages = await fake_telegram.wait_for_messages(CHAT, 2)
    assert len(messages) == 2


async def test_webhook_without_secret_generates_one(
    start_hook: StartWebhook, fake_telegram: FakeTelegram
) -> None:
    """With no WEBHOOK_SECRET a strong secret is generated, registered, and required."""
    server = await start_hook()
    registered = await fake_telegram.wait_for_call("setWebhook")
    secret = registered.params["secret_token"]
    assert len(secret) >= 32
    assert secret == server.secret
    update = pending_update(fake_telegram, "Hello")
    assert await post(server, update, None) == 403
    assert await post(server, update, secret) == 200
    await fake_telegram.wait_for_messages(CHAT, 1)


async def test_healthz_answers_ok(start_hook: StartWebhook) -> None:
    """GET /healthz is 200 with a JSON status while the bot runs."""
    server = await start_hook(WEBHOOK_SECRET=SECRET)
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{server.port}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_webhook_path_defaults_to_telegram() -> None:
    """A WEBHOOK_URL without a path listens on /telegram."""
    assert webhook_path("https://bot.example.com") == "/telegram"
    assert webhook_path("https://bot.example.com/a/b/") == "/a/b"


@pytest.mark.slow
def test_webhook_process_serves_health_and_stops_cleanly_on_sigterm(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path, free_port: int
) -> None:
    """`python -m bot` with WEBHOOK_URL listens on PORT, answers /healthz, exits 0 on SIGTERM."""
    port = free_port
    env = bot_env(fake_telegram, fake_gemini, tmp_path / "data")
    env.update(WEBHOOK_URL=URL, WEBHOOK_LISTEN="127.0.0.1", PORT=str(port), WEBHOOK_SECRET=SECRET)
    log = (tmp_path / "bot.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        env={**env, "PYTHONPATH": str(REPO)},
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        status = 0
        for _ in range(300):
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code
            except httpx.TransportError:
                status = 0
            if status == 200 or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert status == 200, (tmp_path / "bot.log").read_text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    output = (tmp_path / "bot.log").read_text()
    assert "webhook server listening" in output
    assert SECRET not in output
    assert fake_telegram.token not in output


@pytest.mark.slow
def test_check_passes_against_working_services(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    """`python -m bot check` calls getMe and Gemini, reports each check, exits 0."""
    result = run_cli(bot_env(fake_telegram, fake_gemini, tmp_path / "data"), tmp_path, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK   Telegram: getMe answered: @advisor_test_bot" in result.stdout
    assert "OK   Gemini" in result.stdout
    assert "All checks passed." in result.stdout


@pytest.mark.slow
def test_check_reports_what_is_wrong(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    """A rejected token, a bad Gemini key and an http webhook URL are each named; exit code 1."""
    fake_telegram.reject_token = True
    env = bot_env(fake_telegram, fake_gemini, tmp_path / "data")
    env.update(GOOGLE_API_KEY="wrong-key", WEBHOOK_URL="http://insecure.example.com/hook")
    result = run_cli(env, tmp_path, "check")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL Telegram: the Bot API rejected TELEGRAM_BOT_TOKEN" in result.stdout
    assert "FAIL Gemini" in result.stdout
    assert "FAIL hosting: WEBHOOK_URL must be https://" in result.stdout
    assert "3 check(s) failed." in result.stdout
    assert "wrong-key" not in result.stdout + result.stderr


async def test_an_update_that_cannot_be_stored_is_confirmed_as_failed(
    start_hook: StartWebhook, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    """A text with a lone surrogate (SQLite cannot encode it) gets 200 and is recorded as failed,
    instead of a 500 that Telegram would resend for a day; the next update is answered."""
    server = await start_hook(WEBHOOK_SECRET=SECRET)
    update = pending_update(fake_telegram, "bad \ud800 text")
    assert await post(server, update, SECRET) == 200
    assert await post(server, pending_update(fake_telegram, "fine"), SECRET) == 200
    [reply] = await fake_telegram.wait_for_messages(CHAT, 1)
    assert reply["text"] == "Coach says: fine"
    with contextlib.closing(
        sqlite3.connect(f"file:{tmp_path / 'data' / 'bot.sqlite3'}?mode=ro", uri=True)
    ) as db:
        failed = db.execute("SELECT update_id FROM inbox WHERE state = 'failed'").fetchall()
    assert failed == [(update["update_id"],)]
