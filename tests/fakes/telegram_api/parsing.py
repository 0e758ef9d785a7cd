"""The fake Telegram's vocabulary: limits, update kinds, call records, errors, and the parsing of
requests (form, JSON, multipart) and of texts into entities (UTF-16 offsets)."""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.loopback import Handler

DEFAULT_TOKEN = "123456789:TEST_fake_token_not_real_abcdefghij"
BOT_FIRST_NAME = "Advisor"
BOT_USERNAME = "advisor_test_bot"
DEFAULT_GROUP_USER_ID = 5_000_001

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64

_METHODS = (
    "getMe",
    "getUpdates",
    "deleteWebhook",
    "setWebhook",
    "getWebhookInfo",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "sendChatAction",
    "answerCallbackQuery",
    "sendDocument",
    "sendMessageDraft",
    "setMessageReaction",
    "getChat",
    "getChatMember",
    "getFile",
    "close",
    "logOut",
)
_CANONICAL = {name.lower(): name for name in _METHODS}

# The reactions any bot may set (Bot API ReactionTypeEmoji); others answer REACTION_INVALID.
_REACTIONS_TEXT = (
    "👍 👎 ❤ 🔥 🥰 👏 😁 🤔 🤯 😱 🤬 😢 🎉 🤩 🤮 💩 🙏 👌 🕊 🤡 🥱 🥴 😍 🐳 ❤\u200d🔥 🌚 🌭 💯 🤣 ⚡ 🍌 🏆 "
    "💔 🤨 😐 🍓 🍾 💋 🖕 😈 😴 😭 🤓 👻 👨\u200d💻 👀 🎃 🙈 😇 😨 🤝 ✍ 🤗 🫡 🎅 🎄 ☃ 💅 🤪 🗿 🆒 💘 🙉 "
    "🦄 😘 💊 🙊 😎 👾 🤷\u200d♂ 🤷 🤷\u200d♀ 😡"
)
STANDARD_REACTIONS = frozenset(_REACTIONS_TEXT.split())

# Form fields Telegram treats as strings: never JSON-decode these ("42" stays "42").
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "secret_token",
        "ip_address",
        "language_code",
        "action",
        "data",
        "title",
        "description",
        "short_description",
        "name",
        "query",
        "message_effect_id",
        "business_connection_id",
        "emoji",
        "file_id",
        "document",
        "thumbnail",
        "filename",
    }
)

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

_UPDATE_KINDS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
_NOT_DELIVERED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: can't parse entities: Can't find end of the entity starting at byte offset 0",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}

JSON = dict[str, Any]
_T = TypeVar("_T")


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request (``sendDocument`` with a new file)."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Call:
    """One request the bot made. ``params`` hold decoded JSON values and ``UploadedFile``s."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Fault:
    method: str
    status: int
    description: str
    retry_after: int | None
    migrate_to_chat_id: int | None
    remaining: int
    chat_id: int | None
    #: "error": an API error; "html": HTTP 200 with an HTML page (a proxy's); "drop": the call is
    #: carried out, then the connection is closed without an answer.
    kind: str = "error"


PROXY_ERROR_PAGE = "<html><body>Proxy error</body></html>"


class _HtmlAnswer(Exception):
    """Answer with HTTP 200 and this HTML instead of the API's JSON."""


class _ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _bad_request(description: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}")


def _bad_entities(description: str) -> _ApiError:
    return _bad_request(f"can't parse entities: {description}")


def _copy(obj: _T) -> _T:
    """A deep copy through JSON (what a client would get back)."""
    copied: _T = json.loads(json.dumps(obj))
    return copied


