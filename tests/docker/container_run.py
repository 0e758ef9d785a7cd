"""`make docker-test`, second half (deploy/docker-test.sh builds the images first): the bot's image
run with podman against the fake Telegram and Gemini servers of tests/fakes, for real.

The fakes listen on 127.0.0.1 only; the containers share the host's network namespace
(`--network host`), so they reach the fakes on loopback and PostgreSQL listens on 127.0.0.1 too.
Nothing is published on another address. For each memory store (the embedded SQLite one in a
named volume; PostgreSQL with pgvector in a container of its own) it checks, in order:

1. the container starts and answers a first message (time to first answer printed);
2. the image's HEALTHCHECK (`python -m bot health`) passes while it runs;
3. a fact said in the message is remembered (`/memories` lists it);
4. `podman stop` (SIGTERM, 10 s before SIGKILL) ends it with exit code 0 while an answer is in
   flight, and that answer still arrives; the stop time is printed;
5. after a restart (and with PostgreSQL, a restart of the database too) the memory is still
   there and recalled into the model's prompt;
6. no log line holds the token or the API key.

The `postgres` profile of compose.yaml is reproduced by hand with the same image, variables,
volume and health check (`pg_isready`), since Debian's podman-compose (1.0.3) knows no profiles and
compose's own network would not reach the fakes on the host's loopback: the bot container starts
only once `pg_isready` passes, as `depends_on: condition: service_healthy` does.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram

CHAT = 4242
FACT = "I have a bad left knee, so no jumping for me."
STOP_LIMIT_SECONDS = 10.0  # Docker's default before SIGKILL
# The README's restore, in the bot's image as root: empty the volume, unpack the backup.
RESTORE = "find /data -mindepth 1 -delete && tar xzf /backup/bot-data.tgz -C /data"


class Failed(Exception):
    """A check of the container run failed; the message says which and what was seen."""


@dataclass
class Podman:
    command: list[str]
    started: list[str] = field(default_factory=list)  # containers and volumes to remove at the end

    def run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*self.command, *args], capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            what = shlex.join(args[:2])
            raise Failed(f"podman {what} failed ({result.returncode}): {result.stderr.strip()}")
        return result

    async def arun(
        self, *args: str, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(self.run, *args, check=check, timeout=timeout)

    def cleanup(self) -> None:
        for name in reversed(self.started):
            kind = "volume" if name.startswith("vol:") else "container"
            self.run(kind, "rm", "--force", name.removeprefix("vol:"), check=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def say(telegram: FakeTelegram, text: str, timeout: float = 60) -> str:
    """Send `text` as the user; return the bot's next message to that chat."""
    before = len(telegram.sent(CHAT))
    telegram.send_text(CHAT, text)
    messages = await telegram.wait_for_messages(CHAT, before + 1, timeout=timeout)
    return str(messages[before].get("text", ""))


async def wait_for_poll(telegram: FakeTelegram, polls_before: int, timeout: float = 90) -> None:
    """Until the bot's poller called getUpdates more often than `polls_before` (it is serving)."""
    deadline = time.monotonic() + timeout
    while len(telegram.calls("getUpdates")) <= polls_before:
        if time.monotonic() > deadline:
            raise Failed("the bot did not start polling")
        await asyncio.sleep(0.1)


async def remembered(telegram: FakeTelegram, word: str, timeout: float = 90) -> str:
    """`/memories` until it lists `word` (a memory is written after the reply is sent)."""
    deadline = time.monotonic() + timeout
    while True:
        listing = await say(telegram, "/memories")
        if word in listing:
            return listing
        if time.monotonic() > deadline:
            raise Failed(f"/memories never listed {word!r}; last answer: {listing!r}")
        await asyncio.sleep(2)


@dataclass
class Scenario:
    podman: Podman
    image: str
    telegram: FakeTelegram
    gemini: FakeGemini
    store: str  # "sqlite" or "postgres"
    env: dict[str, str]
    tag: str = field(default_factory=lambda: secrets.token_hex(4))

    @property
    def name(self) -> str:
        return f"advisor-test-{self.store}-{self.tag}"

    async def start_bot(self) -> None:
        env_args = [arg for key, value in self.env.items() for arg in ("--env", f"{key}={value}")]
        await self.podman.arun(
            # no timer for the image's HEALTHCHECK (podman schedules it with systemd, absent here):
            # healthy() runs it on demand with `podman healthcheck run`
            "run", "--detach", "--name", self.name, "--network", "host", "--health-interval", "disable",
            "--volume", f"advisor-test-data-{self.tag}:/data", *env_args, self.image,
        )  # fmt: skip
        if self.name not in self.podman.started:
            self.podman.started += [f"vol:advisor-test-data-{self.tag}", self.name]

    async def stop_bot(self) -> tuple[int, float]:
        """`podman stop` (SIGTERM, SIGKILL after 10 s): (exit code, seconds it took)."""
        began = time.monotonic()
        await self.podman.arun("stop", "--time", str(int(STOP_LIMIT_SECONDS)), self.name, timeout=60)
        took = time.monotonic() - began
        code = (await self.podman.arun("inspect", "--format", "{{.State.ExitCode}}", self.name)).stdout
        return int(code.strip()), took

    async def healthy(self) -> str:
        result = await self.podman.arun("healthcheck", "run", self.name, check=False)
        if result.returncode != 0:
            raise Failed(f"HEALTHCHECK failed: {result.stdout.strip()} {result.stderr.strip()}")
        return "healthy"

    async def logs(self) -> str:
        result = await self.podman.arun("logs", self.name)
        return result.stdout + result.stderr


