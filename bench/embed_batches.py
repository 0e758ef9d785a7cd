"""The event loop's CPU per embedding (bot/llm.py GeminiEmbedder), callers arriving together and
one at a time, against the fake Gemini in a process of its own (bench/load.py's RemoteGemini, no
latency): what google-genai's fixed work per request costs, and what sharing a request saves.

    python bench/embed_batches.py [--rounds 100] [--at-once 50] [--lone 2000]

Each round, `--at-once` callers ask for the embeddings of distinct texts in one `asyncio.gather`;
then `--lone` texts are embedded one after another. Measured: the event-loop thread's CPU.
Last line: embed_batches at_once_us_per_text=… lone_us_per_text=… burst_ms=…
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The repository leads sys.path, not bench/: bench/secrets.py would shadow the standard library's secrets.
sys.path[:] = [str(REPO), *(p for p in sys.path if Path(p or ".").resolve() != REPO / "bench")]

from bench.load import RemoteGemini  # noqa: E402
from bot.llm import GeminiEmbedder  # noqa: E402

QUESTION = "how many sets of squats should I do today?"


async def run(gemini: RemoteGemini, rounds: int, at_once: int, lone: int) -> None:
    embedder = GeminiEmbedder(
        api_key=gemini.api_key, model="gemini-embedding-001", dims=768, base_url=gemini.base_url
    )
    try:

        async def burst(n: int) -> None:
            await asyncio.gather(*(embedder.embed(f"{n}.{i}: {QUESTION}") for i in range(at_once)))

        for n in range(5):  # warm-up
            await burst(-n - 1)
        cpu, wall = time.thread_time(), time.perf_counter()
        for n in range(rounds):
            await burst(n)
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
        alone = time.thread_time()
        for n in range(lone):
            await embedder.embed(f"alone {n}: {QUESTION}")
        alone = time.thread_time() - alone
    finally:
        await embedder.close()
    together = cpu / (rounds * at_once) * 1e6
    print(
        f"{at_once} callers at once: {together:.1f} µs of event-loop CPU per embedding "
        f"({wall / rounds * 1000:.2f} ms per burst); one at a time: {alone / lone * 1e6:.1f} µs"
    )
    print(
        f"embed_batches at_once_us_per_text={together:.1f} lone_us_per_text={alone / lone * 1e6:.1f} "
        f"burst_ms={wall / rounds * 1000:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--at-once", type=int, default=50)
    parser.add_argument("--lone", type=int, default=2000)
    args = parser.parse_args()
    gemini = RemoteGemini(latency=0.0)
    try:
        asyncio.run(run(gemini, args.rounds, args.at_once, args.lone))
    finally:
        gemini.close()


if __name__ == "__main__":
    main()
