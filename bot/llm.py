"""Chat generation with Google Gemini: the only module that imports google.genai."""

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
from typing import Any, TypeVar

from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from bot.errors import RateLimited, Unavailable, google_retry_delay
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


class LLMBadOutput(LLMUnavailable):
    """Gemini kept answering with output that is not the JSON asked for (after every attempt)."""


class LLMRateLimited(LLMUnavailable, RateLimited):
    """Gemini answered 429: over quota. `retry_after` is the delay it asked for (seconds), if any."""


T = TypeVar("T")

JSON = dict[str, Any]

# Answers withheld for these reasons are shown as BLOCKED_REPLY (google-genai's FinishReason names).
_WITHHELD = frozenset({"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION"})


class _GeminiHTTPError(Exception):
    """A streamed answer's HTTP error (or an error event in its stream), shaped like genai's APIError."""

    def __init__(self, code: int, body: Any) -> None:
        error = body.get("error") if isinstance(body, dict) else None
        self.code = code
        self.status = str(error.get("status") or "") if isinstance(error, dict) else ""
        self.details = body
        super().__init__(f"Gemini API error {code} {self.status}".strip())


class GeminiChat:
    """Async chat generation with a timeout and bounded retries (429 and 5xx)."""

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
        self._api_key = api_key
        # The streamed answer, the one call of every message, goes straight over our session: the
        # same request google-genai sends, without its pydantic round trips (about half of a new
        # chat's CPU, BENCHMARKS.md). The API version is the one genai picks for this client.
        self._stream_url = f"{_api_root(base_url)}/models/{model}"
        self._attempts = max(1, attempts)
        self._retry_codes = frozenset({408, *([429] if retry_rate_limits else []), 500, 502, 503, 504})
        # Our own aiohttp session (bot/runtime/http.py): bounded, and no ~/.netrc lookup per request.
        self._session = new_session(base_url or GEMINI_DEFAULT_URL, limit=max_connections)
        options = types.HttpOptions(
            base_url=base_url,
            aiohttp_client=self._session,
            timeout=int(timeout_seconds * 1000),
            retry_options=types.HttpRetryOptions(
                attempts=attempts,
                initial_delay=0.5,
                max_delay=8.0,
                http_status_codes=[408, *([429] if retry_rate_limits else []), 500, 502, 503, 504],
            ),
        )
        self._client = genai.Client(api_key=api_key, http_options=options)

    async def generate(self, system: str, turns: Sequence[Turn], media: Sequence[Media] = ()) -> Reply:
        """One answer to the conversation in `turns`, steered by `system` (`media`: inline parts
        of the last turn)."""
        config = types.GenerateContentConfig(system_instruction=system)
        with _outage_is_unavailable():
            response = await asyncio.wait_for(
                self._client.aio.models.generate_content(
                    model=self.model, contents=_contents(turns, media), config=config
                ),
                # The SDK's own timeout applies per attempt; this bounds the retries too.
                timeout=self._timeout_seconds * 2,
            )
        return _reply_from(response)

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
        contents = _contents([Turn("user", prompt)], media) if media else prompt
        parsed, response = await self._json(system, contents, schema, parse, model, attempts)
        usage = _reply_from(response)
        return parsed, usage.prompt_tokens, usage.output_tokens

    async def hear(self, system: str, turns: Sequence[Turn], media: Sequence[Media]) -> Heard:
        """Answer a voice note (or round video) and say what was heard, in one call: the audio goes
        as an inline part of the last turn, the answer and the transcript come back as JSON."""
        instruction = system + "\n\n" + HEAR_INSTRUCTION
        try:
            parsed, response = await self._json(
                instruction, _contents(turns, media), HEAR_SCHEMA, _parse_heard, None, 2
            )
        except LLMBadOutput:
            logger.warning("Gemini gave no usable answer to a voice note")
            return Heard("", Reply(EMPTY_REPLY, empty=True))
        transcript, text = parsed
        usage = _reply_from(response)
        if usage.blocked:
            return Heard(transcript, usage)
        reply = Reply(text or EMPTY_REPLY, usage.prompt_tokens, usage.output_tokens, empty=not text)
        return Heard(transcript, reply)

    async def _json(
        self,
        system: str,
        contents: str | list[types.Content],
        schema: Mapping[str, Any],
        parse: Callable[[Any], T],
        model: str | None,
        attempts: int,
    ) -> tuple[T, types.GenerateContentResponse]:
        config = types.GenerateContentConfig(
            system_instruction=system,
            response_mime_type="application/json",
            response_schema=dict(schema),
            temperature=0.0,
        )
        problem = "no attempt"
        for attempt in range(1, max(1, attempts) + 1):
            with _outage_is_unavailable():
                response = await asyncio.wait_for(
                    self._client.aio.models.generate_content(
                        model=model or self.model, contents=contents, config=config
                    ),
                    timeout=self._timeout_seconds * 2,
                )
            text = _text_of(response).strip()
            try:
                if not text:
                    problem = f"no text (finish_reason={_finish_reason(response)})"
                else:
                    return parse(json.loads(text)), response
            except ValueError as exc:  # json.JSONDecodeError and pydantic's ValidationError included
                problem = _describe_bad_json(exc)
            logger.warning("Gemini JSON answer unusable (attempt %d of %d): %s", attempt, attempts, problem)
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
        first chunk) as the SDK's calls are: 408, 429 (unless `retry_rate_limits` is off), 5xx.
        """
        body = {"contents": _contents_json(turns, media), "systemInstruction": _system_json(system)}
        text = ""
        last: JSON | None = None
        with _outage_is_unavailable():
            async with asyncio.timeout(self._timeout_seconds * 2):
                async for chunk in self._stream(body):
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

    async def _stream(self, body: JSON) -> AsyncIterator[JSON]:
        """The chunks of one `streamGenerateContent` call (server-sent events), with the retries."""
        url = f"{self._stream_url}:streamGenerateContent?alt=sse"
        headers = {"x-goog-api-key": self._api_key, "Content-Type": "application/json"}
        payload = json.dumps(body)
        for attempt in range(1, self._attempts + 1):
            async with asyncio.timeout(self._timeout_seconds):  # the SDK's per-attempt time-out
                response = await self._session.post(url, data=payload, headers=headers)
            async with response:
                if response.status >= 400:
                    error = _GeminiHTTPError(response.status, await _error_body(response))
                    if response.status not in self._retry_codes or attempt == self._attempts:
                        raise error
                    # as the SDK's retries: exponential from 0.5 s, at most 8 s, plus up to 1 s jitter
                    await asyncio.sleep(min(8.0, 0.5 * 2 ** (attempt - 1)) + random.random())  # noqa: S311
                    continue
                async for line in response.content:
                    if not line.startswith(b"data:"):
                        continue
                    try:
                        chunk = json.loads(line[5:])
                    except ValueError:
                        raise LLMUnavailable("Gemini sent a malformed stream") from None
                    if isinstance(chunk, dict) and "error" in chunk:
                        raise _GeminiHTTPError(int(chunk["error"].get("code") or 500), chunk)
                    yield chunk
                return

    async def close(self) -> None:
        try:
            await self._client.aio.aclose()
        finally:
            await self._session.close()


def _contents(turns: Sequence[Turn], media: Sequence[Media] = ()) -> list[types.Content]:
    """The turns as Gemini contents; `media` become inline parts of the last (the new) turn."""
    contents = [types.Content(role=turn.role, parts=[types.Part(text=turn.text)]) for turn in turns]
    if media and contents:
        extra = [types.Part.from_bytes(data=item.data, mime_type=item.mime_type) for item in media]
        contents[-1].parts = [*extra, *(contents[-1].parts or [])]
    return contents


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
    """`_contents` as the JSON the API takes (what google-genai sends for it)."""
    contents: list[JSON] = [{"parts": [{"text": turn.text}], "role": turn.role} for turn in turns]
    if media and contents:
        extra = [
            {"inlineData": {"data": base64.b64encode(item.data).decode(), "mimeType": item.mime_type}}
            for item in media
        ]
        contents[-1]["parts"] = [*extra, *contents[-1]["parts"]]
    return contents


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


def _text_of(response: types.GenerateContentResponse) -> str:
    candidates = response.candidates or []
    if not candidates or candidates[0].content is None:
        return ""
    parts = candidates[0].content.parts or []
    return "".join(part.text for part in parts if part.text and not part.thought)


def _finish_reason(response: types.GenerateContentResponse) -> str:
    if response.prompt_feedback is not None and response.prompt_feedback.block_reason is not None:
        return f"prompt blocked {response.prompt_feedback.block_reason}"
    return str(response.candidates[0].finish_reason) if response.candidates else "no candidates"


def _reply_from(response: types.GenerateContentResponse) -> Reply:
    usage = response.usage_metadata
    prompt_tokens = (usage.prompt_token_count or 0) if usage else 0
    output_tokens = (usage.candidates_token_count or 0) if usage else 0
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason is not None:
        logger.warning("Gemini blocked the prompt: %s", feedback.block_reason)
        return Reply(BLOCKED_REPLY, prompt_tokens, output_tokens, blocked=True)
    text = _text_of(response).strip()
    if text:
        return Reply(text, prompt_tokens, output_tokens)
    reason = response.candidates[0].finish_reason if response.candidates else None
    if reason in {
        types.FinishReason.SAFETY,
        types.FinishReason.PROHIBITED_CONTENT,
        types.FinishReason.BLOCKLIST,
        types.FinishReason.SPII,
        types.FinishReason.RECITATION,
    }:
        logger.warning("Gemini withheld the answer: finish_reason=%s", reason)
        return Reply(BLOCKED_REPLY, prompt_tokens, output_tokens, blocked=True)
    logger.warning("Gemini returned no text: finish_reason=%s", reason)
    return Reply(EMPTY_REPLY, prompt_tokens, output_tokens, empty=True)


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
    if isinstance(exc, genai_errors.APIError | _GeminiHTTPError | TimeoutError | OSError):
        return True
    return type(exc).__module__.split(".")[0] in {"aiohttp", "httpx", "httpcore"}


def _unavailable(exc: BaseException) -> LLMUnavailable:
    if isinstance(exc, genai_errors.APIError | _GeminiHTTPError) and exc.code == 429:
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
    if isinstance(exc, genai_errors.APIError | _GeminiHTTPError):
        return f"Gemini API error {exc.code} {exc.status or ''}".strip()
    if isinstance(exc, TimeoutError):
        return "Gemini did not answer in time"
    return f"Gemini unreachable ({type(exc).__name__})"