def _u16(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _sorted_entities(entities: list[JSON]) -> list[JSON]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


# --------------------------------------------------------------------------------------------
# parse_mode parsers (a faithful subset of Telegram's rules, with its error messages)
# --------------------------------------------------------------------------------------------

_AUTO_ENTITIES = (
    ("bot_command", re.compile(r"(?<![^\s])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")),
    ("url", re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'\"]")),
    ("email", re.compile(r"(?<![\w.@])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    ("mention", re.compile(r"(?<![\w@/])@[A-Za-z][A-Za-z0-9_]{3,31}\b")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")),
)


def _auto_entities(text: str) -> list[JSON]:
    """Entities Telegram detects by itself in plain text."""
    found: list[JSON] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _AUTO_ENTITIES:
        for match in pattern.finditer(text):
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            taken.append((match.start(), match.end()))
            found.append({"type": kind, "offset": _u16(text[: match.start()]), "length": _u16(match.group())})
    return _sorted_entities(found)


_ENTITY_TYPES = frozenset(
    {
        "mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number", "bold",
        "italic", "underline", "strikethrough", "spoiler", "blockquote", "expandable_blockquote",
        "code", "pre", "text_link", "text_mention", "custom_emoji", "date_time",
    }
)  # fmt: skip


def _checked_entities(text: str, entities: list[Any]) -> list[JSON]:
    """Explicit entities, rejected the way a strict client would want: unknown types, offsets
    outside the text (in UTF-16 units), empty lengths, a cut through a surrogate pair."""
    size = _u16(text)
    encoded = text.encode("utf-16-le")
    checked: list[JSON] = []
    for raw in entities:
        if not isinstance(raw, dict) or raw.get("type") not in _ENTITY_TYPES:
            raise _bad_entities(f"unsupported entity {raw!r}")
        offset, length = raw.get("offset"), raw.get("length")
        if not isinstance(offset, int) or not isinstance(length, int) or offset < 0 or length < 1:
            raise _bad_entities(f"bad entity bounds {raw!r}")
        if offset + length > size:
            raise _bad_entities(f"entity {raw!r} ends beyond the text ({size} UTF-16 units)")
        for edge in (offset, offset + length):
            unit = int.from_bytes(encoded[edge * 2 : edge * 2 + 2], "little") if edge < size else 0
            if 0xDC00 <= unit <= 0xDFFF:
                raise _bad_entities(f"entity {raw!r} cuts a character in two")
        if raw["type"] == "text_link" and not raw.get("url"):
            raise _bad_entities("text_link without url")
        checked.append(dict(raw))
    return checked


def _format_text(text: str, parse_mode: str | None, entities: Any) -> tuple[str, list[JSON]]:
    if isinstance(entities, list):
        return text, _checked_entities(text, entities)
    if parse_mode:
        # The bot sends entities only (bot/telegram/formatting.py); a parse mode is a regression.
        raise _bad_request(f"the fake does not implement parse_mode {parse_mode!r}: send entities")
    return text, _auto_entities(text)


def _mark_command(message: JSON, text: str) -> None:
    """Give a message that starts with a command its ``bot_command`` entity, as Telegram does: a
    slash followed by letters, digits or underscores (and an optional @username); "/ hi" has none."""
    found = _COMMAND.match(text)
    if found:
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": _u16(found.group())}]


_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{1,32})?")


# --------------------------------------------------------------------------------------------
# HTTP plumbing (the server itself is tests/fakes/loopback.py)
# --------------------------------------------------------------------------------------------


def _decode_form_value(key: str, value: str) -> Any:
    if key in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _parse_params(handler: Handler, body: bytes) -> dict[str, Any]:
    query = urlsplit(handler.path).query
    params: dict[str, Any] = {k: _decode_form_value(k, v) for k, v in parse_qsl(query)}
    content_type = handler.headers.get("Content-Type", "")
    if not body:
        return params
    if content_type.startswith("application/json"):
        decoded = json.loads(body)
        if isinstance(decoded, dict):
            params.update(decoded)
    elif content_type.startswith("multipart/form-data"):
        raw = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str):
                continue
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            filename = part.get_filename()
            if filename is not None:
                params[name] = UploadedFile(
                    field=name,
                    filename=filename,
                    content_type=part.get_content_type(),
                    data=data,
                )
            else:
                params[name] = _decode_form_value(name, data.decode("utf-8"))
    else:
        for key, value in parse_qsl(body.decode("utf-8"), keep_blank_values=True):
            params[key] = _decode_form_value(key, value)
    return params


def _as_chat_id(value: Any) -> int | str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        stripped = value.strip()
        if re.fullmatch(r"-?\d+", stripped):
            return int(stripped)
        return stripped or None
    return None


# --------------------------------------------------------------------------------------------


def _update_kind(update: JSON) -> str:
    return next((k for k in update if k != "update_id"), "")


def _short(params: dict[str, Any]) -> str:
    parts: list[str] = []
    for key, value in params.items():
        text = repr(value)
        parts.append(f"{key}={text[:60] + '…' if len(text) > 60 else text}")
    return ", ".join(parts)


def iter_entities_text(text: str, entities: list[JSON]) -> Iterator[tuple[str, str]]:
    """Yield ``(type, covered text)`` for each entity (offsets are UTF-16 code units)."""
    encoded = text.encode("utf-16-le")
    for entity in entities:
        start, length = int(entity["offset"]) * 2, int(entity["length"]) * 2
        yield str(entity["type"]), encoded[start : start + length].decode("utf-16-le")
