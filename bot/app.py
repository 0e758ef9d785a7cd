"""Composition root: builds the adapters, the advisor and the Telegram application."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass
from typing import Any

from telegram import LinkPreviewOptions, Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from bot.advisor.extraction import Extractor
from bot.advisor.pipeline import Advisor
from bot.advisor.prompts import load_persona
from bot.advisor.writer import MemoryWriter
from bot.config import Settings
from bot.llm import GeminiChat
from bot.memory import MemoryService, open_memory
from bot.runtime.lock import InstanceLock, claim_data_dir
from bot.store.tables import Store
from bot.telegram import handlers
from bot.telegram.media import MediaDownloader
from bot.telegram.ordering import PerChatOrderedProcessor
from bot.telegram.polling import Inbox, Poller
from bot.telegram.sender import Sender
from bot.telegram.transport import AiohttpRequest

logger = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything the advisor needs, opened together and closed together."""

    store: Store
    memory: MemoryService
    llm: GeminiChat
    writer: MemoryWriter
    advisor: Advisor
    lock: InstanceLock | None = None

    @classmethod
    async def open(cls, settings: Settings) -> Services:
        """Open everything, holding DATA_DIR's lock: one process per DATA_DIR (DataDirError if not)."""
        lock = claim_data_dir(settings.data_dir)
        try:
            services = await cls._open(settings)
        except BaseException:
            lock.release()
            raise
        services.lock = lock
        return services

    @classmethod
    async def _open(cls, settings: Settings) -> Services:
        persona = settings.persona or load_persona(settings.persona_file)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = await Store.open(settings.db_path)
        try:
            memory = await open_memory(settings)
        except BaseException:
            await store.close()
            raise
        llm = GeminiChat(
            api_key=settings.google_api_key.get_secret_value(),
            model=settings.chat_model,
            base_url=settings.google_gemini_base_url,
            timeout_seconds=settings.llm_timeout_seconds,
            attempts=settings.llm_max_attempts,
            # one streamed answer per update in flight, and the memory writer's calls
            max_connections=settings.concurrent_updates + 4,
        )
        extractor = Extractor(llm, model=settings.memory_model, attempts=settings.llm_max_attempts)
        writer = MemoryWriter(store, memory, extractor, max_memories=settings.memory_max_per_user)
        advisor = Advisor(
            store=store,
            memory=memory,
            llm=llm,
            writer=writer,
            persona=persona,
            top_k=settings.memory_top_k,
            recent_turns=settings.recent_turns,
            min_score=settings.memory_min_score,
            session_idle_minutes=settings.session_idle_minutes,
            describe_model=settings.memory_model,
            describe_attempts=settings.llm_max_attempts,
        )
        pending = await store.make_memory_writes_due()
        if pending:
            logger.info("%d memory writes pending from the last run; retrying them now", pending)
        writer.start()
        logger.info("services ready: memory backend %s, chat model %s", memory.backend, settings.chat_model)
        return cls(store, memory, llm, writer, advisor)

    async def close(self) -> None:
        await self.advisor.photo_notes.close()
        await self.writer.stop()
        await self.llm.close()
        await self.memory.close()
        await self.store.close()
        if self.lock is not None:
            self.lock.release()


def telegram_file_url(base_url: str) -> str:
    """The file download URL that goes with a Bot API base URL (".../bot" → ".../file/bot")."""
    root = base_url.rstrip("/")
    return root[: -len("/bot")] + "/file/bot" if root.endswith("/bot") else root + "/file/bot"


def build_application(settings: Settings) -> Application[Any, Any, Any, Any, Any, Any]:
    """The Telegram application, with services opened in post_init and closed in post_shutdown."""

    async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        services = await Services.open(settings)
        application.bot_data["services"] = services
        application.bot_data["advisor"] = services.advisor
        # Every reply goes through the sender (pacing, 429 / 403 / 400 / migration handling), and
        # every update through the inbox, which marks it done once its handlers finished.
        sender = Sender(
            application.bot, store=services.store, global_per_second=settings.send_rate_per_second
        )
        await sender.load()
        application.bot_data["sender"] = sender
        inbox = Inbox(services.store, sender=sender)
        sender.on_answered = inbox.answered
        application.bot_data["inbox"] = inbox
        if isinstance(application.update_processor, PerChatOrderedProcessor):
            application.update_processor.journal = inbox
        # Voice notes and pictures are downloaded on a session of their own (bot/telegram/media.py).
        application.bot_data["downloader"] = MediaDownloader(
            application.bot,
            timeout_seconds=settings.media_download_timeout_seconds,
            max_connections=max(4, min(64, settings.concurrent_updates)),
        )
        await application.bot.set_my_commands(handlers.COMMANDS)

    async def post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        downloader: MediaDownloader | None = application.bot_data.pop("downloader", None)
        if downloader is not None:
            await downloader.close()
        services: Services | None = application.bot_data.pop("services", None)
        if services is not None:
            await services.close()

    application = (
        ApplicationBuilder()
        .token(settings.require_telegram().get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(telegram_file_url(settings.telegram_api_base_url))
        .defaults(Defaults(link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .context_types(ContextTypes(context=handlers.BotContext))
        # Many chats at once, each chat's messages in order.
        .concurrent_updates(PerChatOrderedProcessor(settings.concurrent_updates))
        # aiohttp instead of httpx: a fifth of the CPU per request (bot/telegram/transport.py). A small
        # pool for the bot's calls; getUpdates has its own connection.
        .request(AiohttpRequest(settings.telegram_api_base_url, connection_pool_size=16))
        .get_updates_request(AiohttpRequest(settings.telegram_api_base_url, connection_pool_size=1))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    application.bot_data["settings"] = settings
    handlers.register(application)
    return application


def run_polling(settings: Settings) -> None:
    """Run until SIGINT / SIGTERM; in-flight updates finish first (bot/telegram/polling.py)."""
    asyncio.run(serve_polling(build_application(settings)))


async def start_polling(
    application: Application[Any, Any, Any, Any, Any, Any], *, poll_seconds: int = 10
) -> Poller:
    """Initialize, open the services, requeue unfinished updates and start polling."""
    await application.initialize()
    assert application.post_init is not None
    await application.post_init(application)
    inbox: Inbox = application.bot_data["inbox"]
    poller = Poller(application, inbox, timeout=poll_seconds, allowed_updates=Update.ALL_TYPES)
    await poller.start()
    await application.start()
    return poller


async def stop_polling(application: Application[Any, Any, Any, Any, Any, Any], poller: Poller | None) -> None:
    """Stop fetching, finish what was fetched, close the services."""
    try:
        if poller is not None:
            await poller.stop()
        if application.running:
            await application.stop()
    finally:
        await application.shutdown()  # a no-op when initialize() never finished
        assert application.post_shutdown is not None
        await application.post_shutdown(application)


async def serve_polling(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    poller: Poller | None = None
    try:
        poller = await start_polling(application)
        stopped = asyncio.create_task(poller.stopped.wait())
        await asyncio.wait([asyncio.create_task(stop.wait()), stopped], return_when=asyncio.FIRST_COMPLETED)
        if poller.fatal is not None:
            raise poller.fatal
    finally:
        await stop_polling(application, poller)
