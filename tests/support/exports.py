"""ChatGPT and Claude data exports built the way those services write them (for /import tests
and bench/import.py): ChatGPT's `conversations.json` holds a `mapping` tree per conversation (an
edited message leaves its first version on a branch of its own; `current_node` is the leaf the
person ended on); Claude's holds `chat_messages` with `sender` "human" / "assistant"."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]


def _node(node_id: str, parent: str | None, role: str | None, text: str, at: float) -> JSON:
    message = None
    if role is not None:
        message = {
            "id": node_id,
            "author": {"role": role, "name": None, "metadata": {}},
            "create_time": at,
            "content": {"content_type": "text", "parts": [text]},
            "status": "finished_successfully",
            "metadata": {"is_visually_hidden_from_conversation": True} if role == "system" else {},
        }
    return {"id": node_id, "message": message, "parent": parent, "children": []}


def chatgpt_conversation(
    key: str,
    said: Sequence[str],
    *,
    updated: float,
    answer: str = "Great, tell me more about your training.",
    abandoned: str | None = None,
) -> JSON:
    """One conversation: the person's messages `said`, each answered by `answer`. With `abandoned`,
    the first message was edited: its first version (`abandoned`) and the answer to it stay on
    a branch the person left."""
    mapping: dict[str, JSON] = {"root": _node("root", None, None, "", updated)}
    mapping[f"{key}-sys"] = _node(f"{key}-sys", "root", "system", "You are ChatGPT.", updated)
    mapping["root"]["children"].append(f"{key}-sys")
    parent = f"{key}-sys"
    if abandoned is not None:
        old, reply = f"{key}-old", f"{key}-old-a"
        mapping[old] = _node(old, parent, "user", abandoned, updated - 50)
        mapping[reply] = _node(reply, old, "assistant", "Noted: " + abandoned, updated - 40)
        mapping[old]["children"].append(reply)
        mapping[parent]["children"].append(old)
    for index, text in enumerate(said):
        asked, answered = f"{key}-u{index}", f"{key}-a{index}"
        mapping[asked] = _node(asked, parent, "user", text, updated - 30 + index)
        mapping[answered] = _node(answered, asked, "assistant", answer, updated - 29 + index)
        mapping[parent]["children"].append(asked)
        mapping[asked]["children"].append(answered)
        parent = answered
    return {
        "id": key,
        "conversation_id": key,
        "title": f"Chat {key}",
        "create_time": updated - 60,
        "update_time": updated,
        "mapping": mapping,
        "current_node": parent,
        "default_model_slug": "gpt-4o",
    }


def claude_conversation(
    key: str, said: Sequence[str], *, updated: float, answer: str = "Happy to help."
) -> JSON:
    when = datetime.fromtimestamp(updated, UTC).isoformat().replace("+00:00", "Z")
    messages: list[JSON] = []
    for index, text in enumerate(said):
        messages.append(
            {
                "uuid": f"{key}-h{index}",
                "sender": "human",
                "text": text,
                "content": [{"type": "text", "text": text}],
                "created_at": when,
            }
        )
        messages.append(
            {
                "uuid": f"{key}-a{index}",
                "sender": "assistant",
                "text": answer,
                "content": [{"type": "text", "text": answer}],
                "created_at": when,
            }
        )
    return {
        "uuid": key,
        "name": f"Chat {key}",
        "created_at": when,
        "updated_at": when,
        "chat_messages": messages,
    }


def zipped(conversations: Sequence[JSON], *, extra: dict[str, bytes] | None = None) -> bytes:
    """The ZIP a service's "export data" mails: conversations.json beside a few other files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("conversations.json", json.dumps(conversations))
        archive.writestr("user.json", json.dumps({"id": "user-1", "email": "ana@example.com"}))
        archive.writestr("chat.html", "<html><body>…</body></html>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()
