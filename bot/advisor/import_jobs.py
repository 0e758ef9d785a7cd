"""Reading a ChatGPT or Claude export in the background: one task per job, resumed after a restart,
cancellable, its progress shown in one message the Telegram side edits in place.

The file is never stored: a job keeps its Telegram file id (bot/store/import_tables.py) and downloads the
file again when it resumes. Conversations are read newest first in batches (one extraction call
each, `ahead` calls at once); batches are applied in order and each one's progress is recorded
with it, so a crash redoes at most the batches in flight (an exact duplicate is never added twice).
A failing model or memory store pauses the job and retries; other chats are not held up: the
extraction calls run beside the replies, and the user's writer lock is held only while applying.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from bot.advisor.extraction import Fact
from bot.advisor.import_formats import Conversation, Conversations, ImportRejected, read_upload_apart
from bot.advisor.importer import Importer, batch_text, batches
from bot.errors import RateLimited, Unavailable
from bot.llm import LLMBadOutput
from bot.runtime.tasks import cancel_and_wait
from bot.store.import_tables import ImportJob, ImportJobs, ImportState

logger = logging.getLogger(__name__)

# A file id → the file's bytes (in memory); raises Unavailable when it cannot be downloaded.
Fetch = Callable[[str], Awaitable[bytes]]
# Show the job's state to the person (send or edit its message); returns the message id, if any.
Progress = Callable[[ImportJob], Awaitable[int | None]]

BAD_ANSWERS_SKIPPED = 3  # unusable model answers about one batch before it is skipped


class ImportRunner:
    def __init__(
        self,
        jobs: ImportJobs,
        importer: Importer,
        *,
        fetch: Fetch,
        progress: Progress,
        ahead: int = 4,
        retry_seconds: float = 5.0,
        max_retry_seconds: float = 300.0,
        edit_interval: float = 3.0,
    ) -> None:
        self._jobs = jobs
        self._importer = importer
        self._fetch = fetch
        self._progress = progress
        self._ahead = max(1, ahead)
        self._retry = retry_seconds
        self._max_retry = max_retry_seconds
        self._edit_interval = edit_interval
        self._tasks: dict[int, asyncio.Task[None]] = {}

    @property
    def jobs(self) -> ImportJobs:
        return self._jobs

    async def resume(self) -> int:
        """Start again every job a stop or a crash interrupted; return how many."""
        running = await self._jobs.running()
        for job in running:
            self._spawn(job.id)
        if running:
            logger.info("%d imports resumed", len(running))
        return len(running)

    async def begin(self, job_id: int, message_id: int | None) -> bool:
        """The person said go: read the job in the background. False when it was not waiting."""
        if not await self._jobs.start(job_id, message_id):
            return False
        self._spawn(job_id)
        return True

    async def cancel(self, job_id: int) -> ImportJob | None:
        """Stop a job (what it stored so far stays); the job as it ended, None if it had ended."""
        await cancel_and_wait(self._tasks.pop(job_id, None), "import")
        if not await self._jobs.finish(job_id, "cancelled"):
            return None
        job = await self._jobs.get(job_id)
        if job is not None and job.message_id is not None:
            await self._show(job)
        return job

    async def forget_chat(self, chat_id: int) -> None:
        """Stop the chat's jobs and delete them (its /forget): nothing lands after the erasure."""
        for job_id, task in list(self._tasks.items()):
            job = await self._jobs.get(job_id)
            if job is None or job.chat_id == chat_id:
                self._tasks.pop(job_id, None)
                await cancel_and_wait(task, "import")
        await self._jobs.forget_chat(chat_id)

    async def stop(self) -> None:
        """Stop every task; running jobs stay 'running' and resume at the next start."""
        for job_id in list(self._tasks):
            await cancel_and_wait(self._tasks.pop(job_id, None), "import")

    def _spawn(self, job_id: int) -> None:
        if job_id in self._tasks and not self._tasks[job_id].done():
            return
        task = asyncio.create_task(self._run(job_id), name=f"import-{job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda done: self._finished(job_id, done))

    def _finished(self, job_id: int, task: asyncio.Task[None]) -> None:
        if self._tasks.get(job_id) is task:
            del self._tasks[job_id]
        if not task.cancelled() and task.exception() is not None:
            logger.error("import %d failed", job_id, exc_info=task.exception())

    async def _run(self, job_id: int) -> None:
        job = await self._jobs.get(job_id)
        if job is None or job.state != "running":
            return
        conversations = await self._conversations(job)
        if conversations is None:
            await self._end(job, "failed")
            return
        job = await self._read(job, conversations.items[: job.total])
        if job is not None:
            await self._end(job, "done")

    async def _conversations(self, job: ImportJob) -> Conversations | None:
        """The job's file downloaded again and read (off the event loop); None when it cannot be."""
        for attempt in range(3):
            try:
                data = await self._fetch(job.file_id)
                upload = await read_upload_apart(data)
            except Unavailable:
                logger.warning("import %d: download attempt %d failed", job.id, attempt + 1)
                await asyncio.sleep(self._retry * 2**attempt)
                continue
            except ImportRejected:
                logger.warning("import %d: the file can no longer be read", job.id)
                return None
            return upload if isinstance(upload, Conversations) else None
        return None

    async def _read(self, job: ImportJob, items: Sequence[Conversation]) -> ImportJob | None:
        """Read the conversations from `job.done` on; the job after the last batch, None when it
        ended otherwise (memory turned off, the job gone)."""
        user_id = await self._importer.user_id(job.chat_id)
        ranges = batches(items, job.done)
        pending: list[asyncio.Task[tuple[list[Fact], int, int]]] = []
        last_shown = 0.0
        try:
            for index, (start, end) in enumerate(ranges):
                while len(pending) < self._ahead and index + len(pending) < len(ranges):
                    first, last = ranges[index + len(pending)]
                    pending.append(asyncio.create_task(self._extract(user_id, items[first:last])))
                facts, prompt_tokens, output_tokens = await pending.pop(0)
                said_at = datetime.fromtimestamp(max(c.updated for c in items[start:end]), UTC)
                try:
                    changed = await self._importer.apply_facts(
                        job.chat_id, facts, source=job.source, said_at=said_at
                    )
                except ImportRejected:  # memory was turned off meanwhile
                    await self._end(job, "cancelled")
                    return None
                await self._importer.count_tokens(job.asker, prompt_tokens, output_tokens)
                await self._jobs.advance(
                    job.id, done=end, facts=changed, tokens=prompt_tokens + output_tokens
                )
                current = await self._jobs.get(job.id)
                if current is None or current.state != "running":
                    return None
                job = current
                if time.monotonic() - last_shown >= self._edit_interval and end < len(items):
                    last_shown = time.monotonic()
                    await self._show(job)
        finally:
            for task in pending:
                task.cancel()
        return job

    async def _extract(self, user_id: str, items: Sequence[Conversation]) -> tuple[list[Fact], int, int]:
        """One batch's facts and tokens, retried while the model or the store is down (a 429
        waits as asked); a batch whose answers stay unusable gives no facts."""
        today = datetime.fromtimestamp(max(c.updated for c in items) or time.time(), UTC).date()
        bad = failures = 0
        while True:
            try:
                return await self._importer.read_batch(user_id, batch_text(items), today=today)
            except LLMBadOutput:
                bad += 1
                if bad >= BAD_ANSWERS_SKIPPED:
                    logger.warning("import: a batch skipped, the model's answers stayed unusable")
                    return [], 0, 0
                delay = self._retry
            except RateLimited as exc:
                delay = exc.retry_after if exc.retry_after is not None else self._retry
            except Unavailable as exc:
                failures += 1
                delay = min(self._max_retry, self._retry * 2 ** min(failures, 10))
                logger.warning("import: extraction failed (%s), retrying in %.0fs", exc, delay)
            await asyncio.sleep(delay)

    async def _end(self, job: ImportJob, state: ImportState) -> None:
        if await self._jobs.finish(job.id, state):
            ended = await self._jobs.get(job.id)
            if ended is not None:
                await self._show(ended)

    async def _show(self, job: ImportJob) -> None:
        try:
            message_id = await self._progress(job)
        except Exception:  # a progress message that cannot be shown never stops the import
            logger.warning("import %d: progress not shown", job.id, exc_info=True)
            return
        if message_id is not None and message_id != job.message_id:
            await self._jobs.set_message(job.id, message_id)
