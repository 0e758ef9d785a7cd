"""The same advisor in a terminal: `python -m bot chat` (as in the original Mem0 demo).

`/photo PATH [caption]` and `/voice PATH` send a picture or a recording from a file, through the
same pipeline as Telegram's pictures and voice notes (the file is read into memory, never copied).
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import shlex
import sys
from pathlib import Path

from bot.app import Services
from bot.config import Settings
from bot.records import AUDIO_TYPES, IMAGE_TYPES, TELEGRAM_DOWNLOAD_LIMIT, Media

# The terminal conversation has its own memory, under a chat id no Telegram chat uses.
TERMINAL_CHAT_ID = 0
EXIT_WORDS = {"exit", "quit", "bye"}
MEDIA_USAGE = "Usage: /photo PATH [caption] or /voice PATH (quote a path with spaces in it)."


class MediaInputError(ValueError):
    """A /photo or /voice line that cannot be sent; the message says why."""


def read_media(line: str) -> tuple[Media, str]:
    """The picture or recording a `/photo PATH [caption]` / `/voice PATH` line names, and its caption."""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise MediaInputError(f"{MEDIA_USAGE} ({exc})") from None
    if len(words) < 2 or (words[0] == "/voice" and len(words) > 2):
        raise MediaInputError(MEDIA_USAGE)
    command, path = words[0], Path(words[1]).expanduser()
    caption = " ".join(words[2:])
    guessed = (mimetypes.guess_type(path.name)[0] or "").lower()
    known = IMAGE_TYPES if command == "/photo" else AUDIO_TYPES
    mime = known.get(guessed)
    if mime is None:
        kinds = "JPEG, PNG, WEBP or HEIC" if command == "/photo" else "OGG, MP3, WAV, FLAC, AAC or AIFF"
        raise MediaInputError(f"{path.name}: not a file I understand here (use {kinds}).")
    try:
        size = path.stat().st_size
        if size > TELEGRAM_DOWNLOAD_LIMIT:
            raise MediaInputError(f"{path.name} is {size / 2**20:.1f} MB; the limit is 20 MB.")
        data = path.read_bytes()
    except OSError as exc:
        raise MediaInputError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    return Media(data, mime, "image" if command == "/photo" else "audio"), caption


async def chat(settings: Settings) -> None:
    print("Starting… (loading memory)", flush=True)
    async with contextlib.AsyncExitStack() as stack:  # closes every service, in reverse order
        services = await Services.open(settings, stack)
        print(
            "AI Fitness Advisor: ask me anything about training. Type 'exit' to quit.\n"
            "(/photo PATH [caption] sends a picture, /voice PATH a recording.)\n",
            flush=True,
        )
        await _converse(services)
        print("Saving what I learned…", flush=True)
        await services.photo_notes.wait()
        pending = await services.writer.drain(seconds=120)
        if pending:
            print(
                f"{pending} message(s) will be remembered next time (memory was unavailable).",
                file=sys.stderr,
            )
        print("Goodbye!", flush=True)


async def _converse(services: Services) -> None:
    """Answer each line typed until an exit word or the end of input."""
    advisor = services.advisor
    while True:
        try:
            line = await asyncio.to_thread(input, "You: ")
        except EOFError:
            return
        message = line.strip()
        if not message:
            continue
        if message.lower() in EXIT_WORDS:
            return
        media: list[Media] = []
        if message.split()[0] in ("/photo", "/voice"):
            try:
                item, message = read_media(message)
            except MediaInputError as exc:
                print(f"Advisor: {exc}\n", flush=True)
                continue
            media.append(item)
        answer = await advisor.answer(TERMINAL_CHAT_ID, message, media=media)
        if answer.heard and (await services.store.chats.get_prefs(TERMINAL_CHAT_ID)).heard == "on":
            print(f"🎙 I heard: {answer.heard}", flush=True)
        print(f"Advisor: {answer.text}\n", flush=True)
        advisor.reply_sent()
