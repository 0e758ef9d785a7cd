"""The memory writer keeps up: users written at once, each user's writes in order, /forget waiting
only for its own user, 429 slowing it down, and writes that can never succeed parked, not looped."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.advisor.controls import MemoryControls
from bot.advisor.erasures import Erasures
from bot.advisor.extraction import Extractor
from bot.advisor.incognito import IncognitoTurns
from bot.advisor.media_notes import PhotoNotes
from bot.advisor.memory_writer import MemoryWriter
from bot.advisor.recall import Recaller
from bot.llm import GeminiChat
from tests.fakes.gemini_api import FakeGemini, Fault, GeminiRequest, advisor_extraction_responder
from tests.support.clock import FakeClock
from tests.support.memory_pipeline import Pipeline, files_containing

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def writer_of(pipeline: Pipeline, extractor: Extractor | None = None, **options: Any) -> MemoryWriter:
    """Another MemoryWriter over the pipeline's store and memory (its own clock, delays, ...)."""
    return MemoryWriter(
        pipeline.store.outbox,
        pipeline.store.chats,
        pipeline.memory,
        extractor or pipeline.extractor,
        **options,
    )


def user_message(request: GeminiRequest) -> str:
    """The person's words in an extraction request (its user turn)."""
    return request.last_user_text().strip()


async def test_users_are_written_at_once_and_each_users_writes_in_order(
    pipeline: Pipeline, fake_gemini: FakeGemini
) -> None:
    """Three users' writes overlap in time; each user's three writes are extracted one after the
    other, in the order the messages came."""
    spans: dict[str, list[tuple[int, float, float]]] = {}
    lock = threading.Lock()

    def slow_model(request: GeminiRequest) -> str:
        started = time.monotonic()
        time.sleep(0.3)
        user, number = re.findall(r"(\w+) trains (\d)", user_message(request))[0]
        with lock:
            spans.setdefault(user, []).append((int(number), started, time.monotonic()))
        return advisor_extraction_responder(request)

    fake_gemini.json_responder = slow_model
    for number in range(3):
        for user in ("ana", "ben", "cy"):
            await pipeline.writer.enqueue(f"tg-{user}", f"{user} trains {number} days a week.", saved_at=NOW)
    assert await pipeline.writer.drain(30) == 0

    assert fake_gemini.peak_in_flight["json"] == 3
    for user, calls in spans.items():
        assert [number for number, _, _ in calls] == [0, 1, 2], user
        assert all(later[1] >= earlier[2] for earlier, later in itertools.pairwise(calls)), user
        assert await pipeline.texts(f"tg-{user}") == {f"{user} trains {n} days a week" for n in range(3)}


