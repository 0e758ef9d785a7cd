"""Composition root: builds the adapters, the advisor and the Telegram application."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from telegram import LinkPreviewOptions, Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from bot import handlers
from bot.advisor import Advisor
from bot.config import Settings
from bot.extraction import Extractor
from bot.llm import GeminiChat
from bot.memory import MemoryService, open_memory
from bot.memory_writer import MemoryWriter
from bot.ordering import PerChatOrderedProcessor
from bot.prompts import load_persona
from bot.store import Store

logger = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything the advisor needs, opened together and closed together."""

    store: Store
    memory: MemoryService
    llm: GeminiChat
    writer: MemoryWriter
    advisor: Advisor

    @classmethod
    async def open(cls, settings: Settings) -> Services:
        persona = load_persona(settings.persona_file)
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
        )
        pending = await store.make_memory_writes_due()
        if pending:
            logger.info("%d memory writes pending from the last run; retrying them now", pending)
        writer.start()
        logger.info("services ready: memory backend %s, chat model %s", memory.backend, settings.chat_model)
        return cls(store, memory, llm, writer, advisor)

    async def close(self) -> None:
        await self.writer.stop()
        await self.llm.close()
        await self.memory.close()
        await self.store.close()


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
        await application.bot.set_my_commands(handlers.COMMANDS)

    async def post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
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
        .concurrent_updates(PerChatOrderedProcessor(64))
        # A small pool: the default 256 connections cost CPU in bookkeeping (see LIBRARY-NOTES).
        .connection_pool_size(16)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    handlers.register(application)
    return application


def run_polling(settings: Settings) -> None:
    application = build_application(settings)
    application.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
