"""The bot's two kinds of failure, which every layer raises and the Telegram side catches.

- `Unavailable`: a dependency (Gemini, the memory backend, Telegram) is down or keeps failing.
  The bot degrades and says so; nothing is reported as done that was not done.
- `Refused`: the request itself is not allowed (a secret to store, an instruction to the bot).
  `str(exc)` is a short reason that is safe to show to the user; it never repeats their text.
`RateLimited` is the `Unavailable` of a dependency that asked us to slow down (Gemini's 429).
"""

from typing import Any


class Unavailable(Exception):
    """A dependency is down or kept failing after its retries; try again later."""


class Refused(ValueError):
    """The request is not allowed; `str(exc)` says why, safe to show to the user."""


class RateLimited(Unavailable):
    """The dependency is over its quota (429); `retry_after` is the wait it asked for, in seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def google_retry_delay(body: Any) -> float | None:
    """The wait a Google API error body asks for (google.rpc.RetryInfo "retryDelay": "7s"), if any."""
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    for item in details if isinstance(details, list) else []:
        delay = item.get("retryDelay") if isinstance(item, dict) else None
        if isinstance(delay, str) and delay.endswith("s"):
            try:
                return max(0.0, float(delay[:-1]))
            except ValueError:
                return None
    return None
