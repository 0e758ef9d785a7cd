"""Load benchmark: the real bot (`python -m bot`, a child process) against the fake servers.

(a) 200 messages one after another with zero-latency fakes: the time from the update being
    available at the fake Telegram to the reply arriving there, p50 / p95. It is the bot's own
    overhead plus the local round trips of its chat and embedding calls: nothing is subtracted,
    so it is an upper bound on the overhead beside them. Measured twice: back to back (the
    previous messages' memory writes still running) and after each write finished (the summary
    line). Each message comes from a new chat, so the per-chat pacing (~1 message/s) never waits.
(b) 1,000 messages over 250 chats at once (4 per chat) with 0.5 s per Gemini answer: wall time
    until every reply arrived, messages/s, and chats whose replies came out of order. Run with
    our outgoing cap off (SEND_RATE_PER_SECOND=0) and, with --capped, at the default 30 / s too.
    Also the bot's CPU time over (b) (all its threads, /proc/<pid>/stat) per message.
(c) the bot's RSS before (a) and after (b).

`--media` runs only the media comparison instead (issue 13): with MEDIA_LATENCY s per Gemini
call, `--media-rounds` rounds of 50 new chats sending a text (text only), then the same with 50
other new chats each sending a 1 MB photo at the same moment as the texts. Per text: the time from
the update to its reply, minus the model's latency (the bot's overhead beside it), p50 / p95 in
both runs; the photos answered; the bot's peak RSS (VmHWM). Last line:
media text_only_p95_ms=… with_photos_p95_ms=… delta_p95_ms=… photos_answered=…/… rss_peak_mb=…

(a) and (b) use new chats: they have no memories, so recall skips the search and its embedding
call (MemoryService.search asks the store first). `--returning` runs both again for chats that
first stored four memories each with /remember, so every question is embedded and searched.

Each message also queues a memory write (embedding + extraction through the fake Gemini) that
runs in the background; the figures above are what the user waits for.
(d) memory writes keeping up, in a fresh bot, with the fake Gemini as slow as the real one:
    1.5 s per extraction call, 0.3 s per embedding call, 0.5 s per answer.
    - 1,000 messages over 250 chats at once, each holding one fact: seconds until every fact is
      stored (listed: its row is in the memory store), writes/s, the most extraction calls in
      flight at once, and each message's time from being sent to its fact being listed, p50/p95;
    - 30 chats talking at once (each waits for the reply, then --think seconds, then says the next
      thing, 10 messages each): message → listed p50/p95.
The last line is one summary:
load overhead_p50_ms=… overhead_p95_ms=… burst_wall_s=… burst_out_of_order=… rss_mb=…
memory_writes_per_s=… memory_listed_p95_s=… (the latter at 30 chats talking at once)
cpu_ms_per_msg=… returning_cpu_ms_per_msg=… ((b)'s bot CPU per message, new and returning chats;
nan without --returning). `--no-memory` skips (d) (its fields print nan), `--write-concurrency`
sets (d)'s MEMORY_WRITE_CONCURRENCY, `--profile DIR` records each (b) burst with py-spy
(bench/profile_top.py reads it).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The repository leads sys.path, not bench/: bench/secrets.py would shadow the standard library's secrets.
sys.path[:] = [str(REPO), *(p for p in sys.path if Path(p or ".").resolve() != REPO / "bench")]

from tests.fakes.gemini_api import FakeGemini  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402
from tests.support.harness import bot_env  # noqa: E402

PROFILE_DIR: Path | None = None  # --profile: py-spy records each (b) burst there


@contextlib.contextmanager
def profiled(pid: int, name: str) -> Iterator[None]:
    """With --profile, py-spy samples the bot (the thread holding the GIL) while the block runs and
    writes collapsed stacks to PROFILE_DIR/<name>.txt (read them with bench/profile_top.py)."""
    if PROFILE_DIR is None:
        yield
        return
    out = PROFILE_DIR / f"{name}.txt"
    spy = subprocess.Popen(
        [
            shutil.which("py-spy", path=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
            or "py-spy",
            "record",
            "--pid",
            str(pid),
            "--rate",
            "100",
            "--nonblocking",
            "--gil",
            "--format",
            "raw",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # py-spy attaches
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_bot(
    telegram: FakeTelegram, gemini: FakeGemini, data_dir: Path, **extra: str
) -> subprocess.Popen[bytes]:
    env = bot_env(
        telegram,
        gemini,
        data_dir,
        VECTOR_STORE="sqlite",
        LOG_LEVEL=os.environ.get("BENCH_BOT_LOG_LEVEL", "WARNING"),
        RATE_LIMIT_PER_MINUTE="0",  # the load is meant to exceed any rate limit
        **extra,
    )
    log = (data_dir.parent / f"{data_dir.name}.log").open("wb")
    return subprocess.Popen([sys.executable, "-m", "bot"], env=env, stdout=log, stderr=subprocess.STDOUT)


def stop_bot(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_ready(telegram: FakeTelegram, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not (telegram.calls("setMyCommands") and telegram.calls("getUpdates")):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the bot did not start (exit code {proc.poll()})")
        time.sleep(0.05)
    time.sleep(0.5)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process so far (all threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def outbox_size(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM memory_outbox").fetchone()[0])


def sequential(
    telegram: FakeTelegram, count: int, *, settle_db: Path | None = None, first_chat: int | None = None
) -> list[float]:
    """Send one message at a time, each from another chat (one chat at full speed would measure
    the bot's pacing of about 1 message/s per chat, not its overhead); return latencies in ms.
    With `settle_db`, wait for the previous message's memory write to finish before the next.
    Chats are numbered from `first_chat` (default: new chats, no memories)."""
    latencies = []
    for n in range(count + 10):
        chat = (first_chat or (901_000 if settle_db else 900_000)) + n
        while settle_db is not None and outbox_size(settle_db) > 0:
            time.sleep(0.002)
        before = len(telegram.sent(chat))
        started = time.perf_counter()
        telegram.send_text(chat, f"How should I warm up before set {n}?")
        if not telegram.wait_sent({chat: before + 1}, timeout=30):
            raise SystemExit(f"(a) no reply to message {n} within 30 s")
        if n >= 10:  # the first ones warm up connections and caches
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


# What returning users have told the bot before (--returning): four memories per chat, which the
# burst's questions ("how many sets today?") match.
SEEDED_FACTS = (
    "I do 4 sets of squats on leg day",
    "I train three days a week: Monday, Wednesday and Friday",
    "My left knee hurts after heavy sets",
    "I want to add 10 kg to my squat by March",
)


def seed_memories(telegram: FakeTelegram, ids: list[int]) -> None:
    """Give each chat SEEDED_FACTS through /remember (not timed)."""
    for chat in ids:
        for fact in SEEDED_FACTS:
            telegram.send_text(chat, f"/remember {fact}")
    if not telegram.wait_sent(dict.fromkeys(ids, len(SEEDED_FACTS)), timeout=300):
        raise SystemExit("seeding memories with /remember did not finish within 300 s")


def burst(telegram: FakeTelegram, ids: list[int], per_chat: int) -> tuple[float, int]:
    """All messages at once; return the wall time and how many chats got replies out of order."""
    before = {chat: len(telegram.sent(chat)) for chat in ids}
    started = time.perf_counter()
    for n in range(per_chat):
        for chat in ids:
            telegram.send_text(chat, f"chat{chat} question {n}: how many sets today?")
    if not telegram.wait_sent({chat: before[chat] + per_chat for chat in ids}, timeout=300):
        answered = sum(min(len(telegram.sent(c)) - before[c], per_chat) for c in ids)
        raise SystemExit(f"(b) only {answered} of {len(ids) * per_chat} replies within 300 s")
    wall = time.perf_counter() - started
    out_of_order = 0
    for chat in ids:
        replies = telegram.texts(chat)[before[chat] :]
        order = [int(m.group(1)) for s in replies if (m := re.search(r"question (\d+)", s))]
        if order != sorted(order):
            out_of_order += 1
    return wall, out_of_order


# --- (d) memory writes ------------------------------------------------------------------------

EXTRACTION_SECONDS = 1.5
EMBEDDING_SECONDS = 0.3
ANSWER_SECONDS = 0.5
_TAG = re.compile(r"\btag T(\d+)n(\d+)\b")


def fact_message(chat: int, n: int) -> str:
    """A message holding one fact, tagged so its memory can be found in the store."""
    return f"I did {n + 3} rounds of kettlebell swings, tag T{chat}n{n}."


class ListedWatcher:
    """Reads the bot's memory store (read-only, new rows only) and notes when each tag appeared."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.last_pk = 0
        self.seen: dict[str, float] = {}

    def poll(self) -> None:
        if not self.db.exists():
            return
        with contextlib.closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5)) as conn:
            rows = conn.execute(
                "SELECT pk, payload FROM vectors WHERE pk > ? ORDER BY pk", (self.last_pk,)
            ).fetchall()
        now = time.perf_counter()
        for pk, payload in rows:
            self.last_pk = max(self.last_pk, int(pk))
            for chat, n in _TAG.findall(payload):
                self.seen.setdefault(f"{chat}:{n}", now)


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def memory_burst(
    telegram: FakeTelegram, watcher: ListedWatcher, ids: list[int], per_chat: int
) -> tuple[float, list[float]]:
    """All messages at once; return the seconds until every fact is listed and each message's
    time from being sent to its fact being listed."""
    sent_at: dict[str, float] = {}
    started = time.perf_counter()
    for n in range(per_chat):
        for chat in ids:
            telegram.send_text(chat, fact_message(chat, n))
            sent_at[f"{chat}:{n}"] = time.perf_counter()
    deadline = started + 900
    while not set(sent_at) <= set(watcher.seen):
        if time.perf_counter() > deadline:
            missing = len(set(sent_at) - set(watcher.seen))
            raise SystemExit(f"(d) {missing} of {len(sent_at)} facts not stored within 900 s")
        time.sleep(0.1)
        watcher.poll()
    wall = max(watcher.seen[key] for key in sent_at) - started
    return wall, [watcher.seen[key] - sent_at[key] for key in sent_at]


