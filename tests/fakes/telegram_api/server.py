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
* explicit ``entities`` are checked (known types, bounds in UTF-16 units, no cut surrogate pair)
  and bad ones answer 400 ``Bad Request: can't parse entities: ...``; ``parse_mode`` is not
  implemented (the bot sends entities only) and answers 400;
* empty or too long texts, text-only inline buttons, callback data over 64 bytes, editing a
  message to identical content ("message is not modified"), unknown messages, and stale
  callback query ids all answer 400 with Telegram's descriptions;
* chats in ``blocked`` answer 403 ``Forbidden: bot was blocked by the user`` to every send.

Misbehaviour on demand: ``fail_next`` (an API error), ``answer_html_next`` (HTTP 200 with a
proxy's HTML page) and ``drop_connection_next`` (the call takes effect, then the connection is
closed without an answer).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.fakes.loopback import Handler, LoopbackFake
from tests.fakes.telegram_api.parsing import (
    _CANONICAL,
    _CHAT_ACTIONS,
    _DEFAULT_DESCRIPTIONS,
    _METHODS,
    _NOT_DELIVERED_BY_DEFAULT,
    _UPDATE_KINDS,
    JSON,
    MAX_CALLBACK_DATA_BYTES,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    STANDARD_REACTIONS,
    Call,
    UploadedFile,
    _ApiError,
    _as_chat_id,
    _bad_request,
    _copy,
    _Fault,
    _format_text,
    _HtmlAnswer,
    _parse_params,
    _update_kind,
)
from tests.fakes.telegram_api.world import TelegramWorld, commands_key


class FakeTelegram(TelegramWorld, LoopbackFake):
    """A fake Bot API server on 127.0.0.1. See the module docstring."""

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
        except _HtmlAnswer as page:
            handler.reply(200, str(page).encode(), "text/html")
            return
        except _ApiError as error:
            self._reply_error(handler, error)
            return
        except (KeyError, TypeError, ValueError) as error:
            self._reply_error(handler, _bad_request(f"invalid request: {error!r}"))
            return
        if self._take_fault(method, params, "drop") is not None:
            handler.close_connection = True  # the call took effect; its answer never leaves
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
            self.file_downloads.append(file_path)
            failing = self.file_failures > 0
            if failing:
                self.file_failures -= 1
        started = time.monotonic()
        while self.file_latency > 0 and time.monotonic() - started < self.file_latency:
            time.sleep(0.02)
        if failing:
            self._reply_error(handler, _ApiError(500, "Internal Server Error"))
        elif token != self.token or self.reject_token:
            self._reply_error(handler, _ApiError(401, "Unauthorized"))
        elif data is None:
            self._reply_error(handler, _ApiError(404, "Not Found"))
        else:
            handler.reply(200, data, "application/octet-stream")

    def _take_fault(self, method: str, params: dict[str, Any], *kinds: str) -> _Fault | None:
        """The first fault of one of ``kinds`` armed for this call, counted as used."""
        chat_id = _as_chat_id(params.get("chat_id"))
        with self._cond:
            for fault in self._faults:
                if fault.kind not in kinds or fault.method != method:
                    continue
                if fault.chat_id is not None and fault.chat_id != chat_id:
                    continue
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _raise_fault(self, method: str, params: dict[str, Any]) -> None:
        fault = self._take_fault(method, params, "error", "html")
        if fault is None:
            return
        if fault.kind == "html":
            raise _HtmlAnswer(fault.description)
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
        key = commands_key(params.get("scope"), params.get("language_code"))
        with self._cond:
            self._commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        return True

    def _api_getMyCommands(self, params: dict[str, Any]) -> list[JSON]:
        return self.my_commands(params.get("scope"), str(params.get("language_code") or ""))

    def _api_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        with self._cond:
            self._commands.pop(commands_key(params.get("scope"), params.get("language_code")), None)
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
        with self._cond:
            moved_to = self.migrated.get(chat_id)
        if moved_to is not None:
            raise _ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": moved_to},
            )
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
            self._sent_times.setdefault(chat_id, []).append(time.perf_counter())
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

    def _api_setMessageReaction(self, params: dict[str, Any]) -> bool:
        chat_id = self._target_chat(params)
        message_id = int(params.get("message_id") or 0)
        with self._cond:
            if (chat_id, message_id) not in self._messages:
                raise _bad_request("MESSAGE_ID_INVALID")
        reaction = params.get("reaction") or []
        if not isinstance(reaction, list):
            raise _bad_request("can't parse reaction types JSON object")
        emoji = []
        for item in reaction:
            if not isinstance(item, dict) or item.get("type") != "emoji":
                raise _bad_request("REACTION_INVALID")
            if item.get("emoji") not in STANDARD_REACTIONS:
                raise _bad_request("REACTION_INVALID")
            emoji.append(str(item["emoji"]))
        if len(emoji) > 1:  # bots set at most one reaction per message
            raise _bad_request("REACTIONS_TOO_MANY")
        self._check_can_send(chat_id)
        with self._cond:
            self._reactions[(chat_id, message_id)] = emoji
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
        chat_id = self._target_chat(params)
        self._check_can_send(chat_id)  # a migrated group's old id answers with its new one
        user_id = int(params.get("user_id") or 0)
        user = self.bot_user if user_id == self.bot_id else self._user(user_id)
        admin = user_id in self.admins or user_id in self.chat_admins.get(chat_id, set())
        return self._member(user, "administrator" if admin else "member")

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
            "file_path": known[0] if self.file_path_override is None else self.file_path_override,
        }

    # ---- state helpers (call with the lock held where they touch shared state) -------------
