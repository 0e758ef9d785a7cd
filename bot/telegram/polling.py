"""Long polling with a durable inbox (bot/telegram/inbox.py): no update is lost in a crash, none
is handled twice.

PTB's Updater confirms an update to Telegram (the next `offset`) as soon as it is queued, before a
handler has run, so a crash loses what was in flight. This poller stores every update in the
inbox *before* the next getUpdates confirms it, then hands it to the application.

Nothing one getUpdates answer or one update holds stops polling: a failed call (a proxy's HTML
page, a 5xx, a conflict, a bug) is logged and retried with backoff; an update whose content
cannot be stored (e.g. a lone surrogate SQLite cannot encode) is recorded as failed and confirmed;
a database that cannot be written holds the batch unconfirmed and is retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

from bot.runtime.tasks import cancel_and_wait
from bot.telegram.inbox import Inbox
from bot.telegram.sender import retry_after_seconds

logger = logging.getLogger(__name__)


class Poller:
    """getUpdates in a loop: store, then hand over, then confirm with the next call."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        inbox: Inbox,
        *,
        timeout: int = 10,
        allowed_updates: Sequence[str] | None = Update.ALL_TYPES,
        max_backoff: float = 30.0,
        heartbeat: Callable[[], None] | None = None,
    ) -> None:
        self._application = application
        self._inbox = inbox
        self._timeout = timeout
        self._allowed_updates = list(allowed_updates) if allowed_updates is not None else None
        self._max_backoff = max_backoff
        # Called at every turn of the loop (bot/runtime/heartbeat.py: `python -m bot health`).
        self._heartbeat = heartbeat or (lambda: None)
        self._offset: int | None = None
        self._task: asyncio.Task[None] | None = None
        #: Set when polling cannot go on (Telegram rejected the token).
        self.fatal: BaseException | None = None
        self.stopped = asyncio.Event()

    async def start(self) -> None:
        """Drop any webhook, requeue unfinished updates, then poll in the background."""
        await self._application.bot.delete_webhook(drop_pending_updates=False)
        await self._inbox.replay(self._application)
        self._task = asyncio.create_task(self._loop(), name="poller")

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The polling task (None before start and after stop), for a supervisor to watch."""
        return self._task

    async def stop(self) -> None:
        """Stop fetching; what is queued still gets handled by `Application.stop`."""
        await cancel_and_wait(self._task, "poller")
        self._task = None
        if self._offset is not None and self.fatal is None:
            # Confirm what is stored, so the next start is not handed it again (dedupe would skip it).
            with contextlib.suppress(TelegramError):
                await self._application.bot.get_updates(offset=self._offset, timeout=0, limit=1)

    async def _loop(self) -> None:
        failures = 0
        try:
            while True:
                self._heartbeat()
                try:
                    updates = await self._application.bot.get_updates(
                        offset=self._offset, timeout=self._timeout, allowed_updates=self._allowed_updates
                    )
                except InvalidToken as exc:
                    self.fatal = exc
                    return
                except RetryAfter as exc:
                    await asyncio.sleep(retry_after_seconds(exc))
                    continue
                except TimedOut:
                    continue
                except Exception as exc:  # whatever one answer brings, polling goes on
                    failures += 1
                    pause = self._backoff(failures)
                    logger.warning(
                        "getUpdates failed (%s); retrying in %.1fs",
                        _describe(exc),
                        pause,
                        exc_info=not isinstance(exc, TelegramError),
                    )
                    await asyncio.sleep(pause)
                    continue
                failures = 0
                if updates:
                    await self._accept(updates)
        finally:
            self.stopped.set()

    async def _accept(self, updates: Sequence[Update]) -> None:
        """Store the batch, then queue the new ones; the offset moves only once they are stored."""
        failures = 0
        while True:
            try:
                fresh = await self._inbox.record(updates)
                break
            except Exception as exc:  # the database is unavailable: hold the batch, retry
                failures += 1
                pause = self._backoff(failures)
                logger.error(
                    "cannot store incoming updates (%s); left unconfirmed at Telegram, retrying in %.1fs",
                    _describe(exc),
                    pause,
                    exc_info=not isinstance(exc, sqlite3.Error | OSError),
                )
                await asyncio.sleep(pause)
        self._offset = max(u.update_id for u in updates) + 1
        for update in fresh:
            await self._application.update_queue.put(update)
        if len(fresh) < len(updates):
            logger.info("%d duplicate or unstorable updates not queued", len(updates) - len(fresh))

    def _backoff(self, failures: int) -> float:
        return min(self._max_backoff, 0.5 * 2.0 ** min(failures, 10))


def _describe(exc: BaseException) -> str:
    """An error for the log: messages of Telegram, SQLite and the OS, only the type of others
    (whose message might quote an update's text)."""
    if isinstance(exc, TelegramError | sqlite3.Error | OSError):
        return f"{type(exc).__name__}: {exc}"
    return type(exc).__name__
