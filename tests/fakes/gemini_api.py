"""A fake of the Gemini Developer REST API that google-genai 3.x's ``Client`` talks to unmodified.

Use ``genai.Client(api_key=fake.api_key, http_options=types.HttpOptions(base_url=fake.base_url))``
or set ``GOOGLE_GEMINI_BASE_URL=fake.base_url`` (what Mem0's Gemini LLM and embedder read).
Served on 127.0.0.1 from a daemon thread, for in-process and subprocess clients alike:

* ``POST /{v1,v1beta}/models/{model}:generateContent``
* ``POST /{v}/models/{model}:streamGenerateContent?alt=sse`` (``data: {...}\\r\\n\\r\\n`` chunks)
* ``POST /{v}/models/{model}:batchEmbedContents`` (the SDK uses it even for one text)
* ``POST /{v}/models/{model}:embedContent``
* ``POST /{v}/models/{model}:countTokens``

The key is checked like Google does (``x-goog-api-key`` header or ``?key=``): wrong key -> 400
``API_KEY_INVALID``, no key -> 403 ``PERMISSION_DENIED``. Chat answers are deterministic
("Coach says: " + echo), JSON answers imitate Mem0 2.2.1's additive fact extraction, and
embeddings are hashed bags of words, so texts sharing words are close.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import math
import re
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeAlias
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.loopback import Handler, LoopbackFake

__all__ = [
    "Blocked",
    "Empty",
    "FakeGemini",
    "Fault",
    "GeminiRequest",
    "Hang",
    "PromptBlocked",
    "advisor_extraction_responder",
    "default_json_responder",
    "echoing_responder",
    "embed_text",
    "mem0_extraction_responder",
]

DEFAULT_API_KEY = "test-google-key-not-real"
DEFAULT_DIMENSIONS = 768
KINDS = ("chat", "json", "embed", "count")

JSON: TypeAlias = dict[str, Any]


def _words(text: str) -> list[str]:
    return text.split()


_STOPWORDS = frozenset(
    _words(
        """
    a an the and or but if then so of to in on at by for with from into onto about as is am are
    was were be been being do does did have has had i me my mine we us our you your he him his
    she her it its they them their this that these those there here what which who whom how when
    where why not no yes very just also too can could will would should shall may might must up
    down out over under again all any some such only own same than s t
"""
    )
)


# --------------------------------------------------------------------------------------------
# Scripted responses
# --------------------------------------------------------------------------------------------

_FAULT_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_FAULT_MESSAGES = {
    429: (
        "You exceeded your current quota, please check your plan and billing details. For more "
        "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
    ),
    500: (
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting"
    ),
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
}


@dataclass(frozen=True)
class Fault:
    """An HTTP error shaped like Google's ``{"error": {"code", "message", "status"}}``."""

    status: int
    message: str = ""
    retry_after: float | None = None

    def body(self) -> JSON:
        error: JSON = {
            "code": self.status,
            "message": self.message or _FAULT_MESSAGES.get(self.status, "Request failed."),
            "status": _FAULT_STATUS.get(self.status, "UNKNOWN"),
        }
        if self.status == 429:
            error["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [
                        {
                            "quotaMetric": (
                                "generativelanguage.googleapis.com/generate_content_free_tier_requests"
                            ),
                            "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                            "quotaValue": "10",
                        }
                    ],
                },
                {
                    "@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": f"{self.retry_after if self.retry_after is not None else 30:g}s",
                },
            ]
        return {"error": error}


@dataclass(frozen=True)
class Blocked:
    """The answer was blocked: one candidate with ``finishReason`` = reason and no content."""

    reason: str = "SAFETY"


@dataclass(frozen=True)
class PromptBlocked:
    """The prompt was blocked: ``promptFeedback.blockReason``, no candidates."""

    reason: str = "SAFETY"


@dataclass(frozen=True)
class Empty:
    """A candidate whose content has no parts (``finishReason`` STOP); for an embed request, an
    answer without any embedding."""


@dataclass(frozen=True)
class Hang:
    """Sleep ``seconds`` before answering (with ``then``, or the default answer)."""

    seconds: float
    then: Response | None = None