def conversations(
    telegram: FakeTelegram, watcher: ListedWatcher, ids: list[int], per_chat: int, think: float
) -> list[float]:
    """Each chat says something, waits for the answer, thinks, says the next thing; return each
    message's time from being sent to its fact being listed."""
    sent_at: dict[str, float] = {}
    said = dict.fromkeys(ids, 0)
    replies_before = {chat: len(telegram.sent(chat)) for chat in ids}
    next_at = {chat: time.perf_counter() + (i % 10) * think / 10 for i, chat in enumerate(ids)}
    deadline = time.perf_counter() + per_chat * (think + 30) + 300
    last_poll = 0.0
    while len(watcher.seen.keys() & sent_at.keys()) < len(ids) * per_chat:
        now = time.perf_counter()
        if now > deadline:
            raise SystemExit("(d) the 30 conversations did not finish in time")
        for chat in ids:
            n = said[chat]
            answered = len(telegram.sent(chat)) - replies_before[chat] >= n
            if n < per_chat and answered and now >= next_at[chat]:
                telegram.send_text(chat, fact_message(chat, n))
                sent_at[f"{chat}:{n}"] = time.perf_counter()
                said[chat] = n + 1
                next_at[chat] = float("inf")
            elif n and answered and next_at[chat] == float("inf"):
                next_at[chat] = now + think  # the answer arrived: the person thinks, then writes
        if now - last_poll >= 0.1:
            watcher.poll()
            last_poll = now
        time.sleep(0.02)
    return [watcher.seen[key] - sent_at[key] for key in sent_at]


