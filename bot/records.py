"""The shared vocabulary, as plain values: settings, chats, turns, usage, pending work, memories."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from functools import cache
from typing import Any, Literal, get_args
from zoneinfo import available_timezones

ReplyLength = Literal["short", "medium", "long"]
Units = Literal["metric", "imperial"]
Language = Literal["auto", "en", "es", "fr", "de", "it", "pt", "pt-pt", "ru", "uk"]
CoachingStyle = Literal["balanced", "gentle", "tough"]
MemoryMode = Literal["on", "off"]
Switch = Literal["on", "off"]
MediaKind = Literal["audio", "image", "video"]
# The time-zone buttons of /prefs; any IANA name is accepted with /prefs timezone Area/City.
COMMON_TIMEZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
)


@dataclass(frozen=True, slots=True)
class Prefs:
    """A chat's settings; every field has a default, so a new chat needs no row."""

    reply_length: ReplyLength = "medium"
    units: Units = "metric"
    language: Language = "auto"
    coaching_style: CoachingStyle = "balanced"
    # "off" is incognito: nothing new is stored and nothing is recalled; the recent turns are kept
    # in memory only (bot/advisor/incognito.py).
    memory: MemoryMode = "on"
    # "on": a ✍ reaction on a message (private chats) once what it said is in memory.
    reactions: Switch = "on"
    # "🎙 I heard: …" above the answer to a voice note, so people see what was understood.
    heard: Switch = "on"
    # Reminders (bot/followup): "" until chosen (asked the first time a reminder needs it).
    timezone: str = ""
    # Check-in offers from what the person plans ("Shall I check in on Friday?"); "off" = none.
    checkins: Switch = "on"

    @staticmethod
    def accepts(key: str, value: str) -> bool:
        """Whether `value` is a valid setting of `key` (any IANA zone for the time zone)."""
        if key == "timezone":
            return is_timezone(value)
        return value in Prefs.choices(key)

    @staticmethod
    def choices(key: str) -> tuple[str, ...]:
        if key == "timezone":
            return COMMON_TIMEZONES
        hints = {
            "reply_length": ReplyLength,
            "units": Units,
            "language": Language,
            "coaching_style": CoachingStyle,
            "memory": MemoryMode,
            "reactions": Switch,
            "heard": Switch,
            "checkins": Switch,
        }
        return get_args(hints[key]) if key in hints else ()

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


# Telegram lets bots download files up to 20 MB (getFile); Gemini takes about 20 MB of inline
# data per request, so the pictures of one album must fit together under INLINE_LIMIT.
TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024
INLINE_LIMIT = 19 * 1024 * 1024

# Formats Gemini understands inline, keyed by the MIME types Telegram (or a file name) reports.
AUDIO_TYPES = {
    "audio/ogg": "audio/ogg",
    "audio/opus": "audio/ogg",
    "audio/mpeg": "audio/mp3",
    "audio/mp3": "audio/mp3",
    "audio/wav": "audio/wav",
    "audio/x-wav": "audio/wav",
    "audio/aac": "audio/aac",
    "audio/flac": "audio/flac",
    "audio/x-flac": "audio/flac",
    "audio/aiff": "audio/aiff",
    "audio/x-aiff": "audio/aiff",
}
IMAGE_TYPES = {
    "image/jpeg": "image/jpeg",
    "image/png": "image/png",
    "image/webp": "image/webp",
    "image/heic": "image/heic",
    "image/heif": "image/heif",
}


@dataclass(frozen=True, slots=True)
class Media:
    """One voice note, audio file, round video or picture, held in memory for one model call only
    (never written to disk, never logged: `repr` shows its size, not its bytes)."""

    data: bytes = field(repr=False)
    mime_type: str
    kind: MediaKind

    @property
    def spoken(self) -> bool:
        """Audio or a round video: what the person said is in it (a transcript comes back)."""
        return self.kind in ("audio", "video")

    def __repr__(self) -> str:
        return f"Media({self.kind}, {self.mime_type}, {len(self.data)} bytes)"


@dataclass(frozen=True, slots=True)
class Chat:
    chat_id: int
    user_id: str
    first_seen: float
    last_seen: float
    message_count: int


Role = Literal["user", "model"]


@dataclass(frozen=True, slots=True)
class Turn:
    """One turn of a conversation: who said what, and when (0 for a turn not kept yet)."""

    role: Role
    text: str
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class MessageContext:
    """What answering one message needs from the store, read as the message arrives."""

    chat: Chat
    prefs: Prefs
    recent: list[Turn]  # the chat's last turns, oldest first
    session_started_at: float | None


@dataclass(frozen=True, slots=True)
class PendingWrite:
    id: int
    user_id: str
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True, slots=True)
class InboxUpdate:
    """A Telegram update as the inbox keeps it until it has been handled."""

    update_id: int
    chat_id: int | None
    payload: str
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class Usage:
    """Messages answered and Gemini tokens spent by one Telegram user over some days."""

    messages: int = 0
    prompt_tokens: int = 0
    output_tokens: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.output_tokens


def utc_day(moment: datetime | None = None) -> str:
    """The UTC calendar day of `moment` (default now) as YYYY-MM-DD, the key of usage rows."""
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%d")


def unix_time(value: Any) -> float | None:
    """An ISO date-time (how memory writes and memories record `saved_at`) as a Unix time, or None
    when it is not one (naive times are UTC)."""
    try:
        moment = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def memory_user_id(chat_id: int) -> str:
    """The Mem0 user id of a Telegram chat (stable, never reused for another chat)."""
    return f"tg-{chat_id}"


ReminderKind = Literal["reminder", "checkin", "note"]
ReminderState = Literal["active", "proposed", "sent"]


@dataclass(frozen=True, slots=True)
class Reminder:
    """A scheduled message (bot/followup): its next firing `due_at` (UTC epoch seconds) and, when it
    repeats, an RRULE in wall-clock time of `tz` from `start_local`. A check-in's `text` is its
    topic; Gemini writes the message itself when it is due."""

    id: int
    chat_id: int
    kind: ReminderKind
    text: str
    due_at: float
    rule: str | None
    start_local: str | None
    tz: str
    state: ReminderState
    sent_count: int
    created_at: float

    @property
    def repeats(self) -> bool:
        return self.rule is not None


@cache
def _timezone_names() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def is_timezone(value: str) -> bool:
    """An IANA time-zone name that zoneinfo knows (tzdata ships them everywhere)."""
    return _timezone_names().get(value.lower()) == value


def timezone_named(value: str) -> str | None:
    """The IANA name `value` means, whatever its letter case ("europe/berlin"), or None."""
    return _timezone_names().get(value.strip().lower())


@dataclass(frozen=True, slots=True)
class MemoryItem:
    """One remembered fact, as the rest of the bot sees it."""

    id: str
    text: str
    user_id: str | None = None
    categories: tuple[str, ...] = ()
    created_at: str | None = None
    updated_at: str | None = None
    score: float | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    # The vector leg's cosine similarity alone (searches with `explain=True`), for our own ranking.
    semantic_score: float | None = None


# Every memory carries one of these (the extractor's schema enforces it); older memories, and
# memories from elsewhere, count as "other".
CATEGORIES = ("personal_info", "preferences", "health", "goals", "routine", "events")
OTHER_CATEGORY = "other"


def category_of(item: MemoryItem) -> str:
    """The memory's first category, lower-case ("other" for memories saved without one, e.g. before
    categories existed); a category from elsewhere (the Mem0 Platform's own) is kept as it is."""
    first = item.categories[0].strip().lower() if item.categories else ""
    return first or OTHER_CATEGORY