async def first_run(s: Scenario) -> None:
    polls = len(s.telegram.calls("getUpdates"))
    began = time.monotonic()
    await s.start_bot()
    await wait_for_poll(s.telegram, polls)
    serving = time.monotonic() - began
    asked = time.monotonic()
    answer = await say(s.telegram, FACT)
    answered = time.monotonic()
    if not answer.startswith("Coach says:"):
        raise Failed(f"unexpected first answer: {answer!r}")
    print(
        f"[{s.store}] time to first answer: {answered - began:.1f} s from `podman run` "
        f"(polling after {serving:.1f} s; the answer {answered - asked:.1f} s after the message, "
        f"with {s.gemini.latency:.1f} s of model latency)"
    )
    print(f"[{s.store}] HEALTHCHECK while running: {await s.healthy()}")
    listing = await remembered(s.telegram, "knee")
    print(f"[{s.store}] remembered: {listing.splitlines()[0]!r} ... lists 'knee'")


async def stop_with_answer_in_flight(s: Scenario) -> None:
    """SIGTERM while Gemini is still writing an answer: the answer is sent, then exit 0 in time."""
    chats = len(s.gemini.chat_requests())
    sent = len(s.telegram.sent(CHAT))
    s.telegram.send_text(CHAT, "Which warm-up should I do before rowing?")
    await s.gemini.wait_for_requests("chat", chats + 1, timeout=60)
    code, took = await s.stop_bot()
    after = s.telegram.texts(CHAT)[sent:]
    print(f"[{s.store}] podman stop with an answer in flight: exit code {code} after {took:.1f} s")
    if code != 0:
        raise Failed(f"exit code {code} on SIGTERM; logs:\n{await s.logs()}")
    if took >= STOP_LIMIT_SECONDS:
        raise Failed(f"the stop took {took:.1f} s: Docker would have sent SIGKILL")
    if not any("warm-up" in text for text in after):
        raise Failed(f"the answer in flight was not sent before the exit: {after!r}")


async def after_restart(s: Scenario) -> None:
    polls = len(s.telegram.calls("getUpdates"))
    await s.podman.arun("start", s.name)
    await wait_for_poll(s.telegram, polls)
    listing = await say(s.telegram, "/memories")
    if "knee" not in listing:
        raise Failed(f"after the restart /memories lost the memory: {listing!r}")
    await say(s.telegram, "/new")  # the earlier turns leave the prompt: only long-term memory is left
    chats = len(s.gemini.chat_requests())
    await say(s.telegram, "What can I do about my left knee?")
    prompt = s.gemini.chat_requests()[chats].prompt()
    if "bad left knee" not in prompt:
        raise Failed(
            f"after the restart the memory was not recalled into the prompt:\n{listing}\n---\n{prompt}"
        )
    print(f"[{s.store}] after a restart: /memories still lists 'knee', and it is recalled into the prompt")
    await s.healthy()
    code, took = await s.stop_bot()
    print(f"[{s.store}] podman stop when idle: exit code {code} after {took:.1f} s")
    if code != 0 or took >= STOP_LIMIT_SECONDS:
        raise Failed(f"unclean stop: exit code {code} after {took:.1f} s")
    logs = await s.logs()
    for secret in (s.telegram.token, s.gemini.api_key):
        if secret in logs:
            raise Failed("a secret reached the container's log")
    print(f"[{s.store}] the logs ({len(logs.splitlines())} lines) hold neither the token nor the API key")