def memory_writes(gemini: FakeGemini, tmp: Path, args: argparse.Namespace) -> tuple[float, float]:
    """(d); return writes/s of the burst and the p95 message → listed of the conversations."""
    gemini.latency, gemini.json_latency, gemini.embed_latency = 0.0, None, 0.0
    with FakeTelegram() as telegram:
        data = tmp / "memory"
        extra = {"MEMORY_WRITE_CONCURRENCY": str(args.write_concurrency)} if args.write_concurrency else {}
        proc = start_bot(telegram, gemini, data, **extra)
        try:
            wait_ready(telegram, proc)
            gemini.latency, gemini.json_latency = ANSWER_SECONDS, EXTRACTION_SECONDS
            gemini.embed_latency = EMBEDDING_SECONDS
            gemini.peak_in_flight.clear()
            watcher = ListedWatcher(data / "memories.sqlite3")
            total = args.memory_chats * args.per_chat
            wall, listed = memory_burst(
                telegram, watcher, [930_000 + c for c in range(args.memory_chats)], args.per_chat
            )
            rate = total / wall
            print(
                f"(d) {total} messages over {args.memory_chats} chats at once, {EXTRACTION_SECONDS} s per "
                f"extraction, {EMBEDDING_SECONDS} s per embedding: every fact stored after {wall:.1f} s, "
                f"{rate:.1f} writes/s, at most {gemini.peak_in_flight['json']} extraction calls in flight; "
                f"message → listed p50 {statistics.median(listed):.1f} s, p95 {pct(listed, 95):.1f} s"
            )
            talk = conversations(
                telegram, watcher, [940_000 + c for c in range(30)], args.talk_messages, args.think
            )
            p95 = pct(talk, 95)
            print(
                f"(d) 30 chats talking at once ({args.talk_messages} messages each, {args.think:g} s to "
                f"think after each answer): message → listed p50 {statistics.median(talk):.1f} s, "
                f"p95 {p95:.1f} s, max {max(talk):.1f} s"
            )
        except SystemExit:
            print((tmp / "memory.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            stop_bot(proc)
            gemini.latency, gemini.json_latency, gemini.embed_latency = 0.0, None, 0.0
    return rate, p95


def rss_peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def text_overheads(
    telegram: FakeTelegram, texts: list[int], photos: list[int], photo: bytes, model_seconds: float
) -> list[float]:
    """The photo chats send their photo and, at the same moment, the text chats their text; wait
    for every reply; return each text's time to its reply minus the model's latency, in ms."""
    before = {chat: len(telegram.sent(chat)) for chat in texts + photos}
    started = {}
    for chat in photos:
        started[chat] = time.perf_counter()
        telegram.send_photo(chat, data=photo)
    for chat in texts:
        started[chat] = time.perf_counter()
        telegram.send_text(chat, f"chat{chat}: how long should I rest between sets?")
    if not telegram.wait_sent({chat: before[chat] + 1 for chat in texts + photos}, timeout=300):
        answered = sum(len(telegram.sent(c)) > before[c] for c in texts + photos)
        raise SystemExit(f"(media) only {answered} of {len(texts) + len(photos)} replies within 300 s")
    PHOTO_SECONDS.extend(telegram.sent_times(chat)[before[chat]] - started[chat] for chat in photos)
    return [
        (telegram.sent_times(chat)[before[chat]] - started[chat] - model_seconds) * 1000 for chat in texts
    ]


PHOTO_SECONDS: list[float] = []  # each photo's time to its answer in the --media run


class RemoteGemini:
    """The fake Gemini in a child process (bench/fake_gemini_server.py): parsing 50 MB of inline
    pictures or computing thousands of embeddings there does not hold this process's GIL, which the
    fake Telegram timing the replies needs. `latencies`: the server's flags, e.g. {"latency": 0.5}."""

    def __init__(self, **latencies: float) -> None:
        flags = [
            arg for name, value in latencies.items() for arg in (f"--{name.replace('_', '-')}", str(value))
        ]
        self._proc = subprocess.Popen(
            [sys.executable, str(REPO / "bench" / "fake_gemini_server.py"), *flags],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        self.base_url, self.api_key = self._proc.stdout.readline().split()

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        self._proc.wait(timeout=30)


def media_run(rounds: int, latency: float) -> None:
    """Text overhead with and without 50 chats sending 1 MB photos at the same time."""
    photo = b"\xff\xd8\xff\xe0" + os.urandom(1024 * 1024 - 4)
    gemini = RemoteGemini(latency=latency)
    with tempfile.TemporaryDirectory() as tmp, FakeTelegram() as telegram:
        proc = start_bot(telegram, gemini, Path(tmp) / "data", SEND_RATE_PER_SECOND="0")  # type: ignore[arg-type]
        try:
            wait_ready(telegram, proc)
            text_overheads(telegram, [930_000 + c for c in range(50)], [], photo, latency)  # warm-up
            alone: list[float] = []
            mixed: list[float] = []
            answered_total = 0
            cpu_text = cpu_mixed = 0.0
            for r in range(rounds):
                base = 940_000 + r * 1000
                cpu = cpu_seconds(proc.pid)
                alone += text_overheads(telegram, [base + c for c in range(50)], [], photo, latency)
                time.sleep(2 * latency)  # let the texts' memory writes finish
                cpu_text += cpu_seconds(proc.pid) - cpu
                photo_chats = [base + 500 + c for c in range(50)]
                cpu = cpu_seconds(proc.pid)
                mixed += text_overheads(
                    telegram, [base + 100 + c for c in range(50)], photo_chats, photo, latency
                )
                time.sleep(4 * latency)  # the descriptions and memory writes
                cpu_mixed += cpu_seconds(proc.pid) - cpu
                answered = sum(
                    1
                    for c in photo_chats
                    if telegram.texts(c) and telegram.texts(c)[0].startswith("Coach says: I see")
                )
                answered_total += answered
                print(f"(media) round {r + 1}: {answered} of 50 photos answered about the picture")
            peak = rss_peak_mb(proc.pid)
        finally:
            stop_bot(proc)
            gemini.close()
    a50, a95 = statistics.median(alone), statistics.quantiles(alone, n=100)[94]
    m50, m95 = statistics.median(mixed), statistics.quantiles(mixed, n=100)[94]
    photos = rounds * 50
    print(
        f"(media) text only, {len(alone)} texts in rounds of 50 at once: overhead p50 {a50:.1f} ms, "
        f"p95 {a95:.1f} ms"
    )
    print(
        f"(media) the same while 50 other chats each send a 1 MB photo: overhead p50 {m50:.1f} ms, "
        f"p95 {m95:.1f} ms ({m95 - a95:+.1f} ms); {answered_total} of {photos} photos answered; "
        f"photo answered in p50 {statistics.median(PHOTO_SECONDS):.2f} s, "
        f"p95 {statistics.quantiles(PHOTO_SECONDS, n=100)[94]:.2f} s; "
        f"bot peak RSS {peak:.0f} MB; bot CPU per photo (answer, description, memory write) "
        f"{(cpu_mixed - cpu_text) / photos * 1000:.1f} ms"
    )
    print(
        f"media text_only_p95_ms={a95:.1f} with_photos_p95_ms={m95:.1f} delta_p95_ms={m95 - a95:.1f} "
        f"photos_answered={answered_total}/{photos} rss_peak_mb={peak:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sequential", type=int, default=200)
    parser.add_argument("--chats", type=int, default=250)
    parser.add_argument("--per-chat", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per Gemini answer in (b)")
    parser.add_argument("--capped", action="store_true", help="also run (b) with SEND_RATE_PER_SECOND=30")
    parser.add_argument("--memory-chats", type=int, default=250, help="chats of the (d) burst")
    parser.add_argument("--talk-messages", type=int, default=10, help="messages per chat in (d)'s talk")
    parser.add_argument("--think", type=float, default=5.0, help="seconds between answer and next message")
    parser.add_argument("--memory-only", action="store_true", help="run (d) alone")
    parser.add_argument(
        "--write-concurrency", type=int, help="MEMORY_WRITE_CONCURRENCY of (d)'s bot (default: the bot's)"
    )
    parser.add_argument("--no-memory", action="store_true", help="skip (d) (its fields print nan)")
    parser.add_argument(
        "--profile",
        type=Path,
        help="record each (b) burst with py-spy into this folder (new.txt, returning.txt)",
    )
    parser.add_argument(
        "--returning",
        action="store_true",
        help="also run (b) for chats that already have memories (each message recalls them)",
    )
    parser.add_argument("--media", action="store_true", help="run only the media comparison (see above)")
    parser.add_argument("--media-rounds", type=int, default=4)
    parser.add_argument("--media-latency", type=float, default=0.5, help="seconds per Gemini call in --media")
    args = parser.parse_args()
    global PROFILE_DIR
    PROFILE_DIR = args.profile
    if args.memory_only:
        with tempfile.TemporaryDirectory() as tmp, FakeGemini() as gemini:
            rate, listed_p95 = memory_writes(gemini, Path(tmp), args)
        print(f"load memory_writes_per_s={rate:.1f} memory_listed_p95_s={listed_p95:.1f}")
        return
    if args.media:
        media_run(args.media_rounds, args.media_latency)
        return

    with tempfile.TemporaryDirectory() as tmp, FakeTelegram() as telegram, FakeGemini() as gemini:
        proc = start_bot(telegram, gemini, Path(tmp) / "data", SEND_RATE_PER_SECOND="0")
        try:
            wait_ready(telegram, proc)
            rss_before = rss_mb(proc.pid)
            latencies = sequential(telegram, args.sequential)
            b2b50, b2b95 = statistics.median(latencies), statistics.quantiles(latencies, n=100)[94]
            print(
                f"(a) {len(latencies)} sequential messages, back to back (earlier memory writes still "
                f"running): p50 {b2b50:.1f} ms, p95 {b2b95:.1f} ms, max {max(latencies):.1f} ms"
            )
            latencies = sequential(telegram, args.sequential, settle_db=Path(tmp) / "data" / "bot.sqlite3")
            p50, p95 = statistics.median(latencies), statistics.quantiles(latencies, n=100)[94]
            print(
                f"(a) {len(latencies)} sequential messages, each after the previous memory write "
                f"finished: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(latencies):.1f} ms"
            )

            gemini.latency = args.latency
            total = args.chats * args.per_chat
            cpu_before = cpu_seconds(proc.pid)
            with profiled(proc.pid, "new"):
                wall, out_of_order = burst(telegram, [910_000 + c for c in range(args.chats)], args.per_chat)
            cpu = cpu_seconds(proc.pid) - cpu_before
            cpu_ms_per_msg = cpu / total * 1000
            print(
                f"(b) {total} messages over {args.chats} new chats, {args.latency} s per answer, no send "
                f"cap: {wall:.2f} s, {total / wall:.0f} msg/s, {out_of_order} chats out of order; "
                f"bot CPU {cpu:.1f} s ({cpu / total * 1000:.1f} ms per message)"
            )
            returning_cpu_ms_per_msg = float("nan")  # without --returning
            if args.returning:
                returning = [920_000 + c for c in range(max(args.chats, args.sequential + 10))]
                gemini.latency = 0.0
                seed_memories(telegram, returning)
                db = Path(tmp) / "data" / "bot.sqlite3"
                latencies = sequential(telegram, args.sequential, settle_db=db, first_chat=920_000)
                r50, r95 = statistics.median(latencies), statistics.quantiles(latencies, n=100)[94]
                print(
                    f"(a) the same for {len(latencies)} returning chats ({len(SEEDED_FACTS)} memories each: "
                    f"recall embeds the question and searches): p50 {r50:.1f} ms, p95 {r95:.1f} ms, "
                    f"max {max(latencies):.1f} ms"
                )
                returning = returning[: args.chats]
                gemini.latency = args.latency
                cpu_before = cpu_seconds(proc.pid)
                with profiled(proc.pid, "returning"):
                    r_wall, r_out_of_order = burst(telegram, returning, args.per_chat)
                cpu = cpu_seconds(proc.pid) - cpu_before
                returning_cpu_ms_per_msg = cpu / total * 1000
                print(
                    f"(b) the same over {args.chats} returning chats ({len(SEEDED_FACTS)} memories each, "
                    f"recalled): {r_wall:.2f} s, {total / r_wall:.0f} msg/s, {r_out_of_order} chats out "
                    f"of order; bot CPU {cpu:.1f} s ({cpu / total * 1000:.1f} ms per message)"
                )
            rss_after = rss_mb(proc.pid)
            print(f"(c) RSS {rss_before:.0f} MB before (a), {rss_after:.0f} MB after (b)")
        except SystemExit:
            print((Path(tmp) / "data.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            stop_bot(proc)
        if args.capped:
            gemini.latency = 0.0
            telegram.clear()
            proc = start_bot(telegram, gemini, Path(tmp) / "capped")
            try:
                wait_ready(telegram, proc)
                gemini.latency = args.latency
                ids = [910_000 + c for c in range(args.chats)]
                capped_wall, capped_ooo = burst(telegram, ids, args.per_chat)
                print(
                    f"(b) with the default cap of 30 messages/s: {capped_wall:.2f} s, "
                    f"{total / capped_wall:.0f} msg/s, {capped_ooo} chats out of order"
                )
            finally:
                stop_bot(proc)
        rate, listed_p95 = (
            (float("nan"), float("nan")) if args.no_memory else memory_writes(gemini, Path(tmp), args)
        )
    print(
        f"load overhead_p50_ms={p50:.1f} overhead_p95_ms={p95:.1f} burst_wall_s={wall:.2f} "
        f"burst_out_of_order={out_of_order} rss_mb={rss_after:.0f} "
        f"memory_writes_per_s={rate:.1f} memory_listed_p95_s={listed_p95:.1f} "
        f"cpu_ms_per_msg={cpu_ms_per_msg:.2f} returning_cpu_ms_per_msg={returning_cpu_ms_per_msg:.2f}"
    )


if __name__ == "__main__":
    main()
