"""Telegram's refusals (429, 403, 400 entities, chat migrated, 5xx) through the fake Bot API."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import Bot, MessageEntity
from telegram.error import BadRequest

from bot.records import memory_user_id
from bot.store import Store
from bot.telegram.sender import Delivery, Sender
from bot.telegram.transport import AiohttpRequest
from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram
from tests.support.clock import FakeClock
from tests.support.harness import RunningBot, make_settings

CHAT = 5005
OTHER = 5006
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def bot(fake_telegram: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(fake_telegram.token, base_url=fake_telegram.base_url) as bot:
        yield bot


async def test_retry_after_holds_only_that_chat(fake_telegram: FakeTelegram, bot: Bot, store: Store) -> None:
    """A 429 with retry_after makes that chat wait (the second asked, on the sender's clock) and
    resend once; another chat is not held up."""
    clock = FakeClock(NOW)
    sender = Sender(bot, store=store.chats, clock=clock)
    fake_telegram.fail_next("sendMessage", status=429, retry_after=1, chat_id=CHAT)
    held = asyncio.create_task(sender.send_text(CHAT, "after the flood"))
    await fake_telegram.wait_for_call("sendMessage", lambda c: c.params["chat_id"] == CHAT)
    async with asyncio.timeout(10):
        while not clock.asleep():  # the held chat waits for its second
            await asyncio.sleep(0.005)
    other = asyncio.create_task(sender.send_text(OTHER, "not held up"))
    async with asyncio.timeout(10):
        while len(clock.slept) < 2:  # the other chat waits only for a slot of the global pace
            await asyncio.sleep(0.005)
    assert clock.slept[0] == 1.0
    assert clock.slept[1] < 0.1
    clock.advance(0.25)
    assert await other is not None
    assert not held.done()
    clock.advance(0.75)
    assert await held is not None
    order = [(m["chat_id"], m["text"]) for m in fake_telegram.sent()]
    assert order == [(OTHER, "not held up"), (CHAT, "after the flood")]


async def test_blocked_chat_is_marked_inactive_and_skipped(
    fake_telegram: FakeTelegram, bot: Bot, store: Store
) -> None:
    """403 marks the chat inactive in the store; later sends make no call until it writes again."""
    fake_telegram.send_text(CHAT, "hi")  # the chat exists as a private chat
    fake_telegram.blocked.add(CHAT)
    sender = Sender(bot, store=store.chats)
    assert await sender.send_text(CHAT, "first") is None
    assert await store.chats.inactive_chats() == {CHAT: ("blocked", None)}
    calls = len(fake_telegram.calls("sendMessage"))
    assert await sender.send_text(CHAT, "second") is None
    assert len(fake_telegram.calls("sendMessage")) == calls

    reloaded = Sender(bot, store=store.chats)
    await reloaded.load()
    assert not reloaded.is_active(CHAT)
    fake_telegram.blocked.discard(CHAT)
    await reloaded.note_incoming(CHAT)
    assert await reloaded.send_text(CHAT, "welcome back") is not None
    assert await store.chats.inactive_chats() == {}


async def test_unparsable_entities_are_resent_as_plain_text(fake_telegram: FakeTelegram, bot: Bot) -> None:
    """400 "can't parse entities" is resent once without formatting; the text arrives intact."""
    sender = Sender(bot)
    message = await sender.send_text(CHAT, "2*3 = 6 and [x", entities=[MessageEntity("bold", 10, 9)])
    assert message is not None
    assert fake_telegram.texts(CHAT) == ["2*3 = 6 and [x"]
    attempts = fake_telegram.calls("sendMessage")
    assert [bool(c.params.get("entities")) for c in attempts] == [True, False]


async def test_other_bad_requests_are_raised_not_retried(fake_telegram: FakeTelegram, bot: Bot) -> None:
    """A BadRequest that is not about entities is a bug to see, not a network error to retry."""
    sender = Sender(bot)
    with pytest.raises(BadRequest):
        await sender.send_text(CHAT, "x" * 5000)
    assert len(fake_telegram.calls("sendMessage")) == 1


async def test_migrated_group_is_followed_and_remembered(
    fake_telegram: FakeTelegram, bot: Bot, store: Store
) -> None:
    """A group upgraded to a supergroup: the reply goes to the new id, settings move with it,
    and later sends go straight there."""
    group, supergroup = -4001, -1004001
    await store.chats.begin_message(group, recent=0)
    await store.chats.set_pref(group, "units", "imperial")
    fake_telegram.fail_next("sendMessage", status=400, migrate_to_chat_id=supergroup, chat_id=group)
    sender = Sender(bot, store=store.chats)
    assert await sender.send_text(group, "hello group", reply_to=7) is not None
    assert fake_telegram.texts(supergroup) == ["hello group"]
    assert (await store.chats.get_prefs(supergroup)).units == "imperial"
    assert (await store.chats.inactive_chats())[group] == ("migrated", supergroup)
    # The group's memories stay its own: the new id maps to the same Mem0 user id.
    assert await store.chats.user_id_for(supergroup) == memory_user_id(group)
    assert await store.chats.user_id_for(-1009999) == memory_user_id(-1009999)

    again = Sender(bot, store=store.chats)
    await again.load()
    await again.send_text(group, "still here")
    assert fake_telegram.texts(supergroup) == ["hello group", "still here"]
    assert [c.params["chat_id"] for c in fake_telegram.calls("sendMessage")][-1] == supergroup


async def test_server_errors_are_not_resent(fake_telegram: FakeTelegram, bot: Bot) -> None:
    """A 500 came after Telegram had the request, which may have been carried out: not resent."""
    fake_telegram.fail_next("sendMessage", status=500)
    sender = Sender(bot)
    assert await sender.send_text(CHAT, "maybe") is None
    assert len(fake_telegram.calls("sendMessage")) == 1
    assert await sender.send_text(CHAT, "next") is not None


async def test_replies_of_the_running_bot_go_through_the_sender(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    """The bot's answer to a user who blocked it marks the chat inactive instead of failing."""
    bot = await RunningBot(
        make_settings(tmp_path / "data", telegram=fake_telegram, gemini=fake_gemini)
    ).start()
    try:
        fake_telegram.send_text(CHAT, "hello")
        await fake_telegram.wait_for_messages(CHAT, 1)
        fake_telegram.blocked.add(CHAT)
        fake_telegram.send_text(CHAT, "one more thing")
        await fake_telegram.wait_for_call(
            "sendMessage", lambda c: c.params["chat_id"] == CHAT and "one more" in str(c.params.get("text"))
        )
        sender: Sender = bot.runtime.application.deps.sender
        # The sender marks the chat in memory first, then records it in the store.
        for _ in range(200):
            if not sender.is_active(CHAT) and CHAT in await bot.services.store.chats.inactive_chats():
                break
            await asyncio.sleep(0.02)
        assert not sender.is_active(CHAT)
        assert CHAT in await bot.services.store.chats.inactive_chats()
    finally:
        await bot.stop()


async def test_a_message_telegram_received_is_not_sent_again(fake_telegram: FakeTelegram) -> None:
    """The connection closes after Telegram carried out sendMessage (the answer is lost): the
    message is not resent, so the user sees it once; the sender reports it as not confirmed."""
    fake_telegram.send_text(CHAT, "hi")
    fake_telegram.drop_connection_next("sendMessage")
    async with Bot(fake_telegram.token, base_url=fake_telegram.base_url, request=AiohttpRequest()) as bot:
        sender = Sender(bot)
        assert await sender.send_text(CHAT, "only once") is None
        assert fake_telegram.texts(CHAT) == ["only once"]
        assert len(fake_telegram.calls("sendMessage")) == 1
        assert await sender.send_text(CHAT, "next one") is not None  # a new connection works
        fake_telegram.drop_connection_next("sendMessage")
        assert (await sender.send(CHAT, "maybe")).delivery is Delivery.MAYBE_SENT
        sent = await sender.send(CHAT, "surely")
        assert sent.delivery is Delivery.SENT
        assert sent.message is not None
    assert fake_telegram.texts(CHAT) == ["only once", "next one", "maybe", "surely"]


async def test_a_request_that_could_not_connect_is_resent(caplog: pytest.LogCaptureFixture) -> None:
    """A refused connection means Telegram never saw the request: it is tried `network_attempts`
    times, then given up with a log line."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once closed: connections are refused
    request = AiohttpRequest()
    await request.initialize()
    try:
        bot = Bot("123:abc", base_url=f"http://127.0.0.1:{port}/bot", request=request)
        clock = FakeClock(NOW, autojump=True)
        sender = Sender(bot, network_attempts=3, clock=clock)
        assert await sender.send_text(CHAT, "never arrives") is None
        assert (await sender.send(CHAT, "never either")).delivery is Delivery.NOT_SENT
    finally:
        await request.shutdown()
    assert clock.slept == [0.5, 1.0, 0.5, 1.0]  # backing off, for each message
    assert caplog.text.count("could not connect to Telegram, resending") == 4
    assert "not sent after 3 attempts" in caplog.text