@dataclass(frozen=True)
class GeminiRequest:
    """One request received. ``kind`` is chat / json / embed / count; ``body`` is camelCase JSON."""

    kind: str
    model: str
    version: str
    body: JSON
    headers: dict[str, str]
    stream: bool = False
    at: float = field(default_factory=time.monotonic)
    _media: list[tuple[str, bytes]] | None = field(default=None, repr=False, compare=False)

    def texts(self) -> list[str]:
        """All text parts: systemInstruction first, then contents (or embedding inputs)."""
        out: list[str] = []
        system = self.body.get("systemInstruction")
        if isinstance(system, dict):
            out.extend(_part_texts(system))
        for content in self.body.get("contents") or []:
            out.extend(_part_texts(content))
        if isinstance(self.body.get("content"), dict):
            out.extend(_part_texts(self.body["content"]))
        for request in self.body.get("requests") or []:
            out.extend(_part_texts(request.get("content") or {}))
        return out

    def prompt(self) -> str:
        return "\n".join(self.texts())

    def media(self) -> list[tuple[str, bytes]]:
        """The inline parts (pictures, audio) of the contents: (MIME type, decoded bytes). The API
        takes proto JSON field names in either spelling (google-genai sends ``inline_data``)."""
        if self._media is None:
            object.__setattr__(self, "_media", self._decode_media())
        return list(self._media or [])

    def _decode_media(self) -> list[tuple[str, bytes]]:
        found: list[tuple[str, bytes]] = []
        for content in self.body.get("contents") or []:
            for part in content.get("parts") or [] if isinstance(content, dict) else []:
                if not isinstance(part, dict):
                    continue
                inline = part.get("inlineData") or part.get("inline_data")
                if isinstance(inline, dict):
                    mime = inline.get("mimeType") or inline.get("mime_type")
                    data = str(inline.get("data") or "").translate(str.maketrans("+/", "-_"))
                    found.append((str(mime), base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))))
        return found

    def schema_fields(self) -> set[str]:
        config = self.body.get("generationConfig") or {}
        schema = config.get("responseJsonSchema") or config.get("responseSchema") or {}
        return set(schema.get("properties") or {})

    def last_user_text(self) -> str:
        for content in reversed(self.body.get("contents") or []):
            if content.get("role", "user") == "user":
                text = "\n".join(_part_texts(content))
                if text:
                    return text
        return ""


Response: TypeAlias = str | Fault | Blocked | PromptBlocked | Empty | Hang | Callable[[GeminiRequest], Any]
"""What ``enqueue`` accepts: a text, a scripted outcome, or a callable returning one of those."""


def _part_texts(content: Any) -> list[str]:
    if not isinstance(content, dict):
        return []
    return [str(p["text"]) for p in content.get("parts") or [] if isinstance(p, dict) and p.get("text")]


def _estimate_tokens(text: str) -> int:
    words = len(text.split())
    return math.ceil(words * 1.3) if words else 0


# --------------------------------------------------------------------------------------------
# Embeddings
# --------------------------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    words = re.findall(r"[^\W_]+", text.lower())
    kept = [w for w in words if w not in _STOPWORDS] or words
    return [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in kept]


def embed_text(text: str, dimensions: int = DEFAULT_DIMENSIONS) -> list[float]:
    """Deterministic bag-of-words embedding: each word hashed (blake2b) to an index and a sign,
    summed, L2-normalised. Empty text gives a fixed unit vector."""
    vector = [0.0] * dimensions
    for token in _tokens(text):
        digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
        number = int.from_bytes(digest, "big")
        vector[number % dimensions] += 1.0 if (number >> 63) & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0.0:
        return [1.0] + [0.0] * (dimensions - 1)
    return [v / norm for v in vector]


# --------------------------------------------------------------------------------------------
# Mem0 2.2.1 additive extraction imitation
# --------------------------------------------------------------------------------------------

_SECTION = re.compile(r"^## (.+)$", re.MULTILINE)
_ROLE_LINE = re.compile(r"^(user|assistant|system): ?", re.MULTILINE)
_GREETING_WORDS = frozenset(
    _words(
        """
    hi hello hey heya hiya yo howdy greetings good morning afternoon evening night there thanks
    thank you bye goodbye ok okay cheers coach bot sup
"""
    )
)


_REQUEST_STARTERS = frozenset(
    _words(
        """
    what how why when where who whom which whose can could would will should shall do does did is
    are am was were give tell show help remind list explain suggest recommend describe please let
    make write create plan send find check summarize summarise
"""
    )
)


def _sections(prompt: str) -> dict[str, str]:
    """Split mem0's user prompt ("## Name\\n...\\n\\n## Next") into {name: body}."""
    found = list(_SECTION.finditer(prompt))
    out: dict[str, str] = {}
    for index, match in enumerate(found):
        end = found[index + 1].start() if index + 1 < len(found) else len(prompt)
        out[match.group(1).strip()] = prompt[match.end() + 1 : end].strip("\n")
    return out


