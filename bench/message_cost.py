"""What a message costs the bot in all: its reply and its memory write (`bench/load.py`'s (b) burst,
then every write it queued, to the end).

    python bench/message_cost.py [--chats 250] [--per-chat 4] [--latency 0.5]

`bench/load.py`'s (b) counts the bot's CPU while the burst is answered: the memory writes that
finished meanwhile are in it, the others not. So a bot whose writer keeps up is charged for its
writes and one whose writer lags is not. Here, for new chats and then for returning chats
(`SEEDED_FACTS` each, as in `load.py --returning`): the bot's CPU (all threads, /proc) per message
over the burst (`window`, as (b)), how many writes were still queued when the last reply arrived,
and the CPU per message once every write queued by the burst is done (`total`; the fake Gemini
answers without delay after the burst, so the wait adds little idle time).

It only uses `bench/load.py`'s helpers that 4c92707's has too: copied into a worktree of that
commit, it measures that tree the same way (run it there with that tree's venv).
Last line: message_cost new_window_ms=… new_total_ms=… returning_window_ms=… returning_total_ms=…
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The repository leads sys.path, not bench/: bench/secrets.py would shadow the standard library's secrets.
sys.path[:] = [str(REPO), *(p for p in sys.path if Path(p or ".").resolve() != REPO / "bench")]

from bench import load  # noqa: E402
from tests.fakes.gemini_api import FakeGemini  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402


def drain(db: Path, timeout: float = 600.0) -> None:
    """Wait until the bot's memory outbox is empty."""
    deadline = time.monotonic() + timeout
    while load.outbox_size(db) > 0:
        if time.monotonic() > deadline:
            raise SystemExit(f"the memory writes did not finish within {timeout:.0f} s")
        time.sleep(0.01)


def measure(
    telegram: FakeTelegram, gemini: FakeGemini, pid: int, db: Path, ids: list[int], args: argparse.Namespace
) -> tuple[float, int, float]:
    """One burst: (window ms per message, writes queued at its end, total ms per message)."""
    total = len(ids) * args.per_chat
    gemini.latency = args.latency
    before = load.cpu_seconds(pid)
    load.burst(telegram, ids, args.per_chat)
    window = load.cpu_seconds(pid) - before
    queued = load.outbox_size(db)
    gemini.latency = 0.0
    drain(db)
    return window / total * 1000, queued, (load.cpu_seconds(pid) - before) / total * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=250)
    parser.add_argument("--per-chat", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per Gemini answer in the bursts")
    args = parser.parse_args()
    results: dict[str, tuple[float, int, float]] = {}
    with tempfile.TemporaryDirectory() as tmp, FakeTelegram() as telegram, FakeGemini() as gemini:
        data = Path(tmp) / "data"
        proc = load.start_bot(telegram, gemini, data, SEND_RATE_PER_SECOND="0")
        db = data / "bot.sqlite3"
        try:
            load.wait_ready(telegram, proc)
            load.sequential(telegram, 20)  # warm-up: connections, caches
            drain(db)
            new = [910_000 + c for c in range(args.chats)]
            results["new"] = measure(telegram, gemini, proc.pid, db, new, args)
            returning = [920_000 + c for c in range(args.chats)]
            load.seed_memories(telegram, returning)
            drain(db)
            load.sequential(telegram, 20, settle_db=db, first_chat=920_000 + args.chats)  # warm-up
            results["returning"] = measure(telegram, gemini, proc.pid, db, returning, args)
        finally:
            load.stop_bot(proc)
    messages = args.chats * args.per_chat
    for kind, (window, queued, total) in results.items():
        print(
            f"{kind} chats, {messages} messages at once, {args.latency} s per answer: {window:.2f} ms "
            f"CPU per message while answered ({queued} memory writes still queued), {total:.2f} ms "
            "with every write done"
        )
    (nw, _, nt), (rw, _, rt) = results["new"], results["returning"]
    print(
        f"message_cost new_window_ms={nw:.2f} new_total_ms={nt:.2f} "
        f"returning_window_ms={rw:.2f} returning_total_ms={rt:.2f}"
    )


if __name__ == "__main__":
    main()
