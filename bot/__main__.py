"""Command line: `python -m bot` runs the bot; `python -m bot chat` talks to it in the terminal."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import sys
from urllib.parse import unquote

from telegram.error import InvalidToken

from bot.advisor.safety import redact
from bot.config import Settings, SettingsError, load_settings
from bot.memory import pgvector
from bot.memory.pgvector import VectorStoreUnreachable
from bot.runtime.hosting import refuse_ephemeral_data_dir
from bot.runtime.lock import DataDirError
from bot.runtime.logs import setup_logging
from bot.runtime.tasks import TaskDied
from bot.store.schema import StoreCorrupt

logger = logging.getLogger("bot")

EXIT_SETTINGS = 2
EXIT_REJECTED = 3
# DATA_DIR unusable (read-only, full, damaged database, on a platform's ephemeral filesystem) or used
# by another process
EXIT_DATA_DIR = 4
EXIT_TASK_DIED = 5  # a background task the bot needs (poller, memory writer) died: restart the bot
EXIT_VECTOR_STORE = 6  # the PostgreSQL of VECTOR_STORE_URL cannot be used at start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=["run", "chat", "check", "health"],
        help="run: the Telegram bot (default; webhook mode when WEBHOOK_URL is set); "
        "chat: the advisor in this terminal; check: verify settings, Telegram and Gemini; "
        "health: is the running bot alive (exit 0) or not (exit 1), for a container's HEALTHCHECK",
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings(telegram=args.command == "run")
    except SettingsError as exc:
        print(f"Cannot start: {exc}", file=sys.stderr)
        return EXIT_SETTINGS
    if args.command == "health":
        from bot.cli.health import main as health

        return health(settings)
    setup_logging(settings.log_level, _secrets(settings), scrub=redact)
    try:
        if args.command != "check":
            refuse_ephemeral_data_dir(settings.data_dir, allowed=settings.allow_ephemeral_data)
        if args.command == "chat":
            logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
            asyncio.run(_chat(settings))
            return 0
        if args.command == "check":
            from bot.cli.check import main as check

            return check(settings)
        return _run(settings)
    except VectorStoreUnreachable as exc:
        logger.error("Cannot start: %s", exc)
        return EXIT_VECTOR_STORE
    except (DataDirError, StoreCorrupt, sqlite3.Error) as exc:
        if isinstance(exc, sqlite3.Error):
            logger.error("Cannot start: the database in DATA_DIR %s failed: %s", settings.data_dir, exc)
        else:
            logger.error("Cannot start: %s", exc)
        return EXIT_DATA_DIR


def _run(settings: Settings) -> int:
    from bot.app import run

    try:
        run(settings)
    except InvalidToken:
        logger.error("Telegram rejected TELEGRAM_BOT_TOKEN. Check the token @BotFather gave you.")
        return EXIT_REJECTED
    except TaskDied as exc:
        logger.error(
            "Stopped: %s; exiting with code %d to be restarted", exc, EXIT_TASK_DIED, exc_info=exc.__cause__
        )
        return EXIT_TASK_DIED
    return 0


async def _chat(settings: Settings) -> None:
    from bot.cli.terminal import chat

    await chat(settings)


def _secrets(settings: Settings) -> list[str]:
    values = [settings.google_api_key.get_secret_value()]
    for secret in (settings.telegram_bot_token, settings.mem0_api_key, settings.webhook_secret):
        if secret is not None:
            values.append(secret.get_secret_value())
    if settings.vector_store_url is not None:  # its password, as written and decoded
        url = settings.vector_store_url.get_secret_value()
        password = pgvector.password_of(url)
        if password:
            values += [url, password, unquote(password)]
    return values


if __name__ == "__main__":
    sys.exit(main())
