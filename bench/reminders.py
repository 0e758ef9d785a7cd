"""Reminders at scale: the real bot (`python -m bot`, a child process) against the fake Telegram.

10,000 reminders (by default) over 10,000 chats, all due at the same second, are put in the bot's
database before it starts (the scheduler re-arms them from SQLite). Two runs:

(a) clean: the bot delivers them all. Printed: wall time from the due second to the last delivery
    (Telegram's 30 messages/s make ~333 s the floor; the target is <= 6 min), none twice, the bot's
    CPU time over the delivery per reminder (all threads, /proc/<pid>/stat), its RSS, and its CPU
    per second while idle before the due time with all of them waiting (a timer to the next due
    one, not a poll over them, so that figure does not grow with the number of reminders).
(b) kill -9: the same, but the bot is killed with SIGKILL once half were delivered and started
    again at once. Printed: lost (a chat that never got its reminder), doubled (a chat that got it
    twice: the message Telegram had taken in the last milliseconds before the kill, whose answer
    was not yet recorded) and the wall time including the restart.

The last line is one summary (run (b)'s counts and wall time; CPU and RSS from run (a)):
reminders n=… delivered=… lost=… doubled=… wall_s=… cpu_ms_per_reminder=… rss_mb=…
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The repository leads sys.path, not bench/: bench/secrets.py would shadow the standard library's secrets.
sys.path[:] = [str(REPO), *(p for p in sys.path if Path(p or ".").resolve() != REPO / "bench")]

from bot.store import Store  # noqa: E402
from tests.fakes.gemini_api import FakeGemini  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402
from tests.support.harness import bot_env  # noqa: E402

FIRST_CHAT = 5_000_000
LEAD_SECONDS = 45.0  # from seeding to the due second: the bot starts, then idles with all waiting


def rss_mb(pid: int, field: str = "VmRSS:") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def seed(data_dir: Path, n: int, due_at: float) -> None:
    """The bot's database with `n` reminders due at `due_at`, one per chat (schema by Store.open)."""

    async def create() -> None:
        store = await Store.open(data_dir / "bot.sqlite3")
        await store.close()

    asyncio.run(create())
    now = time.time()
    with sqlite3.connect(data_dir / "bot.sqlite3") as conn:
        conn.executemany(
            "INSERT INTO reminders (chat_id, kind, text, due_at, tz, state, created_at) "
            "VALUES (?, 'reminder', ?, ?, 'UTC', 'active', ?)",
            [(FIRST_CHAT + i, f"bench item {i}", due_at, now) for i in range(n)],
        )


