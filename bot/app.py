"""Composition root: opens the adapters and the advisor, builds the Telegram side around them,
and runs it (long polling or webhook) until stopped."""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
from contextlib import AsyncExitStack
from dataclasses import dataclass

from telegram import LinkPreviewOptions, Update
from telegram.ext import ApplicationBuilder, ContextTypes, Defaults, ExtBot

from bot.advisor.controls import MemoryControls
from bot.advisor.erasures import Erasures
from bot.advisor.extraction import Extractor
from bot.advisor.import_jobs import ImportRunner
from bot.advisor.importer import Importer
from bot.advisor.incognito import IncognitoTurns
from bot.advisor.media_notes import PhotoNotes
from bot.advisor.memory_writer import MemoryWriter, OnChanged
from bot.advisor.pipeline import Advisor
from bot.advisor.prompts import load_persona
from bot.advisor.recall import Recaller
from bot.config import Settings
from bot.errors import Unavailable
from bot.followup.checkins import IntentReader, QuietHours
from bot.followup.model_reading import TimeReader
from bot.followup.restore import restore_reminders
from bot.followup.scheduler import Scheduler
from bot.followup.service import Followup, chat_words
from bot.llm import GeminiChat, GeminiEmbedder
from bot.memory import MemoryService, open_memory
from bot.runtime.clock import Clock, SystemClock
from bot.runtime.collector import settle_after_start
from bot.runtime.heartbeat import Heartbeat
from bot.runtime.lock import claim_data_dir
from bot.runtime.tasks import TaskDied, supervise
from bot.store import Store
from bot.telegram import handlers
from bot.telegram.albums import Albums
from bot.telegram.attachments import MediaDeps, MediaDownloader
from bot.telegram.handlers.context import AdvisorApplication, BotContext, HandlerDeps
from bot.telegram.http_server import ConnectionLimits
from bot.telegram.import_progress import ImportProgress
from bot.telegram.inbox import Inbox, UpdateSource
from bot.telegram.ordering import PerChatOrderedProcessor
from bot.telegram.outreach import Outreach
from bot.telegram.polling import Poller
from bot.telegram.rate_limit import RateLimiter
from bot.telegram.receipts import mark_remembered
from bot.telegram.sender import Sender
from bot.telegram.transport import AiohttpRequest
from bot.telegram.webhook import WebhookServer, webhook_server

logger = logging.getLogger(__name__)
# Memories a write shows the extractor (the first of the recall's own search; see RelatedSearch).
RELATED_MEMORIES = 10


@dataclass(frozen=True, slots=True)
class Services:
    """Everything the advisor needs, opened together onto one exit stack (which closes them)."""

    store: Store
    memory: MemoryService
    writer: MemoryWriter
    photo_notes: PhotoNotes  # pictures' descriptions for memory, in flight after their reply
    llm: GeminiChat  # the chat model's client (also the follow-up reader's)
    advisor: Advisor
    controls: MemoryControls
    extractor: Extractor  # also /import's (bot/advisor/importer.py)

    @classmethod
    async def open(
        cls, settings: Settings, stack: AsyncExitStack, *, on_memory_changed: OnChanged | None = None
    ) -> Services:
        """Open everything, holding DATA_DIR's lock (one process per DATA_DIR: DataDirError if
        not). Each close goes onto `stack` as soon as its resource exists, so closing the stack
        closes them in the reverse order, every step even after one failed: descriptions in flight
        and the memory writer first (they write through the rest), the lock last.

        `on_memory_changed(chat id, message id)` hears of each message that changed memory.
        """
        stack.callback(claim_data_dir(settings.data_dir).release)
        persona = settings.persona or load_persona(settings.persona_file)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = await Store.open(settings.db_path)
        stack.push_async_callback(store.close)
        embedder = _embedder(settings)  # Mem0's embeddings on the event loop, not on threads
        stack.push_async_callback(embedder.close)
        memory = await open_memory(settings, embed=embedder.embed)
        stack.push_async_callback(memory.close)
        llm, memory_llm = _gemini_clients(settings)
        stack.push_async_callback(memory_llm.close)
        stack.push_async_callback(llm.close)
        extractor = Extractor(memory_llm, model=settings.memory_model, attempts=settings.llm_max_attempts)
        recaller = Recaller(memory, top_k=settings.memory_top_k, min_score=settings.memory_min_score)
        writer = MemoryWriter(
            store.outbox,
            store.chats,
            memory,
            extractor,
            max_memories=settings.memory_max_per_user,
            concurrency=settings.memory_write_concurrency,
            related=recaller.related_search(RELATED_MEMORIES),
            on_changed=on_memory_changed,
        )
        photo_notes = PhotoNotes(llm, writer, model=settings.memory_model, attempts=settings.llm_max_attempts)
        stack.push_async_callback(writer.stop)
        stack.push_async_callback(photo_notes.close)
        advisor, controls = _advisor_and_controls(
            settings, persona, store, memory, recaller, llm, writer, photo_notes
        )
        await _resume(store, writer, controls)
        logger.info("services ready: memory backend %s, chat model %s", memory.backend, settings.chat_model)
        return cls(store, memory, writer, photo_notes, llm, advisor, controls, extractor)


