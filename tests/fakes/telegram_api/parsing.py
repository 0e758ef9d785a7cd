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
