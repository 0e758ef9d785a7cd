"""The same advisor in a terminal: `python -m bot chat` (as in the original Mem0 demo)."""

from __future__ import annotations

import asyncio
import sys

from bot.app import Services
from bot.config import Settings

# The terminal conversation has its own memory, under a chat id no Telegram chat uses.
TERMINAL_CHAT_ID = 0
EXIT_WORDS = {"exit", "quit", "bye"}


async def chat(settings: Settings) -> None:
    print("Starting… (loading memory)", flush=True)
    services = await Services.open(settings)
    advisor = services.advisor
    print("AI Fitness Advisor: ask me anything about training. Type 'exit' to quit.\n", flush=True)
    try:
        while True:
            try:
                line = await asyncio.to_thread(input, "You: ")
            except EOFError:
                break
            message = line.strip()
            if not message:
                continue
            if message.lower() in EXIT_WORDS:
                break
            answer = await advisor.answer(TERMINAL_CHAT_ID, message)
            print(f"Advisor: {answer.text}\n", flush=True)
            advisor.reply_sent()
        print("Saving what I learned…", flush=True)
        pending = await services.writer.drain(seconds=120)
        if pending:
            print(
                f"{pending} message(s) will be remembered next time (memory was unavailable).",
                file=sys.stderr,
            )
        print("Goodbye!", flush=True)
    finally:
        await services.close()
