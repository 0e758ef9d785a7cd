"""Voice notes, audio files, round videos and pictures on Telegram: what a message carries, whether
it is within the limits (checked before anything is downloaded), and the download itself.

A download is `getFile` (retried like any Bot API call: 429 waits, network errors and time-outs
back off) and then the file, streamed from the file URL (`Bot.base_file_url`, so it follows
TELEGRAM_API_BASE_URL) into memory with a size cap, on a session of its own: big files never hold
the connections replies go out on. The bytes are returned to the caller and never written anywhere;
nothing here logs a URL (it carries the bot token) or a byte of the file.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import mimetypes
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import aiohttp
from telegram import Bot, Message
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.errors import Unavailable
from bot.i18n import N_, Translator
from bot.records import AUDIO_TYPES, IMAGE_TYPES, TELEGRAM_DOWNLOAD_LIMIT, Media, MediaKind
from bot.runtime.http import new_session
from bot.telegram.albums import Albums
from bot.telegram.sender import retry_after_seconds

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024
PREVIEW_WIDTH = 320  # the picture size used to describe a photo for memory

# The person reads these in their language (bot/i18n): templates here, translated where shown.
UNDERSTOOD = N_(
    "I understand text, voice notes, audio files (MP3, OGG, WAV, FLAC, AAC), round video "
    "messages and pictures (JPEG, PNG, WEBP, HEIC)."
)
NOT_UNDERSTOOD = N_("I can't read that kind of message.")
UNSUPPORTED_FILE = N_("I can't open that kind of file.")
UNSUPPORTED_AUDIO = N_("I can't open that audio format.")
UNSUPPORTED_KINDS = {
    "sticker": N_("I can't open stickers."),
    "animation": N_("I can't open GIFs."),
    "video": N_("I can't open videos (round video messages work)."),
}
TOO_BIG_REPLY = N_(
    "That file is too big for me ({size} MB): Telegram lets me download at most 20 MB. "
    "Could you send a smaller one?"
)
ALBUM_TOO_BIG_REPLY = N_(
    "Those pictures are too big to look at together ({size} MB; at most {limit} MB at once). "
    "Could you send fewer or smaller ones?"
)
TOO_LONG_REPLY = N_(
    "That recording is {length} long; I listen to at most {limit}. Could you send a shorter one, or type it?"
)
DOWNLOAD_FAILED_REPLY = N_(
    "Sorry, I couldn't download that file from Telegram just now. Could you send it again in a minute?"
)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file a message carries, as Telegram describes it (nothing downloaded yet)."""

    file_id: str
    kind: MediaKind
    mime_type: str
    size: int | None = None
    duration: int | None = None
    preview_file_id: str | None = None  # a small copy of a picture (Telegram's thumbnail sizes)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a message's file is not taken: a short answer for the person (a template of the catalogs
    and its values), followed by what the bot does understand when `understood`."""

    template: str
    values: Mapping[str, str] = field(default_factory=dict)
    understood: bool = False

    def text(self, t: Translator) -> str:
        words = t.gettext(self.template).format(**self.values)
        return f"{words} {t.gettext(UNDERSTOOD)}" if self.understood else words


@dataclass(frozen=True, slots=True)
class MediaDeps:
    """What the media handler needs, made once at start: the downloader, the albums being
    gathered, and the slots that bound how many voice notes and pictures are handled at once."""

    downloader: MediaDownloader
    albums: Albums[tuple[Message, Attachment]]
    slots: asyncio.Semaphore


class DownloadFailed(Unavailable):
    """The file could not be fetched from Telegram, after the retries."""

    reply = button_reply = DOWNLOAD_FAILED_REPLY


def attachment_of(message: Message, *, max_voice_seconds: int) -> Attachment | Refusal | None:
    """The file to understand in `message`, a Refusal (too big, too long, a kind not understood),
    or None when the message carries no file at all (text, a location, …)."""
    found = _find(message)
    if found is None or isinstance(found, Refusal):
        return found
    if found.size is not None and found.size > TELEGRAM_DOWNLOAD_LIMIT:
        return Refusal(TOO_BIG_REPLY, {"size": f"{found.size / 2**20:.1f}"})
    if found.duration is not None and found.duration > max_voice_seconds:
        return Refusal(
            TOO_LONG_REPLY, {"length": _duration(found.duration), "limit": _duration(max_voice_seconds)}
        )
    return found


def _find(message: Message) -> Attachment | Refusal | None:
    with warnings.catch_warnings():
        # PTB 22.2+ warns on reading `duration` as int; `_seconds` takes either type.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        return _find_attachment(message)


def _find_attachment(message: Message) -> Attachment | Refusal | None:
    if message.voice is not None:
        voice = message.voice
        mime = AUDIO_TYPES.get((voice.mime_type or "audio/ogg").lower(), "audio/ogg")
        return Attachment(voice.file_id, "audio", mime, voice.file_size, _seconds(voice.duration))
    if message.video_note is not None:
        note = message.video_note
        return Attachment(note.file_id, "video", "video/mp4", note.file_size, _seconds(note.duration))
    if message.audio is not None:
        audio = message.audio
        known = _mime(audio.mime_type, audio.file_name, AUDIO_TYPES)
        if known is None:
            return Refusal(UNSUPPORTED_AUDIO, understood=True)
        return Attachment(audio.file_id, "audio", known, audio.file_size, _seconds(audio.duration))
    if message.photo:
        sizes = sorted(message.photo, key=lambda s: s.width * s.height)
        fitting = [s for s in sizes if s.file_size is None or s.file_size <= TELEGRAM_DOWNLOAD_LIMIT]
        best = fitting[-1] if fitting else sizes[-1]
        smaller = [s for s in sizes if s.width * s.height < best.width * best.height]
        preview = min(smaller, key=lambda s: abs(s.width - PREVIEW_WIDTH), default=None)
        preview_id = preview.file_id if preview is not None else None
        return Attachment(best.file_id, "image", "image/jpeg", best.file_size, preview_file_id=preview_id)
    if message.document is not None:
        document = message.document
        image = _mime(document.mime_type, document.file_name, IMAGE_TYPES)
        if image is not None:
            thumbnail = document.thumbnail.file_id if document.thumbnail is not None else None
            return Attachment(document.file_id, "image", image, document.file_size, preview_file_id=thumbnail)
        audio_mime = _mime(document.mime_type, document.file_name, AUDIO_TYPES)
        if audio_mime is not None:
            return Attachment(document.file_id, "audio", audio_mime, document.file_size)
        return Refusal(UNSUPPORTED_FILE, understood=True)
    for attribute, refusal in UNSUPPORTED_KINDS.items():
        if getattr(message, attribute, None):
            return Refusal(refusal, understood=True)
    return None


def _mime(reported: str | None, file_name: str | None, known: dict[str, str]) -> str | None:
    mime = (reported or "").lower() or (mimetypes.guess_type(file_name or "")[0] or "").lower()
    return known.get(mime)


def _seconds(value: int | dt.timedelta | None) -> int | None:
    """PTB 22 reports durations as int or timedelta (see PTB_TIMEDELTA); whole seconds here."""
    if isinstance(value, dt.timedelta):
        return int(value.total_seconds())
    return value


def _duration(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


class MediaDownloader:
    """Downloads files into memory: several at once, each capped at TELEGRAM_DOWNLOAD_LIMIT."""

    def __init__(
        self,
        bot: Bot,
        *,
        timeout_seconds: float = 30.0,
        attempts: int = 3,
        max_connections: int = 32,
        max_bytes: int = TELEGRAM_DOWNLOAD_LIMIT,
        backoff_seconds: float = 0.5,
    ) -> None:
        """Its HTTP session is made at the first download, in the event loop that uses it."""
        self._bot = bot
        self._timeout = timeout_seconds
        self._attempts = max(1, attempts)
        self._max_bytes = max_bytes
        self._backoff = backoff_seconds
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    async def fetch_all(self, attachments: Sequence[Attachment], *, limit: int | None = None) -> list[Media]:
        """Every file's bytes, at most `limit` bytes read in all (an album sent inline at once):
        reading stops at the cap (AlbumTooBig), whatever sizes Telegram declared. The first
        failure cancels the other downloads."""
        budget = _Budget(limit) if limit is not None else None
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(self.fetch(a, budget)) for a in attachments]
        except* DownloadFailed as failed:
            raise failed.exceptions[0] from None
        return [task.result() for task in tasks]

    async def fetch(self, attachment: Attachment, budget: _Budget | None = None) -> Media:
        """The file's bytes; DownloadFailed after the retries (never a partial file)."""
        return Media(await self.fetch_file(attachment.file_id, budget), attachment.mime_type, attachment.kind)

    async def fetch_file(self, file_id: str, budget: _Budget | None = None) -> bytes:
        """The bytes of any file (in memory only, e.g. an /import upload); DownloadFailed after
        the retries."""
        problem = "no attempt"
        for attempt in range(1, self._attempts + 1):
            try:
                async with asyncio.timeout(self._timeout):
                    return await self._fetch_once(file_id, budget)
            except RetryAfter as exc:
                problem = "Telegram asked to wait"
                await asyncio.sleep(retry_after_seconds(exc))
                continue
            except _TooBig:
                raise DownloadFailed("the file is larger than Telegram's 20 MB download limit") from None
            except BadRequest as exc:  # a wrong or expired file id: asking again cannot help
                raise DownloadFailed(f"Telegram refused the file ({exc.message})") from exc
            except (TimeoutError, NetworkError, aiohttp.ClientError, _BadStatus) as exc:
                problem = _describe(exc)
            except TelegramError as exc:
                raise DownloadFailed(f"Telegram refused the file ({type(exc).__name__})") from exc
            logger.warning("download attempt %d of %d failed: %s", attempt, self._attempts, problem)
            if attempt < self._attempts:
                await asyncio.sleep(self._backoff * 2 ** (attempt - 1))
        raise DownloadFailed(f"download failed after {self._attempts} attempts ({problem})")

    async def previews(self, attachments: Sequence[Attachment]) -> list[Media]:
        """The small copies of pictures (all of them have a `preview_file_id`), as JPEG images."""
        found = []
        for attachment in attachments:
            assert attachment.preview_file_id is not None
            found.append(await self.fetch(Attachment(attachment.preview_file_id, "image", "image/jpeg")))
        return found

    async def _fetch_once(self, file_id: str, budget: _Budget | None = None) -> bytes:
        file = await self._bot.get_file(file_id)
        if file.file_size is not None and file.file_size > self._max_bytes:
            raise _TooBig
        url = file.file_path or ""
        if not url.startswith(("http://", "https://")):
            raise DownloadFailed("Telegram gave no file URL (a local Bot API server in --local mode?)")
        if not _plain_file_path(url, self._bot.base_file_url):
            # "../../bot<token>/sendMessage?…" would call that method with the bot's own token
            raise DownloadFailed("Telegram gave a file path that is not a plain relative path; not fetched")
        if self._session is None:
            self._session = new_session(self._bot.base_file_url, limit=self._max_connections)
        buffer = bytearray()
        try:
            async with self._session.get(url) as response:
                if response.status != 200:
                    raise _BadStatus(response.status)
                async for chunk in response.content.iter_chunked(CHUNK):
                    buffer += chunk
                    if len(buffer) > self._max_bytes:
                        raise _TooBig
                    if budget is not None:
                        budget.take(len(chunk))
        except BaseException:
            if budget is not None:  # a failed attempt's bytes are gone: they do not count
                budget.give_back(len(buffer))
            raise
        return bytes(buffer)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


