"""The fakes against the REAL libraries: python-telegram-bot, google-genai and Mem0."""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types
from telegram import Bot as TelegramBot
from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from tests.fakes import (
    Blocked,
    Empty,
    FakeGemini,
    FakeTelegram,
    Fault,
    GeminiRequest,
    Hang,
    PromptBlocked,
    UploadedFile,
    embed_text,
)

MODEL = "gemini-2.5-flash"
EMBED_MODEL = "gemini-embedding-001"
CHAT = 4242


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


# --------------------------------------------------------------------------------------------
# Telegram
# --------------------------------------------------------------------------------------------


@pytest.fixture
async def bot(fake_telegram: FakeTelegram) -> AsyncIterator[TelegramBot]:
    async with TelegramBot(
        fake_telegram.token, base_url=fake_telegram.base_url, base_file_url=fake_telegram.base_file_url
    ) as real_bot:
        yield real_bot


async def test_bot_get_me_send_message_document_and_commands(
    bot: TelegramBot, fake_telegram: FakeTelegram
) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.first_name, me.username) == (123456789, True, "Advisor", "advisor_test_bot")
    assert me.can_join_groups is True
    assert me.can_read_all_group_messages is False
    assert me.supports_inline_queries is False

    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Forget", callback_data="forget:1")]])
    first = await bot.send_message(
        CHAT, "Hi Ana & co", entities=[MessageEntity("bold", 3, 3)], reply_markup=keyboard
    )
    second = await bot.send_message(CHAT, "Plain 42", reply_to_message_id=first.message_id)
    assert first.text == "Hi Ana & co"
    assert [(e.type, e.offset, e.length) for e in first.entities] == [("bold", 3, 3)]
    assert first.reply_markup == keyboard
    assert first.from_user is not None
    assert first.from_user.id == me.id
    assert first.chat.id == CHAT
    assert first.chat.type == "private"
    assert second.message_id == first.message_id + 1
    assert second.reply_to_message is not None
    assert second.reply_to_message.message_id == first.message_id

    document = await bot.send_document(CHAT, b"line 1\nline 2\n", filename="export.txt", caption="Your data")
    assert document.document is not None
    assert (document.document.file_name, document.document.file_size) == ("export.txt", 14)
    assert document.caption == "Your data"

    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("forget", "Forget things")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "forget"]

    sent = fake_telegram.sent(CHAT)
    assert [m["method"] for m in sent] == ["sendMessage", "sendMessage", "sendDocument"]
    assert sent[1]["text"] == "Plain 42"  # form values that look like JSON stay strings for text
    upload = sent[2]["document"]
    assert isinstance(upload, UploadedFile)
    assert (upload.filename, upload.data) == ("export.txt", b"line 1\nline 2\n")
    assert fake_telegram.calls("setMyCommands")[0].params["commands"][1] == {
        "command": "forget",
        "description": "Forget things",
    }
    assert fake_telegram.my_commands() == [
        {"command": "start", "description": "Start"},
        {"command": "forget", "description": "Forget things"},
    ]
    assert (await fake_telegram.wait_for_messages(CHAT, 3))[0]["message_id"] == first.message_id


async def test_bot_sees_an_html_page_and_a_dropped_connection(
    bot: TelegramBot, fake_telegram: FakeTelegram
) -> None:
    """answer_html_next: PTB cannot parse the answer; drop_connection_next: the message is
    delivered but the call fails with a NetworkError (its answer never came)."""
    fake_telegram.answer_html_next("getUpdates")
    with pytest.raises(TelegramError, match="Invalid server response"):
        await bot.get_updates(timeout=0)
    assert await bot.get_updates(timeout=0) == ()

    fake_telegram.drop_connection_next("sendMessage", chat_id=CHAT)
    with pytest.raises(NetworkError):
        await bot.send_message(CHAT, "delivered, unanswered")
    assert fake_telegram.texts(CHAT) == ["delivered, unanswered"]
    assert (await bot.send_message(CHAT, "next")).text == "next"


# PTB's own RetryAfter constructor reads the deprecated int ``retry_after``.
@pytest.mark.filterwarnings("ignore:Deprecated since version v22.2:DeprecationWarning")
async def test_bot_sees_faults_from_fail_next(bot: TelegramBot, fake_telegram: FakeTelegram) -> None:
    fake_telegram.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(RetryAfter, match="Retry in 3 seconds"):
        await bot.send_message(CHAT, "one")

    fake_telegram.fail_next("sendMessage", status=403, chat_id=CHAT)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "two")

    fake_telegram.fail_next("sendMessage", status=400, migrate_to_chat_id=-1001234567890)
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(-5, "three")
    assert migrated.value.new_chat_id == -1001234567890

    # The queued faults are used up: the next call goes through, and every call was recorded.
    assert (await bot.send_message(CHAT, "four")).text == "four"
    assert [c.params["text"] for c in fake_telegram.calls("sendMessage")] == ["one", "two", "three", "four"]
    assert fake_telegram.texts(CHAT) == ["four"]

    fake_telegram.blocked.add(CHAT)
    with pytest.raises(Forbidden):
        await bot.send_chat_action(CHAT, "typing")


