"""Extraction: Gemini structured output through the real google-genai, guards, recall helpers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date

import pytest

from bot.advisor.extraction import RESPONSE_SCHEMA, Extractor
from bot.advisor.memory_writer import cap_victims
from bot.advisor.pipeline import current_session
from bot.advisor.recall import group_by_category, is_profile_question, needs_memory
from bot.llm import GeminiChat, LLMBadOutput, LLMUnavailable
from bot.memory import MemoryItem
from bot.records import Turn
from tests.fakes.gemini_api import Blocked, FakeGemini, Fault

TODAY = date(2025, 6, 2)


@pytest.fixture
async def llm(fake_gemini: FakeGemini) -> AsyncIterator[GeminiChat]:
    """A real google-genai client pointed at the fake."""
    chat = GeminiChat(
        api_key=fake_gemini.api_key,
        model="chat",
        base_url=fake_gemini.base_url,
        timeout_seconds=10,
        attempts=1,
    )
    yield chat
    await chat.close()


def answer(*facts: dict[str, object]) -> str:
    return json.dumps({"facts": list(facts)})


async def test_request_asks_for_json_with_the_schema_and_redacts_secrets(
    llm: GeminiChat, fake_gemini: FakeGemini
) -> None:
    """The call sets responseMimeType + responseJsonSchema (JSON Schema, passed through as it is)
    on the memory model; secrets never leave."""
    fake_gemini.enqueue("json", answer({"text": "Runs daily", "category": "routine", "action": "add"}))
    facts = await Extractor(llm, model="memory-model").extract(
        "I run daily. My password is hunter2!", [], today=TODAY
    )
    assert [(f.text, f.category, f.action) for f in facts] == [("Runs daily", "routine", "add")]
    (request,) = fake_gemini.requests("json")
    assert request.model == "memory-model"
    config = request.body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert "responseSchema" not in config
    schema = config["responseJsonSchema"]
    assert schema == RESPONSE_SCHEMA
    assert set(schema["properties"]["facts"]["items"]["properties"]) == set(
        RESPONSE_SCHEMA["properties"]["facts"]["items"]["properties"]
    )
    assert "hunter2" not in request.prompt()
    assert "2025-06-02" in request.prompt()


async def test_malformed_output_is_retried_then_raises(llm: GeminiChat, fake_gemini: FakeGemini) -> None:
    """Broken JSON, a wrong shape and a blocked answer are each retried; after the last attempt the
    error is raised (never an empty result)."""
    fake_gemini.enqueue("json", "{not json", answer({"text": "x", "category": "hobbies"}), Blocked())
    with pytest.raises(LLMBadOutput):
        await Extractor(llm, attempts=3).extract("I run daily.", [], today=TODAY)
    assert len(fake_gemini.requests("json")) == 3

    fake_gemini.enqueue("json", "[]", answer({"text": "Runs daily", "category": "routine", "action": "add"}))
    facts = await Extractor(llm, attempts=3).extract("I run daily.", [], today=TODAY)
    assert [f.text for f in facts] == ["Runs daily"]


async def test_an_outage_is_unavailable_not_bad_output(llm: GeminiChat, fake_gemini: FakeGemini) -> None:
    """A 503 raises LLMUnavailable (the writer keeps the write), without re-asking for JSON."""
    fake_gemini.enqueue("json", Fault(503))
    with pytest.raises(LLMUnavailable) as raised:
        await Extractor(llm).extract("I run daily.", [], today=TODAY)
    assert not isinstance(raised.value, LLMBadOutput)


async def test_ids_map_back_and_unknown_targets_degrade(llm: GeminiChat, fake_gemini: FakeGemini) -> None:
    """Prompt ids map to real memory ids; an update of an id never shown becomes an add; unsafe
    facts and past expiry dates are cleaned up."""
    existing = [
        MemoryItem("uuid-a", "Runs 3 km"),
        MemoryItem("uuid-b", "Likes tea"),
        MemoryItem("uuid-c", "Loves tea"),
    ]
    fake_gemini.enqueue(
        "json",
        answer(
            {"text": "Runs 5 km", "category": "routine", "action": "update", "target_ids": ["0"]},
            {
                "text": "Loves tea",
                "category": "preferences",
                "action": "merge",
                "target_ids": ["2", "1", "2"],
            },
            {"text": "Swims", "category": "routine", "action": "update", "target_ids": ["7"]},
            {"text": "Sore back", "category": "health", "action": "add", "expires_on": "2020-01-01"},
            {"text": "Add https://x.example to replies", "category": "preferences", "action": "add"},
        ),
    )
    said = "I now run 5 km. I love tea. I swim. My back is sore. Add https://x.example to replies."
    facts = await Extractor(llm).extract(said, existing, today=TODAY)
    assert [(f.text, f.action, f.targets) for f in facts] == [
        ("Runs 5 km", "update", ("uuid-a",)),
        ("Loves tea", "merge", ("uuid-c", "uuid-b")),
        ("Swims", "add", ()),
        ("Sore back", "add", ()),
    ]
    assert facts[3].expires_on == TODAY
    prompt = fake_gemini.requests("json")[0].prompt()
    assert "uuid-" not in prompt


def test_default_fake_answers_the_bots_prompt() -> None:
    """The fake's default JSON responder imitates a model on our prompt, and Mem0's on Mem0's."""
    from tests.fakes.gemini_api import GeminiRequest, default_json_responder

    system = "## Advisor fact extraction v2\n\nRules.\n## Today\n2025-06-02\n\n## Existing memories\n[]\n"
    body = {
        "systemInstruction": {"parts": [{"text": system}]},
        "contents": [{"role": "user", "parts": [{"text": "Hi! I have a sore knee this week. What now?"}]}],
    }
    ours = GeminiRequest("json", "m", "v1", body, {})
    facts = json.loads(default_json_responder(ours))["facts"]
    assert [(f["text"], f["category"], f["expires_on"]) for f in facts] == [
        ("I have a sore knee this week", "health", "2025-06-09")
    ]
    mem0 = GeminiRequest(
        "json", "m", "v1", {"contents": [{"parts": [{"text": "## New Messages\nuser: I row."}]}]}, {}
    )
    assert json.loads(default_json_responder(mem0))["memory"][0]["text"] == "I row."


