"""Typed settings read from the environment and `.env`, validated once at start."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TELEGRAM_DEFAULT_BASE_URL = "https://api.telegram.org/bot"

# Where to get each required secret: shown when one is missing.
_WHERE_TO_GET = {
    "TELEGRAM_BOT_TOKEN": "talk to @BotFather on Telegram (/newbot) and copy the token it gives you",
    "GOOGLE_API_KEY": "create a key in Google AI Studio (https://aistudio.google.com/apikey); "
    "GEMINI_API_KEY is accepted too",
}


class Settings(BaseSettings):
    """Every setting the bot reads; see `.env.example` for the documented list."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    # Required to run on Telegram (checked by `require_telegram`); the terminal chat needs no token.
    telegram_bot_token: SecretStr | None = Field(None, validation_alias="TELEGRAM_BOT_TOKEN")
    google_api_key: SecretStr = Field(validation_alias=AliasChoices("GOOGLE_API_KEY", "GEMINI_API_KEY"))
    telegram_api_base_url: str = Field(TELEGRAM_DEFAULT_BASE_URL, validation_alias="TELEGRAM_API_BASE_URL")
    google_gemini_base_url: str | None = Field(None, validation_alias="GOOGLE_GEMINI_BASE_URL")
    mem0_api_key: SecretStr | None = Field(None, validation_alias="MEM0_API_KEY")
    mem0_host: str | None = Field(None, validation_alias="MEM0_HOST")
    data_dir: Path = Field(Path("./data"), validation_alias="DATA_DIR")
    # Start even where DATA_DIR is on a hosting platform's ephemeral filesystem (bot/runtime/hosting.py).
    allow_ephemeral_data: bool = Field(False, validation_alias="ALLOW_EPHEMERAL_DATA")

    chat_model: str = Field("gemini-2.5-flash", validation_alias="CHAT_MODEL")
    memory_model: str = Field("gemini-2.5-flash-lite", validation_alias="MEMORY_MODEL")
    embedding_model: str = Field("gemini-embedding-001", validation_alias="EMBEDDING_MODEL")
    embedding_dims: int = Field(768, ge=8, le=4096, validation_alias="EMBEDDING_DIMS")
    vector_store: Literal["sqlite", "qdrant"] = Field("sqlite", validation_alias="VECTOR_STORE")
    # The scale path: PostgreSQL + pgvector instead of the embedded store (postgresql://…).
    # A secret: URLs carry passwords.
    vector_store_url: SecretStr | None = Field(None, validation_alias="VECTOR_STORE_URL")

    memory_top_k: int = Field(8, ge=1, le=50, validation_alias="MEMORY_TOP_K")
    recent_turns: int = Field(6, ge=0, le=50, validation_alias="RECENT_TURNS")
    memory_min_score: float = Field(0.25, ge=0.0, le=1.0, validation_alias="MEMORY_MIN_SCORE")
    memory_max_per_user: int = Field(200, ge=10, le=10_000, validation_alias="MEMORY_MAX_PER_USER")
    # Memory writes (an extraction call each) of different people applied at once. 96: Telegram's
    # 30 messages/s × ~2-3 s per write (search, extraction, embedding, store) is 60-90 in flight.
    memory_write_concurrency: int = Field(96, ge=1, le=512, validation_alias="MEMORY_WRITE_CONCURRENCY")
    session_idle_minutes: float = Field(30.0, gt=0, le=7 * 24 * 60, validation_alias="SESSION_IDLE_MINUTES")
    llm_timeout_seconds: float = Field(60.0, gt=0, le=600, validation_alias="LLM_TIMEOUT_SECONDS")
    llm_max_attempts: int = Field(3, ge=1, le=10, validation_alias="LLM_MAX_ATTEMPTS")
    persona_file: Path | None = Field(None, validation_alias="PERSONA_FILE")
    persona: str | None = Field(None, validation_alias="PERSONA")

    # Telegram experience, access and cost.
    groups_enabled: bool = Field(False, validation_alias="GROUPS_ENABLED")
    stream_replies: bool = Field(True, validation_alias="STREAM_REPLIES")
    allowed_user_ids: Annotated[frozenset[int], NoDecode] = Field(
        frozenset(), validation_alias="ALLOWED_USER_IDS"
    )
    rate_limit_per_minute: int = Field(20, ge=0, le=10_000, validation_alias="RATE_LIMIT_PER_MINUTE")
    daily_token_budget: int = Field(0, ge=0, validation_alias="DAILY_TOKEN_BUDGET")
    remember_per_hour: int = Field(30, ge=0, le=10_000, validation_alias="REMEMBER_PER_HOUR")
    max_input_chars: int = Field(4000, ge=100, le=100_000, validation_alias="MAX_INPUT_CHARS")
    # Gemini tokens one import of a ChatGPT or Claude export may spend (the newest conversations first).
    import_max_tokens: int = Field(
        2_000_000, ge=10_000, le=1_000_000_000, validation_alias="IMPORT_MAX_TOKENS"
    )
    # Voice notes, audio files and round videos: longer ones are refused before any download.
    max_voice_seconds: int = Field(300, ge=1, le=3600, validation_alias="MAX_VOICE_SECONDS")
    # Voice notes and pictures handled at once (each costs CPU to download and send to Gemini);
    # the others wait their turn, so texts stay quick when many pictures arrive together.
    max_concurrent_media: int = Field(8, ge=1, le=256, validation_alias="MAX_CONCURRENT_MEDIA")
    # Seconds one media download may take (each attempt; failed attempts are retried).
    media_download_timeout_seconds: float = Field(
        30.0, gt=0, le=600, validation_alias="MEDIA_DOWNLOAD_TIMEOUT_SECONDS"
    )

    # Hosting: webhook mode when WEBHOOK_URL is set, else long polling.
    webhook_url: str | None = Field(None, validation_alias="WEBHOOK_URL")
    webhook_secret: SecretStr | None = Field(None, validation_alias="WEBHOOK_SECRET")
    webhook_listen: str = Field("0.0.0.0", validation_alias="WEBHOOK_LISTEN")  # noqa: S104 (a server)
    port: int = Field(8080, ge=1, le=65535, validation_alias="PORT")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", validation_alias="LOG_LEVEL")
    # Outgoing messages per second over all chats (Telegram allows about 30); 0 = no cap of ours.
    send_rate_per_second: float = Field(30.0, ge=0, le=1000, validation_alias="SEND_RATE_PER_SECOND")
    # Updates handled at once (each chat's still one at a time, in order).
    concurrent_updates: int = Field(256, ge=1, le=4096, validation_alias="CONCURRENT_UPDATES")

    # Reminders and check-ins (bot/followup).
    reminder_grace_minutes: float = Field(
        60.0, ge=0, le=7 * 24 * 60, validation_alias="REMINDER_GRACE_MINUTES"
    )
    checkins_per_week: int = Field(2, ge=0, le=14, validation_alias="CHECKINS_PER_WEEK")
    quiet_hours: str = Field("22:00-07:00", validation_alias="QUIET_HOURS")

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_window(cls, value: str) -> str:
        """ "HH:MM-HH:MM" (may cross midnight), or "off"."""
        if value.strip().lower() in {"off", "none", ""}:
            return "off"
        if not re.fullmatch(r"\s*([01]?\d|2[0-3]):[0-5]\d\s*-\s*([01]?\d|2[0-3]):[0-5]\d\s*", value):
            raise ValueError('must look like "22:00-07:00" (or "off")')
        return value.strip()

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("google_api_key")
    @classmethod
    def _not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("is empty")
        return value

    @field_validator("vector_store_url")
    @classmethod
    def _known_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            scheme = value.get_secret_value().split("://", 1)[0].lower()
            if scheme in {"http", "https"}:
                # Mem0 could talk to a Qdrant server, but no test runs one (none installs from a
                # package registry), so it is not offered.
                raise ValueError(
                    "names a Qdrant server, which the bot does not support; use postgresql://… "
                    "(pgvector) or, on one machine, VECTOR_STORE=sqlite"
                )
            if scheme not in {"postgresql", "postgres"}:
                raise ValueError("must start with postgresql:// (PostgreSQL with pgvector)")
        return value

    @field_validator("telegram_bot_token", "mem0_api_key", "vector_store_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("persona", "webhook_url", "webhook_secret", mode="before")
    @classmethod
    def _blank_text_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("allowed_user_ids", mode="before")
    @classmethod
    def _id_list(cls, value: object) -> object:
        """Comma- or space-separated Telegram user ids ("" = everyone)."""
        if isinstance(value, str):
            parts = [p for p in re.split(r"[,\s]+", value.strip()) if p]
            if not all(re.fullmatch(r"-?\d+", p) for p in parts):
                raise ValueError("must be Telegram user ids (numbers) separated by commas")
            return frozenset(int(p) for p in parts)
        return value

    @field_validator("webhook_url")
    @classmethod
    def _https_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"https?://[^/\s]+", value):
            raise ValueError(
                "must be the public URL Telegram posts to, e.g. https://bot.example.com/telegram"
            )
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @property
    def db_path(self) -> Path:
        return self.data_dir / "bot.sqlite3"

    def require_telegram(self) -> SecretStr:
        """The bot token, or a SettingsError that says where to get one."""
        if self.telegram_bot_token is None:
            raise SettingsError(
                f"TELEGRAM_BOT_TOKEN is not set: {_WHERE_TO_GET['TELEGRAM_BOT_TOKEN']}.\n"
                "Put settings in the environment or in .env (see .env.example)."
            )
        return self.telegram_bot_token


