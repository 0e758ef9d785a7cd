"""Chat generation and embeddings with Google Gemini (its REST API over aiohttp; google-genai is
Mem0's, not ours: this module is the only one that speaks to Gemini)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import aiohttp

from bot.errors import RateLimited, Unavailable
from bot.i18n import N_
from bot.records import Media, Turn
from bot.runtime.http import GEMINI_DEFAULT_URL, new_session

logger = logging.getLogger(__name__)


# Shown instead of an answer; marked for translation, translated where shown (bot/i18n.py).
BLOCKED_REPLY = N_(
    "I can't answer that one: the AI model declined to respond (it was flagged by its safety filter). "
    "Could you rephrase it?"
)
HEAR_INSTRUCTION = (
    "The person's newest message is the attached recording (a voice note or a round video). "
    "Reply with JSON: `transcript` is exactly what they said in it, word for word, in the "
    "language they spoke (empty if nothing can be made out); `answer` is your reply to them, "
    "following every instruction above."
)
HEAR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"transcript": {"type": "string"}, "answer": {"type": "string"}},
    "required": ["transcript", "answer"],
    "propertyOrdering": ["transcript", "answer"],
}
EMPTY_REPLY = N_("I couldn't come up with an answer just now. Please try again, perhaps in other words.")


@dataclass(frozen=True, slots=True)
class Heard:
    """The answer to a voice note and what the model heard in it ("" when nothing was heard)."""

    transcript: str
    reply: Reply


@dataclass(frozen=True, slots=True)
class Reply:
    """What the model said, or an honest stand-in when it said nothing usable."""

    text: str
    prompt_tokens: int = 0
    output_tokens: int = 0
    blocked: bool = False
    empty: bool = False


class LLMUnavailable(Unavailable):
    """Gemini could not be reached or kept failing after the retries; safe to show as a short note."""

    reply = N_("I can't reach my AI model right now. Please try again in a minute.")
    button_reply = N_(
        "I can't reach my AI model right now, so nothing was changed yet. Please try again in a minute."
    )


class LLMBadOutput(LLMUnavailable):
    """Gemini kept answering with output that is not the JSON asked for (after every attempt)."""

    reply = N_("My AI model gave me an answer I couldn't use. Please try again.")
    button_reply = N_(
        "My AI model gave me an answer I couldn't use, so nothing was changed yet. Please try again."
    )


class LLMRateLimited(LLMUnavailable, RateLimited):
    """Gemini answered 429: over quota. `retry_after` is the delay it asked for (seconds), if any."""


T = TypeVar("T")

JSON = dict[str, Any]

# Answers withheld for these reasons are shown as BLOCKED_REPLY (google-genai's FinishReason names).
_WITHHELD = frozenset({"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION"})


class _GeminiHTTPError(Exception):
    """An HTTP error of Gemini (or an error event in a stream), shaped like genai's APIError."""

    def __init__(self, code: int, body: Any) -> None:
        error = body.get("error") if isinstance(body, dict) else None
        self.code = code
        self.status = str(error.get("status") or "") if isinstance(error, dict) else ""
        self.details = body
        super().__init__(f"Gemini API error {code} {self.status}".strip())


class JsonModel(Protocol):
    """What structured output needs of a model: `GeminiChat.generate_json`, or a stand-in."""

    async def generate_json(
        self,
        system: str,
        prompt: str,
        *,
        schema: Mapping[str, Any],
        parse: Callable[[Any], T],
        model: str | None = None,
        attempts: int = 3,
    ) -> T: ...


