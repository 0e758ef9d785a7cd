"""The bot's two kinds of failure, which every layer raises and the Telegram side catches.

- `Unavailable`: a dependency (Gemini, the memory backend, Telegram, the database) is down or keeps
  failing. The bot degrades and says so; nothing is reported as done that was not done. Each cause
  is a subclass with its own words for the person (`reply`, and `button_reply` after a button whose
  action did not run), marked for translation where the cause is defined: the error handler shows
  the error's own words and never guesses the cause.
- `Refused`: the request itself is not allowed (a secret to store, an instruction to the bot).
  `str(exc)` is a short reason that is safe to show to the user; it never repeats their text.
`RateLimited` is the `Unavailable` of a dependency that asked us to slow down (Gemini's 429).
"""

from typing import ClassVar

from bot.i18n import N_


class Unavailable(Exception):
    """A dependency is down or kept failing after its retries; try again later."""

    #: What the person is told (an msgid; the Telegram side translates it).
    reply: ClassVar[str] = N_(
        "Something I depend on is unavailable right now. Please try again in a few minutes."
    )
    #: What the person is told after pressing a button whose action could not run.
    button_reply: ClassVar[str] = N_(
        "Something I depend on is unavailable right now, so nothing was changed yet. "
        "Please try again in a few minutes."
    )


class Refused(ValueError):
    """The request is not allowed; `str(exc)` says why, safe to show to the user."""


class RateLimited(Unavailable):
    """The dependency is over its quota (429); `retry_after` is the wait it asked for, in seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