def _new_user_messages(section: str) -> list[str]:
    stripped = section.strip()
    if stripped.startswith("["):
        with contextlib.suppress(ValueError):
            items = json.loads(stripped)
            return [
                str(m.get("content", "")) for m in items if isinstance(m, dict) and m.get("role") == "user"
            ]
    messages: list[str] = []
    matches = list(_ROLE_LINE.finditer(section))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(section)
        if match.group(1) == "user":
            messages.append(section[match.end() : end].strip())
    return messages


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().rstrip(".!").strip().lower())


def _is_greeting(sentence: str) -> bool:
    words = re.findall(r"[^\W\d_]+", sentence.lower())
    return not words or all(w in _GREETING_WORDS for w in words)


def _is_request(sentence: str) -> bool:
    """A question without "?" or an instruction to the assistant ("Give me a plan")."""
    words = re.findall(r"[^\W\d_]+", sentence.lower())
    return bool(words) and words[0] in _REQUEST_STARTERS


def mem0_extraction_responder(request: GeminiRequest) -> str:
    """Imitate Mem0 2.2.1's ADD-only extraction: one fact per sentence of the NEW user messages
    (not the assistant's, not "Existing Memories" / "Last k Messages"), skipping questions,
    requests ("Give me a plan"), greetings and sentences already stored. Non-Mem0 JSON prompts get ``{}``."""
    prompt = "\n".join(
        text for content in request.body.get("contents") or [] for text in _part_texts(content)
    )
    sections = _sections(prompt)
    if "New Messages" not in sections:
        return "{}"
    existing: set[str] = set()
    with contextlib.suppress(ValueError):
        for memory in json.loads(sections.get("Existing Memories") or "[]"):
            if isinstance(memory, dict):
                existing.add(_normalise(str(memory.get("text", ""))))
    facts: list[JSON] = []
    seen: set[str] = set()
    for message in _new_user_messages(sections["New Messages"]):
        for sentence in re.split(r"(?<=[.!?])\s+|\n+", message):
            sentence = sentence.strip()
            key = _normalise(sentence)
            if not key or sentence.endswith("?") or _is_greeting(sentence) or _is_request(sentence):
                continue
            if key in existing or key in seen:
                continue
            seen.add(key)
            facts.append({"id": str(len(facts)), "text": sentence, "attributed_to": "user"})
    return json.dumps({"memory": facts})


# --------------------------------------------------------------------------------------------
# The bot's own extraction (bot/advisor/extraction.py) imitation
# --------------------------------------------------------------------------------------------

#: First line of the bot's extraction system instruction (bot.advisor.extraction.PROMPT_MARKER).
ADVISOR_EXTRACTION_MARKER = "## Advisor fact extraction v2"
#: Placeholders the bot puts where it removed a secret (bot.advisor.safety.redact).
_PLACEHOLDER = re.compile(r"\[[A-Za-z ]+\]|\[secret removed\]")
_CHOICE = re.compile(r"^(?:do|did|would) you (\w+) (.+?)\?$", re.IGNORECASE)

_CATEGORY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "events",
        ("trip", "travel", "race on", "competition", "wedding", "next week", "next month", "vacation"),
    ),
    (
        "health",
        ("knee", "injur", "pain", "sore", "allerg", "vegetarian", "vegan", "diet", "asthma", "back hurts"),
    ),
    ("goals", ("goal", "want to", "aim", "hope to", "training for", "lose", "gain")),
    ("preferences", ("prefer", "like", "love", "hate", "enjoy", "dislike", "favourite", "favorite")),
    ("personal_info", ("my name", "years old", "i work", "i live", "my job", "i am a", "i'm a")),
)


def _category(sentence: str) -> str:
    lowered = sentence.lower()
    for category, words in _CATEGORY_WORDS:
        if any(word in lowered for word in words):
            return category
    return "routine"


def _expiry(sentence: str, today: str) -> str | None:
    lowered = sentence.lower()
    days = next(
        (
            n
            for words, n in ((("today", "tonight"), 1), (("this week",), 7), (("next month",), 60))
            if any(w in lowered for w in words)
        ),
        None,
    )
    if days is None:
        return None
    try:
        start = date.fromisoformat(today.strip())
    except ValueError:
        return None
    return (start + timedelta(days=days)).isoformat()


def _extraction_parts(request: GeminiRequest) -> tuple[dict[str, str], str]:
    """The sections of the bot's system instruction and the user turn (the person's words)."""
    system = request.body.get("systemInstruction")
    sections = _sections("\n".join(_part_texts(system)) if isinstance(system, dict) else "")
    return sections, request.last_user_text()


def _context_of(sections: dict[str, str]) -> str:
    quoted = sections.get("Assistant's last message (context only, never a source of facts)", "")
    with contextlib.suppress(ValueError):
        value = json.loads(quoted)
        return value if isinstance(value, str) else ""
    return ""


