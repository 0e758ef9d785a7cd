"""Chat generation with Google Gemini: the only module that imports google.genai."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from google import genai
from google.genai import errors as genai_errors
from google.genai import types

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
# The bot declares no tools, so google-genai's automatic function calling has nothing to call; left
# on (its default), it deep-copies the config on every call to look for some.
NO_TOOLS: types.GenerateContentConfigDict = {"automatic_function_calling": {"disable": True}}
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

    async def generate_json_usage(
        self,
        system: str,
        prompt: str,
        *,
        schema: Mapping[str, Any],
        parse: Callable[[Any], T],
        model: str | None = None,
        attempts: int = 3,
    ) -> tuple[T, int, int]: ...


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
        # A dict: the SDK builds its model from it, where it would deep-copy a model we built.
        config: types.GenerateContentConfigDict = {"system_instruction": system, **NO_TOOLS}
        # The SDK's own timeout applies per attempt; this bounds the retries too.
        with _outage_is_unavailable():
            async with asyncio.timeout(self._timeout_seconds * 2):
                response = await self._client.aio.models.generate_content(
                    model=self.model, contents=_contents(turns, media), config=config
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
        """Structured output: JSON constrained by `schema` (JSON Schema: lower-case types, a
        nullable field as `["string", "null"]`), checked by `parse` (which raises
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
        except LLMBadOutput as exc:
            logger.warning("Gemini gave no usable answer to a voice note: %s", exc)
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
        contents: str | list[types.ContentDict],
        schema: Mapping[str, Any],
        parse: Callable[[Any], T],
        model: str | None,
        attempts: int,
    ) -> tuple[T, types.GenerateContentResponse]:
        # `schema` is JSON Schema, which Gemini takes as it is: google-genai's `response_schema`
        # would build (and validate, several times per call) its own Schema model from it.
        config: types.GenerateContentConfigDict = {
            "system_instruction": system,
            "response_mime_type": "application/json",
            "response_json_schema": dict(schema),
            "temperature": 0.0,
            **NO_TOOLS,
        }
        problem = "no attempt"
        for attempt in range(1, max(1, attempts) + 1):
            with _outage_is_unavailable():
                async with asyncio.timeout(self._timeout_seconds * 2):
                    response = await self._client.aio.models.generate_content(
                        model=model or self.model, contents=contents, config=config
                    )
            text = _text_of(response).strip()
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
        or empty answer is the same honest stand-in as `generate` gives.
        """
        config: types.GenerateContentConfigDict = {"system_instruction": system, **NO_TOOLS}
        text = ""
        last: types.GenerateContentResponse | None = None
        with _outage_is_unavailable():
            async with asyncio.timeout(self._timeout_seconds):
                chunks = await self._client.aio.models.generate_content_stream(
                    model=self.model, contents=_contents(turns, media), config=config
                )
            async with asyncio.timeout(self._timeout_seconds * 2):
                async for chunk in chunks:
                    last = chunk
                    piece = _text_of(chunk)
                    if piece:
                        text += piece
                        await on_text(text)
        if last is None:
            return Reply(EMPTY_REPLY, empty=True)
        final = _reply_from(last)
        if text.strip() and not final.blocked:
            return Reply(text.strip(), final.prompt_tokens, final.output_tokens)
        return final

    async def close(self) -> None:
        try:
            await self._client.aio.aclose()
        finally:
            await self._session.close()


# The most texts Gemini's batchEmbedContents takes in one request.
EMBED_BATCH_LIMIT = 100


class GeminiEmbedder:
    """Gemini embeddings with google-genai's async client on the event loop, over a session of its
    own: the call Mem0's Gemini embedder makes with the sync client on a thread (same model, same
    `output_dimensionality`, newlines as spaces), so the vectors are the same.

    Texts asked for in the same event-loop iteration share one request (a list of up to
    `EMBED_BATCH_LIMIT` texts, each distinct text once; more go as several requests at once),
    sent on the next iteration: a lone caller waits no longer than before, and a burst of
    recalls pays google-genai's fixed cost per request once instead of once per text.

    One attempt, no retries, as Mem0's: a 429 reaches every caller of that request as genai's
    APIError with Gemini's retryDelay in its details (the memory service turns it into
    MemoryRateLimited and the writer waits as asked); a missing embedding is LLMUnavailable. A
    cancelled caller leaves the request to the others. Make it inside the running event loop."""

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
        self._config = types.EmbedContentConfig(output_dimensionality=dims)  # built once
        self._session = new_session(base_url or GEMINI_DEFAULT_URL, limit=max_connections)
        options = types.HttpOptions(
            base_url=base_url, aiohttp_client=self._session, timeout=int(timeout_seconds * 1000)
        )
        self._client = genai.Client(api_key=api_key, http_options=options)
        self._waiting: dict[str, list[asyncio.Future[list[float]]]] = {}  # callers by text
        self._sending: set[asyncio.Task[None]] = set()

    async def embed(self, text: str) -> list[float]:
        """The embedding of `text`, as Mem0's embedder computes it."""
        loop = asyncio.get_running_loop()
        if not self._waiting:
            loop.call_soon(self._flush)  # after the callers of this iteration
        # a future per caller: a cancelled caller cancels its own, which the request then skips
        future: asyncio.Future[list[float]] = loop.create_future()
        self._waiting.setdefault(text.replace("\n", " "), []).append(future)
        return await future

    def _flush(self) -> None:
        """Send the texts asked for since the last flush, `EMBED_BATCH_LIMIT` per request."""
        waiting = list(self._waiting.items())
        self._waiting = {}
        for first in range(0, len(waiting), EMBED_BATCH_LIMIT):
            batch = dict(waiting[first : first + EMBED_BATCH_LIMIT])
            task = asyncio.create_task(self._send(batch))
            self._sending.add(task)
            task.add_done_callback(functools.partial(self._sent, batch))

    def _sent(self, batch: dict[str, list[asyncio.Future[list[float]]]], task: asyncio.Task[None]) -> None:
        """A request ended: a caller it left without an answer was cut off by `close()`."""
        self._sending.discard(task)
        _fail(batch.values(), LLMUnavailable("the embedder was closed"))

    async def _send(self, batch: dict[str, list[asyncio.Future[list[float]]]]) -> None:
        """One embed_content request for the texts of `batch`; each caller gets its own copy of its
        text's vector, or the request's failure (the same exception for all)."""
        try:
            response = await self._client.aio.models.embed_content(
                model=self._model, contents=list(batch), config=self._config
            )
            embeddings = response.embeddings or []
            if len(embeddings) != len(batch):
                raise LLMUnavailable(f"Gemini sent {len(embeddings)} embeddings for {len(batch)} texts")
        except Exception as exc:
            _fail(batch.values(), exc)
            return
        for futures, embedding in zip(batch.values(), embeddings, strict=True):
            if not embedding.values:
                _fail([futures], LLMUnavailable("Gemini sent no embedding"))
                continue
            for future in futures:
                if not future.done():  # not cancelled
                    future.set_result(list(embedding.values))

    async def close(self) -> None:
        """Fail the texts not yet sent, stop the requests under way, then close the client."""
        _fail(self._waiting.values(), LLMUnavailable("the embedder was closed"))
        self._waiting = {}
        for task in self._sending:
            task.cancel()
        await asyncio.gather(*self._sending, return_exceptions=True)
        try:
            await self._client.aio.aclose()
        finally:
            await self._session.close()


