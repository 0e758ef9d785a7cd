"""The bot's own words in the user's language, through the real bot and the fake Telegram."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bot.i18n import languages, translator
from bot.telegram.handlers import COMMANDS, commands
from tests.fakes.gemini_api import Blocked, FakeGemini, Fault
from tests.fakes.telegram_api import FakeTelegram
from tests.support.chat import buttons
from tests.support.harness import CHAT, StartBot, add_memory, say

SPANISH: dict[str, Any] = {"language_code": "es"}


def labels(message: dict[str, object]) -> list[str]:
    return [b["text"] for b in buttons(message)]


async def test_a_spanish_user_gets_start_memories_forget_and_prefs_in_spanish(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """language_code "es": /start, /memories (headings, plural, date), /forget and /prefs speak Spanish."""
    bot = await start_bot()
    start = await say(fake_telegram, "/start", **SPANISH)
    assert start["text"].startswith("¡Hola, Ana! Soy su asesor con IA")
    assert "/memories muestra lo que recuerdo" in start["text"]

    await add_memory(bot, CHAT, "Tiene la rodilla izquierda débil", "health")
    await add_memory(bot, CHAT, "Quiere correr una maratón", "goals")
    listing = (await say(fake_telegram, "/memories", **SPANISH))["text"]
    assert listing.startswith("Lo que recuerdo sobre usted (2 recuerdos):")
    assert "\nSalud:\n" in listing
    assert "\nObjetivos:\n" in listing
    assert (
        "Toque 🗑 y un número para borrar ese recuerdo, o ✏️ para corregir su redacción; "
        "/forget lo borra todo." in listing
    )
    found = (await say(fake_telegram, "/memories rodilla", **SPANISH))["text"]
    today = translator("es").date(datetime.now(UTC))
    assert f"Tiene la rodilla izquierda débil (dicho el {today})" in found

    forget = await say(fake_telegram, "/forget", **SPANISH)
    assert forget["text"].startswith("Esto borra todo lo que recuerdo sobre usted")
    assert labels(forget) == ["Sí, borrar todo", "Cancelar"]

    prefs = await say(fake_telegram, "/prefs", **SPANISH)
    assert prefs["text"].startswith("Sus ajustes:")
    assert labels(prefs) == [
        "Longitud de respuesta: media",
        "Unidades: métricas",
        "Idioma: el de sus mensajes",
        "Estilo del coach: equilibrado",
        "Memoria: sí",
        "✍ al guardar: sí",
        "Mostrar transcripción: sí",
        "Zona horaria: sin definir",
        "Seguimientos: sí",
    ]


async def test_a_spanish_user_gets_the_rate_limit_note_in_spanish(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """Past RATE_LIMIT_PER_MINUTE, the note is Spanish, with the seconds in the right plural."""
    await start_bot(RATE_LIMIT_PER_MINUTE=2)
    for n in range(3):
        fake_telegram.send_text(CHAT, f"Pregunta {n}", **SPANISH)
    replies = await fake_telegram.wait_for_messages(CHAT, 3)
    assert re.fullmatch(
        r"¡Escribe más rápido de lo que puedo responder! Espere \d+ segundos? y vuelva a intentarlo\.",
        replies[2]["text"],
    )


async def test_our_stand_ins_for_an_answer_are_translated_the_models_words_are_not(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_gemini: FakeGemini
) -> None:
    """A blocked answer, a Gemini outage and a location get Spanish notes (the location's because
    /prefs says Spanish); a real answer passes as it is."""
    await start_bot(STREAM_REPLIES=False)
    answer = await say(fake_telegram, "¿Cuánto debo correr?", **SPANISH)
    assert answer["text"].startswith("Coach says:")  # the fake model's words, untouched
    fake_gemini.enqueue("chat", Blocked("SAFETY"))
    blocked = await say(fake_telegram, "algo que el modelo rechaza", **SPANISH)
    assert blocked["text"].startswith("No puedo responder a eso: el modelo de IA se negó a contestar")
    fake_gemini.fail_all_with = Fault(503)
    down = await say(fake_telegram, "Corro 40 km los domingos.", **SPANISH)
    assert down["text"].startswith("Lo siento, ahora mismo no puedo contactar con mi modelo de IA.")
    fake_gemini.fail_all_with = None
    await say(fake_telegram, "/prefs language es")  # the photo comes from a Telegram set to English
    fake_telegram.send_location(CHAT)
    location = await fake_telegram.wait_for_messages(CHAT, 5)
    refusal = "No puedo leer ese tipo de mensaje. Entiendo texto, mensajes de voz"
    assert location[4]["text"].startswith(refusal)


async def test_a_language_without_a_catalog_gets_english(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """Chinese and Korean have no catalog: the interface is English (Gemini still answers in theirs)."""
    await start_bot()
    for code in ("zh-hans", "ko"):
        reply = await say(fake_telegram, "/start", language_code=code)
        assert reply["text"].startswith("Hi Ana! I'm your AI advisor")
    assert (await say(fake_telegram, "/help", language_code="pt-br"))["text"].startswith("Basta me escrever")


async def test_choosing_a_language_in_prefs_switches_the_interface_at_once(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """The language chosen with a button redraws the settings in it; later replies follow; "auto"
    hands the choice back to Telegram's language_code."""
    await start_bot()
    shown = await say(fake_telegram, "/prefs")
    assert shown["text"].startswith("Your settings:")
    fake_telegram.press_button(CHAT, "prefm:language", message_id=shown["message_id"])
    await fake_telegram.wait_for_call(
        "editMessageText", lambda c: c.params["text"] == "Language: choose one."
    )
    fake_telegram.press_button(CHAT, "pref:language:de", message_id=shown["message_id"])
    edited = await fake_telegram.wait_for_call(
        "editMessageText", lambda c: c.params["text"].startswith("Ihre Einstellungen:")
    )
    assert "Sprache: Deutsch" in edited.params["text"]
    saved = await fake_telegram.wait_for_call(
        "answerCallbackQuery", lambda c: c.params.get("text") == "Gespeichert"
    )
    assert saved is not None
    help_text = (await say(fake_telegram, "/help"))["text"]  # the Telegram language is still "en"
    assert help_text.startswith("Schreiben Sie mir einfach")

    russian = await say(fake_telegram, "/prefs language ru")
    assert russian["text"].startswith("Сохранено. Ваши настройки:")
    back = await say(fake_telegram, "/prefs language auto")
    assert back["text"].startswith("Saved. Your settings:")


async def test_the_command_menu_is_registered_for_every_catalog(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    """setMyCommands: English by default, and each catalog's words for its language_code."""
    await start_bot()
    english = [{"command": name, "description": description} for name, description in COMMANDS]
    assert fake_telegram.my_commands() == english
    for language in languages()[1:]:
        menu = fake_telegram.my_commands(language_code=language)
        expected = [
            {"command": c.command, "description": c.description} for c in commands(translator(language))
        ]
        assert menu == expected
        assert all(mine["description"] != en["description"] for mine, en in zip(menu, english, strict=True))