async def test_forget_during_a_write_burst_waits_only_for_its_own_user(
    pipeline: Pipeline, fake_gemini: FakeGemini
) -> None:
    """/forget of one user while five others' extractions are still running returns without
    waiting for them; nothing of the erased user survives, and the others' writes all land."""
    erased_in_flight, release_erased, release_others = threading.Event(), threading.Event(), threading.Event()

    def model(request: GeminiRequest) -> str:
        if "Quetzalcrumb" in user_message(request):
            erased_in_flight.set()
            release_erased.wait(10)
        else:
            release_others.wait(10)
        return advisor_extraction_responder(request)

    fake_gemini.json_responder = model
    controls = MemoryControls(
        chats=pipeline.store.chats,
        outbox=pipeline.store.outbox,
        memory=pipeline.memory,
        writer=pipeline.writer,
        recaller=Recaller(pipeline.memory),
        incognito_turns=IncognitoTurns(per_chat=6),
        photo_notes=PhotoNotes(pipeline.llm, pipeline.writer, model=None, attempts=3),
        erasures=Erasures(),
    )
    erased_chat, others = 77, [81, 82, 83, 84, 85]
    erased = await pipeline.store.chats.user_id_for(erased_chat)
    await pipeline.store.chats.begin_message(erased_chat, 0)
    await pipeline.writer.enqueue(erased, "I ride a Quetzalcrumb bike.", saved_at=NOW)
    await pipeline.writer.enqueue(erased, "My Quetzalcrumb has red tyres.", saved_at=NOW)
    for chat in others:
        await pipeline.writer.enqueue(f"tg-{chat}", f"Person {chat} lifts on Mondays.", saved_at=NOW)
    pipeline.writer.start()
    try:
        await fake_gemini.wait_for_requests("json", 1 + len(others))
        assert erased_in_flight.is_set()

        forgetting = asyncio.create_task(controls.forget_all(erased_chat))
        # The same erasure for a chat with no write in flight finishes: by then this one would have.
        await asyncio.wait_for(controls.forget_all(99), 10)
        assert not forgetting.done()  # it waits for the erased user's write in flight...
        release_erased.set()
        await asyncio.wait_for(forgetting, 10)  # ...and not for anyone else's
        assert await pipeline.store.outbox.pending_memory_writes() == len(others)

        release_others.set()
        assert await pipeline.writer.drain(30) == 0
    finally:
        release_erased.set()
        release_others.set()
    for chat in others:
        assert await pipeline.texts(f"tg-{chat}") == {f"Person {chat} lifts on Mondays"}
    assert await controls.memories(erased_chat) == []
    quetzal = [r for r in fake_gemini.requests("json") if "Quetzalcrumb" in user_message(r)]
    assert len(quetzal) == 1  # the write still queued at /forget was never extracted
    assert files_containing(pipeline.settings.data_dir, ["Quetzalcrumb"]) == {}


async def test_a_429_pauses_new_writes_for_the_delay_gemini_asks(
    pipeline: Pipeline, fake_gemini: FakeGemini
) -> None:
    """Gemini's 429 is not retried at once: the write waits its retryDelay (on the writer's clock,
    moved by hand), and no other write starts meanwhile; afterwards both land, with no extraction
    call wasted."""
    clock = FakeClock(NOW)
    llm = GeminiChat(
        api_key=fake_gemini.api_key,
        model="m",
        base_url=fake_gemini.base_url,
        timeout_seconds=10,
        attempts=3,
        retry_rate_limits=False,
    )
    writer = writer_of(pipeline, Extractor(llm, attempts=3), base_delay=60, clock=clock)
    try:
        fake_gemini.enqueue("json", Fault(429, retry_after=1.0))
        await writer.enqueue("tg-1", "I row on Saturdays.", saved_at=NOW)
        await retried_after_the_delay_asked(pipeline, writer, 1.0)
        assert len(fake_gemini.requests("json")) == 1
        await writer.enqueue("tg-2", "I swim on Sundays.", saved_at=NOW)
        assert await writer.process_due() == 0  # paused: Gemini asked for a second
        clock.advance(0.75)
        assert await writer.process_due() == 0  # still paused three quarters into the second
        assert len(fake_gemini.requests("json")) == 1  # no call while paused
        clock.advance(0.25)
        await pipeline.store.outbox.make_memory_writes_due()  # the outbox's wall-clock retry time (checked)
        assert await writer.drain(10) == 0
        assert len(fake_gemini.requests("json")) == 3  # the 429, then one call per write
        assert await pipeline.texts("tg-1") == {"I row on Saturdays"}
        assert await pipeline.texts("tg-2") == {"I swim on Sundays"}
    finally:
        await writer.stop()
        await llm.close()


