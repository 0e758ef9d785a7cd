"""What the rest of the bot sees of a memory (`MemoryItem`), and how Mem0's rows become it: the
stored text carries the day it was said (`dated_text`), readers never see that prefix."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.errors import RateLimited, Unavailable
from bot.i18n import N_
from bot.llm import google_retry_delay
from bot.records import MemoryItem

# A chat message as Mem0 takes it: {"role": …, "content": …}.
Message = Mapping[str, str]


class MemoryUnavailable(Unavailable):
    """The memory backend failed; the caller degrades (answers without memories, retries later)."""

    reply = N_("My memory is unavailable right now. Please try again in a few minutes.")
    button_reply = N_(
        "My memory is unavailable right now, so nothing was changed or erased yet. "
        "Please try again in a few minutes."
    )


class MemoryRateLimited(MemoryUnavailable, RateLimited):
    """The embedding model behind the memory answered 429 (`retry_after`: the wait it asked for)."""


def backend_error(exc: Exception, backend: str) -> MemoryUnavailable:
    """What a failure inside Mem0 is to the rest of the bot (its type name only: messages can
    carry the user's text). A Google 429 from Mem0's embedder keeps the wait Gemini asked for."""
    if getattr(exc, "code", None) == 429:
        return MemoryRateLimited(
            f"rate limited in memory backend {backend}", google_retry_delay(getattr(exc, "details", None))
        )
    return MemoryUnavailable(f"{type(exc).__name__} in memory backend {backend}")


def result_rows(result: Any) -> list[dict[str, Any]]:
    if isinstance(result, dict):
        rows = result.get("results", [])
    elif isinstance(result, list):
        rows = result
    else:
        rows = []
    return [row for row in rows if isinstance(row, dict)]


# The day a fact was said, written before its text in the store: the embedding and the keyword index
# then carry it (LoCoMo: +0.04 evidence recall@10, temporal questions most; see BENCHMARKS.md).
# MemoryItem.text never shows it; the prompt shows the date from the metadata.
_DATE_PREFIX = re.compile(r"^\[\d{1,2} [A-Z][a-z]+ \d{4}\] ")


def dated_text(text: str, saved_at: Any) -> str:
    """`text` as stored: "[8 May 2023] text" when `saved_at` is an ISO date or datetime."""
    try:
        day = datetime.fromisoformat(str(saved_at)).date() if saved_at else None
    except ValueError:
        day = None
    text = _DATE_PREFIX.sub("", text)
    return f"[{day.day} {day:%B %Y}] {text}" if day else text


def undated_text(text: str) -> str:
    """The stored text without the day `dated_text` put before it."""
    return _DATE_PREFIX.sub("", text)


def undated_history(row: Mapping[str, Any]) -> dict[str, Any]:
    """A history row with its old and new texts as readers see them (without the stored day)."""
    out = dict(row)
    for key in ("old_memory", "new_memory"):
        if isinstance(out.get(key), str):
            out[key] = undated_text(out[key])
    return out


def to_item(row: Mapping[str, Any], default_user: str | None) -> MemoryItem:
    metadata = dict(row.get("metadata") or {})
    categories = row.get("categories") or metadata.get("categories") or ()
    if isinstance(categories, str):
        categories = (categories,)
    details = row.get("score_details")
    semantic = details.get("semantic_score") if isinstance(details, Mapping) else None
    return MemoryItem(
        id=str(row.get("id", "")),
        text=undated_text(str(row.get("memory") or row.get("data") or "")),
        user_id=row.get("user_id") or default_user,
        categories=tuple(str(c) for c in categories),
        created_at=row.get("created_at"),
        updated_at=row.get("updated_at"),
        score=row.get("score"),
        metadata=metadata,
        semantic_score=float(semantic) if isinstance(semantic, int | float) else None,
    )
