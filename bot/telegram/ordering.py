"""Serve many chats at once while answering each chat's messages in the order they were sent."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable
from typing import Any, Protocol

from telegram import Update
from telegram.ext import BaseUpdateProcessor

logger = logging.getLogger(__name__)

#: The id of the update whose handlers run in this task (None outside of one).
current_update_id: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "current_update_id", default=None
)


class UpdateJournal(Protocol):
    """Told when an update's handlers are done (the durable inbox, which recorded it on arrival)."""

    async def end(self, update: object, *, failed: bool) -> None:
        """The handlers finished (or raised): the update will not be replayed."""


class PerChatOrderedProcessor(BaseUpdateProcessor):
    """Up to `max_running` updates at once, one at a time per chat, in arrival order.

    PTB's `concurrent_updates(True)` gives no per-chat order (121-161 of 200 chats answered out of order in a
    probe). An update
    waiting for its chat's previous one holds no running slot, so one busy chat never starves the
    others. Updates without a chat (e.g. inline queries) and the pictures of an album run
    unordered. With a `journal`, each update is reported when its handlers are done.
    """

    def __init__(
        self, max_running: int = 64, *, max_admitted: int = 4096, journal: UpdateJournal | None = None
    ) -> None:
        # PTB's own semaphore only bounds how many updates are admitted (running or waiting).
        super().__init__(max_admitted)
        self.max_running = max_running
        self._running = asyncio.Semaphore(max_running)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self.journal = journal

    @property
    def chats_in_flight(self) -> int:
        """How many chats have an update being handled or waiting its turn."""
        return len(self._waiting)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        # The pictures of an album are answered together by its first message's handler, which
        # waits for the others (bot/telegram/albums.py): they cannot queue behind it.
        album = isinstance(update, Update) and update.message is not None and update.message.media_group_id
        if chat is None or album:
            async with self._running:
                await self._run(update, coroutine)
            return
        key = chat.id
        # Taken in arrival order: asyncio.Lock wakes its waiters first in, first out.
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock, self._running:
                await self._run(update, coroutine)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                del self._locks[key]

    async def _run(self, update: object, coroutine: Awaitable[Any]) -> None:
        journal = self.journal
        failed = False
        token = current_update_id.set(update.update_id if isinstance(update, Update) else None)
        try:
            await coroutine
        except Exception:
            # PTB's process_update hands handler errors to the error handler; this is a last resort.
            logger.exception("update processing failed")
            failed = True
        finally:
            current_update_id.reset(token)
        # A cancelled update (shutdown) is not marked: it stays in the inbox and is replayed.
        if journal is not None:
            try:
                await journal.end(update, failed=failed)
            except Exception:
                logger.exception("could not mark an update as handled; it may be replayed")

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
