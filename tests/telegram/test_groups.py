"""Groups through the real bot: off by default, mention or reply only, a memory of their own,
/forget for administrators, and pseudo-senders that never get a memory."""

from __future__ import annotations

import time
from typing import Any

from telegram.constants import ChatID

from bot.telegram.handlers import prefs as prefs_handlers
from bot.telegram.handlers.forget import ADMIN_ONLY_REPLY
from bot.telegram.handlers.gate import BUDGET_REPLY
from bot.telegram.handlers.groups import AdminCheckFailed
from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import BOT_USERNAME, FakeTelegram
from tests.support.chat import CHAT, drained, say
from tests.support.harness import StartBot

GROUP = -1001234567890
MEMBER = 7007
ADMIN = 8008


async def group_say(fake: FakeTelegram, text: str, user_id: int = MEMBER, **kwargs: Any) -> dict[str, Any]:
    return await say(fake, text, chat_id=GROUP, user_id=user_id, chat_type="supergroup", **kwargs)


async def test_groups_are_ignored_unless_enabled(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """With GROUPS_ENABLED off, even a mention in a group gets no answer and no Gemini call."""
    bot = await start_bot()
    fake_telegram.send_text(GROUP, f"@{BOT_USERNAME} hello?", user_id=MEMBER, chat_type="supergroup")
    await drained(bot, fake_telegram)
    assert fake_telegram.sent(GROUP) == []
    assert fake_gemini.requests("chat") == []


async def test_group_answers_only_mentions_and_replies(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """Chatter is ignored; a mention is answered (mention stripped); a reply to the bot too; no drafts."""
    bot = await start_bot(GROUPS_ENABLED=True)
    fake_telegram.send_text(GROUP, "lunch anyone?", user_id=MEMBER, chat_type="supergroup")
    await drained(bot, fake_telegram)
    assert fake_telegram.sent(GROUP) == []

    answer = await group_say(fake_telegram, f"@{BOT_USERNAME} how deep should I squat?")
    assert answer["text"] == "Coach says: how deep should I squat?"
    assert answer["reply_parameters"]["message_id"] > 0  # threads under the question
    followup = await group_say(fake_telegram, "and how often?", reply_to={"message_id": answer["message_id"]})
    assert followup["text"] == "Coach says: and how often?"
    assert len(fake_gemini.requests("chat")) == 2
    assert fake_telegram.calls("sendMessageDraft") == []


async def test_group_memory_is_separate_from_private_memory(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """A fact remembered in the group is listed there and not in a member's private chat."""
    await start_bot(GROUPS_ENABLED=True)
    await group_say(fake_telegram, f"/remember@{BOT_USERNAME} Team run every Saturday at 8")
    await say(fake_telegram, "/remember I prefer evening runs", chat_id=MEMBER)
    assert "Team run" in (await group_say(fake_telegram, "/memories"))["text"]
    assert "evening runs" not in (await group_say(fake_telegram, "/memories"))["text"]
    private = (await say(fake_telegram, "/memories", chat_id=MEMBER))["text"]
    assert "evening runs" in private
    assert "Team run" not in private


async def test_group_settings_are_changed_by_administrators_only(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """Any member sees the group's /prefs; only an administrator changes them (command or button),
    so one member cannot switch the group's memory off for everyone."""
    bot = await start_bot(GROUPS_ENABLED=True)
    fake_telegram.admins.add(ADMIN)
    shown = await group_say(fake_telegram, "/prefs")
    assert "Memory" in shown["text"]
    refused = await group_say(fake_telegram, "/prefs memory off")
    assert refused["text"] == prefs_handlers.ADMIN_ONLY_REPLY
    fake_telegram.press_button(GROUP, "pref:memory:off", message_id=shown["message_id"], user_id=MEMBER)
    alert = await fake_telegram.wait_for_call("answerCallbackQuery")
    assert alert.params["text"] == prefs_handlers.ADMIN_ONLY_REPLY
    assert (await bot.services.store.chats.get_prefs(GROUP)).memory == "on"

    saved = await group_say(fake_telegram, "/prefs memory off", user_id=ADMIN)
    assert saved["text"].startswith("Saved.")
    assert (await bot.services.store.chats.get_prefs(GROUP)).memory == "off"


async def test_forget_in_a_group_is_for_administrators(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """A member's /forget is refused; an administrator's is confirmed by that administrator only."""
    bot = await start_bot(GROUPS_ENABLED=True)
    fake_telegram.admins.add(ADMIN)
    await group_say(fake_telegram, "/remember The group trains on Mondays")
    assert (await group_say(fake_telegram, "/forget"))["text"] == ADMIN_ONLY_REPLY

    confirm = await group_say(fake_telegram, "/forget", user_id=ADMIN)
    yes = f"forget:yes:{ADMIN}"
    assert yes in [b["callback_data"] for row in confirm["reply_markup"]["inline_keyboard"] for b in row]
    fake_telegram.press_button(GROUP, yes, message_id=confirm["message_id"], user_id=MEMBER)
    refused = await fake_telegram.wait_for_call("answerCallbackQuery")
    assert "Only the person who asked" in refused.params["text"]
    assert len(await bot.controls.memories(GROUP)) == 1

    fake_telegram.press_button(GROUP, yes, message_id=confirm["message_id"], user_id=ADMIN)
    await fake_telegram.wait_for_call("editMessageText", lambda c: "forgotten" in c.params["text"])
    assert await bot.controls.memories(GROUP) == []
    assert fake_telegram.calls("getChatMember")


def pseudo_message(fake: FakeTelegram, text: str, sender: int, group: int = GROUP) -> dict[str, Any]:
    """A group message sent on behalf of the group (anonymous admin) or of a channel."""
    sender_chat = (
        {"id": group, "title": "Test Supergroup", "type": "supergroup"}
        if sender == ChatID.ANONYMOUS_ADMIN
        else {"id": -1009999, "title": "Some Channel", "type": "channel"}
    )
    name = "Group" if sender == ChatID.ANONYMOUS_ADMIN else "Channel"
    entities = (
        [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text[0] == "/" else []
    )
    return {
        "message": {
            "entities": entities,
            "message_id": 900 + len(fake.calls()),
            "from": {"id": int(sender), "is_bot": True, "first_name": name, "username": f"{name}Bot"},
            "sender_chat": sender_chat,
            "chat": {"id": group, "title": "Test Supergroup", "type": "supergroup"},
            "date": int(time.time()),
            "text": text,
        }
    }


async def test_pseudo_senders_are_answered_but_never_remembered(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """Anonymous admins and channels get answers, but nothing they say reaches any memory."""
    bot = await start_bot(GROUPS_ENABLED=True)
    for sender in (ChatID.ANONYMOUS_ADMIN, ChatID.FAKE_CHANNEL):
        before = len(fake_telegram.sent(GROUP))
        fake_telegram.push_update(
            pseudo_message(fake_telegram, f"@{BOT_USERNAME} I am allergic to nuts", sender)
        )
        reply = (await fake_telegram.wait_for_messages(GROUP, before + 1))[before]
        assert reply["text"].startswith("Coach says:")
    assert await bot.controls.pending_memories(GROUP) == 0
    await bot.settle()
    assert fake_gemini.requests("json") == []
    assert await bot.controls.memories(GROUP) == []
    for user_id in (ChatID.ANONYMOUS_ADMIN, ChatID.FAKE_CHANNEL):
        assert await bot.controls.memories(int(user_id)) == []

    # Nor can they /remember something on the group's behalf.
    before = len(fake_telegram.sent(GROUP))
    fake_telegram.push_update(pseudo_message(fake_telegram, "/remember nuts are fine", ChatID.FAKE_CHANNEL))
    refusal = (await fake_telegram.wait_for_messages(GROUP, before + 1))[before]
    assert "can't store memories" in refusal["text"]
    assert await bot.controls.memories(GROUP) == []

    # An anonymous admin cannot ask for an erasure nobody could confirm.
    before = len(fake_telegram.sent(GROUP))
    fake_telegram.push_update(pseudo_message(fake_telegram, "/forget", ChatID.ANONYMOUS_ADMIN))
    refusal = (await fake_telegram.wait_for_messages(GROUP, before + 1))[before]
    assert "anonymous" in refusal["text"]
    assert CHAT not in {m["chat_id"] for m in fake_telegram.sent()}


OTHER_GROUP = -1007654321098


async def test_an_admin_check_that_fails_is_reported_as_an_outage_not_as_admins_only(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """When Telegram cannot say who administers the group (getChatMember fails), an administrator's
    /forget is told the check failed and to try again, never "only an administrator", and nothing
    is erased; once Telegram answers again the same /forget is offered."""
    bot = await start_bot(GROUPS_ENABLED=True)
    fake_telegram.admins.add(ADMIN)
    await group_say(fake_telegram, "/remember The group trains on Mondays")
    fake_telegram.fail_next("getChatMember", status=500)
    reply = await group_say(fake_telegram, "/forget", user_id=ADMIN)
    assert reply["text"] == AdminCheckFailed.reply
    assert len(await bot.controls.memories(GROUP)) == 1
    assert "forget:yes" in str((await group_say(fake_telegram, "/forget", user_id=ADMIN))["reply_markup"])


async def test_anonymous_admins_of_two_groups_do_not_share_a_rate_limit(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """Anonymous admins all have the same sender id: group A's, writing past RATE_LIMIT_PER_MINUTE,
    is slowed down, while group B's anonymous admin is still answered."""
    await start_bot(GROUPS_ENABLED=True, RATE_LIMIT_PER_MINUTE=5)
    for n in range(6):
        fake_telegram.push_update(
            pseudo_message(fake_telegram, f"@{BOT_USERNAME} question {n}", ChatID.ANONYMOUS_ADMIN)
        )
    replies = await fake_telegram.wait_for_messages(GROUP, 6)
    assert [r["text"].startswith("Coach says:") for r in replies] == [True] * 5 + [False]
    fake_telegram.push_update(
        pseudo_message(fake_telegram, f"@{BOT_USERNAME} B asks", ChatID.ANONYMOUS_ADMIN, OTHER_GROUP)
    )
    (answer,) = await fake_telegram.wait_for_messages(OTHER_GROUP, 1)
    assert answer["text"] == "Coach says: B asks"


async def test_anonymous_admins_spend_their_own_groups_budget(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """DAILY_TOKEN_BUDGET and /usage count an anonymous admin's messages for that group, not for a
    sender id every group's anonymous admins share."""
    await start_bot(GROUPS_ENABLED=True, DAILY_TOKEN_BUDGET=10)
    for text, expected in (("first", "Coach says: first"), ("second", BUDGET_REPLY.format(budget=10))):
        before = len(fake_telegram.sent(GROUP))
        fake_telegram.push_update(
            pseudo_message(fake_telegram, f"@{BOT_USERNAME} {text}", ChatID.ANONYMOUS_ADMIN)
        )
        assert (await fake_telegram.wait_for_messages(GROUP, before + 1))[before]["text"] == expected
    fake_telegram.push_update(
        pseudo_message(fake_telegram, f"@{BOT_USERNAME} B asks", ChatID.ANONYMOUS_ADMIN, OTHER_GROUP)
    )
    (answer,) = await fake_telegram.wait_for_messages(OTHER_GROUP, 1)
    assert answer["text"] == "Coach says: B asks"
    fake_telegram.push_update(pseudo_message(fake_telegram, "/usage", ChatID.ANONYMOUS_ADMIN, OTHER_GROUP))
    usage = (await fake_telegram.wait_for_messages(OTHER_GROUP, 2))[1]
    assert "Today: 1 message," in usage["text"]
