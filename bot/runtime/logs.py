"""Logging to stdout with secrets redacted from every record."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Iterable

# Telegram bot tokens and Google API keys, wherever they appear (URLs, exception messages).
_PATTERNS = (
    re.compile(r"(?<![0-9])\d{5,}:[A-Za-z0-9_-]{30,}"),  # also inside ".../bot<TOKEN>/getMe"
    re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
)
REDACTED = "[REDACTED]"


def redact_tokens(text: str) -> str:
    """`text` with anything shaped like a bot token or a Google API key replaced by [REDACTED]."""
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """Replace known secret values and anything shaped like a token or key with [REDACTED].

    `scrub` (the advisor's `safety.redact`, given by the entry point) also replaces what a user's
    message would have redacted (passwords, cards, keys by their shape), should a record quote one.
    """

    def __init__(self, secrets: Iterable[str] = (), scrub: Callable[[str], str] | None = None) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)
        self._scrub = scrub

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = redact_tokens(text)
        return self._scrub(text) if self._scrub is not None else text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self.redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def setup_logging(level: str, secrets: Iterable[str] = (), scrub: Callable[[str], str] | None = None) -> None:
    """Log to stdout through a redacting handler; quiet the libraries that log request URLs."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets, scrub))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Telegram's URLs contain the bot token.
    # google-genai's transport logs as "httpx2".
    # tornado.general logs each malformed or too large webhook request at INFO.
    noisy_loggers = (
        "httpx",
        "httpx2",
        "httpcore",
        "telegram.ext.ExtBot",
        "google_genai",
        "mem0",
        "tornado.general",
    )
    for noisy in noisy_loggers:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # Optional extras we deliberately do without (spaCy would download a model at run time).
    logging.getLogger("mem0.utils.spacy_models").setLevel(logging.ERROR)