async def test_bot_gets_bad_requests_like_telegram(bot: TelegramBot, fake_telegram: FakeTelegram) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities.*beyond the text"):
        await bot.send_message(CHAT, "Rest well", entities=[MessageEntity("bold", 5, 10)])
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities.*cuts a character"):
        await bot.send_message(CHAT, "💪 go", entities=[MessageEntity("bold", 1, 2)])
    with pytest.raises(BadRequest, match=r"(?i)does not implement parse_mode"):
        await bot.send_message(CHAT, "<b>bold</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)text is empty"):
        await bot.send_message(CHAT, " ")
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.send_message(CHAT, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(
            CHAT,
            "b",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="x" * 65)]]),
        )
    message = await bot.send_message(
        CHAT,
        "Plan for today - run 5km.",
        entities=[MessageEntity("bold", 0, 4), MessageEntity("italic", 9, 5)],
    )
    assert message.text == "Plan for today - run 5km."
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bold", 0, 4), ("italic", 9, 5)]
    edited = await bot.edit_message_text("Plan v2", chat_id=CHAT, message_id=message.message_id)
    assert isinstance(edited, type(message))
    assert edited.edit_date is not None
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Plan v2", chat_id=CHAT, message_id=message.message_id)
    assert fake_telegram.message(CHAT, message.message_id)["text"] == "Plan v2"  # type: ignore[index]
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=CHAT, message_id=999)
    assert await bot.delete_message(CHAT, message.message_id) is True
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(CHAT, message.message_id)


async def test_rejected_token_and_wrong_token(fake_telegram: FakeTelegram) -> None:
    fake_telegram.reject_token = True
    with pytest.raises(InvalidToken):
        await TelegramBot(fake_telegram.token, base_url=fake_telegram.base_url).get_me()
    fake_telegram.reject_token = False
    other = "987654321:ANOTHER_fake_token_abcdefghijklmn"
    wrong = TelegramBot(other, base_url=fake_telegram.base_url)
    with pytest.raises(InvalidToken):
        await wrong.initialize()
    assert [c.method for c in fake_telegram.calls()] == ["getMe", "getMe"]
    async with TelegramBot(fake_telegram.token, base_url=fake_telegram.base_url) as good:
        with pytest.raises(EndPointNotFound):  # PTB's name for a 404 from do_api_request
            await good.do_api_request("noSuchMethod")
    assert fake_telegram.calls("noSuchMethod")