def _embedder(settings: Settings) -> GeminiEmbedder:
    """Mem0's Gemini embeddings (recall's question, the writes' texts) on the event loop: the
    request Mem0's own embedder sends, without a thread and a sync HTTP client per call."""
    return GeminiEmbedder(
        api_key=settings.google_api_key.get_secret_value(),
        model=settings.embedding_model,
        dims=settings.embedding_dims,
        base_url=settings.google_gemini_base_url,
        timeout_seconds=settings.llm_timeout_seconds,
        max_connections=settings.memory_write_concurrency + 16,
    )


def _gemini_clients(settings: Settings) -> tuple[GeminiChat, GeminiChat]:
    """The chat model's client, and the memory writer's own: its many calls at once never take the
    replies' connections, and a 429 reaches the writer at once (it waits as asked) instead of
    being retried in the client."""
    llm = GeminiChat(
        api_key=settings.google_api_key.get_secret_value(),
        model=settings.chat_model,
        base_url=settings.google_gemini_base_url,
        timeout_seconds=settings.llm_timeout_seconds,
        attempts=settings.llm_max_attempts,
        max_connections=settings.concurrent_updates + 4,  # one streamed answer per update in flight
    )
    memory_llm = GeminiChat(
        api_key=settings.google_api_key.get_secret_value(),
        model=settings.memory_model,
        base_url=settings.google_gemini_base_url,
        timeout_seconds=settings.llm_timeout_seconds,
        attempts=settings.llm_max_attempts,
        max_connections=settings.memory_write_concurrency + 4,
        retry_rate_limits=False,
    )
    return llm, memory_llm


def _advisor_and_controls(
    settings: Settings,
    persona: str,
    store: Store,
    memory: MemoryService,
    recaller: Recaller,
    llm: GeminiChat,
    writer: MemoryWriter,
    photo_notes: PhotoNotes,
) -> tuple[Advisor, MemoryControls]:
    """The advisor (answers, check-ins) and the memory controls, sharing what both act on: /forget
    drops a chat's incognito turns, cancels its pictures' descriptions in flight and overtakes its
    answers in flight (`Erasures`)."""
    incognito_turns = IncognitoTurns(per_chat=settings.recent_turns)
    erasures = Erasures()
    advisor = Advisor(
        chats=store.chats,
        memory=memory,
        llm=llm,
        writer=writer,
        recaller=recaller,
        incognito_turns=incognito_turns,
        photo_notes=photo_notes,
        erasures=erasures,
        persona=persona,
        recent_turns=settings.recent_turns,
        session_idle_minutes=settings.session_idle_minutes,
    )
    controls = MemoryControls(
        chats=store.chats,
        outbox=store.outbox,
        memory=memory,
        writer=writer,
        recaller=recaller,
        incognito_turns=incognito_turns,
        photo_notes=photo_notes,
        erasures=erasures,
    )
    return advisor, controls


async def _resume(store: Store, writer: MemoryWriter, controls: MemoryControls) -> None:
    """What the last run left: a group's merge a crash interrupted, memory writes still pending."""
    try:
        await controls.finish_moves()
    except Unavailable:
        logger.warning("memory unavailable: a moved group's memories merge at its next move")
    pending = await store.outbox.make_memory_writes_due()
    if pending:
        logger.info("%d memory writes pending from the last run; retrying them now", pending)
    writer.start()


def telegram_file_url(base_url: str) -> str:
    """The file download URL that goes with a Bot API base URL (".../bot" → ".../file/bot")."""
    root = base_url.rstrip("/")
    return root[: -len("/bot")] + "/file/bot" if root.endswith("/bot") else root + "/file/bot"


