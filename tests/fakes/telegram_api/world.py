"""The fake Telegram's world: users, chats, messages and pending updates, what tests do as people
(send a text, press a button, send a photo...) and what they read back (calls, sent messages)."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from tests.fakes.telegram_api.parsing import (
    _CANONICAL,
    _DEFAULT_DESCRIPTIONS,
    _NOT_DELIVERED_BY_DEFAULT,
    _UPDATE_KINDS,
    BOT_FIRST_NAME,
    BOT_USERNAME,
    DEFAULT_GROUP_USER_ID,
    DEFAULT_TOKEN,
    JSON,
    PROXY_ERROR_PAGE,
    Call,
    _copy,
    _Fault,
    _mark_command,
    _short,
    _update_kind,
)


def _mark_caption_mentions(message: JSON, caption: str) -> None:
    """Clients mark @mentions in captions as ``caption_entities`` (offsets in UTF-16 units)."""
    entities = []
    for match in re.finditer(r"@\w+", caption):
        offset = len(caption[: match.start()].encode("utf-16-le")) // 2
        length = len(match.group().encode("utf-16-le")) // 2
        entities.append({"type": "mention", "offset": offset, "length": length})
    if entities:
        message["caption_entities"] = entities


def commands_key(scope: Any, language_code: Any) -> str:
    """Where setMyCommands keeps a command list: its scope (default when none) and language."""
    scope_obj = scope if isinstance(scope, dict) and scope else {"type": "default"}
    return json.dumps([scope_obj, language_code or ""], sort_keys=True)


class TelegramWorld:
    """The state behind the fake Bot API, and the actions and views tests use on it."""

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
        #: Seconds each file download waits before its bytes are sent (set to 0 to release waiters).
        self.file_latency = 0.0
        #: The next this many file downloads answer 500.
        self.file_failures = 0
        #: File downloads served (path, bytes) and attempted.
        self.file_downloads: list[str] = []
        #: When set, getFile answers this `file_path` for every file (a hostile or broken server).
        self.file_path_override: str | None = None
        #: Chat ids that blocked the bot: every send to them answers 403.
        self.blocked: set[int] = set()
        #: User ids getChatMember reports as "administrator" (in every chat).
        self.admins: set[int] = set()
        #: Chat id → user ids getChatMember reports as "administrator" in that chat only.
        self.chat_admins: dict[int, set[int]] = {}
        #: Basic groups that became supergroups: old chat id → new chat id. Sending to the old id
        #: answers 400 with ``migrate_to_chat_id``, as Telegram does.
        self.migrated: dict[int, int] = {}
        #: When true, sending to a chat no update came from answers 400 "chat not found".
        self.strict_chats = False
        self.webhook_url = ""
        self.confirmed_offset = 0

        self._cond = threading.Condition(threading.RLock())
        self._calls: list[Call] = []
        self._sent: list[JSON] = []
        self._sent_per_chat: Counter[int] = Counter()
        self._sent_times: dict[int, list[float]] = {}
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
        self._reactions: dict[tuple[int, int], list[str]] = {}
        self._allowed_updates: frozenset[str] = frozenset(_UPDATE_KINDS) - _NOT_DELIVERED_BY_DEFAULT
        self._next_update_id = 1
        self._poll_generation = 0
        self._ids = itertools.count(1)
        self._stopping = False

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
        media_group_id: str | None = None,
        file_size: int | None = None,
        reply_to: JSON | None = None,
        declare_sizes: bool = True,
    ) -> int:
        """A user sends a picture: three sizes, the largest holding ``data`` (the smaller ones are
        thumbnails: a header of their own, then the first 60 bytes after ``data``'s 4-byte JPEG
        marker). ``file_size`` reports another size than ``len(data)`` for the largest; with
        ``declare_sizes`` false no size says how big it is (the field is optional in the Bot API)."""
        message = self._user_message(chat_id, user_id, chat_type, first_name, username, None, "en")
        sizes = []
        for width, height in ((90, 68), (320, 240), (1280, 960)):
            largest = width == 1280
            # A thumbnail shows the same picture, smaller: its bytes start with the same words.
            content = data if largest else b"\xff\xd8\xff\xe0thumbnail %dx%d:" % (width, height) + data[4:64]
            file_id = self._register_file(f"photos/file_{next(self._ids)}.jpg", content)
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": f"AQAD{file_id[-8:]}",
                    "file_size": file_size if largest and file_size is not None else len(content),
                    "width": width,
                    "height": height,
                }
            )
            if not declare_sizes:
                del sizes[-1]["file_size"]
        message["photo"] = sizes
        if media_group_id is not None:
            message["media_group_id"] = media_group_id
        return self._push_media(message, chat_id, caption, reply_to)

    def send_file(
        self,
        chat_id: int,
        kind: str,
        data: bytes,
        *,
        mime_type: str | None = None,
        file_name: str | None = None,
        duration: int | None = None,
        caption: str | None = None,
        file_size: int | None = None,
        user_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Ana",
        reply_to: JSON | None = None,
    ) -> int:
        """A user sends a ``document``, ``audio``, ``video_note``, ``video`` or ``voice``."""
        message = self._user_message(chat_id, user_id, chat_type, first_name, None, None, "en")
        file_id = self._register_file(f"{kind}s/file_{next(self._ids)}_{file_name or 'file'}", data)
        attachment: JSON = {
            "file_id": file_id,
            "file_unique_id": f"AgAD{file_id[-8:]}",
            "file_size": len(data) if file_size is None else file_size,
        }
        if mime_type is not None:
            attachment["mime_type"] = mime_type
        if file_name is not None:
            attachment["file_name"] = file_name
        if duration is not None or kind in ("audio", "video_note", "video", "voice"):
            attachment["duration"] = duration or 1
        if kind == "video_note":
            attachment["length"] = 240
        if kind == "video":
            attachment.update(width=640, height=480)
        message[kind] = attachment
        return self._push_media(message, chat_id, caption, reply_to)

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
        file_size: int | None = None,
        caption: str | None = None,
        reply_to: JSON | None = None,
    ) -> int:
        message = self._user_message(chat_id, user_id, chat_type, first_name, username, None, "en")
        file_id = self._register_file(f"voice/file_{next(self._ids)}.oga", data)
        message["voice"] = {
            "file_id": file_id,
            "file_unique_id": f"AgAD{file_id[-8:]}",
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(data) if file_size is None else file_size,
        }
        return self._push_media(message, chat_id, caption, reply_to)

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

    def migrate_group(
        self, old_chat_id: int, new_chat_id: int, *, user_id: int | None = None
    ) -> tuple[int, int]:
        """Basic group ``old_chat_id`` becomes supergroup ``new_chat_id`` (an admin changed a
        setting that needs one): Telegram posts ``migrate_to_chat_id`` in the old chat and
        ``migrate_from_chat_id`` in the new one; the old id refuses messages from then on, and
        its administrators administer the new chat. Returns the two update ids."""
        uid = user_id if user_id is not None else DEFAULT_GROUP_USER_ID
        with self._cond:
            old_chat = self._ensure_chat(old_chat_id, "group", "Ana", None)
            new_chat = self._ensure_chat(new_chat_id, "supergroup", "Ana", None)
            self.migrated[old_chat_id] = new_chat_id
            if old_chat_id in self.chat_admins:
                self.chat_admins.setdefault(new_chat_id, set()).update(self.chat_admins[old_chat_id])
            now = int(time.time())
            to = {
                "message_id": self._new_message_id(old_chat_id),
                "from": self._user(uid),
                "chat": old_chat,
                "date": now,
                "migrate_to_chat_id": new_chat_id,
            }
            came = {
                "message_id": self._new_message_id(new_chat_id),
                "from": self._user(uid),
                "chat": new_chat,
                "date": now,
                "migrate_from_chat_id": old_chat_id,
            }
        return self.push_update({"message": to}), self.push_update({"message": came})

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

    def answer_html_next(self, method: str, *, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP 200 and an HTML page, as a proxy
        or a captive portal does (PTB raises ``TelegramError: Invalid server response``)."""
        canonical = _CANONICAL.get(method.lower(), method)
        with self._cond:
            self._faults.append(_Fault(canonical, 200, PROXY_ERROR_PAGE, None, None, times, None, "html"))

    def drop_connection_next(self, method: str, *, times: int = 1, chat_id: int | None = None) -> None:
        """Carry out the next ``times`` calls of ``method`` (a message is delivered), then close the
        connection without answering: the request reached Telegram, its answer was lost."""
        canonical = _CANONICAL.get(method.lower(), method)
        with self._cond:
            self._faults.append(_Fault(canonical, 200, "", None, None, times, chat_id, "drop"))

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

    def sent_times(self, chat_id: int) -> list[float]:
        """When (``time.perf_counter()``) each message to the chat arrived, in order."""
        with self._cond:
            return list(self._sent_times.get(chat_id, []))

    def texts(self, chat_id: int | None = None) -> list[str]:
        """Texts (or captions) of the messages the bot sent."""
        return [str(m.get("text", m.get("caption", ""))) for m in self.sent(chat_id)]

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        """The current state of a message (after edits), as Telegram would return it."""
        with self._cond:
            found = self._messages.get((chat_id, message_id))
            return _copy(found) if found is not None else None

    def reactions(self, chat_id: int, message_id: int) -> list[str]:
        """The emoji the bot set on a message (setMessageReaction), as it stands now."""
        with self._cond:
            return list(self._reactions.get((chat_id, message_id), []))

    def my_commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        with self._cond:
            return list(self._commands.get(commands_key(scope, language_code), []))

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
            self._sent_times.clear()
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

    def _push_media(self, message: JSON, chat_id: int, caption: str | None, reply_to: JSON | None) -> int:
        """Queue a media message with its caption (mentions marked) and the message it replies to."""
        if caption is not None:
            message["caption"] = caption
            _mark_caption_mentions(message, caption)
        if reply_to is not None:
            message["reply_to_message"] = self._resolve_reply(chat_id, reply_to)
        return self.push_update({"message": message})

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
