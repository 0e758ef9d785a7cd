"""Text shaping for Telegram: splitting long replies at natural boundaries."""

from __future__ import annotations

TELEGRAM_TEXT_LIMIT = 4096


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split `text` into chunks of at most `limit` characters, preferring paragraph, line, sentence
    and word boundaries, in that order; no chunk is empty and nothing is lost but the whitespace at
    a cut."""
    if limit < 1:
        raise ValueError("limit must be positive")
    text = text.strip()
    chunks: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = -1
        for separator in ("\n\n", "\n", ". ", " "):
            position = window.rfind(separator)
            if position > limit // 4:
                cut = position + (1 if separator == ". " else 0)
                break
        if cut <= 0:
            cut = limit
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        chunks.append(text)
    return chunks
