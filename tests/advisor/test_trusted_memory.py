"""What reaches memory, through the real bot and the fake servers: the secret redacted and the rest
remembered, nothing an echoing model makes up, short answers read with the question asked."""

from __future__ import annotations

import json

from bot.advisor.extraction import PROMPT_MARKER
from tests.fakes.gemini_api import FakeGemini, GeminiRequest, echoing_responder
from tests.fakes.telegram_api import FakeTelegram
from tests.support.chat import CHAT, say
from tests.support.harness import StartBot

SECRET_MESSAGE = "By the way my password is Hunter2-x7 and my card is 4111 1111 1111 1111, and I like rowing."


def user_turn(request: GeminiRequest) -> str:
    """The user turn of an extraction request (the person's words only)."""
    (content,) = request.body["contents"]
    assert content["role"] == "user"
    return "\n".join(part["text"] for part in content["parts"])


def system_of(request: GeminiRequest) -> str:
    return "\n".join(part["text"] for part in request.body["systemInstruction"]["parts"])


async def test_the_secret_is_redacted_and_the_rest_of_the_sentence_remembered(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """Only the password and the card number are replaced; "I like rowing" is extracted and kept;
    no extraction request and no memory holds the secret."""
    bot = await start_bot()
    await say(fake_telegram, SECRET_MESSAGE)
    await bot.settle()
    (request,) = fake_gemini.requests("json")
    assert user_turn(request) == (
        "By the way my password is [password] and my card is [card number], and I like rowing."
    )
    assert "Hunter2" not in request.prompt()
    assert "4111" not in request.prompt()
    items = await bot.controls.memories(CHAT)
    assert [item.text for item in items] == ["I like rowing"]
    listed = (await say(fake_telegram, "/memories"))["text"]
    assert "rowing" in listed
    assert "Hunter2" not in listed
    assert "4111" not in listed


async def test_a_sentence_naming_a_password_without_one_is_extracted_whole(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """ "I forgot my gym password so I ran outside instead" holds no secret: the model sees it whole,
    and what it makes of it is kept."""
    bot = await start_bot()

    def model(request: GeminiRequest) -> str:
        said = user_turn(request)
        facts = []
        if "ran outside" in said:
            facts.append({"text": "Ran outside instead of the gym", "category": "routine", "action": "add"})
        return json.dumps({"facts": facts})

    fake_gemini.enqueue("json", model)
    await say(fake_telegram, "I forgot my gym password so I ran outside instead")
    await bot.settle()
    assert user_turn(fake_gemini.requests("json")[0]) == "I forgot my gym password so I ran outside instead"
    assert [item.text for item in await bot.controls.memories(CHAT)] == ["Ran outside instead of the gym"]


async def test_an_echoing_model_stores_nothing_but_the_persons_words(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """A model that returns every line of its input as a fact (our prompt, today's date, the
    existing memories as JSON, the assistant's last message): only the person's own line is kept."""
    bot = await start_bot()
    await say(fake_telegram, "/remember I have a dog named Rex")
    await say(fake_telegram, "How long should I rest after a cold?")
    await bot.settle()
    fake_gemini.json_responder = echoing_responder
    said = "Rex was ill yesterday, so I skipped my run."
    await say(fake_telegram, said)
    await bot.settle()

    # The echo really offered the junk: the marker, the date, JSON and the assistant's words.
    request = fake_gemini.requests("json")[-1]
    offered = {fact["text"] for fact in json.loads(echoing_responder(request))["facts"]}
    assert PROMPT_MARKER in offered
    assert any(text.startswith("[{") and "Rex" in text for text in offered)
    assert any(text[:4].isdigit() and len(text) == 10 for text in offered)  # today's date
    assert any("Coach says" in text for text in offered)
    assert len(offered) > 20
    assert user_turn(request) == said  # the user turn holds the person's words only

    texts = sorted(item.text for item in await bot.controls.memories(CHAT))
    assert texts == ["I have a dog named Rex", said]
    listed = (await say(fake_telegram, "/memories"))["text"]
    assert "##" not in listed
    assert "Coach says" not in listed
    assert "{" not in listed


async def test_a_short_answer_is_read_with_the_question_it_answers(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """After "Do you train in the mornings or in the evenings?", "Mornings, before work." yields
    "Trains in the mornings, before work": the question travels as context, marked as such, and the
    user turn holds only the answer."""
    bot = await start_bot()
    question = "Do you train in the mornings or in the evenings?"
    fake_gemini.enqueue("chat", question)
    assert (await say(fake_telegram, "I want to get fitter this year."))["text"] == question
    await say(fake_telegram, "Mornings, before work.")
    await bot.settle()
    request = fake_gemini.requests("json")[-1]
    assert user_turn(request) == "Mornings, before work."
    assert "context only, never a source of facts" in system_of(request)
    assert json.dumps(question) in system_of(request)
    texts = {item.text for item in await bot.controls.memories(CHAT)}
    assert "Trains in the mornings, before work" in texts
    assert question.rstrip("?") not in texts


async def test_the_assistants_words_alone_never_become_a_fact(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """A model that takes a fact from the assistant's message (not the person's) is overruled."""
    bot = await start_bot()
    fake_gemini.enqueue("chat", "Great! Have you tried canicross with a husky?")
    await say(fake_telegram, "I jog with my dog.")
    await bot.settle()
    fake_gemini.enqueue(
        "json",
        json.dumps(
            {"facts": [{"text": "Has tried canicross with a husky", "category": "routine", "action": "add"}]}
        ),
    )
    await say(fake_telegram, "Not really, no.")
    await bot.settle()
    assert "Has tried canicross with a husky" not in {item.text for item in await bot.controls.memories(CHAT)}


async def test_an_existing_memory_offered_back_as_new_is_not_stored_again(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """The model returns a remembered fact, reworded, as new beside the new one: only the new one
    is stored."""
    bot = await start_bot()
    await say(fake_telegram, "/remember I have a dog named Rex")
    facts = [
        {"text": "Has a dog named Rex", "category": "personal_info", "action": "add"},
        {"text": "Rex was ill yesterday", "category": "events", "action": "add"},
    ]
    fake_gemini.enqueue("json", json.dumps({"facts": facts}))
    await say(fake_telegram, "Rex was ill yesterday.")
    await bot.settle()
    assert sorted(item.text for item in await bot.controls.memories(CHAT)) == [
        "I have a dog named Rex",
        "Rex was ill yesterday",
    ]


async def test_a_returning_persons_message_is_searched_once_for_the_recall_and_the_writer(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """The writer's search for the memories a message's facts may update is the recall's own
    search: answered from it, and the extractor is still shown every related memory (the writer
    asks with no relevance threshold, the recall applies its own afterwards)."""
    bot = await start_bot()
    await say(fake_telegram, "/remember I swim on Mondays")
    await say(fake_telegram, "/remember My dog is called Rex")
    memory = bot.services.memory
    kept = memory.reads_kept
    await say(fake_telegram, "I swim on Fridays now, not on Mondays.")
    await bot.settle()
    # The writer's search (the recall's), and its "already stored?" listing (/remember's cap
    # check listed the same, and nothing changed since).
    assert memory.reads_kept == kept + 2
    existing = system_of(fake_gemini.requests("json")[-1]).split("## Existing memories", 1)[1]
    assert "I swim on Mondays" in existing
    assert "Rex" in existing
