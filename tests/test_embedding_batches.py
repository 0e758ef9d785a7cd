"""GeminiEmbedder shares one batchEmbedContents request among the texts asked for in the same
event-loop iteration (real google-genai against the fake Gemini): each caller gets the vector a
lone call gets, a failure reaches every caller of the request, a cancelled caller leaves the
others their answer."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator

import pytest
from google.genai import errors as genai_errors

from bot.llm import GeminiEmbedder, LLMUnavailable
from tests.fakes.gemini_api import Empty, FakeGemini, Fault, Hang, embed_text

DIMS = 32


@pytest.fixture
async def embedder(fake_gemini: FakeGemini) -> AsyncIterator[GeminiEmbedder]:
    made = GeminiEmbedder(
        api_key=fake_gemini.api_key,
        model="embedding-model",
        dims=DIMS,
        base_url=fake_gemini.base_url,
        timeout_seconds=10,
    )
    yield made
    await made.close()


def sent_texts(fake: FakeGemini) -> list[list[str]]:
    """The texts of each embedding request received, in order."""
    return [request.texts() for request in fake.requests("embed")]


async def test_a_lone_call_is_one_request_of_one_text(
    fake_gemini: FakeGemini, embedder: GeminiEmbedder
) -> None:
    vector = await embedder.embed("how many squats\ntoday?")
    assert sent_texts(fake_gemini) == [["how many squats today?"]]
    assert vector == embed_text("how many squats today?", DIMS)
    dims = [r.body["requests"][0]["outputDimensionality"] for r in fake_gemini.requests("embed")]
    assert dims == [DIMS]


async def test_concurrent_calls_share_one_request_and_get_a_lone_calls_vectors(
    fake_gemini: FakeGemini, embedder: GeminiEmbedder
) -> None:
    texts = [f"question {n}: did I\nrun today?" for n in range(20)]
    together = await asyncio.gather(*(embedder.embed(text) for text in texts))
    assert sent_texts(fake_gemini) == [[text.replace("\n", " ") for text in texts]]
    assert all(r["outputDimensionality"] == DIMS for r in fake_gemini.requests("embed")[0].body["requests"])
    alone = [await embedder.embed(text) for text in texts]
    assert len(fake_gemini.requests("embed")) == 1 + len(texts)
    assert together == alone
    assert together[0] != together[1]


async def test_more_than_a_hundred_texts_go_as_several_requests(
    fake_gemini: FakeGemini, embedder: GeminiEmbedder
) -> None:
    texts = [f"text number {n}" for n in range(150)]
    vectors = await asyncio.gather(*(embedder.embed(text) for text in texts))
    assert sorted(len(texts) for texts in sent_texts(fake_gemini)) == [50, 100]
    assert sorted(text for sent in sent_texts(fake_gemini) for text in sent) == sorted(texts)
    assert vectors == [embed_text(text, DIMS) for text in texts]


async def test_the_same_text_asked_twice_at_once_is_sent_once(
    fake_gemini: FakeGemini, embedder: GeminiEmbedder
) -> None:
    """Newlines count as spaces, as in the request: "a\\nb" and "a b" are one text."""
    vectors = await asyncio.gather(
        embedder.embed("knee pain"), embedder.embed("swim"), embedder.embed("knee\npain")
    )
    assert sent_texts(fake_gemini) == [["knee pain", "swim"]]
    assert vectors[0] == vectors[2] == embed_text("knee pain", DIMS)
    assert vectors[0] is not vectors[2]  # each caller owns its list


async def test_a_429_reaches_every_caller_of_the_request_with_its_retry_delay(
    fake_gemini: FakeGemini, embedder: GeminiEmbedder
) -> None:
    fake_gemini.enqueue("embed", Fault(429, retry_after=7))
    outcomes = await asyncio.gather(*(embedder.embed(f"text {n}") for n in range(5)), return_exceptions=True)
    assert len(fake_gemini.requests("embed")) == 1
    assert all(isinstance(outcome, genai_errors.APIError) for outcome in outcomes)
    assert {getattr(outcome, "code", None) for outcome in outcomes} == {429}
    details = str(getattr(outcomes[0], "details", ""))
    assert "RetryInfo" in details
    assert "7s" in details
    assert await embedder.embed("text 0") == embed_text("text 0", DIMS)  # the next one is sent


async def test_an_answer_without_embeddings_is_unavailable_to_every_caller(
    fake_gemini: FakeGemini, embedder: GeminiEmbedder
) -> None:
    fake_gemini.enqueue("embed", Empty())
    outcomes = await asyncio.gather(embedder.embed("a"), embedder.embed("b"), return_exceptions=True)
    assert len(fake_gemini.requests("embed")) == 1
    assert all(isinstance(outcome, LLMUnavailable) for outcome in outcomes), outcomes


async def test_a_cancelled_caller_leaves_the_others_their_vectors(
    fake_gemini: FakeGemini, embedder: GeminiEmbedder, caplog: pytest.LogCaptureFixture
) -> None:
    """Also when it shares a text with another caller, and when the request then fails."""
    fake_gemini.enqueue("embed", Hang(0.3), Hang(0.3, Fault(429)))
    callers = [asyncio.create_task(embedder.embed(text)) for text in ("swim", "swim", "run")]
    await fake_gemini.wait_for_requests("embed", 1)
    callers[0].cancel()
    assert await asyncio.gather(*callers[1:]) == [embed_text("swim", DIMS), embed_text("run", DIMS)]
    assert callers[0].cancelled()

    caplog.set_level(logging.ERROR, logger="asyncio")
    lost = asyncio.create_task(embedder.embed("walk"))
    waiting = asyncio.create_task(embedder.embed("jog"))
    await fake_gemini.wait_for_requests("embed", 2)
    lost.cancel()
    with pytest.raises(genai_errors.APIError):
        await waiting
    await asyncio.sleep(0.1)  # the request's task ends
    del lost, waiting  # the last references to the request's futures (through the error's frames)
    gc.collect()
    assert "never retrieved" not in caplog.text


async def test_close_ends_the_requests_under_way(fake_gemini: FakeGemini) -> None:
    """Callers waiting on a request when the embedder closes get LLMUnavailable, and no task of the
    embedder outlives `close()`."""
    embedder = GeminiEmbedder(
        api_key=fake_gemini.api_key, model="m", dims=DIMS, base_url=fake_gemini.base_url
    )
    fake_gemini.enqueue("embed", Hang(5))
    before = asyncio.all_tasks()
    callers = [asyncio.create_task(embedder.embed(text)) for text in ("a", "b")]
    await fake_gemini.wait_for_requests("embed", 1)
    await embedder.close()
    for caller in callers:
        with pytest.raises(LLMUnavailable, match="closed"):
            await caller
    assert asyncio.all_tasks() == before
