"""Text shaping for Telegram: Gemini's Markdown as entities, and long replies split safely.

Markdown is converted by `telegramify-markdown` into plain text plus message entities (no escaping
by hand, so a stray `*` or `<` can never make Telegram reject a message). Long texts are cut at
paragraph, line, sentence or word boundaries; an entity that spans a cut is clipped into both
parts, so each part keeps its formatting. Lengths are counted in UTF-16 code units, as Telegram
counts them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import telegramify_markdown
from telegram import MessageEntity

logger = logging.getLogger(__name__)

TELEGRAM_TEXT_LIMIT = 4096
_SEPARATORS = ("\n\n", "\n", ". ", " ")


@dataclass(frozen=True, slots=True)
class Chunk:
    """One Telegram message: plain text and the entities that format it."""

    text: str
    entities: tuple[MessageEntity, ...] = ()


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (characters beyond the BMP count twice)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def render(markdown: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[Chunk]:
    """Markdown as Telegram messages of at most `limit` UTF-16 units each, formatting kept.

    Text the converter cannot handle is sent as it is, without formatting; nothing is lost.
    """
    try:
        text, found = telegramify_markdown.convert(markdown)
        entities = [MessageEntity(e.type, e.offset, e.length, url=e.url, language=e.language) for e in found]
    except Exception:
        logger.warning("markdown conversion failed; sending plain text", exc_info=True)
        text, entities = markdown, []
    if not text.strip():
        text, entities = markdown, []
    text, entities = reveal_links(text, entities)
    return split_entities(text, entities, limit)


def reveal_links(text: str, entities: list[MessageEntity]) -> tuple[str, list[MessageEntity]]:
    """No link hides where it goes: a `text_link` whose label is not its URL (Markdown's
    `[label](url)`) becomes the label followed by the URL in brackets, as plain text.

    A model can be talked into a link that carries the person's data to someone else's server
    behind a friendly label (OWASP LLM Top 10: improper output handling); shown in full, the
    person sees the destination before following it.
    """
    hidden = sorted(
        (e for e in entities if e.type == MessageEntity.TEXT_LINK and e.url),
        key=lambda e: e.offset + e.length,
        reverse=True,
    )
    kept = [e for e in entities if e.type != MessageEntity.TEXT_LINK or not e.url]
    for link in hidden:
        offsets = _utf16_offsets(text)
        start, end = offsets.index(link.offset), offsets.index(link.offset + link.length)
        url = str(link.url)
        if text[start:end].strip().rstrip("/") == url.rstrip("/"):
            kept.append(link)  # the label is the URL itself: nothing is hidden
            continue
        insert = f" ({url})"
        grow = utf16_len(insert)
        at = link.offset + link.length
        text = text[:end] + insert + text[end:]
        moved = []
        for entity in kept:
            offset, length = entity.offset, entity.length
            if offset >= at:
                offset += grow
            elif offset + length > at:
                length += grow
            moved.append(_with(entity, offset, length))
        kept = moved
    return text, sorted(kept, key=lambda e: e.offset)


def _with(entity: MessageEntity, offset: int, length: int) -> MessageEntity:
    return MessageEntity(
        entity.type,
        offset,
        length,
        url=entity.url,
        language=entity.language,
        user=entity.user,
        custom_emoji_id=entity.custom_emoji_id,
    )


def plain(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[Chunk]:
    """Text sent exactly as it is (no Markdown), split to fit."""
    return split_entities(text, [], limit)


def split_entities(text: str, entities: list[MessageEntity], limit: int = TELEGRAM_TEXT_LIMIT) -> list[Chunk]:
    """Cut `text` into chunks within `limit`, clipping each entity into every chunk it touches."""
    if limit < 1:
        raise ValueError("limit must be positive")
    offsets = _utf16_offsets(text)
    chunks: list[Chunk] = []
    for start, end in _ranges(text, offsets, limit):
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start == end:
            continue
        low, high = offsets[start], offsets[end]
        clipped = []
        for entity in entities:
            first, last = max(entity.offset, low), min(entity.offset + entity.length, high)
            if last > first:
                clipped.append(
                    MessageEntity(
                        entity.type,
                        first - low,
                        last - first,
                        url=entity.url,
                        language=entity.language,
                        user=entity.user,
                        custom_emoji_id=entity.custom_emoji_id,
                    )
                )
        chunks.append(Chunk(text[start:end], tuple(clipped)))
    return chunks


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
        for separator in _SEPARATORS:
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


def _utf16_offsets(text: str) -> list[int]:
    """offsets[i] is the UTF-16 offset of text[i]; offsets[len(text)] the total length."""
    offsets = [0] * (len(text) + 1)
    total = 0
    for index, char in enumerate(text):
        offsets[index] = total
        total += 2 if ord(char) > 0xFFFF else 1
    offsets[len(text)] = total
    return offsets


def _ranges(text: str, offsets: list[int], limit: int) -> list[tuple[int, int]]:
    """Index ranges covering `text`, each within `limit` UTF-16 units, cut at natural boundaries."""
    ranges: list[tuple[int, int]] = []
    start = 0
    while offsets[len(text)] - offsets[start] > limit:
        # The furthest index whose UTF-16 offset still fits.
        end = start
        while end < len(text) and offsets[end + 1] - offsets[start] <= limit:
            end += 1
        window = text[start:end]
        cut = -1
        for separator in _SEPARATORS:
            position = window.rfind(separator)
            if position > len(window) // 4:
                cut = start + position + (1 if separator == ". " else 0)
                break
        if cut <= start:
            cut = max(end, start + 1)
        ranges.append((start, cut))
        start = cut
    if start < len(text):
        ranges.append((start, len(text)))
    return ranges
