"""The webhook's HTTP server: tornado's, with the limits a port open to the internet needs.

* At most `max_connections` connections are open (and never more than half the process's file
  descriptor limit); a connection beyond that is accepted and closed at once. Telegram itself
  opens at most setWebhook's `max_connections` (40 by default, 100 at most).
* A connection that has not sent complete request headers within `idle_seconds` (a half-open or
  idle keep-alive connection) is closed; so is one whose body takes longer than `body_seconds`.
* A body over `max_body_bytes` is refused before it is read (tornado checks Content-Length up
  front and counts chunked bodies as they arrive); nothing is buffered beyond that.
* When accept() fails (EMFILE / ENFILE: out of file descriptors), accepting pauses for
  `accept_pause` seconds. tornado's own accept handler lets the error escape, and the listening
  socket stays readable, so it retried in a tight loop, logging a traceback each time. These
  failures are logged at most once per LOG_EVERY seconds, with a count.
"""

from __future__ import annotations

import logging
import resource
import socket
import time
from dataclasses import dataclass
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web
from tornado.ioloop import IOLoop
from tornado.iostream import IOStream

logger = logging.getLogger(__name__)

LOG_EVERY = 30.0  # seconds between two log lines about the same kind of trouble
ACCEPT_BATCH = 128  # connections accepted per wake-up, so accepting does not starve the rest


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int = 128
    idle_seconds: float = 15.0
    body_seconds: float = 15.0
    max_body_bytes: int = 1024 * 1024  # Telegram's updates are a few kB; 1 MB is generous
    accept_pause: float = 0.5

    def connection_cap(self) -> int:
        """`max_connections`, but at most half the file descriptors this process may open."""
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return self.max_connections
        return max(1, min(self.max_connections, soft // 2))


class RateLimitedLog:
    """Logs a warning at most once per `every` seconds, saying how many were left out."""

    def __init__(self, log: logging.Logger, every: float = LOG_EVERY) -> None:
        self._log = log
        self._every = every
        self._next = 0.0
        self._skipped = 0

    def warning(self, message: str, *args: Any) -> None:
        now = time.monotonic()
        if now < self._next:
            self._skipped += 1
            return
        skipped, self._skipped = self._skipped, 0
        self._next = now + self._every
        suffix = f" (and {skipped} more like it in the last {self._every:.0f}s)" if skipped else ""
        self._log.warning(message + suffix, *args)


class GuardedHTTPServer:
    """A tornado HTTPServer for `app` whose sockets, accepting and limits are ours."""

    def __init__(self, app: tornado.web.Application, limits: ConnectionLimits, *, xheaders: bool) -> None:
        self.limits = limits
        self._cap = limits.connection_cap()
        self._http = tornado.httpserver.HTTPServer(
            app,
            xheaders=xheaders,
            idle_connection_timeout=limits.idle_seconds,
            body_timeout=limits.body_seconds,
            max_body_size=limits.max_body_bytes,
        )
        self._sockets: list[socket.socket] = []
        self._streams: set[IOStream] = set()
        self._accepting = False
        self._accept_failed = RateLimitedLog(logger)
        self._over_cap = RateLimitedLog(logger)

    def listen(self, port: int, address: str) -> int:
        """Start accepting on `address`:`port`; return the port (the real one when 0 was asked)."""
        self._sockets = tornado.netutil.bind_sockets(port, address=address)
        self._accept()
        return int(self._sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop accepting, then close every open connection."""
        self._pause()
        for sock in self._sockets:
            sock.close()
        self._sockets = []
        self._http.stop()
        await self._http.close_all_connections()

    def _accept(self) -> None:
        if not self._accepting and self._sockets:
            loop = IOLoop.current()
            for sock in self._sockets:
                loop.add_handler(sock, self._on_readable, IOLoop.READ)
            self._accepting = True

    def _pause(self) -> None:
        if self._accepting:
            loop = IOLoop.current()
            for sock in self._sockets:
                loop.remove_handler(sock)
            self._accepting = False

    def _on_readable(self, sock: socket.socket, events: int) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                connection, address = sock.accept()
            except BlockingIOError:
                return  # accepted all that were waiting
            except ConnectionAbortedError:
                continue  # closed by the client while waiting in the backlog
            except OSError as exc:
                # EMFILE / ENFILE / ENOBUFS / ENOMEM: the connection stays in the backlog and the
                # socket readable; retrying at once would spin. Try again after a pause.
                self._accept_failed.warning(
                    "cannot accept webhook connections (%s); pausing %.1fs",
                    exc.strerror or exc,
                    self.limits.accept_pause,
                )
                self._pause()
                IOLoop.current().call_later(self.limits.accept_pause, self._accept)
                return
            self._serve(connection, address)

    def _serve(self, connection: socket.socket, address: Any) -> None:
        self._streams = {stream for stream in self._streams if not stream.closed()}
        if len(self._streams) >= self._cap:
            self._over_cap.warning(
                "%d webhook connections open, the most allowed; closing new ones", len(self._streams)
            )
            connection.close()
            return
        stream = IOStream(connection, max_buffer_size=2 * self.limits.max_body_bytes)
        self._streams.add(stream)
        self._http.handle_stream(stream, address)
