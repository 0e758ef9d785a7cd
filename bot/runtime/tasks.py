"""Background asyncio tasks: stopping one, and watching the ones the bot cannot live without.
(Every shutdown step runs even when an earlier one failed: bot/app.py's exit stack.)"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

logger = logging.getLogger(__name__)


class TaskDied(Exception):
    """A background task the bot cannot work without ended while the bot was running. Not a
    dependency's outage (`Unavailable`): the bot itself cannot go on, and stops (exit code 5)."""


async def cancel_and_wait(task: asyncio.Task[Any] | None, what: str = "") -> BaseException | None:
    """Cancel `task` (if any) and wait for it to finish. Its cancellation is not an error here, and
    an exception it had already died of is returned, not raised: stopping must go on. With `what`
    (e.g. "poller"), such a death is also logged as an error with its traceback."""
    if task is None:
        return None
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        try:
            await task
        except Exception as exc:
            if what:
                logger.error("the %s had died", what, exc_info=exc)
            return exc
    return None


async def supervise(stop: asyncio.Event, tasks: Mapping[str, asyncio.Task[Any] | None]) -> None:
    """Return once `stop` is set; raise `TaskDied` as soon as one of `tasks` ends before that."""
    watched = {task: name for name, task in tasks.items() if task is not None}
    stopping = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait([stopping, *watched], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    for task in done:
        if task in watched:
            raise TaskDied(f"the {watched[task]} task {_ending(task)}") from _cause(task)


def _ending(task: asyncio.Task[Any]) -> str:
    if task.cancelled():
        return "was cancelled"
    exc = task.exception()
    return "returned" if exc is None else f"died: {type(exc).__name__}"


def _cause(task: asyncio.Task[Any]) -> BaseException | None:
    return None if task.cancelled() else task.exception()
