"""Run the real bot in-process against the fake servers, the way `run_polling` would."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.advisor.controls import MemoryControls
from bot.advisor.pipeline import Advisor
from bot.app import BotRuntime, Services
from bot.config import Settings
from bot.memory import MemoryItem
from bot.records import Usage, memory_user_id, utc_day
from bot.runtime.clock import Clock
from bot.telegram.ordering import PerChatOrderedProcessor
from bot.telegram.polling import Poller
from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram
from tests.support.chat import CHAT, say
from tests.support.clock import FakeClock
from tests.support.settings import make_settings

__all__ = ["CHAT", "BotProcess", "RunningBot", "StartBot", "add_memory", "make_settings", "say"]


class RunningBot:
    """The application started like `run_polling` does, and stopped like it on SIGTERM."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self._runtime: BotRuntime | None = None
        self.poller: Poller | None = None

    @property
    def runtime(self) -> BotRuntime:
        assert self._runtime is not None, "start() the bot first"
        return self._runtime

    @property
    def services(self) -> Services:
        return self.runtime.services

    @property
    def advisor(self) -> Advisor:
        return self.services.advisor

    @property
    def controls(self) -> MemoryControls:
        return self.services.controls

    async def usage(self, user_id: int) -> tuple[Usage, Usage]:
        """The user's usage today and this month (UTC), as /usage shows it."""
        day = utc_day()
        chats = self.services.store.chats
        return await chats.usage_since(user_id, day), await chats.usage_since(user_id, day[:8] + "01")

    @property
    def running(self) -> bool:
        return self.poller is not None

    async def start(self) -> RunningBot:
        self._runtime = await BotRuntime.open(self.settings, clock=self.clock)
        try:
            self.poller = await self._runtime.start_polling(poll_seconds=1)
        except BaseException:
            await self._runtime.close()
            raise
        return self

    async def settle(self, seconds: float = 30) -> None:
        """Apply every pending memory write (what the writer would do in the background)."""
        pending = await self.services.writer.drain(seconds)
        assert pending == 0, f"{pending} memory writes still pending"

    async def handled(self, timeout: float = 10) -> None:
        """Wait until every update received so far has been handled to the end: a reply is sent
        before its exchange is stored (`Advisor.answer(deliver=...)`), so seeing the reply is not
        enough to read the recent turns or the usage directly."""
        application = self.runtime.application
        processor = application.update_processor
        assert isinstance(processor, PerChatOrderedProcessor)
        async with asyncio.timeout(timeout):
            while application.update_queue.qsize() or processor.chats_in_flight:
                await asyncio.sleep(0.005)

    async def reminders_idle(self, timeout: float = 10) -> None:
        """Wait until the reminder scheduler has looked at the (fake) clock's time since it last
        moved and sleeps again, and no reminder is due any more (a delivery under way keeps its row
        due until Telegram's answer is recorded): whatever the moved clock made due has been sent
        by then, so a test can check that nothing more was."""
        clock = self.clock
        assert isinstance(clock, FakeClock), "start the bot with a FakeClock"
        reminders = self.services.store.reminders
        async with asyncio.timeout(timeout):
            while not (clock.asleep() and not await reminders.due(clock.now(), 1) and clock.asleep()):
                await asyncio.sleep(0.005)

    async def stop(self) -> None:
        """Stop like SIGTERM does; a stop that hangs fails with every pending task's stack."""
        self.poller = None
        try:
            async with asyncio.timeout(60):
                await self.runtime.close()
        except TimeoutError:
            current = asyncio.current_task()
            for task in asyncio.all_tasks():
                if task is not current:
                    task.print_stack(file=sys.stderr)
            raise AssertionError("the bot did not stop within 60 s; pending tasks above") from None


REPO = Path(__file__).resolve().parents[2]

StartBot = Callable[..., Awaitable[RunningBot]]


# --- the bot as a child process ---------------------------------------------------------------


async def add_memory(bot: RunningBot, chat_id: int, text: str, category: str | None = None) -> MemoryItem:
    """Store a memory directly through the bot's MemoryService (what extraction would do)."""
    metadata = {"categories": [category]} if category else {}
    [item] = await bot.services.memory.add(
        memory_user_id(chat_id), [{"role": "user", "content": text}], metadata=metadata, infer=False
    )
    return item


def bot_env(telegram: FakeTelegram, gemini: FakeGemini, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a `python -m bot` child process that talks to the fakes."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "GOOGLE_", "GEMINI_", "MEM0_"))
    }
    env.update(
        TELEGRAM_BOT_TOKEN=telegram.token,
        GOOGLE_API_KEY=gemini.api_key,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        GOOGLE_GEMINI_BASE_URL=gemini.base_url,
        DATA_DIR=str(data_dir),
        LOG_LEVEL="DEBUG",
        PYTHONPATH=str(REPO),
    )
    env.update(extra)
    return env


def run_cli(
    env: dict[str, str], cwd: Path, *args: str, input: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot <args>` to completion, `input` on its stdin, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=input,
        env={**env, "PYTHONPATH": str(REPO)},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class BotProcess:
    """`python -m bot` in the background, its output in a log file; stop() sends SIGTERM."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.log = cwd / f"bot-{time.monotonic_ns()}.log"
        self._file = self.log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            env={**env, "PYTHONPATH": str(REPO)},
            cwd=cwd,
            stdout=self._file,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._file.close()
        return self.proc.returncode

    def output(self) -> str:
        if not self._file.closed:
            self._file.flush()
        return self.log.read_text()