def _answer_to(question: str, sentence: str) -> str | None:
    """A short answer to a choice question, as a model reads it: "Mornings, before work." after
    "Do you train in the mornings or in the evenings?" -> "Trains in the mornings, before work"."""
    match = _CHOICE.match(question.strip().splitlines()[-1].strip() if question.strip() else "")
    words = re.findall(r"[^\W\d_]+", sentence)
    if not match or not words or words[0].lower() in ("i", "my", "yes", "no"):
        return None
    verb, options = match.group(1), re.split(r",? or ", match.group(2))
    first = words[0].lower()
    chosen = next((o for o in options if first in o.lower().split()), None)
    if chosen is None:
        return None
    chosen = chosen.removeprefix(verb + " ").strip()
    rest = sentence.strip().rstrip(".!")[len(words[0]) :].strip()
    return f"{verb.capitalize()}s {chosen}{' ' if rest and rest[0].isalnum() else ''}{rest}".strip()


def _clauses(sentence: str) -> list[str]:
    """A sentence holding a removed secret, without the clauses that held it."""
    if not _PLACEHOLDER.search(sentence):
        return [sentence]
    parts = re.split(r",\s*(?:and\s+|but\s+)?|;\s*|\s+(?:and|but|и|а|und|et|y)\s+", sentence)
    return [p.strip() for p in parts if p.strip() and not _PLACEHOLDER.search(p)]


def advisor_extraction_responder(request: GeminiRequest) -> str:
    """Imitate a model following the bot's extraction prompt, simply: one fact per sentence of
    the user turn (skipping questions, requests, greetings and the clauses holding a removed
    secret), a short answer to the assistant's choice question read with that question, category
    by keyword, "none" for a sentence already stored verbatim, else "add"; an expiry for "this
    week" style sentences. Supersede and merge decisions are scripted in tests (``enqueue``)."""
    sections, message = _extraction_parts(request)
    context = _context_of(sections)
    existing: dict[str, str] = {}
    with contextlib.suppress(ValueError):
        for memory in json.loads(sections.get("Existing memories") or "[]"):
            if isinstance(memory, dict):
                existing[_normalise(str(memory.get("text", "")))] = str(memory.get("id"))
    facts: list[JSON] = []
    seen: set[str] = set()
    sentences = [c for s in re.split(r"(?<=[.!?])\s+|\n+", message) for c in _clauses(s.strip())]
    for sentence in sentences:
        sentence = sentence.strip()
        answered = _answer_to(context, sentence) if context else None
        sentence = answered or sentence
        photo = re.fullmatch(r"\[photo: (.+)\]", sentence)
        if photo:  # the prompt asks for what a described picture shows, without the brackets
            sentence = f"Shared a photo of {photo.group(1)}"
        key = _normalise(sentence)
        if not key or key in seen or sentence.endswith("?"):
            continue
        if _is_greeting(sentence) or _is_request(sentence):
            continue
        seen.add(key)
        fact: JSON = {
            "text": sentence.rstrip("."),
            "category": _category(sentence),
            "expires_on": _expiry(sentence, sections.get("Today", "")),
            "action": "add",
            "target_ids": [],
        }
        if _normalise(fact["text"]) in existing:
            fact.update(action="none", target_ids=[existing[_normalise(fact["text"])]])
        facts.append(fact)
    return json.dumps({"facts": facts})


#: First line of the follow-up prompt (bot.followup.checkins.PROMPT_MARKER).
FOLLOWUP_MARKER = "## Advisor follow-up extraction v1"
_REMIND_ME = re.compile(r"remind me to (?P<text>.+?)\s+(?P<when>(?:every|at|tomorrow|in)\b.*?)[.!]?$", re.I)
_EVENING = re.compile(r"\bevery (?:evening|night) at (\d{1,2})\b", re.I)
_PLAN = re.compile(r"\b(?:race|marathon|\d+k|i'?ll run|training)\b", re.I)


def followup_responder(request: GeminiRequest) -> str:
    """Imitate a model following the bot's follow-up prompt, simply: "remind me to X <when>" gives
    a reminder (an evening hour becomes the 24-hour clock, as the prompt asks); a message naming a
    race or a run gives a check-in the day after "Now" at 18:00 about "your training"."""
    message = request.prompt().split("## Message\n", 1)[-1].strip()
    today = re.search(r"## Now\n(\d{4}-\d{2}-\d{2})", request.prompt())
    answer: dict[str, Any] = {"reminder": None, "checkin": None}
    if match := _REMIND_ME.search(message):
        when = _EVENING.sub(lambda m: f"every day at {int(m.group(1)) % 12 + 12}:00", match.group("when"))
        answer["reminder"] = {"text": match.group("text"), "when": when}
    elif _PLAN.search(message) and today:
        day = date.fromisoformat(today.group(1)) + timedelta(days=1)
        answer["checkin"] = {"topic": "your training", "when": f"on {day.isoformat()} at 18:00"}
    return json.dumps(answer)


