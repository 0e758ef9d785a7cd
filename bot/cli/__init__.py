"""Command-line entry points beside the bot itself: the terminal chat and `python -m bot check`."""