def start_bot(
    telegram: FakeTelegram, gemini: FakeGemini, data_dir: Path, rate: float
) -> subprocess.Popen[bytes]:
    env = bot_env(
        telegram,
        gemini,
        data_dir,
        LOG_LEVEL=os.environ.get("BENCH_BOT_LOG_LEVEL", "WARNING"),
        SEND_RATE_PER_SECOND=str(rate),
    )
    log = (data_dir.parent / f"{data_dir.name}.log").open("ab")
    return subprocess.Popen([sys.executable, "-m", "bot"], env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(telegram: FakeTelegram, proc: subprocess.Popen[bytes], commands_before: int) -> None:
    deadline = time.monotonic() + 120
    while len(telegram.calls("setMyCommands")) <= commands_before:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the bot did not start (exit code {proc.poll()})")
        time.sleep(0.05)


def deliveries(telegram: FakeTelegram) -> list[tuple[int, float]]:
    """(chat id, arrival time) of every reminder message received so far."""
    return [
        (int(call.params["chat_id"]), call.at)  # type: ignore[attr-defined]
        for call in telegram.calls("sendMessage")
        if str(call.params.get("text", "")).startswith("⏰")
    ]


def run(n: int, rate: float, *, kill_half: bool, workdir: Path) -> dict[str, float]:
    data_dir = workdir / ("kill9" if kill_half else "clean")
    data_dir.mkdir(parents=True)
    with FakeTelegram() as telegram, FakeGemini() as gemini:
        due = time.time() + LEAD_SECONDS
        due_monotonic = time.monotonic() + LEAD_SECONDS  # the fake stamps calls with time.monotonic()
        seed(data_dir, n, due)
        proc = start_bot(telegram, gemini, data_dir, rate)
        wait_ready(telegram, proc, 0)
        idle_from, idle_cpu = time.time(), cpu_seconds(proc.pid)
        time.sleep(max(0.0, due - time.time() - 1.0))
        idle_cpu_per_s = (cpu_seconds(proc.pid) - idle_cpu) / (time.time() - idle_from)
        cpu_at_due = cpu_seconds(proc.pid)
        cpu_total, peak_rss, restarted_at = 0.0, 0.0, None
        deadline = due + 15 * 60
        while True:
            got = deliveries(telegram)
            if kill_half and restarted_at is None and len(got) >= n // 2:
                cpu_total += cpu_seconds(proc.pid) - cpu_at_due
                peak_rss = max(peak_rss, rss_mb(proc.pid, "VmHWM:"))
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
                killed_after = len(deliveries(telegram))
                restarted_at = time.time()
                proc = start_bot(telegram, gemini, data_dir, rate)
                commands = len(telegram.calls("setMyCommands"))
                wait_ready(telegram, proc, commands - 1 if commands else 0)
                cpu_at_due = 0.0  # the new process: all of its CPU counts, its start included
                print(f"  killed after {killed_after} deliveries; restarted", flush=True)
                continue
            if len({chat for chat, _ in got}) >= n or time.time() > deadline:
                break
            time.sleep(0.5)
        time.sleep(3.0)  # anything sent twice arrives now
        cpu_total += cpu_seconds(proc.pid) - cpu_at_due
        peak_rss = max(peak_rss, rss_mb(proc.pid, "VmHWM:"))
        rss_now = rss_mb(proc.pid)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        got = deliveries(telegram)
        per_chat = collections.Counter(chat for chat, _ in got)
        delivered = len(per_chat)
        with sqlite3.connect(data_dir / "bot.sqlite3") as conn:
            left = conn.execute("SELECT COUNT(*) FROM reminders").fetchone()[0]
    return {
        "n": n,
        "delivered": delivered,
        "lost": n - delivered,
        "doubled": sum(count - 1 for count in per_chat.values() if count > 1),
        "wall_s": max(at for _, at in got) - due_monotonic if got else float("nan"),
        "cpu_ms_per_reminder": 1000 * cpu_total / max(1, len(got)),
        "rss_mb": rss_now,
        "peak_rss_mb": peak_rss,
        "idle_cpu_ms_per_s": 1000 * idle_cpu_per_s,
        "rows_left": left,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000, help="reminders (one chat each)")
    parser.add_argument("--rate", type=float, default=30.0, help="SEND_RATE_PER_SECOND of the bot")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-reminders-") as tmp:
        workdir = Path(tmp)
        print(f"(a) clean: {args.n} reminders due at the same second, {args.rate:g} messages/s", flush=True)
        clean = run(args.n, args.rate, kill_half=False, workdir=workdir)
        print(
            f"  delivered={clean['delivered']} lost={clean['lost']} doubled={clean['doubled']} "
            f"wall_s={clean['wall_s']:.1f} ({clean['delivered'] / clean['wall_s']:.1f}/s) "
            f"cpu_ms_per_reminder={clean['cpu_ms_per_reminder']:.2f} rss_mb={clean['rss_mb']:.0f} "
            f"(peak {clean['peak_rss_mb']:.0f}) idle_cpu_ms_per_s={clean['idle_cpu_ms_per_s']:.1f} "
            f"rows_left={clean['rows_left']}",
            flush=True,
        )
        print("(b) kill -9 once half were delivered, then a restart", flush=True)
        killed = run(args.n, args.rate, kill_half=True, workdir=workdir)
        print(
            f"  delivered={killed['delivered']} lost={killed['lost']} doubled={killed['doubled']} "
            f"wall_s={killed['wall_s']:.1f} cpu_ms_per_reminder={killed['cpu_ms_per_reminder']:.2f} "
            f"(restart included) rows_left={killed['rows_left']}",
            flush=True,
        )
    print(
        f"reminders n={args.n} delivered={killed['delivered']} lost={killed['lost']} "
        f"doubled={killed['doubled']} wall_s={killed['wall_s']:.1f} "
        f"cpu_ms_per_reminder={clean['cpu_ms_per_reminder']:.2f} rss_mb={clean['rss_mb']:.0f}"
    )


if __name__ == "__main__":
    main()
