"""Voice notes and pictures through the real bot, the fake Telegram (getFile and file downloads)
and the fake Gemini (inline parts): what reaches the model, what is answered, what is remembered,
and the limits, answered before any download or model call."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
from pathlib import Path

import pytest

from bot.advisor.pipeline import UNAVAILABLE_REPLY
from bot.app import telegram_file_url
from bot.llm import EMPTY_REPLY
from bot.records import memory_user_id
from bot.runtime.logs import redact_tokens
from bot.telegram.attachments import DOWNLOAD_FAILED_REPLY
from bot.telegram.handlers.gate import BUDGET_REPLY
from tests.fakes.gemini_api import FakeGemini, Fault
from tests.fakes.telegram_api import BOT_USERNAME, FakeTelegram
from tests.support.chat import CHAT, buttons, drained, say
from tests.support.harness import StartBot

HEARD_PREFIX = "🎙 I heard: "  # English: the Telegram user of these tests speaks it

OTHER = 1002
GROUP = -1001234567890
MEMBER = 7007
VOICE = b"OggS\x00\x02 I ran ten kilometres this morning and my left knee felt fine."
SALAD = b"\xff\xd8\xff\xe0\x00\x10JFIF grilled chicken salad"


async def next_reply(fake: FakeTelegram, chat_id: int = CHAT) -> dict[str, object]:
    before = len(fake.sent(chat_id))
    return (await fake.wait_for_messages(chat_id, before + 1))[before]


async def test_voice_note_bytes_reach_gemini_and_the_transcript_is_remembered(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """The voice note's exact bytes go to Gemini as an audio part; the answer shows what was heard;
    the next prompt holds the transcript (not "[voice]"), and /memories lists it afterwards."""
    bot = await start_bot()
    before = len(fake_telegram.sent(CHAT))
    fake_telegram.send_voice(CHAT, data=VOICE, duration=4)
    reply = (await fake_telegram.wait_for_messages(CHAT, before + 1))[before]
    heard = "I ran ten kilometres this morning and my left knee felt fine."
    assert reply["text"] == f"{HEARD_PREFIX}OggS {heard}\n\nCoach says: OggS {heard}"
    [request] = [r for r in fake_gemini.requests("json") if r.media()]
    assert request.media() == [("audio/ogg", VOICE)]
    assert request.model == bot.settings.chat_model
    assert "personal fitness coach" in request.prompt()  # the persona, as for text

    await say(fake_telegram, "And what should I do tomorrow?")
    prompt = fake_gemini.last_chat_prompt()
    assert heard in prompt
    assert "[voice]" not in prompt
    await bot.settle()
    listing = await say(fake_telegram, "/memories")
    assert "ten kilometres" in str(listing["text"])


async def test_heard_line_can_be_switched_off(start_bot: StartBot, fake_telegram: FakeTelegram) -> None:
    """/prefs heard off: the answer comes without the "🎙 I heard" line."""
    await start_bot()
    assert "Saved" in str((await say(fake_telegram, "/prefs heard off"))["text"])
    fake_telegram.send_voice(CHAT, data=VOICE)
    reply = await next_reply(fake_telegram)
    assert str(reply["text"]).startswith("Coach says:")


async def test_photo_largest_size_and_caption_reach_gemini_and_a_description_is_remembered(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """Only the largest size is downloaded and sent, with the caption; the answer is about the
    picture; a description marked "[photo: …]" goes to memory after the reply (through extraction),
    and its tokens count."""
    bot = await start_bot()
    fake_telegram.send_photo(CHAT, data=SALAD, caption="Lunch after my run")
    reply = await next_reply(fake_telegram)
    assert reply["text"] == "Coach says: I see JFIF grilled chicken salad. You said: Lunch after my run"
    chat = fake_gemini.requests("chat")[-1]
    assert chat.media() == [("image/jpeg", SALAD)]
    assert "Lunch after my run" in chat.last_user_text()
    await bot.services.photo_notes.wait()
    # The description is made from the 320 px size, fetched after the answer: the full size is
    # sent to Gemini once.
    assert len(fake_telegram.file_downloads) == 2
    await bot.settle()
    memories = [m.text for m in await bot.services.memory.list_memories(memory_user_id(CHAT))]
    assert any(m.startswith("Shared a photo of") and "grilled chicken salad" in m for m in memories), memories
    writes = [
        r for r in fake_gemini.requests("json") if "[photo: thumbnail 320x240: JFIF grilled" in r.prompt()
    ]
    assert len(writes) == 1  # the description went to extraction marked as one
    assert any("Lunch after my run" in m for m in memories)
    described = [r for r in fake_gemini.requests("json") if "description" in r.schema_fields()]
    assert len(described) == 1
    assert described[0].media() == [("image/jpeg", b"\xff\xd8\xff\xe0thumbnail 320x240:" + SALAD[4:64])]
    assert described[0].model == bot.settings.memory_model
    today, _ = await bot.usage(CHAT)
    assert today.messages == 1
    assert today.prompt_tokens >= 2 * 258  # the answer's picture and the description's


async def test_photo_sizes_over_the_limit_are_passed_over(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """When a picture's largest size is over 20 MB, the largest size within the limit is sent."""
    await start_bot()
    fake_telegram.send_photo(CHAT, data=SALAD, file_size=25 * 2**20)
    await next_reply(fake_telegram)
    thumbnail = b"\xff\xd8\xff\xe0thumbnail 320x240:" + SALAD[4:64]
    assert fake_gemini.requests("chat")[-1].media() == [("image/jpeg", thumbnail)]