def build_bot(settings: Settings) -> ExtBot[None]:
    """The Bot API client: aiohttp instead of httpx (a fifth of the CPU per request,
    bot/telegram/transport.py), a small pool for the bot's calls, getUpdates on its own connection."""
    return ExtBot(
        settings.require_telegram().get_secret_value(),
        base_url=settings.telegram_api_base_url,
        base_file_url=telegram_file_url(settings.telegram_api_base_url),
        request=AiohttpRequest(settings.telegram_api_base_url, connection_pool_size=16),
        get_updates_request=AiohttpRequest(settings.telegram_api_base_url, connection_pool_size=1),
        defaults=Defaults(link_preview_options=LinkPreviewOptions(is_disabled=True)),
    )


def build_application(
    settings: Settings, bot: ExtBot[None], deps: HandlerDeps, journal: Inbox
) -> AdvisorApplication:
    """The Telegram application: our handlers, many chats at once (each in order), no PTB updater
    (updates come from our own poller or webhook server, through the durable inbox)."""
    application = (
        ApplicationBuilder()
        .bot(bot)
        .updater(None)
        .application_class(AdvisorApplication, kwargs={"deps": deps})
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(PerChatOrderedProcessor(settings.concurrent_updates, journal=journal))
        .build()
    )
    assert isinstance(application, AdvisorApplication)
    handlers.register(application)
    return application


class BotRuntime:
    """One run of the bot: the services, the Telegram application, the sender and the inbox,
    opened in `open` onto one exit stack and closed in `close`, whichever way updates arrive."""

    def __init__(
        self,
        settings: Settings,
        services: Services,
        application: AdvisorApplication,
        inbox: Inbox,
        stack: AsyncExitStack,
    ) -> None:
        self.settings = settings
        self.services = services
        self.application = application
        self.inbox = inbox
        self._stack = stack  # what `open` and the `start_*` methods opened, to close in reverse

    @classmethod
    async def open(cls, settings: Settings, *, clock: Clock | None = None) -> BotRuntime:
        """Open the services (holding DATA_DIR's lock), then the Telegram side around them; if a
        step fails, what was opened before it is closed again.

        `clock` drives reminders (tests pass one they move by hand); the system clock by default."""
        async with AsyncExitStack() as stack:
            bot = build_bot(settings)
            # ✍ on a private message once it changed memory (bot/telegram/receipts.py).
            remembered = functools.partial(mark_remembered, bot)
            services = await Services.open(settings, stack, on_memory_changed=remembered)
            inbox = Inbox(services.store.inbox)
            deps, scheduler = await _telegram_side(settings, bot, services, inbox, clock or SystemClock())
            stack.push_async_callback(deps.media.downloader.close)
            application = build_application(settings, bot, deps, inbox)
            await application.initialize()
            stack.push_async_callback(application.shutdown)
            # Import jobs stop once no handler can start one; they stay 'running' and resume.
            stack.push_async_callback(deps.import_runner.stop)
            stack.push_async_callback(_stop_if_running, application)  # after the update source
            await deps.sender.load()
            await handlers.publish_commands(bot)
            scheduler.start()
            # Reminders stop before the application shuts down: deliveries under way finish
            # (briefly) while the bot can still send.
            stack.push_async_callback(scheduler.stop)
            await deps.import_runner.resume()  # imports a stop or a crash interrupted
            return cls(settings, services, application, inbox, stack.pop_all())
        raise AssertionError("unreachable: the stack re-raises")  # for mypy: __aexit__ may swallow

    async def start_polling(self, *, poll_seconds: int = 10) -> Poller:
        """Requeue what the last run left unfinished and start fetching updates."""
        poller = Poller(
            self.application,
            self.inbox,
            timeout=poll_seconds,
            allowed_updates=Update.ALL_TYPES,
            heartbeat=Heartbeat(self.settings.data_dir).beat,  # read by `python -m bot health`
        )
        await poller.start()
        self._stack.push_async_callback(poller.stop)  # closed first: no update arrives after it
        await self.application.start()
        return poller

    async def start_webhook(
        self, *, port: int | None = None, limits: ConnectionLimits | None = None
    ) -> WebhookServer:
        """Listen, requeue what the last run left unfinished, and register the webhook."""
        server = webhook_server(self.application, self.inbox, self.settings, port=port, limits=limits)
        server.start()
        self._stack.push_async_callback(server.stop)  # closed first: no update arrives after it
        await self.application.start()
        await server.register()
        return server

    async def close(self) -> None:
        """Stop taking updates, stop the reminders, finish the updates in flight, then close the
        services: everything `open` and `start_*` opened, in reverse order, each step even after a
        failure on the way (the first failure is raised after the last step)."""
        await self._stack.aclose()


async def _stop_if_running(application: AdvisorApplication) -> None:
    if application.running:
        await application.stop()  # the updates in flight finish first


