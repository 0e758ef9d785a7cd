"""`python -m bot health`: a container's HEALTHCHECK, for long polling and for webhook mode."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path

from bot.app import BotRuntime
from bot.cli.health import check_health
from bot.runtime.heartbeat import MAX_AGE_SECONDS, Heartbeat
from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram
from tests.support.harness import StartBot, bot_env, make_settings, run_cli

URL = "https://bot.example.com/hook/telegram"


async def test_polling_bot_is_healthy_while_it_polls_and_not_once_it_stopped(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    """The poller touches DATA_DIR/heartbeat at every turn; `health` reads it: no heartbeat before
    the bot started, fresh while it polls (also through the real command line), stale after."""
    data_dir = tmp_path / "data"
    settings = make_settings(data_dir, telegram=fake_telegram, gemini=fake_gemini)
    alive, detail = check_health(settings)
    assert not alive
    assert "no heartbeat" in detail

    bot = await start_bot()
    polls = len(fake_telegram.calls("getUpdates"))
    await fake_telegram.wait_for_call("getUpdates", lambda c: len(fake_telegram.calls("getUpdates")) > polls)
    first = Heartbeat(data_dir).path.stat().st_mtime_ns
    polls = len(fake_telegram.calls("getUpdates"))
    await fake_telegram.wait_for_call("getUpdates", lambda c: len(fake_telegram.calls("getUpdates")) > polls)
    assert Heartbeat(data_dir).path.stat().st_mtime_ns > first  # every turn beats, not only the first
    assert check_health(settings)[0]
    result = run_cli(bot_env(fake_telegram, fake_gemini, data_dir), tmp_path, "health")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK   the poller turned")

    await bot.stop()
    alive, detail = check_health(settings, now=time.time() + MAX_AGE_SECONDS + 5)
    assert not alive
    assert "last turned" in detail


async def test_webhook_bot_is_healthy_while_its_server_answers(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    """In webhook mode `health` asks /healthz on PORT (listening on every address: via loopback)."""
    settings = make_settings(
        tmp_path / "data",
        telegram=fake_telegram,
        gemini=fake_gemini,
        WEBHOOK_URL=URL,
        WEBHOOK_LISTEN="0.0.0.0",
    )
    runtime = await BotRuntime.open(settings)
    server = await runtime.start_webhook(port=0)
    try:
        probe = make_settings(
            tmp_path / "probe",
            gemini=fake_gemini,
            WEBHOOK_URL=URL,
            WEBHOOK_LISTEN="0.0.0.0",
            PORT=server.port,
        )
        # in a thread: the webhook server answers on this event loop
        alive, detail = await asyncio.to_thread(check_health, probe)
        assert alive, detail
        assert f"http://127.0.0.1:{server.port}/healthz answered ok" in detail
    finally:
        await runtime.close()
    alive, detail = check_health(probe)
    assert not alive
    assert "did not answer" in detail


def test_webhook_health_fails_on_a_port_answering_something_else(tmp_path: Path) -> None:
    """A port that accepts and answers 200 with something other than the bot's status is no
    healthy bot."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(5)
        settings = make_settings(
            tmp_path, WEBHOOK_URL=URL, WEBHOOK_LISTEN="127.0.0.1", PORT=listener.getsockname()[1]
        )

        def answer() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(4096)
                conn.sendall(
                    b'HTTP/1.1 200 OK\r\nContent-Length: 17\r\nConnection: close\r\n\r\n{"status": "bad"}'
                )

        thread = threading.Thread(target=answer)
        thread.start()
        alive, detail = check_health(settings)
        thread.join(10)
    assert not alive
    assert detail.endswith("answered {'status': 'bad'}")
