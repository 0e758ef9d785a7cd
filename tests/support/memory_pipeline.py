"""The memory pipeline without Telegram: real Mem0 (SQLite store), real google-genai, our store,
extractor and writer, against the fake Gemini server. Shared by the memory quality and erasure tests."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.advisor.extraction import Extractor
from bot.advisor.memory_writer import MemoryWriter
from bot.config import Settings
from bot.llm import GeminiChat, GeminiEmbedder
from bot.memory import MemoryItem, MemoryService, open_memory
from bot.store import Store
from tests.fakes.gemini_api import FakeGemini, GeminiRequest
from tests.support.settings import make_settings


@dataclass
class Pipeline:
    settings: Settings
    store: Store
    memory: MemoryService
    llm: GeminiChat
    extractor: Extractor
    writer: MemoryWriter
    embedder: GeminiEmbedder

    async def texts(self, user_id: str) -> set[str]:
        return {item.text for item in await self.memory.list_memories(user_id, include_expired=True)}

    async def by_text(self, user_id: str, text: str) -> MemoryItem:
        items = [i for i in await self.memory.list_memories(user_id, include_expired=True) if i.text == text]
        assert len(items) == 1, f"{text!r}: {len(items)} memories"
        return items[0]

    async def close(self) -> None:
        await self.writer.stop()
        await self.llm.close()
        await self.memory.close()
        await self.embedder.close()
        await self.store.close()


async def open_pipeline(gemini: FakeGemini, data_dir: Path, **overrides: Any) -> Pipeline:
    values: dict[str, Any] = {"VECTOR_STORE": "sqlite", "LLM_MAX_ATTEMPTS": 3, **overrides}
    settings = make_settings(data_dir, gemini=gemini, **values)
    store = await Store.open(settings.db_path)
    # Mem0's embeddings on the event loop, as the bot makes them (bot/app.py)
    embedder = GeminiEmbedder(
        api_key=gemini.api_key,
        model=settings.embedding_model,
        dims=settings.embedding_dims,
        base_url=gemini.base_url,
        timeout_seconds=10,
    )
    memory = await open_memory(settings, embed=embedder.embed)
    llm = GeminiChat(
        api_key=gemini.api_key, model="chat-model", base_url=gemini.base_url, timeout_seconds=10, attempts=1
    )
    extractor = Extractor(llm, model="memory-model", attempts=3)
    writer = MemoryWriter(
        store.outbox,
        store.chats,
        memory,
        extractor,
        base_delay=60.0,
        max_memories=settings.memory_max_per_user,
    )
    return Pipeline(settings, store, memory, llm, extractor, writer, embedder)


def scripted(facts: Sequence[dict[str, Any]]) -> Callable[[GeminiRequest], str]:
    """A model answer for the bot's extraction prompt. Each fact may name `targets` by memory TEXT;
    they are resolved to the ids shown in the prompt (a target not shown fails the test)."""

    def respond(request: GeminiRequest) -> str:
        system = "\n".join(request.texts()[:1])
        match = re.search(r"## Existing memories\n(.*?)\n\n## ", system, re.DOTALL)
        assert match, "not the bot's extraction prompt"
        shown = {m["text"]: m["id"] for m in json.loads(match.group(1))}
        out = []
        for fact in facts:
            fact = dict(fact)
            targets = fact.pop("targets", [])
            missing = [t for t in targets if t not in shown]
            assert not missing, f"not shown to the model: {missing}; shown: {list(shown)}"
            fact["target_ids"] = [shown[t] for t in targets]
            fact.setdefault("action", "update" if len(targets) == 1 else "merge" if targets else "add")
            fact.setdefault("expires_on", None)
            out.append(fact)
        return json.dumps({"facts": out})

    return respond


def files_containing(root: Path, needles: Sequence[str]) -> dict[str, list[str]]:
    """Every file under `root` whose raw bytes contain a needle (UTF-8, as given or lower case)."""
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for needle in needles:
            if needle.encode() in data or needle.lower().encode() in data:
                found.setdefault(needle, []).append(str(path.relative_to(root)))
    return found


async def open_sqlite_memory(
    gemini: FakeGemini, tmp_path: Path, *, on_loop: bool, embedders: list[GeminiEmbedder]
) -> MemoryService:
    """Mem0 over our SQLite store, its embeddings on its own embedder's thread pool or (`on_loop`)
    with GeminiEmbedder on the event loop, as the bot runs; the embedder made goes into
    `embedders` for the caller to close."""
    settings = make_settings(tmp_path / "data", gemini=gemini, VECTOR_STORE="sqlite")
    if not on_loop:
        return await open_memory(settings)
    embedder = GeminiEmbedder(
        api_key=gemini.api_key,
        model=settings.embedding_model,
        dims=settings.embedding_dims,
        base_url=gemini.base_url,
    )
    embedders.append(embedder)
    return await open_memory(settings, embed=embedder.embed)
