"""The webhook port under a hostile client: huge bodies, idle connections, too many connections,
no file descriptors left. Raw sockets on 127.0.0.1 against the real tornado server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.telegram.http_server import ConnectionLimits
from bot.telegram.webhook import SECRET_HEADER, WebhookServer
from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram
from tests.support.harness import bot_env
from tests.telegram.conftest import URL, StartWebhook

SECRET = "s3cret_Token-for-limits"
CHAT = 4114


def head(server: WebhookServer, *, secret: str, length: int | None, chunked: bool = False) -> bytes:
    lines = [
        f"POST {server.path} HTTP/1.1",
        f"Host: 127.0.0.1:{server.port}",
        "Content-Type: application/json",
        f"{SECRET_HEADER}: {secret}",
    ]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def first_line(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send `data` and return the first line the server answers (b"" when it closes)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        async with asyncio.timeout(timeout):
            return await reader.readline()
    finally:
        writer.close()


async def healthz(server: WebhookServer) -> int:
    async with httpx.AsyncClient() as client:
        return (await client.get(f"http://127.0.0.1:{server.port}/healthz", timeout=5)).status_code


async def test_a_wrong_secret_is_refused_before_the_body_is_read(start_hook: StartWebhook) -> None:
    """A 90 MB POST with a wrong secret: 403 right after the headers, while the body is still
    unsent (the old server read all 90 MB first)."""
    server = await start_hook(WEBHOOK_SECRET=SECRET)
    line = await first_line(server.port, head(server, secret="wrong", length=90_000_000) + b"{" * 65536)
    assert line.startswith(b"HTTP/1.1 403"), line


async def test_a_body_over_the_cap_is_refused_unread(start_hook: StartWebhook) -> None:
    """With the right secret, a Content-Length over 1 MB is answered 413 without reading it."""
    server = await start_hook(WEBHOOK_SECRET=SECRET)
    line = await first_line(server.port, head(server, secret=SECRET, length=2_000_000))
    assert line.startswith(b"HTTP/1.1 413"), line


async def test_a_chunked_body_over_the_cap_is_cut_off(
    start_hook: StartWebhook, fake_telegram: FakeTelegram
) -> None:
    """A valid update padded to 1.5 MB and sent chunked (no Content-Length): the connection is
    refused at the cap and the update is not handled (the old server took it whole: 200)."""
    server = await start_hook(WEBHOOK_SECRET=SECRET)
    fake_telegram.send_text(CHAT, "padded")
    body = json.dumps(fake_telegram.pending_updates[-1]).encode() + b" " * 1_500_000
    chunks = b"".join(
        b"%X\r\n%s\r\n" % (len(body[i : i + 65536]), body[i : i + 65536]) for i in range(0, len(body), 65536)
    )
    line = await first_line(
        server.port, head(server, secret=SECRET, length=None, chunked=True) + chunks + b"0\r\n\r\n"
    )
    assert line == b"" or line.startswith(b"HTTP/1.1 400"), line  # tornado's 400, then it closes
    # The chat's next update is answered; had the padded one been taken, it would have been first.
    fake_telegram.send_text(CHAT, "after the padded one")
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"http://127.0.0.1:{server.port}{server.path}",
            content=json.dumps(fake_telegram.pending_updates[-1]),
            headers={"Content-Type": "application/json", SECRET_HEADER: SECRET},
        )
    assert response.status_code == 200
    await fake_telegram.wait_for_messages(CHAT, 1)
    assert fake_telegram.texts(CHAT) == ["Coach says: after the padded one"]


async def test_an_idle_connection_is_closed(start_hook: StartWebhook) -> None:
    """A connection that sends nothing is closed after the idle timeout (it was kept an hour)."""
    server = await start_hook(WEBHOOK_SECRET=SECRET, limits=ConnectionLimits(idle_seconds=0.5))
    assert await first_line(server.port, b"", timeout=5) == b""
    partial = head(server, secret=SECRET, length=10)[:40]  # headers never finished
    assert await first_line(server.port, partial, timeout=5) == b""


async def test_connections_beyond_the_cap_are_closed_at_once(start_hook: StartWebhook) -> None:
    """With 4 connections open (idle), a fifth is closed at once; once they go, requests work."""
    server = await start_hook(WEBHOOK_SECRET=SECRET, limits=ConnectionLimits(max_connections=4))
    idle = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(4)]
    await asyncio.sleep(0.2)  # let the server accept them
    assert await first_line(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5) == b""
    for _, writer in idle:
        writer.close()
    await asyncio.sleep(0.2)
    assert await healthz(server) == 200


@pytest.mark.parametrize(
    ("nofile", "logged"), [(48, "the most allowed"), (32, "cannot accept webhook connections")]
)
@pytest.mark.slow
def test_idle_connections_past_the_descriptor_limit_neither_spin_nor_flood_the_log(
    fake_telegram: FakeTelegram,
    fake_gemini: FakeGemini,
    tmp_path: Path,
    free_port: int,
    nofile: int,
    logged: str,
) -> None:
    """`python -m bot` (webhook mode, ~19 descriptors in use) under `ulimit -n 48` and `32`, and
    120 idle connections: with 48 the connection cap (half the limit) closes the extra ones; with
    32 accept() fails with EMFILE and accepting pauses. Either way a line or two in the log (the
    old server logged a traceback per event loop turn, megabytes a second), and once the idle
    connections are gone the bot answers again."""
    port = free_port
    env = bot_env(fake_telegram, fake_gemini, tmp_path / "data", LOG_LEVEL="INFO")
    env.update(WEBHOOK_URL=URL, WEBHOOK_LISTEN="127.0.0.1", PORT=str(port), WEBHOOK_SECRET=SECRET)
    log = tmp_path / "bot.log"

    def limit_descriptors() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=limit_descriptors,
        )
    idle: list[socket.socket] = []
    try:
        assert wait_healthy(port, proc), log.read_text()[-3000:]
        before = log.stat().st_size
        for _ in range(120):
            idle.append(socket.create_connection(("127.0.0.1", port)))
        time.sleep(2.0)
        grown = log.stat().st_size - before
        added = log.read_text()[before:]
        assert grown < 5_000, added[:2000]
        assert logged in added, added[:2000]
        for conn in idle:
            conn.close()
        idle.clear()
        assert wait_healthy(port, proc), log.read_text()[-3000:]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        for conn in idle:
            conn.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def wait_healthy(port: int, proc: subprocess.Popen[bytes], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False