def _fail(callers: Iterable[list[asyncio.Future[Any]]], exc: BaseException) -> None:
    """`exc` to each caller still waiting (a cancelled one is done already)."""
    for futures in callers:
        for future in futures:
            if not future.done():
                future.set_exception(exc)


def _contents(turns: Sequence[Turn], media: Sequence[Media] = ()) -> list[types.ContentDict]:
    """The turns as Gemini contents; `media` become inline parts of the last (the new) turn.

    Plain dicts (the SDK's `ContentDict`), not `types.Content` models: google-genai builds the
    same request from either, and from dicts in about two thirds of the CPU (its converters test
    `key in obj`, which walks every field of a pydantic model but is one lookup in a dict;
    bench/llm_request.py measures both)."""
    contents: list[types.ContentDict] = [
        {"role": turn.role, "parts": [{"text": turn.text}]} for turn in turns
    ]
    if media and contents:
        extra: list[types.PartDict] = [
            {"inline_data": {"data": item.data, "mime_type": item.mime_type}} for item in media
        ]
        contents[-1]["parts"] = [*extra, {"text": turns[-1].text}]
    return contents


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
    if isinstance(exc, genai_errors.APIError | TimeoutError | OSError):
        return True
    return type(exc).__module__.split(".")[0] in {"aiohttp", "httpx", "httpcore"}


def _unavailable(exc: BaseException) -> LLMUnavailable:
    if isinstance(exc, genai_errors.APIError) and exc.code == 429:
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
    if isinstance(exc, genai_errors.APIError):
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