# What Telegram's file paths look like ("photos/file_12.jpg", "voice/file_3.oga"): plain names,
# no "..", no query, no escapes.
_FILE_PATH = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*")


def _plain_file_path(url: str, base: str) -> bool:
    """`url` is the file URL PTB built (`base` + "/" + Telegram's file_path) and that path is plain."""
    prefix = base.rstrip("/") + "/"
    if not url.startswith(prefix):
        return False
    relative = url[len(prefix) :]
    return _FILE_PATH.fullmatch(relative) is not None and ".." not in relative.split("/")


class AlbumTooBig(DownloadFailed):
    """The files of an album read together passed the limit (`read` bytes when reading stopped)."""

    def __init__(self, read: int) -> None:
        super().__init__(f"the album's files passed the inline limit after {read} bytes")
        self.read = read


class _Budget:
    """Bytes several downloads may read together."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self, count: int) -> None:
        self.used += count
        if self.used > self.limit:
            raise AlbumTooBig(self.used)

    def give_back(self, count: int) -> None:
        self.used -= count


class _TooBig(Exception):
    pass


class _BadStatus(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def _describe(exc: BaseException) -> str:
    """A log-safe description: the type and status, never a URL (it holds the token)."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, _BadStatus):
        return f"file server answered HTTP {exc.status}"
    return type(exc).__name__
