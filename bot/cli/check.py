"""`python -m bot check`: verify settings and reachability, print what is wrong, set the exit code."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from dataclasses import dataclass

from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.advisor.prompts import load_persona
from bot.config import Settings
from bot.llm import GeminiChat, LLMUnavailable
from bot.memory import pgvector
from bot.memory.pgvector import VectorStoreUnreachable
from bot.records import Turn
from bot.runtime.hosting import detect_platform, ephemeral_reason
from bot.telegram.transport import AiohttpRequest

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


async def run_checks(settings: Settings) -> list[Check]:
    """Every check, in order; none raises (a failure is a Check with ok=False)."""
    return [
        _check_data_dir(settings),
        _check_volume(settings),
        _check_persona(settings),
        _check_hosting(settings),
        await _check_vector_store(settings),
        await _check_telegram(settings),
        await _check_gemini(settings),
    ]


def report(checks: list[Check]) -> tuple[str, int]:
    """The printable report and the exit code (0 when every check passed, else 1)."""
    lines = [f"{'OK  ' if c.ok else 'FAIL'} {c.name}: {c.detail}" for c in checks]
    failed = [c for c in checks if not c.ok]
    lines.append("All checks passed." if not failed else f"{len(failed)} check(s) failed.")
    return "\n".join(lines), 0 if not failed else 1


def _check_data_dir(settings: Settings) -> Check:
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=settings.data_dir, prefix=".check-"):
            pass
    except OSError as exc:
        return Check("DATA_DIR", False, f"{settings.data_dir} is not writable ({exc.strerror or exc})")
    return Check("DATA_DIR", True, f"{settings.data_dir} is writable")


def _check_volume(settings: Settings) -> Check:
    platform = detect_platform(os.environ)
    if platform is None:
        return Check("DATA_DIR volume", True, "not on a hosting platform known to wipe its disk")
    reason = ephemeral_reason(settings.data_dir)
    if reason is None:
        return Check("DATA_DIR volume", True, f"{platform.name}: DATA_DIR is on a mounted volume")
    if settings.allow_ephemeral_data:
        return Check("DATA_DIR volume", True, f"ALLOW_EPHEMERAL_DATA=true accepts the loss: {reason}")
    return Check("DATA_DIR volume", False, reason)


def _check_persona(settings: Settings) -> Check:
    if settings.persona:
        return Check("persona", True, "from PERSONA")
    try:
        load_persona(settings.persona_file)
    except (OSError, ValueError) as exc:
        return Check("persona", False, f"PERSONA_FILE cannot be used: {exc}")
    return Check("persona", True, f"from {settings.persona_file}" if settings.persona_file else "the default")


def _check_hosting(settings: Settings) -> Check:
    if settings.webhook_url is None:
        return Check("hosting", True, "long polling (set WEBHOOK_URL for webhook mode)")
    if not settings.webhook_url.startswith("https://"):
        return Check("hosting", False, "WEBHOOK_URL must be https:// for Telegram to deliver updates")
    secret = "WEBHOOK_SECRET set" if settings.webhook_secret else "a secret generated at each start"
    return Check(
        "hosting",
        True,
        f"webhook at {settings.webhook_url}, on {settings.webhook_listen}:{settings.port}, {secret}",
    )


async def _check_vector_store(settings: Settings) -> Check:
    if settings.vector_store_url is None:
        store = "the Mem0 Platform" if settings.mem0_api_key else f"embedded ({settings.vector_store})"
        return Check("memory store", True, store)
    url = settings.vector_store_url.get_secret_value()
    try:
        version = await asyncio.to_thread(pgvector.probe, url)
    except VectorStoreUnreachable as exc:
        return Check("memory store", False, str(exc))
    return Check("memory store", True, f"PostgreSQL at {pgvector.server_name(url)}, pgvector {version}")


async def _check_telegram(settings: Settings) -> Check:
    if settings.telegram_bot_token is None:
        return Check("Telegram", False, "TELEGRAM_BOT_TOKEN is not set (get one from @BotFather)")
    bot = Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram_api_base_url,
        # the transport the bot itself uses (and its proxy settings), so the check tests that
        request=AiohttpRequest(settings.telegram_api_base_url, connection_pool_size=1),
    )
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            async with bot:
                me = bot.bot
    except InvalidToken:
        return Check("Telegram", False, "the Bot API rejected TELEGRAM_BOT_TOKEN (check it with @BotFather)")
    except (TelegramError, TimeoutError, OSError) as exc:
        return Check("Telegram", False, f"the Bot API is unreachable ({type(exc).__name__})")
    return Check("Telegram", True, f"getMe answered: @{me.username}")


async def _check_gemini(settings: Settings) -> Check:
    llm = GeminiChat(
        api_key=settings.google_api_key.get_secret_value(),
        model=settings.chat_model,
        base_url=settings.google_gemini_base_url,
        timeout_seconds=min(settings.llm_timeout_seconds, CHECK_TIMEOUT_SECONDS),
        attempts=1,
    )
    try:
        reply = await llm.generate("Answer with the single word OK.", [Turn("user", "ping")])
    except LLMUnavailable as exc:
        return Check("Gemini", False, f"{settings.chat_model}: {exc} (check GOOGLE_API_KEY and CHAT_MODEL)")
    finally:
        await llm.close()
    if reply.empty or reply.blocked:
        return Check("Gemini", False, f"{settings.chat_model} answered with no text")
    return Check("Gemini", True, f"{settings.chat_model} answered")


def main(settings: Settings) -> int:
    text, code = report(asyncio.run(run_checks(settings)))
    print(text)
    return code
