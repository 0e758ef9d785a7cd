"""The memory reads of a returning person's message: the recall (bot/advisor/recall.py), then the
memory writer's related-memory search of the same text, as the bot makes them, against our SQLite
store and the fake Gemini in a process of its own (bench/load.py's RemoteGemini, no latency).

    python bench/recall_reads.py [--users 200] [--rounds 10] [--own-questions]

`--users` people hold the four facts bench/load.py seeds; each round, every person asks one
question, 50 at once. By default all ask the same question in a round, so one embedding serves
them all (the embedder's recent vectors); with `--own-questions` each person's question is their
own, as in real chats, and each message needs an embedding. Measured: this process's CPU (all
threads) per message, the wall time, and how many memories a recall found.
Last line: recall_reads cpu_ms_per_msg=… wall_s=… recalled_per_msg=…
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The repository leads sys.path, not bench/: bench/secrets.py would shadow the standard library's secrets.
sys.path[:] = [str(REPO), *(p for p in sys.path if Path(p or ".").resolve() != REPO / "bench")]

from bench.load import SEEDED_FACTS, RemoteGemini  # noqa: E402
from bot.advisor.recall import Recaller  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.llm import GeminiEmbedder  # noqa: E402
from bot.memory import open_memory  # noqa: E402

AT_ONCE = 50


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run(users: int, rounds: int, gemini: RemoteGemini, own_questions: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            DATA_DIR=Path(tmp),
            GOOGLE_API_KEY=gemini.api_key,
            GOOGLE_GEMINI_BASE_URL=gemini.base_url,
            VECTOR_STORE="sqlite",
            TELEGRAM_BOT_TOKEN="1:x",
        )
        embedder = GeminiEmbedder(
            api_key=gemini.api_key,
            model=settings.embedding_model,
            dims=settings.embedding_dims,
            base_url=gemini.base_url,
        )
        memory = await open_memory(settings, embed=embedder.embed)
        recaller = Recaller(memory)
        related = recaller.related_search(10)  # the writer's search, as bot/app.py sets it up
        people = [f"tg-{n}" for n in range(users)]
        try:
            for person in people:
                for fact in SEEDED_FACTS:
                    await memory.add(person, [{"role": "user", "content": fact}], infer=False)

            async def message(person: str, n: int) -> int:
                asker = f" ({person})" if own_questions else ""
                question = f"question {n}{asker}: how many sets of squats today?"
                found = await recaller.recall(person, question)
                await memory.search(  # the writer's (bot/advisor/plans.py)
                    person,
                    question,
                    limit=related.limit,
                    threshold=related.threshold,
                    explain=related.explain,
                )
                return len(found)

            await asyncio.gather(*(message(person, -1) for person in people))  # warm-up
            started, wall = cpu_seconds(), time.perf_counter()
            recalled = 0
            for n in range(rounds):
                for first in range(0, users, AT_ONCE):
                    batch = people[first : first + AT_ONCE]
                    recalled += sum(await asyncio.gather(*(message(person, n) for person in batch)))
            used, wall = cpu_seconds() - started, time.perf_counter() - wall
        finally:
            await memory.close()
            await embedder.close()
    messages = users * rounds
    print(
        f"{messages} messages: {used / messages * 1000:.3f} ms CPU per message (recall + the writer's "
        f"search), {wall:.1f} s wall, {recalled / messages:.1f} memories recalled per message"
    )
    print(
        f"recall_reads cpu_ms_per_msg={used / messages * 1000:.3f} wall_s={wall:.1f} "
        f"recalled_per_msg={recalled / messages:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--own-questions", action="store_true", help="a question of its own per person")
    args = parser.parse_args()
    gemini = RemoteGemini(latency=0.0)
    try:
        asyncio.run(run(args.users, args.rounds, gemini, args.own_questions))
    finally:
        gemini.close()


if __name__ == "__main__":
    main()
