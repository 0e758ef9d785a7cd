"""What an uploaded file for /import is, read in memory only (never written to disk): this bot's
own /export, a ChatGPT or Claude data export (the ZIP or its conversations.json), or plain text.

Limits hold while reading, whatever a file's headers claim: 20 MB uploaded (Telegram's download
limit), a ZIP at most 10,000 entries and 200 MB unpacked (counted as the bytes come out). From a
ChatGPT conversation only the branch the person ended on is read (the `mapping` tree from
`current_node` back to the root); from both services only the person's own messages.
"""

from __future__ import annotations

import asyncio
import io
import json
import multiprocessing
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from bot.errors import Refused
from bot.i18n import N_
from bot.records import TELEGRAM_DOWNLOAD_LIMIT
from bot.store.import_tables import ImportSource

MAX_UPLOAD_BYTES = TELEGRAM_DOWNLOAD_LIMIT
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ZIP_ENTRIES = 10_000
MAX_TEXT_CHARS = 20_000  # a pasted text or .txt file (one extraction call)
MESSAGE_CHARS = 1_500  # of one message of a conversation (long pastes of code say little about a person)
CONVERSATION_CHARS = 8_000  # of one conversation's messages
EXPORT_FORMAT = "advisor-bot-export"
EXPORT_VERSION = 2  # 1: the exports before the version field (read the same way)
_CHUNK = 1024 * 1024
_CONVERSATIONS_FILE = re.compile(r"^conversations(?:[-_]\d+)?\.json$")

# Why a file is refused, shown to the person (translated where shown).
TOO_BIG = N_("That file is over 20 MB, more than Telegram lets me download.")
TOO_MANY_ENTRIES = N_("That ZIP holds more than 10,000 files; a ChatGPT or Claude export holds far fewer.")
TOO_BIG_UNPACKED = N_("That ZIP would unpack to more than 200 MB, more than I read.")
BAD_ZIP = N_("That ZIP is damaged or encrypted; I can't open it.")
NO_CONVERSATIONS = N_("That ZIP has no conversations.json: it is no ChatGPT or Claude export.")
BAD_JSON = N_(
    "I can't read that file: it is neither my own /export, nor a ChatGPT or Claude export, nor text."
)
NOTHING_SAID = N_("That export holds no messages of yours.")
TOO_LONG_TEXT = N_("That text is too long for one import (at most 20,000 characters).")


class ImportRejected(Refused):
    """The upload cannot be imported; `str(exc)` is one of the templates above."""


@dataclass(frozen=True, slots=True)
class Conversation:
    key: str
    updated: float  # when it was last written to (UNIX time; 0 when unknown)
    said: str  # the person's messages, one after another


@dataclass(frozen=True, slots=True)
class Conversations:
    source: ImportSource
    items: tuple[Conversation, ...]  # newest first


@dataclass(frozen=True, slots=True)
class OwnExport:
    chat_id: int | None
    version: int
    memories: tuple[Mapping[str, Any], ...]
    reminders: tuple[Mapping[str, Any], ...]
    preferences: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlainText:
    text: str


Upload = Conversations | OwnExport | PlainText


def read_upload(data: bytes, file_name: str | None = None) -> Upload:
    """What `data` is; ImportRejected (with the reason to show) when it is nothing we import."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportRejected(TOO_BIG)
    if data[:4] == b"PK\x03\x04" or (file_name or "").lower().endswith(".zip"):
        return _conversations(list(_zip_documents(data)))
    text = _decoded(data)
    if text is None:
        raise ImportRejected(BAD_JSON)
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            document = json.loads(stripped)
        except ValueError:
            raise ImportRejected(BAD_JSON) from None
        return read_document(document)
    if len(text) > MAX_TEXT_CHARS:
        raise ImportRejected(TOO_LONG_TEXT)
    if not text.strip():
        raise ImportRejected(BAD_JSON)
    return PlainText(text)


async def read_upload_apart(data: bytes, file_name: str | None = None) -> Upload:
    """`read_upload` in a child process: parsing a large conversations.json holds the GIL for
    seconds (every chat's answer would wait) and takes several times its size in memory; the child
    returns only the person's words and exits."""
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, read_upload, data, file_name)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def read_document(document: Any) -> Conversations | OwnExport:
    """A parsed JSON document: our export, or a list of ChatGPT or Claude conversations."""
    if isinstance(document, dict) and isinstance(document.get("memories"), list):
        return _own_export(document)
    return _conversations([document])