class TelegramSettings(Settings):
    """Settings to run on Telegram: the bot token is checked with everything else, so that a first
    run names every missing value at once instead of one per run."""

    telegram_bot_token: SecretStr | None = Field(
        None, validation_alias="TELEGRAM_BOT_TOKEN", validate_default=True
    )

    @field_validator("telegram_bot_token")
    @classmethod
    def _required(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            raise ValueError("is empty")
        return value


class SettingsError(Exception):
    """Settings are missing or invalid; the message is safe to print (no secret values)."""


def load_settings(*, telegram: bool = False, **overrides: object) -> Settings:
    """Read settings, turning validation errors into one readable, secret-free message that names
    every problem at once; with `telegram`, a missing TELEGRAM_BOT_TOKEN is one of them."""
    kind = TelegramSettings if telegram else Settings
    try:
        return kind(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe_errors(exc)) from None


def describe_errors(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        name = str(error["loc"][0]) if error["loc"] else "settings"
        env_name = name.upper()
        blank = error["type"] == "value_error" and "is empty" in error["msg"]
        if error["type"] == "missing" or blank:
            hint = _WHERE_TO_GET.get(env_name, "")
            lines.append(f"{env_name} is not set" + (f": {hint}." if hint else "."))
        else:
            lines.append(f"{env_name} is invalid: {error['msg']}.")
    lines.append("Put settings in the environment or in .env (see .env.example).")
    return "\n".join(lines)