async def test_application_polls_and_replies(fake_telegram: FakeTelegram) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"echo: {update.effective_message.text}")

    app: Application[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(fake_telegram.token)
        .base_url(fake_telegram.base_url)
        .base_file_url(fake_telegram.base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        update_id = fake_telegram.send_text(CHAT, "I ran 5 km", username="ana")
        replies = await fake_telegram.wait_for_messages(CHAT, 1, timeout=5)
        assert replies[0]["text"] == "echo: I ran 5 km"
        poll = await fake_telegram.wait_for_call(
            "getUpdates", lambda c: c.params.get("offset") == update_id + 1
        )
        assert poll.params["timeout"] == 1
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert fake_telegram.confirmed_offset == update_id + 1
    assert fake_telegram.pending_updates == []
    assert [c.method for c in fake_telegram.calls()][:3] == ["getMe", "deleteWebhook", "getUpdates"]


async def test_update_helpers_parse_as_real_updates(bot: TelegramBot, fake_telegram: FakeTelegram) -> None:
    text_id = fake_telegram.send_text(CHAT, "/start@advisor_test_bot hello")
    group_id = fake_telegram.send_text(-100777, "hi all", chat_type="supergroup", message_thread_id=5)
    sent = await bot.send_message(CHAT, "Pick one")
    fake_telegram.press_button(CHAT, "forget:7", message_id=sent.message_id)
    fake_telegram.send_photo(CHAT, caption="my meal", data=b"JPEGDATA")
    fake_telegram.send_sticker(CHAT)
    fake_telegram.send_voice(CHAT, data=b"OGGDATA")
    fake_telegram.send_location(CHAT, 38.7, -9.1)
    fake_telegram.edit_text(CHAT, 1, "/start edited")
    fake_telegram.channel_post(-100555, "news")
    fake_telegram.member_update(CHAT, new_status="kicked")
    fake_telegram.member_update(
        -100777, new_status="administrator", old_status="member", chat_type="supergroup"
    )

    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates][:2] == [text_id, group_id]
    command, group, button, photo, sticker, voice, location, edit, post, blocked, promoted = updates
    assert command.message is not None
    assert command.message.text is not None
    assert command.message.entities[0].type == "bot_command"
    assert command.message.entities[0].length == len("/start@advisor_test_bot")
    assert group.message is not None
    assert group.message.chat.type == "supergroup"
    assert group.message.message_thread_id == 5
    assert group.message.is_topic_message
    assert group.message.from_user is not None
    assert group.message.from_user.id != -100777
    assert button.callback_query is not None
    assert button.callback_query.data == "forget:7"
    assert button.callback_query.message is not None
    assert button.callback_query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(button.callback_query.id) is True
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(button.callback_query.id)
    assert photo.message is not None
    assert photo.message.caption == "my meal"
    assert len(photo.message.photo) == 3
    assert sticker.message is not None
    assert sticker.message.sticker is not None
    assert voice.message is not None
    assert voice.message.voice is not None
    voice_file = await bot.get_file(voice.message.voice.file_id)
    assert bytes(await voice_file.download_as_bytearray()) == b"OGGDATA"
    assert location.message is not None
    assert location.message.location is not None
    assert edit.edited_message is not None
    assert edit.edited_message.text == "/start edited"
    assert post.channel_post is not None
    assert post.channel_post.chat.type == "channel"
    assert blocked.my_chat_member is not None
    assert blocked.my_chat_member.new_chat_member.status == "kicked"
    assert promoted.my_chat_member is not None
    assert promoted.my_chat_member.new_chat_member.status == "administrator"

    fake_telegram.admins.add(77)
    assert (await bot.get_chat_member(-100777, 77)).status == "administrator"
    assert (await bot.get_chat_member(-100777, 78)).status == "member"
    chat = await bot.get_chat(CHAT)
    assert (chat.id, chat.type) == (CHAT, "private")


async def test_get_updates_long_polls_and_detects_a_second_poller(
    bot: TelegramBot, fake_telegram: FakeTelegram
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await fake_telegram.wait_for_call("getUpdates")
    fake_telegram.send_text(CHAT, "wake up")
    updates = await poll
    assert [u.message.text for u in updates if u.message] == ["wake up"]
    assert loop.time() - started < 2

    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
    assert fake_telegram.confirmed_offset == updates[-1].update_id + 1

    # A second bot process polling the same token: Telegram ends the first long poll with 409.
    first = asyncio.create_task(bot.get_updates(timeout=3))
    await fake_telegram.wait_for_call("getUpdates", lambda c: c.params.get("timeout") == 3)
    async with TelegramBot(fake_telegram.token, base_url=fake_telegram.base_url) as other:
        with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
            await asyncio.gather(first, other.get_updates(timeout=0))


# --------------------------------------------------------------------------------------------
# Gemini
# --------------------------------------------------------------------------------------------


def gemini_client(fake: FakeGemini, version: str = "v1beta", api_key: str | None = None) -> genai.Client:
    return genai.Client(
        api_key=api_key or fake.api_key,
        http_options=types.HttpOptions(base_url=fake.base_url, api_version=version),
    )


@pytest.mark.parametrize("version", ["v1", "v1beta"])
def test_genai_generate_content_blocked_faults_and_wrong_key(fake_gemini: FakeGemini, version: str) -> None:
    client = gemini_client(fake_gemini, version)
    config = types.GenerateContentConfig(system_instruction="You are a fitness coach.")
    response = client.models.generate_content(model=MODEL, contents="How far should I run?", config=config)
    assert response.text == "Coach says: How far should I run?"
    assert response.candidates is not None
    assert response.candidates[0].finish_reason == "STOP"
    assert response.usage_metadata is not None
    assert response.usage_metadata.prompt_token_count
    assert response.usage_metadata.candidates_token_count

    request = fake_gemini.chat_requests()[-1]
    assert (request.kind, request.model, request.version) == ("chat", MODEL, version)
    assert request.headers["x-goog-api-key"] == fake_gemini.api_key
    assert fake_gemini.last_chat_prompt() == "You are a fitness coach.\nHow far should I run?"

    fake_gemini.enqueue("chat", Blocked(), Fault(500), PromptBlocked(), Empty(), Fault(429, retry_after=7))
    blocked = client.models.generate_content(model=MODEL, contents="something risky")
    assert blocked.text is None
    assert blocked.candidates is not None
    assert blocked.candidates[0].finish_reason == "SAFETY"
    with pytest.raises(genai_errors.ServerError) as server_error:
        client.models.generate_content(model=MODEL, contents="x")
    assert (server_error.value.code, server_error.value.status) == (500, "INTERNAL")
    prompt_blocked = client.models.generate_content(model=MODEL, contents="x")
    assert prompt_blocked.text is None
    assert prompt_blocked.prompt_feedback is not None
    assert prompt_blocked.prompt_feedback.block_reason == "SAFETY"
    assert client.models.generate_content(model=f"models/{MODEL}", contents="x").text is None
    with pytest.raises(genai_errors.ClientError) as quota:
        client.models.generate_content(model=MODEL, contents="x")
    assert (quota.value.code, quota.value.status) == (429, "RESOURCE_EXHAUSTED")
    assert "retryDelay': '7s'" in str(quota.value.details)
    assert fake_gemini.chat_requests()[-2].model == MODEL  # "models/x" and "x" both give x

    # Keep a reference: a temporary Client closes its HTTP client when garbage-collected.
    wrong_key_client = gemini_client(fake_gemini, version, api_key="wrong-key")
    with pytest.raises(genai_errors.ClientError) as bad_key:
        wrong_key_client.models.generate_content(model=MODEL, contents="x")
    assert (bad_key.value.code, bad_key.value.status) == (400, "INVALID_ARGUMENT")
    assert "API key not valid" in str(bad_key.value.message)


def test_genai_json_schema_is_taken_as_json_schema_only(fake_gemini: FakeGemini) -> None:
    """responseJsonSchema with JSON Schema's types is answered; with OpenAPI's ("OBJECT", which
    responseSchema takes), beside a responseSchema or without a MIME type it is a 400, as at Gemini."""
    client = gemini_client(fake_gemini)
    good = {"type": "object", "properties": {"at": {"type": ["string", "null"]}}, "required": ["at"]}
    fake_gemini.enqueue("json", '{"at": null}')
    config = types.GenerateContentConfig(response_mime_type="application/json", response_json_schema=good)
    assert client.models.generate_content(model=MODEL, contents="x", config=config).text == '{"at": null}'
    assert fake_gemini.requests("json")[-1].schema_fields() == {"at"}

    openapi = {"type": "OBJECT", "properties": {"at": {"type": "STRING", "nullable": True}}}
    refused = [
        types.GenerateContentConfig(response_mime_type="application/json", response_json_schema=openapi),
        types.GenerateContentConfig(
            response_mime_type="application/json", response_json_schema=good, response_schema=openapi
        ),
        types.GenerateContentConfig(response_json_schema=good),
    ]
    for config in refused:
        with pytest.raises(genai_errors.ClientError) as error:
            client.models.generate_content(model=MODEL, contents="x", config=config)
        assert (error.value.code, error.value.status) == (400, "INVALID_ARGUMENT")


@pytest.mark.parametrize("version", ["v1", "v1beta"])
def test_genai_stream_embed_count(fake_gemini: FakeGemini, version: str) -> None:
    client = gemini_client(fake_gemini, version)
    chunks = list(
        client.models.generate_content_stream(model=MODEL, contents="I want to run a marathon next spring")
    )
    assert len(chunks) >= 3
    assert "".join(c.text or "" for c in chunks) == "Coach says: I want to run a marathon next spring"
    last = chunks[-1]
    assert last.candidates is not None
    assert last.candidates[0].finish_reason == "STOP"
    assert last.usage_metadata is not None
    assert last.usage_metadata.candidates_token_count
    assert fake_gemini.chat_requests()[-1].stream

    one = client.models.embed_content(model=EMBED_MODEL, contents="I love running in the morning")
    assert one.embeddings is not None
    assert len(one.embeddings) == 1
    assert len(one.embeddings[0].values or []) == 768

    texts = ["I love running in the morning", "morning runs are what I love", "Tax forms are due in April"]
    three = client.models.embed_content(
        model=EMBED_MODEL, contents=texts, config=types.EmbedContentConfig(output_dimensionality=256)
    )
    assert three.embeddings is not None
    vectors = [e.values or [] for e in three.embeddings]
    assert [len(v) for v in vectors] == [256, 256, 256]
    assert all(abs(math.sqrt(sum(x * x for x in v)) - 1) < 1e-9 for v in vectors)
    assert cosine(vectors[0], vectors[1]) > 0.5 > cosine(vectors[0], vectors[2])
    assert vectors[0] == embed_text(texts[0], 256)  # deterministic, usable for expectations
    assert [r.kind for r in fake_gemini.requests("embed")] == ["embed", "embed"]

    count = client.models.count_tokens(model=MODEL, contents="one two three four five")
    assert count.total_tokens == 7


async def test_genai_async_client_and_scripting(fake_gemini: FakeGemini) -> None:
    client = gemini_client(fake_gemini, "v1beta").aio
    response = await client.models.generate_content(model=MODEL, contents="Hello coach")
    assert response.text == "Coach says: Hello coach"

    def by_prompt(request: GeminiRequest) -> str:
        return f"You said {len(request.last_user_text())} chars"

    fake_gemini.enqueue("chat", "Scripted reply", by_prompt, Hang(0.05, then="late"))
    assert (await client.models.generate_content(model=MODEL, contents="a")).text == "Scripted reply"
    assert (await client.models.generate_content(model=MODEL, contents="abcd")).text == "You said 4 chars"
    assert (await client.models.generate_content(model=MODEL, contents="a")).text == "late"

    parts = [
        c.text async for c in await client.models.generate_content_stream(model=MODEL, contents="go go go")
    ]
    assert "".join(p or "" for p in parts) == "Coach says: go go go"
    assert len(parts) >= 2

    embedded = await client.models.embed_content(model=EMBED_MODEL, contents=["knee pain", "sore knee"])
    assert embedded.embeddings is not None
    assert len(embedded.embeddings) == 2

    fake_gemini.fail_all_with = Fault(503)
    with pytest.raises(genai_errors.ServerError) as outage:
        await client.models.embed_content(model=EMBED_MODEL, contents="x")
    assert outage.value.code == 503
    fake_gemini.fail_all_with = None

    json_config = types.GenerateContentConfig(response_mime_type="application/json")
    answer = await client.models.generate_content(
        model=MODEL, contents="not a mem0 prompt", config=json_config
    )
    assert answer.text == "{}"
    await fake_gemini.wait_for_requests("json", 1, timeout=1)
    with pytest.raises(AssertionError, match="expected >= 5 json"):
        await fake_gemini.wait_for_requests("json", 5, timeout=0.05)


# --------------------------------------------------------------------------------------------
# Mem0 with Gemini LLM + embedder on the fake
# --------------------------------------------------------------------------------------------


@pytest.fixture
def mem0_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_gemini: FakeGemini) -> Path:
    monkeypatch.setenv("MEM0_TELEMETRY", "false")
    monkeypatch.setenv("MEM0_DIR", str(tmp_path / "mem0"))
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake_gemini.base_url)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    return tmp_path


