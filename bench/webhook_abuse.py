"""What a hostile web client costs the bot in webhook mode (`python -m bot`, a child process,
against the fake servers on 127.0.0.1).

(a) Six POSTs of 90 MB each at once with a wrong secret token: the bot's RSS before, its peak
    (VmHWM) and after. The bodies are streamed from a 1 MB buffer, so this process stays small.
(b) Under `ulimit -n 1024` (systemd's default), 1,100 idle connections that never send a byte:
    the bot's CPU seconds (all threads) and the bytes it logs over the next 10 s, and whether
    /healthz answers once they are gone.

The last line is one summary:
webhook_abuse rss_before_mb=… rss_peak_mb=… rss_after_mb=… idle_cpu_s=… idle_log_bytes=… healthy_after=…
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
# The repository leads sys.path, not bench/: bench/secrets.py would shadow the standard library's secrets.
sys.path[:] = [str(REPO), *(p for p in sys.path if Path(p or ".").resolve() != REPO / "bench")]

from tests.fakes.gemini_api import FakeGemini  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402
from tests.support.harness import bot_env  # noqa: E402

SECRET = "bench-secret-token-0123456789"
PATH = "/hook"


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(port: int, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False


def big_post(port: int, size: int, results: list[str]) -> None:
    """POST `size` bytes with a wrong secret, streaming; record how it ended."""
    chunk = b"x" * (1024 * 1024)
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"X-Telegram-Bot-Api-Secret-Token: wrong\r\nContent-Length: {size}\r\n\r\n"
    ).encode()
    sent = 0
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            sock.sendall(head)
            while sent < size:
                sock.sendall(chunk[: min(len(chunk), size - sent)])
                sent += min(len(chunk), size - sent)
            answer = sock.recv(64).split(b"\r\n", 1)[0].decode()
    except OSError as exc:
        answer = f"connection ended ({type(exc).__name__})"
    results.append(f"{answer} after {sent / 1e6:.0f} MB sent")


def start(env: dict[str, str], cwd: Path, log: Path, nofile: int | None = None) -> subprocess.Popen[bytes]:
    def limit() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot"],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=limit,
        )


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=6)
    parser.add_argument("--mb", type=int, default=90)
    parser.add_argument("--idle", type=int, default=1100)
    parser.add_argument("--nofile", type=int, default=1024)
    args = parser.parse_args()
    with FakeTelegram() as telegram, FakeGemini() as gemini, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        port = free_port()
        env = bot_env(telegram, gemini, root / "data", LOG_LEVEL="INFO")
        env.update(
            WEBHOOK_URL=f"https://bot.example.com{PATH}",
            WEBHOOK_LISTEN="127.0.0.1",
            PORT=str(port),
            WEBHOOK_SECRET=SECRET,
        )

        # (a) huge bodies with a wrong secret
        proc = start(env, root, root / "a.log")
        try:
            assert healthy(port), (root / "a.log").read_text()[-2000:]
            time.sleep(1.0)
            before = status_kb(proc.pid, "VmRSS") / 1024
            results: list[str] = []
            threads = [
                threading.Thread(target=big_post, args=(port, args.mb * 1_000_000, results))
                for _ in range(args.posts)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            peak = status_kb(proc.pid, "VmHWM") / 1024
            after = status_kb(proc.pid, "VmRSS") / 1024
        finally:
            stop(proc)
        print(f"(a) {args.posts} x {args.mb} MB POSTs with a wrong secret: {sorted(set(results))}")
        print(f"    bot RSS before {before:.0f} MB, peak {peak:.0f} MB, after {after:.0f} MB")

        # (b) idle connections under a low descriptor limit
        log = root / "b.log"
        proc = start(env, root, log, nofile=args.nofile)
        idle: list[socket.socket] = []
        try:
            assert healthy(port), log.read_text()[-2000:]
            time.sleep(1.0)
            log_before, cpu_before = log.stat().st_size, cpu_seconds(proc.pid)
            for _ in range(args.idle):
                idle.append(socket.create_connection(("127.0.0.1", port)))
            time.sleep(10.0)
            idle_cpu = cpu_seconds(proc.pid) - cpu_before
            idle_log = log.stat().st_size - log_before
            for conn in idle:
                conn.close()
            idle.clear()
            back = healthy(port, 15)
        finally:
            for conn in idle:
                conn.close()
            stop(proc)
        print(
            f"(b) ulimit -n {args.nofile}, {args.idle} idle connections for 10 s: bot CPU {idle_cpu:.1f} s, "
            f"log {idle_log} bytes; /healthz answers after they close: {back}"
        )
        print(
            f"webhook_abuse rss_before_mb={before:.0f} rss_peak_mb={peak:.0f} rss_after_mb={after:.0f} "
            f"idle_cpu_s={idle_cpu:.1f} idle_log_bytes={idle_log} healthy_after={back}"
        )


if __name__ == "__main__":
    main()