async def test_an_over_long_fact_is_split_not_retried_forever(
    pipeline: Pipeline, fake_gemini: FakeGemini
) -> None:
    """An 814-character fact from the model is stored as facts of at most 500 characters, at the
    first attempt (it used to fail the schema and be retried forever)."""
    sentence = "Walks the dog along the Karakoram river path before breakfast every single day. "
    long_fact = (sentence * 11)[:814].strip()
    assert len(long_fact) > 800
    fake_gemini.enqueue("json", json.dumps({"facts": [{"text": long_fact, "category": "routine"}]}))
    await pipeline.writer.enqueue("tg-9", "About my mornings: " + long_fact, saved_at=NOW)
    assert await pipeline.writer.drain(10) == 0
    stored = await pipeline.texts("tg-9")
    assert len(stored) >= 2
    assert all(len(text) <= 500 for text in stored)
    assert len(fake_gemini.requests("json")) == 1


async def test_unusable_answers_park_the_write_and_no_log_line_carries_the_users_words(
    pipeline: Pipeline, fake_gemini: FakeGemini, caplog: pytest.LogCaptureFixture
) -> None:
    """A model that keeps answering the wrong shape (echoing the user's words) makes the write
    parked after three attempts: counted as parked, no longer retried, never logged with the text."""
    words = "My Xylophorbic neighbour trains at dawn."

    def wrong_shape(request: GeminiRequest) -> str:
        said = user_message(request)
        return json.dumps({"facts": [{"text": said, "category": said}]})

    fake_gemini.json_responder = wrong_shape
    caplog.set_level(logging.DEBUG)
    await pipeline.writer.enqueue("tg-5", words, saved_at=NOW)
    for attempt in range(3):
        await pipeline.writer.drain(10)
        if attempt < 2:
            assert await pipeline.store.outbox.pending_memory_writes("tg-5") == 1
            await pipeline.store.outbox.make_memory_writes_due()  # skip the backoff
    assert await pipeline.store.outbox.pending_memory_writes("tg-5") == 0
    assert await pipeline.store.outbox.parked_memory_writes("tg-5") == 1
    calls = len(fake_gemini.requests("json"))
    assert calls == 9  # 3 write attempts × 3 JSON attempts, then no more
    assert await pipeline.writer.drain(10) == 0
    assert len(fake_gemini.requests("json")) == calls
    logged = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    assert "parked" in logged
    assert "Xylophorbic" not in logged

    await pipeline.store.outbox.make_memory_writes_due()  # a restart tries it once more
    assert await pipeline.store.outbox.pending_memory_writes("tg-5") == 1


async def test_a_429_on_an_embedding_also_pauses_the_writer(
    pipeline: Pipeline, fake_gemini: FakeGemini
) -> None:
    """Mem0's embedder hitting Gemini's quota is a rate limit too: the write waits the delay asked
    for (its saved plan is applied then, without a second extraction call)."""
    clock = FakeClock(NOW)
    writer = writer_of(pipeline, base_delay=60, clock=clock)
    try:
        fake_gemini.enqueue("embed", Fault(429, retry_after=1.0))
        await writer.enqueue("tg-3", "I box on Wednesdays.", saved_at=NOW)
        await retried_after_the_delay_asked(pipeline, writer, 1.0)
        assert await writer.process_due() == 0
        clock.advance(0.75)
        assert await writer.process_due() == 0
        clock.advance(0.25)
        await pipeline.store.outbox.make_memory_writes_due()  # the outbox's wall-clock retry time (checked)
        assert await writer.drain(10) == 0
        assert await pipeline.texts("tg-3") == {"I box on Wednesdays"}
        assert len(fake_gemini.requests("json")) == 1
    finally:
        await writer.stop()


async def retried_after_the_delay_asked(pipeline: Pipeline, writer: MemoryWriter, delay: float) -> None:
    """One write fails with the 429 and its row waits exactly the delay Gemini asked for (not the
    writer's 60 s backoff) in the outbox."""
    before = time.time()
    assert await writer.drain(10) == 1
    after = time.time()
    next_at = await pipeline.store.outbox.next_memory_write_at()
    assert next_at is not None
    assert before + delay <= next_at <= after + delay


