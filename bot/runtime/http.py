"""Outgoing HTTP: the aiohttp sessions that carry the Bot API's and Gemini's requests.

One session per API, each with a bounded pool. Proxies from the environment (HTTPS_PROXY,
HTTP_PROXY, NO_PROXY) are read once, when the session is made, not on every request as aiohttp's
`trust_env` does (that reads ~/.netrc on a worker thread per request: a thread hand-over and a
file lookup for each Gemini call).
"""

from __future__ import annotations

import urllib.request
from collections.abc import Mapping
from urllib.parse import urlsplit

import aiohttp

GEMINI_DEFAULT_URL = "https://generativelanguage.googleapis.com"


def env_proxy(url: str) -> str | None:
    """The proxy URL the environment sets for requests to `url`, or None (none set, or NO_PROXY)."""
    parts = urlsplit(url)
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    host = (parts.hostname or "").lower()
    if not proxy or not host:
        return None
    for entry in proxies.get("no", "").split(","):
        entry = entry.strip().lower().split(":")[0].lstrip(".")
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return None
    return proxy


def new_session(url: str, *, limit: int, headers: Mapping[str, str] | None = None) -> aiohttp.ClientSession:
    """A session for one API at `url` with at most `limit` connections (call it in the event loop)."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit),
        headers=dict(headers or {}),
        proxy=env_proxy(url),
        trust_env=False,
    )