class GeminiChat:
    """Async chat generation with a timeout and bounded retries (408, 429, 5xx).

    Every call goes over our own aiohttp session as the REST request google-genai would send for
    it (tests/test_llm.py compares the two), without the SDK's pydantic round trips: they were
    about half of a message's CPU (BENCHMARKS.md, issue 23).
    """

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout_seconds: float = 60.0,
        attempts: int = 3,
        max_connections: int = 64,
        retry_rate_limits: bool = True,
    ) -> None:
        """Make it inside the running event loop (its HTTP session belongs to that loop).

        With `retry_rate_limits` false a 429 is not retried here but raised at once as
        LLMRateLimited (with Gemini's retryDelay), for a caller that can wait (the memory writer).
        """
        self.model = model
        self._timeout_seconds = timeout_seconds
        self._root = _api_root(base_url)
        self._headers = {"x-goog-api-key": api_key, "Content-Type": "application/json"}
        self._attempts = max(1, attempts)
        self._retry_codes = frozenset({408, *([429] if retry_rate_limits else []), 500, 502, 503, 504})
        # Our own aiohttp session (bot/runtime/http.py): bounded, and no ~/.netrc lookup per request.
        self._session = new_session(base_url or GEMINI_DEFAULT_URL, limit=max_connections)

    async def generate(self, system: str, turns: Sequence[Turn], media: Sequence[Media] = ()) -> Reply:
        """One answer to the conversation in `turns`, steered by `system` (`media`: inline parts
        of the last turn)."""
        body = {"contents": _contents_json(turns, media), "systemInstruction": _system_json(system)}
        with _outage_is_unavailable():
            # Each attempt has its own time-out (in `_send`); this bounds the retries too.
            async with asyncio.timeout(self._timeout_seconds * 2):
                response = await self._generate(self.model, body)
        return _reply_from_json(response)

    async def generate_json(
        self,
        system: str,
        prompt: str,
        *,
        schema: Mapping[str, Any],
        parse: Callable[[Any], T],
        model: str | None = None,
        attempts: int = 3,
        media: Sequence[Media] = (),
    ) -> T:
        """Structured output: JSON constrained by `schema`, checked by `parse` (which raises
        ValueError on a wrong shape). A malformed, blocked or empty answer is asked again, up to
        `attempts` times, then raises LLMBadOutput; it is never silently taken as "nothing".
        `media` (pictures, audio) go with the prompt as inline parts."""
        parsed, _, _ = await self.generate_json_usage(
            system, prompt, schema=schema, parse=parse, model=model, attempts=attempts, media=media
        )
        return parsed

    async def generate_json_usage(
        self,
        system: str,
        prompt: str,
        *,
        schema: Mapping[str, Any],
        parse: Callable[[Any], T],
        model: str | None = None,
        attempts: int = 3,
        media: Sequence[Media] = (),
    ) -> tuple[T, int, int]:
        """`generate_json`, with the tokens Gemini reported: (parsed, prompt tokens, output tokens)."""
        contents = _contents_json([Turn("user", prompt)], media)
        parsed, response = await self._json(system, contents, schema, parse, model, attempts)
        usage = _reply_from_json(response)
        return parsed, usage.prompt_tokens, usage.output_tokens

    async def hear(self, system: str, turns: Sequence[Turn], media: Sequence[Media]) -> Heard:
        """Answer a voice note (or round video) and say what was heard, in one call: the audio goes
        as an inline part of the last turn, the answer and the transcript come back as JSON."""
        instruction = system + "\n\n" + HEAR_INSTRUCTION
        try:
            parsed, response = await self._json(
                instruction, _contents_json(turns, media), HEAR_SCHEMA, _parse_heard, None, 2
            )
        except LLMBadOutput as exc:
            logger.warning("Gemini gave no usable answer to a voice note: %s", exc)
            return Heard("", Reply(EMPTY_REPLY, empty=True))
        transcript, text = parsed
        usage = _reply_from_json(response)
        if usage.blocked:
            return Heard(transcript, usage)
        reply = Reply(text or EMPTY_REPLY, usage.prompt_tokens, usage.output_tokens, empty=not text)
        return Heard(transcript, reply)

    async def _json(
        self,
        system: str,
        contents: list[JSON],
        schema: Mapping[str, Any],
        parse: Callable[[Any], T],
        model: str | None,
        attempts: int,
    ) -> tuple[T, JSON]:
        body = {
            "contents": contents,
            "systemInstruction": _system_json(system),
            "generationConfig": {
                "temperature": 0.0,
                "responseMimeType": "application/json",
                "responseSchema": api_schema(schema),
            },
        }
        problem = "no attempt"
        for attempt in range(1, max(1, attempts) + 1):
            with _outage_is_unavailable():
                async with asyncio.timeout(self._timeout_seconds * 2):
                    response = await self._generate(model or self.model, body)
            text = _chunk_text(response).strip()
            try:
                if not text:
                    problem = f"no text (finish_reason={_finish_reason(response)})"
                else:
                    return parse(json.loads(text)), response
            except ValueError as exc:  # json.JSONDecodeError and pydantic's ValidationError included
                problem = _describe_bad_json(exc)
            # debug only: the caller logs the LLMBadOutput raised after the last attempt, once
            logger.debug("Gemini JSON answer unusable (attempt %d of %d): %s", attempt, attempts, problem)
        raise LLMBadOutput(f"Gemini gave no usable JSON after {attempts} attempts ({problem})")

    async def stream_reply(
        self,
        system: str,
        turns: Sequence[Turn],
        on_text: Callable[[str], Awaitable[None]],
        media: Sequence[Media] = (),
    ) -> Reply:
        """Like `generate`, but `on_text` gets the answer so far after each streamed chunk.

        Returns the whole reply with its token counts (from the last chunk's usage); a blocked
        or empty answer is the same honest stand-in as `generate` gives. Retried (before the
        first chunk) like every call: 408, 429 (unless `retry_rate_limits` is off), 5xx.
        """
        body = {"contents": _contents_json(turns, media), "systemInstruction": _system_json(system)}
        text = ""
        last: JSON | None = None
        with _outage_is_unavailable():
            async with asyncio.timeout(self._timeout_seconds * 2):
                response = await self._send(self.model, "streamGenerateContent?alt=sse", body)
                async with response:
                    async for chunk in _events(response):
                        last = chunk
                        piece = _chunk_text(chunk)
                        if piece:
                            text += piece
                            await on_text(text)
        if last is None:
            return Reply(EMPTY_REPLY, empty=True)
        final = _reply_from_json(last)
        if text.strip() and not final.blocked:
            return Reply(text.strip(), final.prompt_tokens, final.output_tokens)
        return final

    async def _generate(self, model: str, body: JSON) -> JSON:
        """One `generateContent` answer as JSON (with the retries)."""
        response = await self._send(model, "generateContent", body)
        async with response, asyncio.timeout(self._timeout_seconds):
            return _json_object(await response.read())

    async def _send(self, model: str, method: str, body: JSON) -> aiohttp.ClientResponse:
        """POST `body` to the model's `method`; the response (status < 400) for the caller to read
        and release. Retried as the SDK retries: exponential from 0.5 s, at most 8 s, plus up to
        1 s of jitter; each attempt bounded by the time-out (the SDK's per-request time-out)."""
        name = model if model.startswith(("models/", "tunedModels/")) else f"models/{model}"
        url = f"{self._root}/{name}:{method}"
        payload = json.dumps(body).encode()
        for attempt in range(1, self._attempts + 1):
            async with asyncio.timeout(self._timeout_seconds):
                response = await self._session.post(url, data=payload, headers=self._headers)
                if response.status < 400:
                    return response
                error = _GeminiHTTPError(response.status, await _error_body(response))
            response.release()
            if response.status not in self._retry_codes or attempt == self._attempts:
                raise error
            await asyncio.sleep(min(8.0, 0.5 * 2 ** (attempt - 1)) + random.random())  # noqa: S311
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def close(self) -> None:
        await self._session.close()