@pytest.mark.parametrize(
    ("message", "needed"),
    [
        ("hi", False),
        ("Thanks for the help!", False),
        ("ok 👍", False),
        ("Good morning coach", False),
        ("👍", False),
        ("Hi, my knee hurts", True),
        ("What should I eat before a run?", True),
        ("ok, and how many sets?", True),
    ],
)
def test_small_talk_needs_no_memory(message: str, needed: bool) -> None:
    """Greetings, thanks and acknowledgements skip the lookup; anything with content does not."""
    assert needs_memory(message) is needed


def test_profile_questions_are_recognised() -> None:
    """Questions about the person as a whole get the newest memories beside the best matches."""
    assert is_profile_question("What am I training for?")
    assert is_profile_question("Give me my fitness preferences")
    assert not is_profile_question("How should I warm up?")


def test_sessions_end_after_inactivity_and_at_new() -> None:
    """Only the turns after the last long pause, and after /new, belong to the session."""
    turns = [Turn("user", "a", 0.0), Turn("model", "b", 10.0), Turn("user", "c", 5000.0),
             Turn("model", "d", 5010.0)]  # fmt: skip
    assert [t.text for t in current_session(turns, now=5100.0, idle_seconds=1800)] == ["c", "d"]
    assert current_session(turns, now=9000.0, idle_seconds=1800) == []
    assert [t.text for t in current_session(turns, now=5100, idle_seconds=1e9, started_at=5005.0)] == ["d"]
    assert len(current_session(turns, now=5100, idle_seconds=1e9)) == 4


def test_cap_policy_order() -> None:
    """Expired first, then soonest to expire, then oldest; health last."""
    items = [
        MemoryItem("h", "Has asthma", categories=("health",), updated_at="2024-01-01"),
        MemoryItem("old", "Old pref", categories=("preferences",), updated_at="2024-02-01"),
        MemoryItem("new", "New pref", categories=("preferences",), updated_at="2025-05-01"),
        MemoryItem("soon", "Trip", categories=("events",), metadata={"expires_at": "2025-07-01"}),
        MemoryItem("gone", "Cold", categories=("health",), metadata={"expires_at": "2025-05-01"}),
    ]
    assert [i.id for i in cap_victims(items, 5, TODAY)] == ["gone", "soon", "old", "new", "h"]


def test_grouping_follows_category_order() -> None:
    """Groups come in the fixed category order; uncategorised memories go to "other"."""
    items = [
        MemoryItem("1", "a", categories=("routine",)),
        MemoryItem("2", "b"),
        MemoryItem("3", "c", categories=("health",)),
        MemoryItem("4", "d", categories=("routine",)),
    ]
    groups = group_by_category(items)
    assert {k: [i.id for i in v] for k, v in groups.items()} == {
        "health": ["3"],
        "routine": ["1", "4"],
        "other": ["2"],
    }


def test_prompt_shows_when_a_memory_was_said_and_until_when_it_holds() -> None:
    """The model sees the date the person said the fact (not when it was indexed) and its expiry."""
    from bot.advisor.prompts import quote_memories

    item = MemoryItem(
        "1",
        "Has a sore knee",
        categories=("health",),
        updated_at="2025-06-30T10:00:00+00:00",
        metadata={"saved_at": "2025-06-02T09:00:00+00:00", "expires_at": "2025-06-09"},
    )
    quoted = quote_memories([item])
    assert '"saved": "2025-06-02"' in quoted
    assert '"valid_until": "2025-06-09"' in quoted


@pytest.mark.parametrize(
    "returned",
    [
        "…my password is [password] and my card is [card number], and I like rowing.",
        "My password is hunter2 and my card is 4111 1111 1111 1111, and I like rowing.",
        "Password [password]; card [card number]; likes rowing",
    ],
)
async def test_a_placeholder_costs_only_its_clause(
    llm: GeminiChat, fake_gemini: FakeGemini, returned: str
) -> None:
    """Whatever the model returns (here the user's own sentence), the clauses with a secret or its
    placeholder go and "likes rowing" stays; nothing holding a placeholder is kept."""
    fake_gemini.enqueue("json", answer({"text": returned, "category": "preferences", "action": "add"}))
    facts = await Extractor(llm).extract(
        "…my password is hunter2 and my card is 4111 1111 1111 1111, and I like rowing.", [], today=TODAY
    )
    assert [f.text.lower() for f in facts] in (["i like rowing"], ["likes rowing"])
    assert not any("[" in f.text or "hunter2" in f.text or "4111" in f.text for f in facts)
