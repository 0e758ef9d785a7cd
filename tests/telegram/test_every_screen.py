"""Every screen in every language: the real bot (PTB) through the fake Telegram, one run per
catalog, and no common English word anywhere a person reads it, outside what is typed as a command.

What is rendered: /start, /help, /memories (with memories, a search, a search with no match, the
✏️ prompt), /forget (the confirmation and its answer, a pick list), /prefs (its buttons, a
setting's choices, memory off with the incognito note, the usage), /remember, /remind (its usage,
a parse error, the time zone question and its answer, a relative, a daily, an hourly and a weekly
confirmation, the too-short repetition), /reminders (the list, a delete), a check-in offer and its
Yes, /import (its prompt, a pasted text's preview, Import), /usage, /export's caption, the media
refusals (a sticker, a video, a file too big, a voice message too long, a location), the
scheduler's reminder and its "missed while offline" note, and after a restart the budget and
rate-limit notes. What the person or the model wrote (the fake model's "Coach says: …", its
check-in topic "your training", the facts given) is not the bot's.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.i18n import languages
from bot.records import Prefs
from tests.fakes.telegram_api import FakeTelegram
from tests.support.chat import buttons, drained
from tests.support.clock import FakeClock
from tests.support.harness import CHAT, RunningBot, StartBot, add_memory, say

START = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)  # a Wednesday, 14:00 in Berlin
# Words a reader of any of these languages would notice as English. Words the languages share or
# borrow (no, in, on, was, message, minute, photo, link, long, limit, zone, style, budget, usage,
# button, routine, imperial, for, token, sticker, coaching, me…) are left out on purpose.
_COMMON_ENGLISH = (
    "the and you your yours is are were of with this that what when which please sorry tap done "
    "saved memory memories reminder reminders settings hour hours second seconds every tomorrow "
    "today yes off at heard remember remembered delete deleted erase erased time day days week voice "
    "picture pictures too big short send try again here there my about from now can't couldn't don't "
    "won't i'm i've i'll it's that's you're you've check scheduled nothing already expired today's "
    "fact facts reply length units language balanced gentle tough metric set not how going previous "
    "next back cancel cancelled forgotten goals health events other preferences"
)
ENGLISH = frozenset(_COMMON_ENGLISH.split())
COMMAND_TAIL = re.compile(r"/[a-z_]+(?:[^\n,;:()]*)")  # a command and what is typed after it
MODEL_WORDS = ("your training",)  # the fake model's check-in topic, shown as the model wrote it


def english_words(text: str) -> list[str]:
    """The common English words of `text` outside commands and model-written parts."""
    if text.startswith("Coach says"):
        return []  # the (fake) model's answer, in whatever language the model chose
    for words in MODEL_WORDS:
        text = text.replace(words, " ")
    text = COMMAND_TAIL.sub(" ", text.replace("\\", ""))
    tokens = re.findall(r"[^\W\d_][\w'’]*", text)  # whole words: "até" is not "at"
    return [token for token in tokens if token.lower().replace("’", "'") in ENGLISH]


def shown(fake: FakeTelegram, language: str) -> list[str]:
    """Every text a person sees: messages, captions, edits, button labels, callback answers, and
    the command menu registered for `language`."""
    found: list[str] = []
    for call in fake.calls():
        params: dict[str, Any] = call.params
        if call.method == "setMyCommands":
            if params.get("language_code") == language:
                found += [str(c["description"]) for c in params["commands"]]
            continue
        found += [str(params[key]) for key in ("text", "caption") if params.get(key)]
        markup = params.get("reply_markup")
        if isinstance(markup, dict):
            found += [str(b["text"]) for row in markup.get("inline_keyboard", []) for b in row]
    return found


def press(fake: FakeTelegram, message: dict[str, Any], prefix: str, *, last: bool = False) -> None:
    found = [b["callback_data"] for b in buttons(message) if b["callback_data"].startswith(prefix)]
    fake.press_button(CHAT, found[-1 if last else 0], message_id=message["message_id"])


async def memories_and_forget(bot: RunningBot, fake: FakeTelegram, code: str) -> None:
    await add_memory(bot, CHAT, "Marathon 2027 🏃", "goals")
    await add_memory(bot, CHAT, "Yoga 🧘 07:00", "health")
    listing = await say(fake, "/memories", language_code=code)
    await say(fake, "/memories Marathon", language_code=code)
    await say(fake, "/memories zzzz", language_code=code)
    press(fake, listing, "mem:e:")  # the ✏️ prompt
    await drained(bot, fake)
    confirm = await say(fake, "/forget", language_code=code)
    press(fake, confirm, "forget:no:")
    await drained(bot, fake)
    await say(fake, "/forget Marathon", language_code=code)


async def prefs_screens(bot: RunningBot, fake: FakeTelegram, code: str) -> None:
    shown_prefs = await say(fake, "/prefs", language_code=code)
    for data in ("prefm:language", "prefm:memory", "pref:memory:off", "pref:reactions:off", "prefm:"):
        fake.press_button(CHAT, data, message_id=shown_prefs["message_id"])
        await drained(bot, fake)
    await say(fake, "/prefs memory on", language_code=code)
    await say(fake, "/prefs nonsense", language_code=code)
    await say(fake, "/remember", language_code=code)
    await say(fake, "/remember Marathon 2027", language_code=code)


async def remind_screens(bot: RunningBot, fake: FakeTelegram, code: str) -> None:
    await say(fake, "/remind", language_code=code)
    question = await say(fake, "/remind tomorrow 7:00 Yoga", language_code=code)  # no zone yet: asked
    press(fake, question, "tz:Europe/Berlin")
    await drained(bot, fake)
    await say(fake, "/remind someday zzzz", language_code=code)
    for words in (
        "in 20 minutes Yoga",
        "every day at 21:00 Yoga",
        "every 2 hours Yoga",
        "every 5 minutes Yoga",
        "every Monday and Thursday 07:00 Yoga",
        "every Monday",
    ):
        await say(fake, f"/remind {words}", language_code=code)
    listing = await say(fake, "/reminders", language_code=code)
    press(fake, listing, "rem:del:", last=True)  # the weekly one: "in 20 minutes" is sent below
    await drained(bot, fake)
    fake.send_text(
        CHAT, "I'll run Tuesday and Thursday, training for a 10k race on 14 March.", language_code=code
    )
    offer = (await fake.wait_for_messages(CHAT, len(fake.sent(CHAT)) + 2))[-1]
    press(fake, offer, "rem:yes:")
    await drained(bot, fake)


async def import_screens(bot: RunningBot, fake: FakeTelegram, code: str) -> None:
    """/import's prompt (what to ask another assistant), a pasted text's preview and its Import."""
    before = len(fake.sent(CHAT))
    fake.send_text(CHAT, "/import", language_code=code)
    await fake.wait_for_messages(CHAT, before + 2)
    preview = await say(fake, "/import Berlin 2030.", language_code=code)  # new: a preview
    press(fake, preview, "imp:ok:")
    await drained(bot, fake)


async def media_and_account(bot: RunningBot, fake: FakeTelegram, code: str) -> None:
    await say(fake, "/usage", language_code=code)
    await say(fake, "/export", language_code=code)
    # One chat per refusal: five answers to one chat would wait on Telegram's pace of about one
    # message a second per chat (the sender keeps it), which is not what this test is about.
    media = MEDIA_CHATS
    for chat in media:
        await speak(bot, chat, code)
    fake.send_sticker(media[0])
    fake.send_file(media[1], "video", b"\x00\x00\x00\x18ftypmp42", mime_type="video/mp4")
    fake.send_file(
        media[2], "document", b"\xff\xd8", mime_type="image/jpeg", file_name="a.jpg", file_size=25 * 2**20
    )
    fake.send_voice(media[3], duration=331)
    fake.send_location(media[4])
    for chat in media:
        await fake.wait_for_messages(chat, 1)


MEDIA_CHATS = (CHAT + 1, CHAT + 2, CHAT + 3, CHAT + 4, CHAT + 5)


async def speak(bot: RunningBot, chat: int, code: str) -> None:
    """Set the chat's /prefs language, as the person would (the scheduler speaks it too)."""
    if code in Prefs.choices("language"):
        await bot.services.store.chats.set_pref(chat, "language", code)


