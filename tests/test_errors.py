"""The error vocabulary (bot/errors.py): each cause of an outage has its own words, translated in
every catalog, and a dead background task is not an outage of a dependency."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from bot import i18n
from bot.errors import Unavailable
from bot.llm import LLMBadOutput, LLMUnavailable
from bot.memory import MemoryUnavailable
from bot.runtime.tasks import TaskDied
from bot.store import StoreUnavailable
from bot.telegram.attachments import DownloadFailed
from bot.telegram.handlers.groups import AdminCheckFailed
from bot.telegram.transport import RequestNotSent

CAUSES: list[type[Unavailable]] = [
    Unavailable,
    MemoryUnavailable,
    LLMUnavailable,
    LLMBadOutput,
    StoreUnavailable,
    RequestNotSent,
    DownloadFailed,
    AdminCheckFailed,
]


def test_each_cause_has_its_own_words() -> None:
    assert len({cause.reply for cause in CAUSES}) == len(CAUSES)
    assert len({cause.button_reply for cause in CAUSES if cause is not DownloadFailed}) == len(CAUSES) - 1


def test_a_dead_task_is_not_a_dependency_outage() -> None:
    assert not issubclass(TaskDied, Unavailable)


@pytest.mark.parametrize("language", [lang for lang in i18n.languages() if lang != i18n.ENGLISH])
def test_every_cause_is_translated(language: str) -> None:
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po").open("rb") as source:
        catalog = read_po(source, locale=language)
    for cause in CAUSES:
        for msgid in (cause.reply, cause.button_reply):
            message = catalog.get(msgid)
            assert message is not None, (language, msgid)
            assert message.string, (language, msgid)
            assert not message.fuzzy, (language, msgid)
