"""The Bot API transport on aiohttp (bot/telegram/transport.py): PTB's errors, bounded waits, no token in
messages. Calls, uploads and faults through the whole bot are covered by the other suites."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.telegram.transport import AiohttpRequest, RequestNotSent
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegram


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A loopback port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_calls_and_uploads_reach_the_bot_api(fake_telegram: FakeTelegram) -> None:
    """A plain call (form-encoded) and a file upload (multipart) arrive with their parameters."""
    request = AiohttpRequest(connection_pool_size=2)
    async with Bot(DEFAULT_TOKEN, base_url=fake_telegram.base_url, request=request) as bot:
        me = await bot.get_me()
        sent = await bot.send_message(5, "hello", disable_notification=True)
        document = await bot.send_document(5, b'{"a": 1}', filename="export.json", caption="yours")
    assert me.is_bot
    assert sent.text == "hello"
    assert document.caption == "yours"
    [call] = fake_telegram.calls("sendMessage")
    assert call.params["text"] == "hello"
    assert call.params["disable_notification"] is True
    [upload] = fake_telegram.calls("sendDocument")
    assert upload.params["caption"] == "yours"


async def failed_post(url: str, **settings: Any) -> BaseException:
    """The exception a POST to `url` raises through a fresh AiohttpRequest (it must raise)."""
    request = AiohttpRequest(**settings)
    await request.initialize()
    try:
        await request.post(url)
    except Exception as exc:  # handed to the test to check
        return exc
    finally:
        await request.shutdown()
    raise AssertionError(f"POST {url} did not fail")


async def test_a_server_that_never_answers_times_out(silent_server: int) -> None:
    error = await failed_post(f"http://127.0.0.1:{silent_server}/bot{DEFAULT_TOKEN}/getMe", read_timeout=0.3)
    assert isinstance(error, TimedOut)


async def test_an_unreachable_server_is_a_network_error_that_was_not_sent() -> None:
    """A refused connection: nothing reached the server, so the error says the request was not sent."""
    error = await failed_post(f"http://127.0.0.1:{closed_port()}/bot{DEFAULT_TOKEN}/getMe")
    assert isinstance(error, RequestNotSent)
    assert isinstance(error, NetworkError)
    assert not isinstance(error, TimedOut)


async def test_a_read_timeout_is_not_called_not_sent(silent_server: int) -> None:
    """The request was written before the server went quiet: it may have been carried out."""
    error = await failed_post(f"http://127.0.0.1:{silent_server}/bot{DEFAULT_TOKEN}/getMe", read_timeout=0.3)
    assert isinstance(error, TimedOut)
    assert not isinstance(error, RequestNotSent)


async def test_an_error_that_quotes_the_url_does_not_carry_the_token() -> None:
    """aiohttp puts the whole URL (token included) in some errors, e.g. a mistyped base URL."""
    error = await failed_post(f"http://127.0.0.1:99999/bot{DEFAULT_TOKEN}/getMe")
    assert isinstance(error, NetworkError)
    assert "127.0.0.1:99999" in str(error)
    assert DEFAULT_TOKEN.split(":")[1] not in str(error)


async def test_a_request_before_initialize_or_after_shutdown_is_refused(fake_telegram: FakeTelegram) -> None:
    request = AiohttpRequest()
    url = f"{fake_telegram.base_url}{DEFAULT_TOKEN}/getMe"
    with pytest.raises(NetworkError, match="not initialized"):  # PTB wraps the RuntimeError
        await request.post(url)
    await request.initialize()
    await request.shutdown()
    with pytest.raises(NetworkError, match="not initialized"):  # PTB wraps the RuntimeError
        await request.post(url)