async def test_a_pause_of_everybody_waits_for_the_writes_in_flight_and_holds_new_ones(
    pipeline: Pipeline, fake_gemini: FakeGemini
) -> None:
    """paused() without a user (a group's move to a supergroup) starts once the write in flight
    is done, and no write starts while it holds."""
    release = threading.Event()

    def held(request: GeminiRequest) -> str:
        release.wait(10)
        return advisor_extraction_responder(request)

    fake_gemini.json_responder = held
    clock = FakeClock(NOW)  # the writer's loop sleeps on it: the test sees when it went round
    writer = writer_of(pipeline, clock=clock)
    entered = asyncio.Event()
    leave = asyncio.Event()

    async def pause_everybody() -> None:
        async with writer.paused():
            entered.set()
            await leave.wait()

    async def turns() -> None:  # entering a pause, or a write passing it, takes no I/O
        for _ in range(20):
            await asyncio.sleep(0)

    try:
        await writer.enqueue("tg-a", "I hike on Sundays.", saved_at=NOW)
        writer.start()
        await fake_gemini.wait_for_requests("json", 1)
        pausing = asyncio.create_task(pause_everybody())
        await turns()
        assert not entered.is_set()  # the write in flight finishes first
        release.set()
        await asyncio.wait_for(entered.wait(), 10)
        assert await pipeline.texts("tg-a") == {"I hike on Sundays"}
        await writer.enqueue("tg-b", "I climb on Mondays.", saved_at=NOW)
        writer.wake()
        async with asyncio.timeout(10):  # the loop went round (a worker for tg-b started) and sleeps
            while not clock.asleep():
                await asyncio.sleep(0.005)
        await turns()
        assert writer.applying == 0  # held while paused: the worker waits at the pause
        assert len(fake_gemini.requests("json")) == 1
        leave.set()
        await pausing
        assert await writer.drain(10) == 0
        assert await pipeline.texts("tg-b") == {"I climb on Mondays"}

        # The proof that those turns were enough: with no write in flight, the pause is in by then.
        entered.clear()
        leave.clear()
        again = asyncio.create_task(pause_everybody())
        await turns()
        assert entered.is_set()
        leave.set()
        await again
    finally:
        release.set()
        await writer.stop()


async def test_the_loop_sleeps_while_the_only_writes_are_in_flight(
    pipeline: Pipeline, fake_gemini: FakeGemini
) -> None:
    """A write being applied does not make the writer's loop poll the outbox every 50 ms (its
    worker wakes the loop when it ends): the loop sleeps its idle poll; a write enqueued meanwhile
    for that user is applied by the same worker, one for another user once woken."""
    release = threading.Event()

    def held(request: GeminiRequest) -> str:
        release.wait(10)
        return advisor_extraction_responder(request)

    fake_gemini.json_responder = held
    clock = FakeClock(NOW)
    writer = writer_of(pipeline, idle_poll=30, clock=clock)
    try:
        await writer.enqueue("tg-a", "I hike on Sundays.", saved_at=NOW)
        writer.start()
        await fake_gemini.wait_for_requests("json", 1)
        await writer.enqueue("tg-a", "I cycle on Tuesdays.", saved_at=NOW)
        async with asyncio.timeout(10):
            while not clock.asleep():
                await asyncio.sleep(0.005)
        assert [moment - clock.now() for moment in clock.sleeping_until()] == [pytest.approx(30)]
        release.set()
        async with asyncio.timeout(10):
            while await pipeline.texts("tg-a") != {"I hike on Sundays", "I cycle on Tuesdays"}:
                await asyncio.sleep(0.02)
        await writer.enqueue("tg-b", "I swim on Fridays.", saved_at=NOW)
        writer.wake()
        async with asyncio.timeout(10):  # stored, and its row gone from the outbox
            while await pipeline.store.outbox.pending_memory_writes():
                await asyncio.sleep(0.02)
        assert await pipeline.texts("tg-b") == {"I swim on Fridays"}
        assert len(fake_gemini.requests("json")) == 3
    finally:
        release.set()
        await writer.stop()
