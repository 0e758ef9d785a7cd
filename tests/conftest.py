"""Shared fixtures."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.runtime.clock import Clock
from bot.store import Store
from tests.fakes.gemini_api import FakeGemini
from tests.fakes.mem0_platform import FakeMem0Platform
from tests.fakes.telegram_api import FakeTelegram
from tests.support.harness import RunningBot, StartBot, make_settings
from tests.support.memory_pipeline import Pipeline, open_pipeline
from tests.support.postgres import Postgres, running_postgres


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    """A started fake Telegram Bot API on 127.0.0.1 (``.base_url``, ``.token``)."""
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def fake_gemini() -> Iterator[FakeGemini]:
    """A started fake Gemini API on 127.0.0.1 (``.base_url``, ``.api_key``)."""
    with FakeGemini() as fake:
        yield fake


@pytest.fixture
def platform() -> Iterator[FakeMem0Platform]:
    """A started fake Mem0 Platform API on 127.0.0.1 (``.base_url``, ``.api_key``)."""
    fake = FakeMem0Platform().start()
    yield fake
    fake.stop()


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listened on a moment ago (for a child process's PORT)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """Our SQLite store on a fresh file, closed at the end."""
    store = await Store.open(tmp_path / "bot.sqlite3")
    yield store
    await store.close()


@pytest.fixture
async def pipeline(fake_gemini: FakeGemini, tmp_path: Path) -> AsyncIterator[Pipeline]:
    """The memory pipeline without Telegram (real Mem0 on the SQLite vector store, real
    google-genai, our store, extractor and writer) on a fresh DATA_DIR, against the fake Gemini."""
    pipe = await open_pipeline(fake_gemini, tmp_path / "data")
    yield pipe
    await pipe.close()


@pytest.fixture
async def start_bot(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> AsyncIterator[StartBot]:
    """Start the real bot in-process (again) on the same DATA_DIR; all are stopped at the end."""
    running: list[RunningBot] = []

    async def start(clock: Clock | None = None, **overrides: Any) -> RunningBot:
        settings = make_settings(tmp_path / "data", telegram=fake_telegram, gemini=fake_gemini, **overrides)
        bot = await RunningBot(settings, clock=clock).start()
        running.append(bot)
        return bot

    yield start
    for bot in running:
        if bot.running:
            await bot.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """One real PostgreSQL with pgvector for the whole session (pgserver), stopped at the end.

    It starts only when a test asks for it; if it cannot start, those tests fail with the reason.
    """
    with running_postgres() as server:
        yield server


@pytest.fixture
def postgres_url(postgres: Postgres) -> Iterator[str]:
    """The URL of a fresh database on the session's PostgreSQL (VECTOR_STORE_URL), dropped after."""
    with postgres.database() as url:
        yield url
