"""Long polling with a durable inbox: no update is lost in a crash, none is handled twice.

PTB's Updater confirms an update to Telegram (the next `offset`) as soon as it is queued, before a
handler has run, so a crash loses what was in flight. This poller stores every update in the
SQLite inbox *before* the next getUpdates confirms it, hands it to the application, and the
update processor (bot/telegram/ordering.py) marks it done once its handlers finished. At start, updates
stored but never finished are handled first. Ids already in the inbox are dropped (Telegram
redelivers whatever was not confirmed).

Nothing one getUpdates answer or one update holds stops polling: a failed call (a proxy's HTML
page, a 5xx, a conflict, a bug) is logged and retried with backoff; an update whose content
cannot be stored (e.g. a lone surrogate SQLite cannot encode) is recorded as failed and confirmed;
a database that cannot be written holds the batch unconfirmed and is retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Sequence
from typing import Any, Protocol

from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

from bot.advisor.safety import secret_reason
from bot.records import InboxUpdate
from bot.runtime.tasks import cancel_and_wait
from bot.store import UpdateInbox
from bot.telegram.sender import retry_after_seconds

logger = logging.getLogger(__name__)

# Handled ids are kept this long for dedupe; Telegram picks new ids at random after a week of quiet.
DEDUPE_SECONDS = 2 * 24 * 3600
# An update that was in flight this many times when the process died is skipped (a poison update).
MAX_ATTEMPTS = 3
# What storing one update raises when its content is the problem (a lone surrogate, a huge
# integer), as opposed to the database being unavailable (sqlite3.OperationalError, OSError).
UNSTORABLE = (
    ValueError,  # UnicodeEncodeError among them
    TypeError,
    OverflowError,
    RecursionError,
    sqlite3.DataError,
    sqlite3.IntegrityError,
    sqlite3.InterfaceError,
)


class UpdateSource(Protocol):
    """Where updates come from (the poller, or the webhook server): started by the composition
    root, which stops it first at shutdown. `stopped` is set when it ends by itself, `fatal` says
    why when it cannot go on."""

    stopped: asyncio.Event
    fatal: BaseException | None

    async def stop(self) -> None: ...


class Inbox:
    """The durable inbox, and the update processor's journal (bot/telegram/ordering.UpdateJournal).

    The poller records updates before confirming them to Telegram, the webhook server before
    answering 200 (`record`); the processor reports when each one begins and ends.
    """

    def __init__(self, store: UpdateInbox, *, max_attempts: int = MAX_ATTEMPTS) -> None:
        self._store = store
        self._max_attempts = max_attempts
        self._answered: set[int] = set()
        # Updates whose text holds a secret: once handled, the WAL is emptied so the stored text
        # leaves every file (the row alone is blanked; its old page would stay in the WAL).
        self._secret: set[int] = set()

    async def record(self, updates: Sequence[Update]) -> list[Update]:
        """Store the updates durably; return those not seen before, in order. An update that
        cannot be stored is recorded as failed (never handled); an unavailable database raises."""
        rows: list[tuple[Update, InboxUpdate]] = []
        for update in updates:
            try:
                rows.append((update, _row(update)))
            except UNSTORABLE as exc:
                await self._unstorable(update, exc)
        try:
            fresh = set(await self._store.record_updates([row for _, row in rows]))
        except UNSTORABLE:  # SQLite refused one of them: store them one by one to find it
            fresh = set()
            for update, row in rows:
                try:
                    fresh.update(await self._store.record_updates([row]))
                except UNSTORABLE as exc:
                    await self._unstorable(update, exc)
        new: list[Update] = []
        for update in updates:
            if update.update_id in fresh:
                fresh.discard(update.update_id)  # the same id twice in one batch counts once
                new.append(update)
                if _holds_secret(update):
                    self._secret.add(update.update_id)
        return new

    async def _unstorable(self, update: Update, exc: BaseException) -> None:
        logger.error(
            "update %d cannot be stored (%s); recorded as failed, not handled",
            update.update_id,
            type(exc).__name__,
        )
        chat = update.effective_chat
        await self._store.record_failed_update(update.update_id, chat.id if chat else None)

    async def replay(self, application: Application[Any, Any, Any, Any, Any, Any]) -> int:
        """Queue the updates a previous run stored but never finished; return how many."""
        await self._store.prune_inbox(time.time() - DEDUPE_SECONDS)
        pending = await self._store.unfinished_updates()
        if not pending:
            return 0
        poison = [p for p in pending if p.attempts >= self._max_attempts]
        for update in poison:
            logger.error(
                "update %d was in flight in %d runs that died; skipping it", update.update_id, update.attempts
            )
            await self._store.finish_update(update.update_id, failed=True, scrub=True)
        retry = [p for p in pending if p.attempts < self._max_attempts]
        await self._store.count_update_attempts([p.update_id for p in retry])
        logger.info("%d updates were not finished before the last stop; handling them now", len(retry))
        queued = 0
        for row in retry:
            try:
                stored = Update.de_json(json.loads(row.payload), application.bot)
            except Exception as exc:
                logger.error(
                    "stored update %d cannot be read (%s); skipped", row.update_id, type(exc).__name__
                )
                await self._store.finish_update(row.update_id, failed=True, scrub=True)
                continue
            if _holds_secret(stored):
                self._secret.add(row.update_id)
            await application.update_queue.put(stored)
            queued += 1
        return queued

    async def answered(self, update_id: int) -> None:
        """A reply to the update reached Telegram: never replay it, even if we die right now."""
        if update_id not in self._answered:
            self._answered.add(update_id)
            await self._store.finish_update(update_id, scrub=update_id in self._secret)
            logger.debug("update %d answered", update_id)

    async def end(self, update: object, *, failed: bool) -> None:
        if isinstance(update, Update):
            scrub = update.update_id in self._secret
            self._secret.discard(update.update_id)
            if update.update_id in self._answered:
                self._answered.discard(update.update_id)
                return
            await self._store.finish_update(update.update_id, failed=failed, scrub=scrub)


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
    ) -> None:
        self._application = application
        self._inbox = inbox
        self._timeout = timeout
        self._allowed_updates = list(allowed_updates) if allowed_updates is not None else None
        self._max_backoff = max_backoff
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


def _holds_secret(update: Update) -> bool:
    message = update.effective_message
    text = (message.text or message.caption or "") if message else ""
    return bool(text) and secret_reason(text) is not None


def _row(update: Update) -> InboxUpdate:
    """The inbox row of an update; raises one of UNSTORABLE when SQLite could not store it."""
    chat = update.effective_chat
    payload = json.dumps(update.to_dict(), ensure_ascii=False, separators=(",", ":"))
    payload.encode()  # what SQLite does with it: a lone surrogate raises UnicodeEncodeError here
    return InboxUpdate(update.update_id, chat.id if chat else None, payload)


def _describe(exc: BaseException) -> str:
    """An error for the log: messages of Telegram, SQLite and the OS, only the type of others
    (whose message might quote an update's text)."""
    if isinstance(exc, TelegramError | sqlite3.Error | OSError):
        return f"{type(exc).__name__}: {exc}"
    return type(exc).__name__