async def scheduler_sends(bot: RunningBot, fake: FakeTelegram, clock: FakeClock) -> None:
    before = len(fake.sent(CHAT))
    clock.advance(20 * 60 + 5)  # "in 20 minutes" fires
    await fake.wait_for_messages(CHAT, before + 1)
    before = len(fake.sent(CHAT))
    clock.advance(3 * 3600)  # "every 2 hours" is more than the grace late: the missed note
    await fake.wait_for_messages(CHAT, before + 1)
    await drained(bot, fake)


@pytest.mark.parametrize("language", [code for code in languages() if code != "en"])
async def test_every_screen_speaks_the_language_with_no_english_left(
    start_bot: StartBot, fake_telegram: FakeTelegram, language: str
) -> None:
    code = language.replace("_", "-").lower()
    clock = FakeClock(START)
    bot = await start_bot(clock=clock, RATE_LIMIT_PER_MINUTE=1000, MAX_VOICE_SECONDS=300)
    await speak(bot, CHAT, code)
    await say(fake_telegram, "/start", language_code=code)
    await say(fake_telegram, "/help", language_code=code)
    await memories_and_forget(bot, fake_telegram, code)
    await prefs_screens(bot, fake_telegram, code)
    await remind_screens(bot, fake_telegram, code)
    await import_screens(bot, fake_telegram, code)
    await media_and_account(bot, fake_telegram, code)
    await scheduler_sends(bot, fake_telegram, clock)
    await bot.stop()

    bot = await start_bot(clock=clock, RATE_LIMIT_PER_MINUTE=2, DAILY_TOKEN_BUDGET=1)
    before = len(fake_telegram.sent(CHAT))
    for n in range(3):
        fake_telegram.send_text(CHAT, f"Marathon {n}?", language_code=code)
    await fake_telegram.wait_for_messages(CHAT, before + 3)

    texts = shown(fake_telegram, code)
    assert len(texts) > 80  # every screen above was reached
    leftovers = {text: words for text in texts if (words := english_words(text))}
    assert leftovers == {}


def test_the_english_word_check_sees_english_and_spares_commands() -> None:
    """The check flags the English a translation left behind, not a command, a model's words or
    the words the languages share."""
    assert english_words("Done. Tomorrow at 07:00 (Europe/London): взвеситься") == ["Done", "Tomorrow", "at"]
    assert english_words("/prefs memory off (Inkognito)") == []
    assert english_words("Gespeichert. /remind every Monday 07:00 weigh in") == []
    assert english_words("Coach says: every day") == []
    assert english_words("Stiamo parlando di: your training") == []
    assert english_words("No, un message photo long") == []
    assert english_words("transferir até 20 MB") == []
