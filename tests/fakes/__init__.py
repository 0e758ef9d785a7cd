"""Fake Telegram Bot API and Gemini API servers for tests (127.0.0.1 only)."""

from .gemini_api import (
    Blocked,
    Empty,
    FakeGemini,
    Fault,
    GeminiRequest,
    Hang,
    PromptBlocked,
    embed_text,
)
from .telegram_api import Call, FakeTelegram, UploadedFile

__all__ = [
    "Blocked",
    "Call",
    "Empty",
    "FakeGemini",
    "FakeTelegram",
    "Fault",
    "GeminiRequest",
    "Hang",
    "PromptBlocked",
    "UploadedFile",
    "embed_text",
]
