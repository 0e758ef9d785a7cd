"""A fake Telegram Bot API on 127.0.0.1: server.py (HTTP and the API methods), world.py (users,
chats, messages; what tests do and read), parsing.py (limits, request and entity parsing)."""

from tests.fakes.telegram_api.parsing import (
    BOT_FIRST_NAME,
    BOT_USERNAME,
    DEFAULT_GROUP_USER_ID,
    DEFAULT_TOKEN,
    MAX_CALLBACK_DATA_BYTES,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    Call,
    UploadedFile,
    iter_entities_text,
)
from tests.fakes.telegram_api.server import FakeTelegram

__all__ = [
    "BOT_FIRST_NAME",
    "BOT_USERNAME",
    "DEFAULT_GROUP_USER_ID",
    "DEFAULT_TOKEN",
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_CAPTION_LENGTH",
    "MAX_TEXT_LENGTH",
    "Call",
    "FakeTelegram",
    "UploadedFile",
    "iter_entities_text",
]
