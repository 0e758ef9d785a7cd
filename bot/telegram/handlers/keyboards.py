"""Inline keyboards: callback data within Telegram's 64 bytes, buttons in rows, texts shortened
for listings. The one place that knows the shape of "prefix:field:field" callback data."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton

CALLBACK_LIMIT = 64  # bytes of callback data Telegram accepts
SHOWN_CHARS = 300  # a listed memory is cut here (with "…")


def callback(prefix: str, *fields: object) -> str | None:
    """ "prefix:a:b" callback data, or None when it would not fit in Telegram's 64 bytes."""
    data = ":".join([prefix, *(str(f) for f in fields)])
    return data if len(data.encode()) <= CALLBACK_LIMIT else None


def callback_fields(data: str) -> tuple[str, str]:
    """The two fields after the prefix of "prefix:a:b" callback data ("" where missing)."""
    parts = data.split(":")
    return (parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else "")


def button(text: str, prefix: str, *fields: object) -> InlineKeyboardButton | None:
    """A callback button, or None when its data would not fit (the caller leaves it out)."""
    data = callback(prefix, *fields)
    return InlineKeyboardButton(text, callback_data=data) if data is not None else None


def rows(buttons: Sequence[InlineKeyboardButton | None], per_row: int) -> list[list[InlineKeyboardButton]]:
    """The buttons that exist, `per_row` to a row."""
    kept = [b for b in buttons if b is not None]
    return [kept[i : i + per_row] for i in range(0, len(kept), per_row)]


def shortened(text: str, limit: int = SHOWN_CHARS) -> str:
    """`text`, cut to `limit` characters with "…" when longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
