"""Composition root: opens the adapters and the advisor, builds the Telegram side around them,
and runs it (long polling or webhook) until stopped."""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
from dataclasses import dataclass

from telegram import LinkPreviewOptions, Update
from telegram.ext import ApplicationBuilder, ContextTypes, Defaults, ExtBot

from bot.advisor.controls import MemoryControls
from bot.advisor.extraction import Extractor
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
from bot.followup.scheduler import Scheduler
from bot.followup.service import Followup, chat_words
from bot.llm import GeminiChat, GeminiEmbedder
from bot.memory import MemoryService, open_memory
from bot.runtime.clock import Clock, SystemClock
from bot.runtime.heartbeat import Heartbeat
from bot.runtime.lock import InstanceLock, claim_data_dir
from bot.runtime.tasks import TaskDied, run_all, supervise
from bot.store import Store
from bot.telegram import handlers
from bot.telegram.albums import Albums
from bot.telegram.attachments import MediaDeps, MediaDownloader
from bot.telegram.handlers.context import AdvisorApplication, BotContext, HandlerDeps
from bot.telegram.http_server import ConnectionLimits
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


@dataclass
class Services:
    """Everything the advisor needs, opened together and closed together."""

    store: Store
    memory: MemoryService
    llm: GeminiChat
    memory_llm: GeminiChat
    writer: MemoryWriter
    photo_notes: PhotoNotes  # pictures' descriptions for memory, in flight after their reply
    advisor: Advisor
    controls: MemoryControls
    lock: InstanceLock | None = None
    embedder: GeminiEmbedder | None = None

    @classmethod
    async def open(cls, settings: Settings, *, on_memory_changed: OnChanged | None = None) -> Services:
        """Open everything, holding DATA_DIR's lock: one process per DATA_DIR (DataDirError if not).

        `on_memory_changed(chat id, message id)` hears of each message that changed memory.
        """
        lock = claim_data_dir(settings.data_dir)
        try:
            services = await cls._open(settings, on_memory_changed)
        except BaseException:
            lock.release()
            raise
        services.lock = lock
        return services

    @classmethod
    async def _open(cls, settings: Settings, on_memory_changed: OnChanged | None) -> Services:
        persona = settings.persona or load_persona(settings.persona_file)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = await Store.open(settings.db_path)
        # Mem0's embeddings (recall's question, the writes' texts) on the event loop, not on threads.
        embedder = GeminiEmbedder(
            api_key=settings.google_api_key.get_secret_value(),
            model=settings.embedding_model,
            dims=settings.embedding_dims,
            base_url=settings.google_gemini_base_url,
            timeout_seconds=settings.llm_timeout_seconds,
            max_connections=settings.memory_write_concurrency + 16,
        )
        try:
            memory = await open_memory(settings, embed=embedder.embed)
        except BaseException:
            await run_all(embedder.close, store.close)
            raise
        llm = GeminiChat(
            api_key=settings.google_api_key.get_secret_value(),
            model=settings.chat_model,
            base_url=settings.google_gemini_base_url,
            timeout_seconds=settings.llm_timeout_seconds,
            attempts=settings.llm_max_attempts,
            max_connections=settings.concurrent_updates + 4,  # one streamed answer per update in flight
        )
        # The memory writer's own client: its many calls at once never take the replies' connections,
        # and a 429 reaches the writer at once (it waits as asked) instead of being retried here.
        memory_llm = GeminiChat(
            api_key=settings.google_api_key.get_secret_value(),
            model=settings.memory_model,
            base_url=settings.google_gemini_base_url,
            timeout_seconds=settings.llm_timeout_seconds,
            attempts=settings.llm_max_attempts,
            max_connections=settings.memory_write_concurrency + 4,
            retry_rate_limits=False,
        )
        extractor = Extractor(memory_llm, model=settings.memory_model, attempts=settings.llm_max_attempts)
        writer = MemoryWriter(
            store.outbox,
            store.chats,
            memory,
            extractor,
            max_memories=settings.memory_max_per_user,
            concurrency=settings.memory_write_concurrency,
            on_changed=on_memory_changed,
        )
        # Shared by the answers and the memory controls: /forget drops a chat's incognito turns
        # and cancels its pictures' descriptions in flight.
        recaller = Recaller(memory, top_k=settings.memory_top_k, min_score=settings.memory_min_score)
        incognito_turns = IncognitoTurns(per_chat=settings.recent_turns)
        photo_notes = PhotoNotes(llm, writer, model=settings.memory_model, attempts=settings.llm_max_attempts)
        advisor = Advisor(
            chats=store.chats,
            memory=memory,
            llm=llm,
            writer=writer,
            recaller=recaller,
            incognito_turns=incognito_turns,
            photo_notes=photo_notes,
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
        )
        try:
            await controls.finish_moves()  # a group's merge into its supergroup a crash interrupted
        except Unavailable:
            logger.warning("memory unavailable: a moved group's memories merge at its next move")
        pending = await store.outbox.make_memory_writes_due()
        if pending:
            logger.info("%d memory writes pending from the last run; retrying them now", pending)
        writer.start()
        logger.info("services ready: memory backend %s, chat model %s", memory.backend, settings.chat_model)
        return cls(store, memory, llm, memory_llm, writer, photo_notes, advisor, controls, embedder=embedder)

    async def close(self) -> None:
        """Close each service even when closing one before it failed; release the lock last."""
        try:
            await run_all(
                self.photo_notes.close,  # descriptions in flight write through the writer
                self.writer.stop,
                self.llm.close,
                self.memory_llm.close,
                self.memory.close,
                *([self.embedder.close] if self.embedder is not None else []),
                self.store.close,
            )
        finally:
            if self.lock is not None:
                self.lock.release()


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
    opened in `open` and closed in `close`, in one place, whichever way updates arrive."""

    def __init__(
        self,
        settings: Settings,
        services: Services,
        application: AdvisorApplication,
        inbox: Inbox,
        scheduler: Scheduler,
    ) -> None:
        self.settings = settings
        self.services = services
        self.application = application
        self.inbox = inbox
        self.scheduler = scheduler
        self.sender = application.deps.sender

    @classmethod
    async def open(cls, settings: Settings, *, clock: Clock | None = None) -> BotRuntime:
        """Open the services (holding DATA_DIR's lock), then the Telegram side around them.

        `clock` drives reminders (tests pass one they move by hand); the system clock by default."""
        clock = clock or SystemClock()
        bot = build_bot(settings)
        # ✍ on a private message once it changed memory (bot/telegram/receipts.py).
        services = await Services.open(settings, on_memory_changed=functools.partial(mark_remembered, bot))
        try:
            inbox = Inbox(services.store.inbox)

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
            media = MediaDeps(
                # Voice notes and pictures are downloaded on a session of their own (telegram/attachments.py).
                downloader=MediaDownloader(
                    bot,
                    timeout_seconds=settings.media_download_timeout_seconds,
                    max_connections=max(4, min(64, settings.max_concurrent_media * 2)),
                ),
                albums=Albums(),
                slots=asyncio.Semaphore(settings.max_concurrent_media),
            )
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
            )
            application = build_application(settings, bot, deps, inbox)
            await application.initialize()
            try:
                await sender.load()
                await handlers.publish_commands(bot)
            except BaseException:
                await application.shutdown()
                raise
            scheduler.start()
        except BaseException:
            await services.close()
            raise
        return cls(settings, services, application, inbox, scheduler)

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
        await self.application.start()
        return poller

    async def start_webhook(
        self, *, port: int | None = None, limits: ConnectionLimits | None = None
    ) -> WebhookServer:
        """Listen, requeue what the last run left unfinished, and register the webhook."""
        server = webhook_server(self.application, self.inbox, self.settings, port=port, limits=limits)
        server.start()
        await self.application.start()
        await server.register()
        return server

    async def close(self, source: UpdateSource | None) -> None:
        """Stop taking updates, finish those in flight, close the services (always, even after a
        failure on the way: each step runs, then the first failure is raised)."""

        async def stop_source() -> None:
            if source is not None:
                await source.stop()

        async def finish_in_flight() -> None:
            if self.application.running:
                await self.application.stop()

        # Reminders first: deliveries under way finish (briefly) while the bot can still send.
        await run_all(
            self.scheduler.stop,
            stop_source,
            finish_in_flight,
            self.application.shutdown,
            self.application.deps.media.downloader.close,
            self.services.close,
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
    source: UpdateSource | None = None
    try:
        source = await (runtime.start_webhook() if settings.webhook_url else runtime.start_polling())
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
        await runtime.close(source)
