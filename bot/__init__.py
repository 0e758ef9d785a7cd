"""The Telegram advisor with long-term memory (see docs/architecture.md for the layout)."""

import warnings

# google-genai subclasses aiohttp's ClientSession when aiohttp is installed (it is: our Telegram
# transport uses it), and aiohttp warns about that on import. Known and harmless: keep it out of logs.
warnings.filterwarnings(
    "ignore", message="Inheritance class AiohttpClientSession", category=DeprecationWarning
)
