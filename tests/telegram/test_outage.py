"""A memory backend that is down is reported as down, never as a success (the Mem0 Platform fake
answering 503 while the memory is still stored)."""

from __future__ import annotations

from bot.memory import MemoryUnavailable
from tests.fakes.mem0_platform import FakeMem0Platform
from tests.fakes.telegram_api import FakeTelegram
from tests.support.chat import CHAT, say
from tests.support.harness import StartBot

UNAVAILABLE_REPLY, UNAVAILABLE_BUTTON_REPLY = MemoryUnavailable.reply, MemoryUnavailable.button_reply


async def test_delete_buttons_during_an_outage_say_nothing_was_erased(
    start_bot: StartBot, fake_telegram: FakeTelegram, platform: FakeMem0Platform
) -> None:
    """🗑 in /memories and in /forget <words> while the backend answers 503: the user is told that
    nothing was erased yet (not "already gone"), and the memory is still there afterwards."""
    bot = await start_bot(MEM0_API_KEY=platform.api_key, MEM0_HOST=platform.base_url)
    [item] = await bot.services.memory.add(
        f"tg-{CHAT}", [{"role": "user", "content": "My cat is called Zorblax"}], infer=False
    )
    listing = await say(fake_telegram, "/memories")
    offer = await say(fake_telegram, "/forget Zorblax")

    platform.fail_with = 503
    fake_telegram.press_button(CHAT, f"mem:d:{item.id}:0", message_id=listing["message_id"])
    first = await fake_telegram.wait_for_call("answerCallbackQuery")
    fake_telegram.clear()
    fake_telegram.press_button(CHAT, f"fo:{item.id}:{CHAT}", message_id=offer["message_id"])
    second = await fake_telegram.wait_for_call("answerCallbackQuery")
    assert first.params["text"] == second.params["text"] == UNAVAILABLE_BUTTON_REPLY
    assert first.params["show_alert"] is True

    # A command during the outage gets the one "memory is down" reply.
    assert (await say(fake_telegram, "/memories"))["text"] == UNAVAILABLE_REPLY

    platform.fail_with = None
    assert [m.text for m in await bot.controls.memories(CHAT)] == ["My cat is called Zorblax"]
