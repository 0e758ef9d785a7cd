"""The Bot API's HTTP transport: python-telegram-bot's `BaseRequest` on an aiohttp session.

PTB's default transport is httpx. Under load the bot is CPU-bound on one core, and httpx with a
bounded pool costs about five times the CPU per request of aiohttp (C parser; no per-request
pool bookkeeping that grows with queued requests): see "Load" in BENCHMARKS.md. `BaseRequest`
is PTB's documented extension point for another networking backend; nothing of PTB is patched.

Behaviour kept from PTB's `HTTPXRequest`: a bounded connection pool, default read / write /
connect / pool timeouts that a bot method can override, form-encoded parameters (multipart when
a file is uploaded, with the longer media write timeout), `TimedOut` for time-outs and
`NetworkError` for transport failures. aiohttp has no separate write timeout: the whole request
is bounded by the sum of the four timeouts instead. Error messages never carry the bot token
(the request URL contains it).

One thing PTB's errors cannot say is whether Telegram may have received a request. A failure
before any byte of it left (no connection could be made, or none freed up in the pool in time)
raises `RequestNotSent`, which is safe to resend; every other failure (a reset or closed
connection, a read timeout) may come after Telegram carried the request out.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.errors import Unavailable
from bot.i18n import N_
from bot.runtime.http import new_session
from bot.runtime.logs import redact_tokens

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class RequestNotSent(NetworkError, Unavailable):
    """The request never left: no connection to the Bot API was made. Resending it is safe."""

    reply = N_("I couldn't reach Telegram just now. Please try again in a minute.")
    button_reply = N_("I couldn't reach Telegram just now, so nothing was changed yet. Please try again.")


class AiohttpRequest(BaseRequest):
    """One aiohttp session with at most `connection_pool_size` connections to the Bot API at
    `base_url` (bot/runtime/http.py: the environment's proxy for it is honoured)."""

    __slots__ = (
        "_base_url",
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        base_url: str = "https://api.telegram.org",
        *,
        connection_pool_size: int = 16,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._base_url = base_url  # where the requests go: picks the environment's proxy, if any
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = new_session(
                self._base_url, limit=self._pool_size, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data is not None else {}
        fields = request_data.json_parameters if request_data is not None else {}
        body: Any
        headers: dict[str, str] | None = None
        if files:
            form = aiohttp.FormData(quote_fields=False)
            for name, value in fields.items():
                form.add_field(name, value)
            for name, (filename, content, mimetype) in files.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            body = form
        elif fields:
            # The form encoding aiohttp gives a dict, done here: aiohttp's FormData costs an
            # os.urandom call (a multipart boundary it never uses) and more on every request.
            body = urlencode(fields).encode()
            headers = _FORM
        else:
            body = None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        write_default = self._media_write_timeout if files else self._write_timeout
        write = write_default if isinstance(write_timeout, DefaultValue) else write_timeout
        connect = self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        parts = (read, write, connect, pool)
        timeout = aiohttp.ClientTimeout(
            total=None if None in parts else sum(p for p in parts if p is not None),
            # aiohttp's `connect` covers waiting for a pooled connection and opening a new one.
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with session.request(method, url, data=body, headers=headers, timeout=timeout) as response:
                return response.status, await response.read()
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            # Connecting failed, or no pooled connection freed up: nothing was written.
            raise RequestNotSent(f"aiohttp.{type(exc).__name__}: {redact_tokens(str(exc))}") from exc
        except TimeoutError as exc:  # aiohttp's other time-outs subclass it
            raise TimedOut(f"Bot API request timed out ({type(exc).__name__})") from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {redact_tokens(str(exc))}") from exc