#: First line of the reminder time prompt (bot.followup.model_reading.PROMPT_MARKER).
TIME_READING_MARKER = "## Advisor reminder time reading v1"
_AFTER_LUNCH = re.compile(r"^after lunch(?: on (?P<day>\w+day))?\s+(?P<text>.+)$", re.I)
_EVERY_OTHER = re.compile(r"^every other day\s+(?P<text>.+)$", re.I)


def time_reading_responder(request: GeminiRequest) -> str:
    """Imitate a model reading a /remind time the rules could not: "after lunch [on <weekday>] X"
    is 13:30 that day (today if none), "every other day X" an RRULE at 09:00; anything else no time."""
    prompt = request.prompt()
    words = prompt.split("## Words\n", 1)[-1].strip()
    now = datetime.strptime(prompt.split("## Now\n", 1)[1][:16], "%Y-%m-%d %H:%M")
    answer: dict[str, Any] = {"text": words, "at": None, "rrule": None}
    if match := _AFTER_LUNCH.match(words):
        day = now.date()
        if match.group("day"):
            names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
            ahead = (names.index(match.group("day").lower()) - day.weekday()) % 7
            day += timedelta(days=ahead)
        answer.update(text=match.group("text"), at=f"{day.isoformat()}T13:30")
    elif match := _EVERY_OTHER.match(words):
        answer.update(text=match.group("text"), rrule="FREQ=DAILY;INTERVAL=2;BYHOUR=9;BYMINUTE=0")
    return json.dumps(answer)


def perceive(data: bytes) -> str:
    """What the fake "sees" in a picture or "hears" in a recording: the printable text inside the
    bytes (tests put words in them, e.g. ``b"\\xff\\xd8 grilled chicken salad"``)."""
    text = data[:2048].decode("utf-8", "ignore")  # a look at the start is enough (and cheap)
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())[:500]


def media_json_responder(request: GeminiRequest) -> str:
    """A voice note answered with its transcript (``transcript`` + ``answer``), or a picture
    described for memory (``durable`` + ``description``): what multimodal Gemini would return."""
    heard = " ".join(perceive(data) for _, data in request.media())
    fields = request.schema_fields()
    if "transcript" in fields:
        return json.dumps({"transcript": heard, "answer": f"Coach says: {heard}"})
    if "description" in fields:
        return json.dumps({"durable": bool(heard), "description": heard})
    return "{}"


def echoing_responder(request: GeminiRequest) -> str:
    """A model on a bad day: every line of its input (system instruction and user turn alike) comes
    back as a new fact, as Mem0 users saw in production (mem0ai/mem0#4573)."""
    lines = [line.strip() for text in request.texts() for line in text.splitlines()]
    facts: list[dict[str, Any]] = [
        {"text": line, "category": "personal_info", "expires_on": None, "action": "add", "target_ids": []}
        for line in dict.fromkeys(lines)
        if line
    ]
    return json.dumps({"facts": facts})


def default_json_responder(request: GeminiRequest) -> str:
    """The bot's own extraction prompt gets ``advisor_extraction_responder``, its follow-up prompt
    ``followup_responder``; media requests ``media_json_responder``; anything else Mem0's."""
    if request.media():
        return media_json_responder(request)
    if ADVISOR_EXTRACTION_MARKER in request.prompt():
        return advisor_extraction_responder(request)
    if FOLLOWUP_MARKER in request.prompt():
        return followup_responder(request)
    if TIME_READING_MARKER in request.prompt():
        return time_reading_responder(request)
    return mem0_extraction_responder(request)


# --------------------------------------------------------------------------------------------
# HTTP plumbing (the server itself is tests/fakes/loopback.py)
# --------------------------------------------------------------------------------------------

_PATH = re.compile(r"^/(v1(?:alpha|beta)?\d*)/(?:models/)?([^:/][^:]*):([A-Za-z]+)$")
_ACTIONS = {
    "generateContent": "generate",
    "streamGenerateContent": "stream",
    "batchEmbedContents": "embed",
    "embedContent": "embed",
    "countTokens": "count",
}


_JSON_SCHEMA_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})