def test_mem0_memory_add_and_search_through_fake(mem0_env: Path, fake_gemini: FakeGemini) -> None:
    assert os.environ["MEM0_TELEMETRY"] == "false"
    from mem0 import Memory

    memory = Memory.from_config(
        {
            "llm": {"provider": "gemini", "config": {"model": MODEL, "api_key": fake_gemini.api_key}},
            "embedder": {
                "provider": "gemini",
                "config": {
                    "model": f"models/{EMBED_MODEL}",
                    "api_key": fake_gemini.api_key,
                    "embedding_dims": 768,
                },
            },
            "vector_store": {
                "provider": "qdrant",
                "config": {
                    "path": str(mem0_env / "qdrant"),
                    "collection_name": "memories",
                    "embedding_model_dims": 768,
                },
            },
            "history_db_path": str(mem0_env / "history.db"),
        }
    )
    added = memory.add(
        [{"role": "user", "content": "I love running in the morning. My left knee hurts."}], user_id="u1"
    )
    assert sorted(r["memory"] for r in added["results"]) == [
        "I love running in the morning.",
        "My left knee hurts.",
    ]
    found = memory.search("running", filters={"user_id": "u1"}, top_k=5)
    assert found["results"][0]["memory"] == "I love running in the morning."

    # Second turn: greetings, questions, requests, assistant text and known facts are not extracted.
    again = memory.add(
        [
            {
                "role": "user",
                "content": "Hi coach! My left knee hurts. What should I eat? I am vegetarian. Give me a plan",
            },
            {"role": "assistant", "content": "You should eat more protein."},
        ],
        user_id="u1",
    )
    assert [r["memory"] for r in again["results"]] == ["I am vegetarian."]
    extraction = fake_gemini.requests("json")[-1]
    assert extraction.version == "v1"
    assert extraction.model == MODEL
    assert "## New Messages" in extraction.prompt()