class GeminiEmbedder:
    """Gemini embeddings on the event loop, over a session of its own: the request Mem0's Gemini
    embedder sends (its sync google-genai client, on a thread), so the vectors are the same.

    One attempt, no retries, as Mem0's: a 429 reaches the caller with Gemini's retryDelay (the
    memory writer waits as asked). Make it inside the running event loop."""

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        dims: int,
        base_url: str | None = None,
        timeout_seconds: float = 60.0,
        max_connections: int = 64,
    ) -> None:
        self._model = f"models/{model.removeprefix('models/')}"
        self._dims = dims
        self._timeout_seconds = timeout_seconds
        self._url = f"{_api_root(base_url)}/{self._model}:batchEmbedContents"
        self._headers = {"x-goog-api-key": api_key, "Content-Type": "application/json"}
        self._session = new_session(base_url or GEMINI_DEFAULT_URL, limit=max_connections)

    async def embed(self, text: str) -> list[float]:
        """The embedding of `text` (newlines as spaces, as Mem0 sends it)."""
        content = {"parts": [{"text": text.replace("\n", " ")}], "role": "user"}
        body = {"requests": [{"content": content, "outputDimensionality": self._dims, "model": self._model}]}
        payload = json.dumps(body)
        async with asyncio.timeout(self._timeout_seconds):
            async with self._session.post(self._url, data=payload, headers=self._headers) as response:
                if response.status >= 400:
                    raise _GeminiHTTPError(response.status, await _error_body(response))
                answer = json.loads(await response.read())
        try:
            return [float(value) for value in answer["embeddings"][0]["values"]]
        except (KeyError, IndexError, TypeError, ValueError):
            raise LLMUnavailable("Gemini sent no embedding") from None

    async def close(self) -> None:
        await self._session.close()


