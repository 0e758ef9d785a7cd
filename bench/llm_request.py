"""What one streamed Gemini answer costs the bot's thread in google-genai, by the shape of the
contents it is given: `types.Content` models or plain dicts (`types.ContentDict`).

    python bench/llm_request.py [--calls 400] [--turns 6]

Each call is `client.aio.models.generate_content_stream` (the public API the bot uses) against the
fake Gemini on 127.0.0.1 (tests/fakes/gemini_api.py, no latency, a 3-chunk answer), with a
system prompt and `--turns` turns like an answer's. Measured: this thread's CPU per call
(`time.thread_time`; the fake serves on threads of its own, so its CPU is not counted), request
building, the HTTP exchange and parsing of each streamed chunk included. The request bodies of the
two shapes are checked to be identical first.
Then the bot's own two calls per message, through `bot.llm.GeminiChat` (its config, schema and
time bounds): the memory extraction (`Extractor.extract`, a JSON call) and the streamed answer with
the same turns, thread CPU per call, median.
Last line: llm_request models_us=… dicts_us=… ratio=… bot_extraction_us=… bot_answer_us=…
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# The repository leads sys.path, not bench/: bench/secrets.py would shadow the standard library's secrets.
sys.path[:] = [str(REPO), *(p for p in sys.path if Path(p or ".").resolve() != REPO / "bench")]

from google import genai  # noqa: E402
from google.genai import types  # noqa: E402

from bot.advisor.extraction import Extractor  # noqa: E402
from bot.llm import GeminiChat, _contents  # noqa: E402
from bot.records import Turn  # noqa: E402
from bot.runtime.http import new_session  # noqa: E402
from tests.fakes.gemini_api import FakeGemini  # noqa: E402

SYSTEM = "You are a friendly, careful fitness advisor. " * 30


def conversation(turns: int) -> list[Turn]:
    said = [
        Turn("user", "How many sets of squats should I do today?"),
        Turn("model", "Four sets of eight, with two minutes of rest between them."),
    ]
    return [said[n % 2] for n in range(turns - 1)] + [Turn("user", "And what about tomorrow?")]


def as_models(turns: list[Turn]) -> list[types.Content]:
    return [types.Content(role=t.role, parts=[types.Part(text=t.text)]) for t in turns]


async def cpu_per_call(client: genai.Client, contents: Any, calls: int) -> float:
    """Median thread CPU (µs) of one streamed call, over `calls` calls."""
    samples = []
    for _ in range(calls):
        started = time.thread_time()
        config = types.GenerateContentConfig(system_instruction=SYSTEM)
        stream = await client.aio.models.generate_content_stream(
            model="gemini-2.5-flash", contents=contents, config=config
        )
        async for _chunk in stream:
            pass
        samples.append((time.thread_time() - started) * 1e6)
    return statistics.median(samples)


async def bot_calls(gemini: FakeGemini, said: list[Turn], calls: int) -> dict[str, float]:
    """Median thread CPU (µs) of the bot's extraction call and streamed answer, alternating."""
    chat = GeminiChat(api_key=gemini.api_key, model="gemini-2.5-flash", base_url=gemini.base_url)
    extractor = Extractor(chat)
    today = date(2026, 1, 5)

    async def ignore(_text: str) -> None:
        return None

    async def extraction() -> None:
        await extractor.extract("I do 4 sets of squats on leg day. How many today?", [], today=today)

    async def answer() -> None:
        await chat.stream_reply(SYSTEM, said, ignore)

    samples: dict[str, list[float]] = {"extraction": [], "answer": []}
    try:
        for _ in range(calls):
            for name, call in (("extraction", extraction), ("answer", answer)):
                started = time.thread_time()
                await call()
                samples[name].append((time.thread_time() - started) * 1e6)
    finally:
        await chat.close()
    return {name: statistics.median(values[calls // 10 :]) for name, values in samples.items()}


async def run(calls: int, turns: int) -> None:
    with FakeGemini() as gemini:
        session = new_session(gemini.base_url, limit=4)
        options = types.HttpOptions(base_url=gemini.base_url, aiohttp_client=session)
        client = genai.Client(api_key=gemini.api_key, http_options=options)
        said = conversation(turns)
        try:
            shapes = {"models": as_models(said), "dicts": _contents(said)}
            bodies = []
            for contents in shapes.values():
                await cpu_per_call(client, contents, 1)
                bodies.append(gemini.chat_requests()[-1].body)
            if bodies[0] != bodies[1]:
                raise SystemExit("the two shapes sent different requests")
            results = dict.fromkeys(shapes, 0.0)
            for _ in range(3):  # alternate, so a busy moment hits both shapes
                for name, contents in shapes.items():
                    results[name] += await cpu_per_call(client, contents, calls // 3) / 3
        finally:
            await client.aio.aclose()
            await session.close()
        bot = await bot_calls(gemini, said, calls)
    for name, value in results.items():
        print(f"{name:7} {value:8.1f} µs thread CPU per streamed call ({turns} turns, {calls} calls)")
    print(f"the bot's extraction call {bot['extraction']:.1f} µs, its streamed answer {bot['answer']:.1f} µs")
    ratio = results["dicts"] / results["models"]
    print(
        f"llm_request models_us={results['models']:.1f} dicts_us={results['dicts']:.1f} ratio={ratio:.2f} "
        f"bot_extraction_us={bot['extraction']:.1f} bot_answer_us={bot['answer']:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--turns", type=int, default=6)
    args = parser.parse_args()
    asyncio.run(run(args.calls, args.turns))


if __name__ == "__main__":
    main()
