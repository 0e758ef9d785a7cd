"""Reading /import uploads in memory: real ZIP and JSON files built here, ZIP bombs included."""

from __future__ import annotations

import io
import json
import struct
import zipfile

import pytest

from bot.advisor.import_formats import (
    MAX_UNPACKED_BYTES,
    Conversations,
    ImportRejected,
    OwnExport,
    PlainText,
    read_upload,
)
from tests.support.exports import chatgpt_conversation, claude_conversation, zipped


def test_chatgpt_reads_the_persons_messages_on_the_branch_they_ended_on() -> None:
    """An edited first message leaves its old version on another branch: only the new one, and
    only the person's messages (no system, no assistant), newest conversation first."""
    data = zipped(
        [
            chatgpt_conversation("old", ["I row."], updated=1_000),
            chatgpt_conversation(
                "new", ["I live in Oslo.", "I have a dog."], updated=2_000, abandoned="I live in Bergen."
            ),
        ]
    )
    upload = read_upload(data, "export.zip")
    assert isinstance(upload, Conversations)
    assert upload.source == "chatgpt"
    assert [c.key for c in upload.items] == ["new", "old"]
    assert upload.items[0].said == "I live in Oslo.\n\nI have a dog."
    assert "Bergen" not in upload.items[0].said
    assert "tell me more" not in upload.items[0].said


def test_chatgpt_without_a_current_node_follows_the_newest_leaf() -> None:
    conversation = chatgpt_conversation("c", ["I swim."], updated=5_000, abandoned="I jog.")
    del conversation["current_node"]
    upload = read_upload(json.dumps([conversation]).encode())
    assert isinstance(upload, Conversations)
    assert upload.items[0].said == "I swim."


def test_claude_reads_the_human_messages() -> None:
    upload = read_upload(json.dumps([claude_conversation("k", ["I am vegan."], updated=10)]).encode())
    assert isinstance(upload, Conversations)
    assert (upload.source, upload.items[0].said) == ("claude", "I am vegan.")


def test_own_export_text_and_unknown_json() -> None:
    export = {"chat_id": 5, "memories": [{"text": "Runs"}], "preferences": {"units": "metric"}}
    assert isinstance(read_upload(json.dumps(export).encode()), OwnExport)
    assert read_upload(json.dumps({**export, "version": 2}).encode()).version == 2  # type: ignore[union-attr]
    assert read_upload(json.dumps(export).encode()).version == 1  # type: ignore[union-attr]
    assert isinstance(read_upload(b"I live in Oslo\nI row"), PlainText)
    for bad in (b'{"a": 1}', b"[1, 2]", b'[{"title": "x"}]', b"{not json", b"\xff\xfe\x00garbage"):
        with pytest.raises(ImportRejected):
            read_upload(bad)


def test_a_zip_with_too_many_entries_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("conversations.json", "[]")
        for index in range(10_000):
            archive.writestr(f"f/{index}", b"")
    with pytest.raises(ImportRejected, match="10,000"):
        read_upload(buffer.getvalue())


def _bomb(size: int) -> bytes:
    """conversations.json of `size` bytes of spaces (compresses to a few hundred KB)."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("conversations.json", "w") as out,
    ):
        chunk = b" " * (1024 * 1024)
        for _ in range(size // len(chunk)):
            out.write(chunk)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_by_its_declared_size() -> None:
    data = _bomb(MAX_UNPACKED_BYTES + 1024 * 1024)
    assert len(data) < 2 * 1024 * 1024
    with pytest.raises(ImportRejected, match="200 MB"):
        read_upload(data)


def test_a_zip_bomb_that_lies_about_its_size_is_refused() -> None:
    """The headers say 10 bytes while 201 MB would come out: Python's zipfile stops at the declared
    size and the checksum then fails, so the file is refused as damaged (our own count of the bytes
    that come out, checked against 200 MB, stands behind that)."""
    data = bytearray(_bomb(MAX_UNPACKED_BYTES + 1024 * 1024))
    # Rewrite the uncompressed size in the local header (offset 22) and the central directory
    # entry (offset 24 after its signature) to 10 bytes.
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, 10)
    struct.pack_into("<I", data, central + 24, 10)
    with pytest.raises(ImportRejected, match="damaged"):
        read_upload(bytes(data))


def test_over_20_mb_is_refused_before_reading() -> None:
    with pytest.raises(ImportRejected, match="20 MB"):
        read_upload(b"[" + b" " * (20 * 1024 * 1024) + b"]")
