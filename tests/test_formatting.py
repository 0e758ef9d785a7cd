"""Splitting long replies for Telegram's 4096-character limit."""

from __future__ import annotations

import pytest

from bot.formatting import TELEGRAM_TEXT_LIMIT, split_text


def test_short_text_is_one_chunk() -> None:
    """A reply under the limit is sent as it is."""
    assert split_text("  Hello there.  ") == ["Hello there."]


def test_long_text_splits_at_paragraphs_and_loses_no_words() -> None:
    """Chunks stay under the limit, end at paragraph breaks, and keep every word."""
    paragraphs = [f"Paragraph {i}. " + "word " * 150 for i in range(40)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    chunks = split_text(text)
    assert len(chunks) > 1
    assert all(0 < len(c) <= TELEGRAM_TEXT_LIMIT for c in chunks)
    assert " ".join(" ".join(chunks).split()) == " ".join(text.split())
    assert all(c.startswith("Paragraph") for c in chunks)


def test_text_without_spaces_is_cut_hard() -> None:
    """A single enormous word is still split into valid chunks."""
    chunks = split_text("x" * 10_000, limit=4096)
    assert [len(c) for c in chunks] == [4096, 4096, 1808]


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        split_text("abc", limit=0)
