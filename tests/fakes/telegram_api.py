"""A fake Telegram Bot API server that python-telegram-bot 22.8 talks to unmodified.

Point a bot at it with ``Bot(token, base_url=fake.base_url)`` or
``ApplicationBuilder().token(fake.token).base_url(fake.base_url).base_file_url(fake.base_file_url)``.
It serves ``POST /bot<token>/<method>`` (form-encoded with JSON-encoded non-string values,
JSON, or multipart) and ``GET /file/bot<token>/<path>`` on 127.0.0.1 from a daemon thread, so it
works for a bot running in the test's event loop and for a bot in a subprocess alike.

Behaviour copied from the real API because bots trip over it in production:

* method names are case-insensitive; unknown methods answer 404 ``Not Found: method not found``;
* a wrong token answers 401 ``Unauthorized`` (``reject_token`` makes every call do so);
* ``getUpdates`` long-polls, drops updates below ``offset``, answers 409 when a second poller
  takes over or while a webhook is set, and remembers ``allowed_updates`` between calls (by
  default ``chat_member``, ``message_reaction`` and ``message_reaction_count`` are not delivered);
* ``parse_mode`` HTML / MarkdownV2 / Markdown is parsed into ``entities`` and malformed markup
  answers 400 ``Bad Request: can't parse entities: ...``;
* empty or too long texts, text-only inline buttons, callback data over 64 bytes, editing a
  message to identical content ("message is not modified"), unknown messages, and stale
  callback query ids all answer 400 with Telegram's descriptions;
* chats in ``blocked`` answer 403 ``Forbidden: bot was blocked by the user`` to every send.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import itertools
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.fakes.loopback import Handler, LoopbackFake

__all__ = ["Call", "FakeTelegram", "UploadedFile"]

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
    "getChat",
    "getChatMember",
    "getFile",
    "close",
    "logOut",
)
_CANONICAL = {name.lower(): name for name in _METHODS}

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

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_ATTR = re.compile(r"""([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_HTML_ENTITY = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|lt|gt|amp|quot);")
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _parse_html(src: str) -> tuple[str, list[JSON]]:
    out: list[str] = []
    pos = 0  # UTF-16 offset in the output
    stack: list[tuple[str, JSON | None, int]] = []
    entities: list[JSON] = []
    entity: JSON | None
    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        if ch == "<":
            offset = _byte_offset(src, i)
            if src.startswith("</", i):
                end = src.find(">", i)
                if end == -1:
                    raise _bad_entities(f"Unclosed end tag at byte offset {offset}")
                name = src[i + 2 : end].strip().lower()
                if not stack:
                    raise _bad_entities(f"Unexpected end tag at byte offset {offset}")
                open_name, closed, start = stack.pop()
                if name != open_name:
                    raise _bad_entities(
                        f'Unmatched end tag at byte offset {offset}, expected "</{open_name}>", '
                        f'found "</{name}>"'
                    )
                if closed is not None and pos > start:
                    closed.update(offset=start, length=pos - start)
                    entities.append(closed)
                i = end + 1
                continue
            match = re.match(r"<([a-zA-Z][a-zA-Z0-9-]*)", src[i:])
            name = match.group(1).lower() if match else ""
            if name not in _HTML_TAGS:
                bad = re.match(r"<([^\s<>/]*)", src[i:])
                name = bad.group(1) if bad else ""
                raise _bad_entities(f'Unsupported start tag "{name}" at byte offset {offset}')
            end, quote = i + 1 + len(name), ""
            while end < n and (quote or src[end] != ">"):
                if src[end] in "\"'":
                    quote = "" if quote == src[end] else (quote or src[end])
                end += 1
            if end >= n:
                raise _bad_entities(f"Unclosed start tag at byte offset {offset}")
            attrs = {
                m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or ""
                for m in _HTML_ATTR.finditer(src[i + 1 + len(name) : end])
            }
            entity = {"type": _HTML_TAGS[name]}
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise _bad_entities(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
            if name == "a":
                entity = {"type": "text_link", "url": attrs["href"]} if attrs.get("href") else None
            elif name == "tg-emoji":
                entity = {"type": "custom_emoji", "custom_emoji_id": attrs.get("emoji-id", "")}
            elif name == "blockquote" and "expandable" in attrs:
                entity = {"type": "expandable_blockquote"}
            elif name == "code" and stack and stack[-1][0] == "pre":
                language = attrs.get("class", "")
                pre_entity = stack[-1][1]
                if language.startswith("language-") and pre_entity is not None:
                    pre_entity["language"] = language[len("language-") :]
                entity = None
            stack.append((name, entity, pos))
            i = end + 1
            continue
        if ch == "&":
            ent = _HTML_ENTITY.match(src, i)
            if ent:
                code = ent.group(1)
                if code.startswith(("#x", "#X")):
                    ch = chr(int(code[2:], 16))
                elif code.startswith("#"):
                    ch = chr(int(code[1:]))
                else:
                    ch = _HTML_NAMED[code]
                out.append(ch)
                pos += _u16(ch)
                i = ent.end()
                continue
        out.append(ch)
        pos += _u16(ch)
        i += 1
    if stack:
        raise _bad_entities(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out), _sorted_entities(entities)


_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


def _read_escaped(src: str, start: int, end: str) -> tuple[str, int]:
    """The text from `start` up to the next unescaped `end` ("\\x" stands for x), and where that
    `end` is (`len(src)` when there is none)."""
    text: list[str] = []
    j, n = start, len(src)
    while j < n and not src.startswith(end, j):
        if src[j] == "\\" and j + 1 < n:
            text.append(src[j + 1])
            j += 2
        else:
            text.append(src[j])
            j += 1
    return "".join(text), j


def _parse_markdown_v2(src: str) -> tuple[str, list[JSON]]:
    out: list[str] = []
    pos = 0
    entities: list[JSON] = []
    stack: list[tuple[str, int, int]] = []  # (type, output offset, source byte offset)
    quote_start: int | None = None
    quote_end = 0
    line_start = True
    i, n = 0, len(src)

    def emit(text: str) -> None:
        nonlocal pos
        out.append(text)
        pos += _u16(text)

    def toggle(kind: str, at: int) -> None:
        for k in range(len(stack) - 1, -1, -1):
            if stack[k][0] == kind:
                _, start, _ = stack.pop(k)
                if pos > start:
                    entities.append({"type": kind, "offset": start, "length": pos - start})
                return
        stack.append((kind, pos, _byte_offset(src, at)))

    while i < n:
        ch = src[i]
        if line_start:
            line_start = False
            if ch == ">":
                if quote_start is None:
                    quote_start = pos
                i += 1
                continue
            if quote_start is not None:
                if quote_end > quote_start:
                    entities.append(
                        {"type": "blockquote", "offset": quote_start, "length": quote_end - quote_start}
                    )
                quote_start = None
        if ch == "\n":
            quote_end = pos
            emit(ch)
            line_start = True
            i += 1
        elif ch == "\\":
            if i + 1 < n and 0 < ord(src[i + 1]) < 127:
                emit(src[i + 1])
                i += 2
            else:
                emit(ch)
                i += 1
        elif ch == "`":
            is_pre = src.startswith("```", i)
            fence = "```" if is_pre else "`"
            start_byte = _byte_offset(src, i)
            j = i + len(fence)
            language = ""
            if is_pre:
                newline = src.find("\n", j)
                first_line = src[j:newline] if newline != -1 else ""
                if newline != -1 and first_line and not re.search(r"\s|`", first_line):
                    language = first_line
                    j = newline + 1
            text, j = _read_escaped(src, j, fence)
            if j >= n:
                name = "Pre" if is_pre else "Code"
                raise _bad_entities(f"Can't find end of {name} entity at byte offset {start_byte}")
            if text:
                entity: JSON = {"type": "pre" if is_pre else "code", "offset": pos, "length": _u16(text)}
                if language:
                    entity["language"] = language
                entities.append(entity)
                emit(text)
            line_start = text.endswith("\n")
            i = j + len(fence)
        elif ch == "*":
            toggle("bold", i)
            i += 1
        elif ch == "_":
            if src.startswith("__", i):
                toggle("underline", i)
                i += 2
            else:
                toggle("italic", i)
                i += 1
        elif ch == "~":
            toggle("strikethrough", i)
            i += 1
        elif ch == "|" and src.startswith("||", i):
            toggle("spoiler", i)
            i += 2
        elif ch == "[" or (ch == "!" and src.startswith("![", i)):
            kind = "custom_emoji" if ch == "!" else "text_link"
            stack.append((kind, pos, _byte_offset(src, i)))
            i += 2 if ch == "!" else 1
        elif ch == "]" and any(s[0] in ("text_link", "custom_emoji") for s in stack):
            k = max(idx for idx, s in enumerate(stack) if s[0] in ("text_link", "custom_emoji"))
            kind, start, start_byte = stack.pop(k)
            if not src.startswith("(", i + 1):
                raise _bad_entities(
                    f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset {start_byte}"
                )
            target, j = _read_escaped(src, i + 2, ")")
            if j >= n:
                raise _bad_entities(f"Can't find end of a URL at byte offset {_byte_offset(src, i + 1)}")
            if pos > start:
                entity = {"type": kind, "offset": start, "length": pos - start}
                if kind == "text_link":
                    entity["url"] = target
                else:
                    entity["custom_emoji_id"] = target.rpartition("id=")[2]
                entities.append(entity)
            i = j + 1
        elif ch in _MDV2_RESERVED:
            raise _bad_entities(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")
        else:
            emit(ch)
            i += 1
    if quote_start is not None and pos > quote_start:
        entities.append({"type": "blockquote", "offset": quote_start, "length": pos - quote_start})
    if stack:
        kind, _, start_byte = stack[0]
        raise _bad_entities(f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset {start_byte}")
    return "".join(out), _sorted_entities(entities)


def _parse_markdown(src: str) -> tuple[str, list[JSON]]:
    """Legacy ``Markdown``: no nesting, entity text runs to the next closing character."""
    out: list[str] = []
    pos = 0
    entities: list[JSON] = []
    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        if ch == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            out.append(src[i + 1])
            pos += 1
            i += 2
            continue
        if ch in "*_`[":
            start_byte = _byte_offset(src, i)
            if src.startswith("```", i):
                end = src.find("```", i + 3)
                if end == -1:
                    raise _bad_entities(f"Can't find end of the entity starting at byte offset {start_byte}")
                body, language = src[i + 3 : end], ""
                first, sep, rest = body.partition("\n")
                if sep and " " not in first:
                    body, language = rest, first
                entity: JSON = {"type": "pre"}
                if language:
                    entity["language"] = language
                i = end + 3
            elif ch == "[":
                close = src.find("](", i)
                end = src.find(")", close + 2) if close != -1 else -1
                if close == -1 or end == -1:
                    out.append(ch)
                    pos += 1
                    i += 1
                    continue
                body = src[i + 1 : close]
                entity = {"type": "text_link", "url": src[close + 2 : end]}
                i = end + 1
            else:
                end = src.find(ch, i + 1)
                if end == -1:
                    raise _bad_entities(f"Can't find end of the entity starting at byte offset {start_byte}")
                body = src[i + 1 : end]
                entity = {"type": {"*": "bold", "_": "italic", "`": "code"}[ch]}
                i = end + 1
            if body:
                entity.update(offset=pos, length=_u16(body))
                entities.append(entity)
                out.append(body)
                pos += _u16(body)
            continue
        out.append(ch)
        pos += _u16(ch)
        i += 1
    return "".join(out), _sorted_entities(entities)


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
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _parse_markdown_v2(text)
    if mode == "markdown":
        return _parse_markdown(text)
    if mode:
        raise _bad_request(f"unsupported parse_mode {parse_mode!r}")
    return text, _auto_entities(text)


def _mark_command(message: JSON, text: str) -> None:
    """Give a message that starts with a command its ``bot_command`` entity, as Telegram does."""
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": _u16(command)}]


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
# The fake
# --------------------------------------------------------------------------------------------


class FakeTelegram(LoopbackFake):
    """A fake Bot API server on 127.0.0.1. See the module docstring."""

    def __init__(self, token: str = DEFAULT_TOKEN) -> None:
        self.token = token
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 123456789
        self.bot_user: JSON = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.reject_token = False
        self.latency = 0.0
        #: Chat ids that blocked the bot: every send to them answers 403.
        self.blocked: set[int] = set()
        #: User ids getChatMember reports as "administrator".
        self.admins: set[int] = set()
        #: When true, sending to a chat no update came from answers 400 "chat not found".
        self.strict_chats = False
        self.webhook_url = ""
        self.confirmed_offset = 0

        self._cond = threading.Condition(threading.RLock())
        self._calls: list[Call] = []
        self._sent: list[JSON] = []
        self._sent_per_chat: Counter[int] = Counter()
        self._updates: list[JSON] = []
        self._faults: list[_Fault] = []
        self._messages: dict[tuple[int, int], JSON] = {}
        self._next_message_id: dict[int, int] = {}
        self._chats: dict[int, JSON] = {}
        self._users: dict[int, JSON] = {}
        self._callback_ids: set[str] = set()
        self._answered_callbacks: set[str] = set()
        self._commands: dict[str, list[JSON]] = {}
        self._files: dict[str, tuple[str, bytes]] = {}
        self._allowed_updates: frozenset[str] = frozenset(_UPDATE_KINDS) - _NOT_DELIVERED_BY_DEFAULT
        self._next_update_id = 1
        self._poll_generation = 0
        self._ids = itertools.count(1)
        self._stopping = False

    # ---- lifecycle -------------------------------------------------------------------------

    def _before_start(self) -> None:
        self._stopping = False

    def _before_stop(self) -> None:
        with self._cond:
            self._stopping = True  # long polls return at once
            self._cond.notify_all()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/bot``: PTB appends the token itself."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ---- driving: updates ----------------------------------------------------------------

    def push_update(self, update: JSON) -> int:
        """Queue an update for getUpdates; assigns ``update_id`` if missing and returns it."""
        update = dict(update)
        with self._cond:
            if "update_id" not in update:
                update["update_id"] = self._next_update_id
            update_id = int(update["update_id"])
            self._next_update_id = max(self._next_update_id, update_id + 1)
            self._remember_update(update)
            self._updates.append(update)
            self._updates.sort(key=lambda u: int(u["update_id"]))
            self._cond.notify_all()
        return update_id

    def send_text(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Ana",
        username: str | None = None,
        message_thread_id: int | None = None,
        reply_to: JSON | None = None,
        language_code: str = "en",
    ) -> int:
        """A user writes ``text`` in ``chat_id``. Commands get a ``bot_command`` entity."""
        message = self._user_message(
            chat_id, user_id, chat_type, first_name, username, message_thread_id, language_code
        )
        message["text"] = text
        _mark_command(message, text)
        if reply_to is not None:
            message["reply_to_message"] = self._resolve_reply(chat_id, reply_to)
        return self.push_update({"message": message})

    def press_button(self, chat_id: int, data: str, *, message_id: int, user_id: int | None = None) -> int:
        """A user presses an inline button with callback ``data`` on message ``message_id``."""
        with self._cond:
            message = self._messages.get((chat_id, message_id))
            chat = self._chat(chat_id)
        if message is None:
            message = {
                "message_id": message_id,
                "from": dict(self.bot_user),
                "chat": chat,
                "date": int(time.time()),
                "text": "...",
            }
        uid = user_id if user_id is not None else self._default_user_id(chat_id, chat.get("type", "private"))
        query_id = str(4_000_000_000_000_000 + next(self._ids))
        return self.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self._user(uid),
                    "message": _copy(message),
                    "chat_instance": str(-(abs(chat_id) * 7919 % 10**18) - 1),
                    "data": data,
                }
            }
        )

    def send_photo(
        self,
        chat_id: int,
        *,
        caption: str | None = None,
        data: bytes = b"\xff\xd8\xff\xe0fake-jpeg",
        user_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Ana",
        username: str | None = None,
    ) -> int:
        message = self._user_message(chat_id, user_id, chat_type, first_name, username, None, "en")
        sizes = []
        for width, height in ((90, 68), (320, 240), (1280, 960)):
            file_id = self._register_file(f"photos/file_{next(self._ids)}.jpg", data)
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": f"AQAD{file_id[-8:]}",
                    "file_size": len(data),
                    "width": width,
                    "height": height,
                }
            )
        message["photo"] = sizes
        if caption is not None:
            message["caption"] = caption
        return self.push_update({"message": message})

    def send_sticker(
        self,
        chat_id: int,
        *,
        emoji: str = "👍",
        user_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Ana",
        username: str | None = None,
    ) -> int:
        message = self._user_message(chat_id, user_id, chat_type, first_name, username, None, "en")
        file_id = self._register_file(f"stickers/file_{next(self._ids)}.webp", b"RIFF\x00\x00\x00\x00WEBP")
        message["sticker"] = {
            "file_id": file_id,
            "file_unique_id": f"AgAD{file_id[-8:]}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "FakeStickers",
            "file_size": 12,
        }
        return self.push_update({"message": message})

    def send_voice(
        self,
        chat_id: int,
        *,
        duration: int = 3,
        data: bytes = b"OggS\x00fake-opus",
        user_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Ana",
        username: str | None = None,
    ) -> int:
        message = self._user_message(chat_id, user_id, chat_type, first_name, username, None, "en")
        file_id = self._register_file(f"voice/file_{next(self._ids)}.oga", data)
        message["voice"] = {
            "file_id": file_id,
            "file_unique_id": f"AgAD{file_id[-8:]}",
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(data),
        }
        return self.push_update({"message": message})

    def send_location(
        self,
        chat_id: int,
        latitude: float = 38.7223,
        longitude: float = -9.1393,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Ana",
        username: str | None = None,
    ) -> int:
        message = self._user_message(chat_id, user_id, chat_type, first_name, username, None, "en")
        message["location"] = {"latitude": latitude, "longitude": longitude}
        return self.push_update({"message": message})

    def edit_text(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Ana",
        username: str | None = None,
    ) -> int:
        """The user edits their earlier message ``message_id`` (an ``edited_message`` update)."""
        with self._cond:
            original = self._messages.get((chat_id, message_id))
        message = self._user_message(
            chat_id, user_id, chat_type, first_name, username, None, "en", new_id=False
        )
        message["message_id"] = message_id
        if original is not None:
            message["date"] = original["date"]
        message["edit_date"] = int(time.time())
        message["text"] = text
        _mark_command(message, text)
        return self.push_update({"edited_message": message})

    def channel_post(self, chat_id: int, text: str, *, title: str = "Test Channel") -> int:
        chat = {"id": chat_id, "title": title, "type": "channel"}
        with self._cond:
            self._chats[chat_id] = chat
            message_id = self._new_message_id(chat_id)
        message = {
            "message_id": message_id,
            "sender_chat": dict(chat),
            "chat": dict(chat),
            "date": int(time.time()),
            "text": text,
        }
        return self.push_update({"channel_post": message})

    def member_update(
        self,
        chat_id: int,
        *,
        new_status: str = "kicked",
        old_status: str = "member",
        user_id: int | None = None,
        member_id: int | None = None,
        chat_type: str = "private",
    ) -> int:
        """A chat member's status changes. With ``member_id`` None the member is the bot
        (``my_chat_member``: "kicked" = the user blocked the bot); else a ``chat_member`` update
        (which, as on Telegram, is only delivered if ``allowed_updates`` asked for it)."""
        with self._cond:
            chat = self._ensure_chat(chat_id, chat_type, "Ana", None)
        actor = user_id if user_id is not None else self._default_user_id(chat_id, chat_type)
        subject = self.bot_user if member_id is None else self._user(member_id)
        now = int(time.time())
        body = {
            "chat": chat,
            "from": self._user(actor),
            "date": now,
            "old_chat_member": self._member(subject, old_status),
            "new_chat_member": self._member(subject, new_status),
        }
        kind = "my_chat_member" if member_id is None else "chat_member"
        return self.push_update({kind: body})

    # ---- driving: faults -------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int = 500,
        description: str | None = None,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (optionally only to ``chat_id``) with an
        error. ``description`` defaults to Telegram's text for ``status`` (429: "Too Many
        Requests: retry after N" with ``parameters.retry_after``; 403: bot blocked; 400 with
        ``migrate_to_chat_id``: group upgraded)."""
        canonical = _CANONICAL.get(method.lower(), method)
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            if status == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            elif migrate_to_chat_id is not None:
                description = "Bad Request: group chat was upgraded to a supergroup chat"
            else:
                description = _DEFAULT_DESCRIPTIONS.get(status, "Internal Server Error")
        with self._cond:
            self._faults.append(
                _Fault(canonical, status, description, retry_after, migrate_to_chat_id, times, chat_id)
            )

    # ---- observing -------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        canonical = _CANONICAL.get(method.lower(), method) if method else None
        with self._cond:
            return [c for c in self._calls if canonical is None or c.method == canonical]

    def sent(self, chat_id: int | None = None) -> list[JSON]:
        """Messages the bot sent (sendMessage / sendDocument params plus ``message_id``)."""
        with self._cond:
            return [dict(m) for m in self._sent if chat_id is None or m.get("chat_id") == chat_id]

    def wait_sent(self, counts: Mapping[int, int], timeout: float) -> bool:
        """Block until each chat in `counts` has been sent at least that many messages; False on
        timeout. Cheap for a benchmark to wait on (no copying, no busy polling)."""
        with self._cond:
            return self._cond.wait_for(
                lambda: all(self._sent_per_chat[chat] >= n for chat, n in counts.items()), timeout
            )

    def texts(self, chat_id: int | None = None) -> list[str]:
        """Texts (or captions) of the messages the bot sent."""
        return [str(m.get("text", m.get("caption", ""))) for m in self.sent(chat_id)]

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        """The current state of a message (after edits), as Telegram would return it."""
        with self._cond:
            found = self._messages.get((chat_id, message_id))
            return _copy(found) if found is not None else None

    def my_commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        with self._cond:
            return list(self._commands.get(self._commands_key(scope, language_code), []))

    @property
    def pending_updates(self) -> list[JSON]:
        with self._cond:
            return [dict(u) for u in self._updates]

    def clear(self) -> None:
        """Forget recorded calls, sent messages and queued faults (not chats or commands)."""
        with self._cond:
            self._calls.clear()
            self._sent.clear()
            self._sent_per_chat.clear()
            self._faults.clear()

    async def wait_for_messages(self, chat_id: int, count: int = 1, timeout: float = 10.0) -> list[JSON]:
        """Wait until the bot sent at least ``count`` messages to ``chat_id``; return them all."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.sent(chat_id)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"FakeTelegram: expected >= {count} message(s) to chat {chat_id} within {timeout}s, "
                    f"got {len(found)}: {[m.get('text', m.get('caption')) for m in found]!r}; "
                    f"{self._describe_calls()}"
                )
            await asyncio.sleep(0.01)

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 10.0,
    ) -> Call:
        """Wait for the first call (since start / clear) of ``method`` matching ``predicate``."""
        deadline = time.monotonic() + timeout
        while True:
            for call in self.calls(method):
                if predicate is None or predicate(call):
                    return call
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"FakeTelegram: no matching {method} call within {timeout}s; {self._describe_calls()}"
                )
            await asyncio.sleep(0.01)

    def _describe_calls(self) -> str:
        calls = self.calls()
        interesting = [c for c in calls if c.method != "getUpdates"]
        shown = ", ".join(f"{c.method}({_short(c.params)})" for c in interesting[-15:])
        polls = len(calls) - len(interesting)
        return f"calls seen ({len(interesting)} + {polls} getUpdates): [{shown}]"

    # ---- request handling ------------------------------------------------------------------

    def _handle(self, handler: Handler) -> None:
        try:
            body = handler.read_body()
        except (OSError, ValueError):
            return
        path = unquote(urlsplit(handler.path).path)  # httpx sends the token's ":" as %3A for files
        file_match = re.fullmatch(r"/file/bot([^/]+)/(.+)", path)
        if file_match:
            self._serve_file(handler, file_match.group(1), file_match.group(2))
            return
        match = re.fullmatch(r"/bot([^/]+)/([A-Za-z0-9_]+)/?", path)
        if not match:
            self._reply_error(handler, _ApiError(404, "Not Found"))
            return
        token, raw_method = match.groups()
        try:
            params = _parse_params(handler, body)
        except (ValueError, UnicodeDecodeError):
            self._reply_error(handler, _bad_request("can't parse request body"))
            return
        method = _CANONICAL.get(raw_method.lower(), raw_method)
        with self._cond:
            self._calls.append(Call(method=method, params=params))
        if token != self.token or self.reject_token:
            self._reply_error(handler, _ApiError(401, "Unauthorized"))
            return
        if method not in _METHODS:
            self._reply_error(handler, _ApiError(404, "Not Found: method not found"))
            return
        if self.latency > 0 and method != "getUpdates":
            time.sleep(self.latency)
        try:
            self._raise_fault(method, params)
            result = getattr(self, f"_api_{method}")(params)
        except _ApiError as error:
            self._reply_error(handler, error)
            return
        except (KeyError, TypeError, ValueError) as error:
            self._reply_error(handler, _bad_request(f"invalid request: {error!r}"))
            return
        handler.reply(200, json.dumps({"ok": True, "result": result}).encode())

    def _reply_error(self, handler: Handler, error: _ApiError) -> None:
        payload: JSON = {"ok": False, "error_code": error.status, "description": error.description}
        if error.parameters:
            payload["parameters"] = error.parameters
        handler.reply(error.status, json.dumps(payload).encode())

    def _serve_file(self, handler: Handler, token: str, file_path: str) -> None:
        with self._cond:
            data = next((d for p, d in self._files.values() if p == file_path), None)
        if token != self.token or self.reject_token:
            self._reply_error(handler, _ApiError(401, "Unauthorized"))
        elif data is None:
            self._reply_error(handler, _ApiError(404, "Not Found"))
        else:
            handler.reply(200, data, "application/octet-stream")

    def _raise_fault(self, method: str, params: dict[str, Any]) -> None:
        chat_id = _as_chat_id(params.get("chat_id"))
        with self._cond:
            for fault in self._faults:
                if fault.method != method or (fault.chat_id is not None and fault.chat_id != chat_id):
                    continue
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                parameters: JSON = {}
                if fault.retry_after is not None:
                    parameters["retry_after"] = fault.retry_after
                if fault.migrate_to_chat_id is not None:
                    parameters["migrate_to_chat_id"] = fault.migrate_to_chat_id
                raise _ApiError(fault.status, fault.description, parameters or None)

    # ---- API methods -----------------------------------------------------------------------

    def _api_getMe(self, params: dict[str, Any]) -> JSON:
        return dict(self.bot_user)

    def _api_logOut(self, params: dict[str, Any]) -> bool:
        return True

    def _api_close(self, params: dict[str, Any]) -> bool:
        return True

    def _api_getUpdates(self, params: dict[str, Any]) -> list[JSON]:
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        allowed = params.get("allowed_updates")
        deadline = time.monotonic() + timeout
        with self._cond:
            if self.webhook_url:
                raise _ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            if offset:
                self.confirmed_offset = max(self.confirmed_offset, offset)
                if offset > 0:
                    self._updates = [u for u in self._updates if int(u["update_id"]) >= offset]
                else:
                    self._updates = self._updates[offset:]
            if isinstance(allowed, list):
                self._allowed_updates = (
                    frozenset(allowed) if allowed else frozenset(_UPDATE_KINDS) - _NOT_DELIVERED_BY_DEFAULT
                )
            self._poll_generation += 1
            generation = self._poll_generation
            self._cond.notify_all()
            while True:
                self._updates = [u for u in self._updates if _update_kind(u) in self._allowed_updates]
                if self._updates or self._stopping:
                    return [_copy(u) for u in self._updates[:limit]]
                if generation != self._poll_generation:
                    raise _ApiError(409, _DEFAULT_DESCRIPTIONS[409])
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._cond.wait(remaining)

    def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        with self._cond:
            self.webhook_url = ""
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return True

    def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        with self._cond:
            self.webhook_url = url
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return True

    def _api_getWebhookInfo(self, params: dict[str, Any]) -> JSON:
        with self._cond:
            return {
                "url": self.webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }

    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> str:
        scope_obj = scope if isinstance(scope, dict) and scope else {"type": "default"}
        return json.dumps([scope_obj, language_code or ""], sort_keys=True)

    def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("commands must be a list of at most 100 BotCommand")
        for command in commands:
            name = str(command.get("command", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad_request("command description is empty or too long")
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        with self._cond:
            self._commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        return True

    def _api_getMyCommands(self, params: dict[str, Any]) -> list[JSON]:
        return self.my_commands(params.get("scope"), str(params.get("language_code") or ""))

    def _api_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        with self._cond:
            self._commands.pop(self._commands_key(params.get("scope"), params.get("language_code")), None)
        return True

    def _target_chat(self, params: dict[str, Any]) -> int:
        chat_id = _as_chat_id(params.get("chat_id"))
        if chat_id is None:
            raise _bad_request("chat_id is empty")
        if isinstance(chat_id, str):
            with self._cond:
                found = next(
                    (c["id"] for c in self._chats.values() if f"@{c.get('username')}" == chat_id), None
                )
            if found is None:
                raise _bad_request("chat not found")
            return int(found)
        with self._cond:
            if self.strict_chats and chat_id not in self._chats:
                raise _bad_request("chat not found")
        return chat_id

    def _check_can_send(self, chat_id: int) -> None:
        if chat_id in self.blocked:
            with self._cond:
                kind = self._chat(chat_id).get("type")
            if kind == "private":
                raise _ApiError(403, "Forbidden: bot was blocked by the user")
            raise _ApiError(403, "Forbidden: bot was kicked from the group chat")

    def _check_markup(self, markup: Any) -> JSON | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return None  # reply keyboards / removals are not echoed in the message
        for row in markup["inline_keyboard"]:
            for button in row:
                actions = set(button) - {"text", "style", "icon_custom_emoji_id"}
                if not actions:
                    raise _bad_request(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                    raise _bad_request("BUTTON_DATA_INVALID")
        return dict(markup)

    def _outgoing(self, chat_id: int, params: dict[str, Any]) -> JSON:
        """A message from the bot with the common fields (reply, thread, markup)."""
        with self._cond:
            chat = self._chat(chat_id)
            message: JSON = {
                "message_id": self._new_message_id(chat_id),
                "from": dict(self.bot_user),
                "chat": chat,
                "date": int(time.time()),
            }
        thread_id = params.get("message_thread_id")
        if thread_id:
            message["message_thread_id"] = thread_id
            if chat.get("is_forum"):
                message["is_topic_message"] = True
        reply = params.get("reply_parameters")
        reply_to_id = (
            reply.get("message_id") if isinstance(reply, dict) else params.get("reply_to_message_id")
        )
        if reply_to_id is not None:
            with self._cond:
                original = self._messages.get((chat_id, int(reply_to_id)))
            if original is not None:
                original = {k: v for k, v in original.items() if k != "reply_to_message"}
                message["reply_to_message"] = _copy(original)
            elif not (isinstance(reply, dict) and reply.get("allow_sending_without_reply")):
                raise _bad_request("message to be replied not found")
        markup = self._check_markup(params.get("reply_markup"))
        if markup is not None:
            message["reply_markup"] = markup
        return message

    def _record_sent(self, method: str, chat_id: int, params: dict[str, Any], message: JSON) -> None:
        with self._cond:
            self._messages[(chat_id, message["message_id"])] = message
            self._sent.append(
                {**params, "chat_id": chat_id, "message_id": message["message_id"], "method": method}
            )
            self._sent_per_chat[chat_id] += 1
            self._cond.notify_all()

    def _api_sendMessage(self, params: dict[str, Any]) -> JSON:
        chat_id = self._target_chat(params)
        raw = params.get("text")
        if not isinstance(raw, str) or not raw.strip():
            raise _bad_request("message text is empty")
        text, entities = _format_text(raw, params.get("parse_mode"), params.get("entities"))
        if not text.strip():
            raise _bad_request("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise _bad_request("message is too long")
        self._check_can_send(chat_id)
        message = self._outgoing(chat_id, params)
        message["text"] = text
        if entities:
            message["entities"] = entities
        options = params.get("link_preview_options")
        if isinstance(options, dict) and options:
            message["link_preview_options"] = options
        self._record_sent("sendMessage", chat_id, params, message)
        return message

    def _api_sendDocument(self, params: dict[str, Any]) -> JSON:
        chat_id = self._target_chat(params)
        document = params.get("document")
        if document is None:
            raise _bad_request("there is no document in the request")
        if isinstance(document, UploadedFile):
            if not document.data:
                raise _bad_request("file must be non-empty")
            name, mime, data = document.filename, document.content_type, document.data
        elif isinstance(document, str) and document.startswith("attach://"):
            attached = params.get(document[len("attach://") :])
            if not isinstance(attached, UploadedFile):
                raise _bad_request("wrong file identifier/HTTP URL specified")
            name, mime, data = attached.filename, attached.content_type, attached.data
        else:
            with self._cond:
                known = self._files.get(str(document))
            if known is None:
                raise _bad_request("wrong file identifier/HTTP URL specified")
            name, mime, data = known[0].rsplit("/", 1)[-1], "application/octet-stream", known[1]
        caption = params.get("caption")
        caption_text, caption_entities = "", list[JSON]()
        if caption:
            caption_text, caption_entities = _format_text(
                str(caption), params.get("parse_mode"), params.get("caption_entities")
            )
            if len(caption_text) > MAX_CAPTION_LENGTH:
                raise _bad_request("message caption is too long")
        self._check_can_send(chat_id)
        message = self._outgoing(chat_id, params)
        file_id = self._register_file(f"documents/{name}", data)
        message["document"] = {
            "file_name": name,
            "mime_type": mime,
            "file_id": file_id,
            "file_unique_id": f"AgAD{file_id[-8:]}",
            "file_size": len(data),
        }
        if caption_text:
            message["caption"] = caption_text
            if caption_entities:
                message["caption_entities"] = caption_entities
        self._record_sent("sendDocument", chat_id, params, message)
        return message

    def _editable(self, params: dict[str, Any]) -> tuple[int, JSON]:
        if params.get("inline_message_id"):
            raise _bad_request("inline messages are not supported by FakeTelegram")
        chat_id = self._target_chat(params)
        message_id = int(params.get("message_id") or 0)
        with self._cond:
            message = self._messages.get((chat_id, message_id))
        if message is None:
            raise _bad_request("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise _bad_request("message can't be edited")
        return chat_id, message

    def _api_editMessageText(self, params: dict[str, Any]) -> JSON:
        chat_id, message = self._editable(params)
        raw = params.get("text")
        if not isinstance(raw, str) or not raw.strip():
            raise _bad_request("message text is empty")
        text, entities = _format_text(raw, params.get("parse_mode"), params.get("entities"))
        if len(text) > MAX_TEXT_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        markup = self._check_markup(params.get("reply_markup"))
        if (
            text == message.get("text")
            and entities == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message"
            )
        self._check_can_send(chat_id)
        with self._cond:
            message["text"] = text
            message.pop("entities", None)
            if entities:
                message["entities"] = entities
            message.pop("reply_markup", None)
            if markup is not None:
                message["reply_markup"] = markup
            message["edit_date"] = int(time.time())
            return _copy(message)

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> JSON:
        chat_id, message = self._editable(params)
        markup = self._check_markup(params.get("reply_markup"))
        if markup == message.get("reply_markup"):
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message"
            )
        self._check_can_send(chat_id)
        with self._cond:
            message.pop("reply_markup", None)
            if markup is not None:
                message["reply_markup"] = markup
            message["edit_date"] = int(time.time())
            return _copy(message)

    def _api_deleteMessage(self, params: dict[str, Any]) -> bool:
        chat_id = self._target_chat(params)
        message_id = int(params.get("message_id") or 0)
        with self._cond:
            if self._messages.pop((chat_id, message_id), None) is None:
                raise _bad_request("message to delete not found")
        return True

    def _api_sendChatAction(self, params: dict[str, Any]) -> bool:
        chat_id = self._target_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        self._check_can_send(chat_id)
        return True

    def _api_sendMessageDraft(self, params: dict[str, Any]) -> bool:
        chat_id = self._target_chat(params)
        if chat_id < 0:
            raise _bad_request("TEXTDRAFT_PEER_INVALID")
        if not params.get("draft_id"):
            raise _bad_request("draft_id must be non-zero")
        raw = params.get("text")
        if isinstance(raw, str) and raw:
            text, _ = _format_text(raw, params.get("parse_mode"), params.get("entities"))
            if len(text) > MAX_TEXT_LENGTH:
                raise _bad_request("message is too long")
        self._check_can_send(chat_id)
        return True

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        with self._cond:
            if query_id not in self._callback_ids or query_id in self._answered_callbacks:
                raise _bad_request("query is too old and response timeout expired or query ID is invalid")
            self._answered_callbacks.add(query_id)
        if len(str(params.get("text") or "")) > 200:
            raise _bad_request("MESSAGE_TOO_LONG")
        return True

    def _api_getChat(self, params: dict[str, Any]) -> JSON:
        chat_id = self._target_chat(params)
        with self._cond:
            chat = self._chat(chat_id)
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }

    def _api_getChatMember(self, params: dict[str, Any]) -> JSON:
        self._target_chat(params)
        user_id = int(params.get("user_id") or 0)
        user = self.bot_user if user_id == self.bot_id else self._user(user_id)
        return self._member(user, "administrator" if user_id in self.admins else "member")

    def _api_getFile(self, params: dict[str, Any]) -> JSON:
        file_id = str(params.get("file_id") or "")
        with self._cond:
            known = self._files.get(file_id)
        if known is None:
            raise _bad_request("invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"AgAD{file_id[-8:]}",
            "file_size": len(known[1]),
            "file_path": known[0],
        }

    # ---- state helpers (call with the lock held where they touch shared state) -------------

    def _new_message_id(self, chat_id: int) -> int:
        with self._cond:
            next_id = self._next_message_id.get(chat_id, 1)
            self._next_message_id[chat_id] = next_id + 1
            return next_id

    def _register_file(self, file_path: str, data: bytes) -> str:
        file_id = f"BQACAgIAAxkBAAI{next(self._ids):08d}"
        with self._cond:
            self._files[file_id] = (file_path, data)
        return file_id

    def _default_user_id(self, chat_id: int, chat_type: str) -> int:
        return chat_id if chat_type == "private" else DEFAULT_GROUP_USER_ID

    def _user(self, user_id: int) -> JSON:
        with self._cond:
            known = self._users.get(user_id)
        if known is not None:
            return dict(known)
        return {"id": user_id, "is_bot": False, "first_name": "Ana", "language_code": "en"}

    def _chat(self, chat_id: int) -> JSON:
        known = self._chats.get(chat_id)
        if known is not None:
            return dict(known)
        if chat_id > 0:
            return {"id": chat_id, "first_name": "Ana", "type": "private"}
        if chat_id < -1_000_000_000_000:
            return {"id": chat_id, "title": "Test Supergroup", "type": "supergroup"}
        return {"id": chat_id, "title": "Test Group", "type": "group"}

    def _ensure_chat(self, chat_id: int, chat_type: str, first_name: str, username: str | None) -> JSON:
        with self._cond:
            chat: JSON
            if chat_type == "private":
                chat = {"id": chat_id, "first_name": first_name, "type": "private"}
                if username:
                    chat["username"] = username
            else:
                titles = {"group": "Test Group", "supergroup": "Test Supergroup", "channel": "Test Channel"}
                chat = {"id": chat_id, "title": titles.get(chat_type, "Test Chat"), "type": chat_type}
                old = self._chats.get(chat_id, {})
                if old.get("is_forum"):
                    chat["is_forum"] = True
            self._chats[chat_id] = chat
            return dict(chat)

    def _user_message(
        self,
        chat_id: int,
        user_id: int | None,
        chat_type: str,
        first_name: str,
        username: str | None,
        message_thread_id: int | None,
        language_code: str,
        *,
        new_id: bool = True,
    ) -> JSON:
        uid = user_id if user_id is not None else self._default_user_id(chat_id, chat_type)
        user: JSON = {"id": uid, "is_bot": False, "first_name": first_name, "language_code": language_code}
        if username:
            user["username"] = username
        with self._cond:
            self._users[uid] = user
            if message_thread_id is not None and chat_type == "supergroup":
                self._chats.setdefault(chat_id, {})["is_forum"] = True
            chat = self._ensure_chat(chat_id, chat_type, first_name, username)
            message: JSON = {
                "message_id": self._new_message_id(chat_id) if new_id else 0,
                "from": dict(user),
                "chat": chat,
                "date": int(time.time()),
            }
        if message_thread_id is not None:
            message["message_thread_id"] = message_thread_id
            if chat.get("is_forum"):
                message["is_topic_message"] = True
        return message

    def _resolve_reply(self, chat_id: int, reply_to: JSON) -> JSON:
        with self._cond:
            stored = self._messages.get((chat_id, int(reply_to.get("message_id", 0))))
        if stored is not None:
            return {k: v for k, v in _copy(stored).items() if k != "reply_to_message"}
        if "chat" in reply_to and "date" in reply_to:
            return dict(reply_to)
        return {
            "message_id": int(reply_to.get("message_id", 0)),
            "from": dict(self.bot_user),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            "text": str(reply_to.get("text", "")),
        }

    def _remember_update(self, update: JSON) -> None:
        kind = _update_kind(update)
        body = update.get(kind)
        if not isinstance(body, dict):
            return
        if kind == "callback_query":
            self._callback_ids.add(str(body.get("id")))
            return
        if kind in ("message", "edited_message", "channel_post", "edited_channel_post"):
            chat = body.get("chat")
            if isinstance(chat, dict) and "id" in chat:
                chat_id = int(chat["id"])
                self._chats.setdefault(chat_id, dict(chat))
                if "message_id" in body:
                    message_id = int(body["message_id"])
                    self._messages[(chat_id, message_id)] = _copy(body)
                    self._next_message_id[chat_id] = max(
                        self._next_message_id.get(chat_id, 1), message_id + 1
                    )
            sender = body.get("from")
            if isinstance(sender, dict) and "id" in sender:
                self._users.setdefault(int(sender["id"]), dict(sender))

    def _member(self, user: JSON, status: str) -> JSON:
        member: JSON = {"user": dict(user), "status": status}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
                can_pin_messages=True,
                can_manage_topics=False,
            )
        elif status == "restricted":
            member.update(
                is_member=True,
                can_send_messages=False,
                can_send_audios=False,
                can_send_documents=False,
                can_send_photos=False,
                can_send_videos=False,
                can_send_video_notes=False,
                can_send_voice_notes=False,
                can_send_polls=False,
                can_send_other_messages=False,
                can_add_web_page_previews=False,
                can_change_info=False,
                can_invite_users=False,
                can_pin_messages=False,
                can_manage_topics=False,
                can_edit_tag=False,
                until_date=0,
            )
        elif status == "kicked":
            member["until_date"] = 0
        return member


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