def _decoded(data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _zip_documents(data: bytes) -> Iterator[Any]:
    """The parsed conversations files of a ZIP, each read under the unpacked-size limit."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportRejected(BAD_ZIP) from None
    if len(entries) > MAX_ZIP_ENTRIES:
        raise ImportRejected(TOO_MANY_ENTRIES)
    # The declared sizes may lie; a declared total over the limit is refused before any work.
    if sum(max(0, entry.file_size) for entry in entries) > MAX_UNPACKED_BYTES:
        raise ImportRejected(TOO_BIG_UNPACKED)
    wanted = [e for e in entries if _CONVERSATIONS_FILE.match(PurePosixPath(e.filename).name)]
    if not wanted:
        raise ImportRejected(NO_CONVERSATIONS)
    budget = MAX_UNPACKED_BYTES
    for entry in wanted:
        raw = _read_entry(archive, entry, budget)
        budget -= len(raw)
        text = _decoded(raw)
        if text is None:
            raise ImportRejected(BAD_JSON)
        try:
            yield json.loads(text)
        except ValueError:
            raise ImportRejected(BAD_JSON) from None


def _read_entry(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, budget: int) -> bytes:
    """The entry's bytes, counted as they are unpacked: past `budget`, ImportRejected."""
    buffer = bytearray()
    try:
        with archive.open(entry) as stream:
            while chunk := stream.read(_CHUNK):
                buffer += chunk
                if len(buffer) > budget:
                    raise ImportRejected(TOO_BIG_UNPACKED)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
        raise ImportRejected(BAD_ZIP) from None
    return bytes(buffer)


def _conversations(documents: Sequence[Any]) -> Conversations:
    found: list[Conversation] = []
    source: ImportSource | None = None
    for document in documents:
        if not isinstance(document, list):
            raise ImportRejected(BAD_JSON)
        for raw in document:
            if not isinstance(raw, dict):
                raise ImportRejected(BAD_JSON)
            if "mapping" in raw:
                source, conversation = "chatgpt", _chatgpt(raw)
            elif "chat_messages" in raw:
                source, conversation = "claude", _claude(raw)
            else:
                raise ImportRejected(BAD_JSON)
            if conversation.said:
                found.append(conversation)
    if source is None:
        raise ImportRejected(BAD_JSON if not any(documents) else NOTHING_SAID)
    if not found:
        raise ImportRejected(NOTHING_SAID)
    found.sort(key=lambda c: (-c.updated, c.key))
    return Conversations(source, tuple(found))


def _chatgpt(raw: Mapping[str, Any]) -> Conversation:
    """The person's messages on the branch the conversation ended on (edits and regenerations
    leave other branches in `mapping`; those are not what the person settled on)."""
    mapping = as_dict(raw.get("mapping"))
    node_id = raw.get("current_node")
    if node_id not in mapping:  # no current node: the newest leaf
        leaves = [k for k, n in mapping.items() if isinstance(n, dict) and not n.get("children")]
        node_id = max(leaves, key=lambda k: _node_time(mapping[k]), default=None)
    branch: list[Mapping[str, Any]] = []
    seen: set[str] = set()
    while isinstance(node_id, str) and node_id in mapping and node_id not in seen:
        seen.add(node_id)
        node = mapping[node_id] if isinstance(mapping[node_id], dict) else {}
        branch.append(node)
        node_id = node.get("parent")
    said = [_chatgpt_text(node.get("message")) for node in reversed(branch)]
    updated = _number(raw.get("update_time")) or _number(raw.get("create_time"))
    return Conversation(str(raw.get("id") or raw.get("conversation_id") or ""), updated, _joined(said))


def _chatgpt_text(message: Any) -> str:
    if not isinstance(message, dict):
        return ""
    author = as_dict(message.get("author"))
    metadata = as_dict(message.get("metadata"))
    if author.get("role") != "user" or metadata.get("is_visually_hidden_from_conversation"):
        return ""
    content = as_dict(message.get("content"))
    if content.get("content_type") not in ("text", "multimodal_text"):
        return ""
    parts = as_list(content.get("parts"))
    return "\n".join(p for p in parts if isinstance(p, str)).strip()


def _claude(raw: Mapping[str, Any]) -> Conversation:
    messages = as_list(raw.get("chat_messages"))
    said = []
    for message in messages:
        if not isinstance(message, dict) or message.get("sender") != "human":
            continue
        text = str(message.get("text") or "")
        if not text.strip():
            text = "\n".join(
                str(part.get("text") or "")
                for part in as_list(message.get("content"))
                if isinstance(part, dict) and part.get("type") == "text"
            )
        said.append(text.strip())
    updated = _iso_time(raw.get("updated_at")) or _iso_time(raw.get("created_at"))
    return Conversation(str(raw.get("uuid") or ""), updated, _joined(said))


def _joined(said: Sequence[str]) -> str:
    kept = [text[:MESSAGE_CHARS] for text in said if text]
    return "\n\n".join(kept)[:CONVERSATION_CHARS]


def _node_time(node: Any) -> float:
    message = node.get("message") if isinstance(node, dict) else None
    return _number(message.get("create_time")) if isinstance(message, dict) else 0.0


def as_dict(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one (exports are read defensively)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _iso_time(value: Any) -> float:
    if not isinstance(value, str):
        return 0.0
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def _own_export(document: Mapping[str, Any]) -> OwnExport:
    chat_id = document.get("chat_id")
    version = document.get("version", 1)
    memories = document.get("memories") or []
    reminders = as_list(document.get("reminders"))
    preferences = as_dict(document.get("preferences"))
    if not isinstance(version, int) or not all(isinstance(m, dict) for m in memories):
        raise ImportRejected(BAD_JSON)
    return OwnExport(
        chat_id if isinstance(chat_id, int) and not isinstance(chat_id, bool) else None,
        version,
        tuple(memories),
        tuple(r for r in reminders if isinstance(r, dict)),
        preferences,
    )