def _api_root(base_url: str | None) -> str:
    """Base URL and API version as google-genai resolves them for a client with an API key."""
    version = os.environ.get("GOOGLE_GENAI_API_VERSION") or "v1"
    return f"{(base_url or GEMINI_DEFAULT_URL).rstrip('/')}/{'v1beta' if version == 'beta' else version}"


def _system_json(system: str) -> JSON:
    return {"parts": [{"text": system}], "role": "user"}


def _contents_json(turns: Sequence[Turn], media: Sequence[Media] = ()) -> list[JSON]:
    """The turns as the JSON the API takes (what google-genai sends for them); `media` become
    inline parts of the last (the new) turn."""
    contents: list[JSON] = [{"parts": [{"text": turn.text}], "role": turn.role} for turn in turns]
    if media and contents:
        extra = [
            # as google-genai sends it: URL-safe base64, the MIME type's key in snake case
            {
                "inlineData": {
                    "data": base64.urlsafe_b64encode(item.data).decode(),
                    "mime_type": item.mime_type,
                }
            }
            for item in media
        ]
        contents[-1]["parts"] = [*extra, *contents[-1]["parts"]]
    return contents


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


async def _error_body(response: Any) -> Any:
    try:
        return json.loads(await response.read())
    except ValueError:
        return None


def _chunk_text(chunk: JSON) -> str:
    """`_text_of` for a chunk as JSON."""
    candidates = chunk.get("candidates") or []
    content = candidates[0].get("content") if candidates else None
    parts = (content or {}).get("parts") or []
    return "".join(part["text"] for part in parts if part.get("text") and not part.get("thought"))


def _reply_from_json(chunk: JSON) -> Reply:
    """`_reply_from` for a (last) chunk as JSON."""
    usage = chunk.get("usageMetadata") or {}
    prompt_tokens = int(usage.get("promptTokenCount") or 0)
    output_tokens = int(usage.get("candidatesTokenCount") or 0)
    reason = (chunk.get("promptFeedback") or {}).get("blockReason")
    if reason:
        logger.warning("Gemini blocked the prompt: %s", reason)
        return Reply(BLOCKED_REPLY, prompt_tokens, output_tokens, blocked=True)
    text = _chunk_text(chunk).strip()
    if text:
        return Reply(text, prompt_tokens, output_tokens)
    candidates = chunk.get("candidates") or []
    finish = candidates[0].get("finishReason") if candidates else None
    if finish in _WITHHELD:
        logger.warning("Gemini withheld the answer: finish_reason=%s", finish)
        return Reply(BLOCKED_REPLY, prompt_tokens, output_tokens, blocked=True)
    logger.warning("Gemini returned no text: finish_reason=%s", finish)
    return Reply(EMPTY_REPLY, prompt_tokens, output_tokens, empty=True)


def _parse_heard(data: Any) -> tuple[str, str]:
    if not isinstance(data, dict):
        raise ValueError("not an object")
    transcript, answer = data.get("transcript"), data.get("answer")
    if not isinstance(transcript, str) or not isinstance(answer, str):
        raise ValueError("transcript and answer must be strings")
    return " ".join(transcript.split()), answer.strip()


async def _events(response: aiohttp.ClientResponse) -> AsyncIterator[JSON]:
    """The JSON objects of a server-sent event stream (`data: {...}` lines); an error event raises."""
    async for line in response.content:
        if line.startswith(b"data:"):
            chunk = _json_object(line[5:])
            error = chunk.get("error")
            if isinstance(error, dict):
                raise _GeminiHTTPError(int(error.get("code") or 500), chunk)
            yield chunk