async def backup_and_restore(s: Scenario) -> None:
    """The README's back-up and restore of the bot's volume (as root in the bot's own image, the
    bot stopped), restored into a new volume: a bot started on it still knows the memory."""
    backup = tempfile.mkdtemp(prefix="advisor-backup-")
    try:
        mounts = ["--rm", "--user", "root", "--network", "none", "--no-healthcheck"]
        await s.podman.arun(
            "run", *mounts, "--volume", f"advisor-test-data-{s.tag}:/data", "--volume", f"{backup}:/backup",
            "--entrypoint", "tar", s.image, "czf", "/backup/bot-data.tgz", "-C", "/data", ".",
        )  # fmt: skip
        size = (Path(backup) / "bot-data.tgz").stat().st_size
        s.tag = f"{s.tag}r"  # a new container on a new, empty volume
        s.podman.started.append(f"vol:advisor-test-data-{s.tag}")
        await s.podman.arun(
            "run", *mounts, "--volume", f"advisor-test-data-{s.tag}:/data", "--volume", f"{backup}:/backup",
            "--entrypoint", "sh", s.image, "-c", RESTORE,
        )  # fmt: skip
    finally:
        shutil.rmtree(backup, ignore_errors=True)
    polls = len(s.telegram.calls("getUpdates"))
    await s.start_bot()
    await wait_for_poll(s.telegram, polls)
    listing = await say(s.telegram, "/memories")
    if "knee" not in listing:
        raise Failed(f"the restored volume lost the memory: {listing!r}")
    code, _ = await s.stop_bot()
    if code != 0:
        raise Failed(f"the bot on the restored volume exited with {code}")
    print(
        f"[{s.store}] backed up the volume ({size / 1e3:.0f} kB) and restored it into a new one: memory kept"
    )


async def start_postgres(podman: Podman, image: str, tag: str, password: str, port: int) -> str:
    """The compose file's postgres service by hand; returns when `pg_isready` passes (the check
    compose runs before it starts the bot)."""
    name = f"advisor-test-pg-{tag}"
    podman.started += [f"vol:advisor-test-pg-{tag}", name]
    await podman.arun(
        "run", "--detach", "--name", name, "--network", "host",
        "--volume", f"advisor-test-pg-{tag}:/var/lib/postgresql/data",
        "--env", "POSTGRES_USER=advisor", "--env", "POSTGRES_DB=advisor",
        "--env", f"POSTGRES_PASSWORD={password}", "--env", f"PGPORT={port}",
        image, "postgres", "-c", "listen_addresses=127.0.0.1",
    )  # fmt: skip
    await pg_ready(podman, name, port)
    return name


async def pg_ready(podman: Podman, name: str, port: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        ready = ("exec", name, "pg_isready", "-h", "127.0.0.1", "-p", str(port), "-U", "advisor")
        if (await podman.arun(*ready, check=False)).returncode == 0:
            return
        if time.monotonic() > deadline:
            logs = (await podman.arun("logs", name, check=False)).stderr
            raise Failed(f"PostgreSQL never became ready:\n{logs}")
        await asyncio.sleep(0.5)


async def rows_in_postgres(podman: Podman, name: str, port: int) -> int:
    query = "SELECT count(*) FROM memories"
    result = await podman.arun(
        "exec", name, "psql", "--no-psqlrc", "-p", str(port),  # the local socket: no password
        "-U", "advisor", "-d", "advisor", "-tAc", query,
    )  # fmt: skip
    return int(result.stdout.strip())


async def scenario(podman: Podman, args: argparse.Namespace, store: str) -> None:
    with FakeTelegram() as telegram, FakeGemini() as gemini:
        # A model as slow as a real one (COMMON.md: fakes must not flatter).
        gemini.latency, gemini.embed_latency = 1.0, 0.2
        env = {
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "GOOGLE_API_KEY": gemini.api_key,
            "TELEGRAM_API_BASE_URL": telegram.base_url,
            "GOOGLE_GEMINI_BASE_URL": gemini.base_url,
            "LOG_LEVEL": "INFO",
        }
        s = Scenario(podman, args.image, telegram, gemini, store, env)
        pg_name, pg_port = "", 0
        if store == "postgres":
            password, pg_port = secrets.token_urlsafe(12), free_port()
            began = time.monotonic()
            pg_name = await start_postgres(podman, args.postgres_image, s.tag, password, pg_port)
            print(f"[postgres] PostgreSQL ready (pg_isready) after {time.monotonic() - began:.1f} s")
            env["VECTOR_STORE_URL"] = f"postgresql://advisor:{password}@127.0.0.1:{pg_port}/advisor"
        await first_run(s)
        if store == "postgres":
            rows = await rows_in_postgres(podman, pg_name, pg_port)
            print(f"[postgres] rows in PostgreSQL's memories table: {rows}")
            if rows < 1:
                raise Failed("the memory is not in PostgreSQL")
        await stop_with_answer_in_flight(s)
        if store == "postgres":
            await podman.arun("restart", "--time", "10", pg_name)
            await pg_ready(podman, pg_name, pg_port)
            print("[postgres] PostgreSQL restarted on its volume")
        await after_restart(s)
        if store == "sqlite":
            await backup_and_restore(s)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--image", required=True)
    parser.add_argument("--postgres-image", required=True)
    parser.add_argument("--podman", default="podman --runtime runc")
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args(argv)
    podman = Podman(shlex.split(args.podman))
    try:
        for store in args.stores.split(","):
            await scenario(podman, args, store)
    except Failed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        podman.cleanup()
    print("docker-test: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
