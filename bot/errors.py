"""The bot's two kinds of failure, which every layer raises and the Telegram side catches.

- `Unavailable`: a dependency (Gemini, the memory backend, Telegram) is down or keeps failing.
  The bot degrades and says so; nothing is reported as done that was not done.
- `Refused`: the request itself is not allowed (a secret to store, an instruction to the bot).
  `str(exc)` is a short reason that is safe to show to the user; it never repeats their text.
"""


class Unavailable(Exception):
    """A dependency is down or kept failing after its retries; try again later."""


class Refused(ValueError):
    """The request is not allowed; `str(exc)` says why, safe to show to the user."""