def _config_problem(config: Any) -> str | None:
    """Why Gemini would refuse this generationConfig with a 400, as far as the fake checks: a
    responseJsonSchema beside a responseSchema or without a responseMimeType, or whose types are
    not JSON Schema's (e.g. the OpenAPI "OBJECT" that responseSchema takes)."""
    if not isinstance(config, dict) or config.get("responseJsonSchema") is None:
        return None
    if config.get("responseSchema") is not None:
        return "responseSchema and responseJsonSchema cannot both be set."
    if not config.get("responseMimeType"):
        return "responseJsonSchema requires responseMimeType."
    bad = _bad_schema_types(config["responseJsonSchema"])
    return f"Invalid JSON Schema type at responseJsonSchema: {bad}" if bad else None


def _bad_schema_types(schema: Any) -> str | None:
    """The first `type` in a JSON Schema that is not one of JSON Schema's type names."""
    if not isinstance(schema, dict):
        return None
    named = schema.get("type")
    names = named if isinstance(named, list) else [named]
    bad = next((name for name in names if name is not None and name not in _JSON_SCHEMA_TYPES), None)
    if bad is not None:
        return repr(bad)
    properties = (schema.get("properties") or {}).values()
    subschemas = [*properties, schema.get("items"), *(schema.get("anyOf") or [])]
    return next((bad for sub in subschemas if (bad := _bad_schema_types(sub))), None)


def _reply_json(handler: Handler, status: int, payload: Any) -> None:
    handler.reply(status, json.dumps(payload).encode(), "application/json; charset=UTF-8")


# --------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------