async def _telegram_side(
    settings: Settings, bot: ExtBot[None], services: Services, inbox: Inbox, clock: Clock
) -> tuple[HandlerDeps, Scheduler]:
    """The sender, the reminders' scheduler and what the handlers use."""

    async def delivered(update_id: int) -> None:
        # A reply reached Telegram: never replay its update, and let memory writes run now
        # (never before, so nobody waits for them).
        await inbox.answered(update_id)
        services.advisor.reply_sent()

    sender = Sender(
        bot,
        store=services.store.chats,
        global_per_second=settings.send_rate_per_second,
        on_answered=delivered,
        # a group that became a supergroup: everything kept about it moves to the new id
        on_migrated=services.controls.move_chat,
    )
    # Reminders and check-ins: re-armed from SQLite, sent through the same sender (pacing).
    scheduler = Scheduler(
        services.store.reminders,
        Outreach(sender),
        clock=clock,
        grace_seconds=settings.reminder_grace_minutes * 60,
        quiet=QuietHours.parse(settings.quiet_hours),
        compose_checkin=services.advisor.checkin_text,
        words=functools.partial(chat_words, services.store.chats, services.store.reminders),
    )
    followup = Followup(
        services.store.chats,
        services.store.reminders,
        clock=clock,
        wake=scheduler.wake,
        reader=IntentReader(services.llm, model=settings.memory_model),
        time_reader=TimeReader(services.llm, model=settings.memory_model),
        checkins_per_week=settings.checkins_per_week,
    )
    await followup.load()
    media = _media(settings, bot)
    importer, import_runner = build_imports(settings, services, scheduler, clock, media.downloader, bot)
    deps = HandlerDeps(
        settings=settings,
        advisor=services.advisor,
        controls=services.controls,
        chats=services.store.chats,
        sender=sender,
        limiter=RateLimiter(settings.rate_limit_per_minute),
        remember_limiter=RateLimiter(settings.remember_per_hour, window=3600.0),
        media=media,
        followup=followup,
        importer=importer,
        import_runner=import_runner,
    )
    return deps, scheduler


def build_imports(
    settings: Settings,
    services: Services,
    scheduler: Scheduler,
    clock: Clock,
    downloader: MediaDownloader,
    bot: ExtBot[None],
) -> tuple[Importer, ImportRunner]:
    """/import: the importer (text, export files) and the background runner of ChatGPT / Claude
    exports, which downloads a job's file again by its id (never stored) and edits its progress."""
    importer = Importer(
        chats=services.store.chats,
        outbox=services.store.outbox,
        memory=services.memory,
        writer=services.writer,
        extractor=services.extractor,
        restore_reminders=functools.partial(
            restore_reminders, services.store.reminders, clock=clock, wake=scheduler.wake
        ),
        max_tokens=settings.import_max_tokens,
    )
    runner = ImportRunner(
        services.store.imports, importer, fetch=downloader.fetch_file, progress=ImportProgress(bot)
    )
    return importer, runner


def _media(settings: Settings, bot: ExtBot[None]) -> MediaDeps:
    """Voice notes and pictures: downloaded on a session of their own (telegram/attachments.py)."""
    return MediaDeps(
        downloader=MediaDownloader(
            bot,
            timeout_seconds=settings.media_download_timeout_seconds,
            max_connections=max(4, min(64, settings.max_concurrent_media * 2)),
        ),
        albums=Albums(),
        slots=asyncio.Semaphore(settings.max_concurrent_media),
    )


def run(settings: Settings) -> None:
    """Run until SIGINT / SIGTERM (webhook mode when WEBHOOK_URL is set, else long polling);
    in-flight updates finish first."""
    asyncio.run(serve(settings))


async def serve(settings: Settings) -> None:
    """Serve until SIGINT / SIGTERM. When the update source or the memory writer ends by itself,
    close everything, then raise (the token's InvalidToken, else TaskDied: exit codes 3 and 5)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runtime = await BotRuntime.open(settings)
    settle_after_start()  # the collector set for a long-running process (bot/runtime/collector.py)
    try:
        source: UpdateSource = await (
            runtime.start_webhook() if settings.webhook_url else runtime.start_polling()
        )
        ended = asyncio.create_task(source.stopped.wait())
        vital = {type(source).__name__: ended, "memory writer": runtime.services.writer.task}
        try:
            await supervise(stop, vital)
        except TaskDied:
            if source.fatal is not None:
                raise source.fatal from None
            raise
        finally:
            ended.cancel()
        logger.info("stopping: finishing the updates in flight")
    finally:
        await runtime.close()