async def test_album_is_answered_once_with_every_picture(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """Three pictures of one media group: one answer, one model call with the three pictures."""
    bot = await start_bot()
    pictures = [b"\xff\xd8 squat rack", b"\xff\xd8 barbell", b"\xff\xd8 bench"]
    for index, data in enumerate(pictures):
        caption = "My home gym" if index == 0 else None
        fake_telegram.send_photo(CHAT, data=data, caption=caption, media_group_id="album-1")
    reply = await next_reply(fake_telegram)
    await drained(bot, fake_telegram)  # all three updates' handlers have finished
    assert len(fake_telegram.sent(CHAT)) == 1
    [chat] = fake_gemini.requests("chat")
    assert sorted(data for _, data in chat.media()) == sorted(pictures)
    assert "squat rack" in str(reply["text"])
    assert "My home gym" in str(reply["text"])


async def test_limits_are_answered_before_any_download_or_model_call(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """A 25 MB picture file, a 301 s voice note, a PDF, a sticker and a video: each gets a clear
    answer; no getFile, no download, no Gemini call."""
    bot = await start_bot(MAX_VOICE_SECONDS=300)
    fake_telegram.send_file(
        CHAT, "document", SALAD, mime_type="image/jpeg", file_name="big.jpg", file_size=25 * 2**20
    )
    fake_telegram.send_voice(CHAT, data=VOICE, duration=301)
    fake_telegram.send_file(CHAT, "document", b"%PDF-1.4", mime_type="application/pdf", file_name="plan.pdf")
    fake_telegram.send_sticker(CHAT)
    fake_telegram.send_file(CHAT, "video", b"\x00\x00\x00\x18ftypmp42", mime_type="video/mp4")
    replies = [str(m["text"]) for m in await fake_telegram.wait_for_messages(CHAT, 5)]
    await drained(bot, fake_telegram)
    assert "too big" in replies[0]
    assert "25 MB" in replies[0]
    assert "20 MB" in replies[0]
    assert "5 min 1 sec" in replies[1]
    assert "at most 5 min" in replies[1]
    assert replies[2].startswith("I can't open that kind of file")
    assert replies[3].startswith("I can't open stickers")
    assert replies[4].startswith("I can't open videos")
    assert fake_telegram.calls("getFile") == []
    assert fake_telegram.file_downloads == []
    assert fake_gemini.requests() == []


async def test_image_document_audio_file_and_round_video_are_understood(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """A PNG sent as a file, an MP3 and a round video each reach Gemini with their own MIME type."""
    await start_bot()
    fake_telegram.send_file(CHAT, "document", b"\x89PNG dumbbells", mime_type="image/png", file_name="a.png")
    await next_reply(fake_telegram)
    fake_telegram.send_file(CHAT, "audio", b"ID3 my plan for today", mime_type="audio/mpeg", duration=5)
    await next_reply(fake_telegram)
    fake_telegram.send_file(CHAT, "video_note", b"\x00ftyp hello coach", duration=8)
    await next_reply(fake_telegram)
    sent = [r.media() for r in fake_gemini.requests() if r.media() and "description" not in r.schema_fields()]
    assert sent == [
        [("image/png", b"\x89PNG dumbbells")],
        [("audio/mp3", b"ID3 my plan for today")],
        [("video/mp4", b"\x00ftyp hello coach")],
    ]


async def test_failed_download_is_retried_then_apologised_for(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """One failed getFile and one failed download are retried and the voice note is answered;
    a file server that keeps failing gets an apology, no model call, and the bot goes on."""
    await start_bot()
    fake_telegram.fail_next("getFile", status=500)
    fake_telegram.file_failures = 1
    fake_telegram.send_voice(CHAT, data=VOICE)
    assert str((await next_reply(fake_telegram))["text"]).startswith(HEARD_PREFIX)
    fake_gemini.clear()
    fake_telegram.file_failures = 100
    fake_telegram.send_photo(CHAT, data=SALAD)
    assert (await next_reply(fake_telegram))["text"] == DOWNLOAD_FAILED_REPLY
    assert [r for r in fake_gemini.requests() if r.kind == "chat" or r.media()] == []
    fake_telegram.file_failures = 0
    assert (await say(fake_telegram, "still there?"))["text"] == "Coach says: still there?"


async def test_no_media_bytes_under_data_dir(
    start_bot: StartBot, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    """After a voice note and a picture are answered and remembered, no file under DATA_DIR holds
    any 32-byte piece of either, raw or base64-encoded."""
    bot = await start_bot()
    voice = b"OggS I lift on Mondays. " + os.urandom(4096)
    photo = b"\xff\xd8\xff\xe0 protein oats " + os.urandom(4096)
    fake_telegram.send_voice(CHAT, data=voice)
    await next_reply(fake_telegram)
    fake_telegram.send_photo(CHAT, data=photo, caption="Breakfast")
    await next_reply(fake_telegram)
    await bot.services.photo_notes.wait()
    await bot.settle()
    await bot.stop()
    needles = []
    for blob in (voice[-4096:], photo[-4096:]):
        for start in range(0, 4096 - 32, 512):
            needles.append(blob[start : start + 32])
        needles.append(base64.b64encode(blob)[:40])
    files = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
    assert files
    for path in files:
        content = path.read_bytes()
        assert not any(needle in content for needle in needles), path


async def test_group_media_only_when_addressed(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """In a group, a voice note or picture for nobody is ignored (not even downloaded); a voice
    note replying to the bot and a picture whose caption mentions it are answered, in the thread."""
    bot = await start_bot(GROUPS_ENABLED=True)
    fake_telegram.send_voice(GROUP, data=VOICE, user_id=MEMBER, chat_type="supergroup")
    fake_telegram.send_photo(GROUP, data=SALAD, caption="lunch", user_id=MEMBER, chat_type="supergroup")
    await drained(bot, fake_telegram)
    assert fake_telegram.sent(GROUP) == []
    assert fake_telegram.file_downloads == []

    fake_telegram.send_photo(
        GROUP, data=SALAD, caption=f"@{BOT_USERNAME} good lunch?", user_id=MEMBER, chat_type="supergroup"
    )
    answer = await next_reply(fake_telegram, GROUP)
    assert answer["text"] == "Coach says: I see JFIF grilled chicken salad. You said: good lunch?"
    to_bot = {"message_id": answer["message_id"]}
    fake_telegram.send_voice(GROUP, data=VOICE, user_id=MEMBER, chat_type="supergroup", reply_to=to_bot)
    heard = await next_reply(fake_telegram, GROUP)
    assert str(heard["text"]).startswith(HEARD_PREFIX)
    assert heard["reply_parameters"]["message_id"] > 0  # type: ignore[index]
    assert fake_telegram.calls("sendMessageDraft") == []


async def test_incognito_voice_note_stores_nothing(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """With memory off a voice note and a picture are answered; no turn, no memory write, no
    description is stored."""
    bot = await start_bot()
    await say(fake_telegram, "/prefs memory off")
    fake_telegram.send_voice(CHAT, data=VOICE)
    await next_reply(fake_telegram)
    fake_telegram.send_photo(CHAT, data=SALAD)
    await next_reply(fake_telegram)
    await bot.services.photo_notes.wait()
    store = bot.services.store
    assert await store.outbox.pending_memory_writes() == 0
    assert list((await store.chats.begin_message(CHAT, 10)).recent) == []
    assert await bot.services.memory.list_memories(memory_user_id(CHAT)) == []
    assert not [r for r in fake_gemini.requests("json") if "description" in r.schema_fields()]


async def test_forget_erases_transcripts_and_descriptions(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """What was heard and seen is erased by /forget like typed text: memories and turns."""
    bot = await start_bot()
    fake_telegram.send_voice(CHAT, data=VOICE)
    await next_reply(fake_telegram)
    fake_telegram.send_photo(CHAT, data=SALAD)
    await next_reply(fake_telegram)
    await bot.services.photo_notes.wait()
    await bot.settle()
    assert len(await bot.services.memory.list_memories(memory_user_id(CHAT))) >= 2
    await bot.controls.forget_all(CHAT)
    assert await bot.services.memory.list_memories(memory_user_id(CHAT)) == []
    assert (await bot.services.store.chats.begin_message(CHAT, 10)).recent == []


async def test_media_count_towards_budget_and_rate_limit(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """The tokens of a voice note count towards DAILY_TOKEN_BUDGET: the next voice note is refused
    before its download; an album counts once towards the rate limit."""
    bot = await start_bot(DAILY_TOKEN_BUDGET=50)
    fake_telegram.send_voice(CHAT, data=VOICE)
    await next_reply(fake_telegram)
    today, _ = await bot.usage(CHAT)
    assert today.tokens >= 50
    downloads = len(fake_telegram.file_downloads)
    fake_telegram.send_voice(CHAT, data=VOICE)
    assert (await next_reply(fake_telegram))["text"] == BUDGET_REPLY[1].format(budget=50)
    assert len(fake_telegram.file_downloads) == downloads


async def test_album_counts_once_towards_the_rate_limit(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """With RATE_LIMIT_PER_MINUTE=2 an album of three and a text are answered; the next is refused."""
    await start_bot(RATE_LIMIT_PER_MINUTE=2)
    for index in range(3):
        fake_telegram.send_photo(CHAT, data=b"\xff\xd8 plate %d" % index, media_group_id="album-9")
    await next_reply(fake_telegram)
    assert (await say(fake_telegram, "thanks, and dinner?"))["text"] == "Coach says: thanks, and dinner?"
    assert "faster than I can coach" in str((await say(fake_telegram, "one more"))["text"])


async def test_one_chats_slow_downloads_do_not_delay_another_chats_text(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """While ten pictures of one chat are still downloading, another chat's text is answered."""
    await start_bot()
    fake_telegram.file_latency = 3.0
    for index in range(10):
        fake_telegram.send_photo(CHAT, data=b"\xff\xd8 photo %d" % index)
    await fake_telegram.wait_for_call("getFile")
    answer = await say(fake_telegram, "quick question", chat_id=OTHER)
    assert answer["text"] == "Coach says: quick question"
    assert fake_telegram.sent(CHAT) == []  # the pictures are still on their way
    fake_telegram.file_latency = 0.0
    await fake_telegram.wait_for_messages(CHAT, 10, timeout=30)


def test_file_url_follows_the_api_url() -> None:
    """A local Bot API server's files come from its /file/bot; by default from Telegram's."""
    assert telegram_file_url("http://127.0.0.1:8081/bot") == "http://127.0.0.1:8081/file/bot"
    assert telegram_file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"


async def test_downloads_go_to_the_fake_file_server(start_bot: StartBot, fake_telegram: FakeTelegram) -> None:
    """With TELEGRAM_API_BASE_URL at the fake, the file is fetched from the fake's /file/bot path."""
    bot = await start_bot()
    assert bot.runtime.application.bot.base_file_url == f"{fake_telegram.base_file_url}{fake_telegram.token}"
    fake_telegram.send_voice(CHAT, data=VOICE)
    await next_reply(fake_telegram)
    assert fake_telegram.file_downloads
    assert fake_telegram.file_downloads[0].startswith("voice/")


async def test_voice_note_with_unusable_model_output_or_an_outage_gets_an_honest_answer(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """Malformed JSON twice: "couldn't come up with an answer", no "I heard" line; Gemini down:
    the usual apology. Nothing crashes, and the next text is answered (the unanswered voice notes
    stay in the conversation as what could not be made out)."""
    await start_bot()
    fake_gemini.enqueue("json", "not json", '{"answer": 3}')
    fake_telegram.send_voice(CHAT, data=VOICE)
    assert (await next_reply(fake_telegram))["text"] == EMPTY_REPLY
    fake_gemini.fail_all_with = Fault(503)
    fake_telegram.send_voice(CHAT, data=VOICE)
    assert (await next_reply(fake_telegram))["text"] == UNAVAILABLE_REPLY
    fake_gemini.fail_all_with = None
    text = str((await say(fake_telegram, "hello again"))["text"])
    assert text.startswith("Coach says: (a voice message I could not make out)")
    assert text.endswith("hello again")


async def test_media_bytes_never_reach_a_log_line(
    start_bot: StartBot, fake_telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    """At DEBUG, no log record holds a piece of a voice note's or picture's bytes (raw, repr or
    base64); the file URLs PTB logs at DEBUG carry the token, which our log filter removes."""
    caplog.set_level(logging.DEBUG)
    await start_bot()
    secret = os.urandom(2048)
    fake_telegram.send_voice(CHAT, data=b"OggS " + secret)
    await next_reply(fake_telegram)
    fake_telegram.send_photo(CHAT, data=b"\xff\xd8\xff\xe0" + secret)
    await next_reply(fake_telegram)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert caplog.records
    for needle in (repr(secret[:24])[2:-1], base64.b64encode(secret[:48]).decode()[:32]):
        assert needle not in logged
    # PTB's own DEBUG lines (getFile's answer) hold the file URL: bot/runtime/logs.py redacts it.
    assert fake_telegram.token not in redact_tokens(logged)


async def test_heard_line_shows_the_words_as_said(start_bot: StartBot, fake_telegram: FakeTelegram) -> None:
    """Markdown characters in a transcript are shown as they are, not turned into formatting."""
    await start_bot()
    fake_telegram.send_voice(CHAT, data=b"I did 3*10 squats_today *hard*")
    reply = await next_reply(fake_telegram)
    assert str(reply["text"]).startswith(f"{HEARD_PREFIX}I did 3*10 squats_today *hard*\n\n")
    assert not [e for e in reply.get("entities") or [] if e["offset"] < 40]  # type: ignore[attr-defined]


async def test_a_file_path_that_is_not_plain_is_refused_before_any_request(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """N8: a getFile `file_path` climbing out of the file URL ("../../bot<token>/sendMessage?…")
    would make the bot call that API method with its own token: it is refused, nothing is fetched."""
    await start_bot()
    fake_telegram.file_path_override = f"../../bot{fake_telegram.token}/sendMessage?chat_id={CHAT}&text=pwned"
    fake_telegram.send_photo(CHAT, data=SALAD)
    assert (await next_reply(fake_telegram))["text"] == DOWNLOAD_FAILED_REPLY
    assert [c for c in fake_telegram.calls("sendMessage") if c.params.get("text") == "pwned"] == []
    assert fake_telegram.file_downloads == []
    assert [r for r in fake_gemini.requests() if r.media()] == []


async def test_an_album_without_declared_sizes_is_held_to_the_limit_on_the_bytes_read(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """N7: 40 pictures of 600 KB whose sizes are not declared (24 MB in all) pass no check on
    declared sizes; reading stops at the 19 MB cap and the album is refused, nothing goes inline."""
    bot = await start_bot()
    picture = b"\xff\xd8\xff\xe0" + b"rowing machine " * 40960
    for _ in range(40):
        fake_telegram.send_photo(CHAT, data=picture, media_group_id="album-big", declare_sizes=False)
    reply = await next_reply(fake_telegram)
    await drained(bot, fake_telegram)
    assert "too big to look at together" in str(reply["text"])
    assert [r for r in fake_gemini.requests() if r.media()] == []


async def test_forget_confirmed_while_an_album_is_answered_erases_that_album_too(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """N2: albums are answered outside the chat's order, so /forget's "Erased" can come while one
    is still being answered; the album's turns, memory write and description are then not stored,
    and the next prompt carries nothing of it."""
    bot = await start_bot()
    confirm = await say(fake_telegram, "/forget")
    yes = next(b for b in buttons(confirm) if b["callback_data"].startswith("forget:yes"))
    fake_gemini.latency = 1.5
    for index, data in enumerate([SALAD, b"\xff\xd8 kettlebell"]):
        caption = "My kettlebell is called Borkzilla" if index == 0 else None
        fake_telegram.send_photo(CHAT, data=data, caption=caption, media_group_id="album-forget")
    await fake_gemini.wait_for_requests("chat", 1)  # the album is being answered
    fake_telegram.press_button(CHAT, yes["callback_data"], message_id=confirm["message_id"])
    await fake_telegram.wait_for_call(
        "editMessageText", lambda call: "forgotten" in call.params.get("text", "")
    )
    for _ in range(200):  # the album's answer still goes out
        if any("Borkzilla" in str(m.get("text")) for m in fake_telegram.sent(CHAT)):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the album was not answered")
    fake_gemini.latency = 0.0
    await bot.services.photo_notes.wait()
    await bot.settle()
    await drained(bot, fake_telegram)
    assert (await bot.services.store.chats.begin_message(CHAT, 10)).recent == []
    assert await bot.services.memory.list_memories(memory_user_id(CHAT)) == []
    await say(fake_telegram, "What should I train today?")
    assert "Borkzilla" not in fake_gemini.last_chat_prompt()
