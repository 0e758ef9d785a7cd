"""Markdown rendered as Telegram entities, and long replies split for the 4096-unit limit."""

from __future__ import annotations

import pytest

from bot.telegram.formatting import TELEGRAM_TEXT_LIMIT, Chunk, plain, render, split_text, utf16_len


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


# --- Markdown rendered as entities ------------------------------------------------------------


def _covered(chunk: Chunk) -> list[tuple[str, str]]:
    """(type, covered text) of every entity, checking that each lies inside the chunk."""
    size = utf16_len(chunk.text)
    encoded = chunk.text.encode("utf-16-le")
    covered = []
    for entity in chunk.entities:
        assert entity.offset >= 0
        assert entity.length > 0
        assert entity.offset + entity.length <= size
        start, end = entity.offset * 2, (entity.offset + entity.length) * 2
        covered.append((entity.type, encoded[start:end].decode("utf-16-le")))
    return covered


def test_markdown_becomes_plain_text_with_entities() -> None:
    """Bold, italic, code and links turn into entities over the right words, markers removed."""
    [chunk] = render("**Squats** build _legs_. Try `3x5`, see [the guide](https://example.org).")
    assert chunk.text == "Squats build legs. Try 3x5, see the guide (https://example.org)."
    assert ("bold", "Squats") in _covered(chunk)
    assert ("italic", "legs") in _covered(chunk)
    assert ("code", "3x5") in _covered(chunk)
    assert [e for e in chunk.entities if e.type == "text_link"] == []


def test_no_link_hides_its_destination() -> None:
    """A Markdown link whose label is not its URL goes out as the label and the URL in full (no
    text_link hiding it), also inside bold text and after emoji; a link showing its URL stays."""
    [chunk] = render(
        "🏋️ Open [your personalised plan](https://evil.example/c?d=dog-Rex-vegetarian), "
        "**then [tap here](tg://resolve?domain=spam_bot) now**, or <https://ok.example/x>."
    )
    assert chunk.text == (
        "🏋️ Open your personalised plan (https://evil.example/c?d=dog-Rex-vegetarian), "
        "then tap here (tg://resolve?domain=spam_bot) now, or https://ok.example/x."
    )
    assert ("bold", "then tap here (tg://resolve?domain=spam_bot) now") in _covered(chunk)
    links = [(e.url, text) for e, (_, text) in zip(chunk.entities, _covered(chunk), strict=True)
             if e.type == "text_link"]  # fmt: skip
    assert links == [("https://ok.example/x", "https://ok.example/x")]


def test_offsets_count_utf16_units_past_emoji() -> None:
    """An emoji before bold text shifts the entity by two UTF-16 units, as Telegram counts."""
    [chunk] = render("💪💪 **strong**")
    assert _covered(chunk) == [("bold", "strong")]
    assert chunk.entities[0].offset == 5


def test_stray_markup_characters_are_kept_as_text() -> None:
    """Unbalanced markers and HTML-ish characters are sent literally, never rejected."""
    [chunk] = render("**unclosed bold and 1 < 2 & <b>x")
    assert "unclosed bold" in chunk.text
    assert "1 < 2 &" in chunk.text


def test_long_formatted_text_splits_with_every_chunk_valid() -> None:
    """A long bold-and-code answer splits under the limit; entities are clipped into each part."""
    paragraph = "**Bold start** then a long explanation " + "with many words " * 40 + "and `code`."
    chunks = render("\n\n".join([paragraph] * 40))
    assert len(chunks) > 1
    for chunk in chunks:
        assert 0 < utf16_len(chunk.text) <= TELEGRAM_TEXT_LIMIT
        assert chunk.text == chunk.text.strip()
        covered = _covered(chunk)
        assert ("bold", "Bold start") in covered
        assert all(text.strip() for _, text in covered)


def test_an_entity_across_a_cut_is_clipped_into_both_parts() -> None:
    """A bold run longer than the limit is bold in both resulting messages."""
    chunks = render("**" + ("word " * 30).strip() + "**", limit=60)
    assert len(chunks) >= 2
    for chunk in chunks:
        assert [kind for kind, _ in _covered(chunk)] == ["bold"]
        assert _covered(chunk)[0][1] == chunk.text


def test_emoji_are_never_cut_in_half() -> None:
    """A text of astral-plane characters splits between characters, within the UTF-16 limit."""
    chunks = plain("😀" * 100, limit=15)
    assert all(utf16_len(c.text) <= 15 for c in chunks)
    assert "".join(c.text for c in chunks) == "😀" * 100


def test_odd_unicode_survives_rendering() -> None:
    """Zero-width joiners, RTL text, combining marks and lone surrogate-free astral text survive."""
    text = "👩‍👩‍👧 שלום é\u0301 \u200b 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 **ok**"
    [chunk] = render(text)
    assert "שלום" in chunk.text
    assert "𝔘𝔫𝔦𝔠𝔬𝔡𝔢" in chunk.text
    assert ("bold", "ok") in _covered(chunk)


def test_blank_markdown_gives_no_chunks() -> None:
    """Whitespace alone produces nothing to send (the caller substitutes a placeholder)."""
    assert render("  \n\n ") == []
