"""Fixtures of the memory tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.llm import GeminiEmbedder


@pytest.fixture
async def embedders() -> AsyncIterator[list[GeminiEmbedder]]:
    """The GeminiEmbedders a test makes (`open_sqlite_memory`), closed after it."""
    made: list[GeminiEmbedder] = []
    yield made
    for embedder in made:
        await embedder.close()
