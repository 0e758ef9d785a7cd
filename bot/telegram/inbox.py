"""The durable inbox: every update is stored (SQLite, through the store's inbox tables) before
Telegram is told it arrived, so no update is lost in a crash and none is handled twice.

The poller (bot/telegram/polling.py) records updates before the next getUpdates confirms them, the
webhook server (bot/telegram/webhook.py) before answering 200; the update processor
(bot/telegram/ordering.py) marks each one done once its handlers finished. At start, updates stored
but never finished are handled first. Ids already in the inbox are dropped (Telegram redelivers
whatever was not confirmed).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import Sequence
from typing import Any, Protocol

from telegram import Update
from telegram.ext import Application

from bot.advisor.safety import secret_reason
from bot.records import InboxUpdate
from bot.store import UpdateInbox

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
