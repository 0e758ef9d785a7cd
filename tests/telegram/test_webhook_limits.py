"""The webhook port under a hostile client: huge bodies, idle connections, too many connections,
no file descriptors left. Raw sockets on 127.0.0.1 against the real tornado server."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import os
import resource
import socket
from pathlib import Path

import httpx
import pytest

from bot.telegram.http_server import ConnectionLimits
from bot.telegram.webhook import SECRET_HEADER, WebhookServer
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.conftest import StartWebhook

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
    await asyncio.sleep(0.3)
    assert fake_telegram.sent(CHAT) == []


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


async def test_no_file_descriptors_left_pauses_accepting_instead_of_spinning(
    start_hook: StartWebhook, caplog: pytest.LogCaptureFixture
) -> None:
    """accept() failing with EMFILE (a connection waiting, no descriptor free) for a second: a
    line or two in the log, not one traceback per event loop turn; accepting resumes after."""
    server = await start_hook(WEBHOOK_SECRET=SECRET)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    spare: list[int] = []
    waiting = socket.socket()
    caplog.set_level(logging.WARNING)
    caplog.clear()
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (len(list(Path("/proc/self/fd").iterdir())) + 16, hard))
        with contextlib.suppress(OSError):
            while True:
                spare.append(os.open(os.devnull, os.O_RDONLY))
        os.close(spare.pop())  # exactly one descriptor free: the client's socket takes it
        waiting.close()
        waiting = socket.socket()
        waiting.setblocking(False)
        assert waiting.connect_ex(("127.0.0.1", server.port)) in (0, errno.EINPROGRESS)
        await asyncio.sleep(1.0)
    finally:
        for fd in spare:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert 1 <= len(records) <= 3, f"{len(records)} log records, e.g. {records[-1].getMessage()[:200]}"
    assert "cannot accept webhook connections" in records[0].getMessage()
    waiting.close()
    assert await healthz(server) == 200