def _json_object(data: bytes) -> JSON:
    try:
        value = json.loads(data)
    except ValueError:
        raise LLMUnavailable("Gemini sent malformed JSON") from None
    if not isinstance(value, dict):
        raise LLMUnavailable("Gemini sent malformed JSON")
    return value


# google-genai's spelling of a schema's keys as it sends them (its `process_schema`, then its
# Schema model's serialisation).
_SCHEMA_KEYS = {
    "additional_properties": "additionalProperties",
    "any_of": "anyOf",
    "prefix_items": "prefixItems",
    "propertyOrdering": "property_ordering",  # sic: genai sends this one in snake case
}


def api_schema(schema: Mapping[str, Any]) -> JSON:
    """A response schema (OpenAPI subset, as our callers write it) as google-genai sends it: types
    in capitals, sub-schemas alike, and an object's properties in their given order unless it says
    (`property_ordering`). Plain schemas only: no `$ref`, `anyOf` or `const` (none of ours)."""
    out: JSON = {}
    for key, value in schema.items():
        key = _SCHEMA_KEYS.get(key, key)
        if key == "type" and isinstance(value, str):
            value = value.upper()
        elif key == "properties" and isinstance(value, Mapping):
            value = {name: api_schema(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, Mapping):
            value = api_schema(value)
        elif key in ("$ref", "anyOf", "const", "$defs"):
            raise ValueError(f"api_schema: {key} is not supported")
        out[key] = value
    properties = out.get("properties")
    ordered = "property_ordering" in out
    if out.get("type") == "OBJECT" and isinstance(properties, dict) and len(properties) > 1 and not ordered:
        out["property_ordering"] = list(properties)
    return out


def _finish_reason(response: JSON) -> str:
    reason = (response.get("promptFeedback") or {}).get("blockReason")
    if reason:
        return f"prompt blocked {reason}"
    candidates = response.get("candidates") or []
    return str(candidates[0].get("finishReason")) if candidates else "no candidates"


@contextlib.contextmanager
def _outage_is_unavailable() -> Iterator[None]:
    """Inside: an API error, a time-out or a transport error becomes LLMUnavailable (anything
    else, a bug of ours, goes through as it is)."""
    try:
        yield
    except Exception as exc:
        if _is_unavailable(exc):
            raise _unavailable(exc) from exc
        raise


def _is_unavailable(exc: BaseException) -> bool:
    """API errors, time-outs and transport errors (aiohttp's and httpx's are not OSError)."""
    if isinstance(exc, _GeminiHTTPError | TimeoutError | OSError):
        return True
    return type(exc).__module__.split(".")[0] in {"aiohttp", "httpx", "httpcore"}


def _unavailable(exc: BaseException) -> LLMUnavailable:
    if isinstance(exc, _GeminiHTTPError) and exc.code == 429:
        return LLMRateLimited(_describe(exc), google_retry_delay(exc.details))
    return LLMUnavailable(_describe(exc))


def _describe_bad_json(exc: ValueError) -> str:
    """What was wrong with a JSON answer, without any of its text (it may repeat the user's words)."""
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON ({exc.msg} at char {exc.pos})"
    errors = getattr(exc, "errors", None)
    if callable(errors):  # pydantic's ValidationError: where and what kind, never the input
        found = [
            f"{'.'.join(str(part) for part in error.get('loc', ()))}: {error.get('type')}"
            for error in errors(include_input=False, include_url=False)[:5]
        ]
        return "wrong shape (" + "; ".join(found) + ")"
    return f"unusable ({type(exc).__name__})"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, _GeminiHTTPError):
        return f"Gemini API error {exc.code} {exc.status or ''}".strip()
    if isinstance(exc, TimeoutError):
        return "Gemini did not answer in time"
    return f"Gemini unreachable ({type(exc).__name__})"


def google_retry_delay(body: Any) -> float | None:
    """The wait a Google API error body asks for (google.rpc.RetryInfo "retryDelay": "7s"), if any.
    Gemini's own 429s and those of Mem0's Gemini embedder (bot/memory/items.py) carry it."""
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    for item in details if isinstance(details, list) else []:
        delay = item.get("retryDelay") if isinstance(item, dict) else None
        if isinstance(delay, str) and delay.endswith("s"):
            try:
                return max(0.0, float(delay[:-1]))
            except ValueError:
                return None
    return None
