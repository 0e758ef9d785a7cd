"""Import benchmark: the real bot (`python -m bot`, a child process) reads a synthetic ChatGPT export
of 2,000 conversations (`--conversations`) through /import, against the fake servers with the
fake Gemini as slow as the real one: 1.5 s per extraction call, 0.3 s per embedding call.

The export is built like ChatGPT's (tests/support/exports.py: a `mapping` tree per conversation,
some with an edited first message on a branch of its own): each conversation holds 1-6 of the
person's messages, one of them a fact of its own, the others questions (no facts), 60-400
characters each.

Measured:
- the import: seconds from Start to the "finished" edit of the progress message, facts stored,
  tokens the job counted, the bot's peak RSS (VmHWM);
- load.py's (a) (200 messages one after another, each from a new chat, the time from the update
  to the reply, p50 / p95) with the bot idle before the import, right after Start (the file is
  downloaded and read), in the middle of the import (from a quarter of the conversations read),
  and idle after it: the import must not slow the answers to other chats.
Last line: import conversations=… facts=… wall_s=… tokens=… rss_mb=…
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# This folder off the path: bench/secrets.py would stand in for the standard library's `secrets`.
# The repository leads sys.path, not bench/: bench/secrets.py would shadow the standard library's secrets.
sys.path[:] = [str(REPO), *(p for p in sys.path if Path(p or ".").resolve() != REPO / "bench")]

from bench.load import RemoteGemini, pct, rss_peak_mb, sequential, start_bot, stop_bot, wait_ready  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402
from tests.support.exports import chatgpt_conversation, zipped  # noqa: E402

CHAT = 5_000_001
QUESTIONS = (
    "What do you think about adding a second rest day to this week's plan?",
    "Could you explain the difference between tempo runs and intervals once more?",
    "How many grams of protein would make sense after a long ride like the one I described?",
    "Is it a good idea to stretch before or after a heavy squat session, and for how long?",
    "Can you suggest a short warm-up I could do in the office before lunch?",
)


def synthetic_export(count: int, seed: int = 24) -> tuple[bytes, int]:
    """A ChatGPT export ZIP of `count` conversations; returns it and how many facts it holds."""
    rng = random.Random(seed)
    conversations = []
    for index in range(count):
        said = [
            rng.choice(QUESTIONS)[: rng.randint(60, 400)].rstrip(" ,") + "?" for _ in range(rng.randint(0, 5))
        ]
        said.insert(
            rng.randint(0, len(said)), f"I keep souvenir number {index} from my travels on the shelf."
        )
        abandoned = "I keep no souvenirs at all." if index % 10 == 0 else None
        conversations.append(
            chatgpt_conversation(f"conv-{index}", said, updated=1.7e9 + index * 600, abandoned=abandoned)
        )
    return zipped(conversations), count


def press(telegram: FakeTelegram, message: dict[str, object], label: str) -> None:
    markup = message.get("reply_markup") or {}
    keyboard = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    data = next(b["callback_data"] for row in keyboard for b in row if b["text"] == label)
    telegram.press_button(CHAT, data, message_id=int(message["message_id"]))  # type: ignore[call-overload]


def progress_text(telegram: FakeTelegram, message_id: int) -> str:
    return str((telegram.message(CHAT, message_id) or {}).get("text", ""))


def read_so_far(data_dir: Path) -> int:
    """Conversations the import has read (0 before its row exists)."""
    try:
        with sqlite3.connect(f"file:{data_dir / 'bot.sqlite3'}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute("SELECT done FROM import_jobs").fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0]) if row else 0


def overhead(telegram: FakeTelegram, count: int, first_chat: int) -> tuple[float, float]:
    latencies = sequential(telegram, count, first_chat=first_chat)
    return statistics.median(latencies), pct(latencies, 95)


def run(args: argparse.Namespace) -> None:
    data, facts_in_file = synthetic_export(args.conversations)
    print(f"export: {args.conversations} conversations, {len(data) / 2**20:.1f} MB zipped", flush=True)
    gemini = RemoteGemini(json_latency=args.extraction_latency, embed_latency=args.embed_latency)
    with FakeTelegram() as telegram, tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        proc = start_bot(
            telegram,
            gemini,  # type: ignore[arg-type]
            data_dir,
            MEMORY_MAX_PER_USER="10000",
            LLM_MAX_ATTEMPTS="3",
        )
        try:
            wait_ready(telegram, proc)
            idle_before = overhead(telegram, args.sequential, 900_000)
            print(f"(a) idle before: p50={idle_before[0]:.1f} ms p95={idle_before[1]:.1f} ms", flush=True)
            before = len(telegram.sent(CHAT))
            telegram.send_file(
                CHAT, "document", data, mime_type="application/zip", file_name="export.zip", caption="/import"
            )
            if not telegram.wait_sent({CHAT: before + 1}, timeout=120):
                raise SystemExit("no offer within 120 s")
            offer = telegram.sent(CHAT)[before]
            print("offer:", offer["text"].replace("\n", " | "), flush=True)
            started = time.perf_counter()
            press(telegram, offer, "Start")
            at_start = overhead(telegram, args.sequential, 910_000)
            print(f"(a) right after Start: p50={at_start[0]:.1f} ms p95={at_start[1]:.1f} ms", flush=True)
            while read_so_far(data_dir) < args.conversations // 4:
                time.sleep(0.2)
            during = overhead(telegram, args.sequential, 930_000)
            print(f"(a) mid-import: p50={during[0]:.1f} ms p95={during[1]:.1f} ms", flush=True)
            print("progress:", progress_text(telegram, offer["message_id"]).replace("\n", " | "), flush=True)
            while "finished" not in progress_text(telegram, offer["message_id"]):
                if proc.poll() is not None:
                    raise SystemExit("the bot died during the import")
                time.sleep(0.2)
            wall = time.perf_counter() - started
            print("final:", progress_text(telegram, offer["message_id"]).replace("\n", " | "), flush=True)
            idle_after = overhead(telegram, args.sequential, 920_000)
            print(f"(a) idle after: p50={idle_after[0]:.1f} ms p95={idle_after[1]:.1f} ms", flush=True)
            peak = rss_peak_mb(proc.pid)
        finally:
            stop_bot(proc)
            gemini.close()
        with sqlite3.connect(data_dir / "bot.sqlite3") as conn:
            done, facts, tokens = conn.execute("SELECT done, facts, tokens FROM import_jobs").fetchone()
    load = os.getloadavg()
    print(
        "(a) p95 idle before / during / after: "  # during: right after Start, then mid-import
        f"{idle_before[1]:.1f} / {at_start[1]:.1f} (start) / {during[1]:.1f} (mid) / {idle_after[1]:.1f} ms; "
        f"facts in the file: {facts_in_file}; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(
        f"import conversations={done} facts={facts} wall_s={wall:.1f} tokens={tokens} rss_mb={peak:.0f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--extraction-latency", type=float, default=1.5, help="seconds per extraction call")
    parser.add_argument("--embed-latency", type=float, default=0.3, help="seconds per embedding call")
    parser.add_argument("--sequential", type=int, default=200, help="messages of each (a) measurement")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