class FakeGemini(LoopbackFake):
    """A fake Gemini API server on 127.0.0.1. See the module docstring."""

    def __init__(self, api_key: str = DEFAULT_API_KEY) -> None:
        self.api_key = api_key
        #: Seconds to wait before each chat / json answer.
        self.latency = 0.0
        #: Seconds before each json answer instead of ``latency`` (e.g. a slower extraction model).
        self.json_latency: float | None = None
        #: Seconds to wait before each embedding answer.
        self.embed_latency = 0.0
        #: Seconds between SSE chunks of a streamed answer.
        self.stream_delay = 0.0
        #: While set, every chat / json / embed request fails with it (an outage).
        self.fail_all_with: Fault | None = None
        #: Builds the text of JSON-mode answers; defaults to the Mem0 extraction imitation, or the
        #: bot's own extraction imitation for the bot's extraction prompt.
        self.json_responder: Callable[[GeminiRequest], str] = default_json_responder
        self._lock = threading.Lock()
        self._requests: list[GeminiRequest] = []
        self._queues: dict[str, deque[Response]] = {kind: deque() for kind in KINDS}
        self._stopped = threading.Event()
        self._in_flight: Counter[str] = Counter()
        #: The most requests of each kind that were being answered at once.
        self.peak_in_flight: Counter[str] = Counter()

    # ---- lifecycle -------------------------------------------------------------------------

    def _before_start(self) -> None:
        self._stopped.clear()

    def _before_stop(self) -> None:
        self._stopped.set()  # ends the waits of hung and slow answers

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- scripting -------------------------------------------------------------------------

    def enqueue(self, kind: str, *responses: Response) -> None:
        """Queue answers for the next requests of ``kind`` (chat / json / embed / count).
        Embed and count requests only use ``Fault`` and ``Hang`` entries (and embed ``Empty``)."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        with self._lock:
            self._queues[kind].extend(responses)

    def clear(self) -> None:
        """Forget recorded requests and queued answers."""
        with self._lock:
            self._requests.clear()
            for queue in self._queues.values():
                queue.clear()

    # ---- observing -------------------------------------------------------------------------

    def requests(self, kind: str | None = None) -> list[GeminiRequest]:
        with self._lock:
            return [r for r in self._requests if kind is None or r.kind == kind]

    def chat_requests(self) -> list[GeminiRequest]:
        return self.requests("chat")

    def last_chat_prompt(self) -> str:
        """All text of the last chat request: systemInstruction + contents, newline-joined."""
        chats = self.chat_requests()
        if not chats:
            raise AssertionError(f"FakeGemini: no chat request yet; {self._describe()}")
        return chats[-1].prompt()

    async def wait_for_requests(
        self, kind: str, count: int = 1, timeout: float = 10.0
    ) -> list[GeminiRequest]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.requests(kind)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"FakeGemini: expected >= {count} {kind} request(s) within {timeout}s, "
                    f"got {len(found)}; {self._describe()}"
                )
            await asyncio.sleep(0.01)

    def _describe(self) -> str:
        seen = [f"{r.kind}:{r.model}:{r.prompt()[:60]!r}" for r in self.requests()[-10:]]
        return f"requests seen ({len(self.requests())}): {seen}"

    # ---- request handling ------------------------------------------------------------------

    def _handle(self, handler: Handler) -> None:
        try:
            raw = handler.read_body()
        except (OSError, ValueError):
            return
        url = urlsplit(handler.path)
        match = _PATH.match(unquote(url.path))
        if handler.command != "POST" or not match or match.group(3) not in _ACTIONS:
            _reply_json(
                handler,
                404,
                {"error": {"code": 404, "message": f"Not found: {url.path}", "status": "NOT_FOUND"}},
            )
            return
        version, model, action = match.groups()
        model = model.removeprefix("models/")
        headers = {k.lower(): v for k, v in handler.headers.items()}
        key = headers.get("x-goog-api-key") or (parse_qs(url.query).get("key") or [""])[0]
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            _reply_json(handler, 400, Fault(400, "Invalid JSON payload received.").body())
            return
        if not isinstance(body, dict):
            body = {}
        operation = _ACTIONS[action]
        kind = {"embed": "embed", "count": "count"}.get(operation, "chat")
        if (
            kind == "chat"
            and (body.get("generationConfig") or {}).get("responseMimeType") == "application/json"
        ):
            kind = "json"
        request = GeminiRequest(kind, model, version, body, headers, stream=operation == "stream")
        with self._lock:
            self._requests.append(request)
            self._in_flight[kind] += 1
            self.peak_in_flight[kind] = max(self.peak_in_flight[kind], self._in_flight[kind])
        try:
            self._answer(handler, request, operation, action, body, key)
        finally:
            with self._lock:
                self._in_flight[kind] -= 1

    def _answer(
        self, handler: Handler, request: GeminiRequest, operation: str, action: str, body: JSON, key: str
    ) -> None:
        kind = request.kind
        if not key:
            _reply_json(
                handler,
                403,
                Fault(
                    403,
                    "Method doesn't allow unregistered callers (callers without established identity). "
                    "Please use API Key or other form of API consumer identity to call this API.",
                ).body(),
            )
            return
        if key != self.api_key:
            error = Fault(400, "API key not valid. Please pass a valid API key.").body()
            error["error"]["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                }
            ]
            _reply_json(handler, 400, error)
            return
        refused = _config_problem(body.get("generationConfig"))
        if refused:
            _reply_json(handler, 400, Fault(400, refused).body())
            return
        outage = self.fail_all_with
        if outage is not None and kind != "count":
            _reply_json(handler, outage.status, outage.body())
            return
        response = self._resolve(request, self._next_scripted(kind))
        if isinstance(response, Fault):
            _reply_json(handler, response.status, response.body())
            return
        if operation == "embed":
            if self.embed_latency > 0:
                self._stopped.wait(self.embed_latency)
            answer = {"usageMetadata": {}} if isinstance(response, Empty) else self._embed(action, body)
            _reply_json(handler, 200, answer)
            return
        if operation == "count":
            tokens = _estimate_tokens(request.prompt())
            _reply_json(
                handler,
                200,
                {"totalTokens": tokens, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": tokens}]},
            )
            return
        latency = self.json_latency if kind == "json" and self.json_latency is not None else self.latency
        if latency > 0:
            self._stopped.wait(latency)
        if response is None:
            response = self.json_responder(request) if kind == "json" else self._default_reply(request)
        if operation == "stream":
            self._stream(handler, request, response)
        else:
            _reply_json(handler, 200, self._generate_payload(request, response))

    def _next_scripted(self, kind: str) -> Response | None:
        with self._lock:
            queue = self._queues[kind]
            return queue.popleft() if queue else None

    def _resolve(self, request: GeminiRequest, response: Any) -> Any:
        """Run callables and Hangs until a plain answer (str / marker / Fault / None) remains."""
        for _ in range(10):
            if isinstance(response, Hang):
                self._stopped.wait(response.seconds)
                response = response.then
            elif callable(response) and not isinstance(response, (Fault, Blocked, PromptBlocked, Empty)):
                response = response(request)
            else:
                break
        if request.kind == "embed" and isinstance(response, Empty):
            return response
        if request.kind in ("embed", "count") and not isinstance(response, Fault):
            return None
        return response

    @staticmethod
    def _default_reply(request: GeminiRequest) -> str:
        seen = [perceive(data) for mime, data in request.media() if mime.startswith("image/")]
        if seen:
            caption = request.last_user_text()[:200]
            return "Coach says: I see " + "; ".join(seen) + (f". You said: {caption}" if caption else "")
        return "Coach says: " + request.last_user_text()[:200]

    def _embed(self, action: str, body: JSON) -> JSON:
        if action == "embedContent":
            requests = [body]
        else:
            requests = [r for r in body.get("requests") or [] if isinstance(r, dict)]
        vectors: list[JSON] = []
        tokens = 0
        for item in requests:
            text = " ".join(_part_texts(item.get("content") or {}))
            tokens += _estimate_tokens(text)
            dims = int(item.get("outputDimensionality") or DEFAULT_DIMENSIONS)
            vectors.append({"values": embed_text(text, dims)})
        usage = {"promptTokenCount": tokens, "totalTokenCount": tokens}
        if action == "embedContent":
            return {"embedding": vectors[0], "usageMetadata": usage}
        return {"embeddings": vectors, "usageMetadata": usage}

    @staticmethod
    def _usage(prompt_tokens: int, answer: str | None) -> JSON:
        usage: JSON = {
            "promptTokenCount": prompt_tokens,
            "totalTokenCount": prompt_tokens,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt_tokens}],
        }
        if answer is not None:
            answer_tokens = _estimate_tokens(answer)
            usage["candidatesTokenCount"] = answer_tokens
            usage["totalTokenCount"] = prompt_tokens + answer_tokens
        return usage

    def _generate_payload(self, request: GeminiRequest, response: Any) -> JSON:
        prompt_tokens = _prompt_tokens(request)
        common: JSON = {"modelVersion": request.model, "responseId": uuid.uuid4().hex[:22]}
        if isinstance(response, PromptBlocked):
            return {
                "promptFeedback": {
                    "blockReason": response.reason,
                    "safetyRatings": _safety_ratings(blocked=True),
                },
                "usageMetadata": self._usage(prompt_tokens, None),
                **common,
            }
        if isinstance(response, Blocked):
            candidate: JSON = {
                "finishReason": response.reason,
                "index": 0,
                "safetyRatings": _safety_ratings(blocked=True),
            }
            return {"candidates": [candidate], "usageMetadata": self._usage(prompt_tokens, None), **common}
        if isinstance(response, Empty):
            candidate = {"content": {"parts": [], "role": "model"}, "finishReason": "STOP", "index": 0}
            return {"candidates": [candidate], "usageMetadata": self._usage(prompt_tokens, ""), **common}
        text = str(response)
        candidate = {
            "content": {"parts": [{"text": text}], "role": "model"},
            "finishReason": "STOP",
            "index": 0,
        }
        return {"candidates": [candidate], "usageMetadata": self._usage(prompt_tokens, text), **common}

    def _stream(self, handler: Handler, request: GeminiRequest, response: Any) -> None:
        if not isinstance(response, str):
            chunks = [self._generate_payload(request, response)]
        else:
            chunks = []
            prompt_tokens = _prompt_tokens(request)
            response_id = uuid.uuid4().hex[:22]
            pieces = _split_for_stream(response)
            for index, piece in enumerate(pieces):
                last = index == len(pieces) - 1
                candidate: JSON = {"content": {"parts": [{"text": piece}], "role": "model"}, "index": 0}
                if last:
                    candidate["finishReason"] = "STOP"
                chunks.append(
                    {
                        "candidates": [candidate],
                        "usageMetadata": self._usage(prompt_tokens, response if last else None),
                        "modelVersion": request.model,
                        "responseId": response_id,
                    }
                )
        try:
            handler.start_stream("text/event-stream")
            for index, chunk in enumerate(chunks):
                if index and self.stream_delay > 0:
                    self._stopped.wait(self.stream_delay)
                handler.write_chunk(b"data: " + json.dumps(chunk).encode() + b"\r\n\r\n")
            handler.write_chunk(b"")
        except OSError:
            handler.close_connection = True


def _prompt_tokens(request: GeminiRequest) -> int:
    """Text tokens, plus 258 per picture and about 32 per second of audio, as Gemini counts them
    (the fake takes 1 KB of audio for a second)."""
    tokens = _estimate_tokens(request.prompt())
    for mime, data in request.media():
        tokens += 258 if mime.startswith("image/") else 32 * max(1, len(data) // 1024)
    return tokens


def _split_for_stream(text: str, parts: int = 3) -> list[str]:
    """Split text into up to ``parts`` pieces on word boundaries; joined they give ``text``."""
    words = re.findall(r"\S+\s*|\s+", text)
    if len(words) < 2:
        return [text]
    size = math.ceil(len(words) / min(parts, len(words)))
    return ["".join(words[i : i + size]) for i in range(0, len(words), size)]


def _safety_ratings(*, blocked: bool) -> list[JSON]:
    return [
        {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "NEGLIGIBLE"},
        {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"},
        {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"},
        {
            "category": "HARM_CATEGORY_DANGEROUS_CONTENT",
            "probability": "HIGH" if blocked else "NEGLIGIBLE",
            **({"blocked": True} if blocked else {}),
        },
    ]
